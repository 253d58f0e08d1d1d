package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/tlbridge/tlbridge/schemas"
)

// relay reads an Assembly's update stream and publishes every frame,
// unparsed, to "<prefix>.v1.assemblies.<id>.frame": the least any bridge
// must do, so its figures are the ceiling. It returns when the stream
// ends (after assembly_finished) or ctx ends; it does not reconnect.
func (b *baseline) relay(ctx context.Context, req schemas.WatchRequest) error {
	hreq, err := http.NewRequestWithContext(ctx, http.MethodGet, req.UpdateStreamURL, nil)
	if err != nil {
		return err
	}
	hreq.Header.Set("Accept", "text/event-stream")
	resp, err := b.client.Do(hreq)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("stream: status %d", resp.StatusCode)
	}
	subject := subjectOf(req.AssemblyID, "frame")
	// A small read buffer: longer lines are assembled from several
	// reads, so memory follows the frames, not the watches.
	br := bufio.NewReaderSize(resp.Body, 4<<10)
	var frame bytes.Buffer
	for n := 1; ; n++ {
		frame.Reset()
		if err := readFrame(br, &frame); err != nil {
			if errors.Is(err, io.EOF) {
				return nil // the stream ended
			}
			return err
		}
		if err := b.publish(subject, bytes.Clone(frame.Bytes()), req.AssemblyID+"-"+strconv.Itoa(n)); err != nil {
			return err
		}
	}
}

// readFrame appends the next non-empty frame's lines (each with its
// newline, without the blank line that ends the frame) to frame. It
// returns io.EOF at the end of the stream, with a partial frame dropped.
func readFrame(br *bufio.Reader, frame *bytes.Buffer) error {
	midLine := false // the last read ended inside a line longer than the buffer
	for {
		line, err := br.ReadSlice('\n')
		if frame.Len()+len(line) > maxFrame {
			return fmt.Errorf("%w: over %d bytes", errFrameTooLarge, maxFrame)
		}
		switch {
		case err == bufio.ErrBufferFull:
			frame.Write(line)
			midLine = true
			continue
		case err != nil:
			return err
		case !midLine && len(line) == 1 && frame.Len() > 0:
			return nil // the blank line: the frame is complete
		case !midLine && len(line) == 1:
			continue // blank lines between frames
		}
		frame.Write(line)
		midLine = false
	}
}
