package ledger_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ladder-release/ladder/internal/config"
	"github.com/ladder-release/ladder/internal/gh"
	"github.com/ladder-release/ladder/internal/ghsim"
	"github.com/ladder-release/ladder/internal/ledger"
	"github.com/ladder-release/ladder/internal/ledger/ledgergen"
	"github.com/ladder-release/ladder/internal/ledger/record"
	"github.com/ladder-release/ladder/internal/status"
)

// SPEC section 9, the ledger at 100,000 bundles (state + history layout):
// a publish and a promotion into a ledger of 0, 1k, 10k and 100k bundles
// (ledgergen: every field build-bundle and promote-label write), each op a
// new store (a job that has not seen the ledger), through the simulator
// with 20 ms per request, and through a file ledger. Reported per op: bytes
// sent and received (request and response bodies), requests, and the
// peak Go heap (runtime MemStats HeapSys after the op, the process's
// whole: for github the simulator, holding the ledger's every file, runs in
// the same process).
//
//	go test -run '^$' -bench 'Layout' -benchtime 20x ./internal/ledger/
var layoutSizes = []int{0, 1000, 10000, 100000}

var (
	genMu    sync.Mutex
	genCache = map[int]*record.Document{}
)

func whole(b *testing.B, n int) *record.Document {
	genMu.Lock()
	defer genMu.Unlock()
	if d, ok := genCache[n]; ok {
		return d
	}
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
	st, segs := ledgergen.Layout(whole(b, n), record.DefaultLimits)
	srv.Commit("acme/app", ledger.Branch, "create the ledger branch")
	for p, data := range ledgergen.Files(st, segs) {
		srv.PutFile("acme/app", ledger.Branch, p, data, "seed "+p)
	}
	cnt := &counter{next: http.DefaultTransport}
	gc, err := gh.New(gh.WithAPIURL(srv.URL()), gh.WithToken("t0ken"), gh.WithHTTPClient(&http.Client{Transport: cnt}))
	if err != nil {
		b.Fatal(err)
	}
	open := func() ledger.Store {
		s, err := ledger.GitHub(gc.REST(), "acme/app", "app")
		if err != nil {
			b.Fatal(err)
		}
		return s
	}
	runLayout(b, n, op, open, cnt)
}

func benchLayoutFile(b *testing.B, n int, op string) {
	path := filepath.Join(b.TempDir(), "ledger.json")
	st, segs := ledgergen.Layout(whole(b, n), record.DefaultLimits)
	if err := ledgergen.WriteFiles(path, st, segs); err != nil {
		b.Fatal(err)
	}
	open := func() ledger.Store {
		s, err := ledger.File(path, "app")
		if err != nil {
			b.Fatal(err)
		}
		return s
	}
	runLayout(b, n, op, open, nil)
}

func runLayout(b *testing.B, n int, op string, open func() ledger.Store, cnt *counter) {
	ctx := context.Background()
	var reqs, bytes int64
	var heap uint64
	var elapsed time.Duration
	for i := 0; i < b.N; i++ {
		k := n + i
		before, fn := opFn(op, k)
		if before != nil {
			if _, err := open().Update(ctx, ledger.Message{What: "publish"}, before); err != nil {
				b.Fatal(err)
			}
		}
		s := open()
		if cnt != nil {
			cnt.requests.Store(0)
			cnt.bytes.Store(0)
		}
		start := time.Now()
		if _, err := s.Update(ctx, ledger.Message{What: op, Actor: "bench"}, fn); err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(start)
		if cnt != nil {
			reqs += cnt.requests.Load()
			bytes += cnt.bytes.Load()
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		heap = max(heap, ms.HeapSys)
	}
	b.ReportMetric(float64(elapsed.Microseconds())/1e3/float64(b.N), "wall-ms/op")
	if cnt != nil {
		b.ReportMetric(float64(reqs)/float64(b.N), "requests/op")
		b.ReportMetric(float64(bytes)/1e3/float64(b.N), "kB/op")
	}
	b.ReportMetric(float64(heap)/1e6, "HeapSys-MB")
}

// BenchmarkLayoutGraph100k: the upgrade graphs of the 100k ledger's streams
// (channel:dev holds 90,000 entries, label:beta 30,000 over every bundle).
//
//	go test -run '^$' -bench 'LayoutGraph|LayoutStatus' -benchtime 5x ./internal/ledger/
func BenchmarkLayoutGraph100k(b *testing.B) {
	d := whole(b, 100000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, s := range []string{record.ChannelStream("dev"), record.LabelStream("beta")} {
			if _, err := d.Graph(s); err != nil {
				b.Fatal(err)
			}
		}
	}
}

const statusConfig = `product: app
registry: ghcr.io/acme/app
channels:
  - name: dev
  - name: stable
    version: {bump: minor}
labels:
  - name: beta
    from: dev
  - name: prod
    from: stable
`

// BenchmarkLayoutStatus100k: what `ladder status` does with a github
// ledger of 100k bundles, 20 ms per request: ReadAll (the state, then the
// branch's tarball) and status.Of (every stream's graph and history).
func BenchmarkLayoutStatus100k(b *testing.B) {
	srv := ghsim.NewServer(b, ghsim.WithRateLimit(1<<30), ghsim.WithLatency(20*time.Millisecond))
	srv.CreateRepo("acme/app")
	st, segs := ledgergen.Layout(whole(b, 100000), record.DefaultLimits)
	srv.Commit("acme/app", ledger.Branch, "create the ledger branch")
	for p, data := range ledgergen.Files(st, segs) {
		srv.PutFile("acme/app", ledger.Branch, p, data, "seed "+p)
	}
	cfg, err := config.Parse("ladder.yaml", []byte(statusConfig))
	if err != nil {
		b.Fatal(err)
	}
	cnt := &counter{next: http.DefaultTransport}
	gc, err := gh.New(gh.WithAPIURL(srv.URL()), gh.WithToken("t0ken"), gh.WithHTTPClient(&http.Client{Transport: cnt}))
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s, _ := ledger.GitHub(gc.REST(), "acme/app", "app")
		doc, err := s.ReadAll(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		if rep := status.Of(cfg, doc, time.Now()); rep.Bundles != 100000 {
			b.Fatalf("status counts %d bundles", rep.Bundles)
		}
	}
	b.ReportMetric(float64(cnt.requests.Load())/float64(b.N), "requests/op")
	b.ReportMetric(float64(cnt.bytes.Load())/1e6/float64(b.N), "MB/op")
}
