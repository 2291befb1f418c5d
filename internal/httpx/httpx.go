// Package httpx holds the HTTP plumbing a run shares between its GitHub and
// registry adapters: a client bounding the requests in flight, and a
// transport logging each request as a debug line.
package httpx

import (
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/ladder-release/ladder/internal/redact"
)

// MaxInFlight bounds the requests one run has in flight, over every host.
const MaxInFlight = 100

// NewClient returns the client a run shares between its adapters: enough
// idle connections per host that concurrent reads reuse them, and at most
// MaxInFlight requests under way at once.
func NewClient() *http.Client {
	t := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: MaxInFlight,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
		ForceAttemptHTTP2:   true,
	}
	return &http.Client{Transport: NewLimitTransport(t, MaxInFlight)}
}

// WithDebug returns a copy of c whose transport logs every request through
// debug (see DebugTransport).
func WithDebug(c *http.Client, debug func(format string, args ...any)) *http.Client {
	next := c.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	d := *c
	d.Transport = DebugTransport{Next: next, Debug: debug, Now: time.Now}
	return &d
}

// DebugTransport logs every request and its answer as a debug message
// (shown when the run has debug logging on, RUNNER_DEBUG=1): method, URL
// without its query, status and time. It sits beneath the retry policies, so
// each attempt is a line.
type DebugTransport struct {
	Next  http.RoundTripper
	Debug func(format string, args ...any)
	Now   func() time.Time
}

func (t DebugTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	start := t.Now()
	resp, err := t.Next.RoundTrip(req)
	took := t.Now().Sub(start).Round(time.Millisecond)
	if err != nil {
		t.Debug("%s %s: %v (%s)", req.Method, redact.RequestURL(req.URL), err, took)
	} else {
		t.Debug("%s %s: %s (%s)", req.Method, redact.RequestURL(req.URL), resp.Status, took)
	}
	return resp, err
}

// LimitTransport holds a slot from sending a request until its response body
// is closed or read to the end.
type LimitTransport struct {
	sem  chan struct{}
	next http.RoundTripper
}

// NewLimitTransport bounds next to n requests in flight.
func NewLimitTransport(next http.RoundTripper, n int) *LimitTransport {
	return &LimitTransport{sem: make(chan struct{}, n), next: next}
}

func (l *LimitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	select {
	case l.sem <- struct{}{}:
	case <-req.Context().Done():
		return nil, req.Context().Err()
	}
	resp, err := l.next.RoundTrip(req)
	if err != nil {
		<-l.sem
		return nil, err
	}
	resp.Body = &releaseBody{ReadCloser: resp.Body, release: func() { <-l.sem }}
	return resp, nil
}

type releaseBody struct {
	io.ReadCloser
	once    sync.Once
	release func()
}

func (b *releaseBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.once.Do(b.release)
	}
	return n, err
}

func (b *releaseBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.release)
	return err
}
