package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestReadFrame(t *testing.T) {
	long := strings.Repeat("x", 10000) // longer than the 16-byte test buffer below
	stream := "id: a\n\n\n" +
		"event: assembly_result_finished\ndata: [\"s\",{\"n\":\"" + long + "\"}]\n\n" +
		"data: " + strings.Repeat("y", 10) + "\n\n" +
		"data: assembly_finished\n\n" +
		"data: cut"
	br := bufio.NewReaderSize(strings.NewReader(stream), 16)
	want := []string{
		"id: a\n",
		"event: assembly_result_finished\ndata: [\"s\",{\"n\":\"" + long + "\"}]\n",
		"data: yyyyyyyyyy\n",
		"data: assembly_finished\n",
	}
	for i, w := range want {
		var b bytes.Buffer
		if err := readFrame(br, &b); err != nil || b.String() != w {
			t.Fatalf("frame %d = %.60q, %v; want %.60q", i, b.String(), err, w)
		}
	}
	var b bytes.Buffer
	if err := readFrame(br, &b); !errors.Is(err, io.EOF) {
		t.Errorf("after the last frame: %v; want io.EOF", err)
	}
}

func TestReadFrameBound(t *testing.T) {
	br := bufio.NewReaderSize(io.MultiReader(strings.NewReader("data: "), infiniteX{}), 4096)
	var b bytes.Buffer
	if err := readFrame(br, &b); !errors.Is(err, errFrameTooLarge) {
		t.Errorf("endless line: %v; want errFrameTooLarge", err)
	}
}

// infiniteX is a line that never ends.
type infiniteX struct{}

func (infiniteX) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	return len(p), nil
}
