package fanout

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"
	"testing"
)

// TestEach: at most limit calls run at once; the first error
// cancels the calls running, the calls not started never start, and it is
// the error returned.
func TestEach(t *testing.T) {
	t.Run("the bound holds", func(t *testing.T) {
		var running, peak, calls atomic.Int32
		release := make(chan struct{})
		started := make(chan struct{}, 10)
		done := make(chan error, 1)
		go func() {
			done <- Each(context.Background(), 10, 3, func(ctx context.Context, i int) error {
				calls.Add(1)
				n := running.Add(1)
				for {
					p := peak.Load()
					if n <= p || peak.CompareAndSwap(p, n) {
						break
					}
				}
				started <- struct{}{}
				<-release
				running.Add(-1)
				return nil
			})
		}()
		for range 3 {
			<-started
		}
		// Give calls beyond the bound every chance to start (an unbounded
		// fan-out has them all runnable by now), then release them all. A
		// correct bound passes whatever the schedule.
		for i := 0; i < 1000 && running.Load() <= 3; i++ {
			runtime.Gosched()
		}
		close(release)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if p := peak.Load(); p != 3 {
			t.Errorf("at most %d at once, want 3", p)
		}
		if n := calls.Load(); n != 10 {
			t.Errorf("%d calls, want 10", n)
		}
	})

	t.Run("the first error cancels the rest", func(t *testing.T) {
		boom := errors.New("boom")
		var calls, cancelled atomic.Int32
		started := make(chan struct{}, 10)
		err := Each(context.Background(), 10, 3, func(ctx context.Context, i int) error {
			calls.Add(1)
			if i == 0 {
				<-started // calls 1 and 2 are running
				<-started
				return boom
			}
			started <- struct{}{}
			<-ctx.Done() // only a cancellation ends calls 1 and 2
			cancelled.Add(1)
			return ctx.Err()
		})
		if !errors.Is(err, boom) {
			t.Errorf("error %v, want the first one (boom)", err)
		}
		if n := cancelled.Load(); n != 2 {
			t.Errorf("%d running calls saw their context cancelled, want 2", n)
		}
		if n := calls.Load(); n != 3 {
			t.Errorf("%d calls started, want 3: none after the first error", n)
		}
	})

	t.Run("a context done before", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		var calls atomic.Int32
		err := Each(ctx, 4, 1, func(context.Context, int) error { calls.Add(1); return nil })
		if !errors.Is(err, context.Canceled) {
			t.Errorf("a cancelled context: %v", err)
		}
		if n := calls.Load(); n != 0 {
			t.Errorf("%d calls started after the context was done", n)
		}
	})
}
