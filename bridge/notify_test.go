package bridge_test

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tlbridge/tlbridge/bridge"
	"github.com/tlbridge/tlbridge/bridge/normalize/normalizetest"
	"github.com/tlbridge/tlbridge/internal/transloadit"
	"github.com/tlbridge/tlbridge/internal/transloadittest"
	"github.com/tlbridge/tlbridge/schemas"
)

const notifySecret = "notify-test-secret"

// notifyAPI serves the harness's manager over HTTP with a notify secret.
func notifyAPI(t *testing.T, h *harness, secret string) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(bridge.NewHTTPHandler(h.m, bridge.HTTPConfig{NotifySecret: secret}))
	t.Cleanup(ts.Close)
	return ts
}

// postNotification sends fields the way Transloadit does: urlencoded or
// multipart. It returns the HTTP status and the decoded reply.
func postNotification(t *testing.T, ts *httptest.Server, multipartForm bool, fields map[string]string) (int, bridge.WatchReply) {
	t.Helper()
	var body bytes.Buffer
	ctype := "application/x-www-form-urlencoded"
	if multipartForm {
		mw := multipart.NewWriter(&body)
		for k, v := range fields {
			_ = mw.WriteField(k, v)
		}
		mw.Close()
		ctype = mw.FormDataContentType()
	} else {
		vals := url.Values{}
		for k, v := range fields {
			vals.Set(k, v)
		}
		body.WriteString(vals.Encode())
	}
	resp, err := http.Post(ts.URL+"/v1/notify", ctype, &body)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var reply bridge.WatchReply
	if err := json.NewDecoder(resp.Body).Decode(&reply); err != nil {
		t.Fatalf("reply: %v", err)
	}
	return resp.StatusCode, reply
}

func signed(t *testing.T, st *transloadit.Status) map[string]string {
	t.Helper()
	raw, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{"transloadit": string(raw), "signature": transloadit.Sign(notifySecret, string(raw))}
}

func awaitTerminal(t testing.TB, h *harness, id string) *transloadit.Status {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := h.srv.AwaitState(ctx, id, func(s *transloadit.Status) bool { return s.Terminal() }); err != nil {
		t.Fatal(err)
	}
	return h.final(t, id)
}

// A terminal notification for an Assembly nobody watched yields its whole
// event list at once, without a single status request.
func TestNotifyTerminalStatus(t *testing.T) {
	for _, multipartForm := range []bool{false, true} {
		name := map[bool]string{false: "urlencoded", true: "multipart"}[multipartForm]
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, modePoll, nil)
			ts := notifyAPI(t, h, notifySecret)
			st := h.create(t, transloadittest.Script{Steps: []transloadittest.Step{
				{Name: ":original", Robot: "/upload/handle"}, {Name: "thumbs", Robot: "/image/resize", Results: 2},
			}})
			final := awaitTerminal(t, h, st.AssemblyID)
			requestsBefore := len(h.srv.StatusRequests(st.AssemblyID))

			code, reply := postNotification(t, ts, multipartForm, signed(t, final))
			if code != http.StatusOK || !reply.OK || reply.AssemblyID != st.AssemblyID {
				t.Fatalf("POST /v1/notify = %d %+v; want 200 ok", code, reply)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if got, err := h.m.Wait(ctx, st.AssemblyID); err != nil || got != bridge.OutcomeCompleted {
				t.Fatalf("Wait = %q, %v; want completed", got, err)
			}
			evs := h.events(t, st.AssemblyID)
			normalizetest.CheckLifecycle(t, testPrefix, final, evs)
			if src := evs[len(evs)-1].Base().Source; src != schemas.SourceNotify {
				t.Errorf("terminal event source = %q; want %q", src, schemas.SourceNotify)
			}
			if n := len(h.srv.StatusRequests(st.AssemblyID)) - requestsBefore; n != 0 {
				t.Errorf("the notification led to %d status requests; want 0", n)
			}
		})
	}
}

// A notification reaches a running watch at once, whatever its poll period.
func TestNotifyEndsARunningWatch(t *testing.T) {
	h := newHarness(t, modePoll, func(c *bridge.ManagerConfig) { c.PollInterval = time.Hour })
	ts := notifyAPI(t, h, notifySecret)
	st := h.create(t, transloadittest.Script{Tick: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := h.m.Watch(ctx, bridge.WatchRequest{AssemblyID: st.AssemblyID}); err != nil {
		t.Fatal(err)
	}
	// The first status is observed (its events published) before the
	// Assembly is canceled, so only the notification can tell the end.
	for len(h.pub.Messages()) == 0 {
		if ctx.Err() != nil {
			t.Fatal("the first status was never observed")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := h.srv.Cancel(st.AssemblyID); err != nil {
		t.Fatal(err)
	}
	final := h.final(t, st.AssemblyID)
	if code, reply := postNotification(t, ts, false, signed(t, final)); code != http.StatusOK || !reply.OK {
		t.Fatalf("POST /v1/notify = %d %+v", code, reply)
	}
	if got, err := h.m.Wait(ctx, st.AssemblyID); err != nil || got != bridge.OutcomeCanceled {
		t.Fatalf("Wait = %q, %v; want canceled", got, err)
	}
	evs := h.events(t, st.AssemblyID)
	if last := evs[len(evs)-1]; last.Type != schemas.TypeCanceled || last.Base().Source != schemas.SourceNotify {
		t.Errorf("last event %s from %s; want canceled from notify", last.Type, last.Base().Source)
	}
}

func TestNotifyRefused(t *testing.T) {
	h := newHarness(t, modePoll, nil)
	st := h.create(t, transloadittest.Script{})
	final := awaitTerminal(t, h, st.AssemblyID)
	good := signed(t, final)
	forged := map[string]string{"transloadit": good["transloadit"], "signature": transloadit.Sign("wrong", good["transloadit"])}
	malformed := `{"assembly_id":`
	tests := []struct {
		name   string
		secret string
		fields map[string]string
		code   int
		want   string
	}{
		{"forged signature", notifySecret, forged, http.StatusForbidden, bridge.CodeInvalidSignature},
		{"no secret configured", "", good, http.StatusNotFound, bridge.CodeNotifyDisabled},
		{"no signature", notifySecret, map[string]string{"transloadit": good["transloadit"]}, http.StatusBadRequest, bridge.CodeInvalidRequest},
		{"malformed status", notifySecret, map[string]string{"transloadit": malformed,
			"signature": transloadit.Sign(notifySecret, malformed)}, http.StatusBadRequest, bridge.CodeInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := notifyAPI(t, h, tt.secret)
			code, reply := postNotification(t, ts, false, tt.fields)
			if code != tt.code || reply.OK || reply.Error != tt.want {
				t.Errorf("POST /v1/notify = %d %+v; want %d %s", code, reply, tt.code, tt.want)
			}
		})
	}
	if n := len(h.m.List()); n != 0 || len(h.pub.Messages()) != 0 {
		t.Errorf("refused notifications left %d watches and %d events", n, len(h.pub.Messages()))
	}
	if !strings.Contains(good["signature"], "sha384:") {
		t.Errorf("signature %q; want the sha384 form Transloadit sends", good["signature"])
	}
}

// The notification Transloadit sends when an Assembly ends usually comes
// after the watch saw the end itself; it must not publish the history again.
func TestNotifyAfterTheWatchEnded(t *testing.T) {
	h := newHarness(t, modeSSE, nil)
	ts := notifyAPI(t, h, notifySecret)
	st := h.create(t, transloadittest.Script{})
	if got := h.watch(t, st); got != bridge.OutcomeCompleted {
		t.Fatalf("outcome = %q", got)
	}
	published := len(h.pub.Messages())
	if code, reply := postNotification(t, ts, false, signed(t, h.final(t, st.AssemblyID))); code != http.StatusOK || !reply.OK {
		t.Fatalf("POST /v1/notify = %d %+v", code, reply)
	}
	if n := h.m.Active(); n != 0 {
		t.Errorf("the late notification started %d watches; want none", n)
	}
	if got := len(h.pub.Messages()); got != published {
		t.Errorf("the late notification published %d more events; want none", got-published)
	}
}
