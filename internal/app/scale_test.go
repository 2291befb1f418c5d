package app

import (
	"bytes"
	"context"
	"fmt"
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
	// components is the config up to its channels.
	components string
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
	s.components = cfg.String()
	s.setTrack(tb, `{semver: ">=1.0.0"}`)
	return s
}

// setTrack writes the config with channel staging tracking track.
func (s *scaleWorld) setTrack(tb testing.TB, track string) {
	tb.Helper()
	writeFile(tb, s.ws, ".github/ladder.yaml", s.components+"channels:\n  staging:\n    track: "+track+"\n")
}

func (s *scaleWorld) resolve(tb testing.TB) {
	env := map[string]string{"GITHUB_API_URL": s.gh.URL(), "GITHUB_SERVER_URL": s.gh.ServerURL(), "GITHUB_TOKEN": actiontest.Token}
	var out, errb bytes.Buffer
	code := Main(context.Background(), []string{"resolve-channel", "--channel", "staging", "--dry-run", "--config", filepath.Join(s.ws, ".github", "ladder.yaml")},
		Deps{Getenv: func(k string) string { return env[k] }, Stdout: &out, Stderr: &errb})
	if code != 0 {
		tb.Fatalf("resolve-channel exited %d: %s", code, errb.String())
	}
	if last := fmt.Sprintf("c%02d", s.n-1); !strings.Contains(out.String(), last) {
		tb.Fatalf("output lacks the last component %s:\n%s", last, out.String())
	}
}

// requestsPerRepo counts the simulator's requests by repository: git's
// smart HTTP (/{owner}/{repo}.git/...) and REST (/repos/{owner}/{repo}/...)
// apart.
func (s *scaleWorld) requestsPerRepo() (git, rest map[string]int) {
	git, rest = map[string]int{}, map[string]int{}
	for _, r := range s.gh.Requests() {
		parts := strings.Split(strings.TrimPrefix(r.Path, "/"), "/")
		switch {
		case r.Git:
			git[parts[0]+"/"+strings.TrimSuffix(parts[1], ".git")]++
		case len(parts) >= 3 && parts[0] == "repos":
			rest[parts[1]+"/"+parts[2]]++
		default:
			rest[""]++
		}
	}
	return git, rest
}

// TestResolveRequestBudget holds resolve-channel to the request budget of
// issue 13 (SPEC section 9 asks for at most ceil(tags/100)+1): a `repo:`
// component with a branch or semver policy is listed over git's smart HTTP
// in at most 2 requests whatever its number of tags, with no REST request at
// all, and at most 100 requests are in flight. Counts, not timings.
func TestResolveRequestBudget(t *testing.T) {
	for _, c := range []struct {
		name  string
		track string
	}{
		{"semver", `{semver: ">=1.0.0"}`},
		{"branch", `{branch: main}`},
		{"tag pin", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := newScaleWorld(t, 50, 500, 2*time.Millisecond)
			if c.track == "" { // every component pinned to a tag of its own
				pins := make([]string, s.n)
				for i := range pins {
					pins[i] = fmt.Sprintf("c%02d: v1.%d.%d", i, i/10, i%10)
				}
				c.track = "{pin: {" + strings.Join(pins, ", ") + "}}"
			}
			s.setTrack(t, c.track)
			s.resolve(t)
			git, rest := s.requestsPerRepo()
			if len(rest) != 0 {
				t.Errorf("REST requests %v, want none", rest)
			}
			if len(git) != s.n {
				t.Fatalf("git requests touched %d repositories, want %d", len(git), s.n)
			}
			for repo, n := range git {
				if n > 2 {
					t.Errorf("%s: %d requests, budget 2", repo, n)
				}
			}
			if m := s.gh.MaxInFlight(); m > 100 {
				t.Errorf("%d requests in flight at once, at most 100 allowed", m)
			}
			if m := s.gh.MaxInFlight(); m < 2 {
				t.Errorf("at most %d request in flight: components are not read concurrently", m)
			}
		})
	}
}

// BenchmarkResolve50x500 is SPEC section 9's resolve-channel figure: 50
// components with 500 tags each, 20 ms added to every GitHub and registry
// request. BenchmarkResolve200x2000 is issue 13's: 200 components with
// 2,000 tags each. Both report the most requests per component, REST
// requests in all, the most requests in flight, and wall time in round trips
// (goal: under 10).
func BenchmarkResolve50x500(b *testing.B)   { benchmarkResolve(b, 50, 500) }
func BenchmarkResolve200x2000(b *testing.B) { benchmarkResolve(b, 200, 2000) }

func benchmarkResolve(b *testing.B, n, m int) {
	const latency = 20 * time.Millisecond
	s := newScaleWorld(b, n, m, latency)
	b.ResetTimer()
	var total time.Duration
	for i := 0; i < b.N; i++ {
		s.gh.ResetStats()
		start := time.Now()
		s.resolve(b)
		total += time.Since(start)
	}
	b.StopTimer()
	git, rest := s.requestsPerRepo()
	maxPer, restN := 0, 0
	for _, n := range git {
		maxPer = max(maxPer, n)
	}
	for repo, n := range rest {
		if repo != "" {
			maxPer = max(maxPer, n+git[repo])
		}
		restN += n
	}
	b.ReportMetric(float64(maxPer), "max-req/component")
	b.ReportMetric(float64(restN), "REST-req")
	b.ReportMetric(float64(s.gh.MaxInFlight()), "max-in-flight")
	b.ReportMetric(float64(total)/float64(b.N)/float64(latency), "round-trips")
}
