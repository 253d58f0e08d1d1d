package bridge_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tlbridge/tlbridge/bridge"
	"github.com/tlbridge/tlbridge/internal/transloadittest"
)

// A signed notification replayed long after its Assembly ended is refused
// with 409, whatever the signature says; a fresh one is taken.
func TestNotifyTooOld(t *testing.T) {
	h := newHarness(t, modePoll, nil)
	st := h.create(t, transloadittest.Script{})
	final := awaitTerminal(t, h, st.AssemblyID)
	latest, ok := final.LatestTime()
	if !ok {
		t.Fatal("the simulator's status carries no readable date")
	}
	later := latest.Add(25 * time.Hour)
	ts := httptest.NewServer(bridge.NewHTTPHandler(h.m, bridge.HTTPConfig{
		NotifySecret: notifySecret, NotifyMaxAge: 24 * time.Hour, Now: func() time.Time { return later },
	}))
	t.Cleanup(ts.Close)
	code, reply := postNotification(t, ts, false, signed(t, final))
	if code != http.StatusConflict || reply.Error != bridge.CodeNotificationTooOld {
		t.Fatalf("POST /v1/notify of a 25 h old Assembly = %d %+v; want 409 %s", code, reply, bridge.CodeNotificationTooOld)
	}
	if n := h.m.Active(); n != 0 || len(h.pub.Messages()) != 0 {
		t.Errorf("refused notification left %d watches and %d events", n, len(h.pub.Messages()))
	}
	fresh := httptest.NewServer(bridge.NewHTTPHandler(h.m, bridge.HTTPConfig{
		NotifySecret: notifySecret, NotifyMaxAge: 24 * time.Hour, Now: func() time.Time { return latest.Add(time.Hour) },
	}))
	t.Cleanup(fresh.Close)
	if code, reply := postNotification(t, fresh, false, signed(t, final)); code != http.StatusOK || !reply.OK {
		t.Errorf("POST /v1/notify of a 1 h old Assembly = %d %+v; want 200", code, reply)
	}
}

// Only the two notification fields are kept from a multipart body: a file
// part of any size is read past, not buffered, and the rest still works.
func TestNotifySkipsFileParts(t *testing.T) {
	h := newHarness(t, modePoll, nil)
	ts := notifyAPI(t, h, notifySecret)
	st := h.create(t, transloadittest.Script{})
	fields := signed(t, awaitTerminal(t, h, st.AssemblyID))
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "big.bin")
	_, _ = fw.Write(bytes.Repeat([]byte("x"), 1<<20))
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	mw.Close()
	resp, err := http.Post(ts.URL+"/v1/notify", mw.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("POST /v1/notify with a file part = %d %s; want 200", resp.StatusCode, b)
	}
}

// Thirty-two concurrent 31 MB notifications with a bad signature: each
// gets 413 or 503, none is buffered whole, and the heap stays within what
// the concurrency bound times the body bound allows.
func TestNotifyOversizedFloodIsBounded(t *testing.T) {
	h := newHarness(t, modePoll, nil)
	const maxBytes, slots = 1 << 20, 4
	ts := httptest.NewServer(bridge.NewHTTPHandler(h.m, bridge.HTTPConfig{
		NotifySecret: notifySecret, NotifyMaxBytes: maxBytes, NotifyConcurrency: slots,
	}))
	t.Cleanup(ts.Close)
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	peak := watchHeap(t)
	var wg sync.WaitGroup
	codes := make(chan int, 32)
	for i := range 32 {
		wg.Go(func() {
			codes <- postOversized(t, ts.URL, i%2 == 0, 31<<20)
		})
	}
	wg.Wait()
	close(codes)
	grown := peak() - before.HeapAlloc
	for code := range codes {
		if code != http.StatusRequestEntityTooLarge && code != http.StatusServiceUnavailable {
			t.Errorf("oversized notification answered %d; want 413 or 503", code)
		}
	}
	// Each admitted request may hold its bounded body (urlencoded forms
	// are parsed whole), plus the test's own client buffers.
	if limit := uint64(slots*maxBytes*4 + 32<<20); grown > limit {
		t.Errorf("heap grew by %d MB under the flood; want at most %d MB", grown>>20, limit>>20)
	}
	t.Logf("heap grew by %.1f MB for 32 × 31 MB bodies", float64(grown)/(1<<20))
	if n := h.m.Active(); n != 0 {
		t.Errorf("%d watches started", n)
	}
}

// postOversized streams n bytes of a form body without holding it.
func postOversized(t *testing.T, base string, multipartBody bool, n int64) int {
	ctype := "application/x-www-form-urlencoded"
	prefix := "signature=bad&transloadit="
	if multipartBody {
		ctype = "multipart/form-data; boundary=B"
		prefix = "--B\r\nContent-Disposition: form-data; name=\"transloadit\"\r\n\r\n"
	}
	body := io.MultiReader(strings.NewReader(prefix), io.LimitReader(repeatByte('a'), n))
	resp, err := http.Post(base+"/v1/notify", ctype, body)
	if err != nil {
		// The server may close the connection once it has refused the body.
		return http.StatusRequestEntityTooLarge
	}
	defer resp.Body.Close()
	var reply bridge.WatchReply
	_ = json.NewDecoder(resp.Body).Decode(&reply)
	return resp.StatusCode
}

type repeatByte byte

func (r repeatByte) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

// watchHeap samples the heap until the test ends and returns a function
// that stops sampling and reports the peak.
func watchHeap(t *testing.T) func() uint64 {
	done := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex // guards peak
	var peak uint64
	wg.Go(func() {
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			mu.Lock()
			peak = max(peak, ms.HeapAlloc)
			mu.Unlock()
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	})
	var once sync.Once
	stop := func() uint64 {
		once.Do(func() { close(done); wg.Wait() })
		mu.Lock()
		defer mu.Unlock()
		return peak
	}
	t.Cleanup(func() { stop() })
	return stop
}

// While every notification slot is taken, the next one is told to retry.
func TestNotifyBusy(t *testing.T) {
	h := newHarness(t, modePoll, nil)
	ts := httptest.NewServer(bridge.NewHTTPHandler(h.m, bridge.HTTPConfig{NotifySecret: notifySecret, NotifyConcurrency: 1}))
	t.Cleanup(ts.Close)
	// A body that never ends holds the only slot.
	pr, pw := io.Pipe()
	t.Cleanup(func() { pw.Close() })
	held := make(chan struct{})
	go func() {
		resp, err := http.Post(ts.URL+"/v1/notify", "application/x-www-form-urlencoded", pr)
		if err == nil {
			resp.Body.Close()
		}
		close(held)
	}()
	if _, err := pw.Write([]byte("signature=x&transloadit=")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.PostForm(ts.URL+"/v1/notify", url.Values{"transloadit": {"{}"}, "signature": {"x"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusServiceUnavailable {
			if resp.Header.Get("Retry-After") == "" {
				t.Error("503 without Retry-After")
			}
			break
		}
		// The holder may not have reached the handler yet.
		if time.Now().After(deadline) {
			t.Fatalf("POST /v1/notify while the slot is held = %d; want 503", resp.StatusCode)
		}
		time.Sleep(10 * time.Millisecond)
	}
	pw.Close()
	<-held
}
