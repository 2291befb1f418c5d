package ledger_test

import (
	"context"
	"net/http"
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

const statusConfig = `version: 1
product: app
registry: ghcr.io/acme/app
components:
  a: {repo: acme/a}
channels:
  dev:
    track: {branch: main}
    version: {prerelease: dev}
  stable:
    track: {branch: main}
    version: {bump: minor}
labels:
  beta:
    from: dev
  prod:
    from: stable
`

// BenchmarkLayoutStatus100k: what `ladder status` does with a github
// ledger of 100k bundles, 20 ms per request: ReadAll (the state, then the
// branch's tarball) and status.Of (every stream's graph and history).
func BenchmarkLayoutStatus100k(b *testing.B) {
	srv := ghsim.NewServer(b, ghsim.WithRateLimit(1<<30), ghsim.WithLatency(20*time.Millisecond))
	srv.CreateRepo("acme/app")
	w, err := ledgergen.Whole(100000)
	if err != nil {
		b.Fatal(err)
	}
	st, segs := ledgergen.Layout(w, record.DefaultLimits)
	srv.Commit("acme/app", ledger.Branch, "create the ledger branch")
	for p, data := range ledgergen.Files(st, segs) {
		srv.PutFile("acme/app", ledger.Branch, p, data, "seed "+p)
	}
	cfg, err := config.Parse("ladder.yaml", []byte(statusConfig))
	if err != nil {
		b.Fatal(err)
	}
	gc, err := gh.New(gh.WithAPIURL(srv.URL()), gh.WithToken("t0ken"), gh.WithHTTPClient(&http.Client{}))
	if err != nil {
		b.Fatal(err)
	}
	srv.ResetStats()
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
	b.ReportMetric(float64(len(srv.Requests()))/float64(b.N), "requests/op")
}
