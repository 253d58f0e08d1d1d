package publishtest

import (
	"strings"
	"sync"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Logger routes logs to t until the test's cleanups run, then
// drops them. nats.go calls connection handlers (closed, disconnected)
// from its own goroutine, possibly after the test ended, when t.Log is a
// data race.
func Logger(t *testing.T) *zap.Logger {
	w := &guardedTestWriter{t: t}
	t.Cleanup(w.stop)
	enc := zapcore.NewConsoleEncoder(zap.NewDevelopmentEncoderConfig())
	return zap.New(zapcore.NewCore(enc, zapcore.AddSync(w), zap.DebugLevel))
}

type guardedTestWriter struct {
	mu   sync.Mutex // guards done and the use of t
	t    *testing.T
	done bool
}

func (w *guardedTestWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimSuffix(string(p), "\n"))
	}
	return len(p), nil
}

func (w *guardedTestWriter) stop() {
	w.mu.Lock()
	w.done = true
	w.mu.Unlock()
}
