package retry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"
	"testing"
	"time"
)

func TestExp(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		n    int
		want time.Duration
	}{{-1, time.Second}, {0, time.Second}, {1, 2 * time.Second}, {3, 8 * time.Second}, {5, 30 * time.Second}, {1 << 20, 30 * time.Second}} {
		if got := Exp(time.Second, 30*time.Second, c.n); got != c.want {
			t.Errorf("Exp(1s, 30s, %d) = %s, want %s", c.n, got, c.want)
		}
	}
	if got := Exp(time.Minute, time.Second, 0); got != time.Second {
		t.Errorf("a first above the limit: %s", got)
	}
}

func TestEqualJitter(t *testing.T) {
	t.Parallel()
	seen := map[time.Duration]bool{}
	for range 1000 {
		d := EqualJitter(100 * time.Millisecond)
		if d < 50*time.Millisecond || d > 100*time.Millisecond {
			t.Fatalf("EqualJitter(100ms) = %s, outside [50ms, 100ms]", d)
		}
		seen[d] = true
	}
	if len(seen) < 100 {
		t.Errorf("%d distinct waits of 1000: not random", len(seen))
	}
	if EqualJitter(0) != 0 || EqualJitter(1) != 1 {
		t.Error("tiny durations change")
	}
}

func TestTransient(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		err  error
		want bool
	}{
		{io.EOF, true},
		{fmt.Errorf("reading: %w", syscall.ECONNRESET), true},
		{&net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, true},
		{context.DeadlineExceeded, true}, // a net.Error with Timeout()
		{errors.New("http: server closed idle connection"), true},
		{errors.New(`Get "https://x": http: server gave HTTP response to HTTPS client`), false},
		{errors.New("x509: certificate signed by unknown authority"), false},
		{context.Canceled, false},
	} {
		if got := Transient(c.err); got != c.want {
			t.Errorf("Transient(%v) = %v, want %v", c.err, got, c.want)
		}
	}
	for code, want := range map[int]bool{500: true, 502: true, 507: true, 599: true, 408: true, 429: true, 501: false, 505: false, 404: false, 200: false, 600: false} {
		if got := TransientStatus(code); got != want {
			t.Errorf("TransientStatus(%d) = %v, want %v", code, got, want)
		}
	}
}

func TestAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"0":               0,
		" 2 ":             2 * time.Second,
		"172800":          24 * time.Hour, // read as the limit
		"999999999999999": 24 * time.Hour,
		now.Add(90 * time.Second).Format(http.TimeFormat): 90 * time.Second,
		now.Add(-time.Hour).Format(http.TimeFormat):       0,
	} {
		if got, ok := After(v, now, 24*time.Hour); !ok || got != want {
			t.Errorf("After(%q) = %s, %v; want %s", v, got, ok, want)
		}
	}
	for _, v := range []string{"", "-1", "soon", "1.5"} {
		if got, ok := After(v, now, 24*time.Hour); ok {
			t.Errorf("After(%q) = %s, accepted", v, got)
		}
	}
}
