package oci

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ladder-release/ladder/internal/clock"
)

// scripted answers each request with the next status of a script (then 200).
type scripted struct {
	mu      sync.Mutex
	script  []func(w http.ResponseWriter)
	bodies  []string
	headers []http.Header
}

func (s *scripted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.bodies = append(s.bodies, string(b))
	s.headers = append(s.headers, r.Header.Clone())
	var next func(http.ResponseWriter)
	if len(s.script) > 0 {
		next, s.script = s.script[0], s.script[1:]
	}
	s.mu.Unlock()
	if next != nil {
		next(w)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func status(code int, header ...string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(code)
		io.WriteString(w, `{"errors":[{"code":"X","message":"scripted `+http.StatusText(code)+`"}]}`)
	}
}

// recorder is a clock that records the waits instead of waiting; its time
// is now when set, else the system's.
type recorder struct {
	mu    sync.Mutex
	waits []time.Duration
	now   time.Time
}

func (r *recorder) Now() time.Time {
	if r.now.IsZero() {
		return time.Now()
	}
	return r.now
}

func (r *recorder) Sleep(ctx context.Context, d time.Duration) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.waits = append(r.waits, d)
	return ctx.Err()
}

// Waits returns the waits recorded so far.
func (r *recorder) Waits() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.waits)
}

func newTestTransport(t *testing.T, s *scripted, opts ...Option) (http.RoundTripper, *recorder, string) {
	t.Helper()
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	rec := &recorder{}
	c, err := New(append([]Option{WithInsecure(), WithClock(rec)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c.rt, rec, srv.URL
}

func TestRetryAfterSecondsAndDate(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 22, 1, 15, 0, 0, time.UTC)
	s := &scripted{script: []func(http.ResponseWriter){
		status(429, "Retry-After", "3"),
		status(503, "Retry-After", now.Add(7*time.Second).Format(http.TimeFormat)),
		status(502),
	}}
	rt, rec, u := newTestTransport(t, s)
	rec.now = now
	req, _ := http.NewRequest(http.MethodGet, u+"/v2/", nil)
	resp, err := rt.RoundTrip(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("%v, %v", resp, err)
	}
	resp.Body.Close()
	if len(rec.waits) != 3 || rec.waits[0] != 3*time.Second || rec.waits[1] != 7*time.Second {
		t.Fatalf("waits %v", rec.waits)
	}
	// The third is backoff: base × 2² scaled into [0.5, 1).
	if w := rec.waits[2]; w < time.Second || w >= 2*time.Second {
		t.Errorf("backoff after the third failure: %s", w)
	}
}

func TestRetryAfterTooLong(t *testing.T) {
	t.Parallel()
	s := &scripted{script: []func(http.ResponseWriter){status(429, "Retry-After", "3600")}}
	rt, rec, u := newTestTransport(t, s)
	req, _ := http.NewRequest(http.MethodGet, u+"/v2/x/tags/list", nil)
	_, err := rt.RoundTrip(req)
	if err == nil || !strings.Contains(err.Error(), "retry after 1h0m0s") || !strings.Contains(err.Error(), "GET "+u+"/v2/x/tags/list: 429") {
		t.Fatalf("error %v", err)
	}
	if len(rec.waits) != 0 {
		t.Errorf("waited %v", rec.waits)
	}
}

func TestRetryReplaysBodies(t *testing.T) {
	t.Parallel()
	s := &scripted{script: []func(http.ResponseWriter){status(500), status(503)}}
	rt, _, u := newTestTransport(t, s)
	req, _ := http.NewRequest(http.MethodPut, u+"/v2/x/manifests/1.0.0", strings.NewReader("manifest bytes"))
	resp, err := rt.RoundTrip(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("%v, %v", resp, err)
	}
	resp.Body.Close()
	if len(s.bodies) != 3 || s.bodies[0] != "manifest bytes" || s.bodies[2] != "manifest bytes" {
		t.Errorf("bodies %q", s.bodies)
	}
}

func TestRetryOnlyWhatIsSafe(t *testing.T) {
	t.Parallel()
	// A PATCH (chunk upload) is never retried: its status comes back as is.
	s := &scripted{script: []func(http.ResponseWriter){status(503)}}
	rt, rec, u := newTestTransport(t, s)
	req, _ := http.NewRequest(http.MethodPatch, u+"/v2/x/blobs/uploads/1", strings.NewReader("chunk"))
	resp, err := rt.RoundTrip(req)
	if err != nil || resp.StatusCode != 503 || len(rec.waits) != 0 {
		t.Fatalf("PATCH: %v, %v, waits %v", resp, err, rec.waits)
	}
	resp.Body.Close()

	// A body that cannot be replayed is not retried either; a dropped
	// connection says which request failed and why it was not retried.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
	}))
	defer srv.Close()
	req, _ = http.NewRequest(http.MethodPut, srv.URL+"/v2/x/blobs/uploads/1", io.NopCloser(strings.NewReader("stream")))
	_, err = rt.RoundTrip(req)
	if err == nil || !strings.Contains(err.Error(), "PUT "+srv.URL+"/v2/x/blobs/uploads/1") || !strings.Contains(err.Error(), "not retried: its body cannot be replayed") {
		t.Fatalf("error %v", err)
	}
	if len(rec.waits) != 0 {
		t.Errorf("waits %v", rec.waits)
	}
}

func TestRetryGivesUp(t *testing.T) {
	t.Parallel()
	s := &scripted{script: []func(http.ResponseWriter){status(500), status(500), status(500), status(500)}}
	rt, rec, u := newTestTransport(t, s, WithRetries(2))
	req, _ := http.NewRequest(http.MethodHead, u+"/v2/x/blobs/sha256:00?secret=1", nil)
	_, err := rt.RoundTrip(req)
	if err == nil || !strings.Contains(err.Error(), "HEAD "+u+"/v2/x/blobs/sha256:00: 500 Internal Server Error") ||
		!strings.Contains(err.Error(), "gave up after 3 attempts") || strings.Contains(err.Error(), "secret") {
		t.Fatalf("error %v", err)
	}
	if len(rec.waits) != 2 {
		t.Errorf("waits %v", rec.waits)
	}
}

func TestRetryStopsWithContext(t *testing.T) {
	t.Parallel()
	s := &scripted{script: []func(http.ResponseWriter){status(503), status(503)}}
	srv := httptest.NewServer(s)
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	c, err := New(WithInsecure(), WithClock(clock.Funcs{SleepFunc: func(ctx context.Context, d time.Duration) error { cancel(); return ctx.Err() }}))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/v2/", nil)
	_, err = c.rt.RoundTrip(req)
	if !errors.Is(err, context.Canceled) && (err == nil || !strings.Contains(err.Error(), "context canceled")) {
		t.Fatalf("error %v", err)
	}
}

func TestPlainHTTPNeedsInsecure(t *testing.T) {
	t.Parallel()
	s := &scripted{}
	srv := httptest.NewServer(s)
	defer srv.Close()
	c, err := New(WithClock(&recorder{}), WithAuth("u", "p"))
	if err != nil {
		t.Fatal(err)
	}
	host := strings.TrimPrefix(srv.URL, "http://")
	_, err = c.Tags(context.Background(), host+"/acme/x")
	if err == nil || !strings.Contains(err.Error(), "not made WithInsecure") {
		t.Fatalf("error %v", err)
	}
	req, _ := http.NewRequest(http.MethodGet, "http://registry.example.com/v2/", nil)
	if _, err := c.rt.RoundTrip(req); err == nil || !strings.Contains(err.Error(), "only loopback") {
		t.Fatalf("error %v", err)
	}
	if len(s.bodies) != 0 {
		t.Errorf("%d requests reached the server", len(s.bodies))
	}
}

func TestUserAgent(t *testing.T) {
	t.Parallel()
	// The ping (/v2/) and then the tag list, both answered 200.
	s := &scripted{script: []func(http.ResponseWriter){
		func(w http.ResponseWriter) { w.WriteHeader(http.StatusOK) },
		func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"name":"acme/x","tags":["1.0.0"]}`)
		},
	}}
	c, err := New(WithInsecure(), WithUserAgent("ladder/1.2.3"), WithAuth("u", "p"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	defer srv.Close()
	tags, err := c.Tags(context.Background(), strings.TrimPrefix(srv.URL, "http://")+"/acme/x")
	if err != nil || len(tags) != 1 || tags[0] != "1.0.0" {
		t.Fatalf("Tags = %v, %v; want [1.0.0]", tags, err)
	}
	if len(s.headers) != 2 {
		t.Fatalf("%d requests, want the ping and the tag list", len(s.headers))
	}
	for _, h := range s.headers {
		if !strings.HasPrefix(h.Get("User-Agent"), "ladder/1.2.3") {
			t.Errorf("User-Agent %q", h.Get("User-Agent"))
		}
	}
}

func TestOptionsAreValidated(t *testing.T) {
	t.Parallel()
	for _, o := range []Option{
		WithAuth("", "p"), WithAuth("u", ""), WithRetries(-1), WithRetries(101), WithUserAgent(""),
		WithUserAgent("a\nb"), WithClock(nil), WithBaseTransport(nil), nil,
	} {
		if _, err := New(o); err == nil {
			t.Errorf("an invalid option was accepted")
		}
	}
	if _, err := New(WithRetries(0), WithAuth("u", "p"), WithInsecure(), WithReferrersTagFallback()); err != nil {
		t.Fatal(err)
	}
}

func TestRetryAfterParsing(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rt := &retryTransport{clock: clock.Funcs{NowFunc: func() time.Time { return now }}}
	for v, want := range map[string]time.Duration{
		"0":  0,
		"1":  time.Second,
		" 2": 2 * time.Second,
		now.Add(90 * time.Second).Format(http.TimeFormat): 90 * time.Second,
		now.Add(-time.Hour).Format(http.TimeFormat):       0,
	} {
		got, ok := rt.retryAfter(&http.Response{Header: http.Header{"Retry-After": {v}}})
		if !ok || got != want {
			t.Errorf("Retry-After %q: %s, %v; want %s", v, got, ok, want)
		}
	}
	for _, v := range []string{"", "-1", "soon"} {
		if _, ok := rt.retryAfter(&http.Response{Header: http.Header{"Retry-After": {v}}}); ok {
			t.Errorf("Retry-After %q accepted", v)
		}
	}
}

// TestRetryEveryServerError: SPEC section 7 retries 5xx: every server error
// but 501 and 505 (which a retry would meet again) is retried, as 408 and 429 are.
func TestRetryEveryServerError(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		code  int
		retry bool
	}{{500, true}, {507, true}, {520, true}, {599, true}, {408, true}, {429, true}, {501, false}, {505, false}, {404, false}, {409, false}} {
		s := &scripted{script: []func(http.ResponseWriter){status(c.code)}}
		rt, rec, u := newTestTransport(t, s)
		req, _ := http.NewRequest(http.MethodGet, u+"/v2/x/tags/list", nil)
		resp, err := rt.RoundTrip(req)
		if err != nil {
			t.Fatalf("%d: %v", c.code, err)
		}
		resp.Body.Close()
		if got := len(rec.waits) == 1 && resp.StatusCode == http.StatusOK; got != c.retry {
			t.Errorf("%d: retried %v (waits %v, final status %d), want %v", c.code, got, rec.waits, resp.StatusCode, c.retry)
		}
	}
}

// TestRetryRefusedConnection: a registry that refuses connections (it is
// restarting) is asked again, and the retries are counted.
func TestRetryRefusedConnection(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	rec := &recorder{}
	c, err := New(WithInsecure(), WithClock(rec), WithRetries(2))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/v2/", nil)
	if _, err := c.rt.RoundTrip(req); err == nil {
		t.Fatal("no error from a closed port")
	}
	if len(rec.waits) != 2 {
		t.Errorf("%d waits, want 2 (a refused connection is retried)", len(rec.waits))
	}
}
