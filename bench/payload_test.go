package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/tlbridge/tlbridge/internal/transloadit"
)

func TestStatusDecodes(t *testing.T) {
	p := payloads{ids: newIDs(), base: "http://127.0.0.1:1"}
	for _, tt := range []struct {
		name     string
		produced int
		finished bool
		want     transloadit.State
	}{
		{"executing, no results", 0, false, "ASSEMBLY_EXECUTING"},
		{"executing", 3, false, "ASSEMBLY_EXECUTING"},
		{"completed", 5, true, "ASSEMBLY_COMPLETED"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			p.status(&b, 7, tt.produced, tt.finished)
			st, err := transloadit.DecodeStatus(b.Bytes())
			if err != nil {
				t.Fatalf("DecodeStatus: %v\n%s", err, b.String())
			}
			if st.OK != tt.want || st.AssemblyID != p.ids.assembly(7) || st.UpdateStreamURL != p.streamURL(7) {
				t.Errorf("status = ok %q id %q stream %q; want %q %q %q", st.OK, st.AssemblyID, st.UpdateStreamURL, tt.want, p.ids.assembly(7), p.streamURL(7))
			}
			var raw struct {
				Results map[string][]struct {
					ID string `json:"id"`
				} `json:"results"`
			}
			if err := json.Unmarshal(b.Bytes(), &raw); err != nil {
				t.Fatal(err)
			}
			got := raw.Results[resultStep]
			if len(got) != tt.produced {
				t.Fatalf("status has %d results; want %d", len(got), tt.produced)
			}
			for i, r := range got {
				if r.ID != p.ids.result(7, i) {
					t.Errorf("result %d id = %q; want %q", i, r.ID, p.ids.result(7, i))
				}
			}
		})
	}
}

func TestResultFrame(t *testing.T) {
	p := payloads{ids: newIDs(), base: "http://127.0.0.1:1"}
	var b bytes.Buffer
	p.resultFrame(&b, 2, 9)
	frame := b.String()
	event, rest, _ := strings.Cut(frame, "\n")
	data, tail, _ := strings.Cut(rest, "\n")
	if event != "event: assembly_result_finished" || tail != "\n" {
		t.Fatalf("resultFrame = %q; want one event line, one data line, a blank line", frame)
	}
	var item []json.RawMessage
	if err := json.Unmarshal([]byte(strings.TrimPrefix(data, "data: ")), &item); err != nil || len(item) != 2 {
		t.Fatalf("resultFrame data = %q (%v); want [step, result]", data, err)
	}
	if a, r, ok := p.ids.findResult(b.Bytes()); !ok || a != 2 || r != 9 {
		t.Errorf("findResult(frame) = %d, %d, %v; want 2, 9, true", a, r, ok)
	}
}

func TestParseTemplate(t *testing.T) {
	tpl := parseTemplate("a{{x}}b{{y}}{{x}}")
	var b bytes.Buffer
	tpl.render(&b, map[string]string{"x": "1", "y": "2"})
	if b.String() != "a1b21" {
		t.Errorf("render = %q; want %q", b.String(), "a1b21")
	}
}
