package app

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ladder-release/ladder/internal/action/actiontest"
	"github.com/ladder-release/ladder/internal/ghsim"
	"github.com/ladder-release/ladder/internal/testutil/registry"
	"github.com/ladder-release/ladder/internal/testutil/regproxy"
)

// scaleWorld is SPEC section 9's resolve-channel case: N components of M
// tags each in the simulator, a registry behind a proxy, both adding latency.
type scaleWorld struct {
	gh    *ghsim.Server
	proxy *regproxy.Proxy
	ws    string
	n, m  int
}

func newScaleWorld(tb testing.TB, n, m int, latency time.Duration) *scaleWorld {
	tb.Helper()
	s := &scaleWorld{n: n, m: m, ws: tb.TempDir()}
	s.gh = ghsim.NewServer(tb, ghsim.WithLatency(latency), ghsim.WithRateLimit(1_000_000))
	s.proxy = regproxy.Start(tb, registry.InProcess(tb))
	s.proxy.SetLatency(latency)
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "version: 1\nproduct: big\nregistry: %s/acme/big\nledger: none\ncomponents:\n", s.proxy.Host())
	for i := 0; i < n; i++ {
		repo := fmt.Sprintf("acme/c%02d", i)
		s.gh.CreateRepo(repo)
		sha := s.gh.Commit(repo, "main", "one")
		for j := 0; j < m; j++ {
			s.gh.Tag(repo, fmt.Sprintf("v1.%d.%d", j/10, j%10), sha)
		}
		fmt.Fprintf(&cfg, "  c%02d: {repo: %s}\n", i, repo)
	}
	cfg.WriteString("channels:\n  staging:\n    track: {semver: \">=1.0.0\"}\n")
	p := filepath.Join(s.ws, ".github", "ladder.yaml")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(cfg.String()), 0o644); err != nil {
		tb.Fatal(err)
	}
	return s
}

func (s *scaleWorld) resolve(tb testing.TB) {
	env := map[string]string{"GITHUB_API_URL": s.gh.URL(), "GITHUB_TOKEN": actiontest.Token}
	var out, errb bytes.Buffer
	code := Main(context.Background(), []string{"resolve-channel", "--channel", "staging", "--dry-run", "--config", filepath.Join(s.ws, ".github", "ladder.yaml")},
		Deps{Getenv: func(k string) string { return env[k] }, Stdout: &out, Stderr: &errb})
	if code != 0 {
		tb.Fatalf("resolve-channel exited %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "c49") && s.n == 50 {
		tb.Fatalf("output lacks the last component:\n%s", out.String())
	}
}

// githubRequestsPerRepo counts the simulator's requests by repository.
func (s *scaleWorld) githubRequestsPerRepo() map[string]int {
	per := map[string]int{}
	for _, r := range s.gh.Requests() {
		parts := strings.Split(strings.TrimPrefix(r.Path, "/"), "/")
		if len(parts) >= 3 && parts[0] == "repos" {
			per[parts[1]+"/"+parts[2]]++
		}
	}
	return per
}

// TestResolveRequestBudget holds resolve-channel to SPEC section 9's request
// budget: at most ceil(tags/100)+1 requests per component (no request per
// tag), and at most 100 requests in flight. Counts, not timings.
func TestResolveRequestBudget(t *testing.T) {
	s := newScaleWorld(t, 50, 500, 2*time.Millisecond)
	s.resolve(t)
	budget := int(math.Ceil(float64(s.m)/100)) + 1
	per := s.githubRequestsPerRepo()
	if len(per) != s.n {
		t.Fatalf("requests touched %d repositories, want %d", len(per), s.n)
	}
	for repo, n := range per {
		if n > budget {
			t.Errorf("%s: %d requests, budget %d", repo, n, budget)
		}
	}
	if m := s.gh.MaxInFlight(); m > 100 {
		t.Errorf("%d requests in flight at once, at most 100 allowed", m)
	}
	if m := s.gh.MaxInFlight(); m < 2 {
		t.Errorf("at most %d request in flight: components are not read concurrently", m)
	}
}

// BenchmarkResolve50x500 is SPEC section 9's resolve-channel figure: 50
// components with 500 tags each, 20 ms added to every GitHub and registry
// request. It reports requests per component, the most requests in flight,
// and wall time in round trips (goal: under 10).
func BenchmarkResolve50x500(b *testing.B) {
	const latency = 20 * time.Millisecond
	s := newScaleWorld(b, 50, 500, latency)
	b.ResetTimer()
	var total time.Duration
	for i := 0; i < b.N; i++ {
		s.gh.ResetStats()
		start := time.Now()
		s.resolve(b)
		total += time.Since(start)
	}
	b.StopTimer()
	per := s.githubRequestsPerRepo()
	maxPer := 0
	for _, n := range per {
		maxPer = max(maxPer, n)
	}
	b.ReportMetric(float64(maxPer), "max-req/component")
	b.ReportMetric(float64(s.gh.MaxInFlight()), "max-in-flight")
	b.ReportMetric(float64(total)/float64(b.N)/float64(latency), "round-trips")
}
