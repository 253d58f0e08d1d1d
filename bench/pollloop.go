package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tlbridge/tlbridge/schemas"
)

// pollEvery is the period of the polling reference: the official SDKs
// fetch the status once a second until the Assembly is done.
const pollEvery = time.Second

// maxPolls bounds one polling loop (a day at pollEvery).
const maxPolls = 86400

// pollStatus is the part of a status the polling reference reads.
type pollStatus struct {
	OK      string                       `json:"ok"`
	Error   string                       `json:"error"`
	Results map[string][]json.RawMessage `json:"results"`
}

// poll fetches the status every pollEvery, publishes each new result as
// "<prefix>.v1.assemblies.<id>.result" and, once the Assembly ended,
// "….completed"; the way an application built on an SDK's wait would.
func (b *baseline) poll(ctx context.Context, req schemas.WatchRequest) error {
	seen := map[string]int{}
	t := time.NewTicker(pollEvery)
	defer t.Stop()
	for range maxPolls {
		st, err := b.fetch(ctx, req.AssemblySSLURL)
		if err != nil {
			return err
		}
		for step, items := range st.Results {
			for i := seen[step]; i < len(items); i++ {
				id := req.AssemblyID + "-" + step + "-" + strconv.Itoa(i)
				if err := b.publish(subjectOf(req.AssemblyID, "result"), items[i], id); err != nil {
					return err
				}
			}
			seen[step] = len(items)
		}
		if st.Error != "" || st.OK != "" && st.OK != "ASSEMBLY_EXECUTING" && st.OK != "ASSEMBLY_UPLOADING" {
			return b.publish(subjectOf(req.AssemblyID, "completed"), []byte(`{"ok":"`+st.OK+`"}`), req.AssemblyID+"-end")
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return nil
		}
	}
	return fmt.Errorf("poll: gave up after %d polls", maxPolls)
}

func (b *baseline) fetch(ctx context.Context, url string) (*pollStatus, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := b.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxStatus))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status: %d %s", resp.StatusCode, strings.TrimSpace(string(body[:min(len(body), 200)])))
	}
	var st pollStatus
	if err := json.Unmarshal(body, &st); err != nil {
		return nil, fmt.Errorf("status: %w", err)
	}
	return &st, nil
}
