package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// process is a target running as a child process: the bridge or one of
// the reference programs. It serves /readyz and /metrics on httpAddr.
type process struct {
	name     string
	cmd      *exec.Cmd
	httpAddr string
	stderr   *tailBuffer
	exited   chan struct{} // closed when Wait returned
	waitErr  error         // set before exited is closed
}

// startProcess runs path with args and env (added to a copy of this
// process's environment without any TLBRIDGE_ variable, nor any that env
// sets).
func startProcess(name, path string, args, env []string, httpAddr string) (*process, error) {
	cmd := exec.Command(path, args...)
	cmd.Env = append(cleanEnv(env), env...)
	p := &process{name: name, cmd: cmd, httpAddr: httpAddr, stderr: &tailBuffer{max: 64 << 10}, exited: make(chan struct{})}
	cmd.Stdout = p.stderr
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

func cleanEnv(set []string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		overridden := slices.ContainsFunc(set, func(s string) bool { return strings.HasPrefix(s, k+"=") })
		if !overridden && !strings.HasPrefix(k, "TLBRIDGE_") {
			env = append(env, kv)
		}
	}
	return env
}

func (p *process) pid() int { return p.cmd.Process.Pid }

// awaitReady polls /readyz until it answers 200, the process exits or
// ctx ends.
func (p *process) awaitReady(ctx context.Context, client *http.Client) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		if p.ready(ctx, client) {
			return nil
		}
		select {
		case <-t.C:
		case <-p.exited:
			return fmt.Errorf("%w: %s exited: %v\n%s", errNotReady, p.name, p.waitErr, p.stderr)
		case <-ctx.Done():
			return fmt.Errorf("%w: %s: %v\n%s", errNotReady, p.name, ctx.Err(), p.stderr)
		}
	}
}

func (p *process) ready(ctx context.Context, client *http.Client) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+p.httpAddr+"/readyz", nil)
	if err != nil {
		return false
	}
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// stop sends SIGTERM and waits up to grace before killing the process.
func (p *process) stop(grace time.Duration) error {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		return p.waitErr
	case <-time.After(grace):
		_ = p.cmd.Process.Kill()
		<-p.exited
		return fmt.Errorf("%s: killed after %s", p.name, grace)
	}
}

// freeAddr returns a loopback address with a port free at the time of
// the call.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// tailBuffer keeps the last max bytes written, for error reports.
type tailBuffer struct {
	mu  sync.Mutex // guards buf
	max int
	buf []byte
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.max; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
