package main

import (
	"bytes"
	"context"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/tlbridge/tlbridge/bridge/publish"
	"github.com/tlbridge/tlbridge/internal/buildinfo"
	"github.com/tlbridge/tlbridge/internal/testnet"
	"github.com/tlbridge/tlbridge/internal/transloadittest"
)

func TestMain(m *testing.M) { testnet.Main(m) }

// syncBuffer is a bytes.Buffer safe for a command writing while the test
// reads.
type syncBuffer struct {
	mu  sync.Mutex // guards buf
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// runCmd runs the command line and returns its exit code and output.
func runCmd(t *testing.T, ctx context.Context, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut syncBuffer
	code = run(ctx, args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// newSim starts a simulator for the test.
func newSim(t *testing.T, opts ...transloadittest.Option) *transloadittest.Server {
	t.Helper()
	sim := transloadittest.NewServer(opts...)
	t.Cleanup(sim.Close)
	return sim
}

// simEnv points the configuration at sim, the way an operator would point
// it at a private Transloadit-like endpoint.
func simEnv(t *testing.T, sim *transloadittest.Server) {
	t.Helper()
	clearConfigEnv(t)
	setEnv(t, map[string]string{
		"TLBRIDGE_API_BASE":      sim.URL,
		"TLBRIDGE_ALLOWED_HOSTS": strings.Join(sim.AllowList().HostSuffixes, ","),
		"TLBRIDGE_ALLOW_HTTP":    "true",
		"TLBRIDGE_POLL_INTERVAL": "100ms",
		"TLBRIDGE_LOG_LEVEL":     "debug",
		"TLBRIDGE_LOG_FORMAT":    "console",
		"TLBRIDGE_INSTANCE":      "test",
		"TLBRIDGE_DATA_DIR":      t.TempDir(),
	})
}

// startNATS starts an embedded JetStream server for the test.
func startNATS(t *testing.T) *server.Server {
	t.Helper()
	dir := t.TempDir()
	s, err := publish.StartEmbedded(publish.EmbeddedConfig{Port: -1, StoreDir: dir, JetStream: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Shutdown()
		s.WaitForShutdown()
	})
	return s
}

func TestHelp(t *testing.T) {
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"--help"}, []string{"Commands:", "serve", "demo", "watch", "tail", "sim", "version"}},
		{[]string{"help"}, []string{"Commands:"}},
		{[]string{"serve", "--help"}, append([]string{"Usage: tlbridge serve"}, prefixed(documentedVars)...)},
		{[]string{"serve", "-h"}, []string{"Usage: tlbridge serve"}},
		{[]string{"demo", "--help"}, []string{"Usage: tlbridge demo", "-timeout", "-tick"}},
		{[]string{"watch", "--help"}, []string{"Usage: tlbridge watch", "Exit status:"}},
		{[]string{"tail", "--help"}, []string{"Usage: tlbridge tail", "kubectl exec", "-since", "-json"}},
		{[]string{"version", "--help"}, []string{"Usage: tlbridge version"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, stdout, stderr := runCmd(t, context.Background(), tt.args...)
			if code != exitOK {
				t.Errorf("run(%q) = %d; want 0 (stderr %q)", tt.args, code, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stdout, w) {
					t.Errorf("run(%q) stdout lacks %q:\n%s", tt.args, w, stdout)
				}
			}
		})
	}
	t.Run("sim --help", func(t *testing.T) {
		// The simulator prints its own usage, on stderr.
		code, stdout, stderr := runCmd(t, context.Background(), "sim", "--help")
		if code != exitOK || !strings.Contains(stdout+stderr, "Usage: tlbridge sim") {
			t.Errorf("run(sim --help) = %d, %q %q; want 0 and the usage", code, stdout, stderr)
		}
	})
}

func prefixed(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = envPrefix + "_" + n
	}
	return out
}

func TestUsageErrors(t *testing.T) {
	clearConfigEnv(t)
	tests := []struct {
		args []string
		want string
	}{
		{nil, "Commands:"},
		{[]string{"bogus"}, `unknown command "bogus"`},
		{[]string{"version", "extra"}, `unexpected argument "extra"`},
		{[]string{"serve", "--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"serve", "extra"}, `unexpected argument "extra"`},
		{[]string{"watch"}, "want exactly one Assembly ID or URL, got 0"},
		{[]string{"watch", "a", "b"}, "got 2"},
		{[]string{"watch", "xyz"}, `"xyz" is neither an Assembly ID`},
		{[]string{"watch", "https://api2.transloadit.com/assemblies/nope"}, "names no Assembly"},
		{[]string{"demo", "-timeout", "0s"}, "must be positive"},
		{[]string{"demo", "extra"}, "takes no arguments"},
		{[]string{"sim", "--bogus"}, "flag provided but not defined: -bogus"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, _, stderr := runCmd(t, context.Background(), tt.args...)
			if code != exitUsage {
				t.Errorf("run(%q) = %d; want %d", tt.args, code, exitUsage)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("run(%q) stderr = %q; want it to contain %q", tt.args, stderr, tt.want)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	for _, arg := range []string{"version", "--version", "-v"} {
		code, stdout, _ := runCmd(t, context.Background(), arg)
		if want := buildinfo.Read().String(); code != exitOK || stdout != want {
			t.Errorf("run(%s) = %d, %q; want 0, %q", arg, code, stdout, want)
		}
		for _, w := range []string{"tlbridge " + buildinfo.Version + "\n", "commit", "date", runtime.Version()} {
			if !strings.Contains(stdout, w) {
				t.Errorf("run(%s) = %q; want it to contain %q", arg, stdout, w)
			}
		}
	}
}

func TestShortDuration(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{24 * time.Hour, "24h"},
		{90 * time.Minute, "1h30m"},
		{2 * time.Second, "2s"},
		{1500 * time.Millisecond, "1.5s"},
		{time.Hour + time.Second, "1h0m1s"},
		{0, "0s"},
	}
	for _, tt := range tests {
		if got := shortDuration(tt.in); got != tt.want {
			t.Errorf("shortDuration(%v) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestConfigFileErrors(t *testing.T) {
	clearConfigEnv(t)
	missing := t.TempDir() + "/missing.creds"
	t.Setenv("TLBRIDGE_NATS_CREDS", missing)
	code, _, stderr := runCmd(t, context.Background(), "serve")
	want := "config: TLBRIDGE_NATS_CREDS: open " + missing + ": no such file or directory\n"
	if code != exitUsage || stderr != want {
		t.Errorf("run(serve) with a missing creds file = %d, %q; want %d, %q", code, stderr, exitUsage, want)
	}
}
