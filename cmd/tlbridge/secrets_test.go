package main

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/tlbridge/tlbridge/internal/transloadit"
)

// TestLogsHoldNoSecret runs serve with every secret set, at debug level,
// through the paths that fail: a wrong bearer token, a forged and a
// replayed-late notification, an unknown Assembly, a URL outside the allow
// list, a NATS password the server refuses. No secret appears in the
// output.
func TestLogsHoldNoSecret(t *testing.T) {
	const (
		natsPassword = "nats-Pa55w0rd-SECRET"
		httpToken    = "http-TOKEN-SECRET"
		authSecret   = "auth-SECRET-value"
	)
	ns := startAuthNATS(t, "bridge", natsPassword)
	sim := newSim(t)
	simEnv(t, sim)
	t.Setenv("TLBRIDGE_NATS_URL", ns.ClientURL())
	t.Setenv("TLBRIDGE_NATS_USER", "bridge")
	t.Setenv("TLBRIDGE_NATS_PASSWORD", natsPassword)
	t.Setenv("TLBRIDGE_HTTP_TOKEN", httpToken)
	t.Setenv("TLBRIDGE_AUTH_SECRET", authSecret)
	t.Setenv("TLBRIDGE_LOG_LEVEL", "debug")
	sb := startServe(t)
	// Watches are taken once the durable watch queue is set up.
	waitFor(t, func() bool { code, _ := sb.get(t, "/readyz"); return code == http.StatusOK })

	base := "http://" + sb.httpAddr
	post := func(path, token, ctype, body string) {
		req, _ := http.NewRequest(http.MethodPost, base+path, strings.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	id := strings.Repeat("e", 32)
	post("/v1/watches", httpToken+"x", "application/json", `{"assembly_id":"`+id+`"}`)
	post("/v1/watches", httpToken, "application/json", `{"assembly_id":"`+id+`"}`) // unknown upstream
	post("/v1/watches", httpToken, "application/json", `{"assembly_id":"`+id+`","assembly_ssl_url":"https://evil.example/assemblies/`+id+`"}`)
	raw := `{"ok":"ASSEMBLY_COMPLETED","assembly_id":"` + id + `","start_date":"2001/01/01 00:00:00 GMT"}`
	form := url.Values{"transloadit": {raw}, "signature": {transloadit.Sign("wrong", raw)}}
	post("/v1/notify", "", "application/x-www-form-urlencoded", form.Encode())
	form.Set("signature", transloadit.Sign(authSecret, raw))
	post("/v1/notify", "", "application/x-www-form-urlencoded", form.Encode())
	// The unknown Assembly's watch has failed a fetch: its error is logged.
	waitFor(t, func() bool { return strings.Contains(sb.stderr.String(), "status fetch fail") })

	// A password the server refuses: the connection errors are logged.
	ns2 := startAuthNATS(t, "bridge", "another-password")
	sb.stop(t)
	t.Setenv("TLBRIDGE_NATS_URL", ns2.ClientURL())
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_, stdout, stderr := runCmd(t, ctx, "serve")

	out := sb.stderr.String() + stdout + stderr
	for _, secret := range []string{natsPassword, httpToken, authSecret} {
		if strings.Contains(out, secret) {
			t.Errorf("the output holds the secret %q", secret)
		}
	}
	t.Logf("scanned %d bytes of output", len(out))
	// The failing paths were reached: the refused NATS password and the
	// unknown Assembly are in the log.
	for _, want := range []string{"Authorization Violation", "status fetch fail"} {
		if !strings.Contains(out, want) {
			t.Errorf("the output lacks %q; the failing path was not exercised:\n%s", want, out)
		}
	}
}

// startAuthNATS starts a NATS server that admits one user.
func startAuthNATS(t *testing.T, user, password string) *server.Server {
	t.Helper()
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, Username: user, Password: password,
		JetStream: true, StoreDir: t.TempDir(), NoSigs: true, NoLog: true})
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats not ready")
	}
	t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	return s
}
