package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strconv"
)

// relay reads an Assembly's update stream and publishes every frame,
// unparsed, to "<prefix>.v1.assemblies.<id>.frame": the least any bridge
// must do, so its figures are the ceiling. It returns when the stream
// ends (after assembly_finished) or ctx ends; it does not reconnect.
func (b *baseline) relay(ctx context.Context, req watchRequest) error {
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
	br := bufio.NewReaderSize(resp.Body, 64<<10)
	var frame bytes.Buffer
	for n := 0; ; {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull || frame.Len()+len(line) > maxFrame {
			return fmt.Errorf("stream: frame over %d bytes", maxFrame)
		}
		if err != nil {
			return nil // the stream ended
		}
		if len(line) > 1 {
			frame.Write(line)
			continue
		}
		if frame.Len() == 0 {
			continue
		}
		n++
		if err := b.publish(subject, bytes.Clone(frame.Bytes()), req.AssemblyID+"-"+strconv.Itoa(n)); err != nil {
			return err
		}
		frame.Reset()
	}
}
