// Package regproxy is a reverse proxy for tests and benchmarks that sits in
// front of an OCI registry on 127.0.0.1: it counts requests (in total, by
// method and by kind of registry operation) and the bytes of blob bodies that
// cross it, adds latency on demand, and injects faults (5xx, 429 with
// Retry-After, dropped connections) with a seeded random source.
package regproxy

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ladder-release/ladder/internal/clock"
)

// Kind is the registry operation a request performs.
type Kind string

// The kinds of request the proxy tells apart.
const (
	Ping           Kind = "ping"            // GET /v2/
	ManifestGet    Kind = "manifest-get"    // GET /v2/<name>/manifests/<ref>
	ManifestHead   Kind = "manifest-head"   // HEAD /v2/<name>/manifests/<ref>
	ManifestPut    Kind = "manifest-put"    // PUT /v2/<name>/manifests/<ref>
	ManifestDelete Kind = "manifest-delete" // DELETE /v2/<name>/manifests/<ref>
	BlobGet        Kind = "blob-get"        // GET /v2/<name>/blobs/<digest>
	BlobHead       Kind = "blob-head"       // HEAD /v2/<name>/blobs/<digest>
	BlobDelete     Kind = "blob-delete"     // DELETE /v2/<name>/blobs/<digest>
	UploadPost     Kind = "upload-post"     // POST /v2/<name>/blobs/uploads/
	UploadPatch    Kind = "upload-patch"    // PATCH /v2/<name>/blobs/uploads/<id>
	UploadPut      Kind = "upload-put"      // PUT /v2/<name>/blobs/uploads/<id>?digest=
	UploadOther    Kind = "upload-other"    // GET (status) or DELETE (cancel) of an upload
	TagsList       Kind = "tags-list"       // GET /v2/<name>/tags/list
	Referrers      Kind = "referrers"       // GET /v2/<name>/referrers/<digest>
	Other          Kind = "other"           // anything else (catalog, token endpoints...)
)

// BlobKinds are the kinds that move or probe blobs: a retag must do none.
var BlobKinds = []Kind{BlobGet, BlobHead, BlobDelete, UploadPost, UploadPatch, UploadPut, UploadOther}

// The kinds of request on uploads, manifests and blobs, by method.
var (
	uploadKinds   = map[string]Kind{http.MethodPost: UploadPost, http.MethodPatch: UploadPatch, http.MethodPut: UploadPut}
	manifestKinds = map[string]Kind{http.MethodGet: ManifestGet, http.MethodHead: ManifestHead, http.MethodPut: ManifestPut, http.MethodDelete: ManifestDelete}
	blobKinds     = map[string]Kind{http.MethodGet: BlobGet, http.MethodHead: BlobHead, http.MethodDelete: BlobDelete}
)

// Classify names the registry operation of a request.
func Classify(method, path string) Kind {
	if path == "/v2/" || path == "/v2" {
		return Ping
	}
	if !strings.HasPrefix(path, "/v2/") {
		return Other
	}
	byMethod, otherwise := map[string]Kind(nil), Other
	switch {
	case strings.Contains(path, "/blobs/uploads"):
		byMethod, otherwise = uploadKinds, UploadOther
	case strings.Contains(path, "/manifests/"):
		byMethod = manifestKinds
	case strings.Contains(path, "/blobs/"):
		byMethod = blobKinds
	case strings.HasSuffix(path, "/tags/list"):
		return TagsList
	case strings.Contains(path, "/referrers/"):
		return Referrers
	}
	if k, ok := byMethod[method]; ok {
		return k
	}
	return otherwise
}

// Fault is one kind of injected failure.
type Fault string

// The faults the proxy can inject. All but DropAfterForward answer without
// forwarding the request, so the registry never sees it.
const (
	Fault500         Fault = "500"
	Fault502         Fault = "502"
	Fault503         Fault = "503"
	Fault429         Fault = "429"        // with Retry-After: 1
	FaultDrop        Fault = "drop"       // hijack the connection and close it: the client reads EOF
	FaultReset       Fault = "reset"      // hijack the connection and reset it (RST): connection reset by peer
	DropAfterForward Fault = "drop-after" // forward, then close the connection instead of answering
)

// AllFaults is the default set of faults: every kind but DropAfterForward.
var AllFaults = []Fault{Fault500, Fault502, Fault503, Fault429, FaultDrop, FaultReset}

// Faults configures fault injection.
type Faults struct {
	Rate  float64 // fraction of requests (0..1) answered with a fault
	Kinds []Fault // chosen uniformly; default AllFaults
	Seed  int64   // seed of the random source
	// MaxConsecutive, if > 0, lets a request through after that many faults in
	// a row on the same method and URL, so that a client with enough retries
	// always completes. 0 means no limit. Identical requests in flight at
	// once (two POSTs opening uploads) share one count.
	MaxConsecutive int
	// Match, if set, restricts faults to the requests it accepts.
	Match func(*http.Request) bool
}

// Stats is a snapshot of the counters.
type Stats struct {
	Total         int
	ByMethod      map[string]int
	ByKind        map[Kind]int
	Faults        map[Fault]int // injected faults by kind
	BlobBytesUp   int64         // bytes of blob upload request bodies forwarded
	BlobBytesDown int64         // bytes of blob response bodies returned
}

// Blob is the number of blob requests of any kind (BlobKinds).
func (s Stats) Blob() int {
	n := 0
	for _, k := range BlobKinds {
		n += s.ByKind[k]
	}
	return n
}

// FaultTotal is the number of injected faults.
func (s Stats) FaultTotal() int {
	n := 0
	for _, v := range s.Faults {
		n += v
	}
	return n
}

// String is a one-line summary, sorted, for test logs.
func (s Stats) String() string {
	var parts []string
	for k, v := range s.ByKind {
		parts = append(parts, fmt.Sprintf("%s=%d", k, v))
	}
	sort.Strings(parts)
	var faults []string
	for k, v := range s.Faults {
		faults = append(faults, fmt.Sprintf("%s=%d", k, v))
	}
	sort.Strings(faults)
	return fmt.Sprintf("total=%d %s blob-bytes-up=%d blob-bytes-down=%d faults[%s]",
		s.Total, strings.Join(parts, " "), s.BlobBytesUp, s.BlobBytesDown, strings.Join(faults, " "))
}

// Proxy is a counting, fault-injecting reverse proxy in front of one registry.
type Proxy struct {
	srv      *httptest.Server
	rp       *httputil.ReverseProxy
	upstream string

	latency   atomic.Int64 // nanoseconds per request
	sleep     atomic.Pointer[func(context.Context, time.Duration) bool]
	intercept atomic.Pointer[func(http.ResponseWriter, *http.Request) bool]

	mu       sync.Mutex
	stats    Stats
	log      []string
	faults   Faults
	rng      *rand.Rand
	inARow   map[string]int
	spans    []span // each request's arrival and answer (RoundTrips)
	gen      int    // bumped by Reset: answers of earlier requests are not recorded
	bytesUp  atomic.Int64
	bytesDwn atomic.Int64
}

// Start starts a proxy on 127.0.0.1 in front of the registry at upstream
// (host:port, plain http). It is closed when the test ends.
func Start(t testing.TB, upstream string) *Proxy {
	t.Helper()
	p := New(upstream)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("regproxy: listening on 127.0.0.1: %v", err)
	}
	p.srv = httptest.NewUnstartedServer(p)
	p.srv.Listener.Close()
	p.srv.Listener = ln
	p.srv.Start()
	t.Cleanup(p.Close)
	return p
}

// New returns an unstarted proxy handler for upstream (host:port); Start is
// the usual way in. It serves HTTP/1.1 (dropped connections need Hijack).
func New(upstream string) *Proxy {
	target := &url.URL{Scheme: "http", Host: upstream}
	p := &Proxy{upstream: upstream, rng: rand.New(rand.NewSource(1)), inARow: map[string]int{}}
	p.resetLocked()
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			// Keep the client's Host, so the upload locations the registry
			// builds from it point back through the proxy.
			pr.Out.Host = pr.In.Host
		},
		ModifyResponse: func(resp *http.Response) error {
			if resp.Request != nil && resp.Request.Method == http.MethodGet && Classify(resp.Request.Method, resp.Request.URL.Path) == BlobGet {
				resp.Body = &countingReader{r: resp.Body, n: &p.bytesDwn}
			}
			return nil
		},
		ErrorLog: nil,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if r.Context().Err() != nil {
				return
			}
			http.Error(w, "regproxy: upstream: "+err.Error(), http.StatusBadGateway)
		},
	}
	return p
}

// Host is the proxy's host:port, to use in references instead of the registry's.
func (p *Proxy) Host() string { return p.srv.Listener.Addr().String() }

// Upstream is the registry's host:port.
func (p *Proxy) Upstream() string { return p.upstream }

// Close stops the proxy.
func (p *Proxy) Close() {
	if p.srv != nil {
		p.srv.CloseClientConnections()
		p.srv.Close()
	}
}

// SetLatency adds d before every request is handled (0 turns it off).
func (p *Proxy) SetLatency(d time.Duration) { p.latency.Store(int64(d)) }

// SetSleep replaces how the latency is waited out (nil restores the timer):
// f is called with the request's context and the latency before the request
// is handled, and returns false to drop the request (its context is done).
// Tests use it to record the waits instead of taking them.
func (p *Proxy) SetSleep(f func(ctx context.Context, d time.Duration) bool) {
	if f == nil {
		p.sleep.Store(nil)
		return
	}
	p.sleep.Store(&f)
}

// SetFaults replaces the fault configuration and reseeds the random source
// (a zero Faults turns injection off).
func (p *Proxy) SetFaults(f Faults) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(f.Kinds) == 0 {
		f.Kinds = AllFaults
	}
	p.faults = f
	p.rng = rand.New(rand.NewSource(f.Seed))
	p.inARow = map[string]int{}
}

// SetIntercept installs a handler that sees every request (after it is
// counted, before faults and forwarding) and answers it itself by returning
// true: a way to play a registry that lacks a feature. nil removes it.
func (p *Proxy) SetIntercept(f func(w http.ResponseWriter, r *http.Request) bool) {
	if f == nil {
		p.intercept.Store(nil)
		return
	}
	p.intercept.Store(&f)
}

// Stats returns a snapshot of the counters.
func (p *Proxy) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := Stats{
		Total:         p.stats.Total,
		ByMethod:      map[string]int{},
		ByKind:        map[Kind]int{},
		Faults:        map[Fault]int{},
		BlobBytesUp:   p.bytesUp.Load(),
		BlobBytesDown: p.bytesDwn.Load(),
	}
	for k, v := range p.stats.ByMethod {
		s.ByMethod[k] = v
	}
	for k, v := range p.stats.ByKind {
		s.ByKind[k] = v
	}
	for k, v := range p.stats.Faults {
		s.Faults[k] = v
	}
	return s
}

// Requests returns "METHOD path" for every request since the last Reset, in
// arrival order (faulted ones marked), for test failure messages.
func (p *Proxy) Requests() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.log...)
}

// Reset zeroes the counters and the request log.
func (p *Proxy) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.resetLocked()
}

func (p *Proxy) resetLocked() {
	p.stats = Stats{ByMethod: map[string]int{}, ByKind: map[Kind]int{}, Faults: map[Fault]int{}}
	p.log = nil
	p.spans = nil
	p.gen++
	p.bytesUp.Store(0)
	p.bytesDwn.Store(0)
}

// ServeHTTP counts the request, waits the configured latency, maybe injects a
// fault, and otherwise forwards it.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	kind := Classify(r.Method, r.URL.Path)
	fault := p.record(r, kind)
	defer p.begin(kind)()

	if d := time.Duration(p.latency.Load()); d > 0 {
		wait := sleep
		if f := p.sleep.Load(); f != nil {
			wait = *f
		}
		if !wait(r.Context(), d) {
			return
		}
	}
	if f := p.intercept.Load(); f != nil && (*f)(w, r) {
		return
	}
	switch kind {
	case UploadPatch, UploadPut, UploadPost:
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = &countingReader{r: r.Body, n: &p.bytesUp}
		}
	}

	switch fault {
	case "":
		p.rp.ServeHTTP(w, r)
	case Fault429:
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusTooManyRequests, "TOOMANYREQUESTS", "regproxy: injected 429")
	case Fault500, Fault502, Fault503:
		status := map[Fault]int{Fault500: 500, Fault502: 502, Fault503: 503}[fault]
		writeError(w, status, "UNKNOWN", "regproxy: injected "+string(fault))
	case FaultDrop:
		drop(w, false)
	case FaultReset:
		drop(w, true)
	case DropAfterForward:
		p.rp.ServeHTTP(&discardWriter{h: http.Header{}}, r)
		drop(w, false)
	}
}

// record counts the request and decides its fault.
func (p *Proxy) record(r *http.Request, kind Kind) Fault {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stats.Total++
	p.stats.ByMethod[r.Method]++
	p.stats.ByKind[kind]++

	var fault Fault
	f := p.faults
	if f.Rate > 0 && (f.Match == nil || f.Match(r)) {
		key := r.Method + " " + r.URL.RequestURI()
		if p.rng.Float64() < f.Rate && (f.MaxConsecutive <= 0 || p.inARow[key] < f.MaxConsecutive) {
			fault = f.Kinds[p.rng.Intn(len(f.Kinds))]
			p.inARow[key]++
			p.stats.Faults[fault]++
		} else {
			delete(p.inARow, key)
		}
	}
	line := r.Method + " " + r.URL.Path
	if fault != "" {
		line += " [fault " + string(fault) + "]"
	}
	p.log = append(p.log, line)
	return fault
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"errors":[{"code":%q,"message":%q}]}`+"\n", code, msg)
}

func drop(w http.ResponseWriter, reset bool) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler) // HTTP/2: abort the stream instead
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok && reset {
		_ = tc.SetLinger(0) // close with RST, as a crashed middlebox would
	}
	_ = conn.Close()
}

// sleep waits d (> 0) unless ctx is done first: then it returns false.
func sleep(ctx context.Context, d time.Duration) bool {
	return clock.System().Sleep(ctx, d) == nil
}

type countingReader struct {
	r io.ReadCloser
	n *atomic.Int64
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n.Add(int64(n))
	return n, err
}

func (c *countingReader) Close() error { return c.r.Close() }

type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}

// Send sends one bare request to a registry (or to a Proxy), with body and
// its content type if given, and returns the answer with its body read and
// closed: how a test pokes a registry below any client.
func Send(tb testing.TB, method, url string, body []byte, contentType string) *http.Response {
	tb.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, url, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}
