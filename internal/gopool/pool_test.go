package gopool

import (
	"runtime"
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

// A task given while a goroutine waits for one runs on that goroutine:
// its grown stack is what the pool is for.
func TestWaitingGoroutineTakesTheNextTask(t *testing.T) {
	p := New()
	defer p.Close()
	const tasks = 20
	for range tasks {
		done := make(chan struct{})
		p.Go(func() { close(done) })
		<-done
		awaitWaiting(t, p)
	}
	if got := goroutinesOf(p); got != 1 {
		t.Fatalf("%d tasks one after another took %d goroutines, want 1", tasks, got)
	}
}

// awaitWaiting returns once every goroutine of p waits for a task.
func awaitWaiting(t *testing.T, p *Pool) {
	t.Helper()
	for {
		p.mu.Lock()
		idle := int64(len(p.ready))
		p.mu.Unlock()
		if idle == goroutinesOf(p) {
			return
		}
		runtime.Gosched()
	}
}

// After a burst, a steady trickle of tasks keeps one goroutine: the one
// idle last takes each task, and the others exit.
func TestTrickleAfterBurstKeepsOneGoroutine(t *testing.T) {
	p := New(WithIdle(20 * time.Millisecond))
	defer p.Close()
	const burst = 8
	release := make(chan struct{})
	var started sync.WaitGroup
	for range burst {
		started.Add(1)
		p.Go(func() { started.Done(); <-release })
	}
	started.Wait()
	close(release)
	awaitWaiting(t, p)
	deadline := time.Now().Add(10 * time.Second)
	for goroutinesOf(p) > 1 {
		if time.Now().After(deadline) {
			t.Fatalf("a trickle of tasks keeps %d goroutines of a burst of %d alive", goroutinesOf(p), burst)
		}
		done := make(chan struct{})
		p.Go(func() { close(done) })
		<-done
		awaitWaiting(t, p)
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
