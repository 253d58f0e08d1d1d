package consume_test

import (
	"errors"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/tlbridge/tlbridge/internal/transloadittest"
	"github.com/tlbridge/tlbridge/schemas"
	"github.com/tlbridge/tlbridge/schemas/consume"
	"github.com/tlbridge/tlbridge/schemas/consume/consumetest"
)

// TestWatchAndFollow: the typed reply names the subject, a second request
// is harmless, and Follow reads the Assembly to its completed event.
func TestWatchAndFollow(t *testing.T) {
	ctx := testCtx(t)
	b := consumetest.New(t)
	st, err := b.Sim.Create(ctx, transloadittest.Script{})
	if err != nil {
		t.Fatal(err)
	}
	req := schemas.WatchRequest{AssemblyID: st.AssemblyID, AssemblySSLURL: st.AssemblySSLURL}
	for range 2 {
		reply, err := consume.Watch(ctx, b.Conn, req)
		want := schemas.WatchReply{OK: true, AssemblyID: st.AssemblyID, Subject: schemas.AssemblySubject("", st.AssemblyID) + ".>"}
		if err != nil || reply != want {
			t.Fatalf("Watch = %+v, %v; want %+v", reply, err, want)
		}
	}
	var types []schemas.Type
	for ev, err := range consume.Follow(ctx, b.JetStream, st.AssemblyID) {
		if err != nil {
			t.Fatalf("Follow: %v", err)
		}
		types = append(types, ev.Type)
	}
	if len(types) < 2 || types[0] != schemas.TypeUploading || types[len(types)-1] != schemas.TypeCompleted {
		t.Errorf("Follow read %v; want uploading ... completed", types)
	}
}

func TestWatchRefused(t *testing.T) {
	b := consumetest.New(t)
	reply, err := consume.Watch(testCtx(t), b.Conn, schemas.WatchRequest{AssemblyID: "not-an-id"})
	var we *consume.WatchError
	if !errors.Is(err, consume.ErrWatchRefused) || !errors.As(err, &we) || we.Code != schemas.WatchInvalidAssemblyID {
		t.Fatalf("Watch(bad id) error = %v; want a WatchError %s", err, schemas.WatchInvalidAssemblyID)
	}
	if reply.OK || reply.Error != schemas.WatchInvalidAssemblyID || reply.Message == "" {
		t.Errorf("Watch(bad id) reply = %+v; want the refusal", reply)
	}
}

func TestWatchNoBridge(t *testing.T) {
	b := consumetest.NewNATS(t)
	_, err := consume.Watch(testCtx(t), b.Conn, schemas.WatchRequest{AssemblyID: idA})
	if !errors.Is(err, consume.ErrNoBridge) {
		t.Errorf("Watch without a bridge: error = %v; want ErrNoBridge", err)
	}
}

// TestWatchPrefix: WithPrefix sends the request where a bridge with that
// prefix listens.
func TestWatchPrefix(t *testing.T) {
	b := consumetest.NewNATS(t)
	sub, err := b.Conn.Subscribe("acme.v1.watch", func(m *nats.Msg) {
		_ = m.Respond([]byte(`{"ok":true,"assembly_id":"` + idA + `","subject":"acme.v1.assemblies.` + idA + `.>"}`))
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	reply, err := consume.Watch(testCtx(t), b.Conn, schemas.WatchRequest{AssemblyID: idA}, consume.WithPrefix("acme"))
	if err != nil || reply.Subject != "acme.v1.assemblies."+idA+".>" {
		t.Errorf("Watch(WithPrefix(acme)) = %+v, %v", reply, err)
	}
}
