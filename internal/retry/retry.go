// Package retry is the arithmetic that ladder's retry policies share (the
// waiting is internal/clock's). The policies themselves (what is retried,
// how often, what a server's Retry-After or rate-limit headers mean) stay
// with their adapters: GitHub (internal/gh), registries (internal/oci) and
// the ledger (internal/ledger) each have their own, as their servers differ.
package retry

import (
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Exp is first doubled n times, capped at limit (first when n <= 0).
func Exp(first, limit time.Duration, n int) time.Duration {
	d := first
	for i := 0; i < n && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

// EqualJitter is a random duration between half of d and d: clients that
// failed together spread out, and none retries at once.
func EqualJitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2+1)
}

// After reads a Retry-After header's value: delay-seconds (a number of
// seconds beyond limit reads as limit) or an HTTP date (the time from now
// until it; 0 when it is past). An empty, negative or unreadable value asks
// for no wait (false).
func After(v string, now time.Time, limit time.Duration) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		return time.Duration(min(n, int64(limit/time.Second))) * time.Second, true
	}
	when, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(when.Sub(now), 0), true
}

// Transient reports whether a request's error is worth a retry: a dropped,
// reset or refused connection, or a timeout. A TLS, URL or policy error is
// not: a retry would meet it again.
func Transient(err error) bool {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, net.ErrClosed) {
		return true
	}
	var op *net.OpError
	if errors.As(err, &op) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	// net/http reports some closes only as text.
	s := err.Error()
	return strings.Contains(s, "server closed") || strings.Contains(s, "connection reset") || strings.HasSuffix(s, "EOF")
}

// TransientStatus reports whether an HTTP status is worth a retry: a
// request timeout, too many requests, or a server error other than 501
// (not implemented) and 505 (HTTP version not supported).
func TransientStatus(code int) bool {
	switch {
	case code == http.StatusRequestTimeout, code == http.StatusTooManyRequests:
		return true
	case code == http.StatusNotImplemented, code == http.StatusHTTPVersionNotSupported:
		return false
	}
	return code >= 500 && code <= 599
}
