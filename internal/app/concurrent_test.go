package app

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
)

func TestEachConcurrently(t *testing.T) {
	var running, peak atomic.Int32
	release := make(chan struct{})
	started := make(chan struct{}, 10)
	done := make(chan error, 1)
	go func() {
		done <- eachConcurrently(context.Background(), 10, 3, func(i int) error {
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
			if i%4 == 1 {
				return fmt.Errorf("call %d", i)
			}
			return nil
		})
	}()
	for range 3 {
		<-started
	}
	close(release)
	err := <-done
	if p := peak.Load(); p != 3 {
		t.Errorf("at most %d at once, want 3", p)
	}
	if err == nil || err.Error() != "call 1\ncall 5\ncall 9" {
		t.Errorf("errors: %v, want calls 1, 5 and 9 in order", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var calls atomic.Int32
	err = eachConcurrently(ctx, 4, 1, func(int) error { calls.Add(1); return nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled context: %v", err)
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("%d calls started after the context was done", n)
	}
}
