package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tlbridge/tlbridge/schemas"
)

// The reference programs run as "bench baseline --kind relay|poll-1s":
// a child process like the bridge, so /proc and /metrics measure them the
// same way. Each answers watch requests on the intake subject and
// publishes with JetStream async publishes, at most maxInFlight unacked.
const (
	kindRelay   = "relay"
	kindPoll1s  = "poll-1s"
	maxInFlight = 256
	// maxFrame bounds one update-stream frame, as the bridge's event bound.
	maxFrame = 16 << 20
	// maxStatus bounds one status body.
	maxStatus = 64 << 20
)

// runBaseline is the main of a reference program.
func runBaseline(args []string) int {
	fs := flag.NewFlagSet("baseline", flag.ContinueOnError)
	kind := fs.String("kind", kindRelay, "relay or poll-1s")
	natsURL := fs.String("nats", "", "NATS URL")
	httpAddr := fs.String("http", "127.0.0.1:0", "address of /readyz and /metrics")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *kind != kindRelay && *kind != kindPoll1s {
		fmt.Fprintf(os.Stderr, "baseline: unknown kind %q\n", *kind)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := serveBaseline(ctx, *kind, *natsURL, *httpAddr); err != nil {
		fmt.Fprintf(os.Stderr, "baseline %s: %v\n", *kind, err)
		return 1
	}
	return 0
}

func serveBaseline(ctx context.Context, kind, natsURL, httpAddr string) error {
	nc, err := nats.Connect(natsURL, nats.MaxReconnects(-1))
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc,
		jetstream.WithPublishAsyncMaxPending(maxInFlight),
		jetstream.WithPublishAsyncErrHandler(func(_ jetstream.JetStream, m *nats.Msg, err error) {
			fmt.Fprintf(os.Stderr, "publish %s: %v\n", m.Subject, err)
		}))
	if err != nil {
		return err
	}
	b := &baseline{kind: kind, js: js, client: &http.Client{Transport: loopbackTransport()}}
	ln, err := net.Listen("tcp", httpAddr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: baselineMux(), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sub, err := nc.QueueSubscribe(schemas.WatchSubject(schemas.DefaultPrefix), schemas.WatchQueue, func(m *nats.Msg) { b.accept(wctx, m) })
	if err != nil {
		return err
	}
	<-ctx.Done()
	_ = sub.Unsubscribe()
	cancel()
	b.wg.Wait()
	return drainPublishes(js)
}

func baselineMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	mux.Handle("/metrics", promhttp.Handler())
	return mux
}

func drainPublishes(js jetstream.JetStream) error {
	select {
	case <-js.PublishAsyncComplete():
		return nil
	case <-time.After(5 * time.Second):
		return errors.New("publishes still pending after 5s")
	}
}

// loopbackTransport dials loopback only: the references never reach
// anything but the load source. Over TLS it negotiates HTTP/2 as the
// bridge's transport does (a custom dialer turns that off unless forced),
// and trusts the system's roots, which SSL_CERT_FILE sets.
func loopbackTransport() *http.Transport {
	d := &net.Dialer{Timeout: 5 * time.Second, Control: func(_, address string, _ syscall.RawConn) error {
		host, _, err := net.SplitHostPort(address)
		if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
			return fmt.Errorf("dial %s: not loopback", address)
		}
		return nil
	}}
	return &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 1024, ForceAttemptHTTP2: true}
}

// baseline is a running reference program; wg owns the per-watch
// goroutines.
type baseline struct {
	kind   string
	js     jetstream.JetStream
	client *http.Client
	wg     sync.WaitGroup
}

func (b *baseline) accept(ctx context.Context, m *nats.Msg) {
	var req schemas.WatchRequest
	if err := json.Unmarshal(m.Data, &req); err != nil || req.AssemblyID == "" {
		_ = m.Respond([]byte(`{"ok":false,"error":"INVALID_REQUEST"}`))
		return
	}
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		var err error
		if b.kind == kindRelay {
			err = b.relay(ctx, req)
		} else {
			err = b.poll(ctx, req)
		}
		if err != nil && ctx.Err() == nil {
			fmt.Fprintf(os.Stderr, "%s %s: %v\n", b.kind, req.AssemblyID, err)
		}
	}()
	_ = m.Respond([]byte(`{"ok":true,"assembly_id":"` + req.AssemblyID + `"}`))
}

// publish sends one message asynchronously, waiting while maxInFlight are
// unacked.
func (b *baseline) publish(subject string, data []byte, msgID string) error {
	_, err := b.js.PublishAsync(subject, data, jetstream.WithMsgID(msgID), jetstream.WithStallWait(30*time.Second))
	return err
}

func subjectOf(asmID, suffix string) string {
	return schemas.AssemblySubject(schemas.DefaultPrefix, asmID) + "." + suffix
}
