// Package publishtest holds what tests of [publish.Publisher] implementations
// share: the behaviour suite [TestPublisher], an embedded NATS server with
// JetStream ([StartNATS], [RestartNATS]) and ways to read back what was
// published ([ReadStream], [Collect], [FilterMessages]).
package publishtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tlbridge/tlbridge/bridge/publish"
)

// Prefix is the subject prefix the suite publishes under: every subject it
// uses matches publish.StreamSubject(Prefix), so a stream capturing that
// holds all of them.
const Prefix = "publishtest"

// Features describes what a publisher's backend guarantees, and how the
// suite reads back from it.
type Features struct {
	// Dedupe: a message whose ID was stored before is not stored again.
	Dedupe bool
	// Ordered: messages with the same Key are stored in publish order.
	Ordered bool
	// Durable: what was stored before an Outage is still there after it.
	Durable bool
	// MaxPayload is the backend's limit on publish.Message.Size; 0 skips the
	// payload tests.
	MaxPayload int
	// Read returns the stored messages whose subject matches the NATS
	// subject filter, in storage order, once there are at least want of
	// them or after a timeout of a few seconds (then it returns what it
	// has). Required.
	Read func(t *testing.T, filter string, want int) []publish.Message
	// Outage, if set, makes the backend unavailable until the returned
	// function is called; it enables the outage tests.
	Outage func(t *testing.T) (restore func())
}

// TestPublisher runs the behaviour every [publish.Publisher] shares against
// the publishers newPublisher makes: one per subtest, with its own backend
// or a shared one (subtests run in parallel and publish under distinct
// subjects). The suite closes each publisher it gets.
func TestPublisher(t *testing.T, newPublisher func(t *testing.T) (publish.Publisher, Features)) {
	tests := []struct {
		name   string
		outage bool
		run    func(t *testing.T, s *suite)
	}{
		{"PublishOne", false, testPublishOne},
		{"DataReusableAfterPublish", false, testDataReusable},
		{"OrderPerKeyManyKeysConcurrently", false, testOrderManyKeys},
		{"OrderWithinOneBatchOfManyKeys", false, testOrderOneBatch},
		{"RepeatedIDStoredOnce", false, testRepeatedID},
		{"CanceledContext", false, testCanceledContext},
		{"PayloadTooLarge", false, testPayloadTooLarge},
		{"PayloadAtLimit", false, testPayloadAtLimit},
		{"InvalidMessage", false, testInvalidMessage},
		{"PublishAfterClose", false, testPublishAfterClose},
		{"OutageHoldsAndDeliversInOrder", true, testOutage},
		{"RetryAfterTimeoutUsesSameID", true, testRetrySameID},
		{"CloseAbortsHeldPublish", true, testCloseAbortsHeld},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, f := newPublisher(t)
			if f.Read == nil {
				t.Fatal("publishtest: Features.Read is required")
			}
			if tt.outage && f.Outage == nil {
				t.Skip("backend has no Outage")
			}
			t.Cleanup(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				if err := p.Close(ctx); err != nil {
					t.Errorf("Close = %v; want nil", err)
				}
			})
			tt.run(t, &suite{p: p, f: f, id: newTestID(t)})
		})
	}
}

// suite is one subtest's publisher, features and unique id.
type suite struct {
	p  publish.Publisher
	f  Features
	id string // unique per subtest, a token of every subject
}

// key returns the i-th ordering key of the subtest, shaped like an
// Assembly ID (32 hex digits).
func (s *suite) key(i int) string { return fmt.Sprintf("%s%024x", s.id, i) }

// msg returns message n of key i.
func (s *suite) msg(i, n int) publish.Message {
	key := s.key(i)
	return publish.Message{
		Subject: fmt.Sprintf("%s.v1.assemblies.%s.%s.e%d", Prefix, key, s.id, n),
		ID:      fmt.Sprintf("%s/e%d", key, n),
		Data:    fmt.Appendf(nil, `{"key":%q,"n":%d}`, key, n),
		Key:     key,
	}
}

// filter matches every subject of the subtest.
func (s *suite) filter() string { return fmt.Sprintf("%s.v1.assemblies.*.%s.>", Prefix, s.id) }

func (s *suite) read(t *testing.T, want int) []publish.Message {
	t.Helper()
	return s.f.Read(t, s.filter(), want)
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func testPublishOne(t *testing.T, s *suite) {
	m := s.msg(0, 0)
	if err := s.p.Publish(ctxFor(t, 30*time.Second), m); err != nil {
		t.Fatalf("Publish = %v; want nil", err)
	}
	got := s.read(t, 1)
	if len(got) != 1 {
		t.Fatalf("stored %d messages; want 1", len(got))
	}
	if got[0].Subject != m.Subject || got[0].ID != m.ID || string(got[0].Data) != string(m.Data) {
		t.Errorf("stored %+v; want subject %q id %q data %s", got[0], m.Subject, m.ID, m.Data)
	}
}

// testDataReusable overwrites the messages' data once Publish returned
// nil, as a caller that recycles its buffers does: what was stored must
// be what was published.
func testDataReusable(t *testing.T, s *suite) {
	const n = 8
	msgs := make([]publish.Message, n)
	want := make(map[string]string, n)
	for i := range msgs {
		msgs[i] = s.msg(i%2, i)
		want[msgs[i].ID] = string(msgs[i].Data)
	}
	if err := s.p.Publish(ctxFor(t, 30*time.Second), msgs...); err != nil {
		t.Fatalf("Publish = %v; want nil", err)
	}
	for _, m := range msgs {
		copy(m.Data, bytes.Repeat([]byte("x"), len(m.Data)))
	}
	got := s.read(t, n)
	if len(got) != n {
		t.Fatalf("stored %d messages; want %d", len(got), n)
	}
	for _, m := range got {
		if string(m.Data) != want[m.ID] {
			t.Errorf("message %s stored as %s; want %s", m.ID, m.Data, want[m.ID])
		}
	}
}

// testOrderManyKeys publishes from one goroutine per Key, in calls of one
// to four messages, all Keys at once.
func testOrderManyKeys(t *testing.T, s *suite) {
	const keys, perKey = 16, 20
	ctx := ctxFor(t, 60*time.Second)
	sent := make(map[string][]string)
	var wg sync.WaitGroup
	errs := make(chan error, keys)
	for k := range keys {
		var batches [][]publish.Message
		for n := 0; n < perKey; {
			size := min(1+(k+n)%4, perKey-n)
			var b []publish.Message
			for range size {
				m := s.msg(k, n)
				sent[m.Key] = append(sent[m.Key], m.ID)
				b = append(b, m)
				n++
			}
			batches = append(batches, b)
		}
		wg.Go(func() {
			for _, b := range batches {
				if err := s.p.Publish(ctx, b...); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("Publish = %v; want nil", err)
	}
	checkStored(t, s.read(t, keys*perKey), sent, s.f.Ordered)
}

// testOrderOneBatch publishes the messages of many Keys interleaved in one
// call.
func testOrderOneBatch(t *testing.T, s *suite) {
	const keys, perKey = 12, 10
	sent := make(map[string][]string)
	var batch []publish.Message
	for n := range perKey {
		for k := range keys {
			m := s.msg(k, n)
			sent[m.Key] = append(sent[m.Key], m.ID)
			batch = append(batch, m)
		}
	}
	if err := s.p.Publish(ctxFor(t, 60*time.Second), batch...); err != nil {
		t.Fatalf("Publish = %v; want nil", err)
	}
	checkStored(t, s.read(t, keys*perKey), sent, s.f.Ordered)
}

// testRepeatedID publishes a message, then another with the same ID but
// different data (as a retry after a lost ack would), then a marker.
func testRepeatedID(t *testing.T, s *suite) {
	ctx := ctxFor(t, 30*time.Second)
	first := s.msg(0, 0)
	again := first
	again.Data = []byte(`{"again":true}`)
	marker := s.msg(0, 1)
	for _, m := range []publish.Message{first, again, marker} {
		if err := s.p.Publish(ctx, m); err != nil {
			t.Fatalf("Publish(%s) = %v; want nil", m.ID, err)
		}
	}
	want := []string{first.ID, marker.ID}
	if !s.f.Dedupe {
		want = []string{first.ID, first.ID, marker.ID}
	}
	got := s.read(t, len(want))
	if ids := idsOf(got); !slices.Equal(ids, want) {
		t.Fatalf("stored IDs %q; want %q", ids, want)
	}
	if string(got[0].Data) != string(first.Data) {
		t.Errorf("stored data %s; want the first publish's %s", got[0].Data, first.Data)
	}
}

func testCanceledContext(t *testing.T, s *suite) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := s.p.Publish(ctx, s.msg(0, 0))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Publish(canceled ctx) = %v; want context.Canceled", err)
	}
}

// testPayloadTooLarge checks that an oversized message fails at once, and
// that nothing of its batch is sent.
func testPayloadTooLarge(t *testing.T, s *suite) {
	if s.f.MaxPayload == 0 {
		t.Skip("no MaxPayload")
	}
	ctx := ctxFor(t, 30*time.Second)
	big := s.msg(0, 1)
	big.Data = make([]byte, s.f.MaxPayload)
	if err := s.p.Publish(ctx, big); !errors.Is(err, publish.ErrPayloadTooLarge) {
		t.Fatalf("Publish(%d bytes) = %v; want ErrPayloadTooLarge", big.Size(), err)
	}
	if err := s.p.Publish(ctx, s.msg(0, 0), big); !errors.Is(err, publish.ErrPayloadTooLarge) {
		t.Fatalf("Publish(small, big) = %v; want ErrPayloadTooLarge", err)
	}
	marker := s.msg(0, 2)
	if err := s.p.Publish(ctx, marker); err != nil {
		t.Fatalf("Publish(marker) = %v; want nil", err)
	}
	if ids := idsOf(s.read(t, 1)); !slices.Equal(ids, []string{marker.ID}) {
		t.Errorf("stored IDs %q; want only the marker %q", ids, marker.ID)
	}
}

// testPayloadAtLimit checks that publish.Message.Size counts exactly what
// the backend counts: a message of exactly MaxPayload is accepted.
func testPayloadAtLimit(t *testing.T, s *suite) {
	if s.f.MaxPayload == 0 {
		t.Skip("no MaxPayload")
	}
	m := s.msg(0, 0)
	m.Data = nil
	m.Data = make([]byte, s.f.MaxPayload-m.Size())
	if err := s.p.Publish(ctxFor(t, 30*time.Second), m); err != nil {
		t.Fatalf("Publish(Size %d = MaxPayload) = %v; want nil", m.Size(), err)
	}
	if got := s.read(t, 1); len(got) != 1 || len(got[0].Data) != len(m.Data) {
		t.Fatalf("stored %d messages; want 1 with %d bytes", len(got), len(m.Data))
	}
}

func testInvalidMessage(t *testing.T, s *suite) {
	noID := s.msg(0, 0)
	noID.ID = ""
	noSubject := s.msg(0, 1)
	noSubject.Subject = ""
	spaced := s.msg(0, 2)
	spaced.Subject += " x"
	for _, m := range []publish.Message{noID, noSubject, spaced} {
		err := s.p.Publish(ctxFor(t, 30*time.Second), m)
		if !errors.Is(err, publish.ErrInvalidMessage) {
			t.Errorf("Publish(subject %q, id %q) = %v; want ErrInvalidMessage", m.Subject, m.ID, err)
		}
	}
}

func testPublishAfterClose(t *testing.T, s *suite) {
	if err := s.p.Close(ctxFor(t, 10*time.Second)); err != nil {
		t.Fatalf("Close = %v; want nil", err)
	}
	if err := s.p.Publish(ctxFor(t, 10*time.Second), s.msg(0, 0)); !errors.Is(err, publish.ErrPublisherClosed) {
		t.Fatalf("Publish after Close = %v; want ErrPublisherClosed", err)
	}
}

// testOutage publishes from several Keys, takes the backend down midway
// while the Keys keep publishing, brings it back, and expects every message
// stored exactly once, in order per Key.
func testOutage(t *testing.T, s *suite) {
	const keys, perKey, before = 6, 12, 4
	ctx := ctxFor(t, 60*time.Second)
	sent := make(map[string][]string)
	publishRange := func(from, to int) error {
		var wg sync.WaitGroup
		errs := make([]error, keys)
		for k := range keys {
			wg.Go(func() {
				for n := from; n < to; n++ {
					if err := s.p.Publish(ctx, s.msg(k, n)); err != nil {
						errs[k] = err
						return
					}
				}
			})
		}
		wg.Wait()
		return errors.Join(errs...)
	}
	for k := range keys {
		for n := range perKey {
			sent[s.key(k)] = append(sent[s.key(k)], s.msg(k, n).ID)
		}
	}
	if err := publishRange(0, before); err != nil {
		t.Fatalf("Publish before the outage = %v; want nil", err)
	}
	restore := s.f.Outage(t)
	done := make(chan error, 1)
	go func() { done <- publishRange(before, perKey) }()
	// Give the publishes time to meet the outage; the outcome checked below
	// does not depend on how many did.
	time.Sleep(300 * time.Millisecond)
	restore()
	if err := <-done; err != nil {
		t.Fatalf("Publish across the outage = %v; want nil", err)
	}
	if !s.f.Durable {
		for k, ids := range sent {
			sent[k] = ids[before:]
		}
	}
	want := 0
	for _, ids := range sent {
		want += len(ids)
	}
	checkStored(t, s.read(t, want), sent, s.f.Ordered)
}

// testRetrySameID: a publish that gives up during an outage is retried by
// the caller with the same ID after it; the message is stored once.
func testRetrySameID(t *testing.T, s *suite) {
	m := s.msg(0, 0)
	restore := s.f.Outage(t)
	short, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	err := s.p.Publish(short, m)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		restore()
		t.Fatalf("Publish during outage = %v; want context.DeadlineExceeded", err)
	}
	restore()
	ctx := ctxFor(t, 60*time.Second)
	marker := s.msg(0, 1)
	if err := s.p.Publish(ctx, m, marker); err != nil {
		t.Fatalf("Publish after outage = %v; want nil", err)
	}
	got := s.read(t, 2)
	if ids := idsOf(got); !slices.Equal(ids, []string{m.ID, marker.ID}) {
		t.Fatalf("stored IDs %q; want %q", ids, []string{m.ID, marker.ID})
	}
}

// testCloseAbortsHeldPublish: Close bounded by ctx ends a Publish that is
// held by an outage.
func testCloseAbortsHeld(t *testing.T, s *suite) {
	restore := s.f.Outage(t)
	defer restore()
	done := make(chan error, 1)
	go func() { done <- s.p.Publish(context.Background(), s.msg(0, 0)) }()
	// Let the publish start waiting; if Close came first the publish is
	// refused, with the same error.
	time.Sleep(100 * time.Millisecond)
	err := s.p.Close(ctxFor(t, 300*time.Millisecond))
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close during outage = %v; want nil or context.DeadlineExceeded", err)
	}
	if err := <-done; !errors.Is(err, publish.ErrPublisherClosed) {
		t.Errorf("held Publish = %v; want ErrPublisherClosed", err)
	}
}

// checkStored asserts that got holds each sent ID exactly once and, when
// ordered, in the order sent per Key. Keys are read from the subject.
func checkStored(t *testing.T, got []publish.Message, sent map[string][]string, ordered bool) {
	t.Helper()
	byKey := make(map[string][]string)
	count := make(map[string]int)
	for _, m := range got {
		byKey[keyOf(m.Subject)] = append(byKey[keyOf(m.Subject)], m.ID)
		count[m.ID]++
	}
	for key, ids := range sent {
		for _, id := range ids {
			if count[id] != 1 {
				t.Errorf("message %s stored %d times; want 1", id, count[id])
			}
		}
		if ordered && !slices.Equal(byKey[key], ids) {
			t.Errorf("key %s: stored order %q; want %q", key, byKey[key], ids)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
}

// keyOf returns the Assembly ID token of a subject <prefix>.v1.assemblies.<id>....
func keyOf(subject string) string {
	tokens := strings.Split(subject, ".")
	if len(tokens) < 4 {
		return ""
	}
	return tokens[3]
}

func idsOf(msgs []publish.Message) []string {
	ids := make([]string, len(msgs))
	for i, m := range msgs {
		ids[i] = m.ID
	}
	return ids
}

func newTestID(t *testing.T) string {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// FilterMessages returns the messages whose subject matches the NATS
// subject filter (tokens, "*" for one token, ">" for the rest), in order.
func FilterMessages(msgs []publish.Message, filter string) []publish.Message {
	var out []publish.Message
	for _, m := range msgs {
		if subjectMatches(filter, m.Subject) {
			out = append(out, m)
		}
	}
	return out
}

func subjectMatches(filter, subject string) bool {
	ft := strings.Split(filter, ".")
	st := strings.Split(subject, ".")
	for i, f := range ft {
		switch {
		case f == ">":
			return len(st) > i
		case i >= len(st):
			return false
		case f != "*" && f != st[i]:
			return false
		}
	}
	return len(ft) == len(st)
}
