// Package clock is ladder's one time source: the GitHub and registry
// adapters and the ledger read the time and wait through a Clock, so that
// tests can give them a Fake and assert every wait without waiting.
package clock

import (
	"context"
	"sync"
	"time"
)

// Clock reads the time and waits.
type Clock interface {
	Now() time.Time
	// Sleep waits for d, or until ctx is done (then it returns ctx.Err()).
	// A d <= 0 does not wait.
	Sleep(ctx context.Context, d time.Duration) error
}

// System returns the real clock.
func System() Clock { return Funcs{} }

// Funcs is a Clock made of two functions: a nil NowFunc reads the system
// time, a nil SleepFunc waits for real. (The app builds its clock from its
// Deps this way; a test can steer one half and keep the other.)
type Funcs struct {
	NowFunc   func() time.Time
	SleepFunc func(ctx context.Context, d time.Duration) error
}

// Now returns NowFunc(), or the system time.
func (f Funcs) Now() time.Time {
	if f.NowFunc != nil {
		return f.NowFunc()
	}
	return time.Now()
}

// Sleep calls SleepFunc, or waits for d (or until ctx is done).
func (f Funcs) Sleep(ctx context.Context, d time.Duration) error {
	if f.SleepFunc != nil {
		return f.SleepFunc(ctx, d)
	}
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Fake is a Clock for tests: Sleep returns at once, records the duration
// asked for and advances Now by it.
type Fake struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

// NewFake returns a Fake reading start.
func NewFake(start time.Time) *Fake { return &Fake{now: start} }

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// Sleep records d and advances the clock by it; it returns ctx.Err() when
// ctx is already done (then nothing is recorded).
func (f *Fake) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sleeps = append(f.sleeps, d)
	if d > 0 {
		f.now = f.now.Add(d)
	}
	return nil
}

// Advance moves the clock forward without recording a sleep.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}

// Sleeps returns every duration Sleep was asked for, in order.
func (f *Fake) Sleeps() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.sleeps...)
}
