package gopool

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRunsEveryTask(t *testing.T) {
	p := New()
	var n atomic.Int64
	var wg sync.WaitGroup
	for range 1000 {
		wg.Add(1)
		p.Go(func() { n.Add(1); wg.Done() })
	}
	wg.Wait()
	p.Close()
	if n.Load() != 1000 {
		t.Fatalf("ran %d tasks, want 1000", n.Load())
	}
}

// A task given while a goroutine waits idle runs on that goroutine: its
// grown stack is what the pool is for.
func TestIdleGoroutineTakesTheNextTask(t *testing.T) {
	p := New()
	defer p.Close()
	idle := make(chan struct{}, 1)
	p.onIdle = func() { idle <- struct{}{} }
	const tasks = 20
	for range tasks {
		p.Go(func() {})
		<-idle // the goroutine waits for the next task now
	}
	if got := goroutinesOf(p); got != 1 {
		t.Fatalf("%d tasks one after another took %d goroutines, want 1", tasks, got)
	}
}

func TestBusyGoroutinesDoNotWaitForEachOther(t *testing.T) {
	p := New()
	defer p.Close()
	release := make(chan struct{})
	var started sync.WaitGroup
	for range 8 {
		started.Add(1)
		p.Go(func() { started.Done(); <-release })
	}
	// All eight block at once: each got a goroutine of its own.
	started.Wait()
	close(release)
}

func TestCloseWaitsForRunningTasks(t *testing.T) {
	p := New()
	release := make(chan struct{})
	var finished atomic.Bool
	running := make(chan struct{})
	p.Go(func() { close(running); <-release; finished.Store(true) })
	<-running
	closed := make(chan struct{})
	go func() { p.Close(); close(closed) }()
	select {
	case <-closed:
		t.Fatal("Close returned while a task ran")
	default:
	}
	close(release)
	<-closed
	if !finished.Load() {
		t.Fatal("Close returned before the task did")
	}
}

func TestGoAfterCloseStillRuns(t *testing.T) {
	p := New()
	p.Close()
	done := make(chan struct{})
	p.Go(func() { close(done) })
	<-done
	p.Close()
}

func TestIdleGoroutineExits(t *testing.T) {
	p := New(WithIdle(time.Millisecond))
	defer p.Close()
	done := make(chan struct{})
	p.Go(func() { close(done) })
	<-done
	// goleak at the end of the package would report a goroutine that
	// never left; here the pool's own count must reach zero.
	for goroutinesOf(p) != 0 {
		time.Sleep(time.Millisecond)
	}
}

func goroutinesOf(p *Pool) int64 { return p.live.Load() }
