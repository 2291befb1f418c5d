// Package ghsim is a stateful simulator of the GitHub REST API, for tests,
// benchmarks and the in-process demo.
//
// It keeps repositories (commits, branches, lightweight and annotated tags,
// files, git trees and commits made through the git data API, check runs,
// commit statuses, received repository_dispatch events, deployments and
// their statuses),
// tokens and GitHub App installations, and answers the subset of the REST API
// ladder uses with the JSON shapes, status codes, error bodies
// ({"message": ..., "documentation_url": ...}), pagination (per_page, page,
// Link), rate-limit headers, the secondary limit on content creation (80
// writes a minute per token; secondary.go) and conditional requests (ETag,
// If-None-Match -> 304 not counted) GitHub uses. Tests script faults (a
// status, a dropped connection, a function run before the answer) with
// Inject.
//
// It also serves every repository's refs over git's smart HTTP protocol
// (v2 ls-refs, and v0's advertisement) at ServerURL, as GITHUB_SERVER_URL
// would; see git.go.
//
// A Server is safe for concurrent use. Seeding methods panic on programmer
// errors (an unknown repository or commit), as a test helper should.
//
// Access control: a Server to which no token and no App installation was ever
// added answers every request, authenticated or not, as if the caller were an
// admin of every repository. Once AddToken or AddInstallation has been called,
// every API request needs a known token; anything else is answered 401 "Bad
// credentials".
package ghsim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const (
	docsURL = "https://docs.github.com/rest"
	// maxBody bounds what the server reads of a request body.
	maxBody = 150 << 20
)

// Option configures a Server.
type Option func(*Server)

// WithPrefix serves the API under a GitHub Enterprise Server prefix such as
// "/api/v3". URL then ends with the prefix.
func WithPrefix(prefix string) Option {
	return func(s *Server) { s.prefix = "/" + strings.Trim(prefix, "/") }
}

// WithLatency adds d to the time every answer takes (benchmarks).
func WithLatency(d time.Duration) Option {
	return func(s *Server) { s.latency = d }
}

// WithSleep sets the function that waits out the latency set by WithLatency
// (default and nil: time.Sleep). Every answer, faults and dropped connections
// included, calls it once with that latency before anything is written or
// logged, so tests can record the waits or hold requests in flight.
func WithSleep(sleep func(time.Duration)) Option {
	return func(s *Server) { s.sleepFn = sleep }
}

// WithRateLimit sets how many counted requests each token may make per hour
// (GitHub's core limit; default 5000).
func WithRateLimit(n int) Option {
	return func(s *Server) { s.limit = n }
}

// WithNow sets the clock the simulator reads for rate-limit windows, token
// expiry and timestamps (default time.Now). Tests share it with a fake client
// clock so that waiting for a reset really opens a new window.
func WithNow(now func() time.Time) Option {
	return func(s *Server) { s.now = now }
}

// Server is the simulator. Create it with New or NewServer.
type Server struct {
	prefix    string
	latency   time.Duration
	sleepFn   func(time.Duration)
	limit     int
	secondary int // content-creating requests a minute per token; see secondary.go
	now       func() time.Time

	srv      *http.Server
	ln       net.Listener
	inFlight atomic.Int64
	maxIn    atomic.Int64
	reqID    atomic.Int64

	mu            sync.Mutex
	repos         map[string]*repo // key: lower-case owner/name
	nextID        int64
	seq           int64 // makes object ids unique and deterministic
	tokens        map[string]*identity
	apps          map[int64]*app
	installations map[int64]*installation
	enforce       bool
	rates         map[string]*rateWindow
	writes        map[string][]time.Time // per key: content-creating requests of the last minute
	faults        []*Fault
	log           []Request
	counts        map[string]int
}

// New returns a Server that is not yet listening; call Start.
func New(opts ...Option) *Server {
	s := &Server{
		limit:         5000,
		secondary:     DefaultSecondaryLimit,
		now:           time.Now,
		sleepFn:       time.Sleep,
		repos:         map[string]*repo{},
		tokens:        map[string]*identity{},
		apps:          map[int64]*app{},
		installations: map[int64]*installation{},
		rates:         map[string]*rateWindow{},
		writes:        map[string][]time.Time{},
		counts:        map[string]int{},
		nextID:        1000,
	}
	for _, o := range opts {
		o(s)
	}
	if s.prefix == "/" {
		s.prefix = ""
	}
	if s.sleepFn == nil {
		s.sleepFn = time.Sleep
	}
	return s
}

// TB is the part of testing.TB that NewServer uses.
type TB interface {
	Helper()
	Cleanup(func())
	Fatalf(format string, args ...any)
}

// NewServer returns a started Server that is closed when the test ends.
func NewServer(t TB, opts ...Option) *Server {
	t.Helper()
	s := New(opts...)
	if err := s.Start(); err != nil {
		t.Fatalf("starting GitHub simulator: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// Start listens on 127.0.0.1 on a free port and serves in the background.
func (s *Server) Start() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listening on 127.0.0.1: %w", err)
	}
	s.ln = ln
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go s.srv.Serve(ln) //nolint:errcheck // returns http.ErrServerClosed on Close
	return nil
}

// Close stops the server and drops every open connection.
func (s *Server) Close() {
	if s.srv != nil {
		s.srv.Close()
	}
}

// URL is the API base URL, as GITHUB_API_URL would hold it: no trailing
// slash, the prefix included (http://127.0.0.1:PORT/api/v3).
func (s *Server) URL() string {
	if s.ln == nil {
		panic("ghsim: URL called before Start")
	}
	return "http://" + s.ln.Addr().String() + s.prefix
}

// Request is one entry of the request log.
type Request struct {
	Method string
	Path   string // escaped path, without the prefix
	Query  string // raw query
	Route  string // e.g. "GET /repos/{owner}/{repo}/tags"; "" when no route matched
	// Git is true for git's smart HTTP (RouteGitInfoRefs, RouteGitUploadPack),
	// false for the REST API and raw downloads.
	Git    bool
	Status int // 0 for a dropped connection
	Time   time.Time
}

// Requests returns a copy of the request log, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.log...)
}

// Counts returns how many requests each route answered, keyed like
// Request.Route ("GET /repos/{owner}/{repo}/tags"); unmatched paths count
// under "".
func (s *Server) Counts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := make(map[string]int, len(s.counts))
	for k, v := range s.counts {
		m[k] = v
	}
	return m
}

// MaxInFlight is the highest number of requests served at once.
func (s *Server) MaxInFlight() int { return int(s.maxIn.Load()) }

// ResetStats clears the request log, the route counters and MaxInFlight
// (state, rate-limit windows and pending faults are kept).
func (s *Server) ResetStats() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = nil
	s.counts = map[string]int{}
	s.maxIn.Store(s.inFlight.Load())
}

// response is what a handler computes; ServeHTTP writes it.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r *response) setHeader(k, v string) {
	if r.header == nil {
		r.header = http.Header{}
	}
	r.header.Set(k, v)
}

func jsonResponse(status int, v any) *response {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return &response{status: status, body: b}
}

// apiError is GitHub's error body.
func apiError(status int, message string) *response {
	return jsonResponse(status, map[string]any{"message": message, "documentation_url": docsURL})
}

// validationError is GitHub's 422 Unprocessable Entity.
func validationError(message string) *response {
	return apiError(http.StatusUnprocessableEntity, message)
}

var (
	errNotFound  = func() *response { return apiError(http.StatusNotFound, "Not Found") }
	errForbidden = func() *response {
		return apiError(http.StatusForbidden, "Resource not accessible by integration")
	}
)

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	for {
		m := s.maxIn.Load()
		if n <= m || s.maxIn.CompareAndSwap(m, n) {
			break
		}
	}

	if strings.HasPrefix(r.URL.Path, "/raw/") {
		s.serveRaw(w, r)
		return
	}
	escaped := r.URL.EscapedPath()
	if route, fullName, ok := gitRoute(r.Method, escaped); ok { // git lives at the server's root, not under the API prefix
		body, err := gitBody(r)
		if err != nil {
			s.finish(w, r, escaped, route, gitText(http.StatusBadRequest, "ghsim: reading the request body: "+err.Error()))
			return
		}
		if _, answered := s.fault(w, r, escaped, route); answered {
			return
		}
		s.sleep()
		s.finish(w, r, escaped, route, s.handleGit(r, route, fullName, body))
		return
	}
	if s.prefix != "" {
		if escaped != s.prefix && !strings.HasPrefix(escaped, s.prefix+"/") {
			s.finish(w, r, escaped, "", apiError(http.StatusNotFound, "Not Found"))
			return
		}
		escaped = strings.TrimPrefix(escaped, s.prefix)
	}
	if escaped == "" {
		escaped = "/"
	}
	rt, params := match(r.Method, escaped)
	routeName := ""
	if rt != nil {
		routeName = rt.name
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		s.finish(w, r, escaped, routeName, apiError(http.StatusBadRequest, "Problems reading the request body"))
		return
	}

	stale, answered := s.fault(w, r, escaped, routeName)
	if answered {
		return
	}
	s.sleep()

	if rt == nil {
		s.finish(w, r, escaped, routeName, apiError(http.StatusNotFound, "Not Found"))
		return
	}
	c := &call{s: s, r: r, params: params, body: body, query: r.URL.Query(),
		api: "http://" + r.Host + s.prefix, host: "http://" + r.Host, stale: stale}
	s.finish(w, r, escaped, routeName, s.handle(c, rt))
}

// fault applies the first injected fault the request matches, if any: it
// reports whether the fault asks for a stale read, and whether it answered
// the request (a status or a dropped connection).
func (s *Server) fault(w http.ResponseWriter, r *http.Request, escaped, routeName string) (stale, answered bool) {
	f := s.takeFault(r.Method, escaped)
	if f == nil {
		return false, false
	}
	if f.Before != nil {
		f.Before()
	}
	if f.Drop {
		s.sleep()
		s.record(r, escaped, routeName, 0)
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return f.Stale, true
			}
		}
		panic(http.ErrAbortHandler)
	}
	if f.Status != 0 {
		s.sleep()
		s.finish(w, r, escaped, routeName, s.faultResponse(r, f))
		return f.Stale, true
	}
	return f.Stale, false
}

func (s *Server) sleep() {
	if s.latency > 0 {
		s.sleepFn(s.latency)
	}
}

// handle authenticates, applies the rate limit and conditional request
// rules, and runs the route's handler under the state lock.
func (s *Server) handle(c *call, rt *route) *response {
	s.mu.Lock()
	defer s.mu.Unlock()

	if rt.auth == authJWT {
		return rt.h(c)
	}
	key, resp := s.authenticate(c)
	if resp != nil {
		s.rateHeaders(resp, key)
		return resp
	}
	if rt.auth == authNone { // GET /rate_limit: never counted
		resp = rt.h(c)
		s.rateHeaders(resp, key)
		return resp
	}
	w := s.window(key)
	safe := c.r.Method == http.MethodGet || c.r.Method == http.MethodHead
	if safe {
		resp = rt.h(c)
		if resp.status == http.StatusOK {
			etag := resp.header.Get("ETag")
			if etag == "" {
				etag = `W/"` + hashHex(append([]byte(c.r.Header.Get("Accept")+"\x00"), resp.body...))[:40] + `"`
				resp.setHeader("ETag", etag)
			}
			if inm := c.r.Header.Get("If-None-Match"); inm != "" && etagMatch(inm, etag) {
				nm := &response{status: http.StatusNotModified}
				nm.setHeader("ETag", etag)
				s.rateHeaders(nm, key)
				return nm
			}
		}
	}
	if w.used >= s.limit {
		resp = jsonResponse(http.StatusForbidden, map[string]any{
			"message":           fmt.Sprintf("API rate limit exceeded for %s.", describeKey(key)),
			"documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
		})
		s.rateHeaders(resp, key)
		return resp
	}
	if !safe && contentCreating(rt) {
		if resp = s.secondaryLimit(key); resp != nil {
			s.rateHeaders(resp, key)
			return resp
		}
	}
	w.used++
	if !safe {
		resp = rt.h(c)
	}
	s.rateHeaders(resp, key)
	return resp
}

func describeKey(key string) string {
	if key == "" {
		return "127.0.0.1"
	}
	return "this token"
}

// etagMatch compares an If-None-Match list with an ETag, weakly, as GitHub does.
func etagMatch(inm, etag string) bool {
	norm := func(s string) string { return strings.TrimPrefix(strings.TrimSpace(s), "W/") }
	for _, cand := range strings.Split(inm, ",") {
		if c := strings.TrimSpace(cand); c == "*" || norm(c) == norm(etag) {
			return true
		}
	}
	return false
}

// finish writes resp with the headers GitHub puts on every answer and logs it.
func (s *Server) finish(w http.ResponseWriter, r *http.Request, path, route string, resp *response) {
	h := w.Header()
	for k, vs := range resp.header {
		h[k] = vs
	}
	if h.Get("Content-Type") == "" && len(resp.body) > 0 {
		h.Set("Content-Type", "application/json; charset=utf-8")
	}
	if !isGitRoute(route) {
		if h.Get("X-Ratelimit-Limit") == "" {
			s.mu.Lock()
			s.rateHeadersInto(h, "")
			s.mu.Unlock()
		}
		h.Set("X-GitHub-Api-Version-Selected", "2022-11-28")
		h.Set("X-GitHub-Media-Type", "github.v3; format=json")
	}
	if h.Get("X-GitHub-Request-Id") == "" { // a secondary-limit answer names its id in its message
		h.Set("X-GitHub-Request-Id", fmt.Sprintf("SIM:%d", s.reqID.Add(1)))
	}
	h.Set("Date", s.now().UTC().Format(http.TimeFormat))
	status := resp.status
	if status == 0 {
		status = http.StatusOK
	}
	s.record(r, path, route, status)
	if status == http.StatusNoContent || status == http.StatusNotModified {
		w.WriteHeader(status)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(resp.body)))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(resp.body) //nolint:errcheck // client went away
	}
}

func (s *Server) record(r *http.Request, path, route string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = append(s.log, Request{Method: r.Method, Path: path, Query: r.URL.RawQuery,
		Route: route, Git: isGitRoute(route), Status: status, Time: s.now()})
	s.counts[route]++
}

// serveRaw answers the download_url of a file (raw.githubusercontent.com's
// role): /raw/{owner}/{repo}/{commit}/{path}. Not authenticated, not counted.
func (s *Server) serveRaw(w http.ResponseWriter, r *http.Request) {
	parts := strings.SplitN(strings.TrimPrefix(r.URL.Path, "/raw/"), "/", 4)
	resp := &response{status: http.StatusNotFound, body: []byte("404: Not Found")}
	if len(parts) == 4 {
		s.mu.Lock()
		if rp := s.repos[strings.ToLower(parts[0]+"/"+parts[1])]; rp != nil {
			if cm := rp.commits[parts[2]]; cm != nil {
				if b, ok := cm.tree[parts[3]]; ok {
					resp = &response{status: http.StatusOK, body: bytes.Clone(rp.blobs[b])}
				}
			}
		}
		s.mu.Unlock()
	}
	resp.setHeader("Content-Type", "text/plain; charset=utf-8")
	s.finish(w, r, r.URL.EscapedPath(), "GET /raw", resp)
}
