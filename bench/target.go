package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// target is one column of the table: a program that takes watch requests
// on the intake subject and publishes to the event stream.
type target struct {
	Name string // column header
	Kind string // kindBridge, kindRelay or kindPoll1s
	Bin  string // the tlbridge binary (kindBridge only)
}

const kindBridge = "tlbridge"

// streamed says which Assemblies serve their update stream: the relay
// reads only streams and the polling loop never opens one; the bridge
// follows --mode (mixed: every other Assembly refuses its stream, so the
// bridge polls it).
func (t target) streamed(mode string) func(int) bool {
	switch {
	case t.Kind == kindRelay:
		return func(int) bool { return true }
	case t.Kind == kindPoll1s || mode == modePoll:
		return func(int) bool { return false }
	case mode == modeMixed:
		return func(i int) bool { return i%2 == 0 }
	default:
		return func(int) bool { return true }
	}
}

// start runs the target against the phase's NATS server and load source.
// certFile, when set, is the PEM file of the load source's certificate:
// every target trusts it through SSL_CERT_FILE, as a deployment trusts a
// private CA, with no setting of its own.
func (t target) start(o options, natsURL, loadURL, certFile, dataDir string) (*process, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	var env []string
	if certFile != "" {
		env = append(env, "SSL_CERT_FILE="+certFile)
	}
	if t.Kind != kindBridge {
		self, err := os.Executable()
		if err != nil {
			return nil, err
		}
		args := []string{"baseline", "--kind", t.Kind, "--nats", natsURL, "--http", addr}
		return startProcess(t.Name, self, args, env, addr)
	}
	env = append(env,
		"TLBRIDGE_NATS_URL="+natsURL,
		"TLBRIDGE_API_BASE="+loadURL,
		"TLBRIDGE_ALLOWED_HOSTS=127.0.0.1",
		// The load source listens on a port of its own: the allow list
		// admits a port only on a loopback host it names while ALLOW_HTTP
		// is set. With --tls every URL is https all the same.
		"TLBRIDGE_ALLOW_HTTP=true",
		"TLBRIDGE_HTTP_ADDR="+addr,
		"TLBRIDGE_MAX_WATCHES="+strconv.Itoa(max(o.Watches, 10000)),
		"TLBRIDGE_DISABLE_STREAM="+strconv.FormatBool(o.Mode == modePoll),
		"TLBRIDGE_INSTANCE=bench",
		"TLBRIDGE_LOG_LEVEL=warn",
		"TLBRIDGE_DATA_DIR="+filepath.Join(dataDir, "tlbridge"),
	)
	env = append(env, o.BridgeEnv...)
	return startProcess(t.Name, t.Bin, []string{"serve"}, env, addr)
}

func (t target) String() string {
	if t.Kind == kindBridge {
		return fmt.Sprintf("%s (%s)", t.Name, t.Bin)
	}
	return t.Name
}
