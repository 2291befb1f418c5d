package clock

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"
)

var start = time.Date(2026, 11, 22, 1, 15, 0, 0, time.UTC)

func TestSystemSleep(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name string
		ctx  context.Context
		d    time.Duration
		want error
	}{
		{"a done context ends the wait", ctx, time.Hour, context.Canceled},
		{"zero does not wait", context.Background(), 0, nil},
		{"a short wait", context.Background(), time.Millisecond, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if err := System().Sleep(tc.ctx, tc.d); !errors.Is(err, tc.want) {
				t.Errorf("Sleep(%s) = %v, want %v", tc.d, err, tc.want)
			}
		})
	}
}

func TestFuncs(t *testing.T) {
	t.Parallel()
	var slept time.Duration
	c := Funcs{NowFunc: func() time.Time { return start }, SleepFunc: func(_ context.Context, d time.Duration) error { slept = d; return nil }}
	if !c.Now().Equal(start) {
		t.Errorf("Now = %v, want %v", c.Now(), start)
	}
	if err := c.Sleep(context.Background(), time.Minute); err != nil || slept != time.Minute {
		t.Errorf("Sleep: %v, slept %s", err, slept)
	}
	if now := (Funcs{}).Now(); now.Before(start.AddDate(-10, 0, 0)) || now.Location() != time.Local {
		t.Errorf("nil NowFunc: %v, want the system time", now)
	}
}

func TestFake(t *testing.T) {
	t.Parallel()
	f := NewFake(start)
	if err := f.Sleep(context.Background(), time.Minute); err != nil || !f.Now().Equal(start.Add(time.Minute)) {
		t.Fatal(err, f.Now())
	}
	f.Advance(time.Second)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := f.Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(f.Sleeps(), []time.Duration{time.Minute}) || !f.Now().Equal(start.Add(61*time.Second)) {
		t.Fatal(f.Sleeps(), f.Now())
	}
}
