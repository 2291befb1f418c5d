package ledger

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ladder-release/ladder/internal/gh"
	"github.com/ladder-release/ladder/internal/ghsim"
	"github.com/ladder-release/ladder/internal/ledger/ledgergen"
	"github.com/ladder-release/ladder/internal/ledger/record"
)

// SPEC section 9, the ledger at 100,000 bundles (state + history layout):
// a publish and a promotion into a ledger of 0, 1k, 10k and 100k bundles
// (ledgergen: every field build-bundle and promote-label write), each op a
// new store (a job that has not seen the ledger), through the simulator
// with 20 ms per request, and through a file ledger. Reported per op: wall
// time, bytes sent and received (request and response bodies), requests,
// and the op's peak heap (peakHeap: the most heap in use while the Update
// ran, above what was live before: for github it includes the simulator's
// work, which runs in the same process).
//
//	go test -run '^$' -bench 'Layout' -benchtime 20x ./internal/ledger/
var layoutSizes = []int{0, 1000, 10000, 100000}

var (
	genMu    sync.Mutex
	genCache = map[int]*record.Document{}
)

func layoutWhole(b *testing.B, n int) *record.Document {
	genMu.Lock()
	defer genMu.Unlock()
	if d, ok := genCache[n]; ok {
		return d
	}
	clear(genCache) // one size at a time
	d, err := ledgergen.Whole(n)
	if err != nil {
		b.Fatal(err)
	}
	genCache[n] = d
	return d
}

// counter counts requests and body bytes both ways.
type counter struct {
	next     http.RoundTripper
	requests atomic.Int64
	bytes    atomic.Int64
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (c countingBody) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func (c *counter) RoundTrip(r *http.Request) (*http.Response, error) {
	c.requests.Add(1)
	if r.ContentLength > 0 {
		c.bytes.Add(r.ContentLength)
	}
	resp, err := c.next.RoundTrip(r)
	if resp != nil {
		resp.Body = countingBody{resp.Body, &c.bytes}
	}
	return resp, err
}

func BenchmarkLayout(b *testing.B) {
	for _, n := range layoutSizes {
		for _, op := range []string{"publish", "promote"} {
			b.Run(fmt.Sprintf("github/%s/bundles=%d", op, n), func(b *testing.B) { benchLayoutGitHub(b, n, op) })
			b.Run(fmt.Sprintf("file/%s/bundles=%d", op, n), func(b *testing.B) { benchLayoutFile(b, n, op) })
		}
	}
}

// opFn is the op's write and the untimed write before it (a promotion
// needs a new head in its source to move to).
func opFn(op string, i int) (before, fn func(*record.Document) error) {
	if op == "publish" {
		return nil, ledgergen.Publish(i)
	}
	return ledgergen.Publish(i), ledgergen.Promote("beta", i)
}

func benchLayoutGitHub(b *testing.B, n int, op string) {
	srv := ghsim.NewServer(b, ghsim.WithRateLimit(1<<30), ghsim.WithLatency(20*time.Millisecond))
	srv.CreateRepo("acme/app")
	st, segs := ledgergen.Layout(layoutWhole(b, n), record.DefaultLimits)
	srv.Commit("acme/app", Branch, "create the ledger branch")
	for p, data := range ledgergen.Files(st, segs) {
		srv.PutFile("acme/app", Branch, p, data, "seed "+p)
	}
	cnt := &counter{next: http.DefaultTransport}
	gc, err := gh.New(gh.WithAPIURL(srv.URL()), gh.WithToken("t0ken"), gh.WithHTTPClient(&http.Client{Transport: cnt}))
	if err != nil {
		b.Fatal(err)
	}
	open := func() Store {
		s, err := GitHub(gc.REST(), "acme/app", "app")
		if err != nil {
			b.Fatal(err)
		}
		return s
	}
	runLayout(b, n, op, open, cnt)
}

func benchLayoutFile(b *testing.B, n int, op string) {
	path := filepath.Join(b.TempDir(), "ledger.json")
	st, segs := ledgergen.Layout(layoutWhole(b, n), record.DefaultLimits)
	if err := ledgergen.WriteFiles(path, st, segs); err != nil {
		b.Fatal(err)
	}
	open := func() Store {
		s, err := File(path, "app")
		if err != nil {
			b.Fatal(err)
		}
		return s
	}
	runLayout(b, n, op, open, nil)
}

func runLayout(b *testing.B, n int, op string, open func() Store, cnt *counter) {
	ctx := context.Background()
	var reqs, bytes int64
	var heap uint64
	var elapsed, compacting time.Duration
	var compactReqs, compactBytes int64
	for i := 0; i < b.N; i++ {
		k := n + i
		before, fn := opFn(op, k)
		if before != nil {
			s := open()
			if _, err := s.Update(ctx, Message{What: "publish"}, before); err != nil {
				b.Fatal(err)
			}
			compact(b, s)
		}
		s := open()
		if cnt != nil {
			cnt.requests.Store(0)
			cnt.bytes.Store(0)
		}
		var took time.Duration
		heap = max(heap, peakHeap(func() {
			start := time.Now()
			if _, err := s.Update(ctx, Message{What: op, Actor: "bench"}, fn); err != nil {
				b.Fatal(err)
			}
			took = time.Since(start)
		}))
		elapsed += took
		if cnt != nil {
			reqs += cnt.requests.Load()
			bytes += cnt.bytes.Load()
			cnt.requests.Store(0)
			cnt.bytes.Store(0)
		}
		// the history's move, which the actions run while they write the
		// registry's tags: counted in requests and bytes, timed apart
		start := time.Now()
		compact(b, s)
		compacting += time.Since(start)
		if cnt != nil {
			compactReqs += cnt.requests.Load()
			compactBytes += cnt.bytes.Load()
			reqs += cnt.requests.Load()
			bytes += cnt.bytes.Load()
		}
	}
	b.ReportMetric(float64(elapsed.Microseconds())/1e3/float64(b.N), "wall-ms/op")
	b.ReportMetric(float64(compacting.Microseconds())/1e3/float64(b.N), "compact-ms/op")
	if cnt != nil {
		b.ReportMetric(float64(reqs)/float64(b.N), "requests/op")
		b.ReportMetric(float64(compactReqs)/float64(b.N), "compact-req/op")
		b.ReportMetric(float64(bytes)/1e3/float64(b.N), "kB/op")
		b.ReportMetric(float64(compactBytes)/1e3/float64(b.N), "compact-kB/op")
	}
	b.ReportMetric(float64(heap)/1e6, "peak-heap-MB")
}

// compact runs the store's Compact, as the actions do after a write.
func compact(b *testing.B, s Store) {
	if c, ok := s.(interface{ Compact(context.Context) error }); ok {
		if err := c.Compact(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLayoutGraph100k: the upgrade graphs of the 100k ledger's streams
// (channel:dev holds 90,000 entries, label:beta 30,000 over every bundle).
//
//	go test -run '^$' -bench 'LayoutGraph|LayoutStatus' -benchtime 5x ./internal/ledger/
func BenchmarkLayoutGraph100k(b *testing.B) {
	d := layoutWhole(b, 100000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, s := range []string{record.ChannelStream("dev"), record.LabelStream("beta")} {
			if _, err := d.Graph(s); err != nil {
				b.Fatal(err)
			}
		}
	}
}
