package bench

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ladder-release/ladder/internal/ghsim"
	"github.com/ladder-release/ladder/internal/testutil/registry"
	"github.com/ladder-release/ladder/internal/testutil/regproxy"
)

// BenchmarkResolveChannel is resolve-channel at scale (SPEC section 9: 50
// components of 500 tags; issue 13: 200 components of 2,000 tags): every
// component a `repo:` of the GitHub simulator with a semver policy, 20 ms
// added to every GitHub (REST and git) and registry request, resolve-channel
// run as the ladder binary the way a runner runs it (`dry-run`, `ledger:
// none`). Reported per resolve: `max-req/component` (the most requests one
// repository got, git and REST together), `REST-req` and `git-req` (in all),
// `max-in-flight` (the simulator's highest concurrent count) and
// `round-trips` (wall time of the process / 20 ms), and `cpu-ms/resolve`
// (the ladder process's user and system time). The simulator serves the
// API and git at one URL (GITHUB_API_URL = GITHUB_SERVER_URL), so the same
// benchmark measures a ladder that lists tags through either.
func BenchmarkResolveChannel(b *testing.B) {
	for _, size := range []struct{ n, m int }{{50, 500}, {200, 2000}} {
		b.Run(fmt.Sprintf("%dx%d", size.n, size.m), func(b *testing.B) { benchResolve(b, size.n, size.m) })
	}
}

func benchResolve(b *testing.B, n, m int) {
	bin := ladderBinary(b)
	latency := Latency
	if os.Getenv("BENCH_NO_LATENCY") != "" {
		latency = 0
	}
	gh := ghsim.NewServer(b, ghsim.WithLatency(latency), ghsim.WithRateLimit(10_000_000))
	proxy := regproxy.Start(b, registry.InProcess(b))
	proxy.SetLatency(latency)
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "version: 1\nproduct: big\nregistry: %s/acme/big\nledger: none\ncomponents:\n", proxy.Host())
	for i := 0; i < n; i++ {
		repo := fmt.Sprintf("acme/c%03d", i)
		gh.CreateRepo(repo)
		sha := gh.Commit(repo, "main", "one")
		for j := 0; j < m; j++ {
			gh.Tag(repo, fmt.Sprintf("v1.%d.%d", j/100, j%100), sha)
		}
		fmt.Fprintf(&cfg, "  c%03d: {repo: %s}\n", i, repo)
	}
	cfg.WriteString("channels:\n  staging:\n    track: {semver: \">=1.0.0\"}\n")
	w := newWorkspace(b, cfg.String())
	env := map[string]string{"GITHUB_API_URL": gh.URL(), "GITHUB_SERVER_URL": gh.URL()}
	inputs := map[string]string{"channel": "staging", "dry-run": "true", "token": "ghs_bench"}
	wantVersion := fmt.Sprintf("v1.%d.%d", (m-1)/100, (m-1)%100)

	var wall, cpu time.Duration
	perRepo := map[string]int{}
	var rest, git, inFlight int
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		gh.ResetStats()
		start := time.Now()
		outs, c, err := runLadderCPU(bin, w, "resolve-channel", inputs, env)
		wall += time.Since(start)
		cpu += c
		if err != nil {
			b.Fatal(err)
		}
		if !strings.Contains(outs["versions"], fmt.Sprintf(`"c%03d":"%s"`, n-1, strings.TrimPrefix(wantVersion, "v"))) {
			b.Fatalf("versions = %s, want c%03d at %s", outs["versions"], n-1, wantVersion)
		}
		for _, r := range gh.Requests() {
			parts := strings.Split(strings.TrimPrefix(r.Path, "/"), "/")
			switch {
			case len(parts) >= 3 && strings.HasSuffix(parts[1], ".git"):
				git++
				perRepo[parts[0]+"/"+strings.TrimSuffix(parts[1], ".git")]++
			case len(parts) >= 3 && parts[0] == "repos":
				rest++
				perRepo[parts[1]+"/"+parts[2]]++
			default:
				rest++
			}
		}
		inFlight = max(inFlight, gh.MaxInFlight())
	}
	b.StopTimer()
	maxPer := 0
	for _, v := range perRepo {
		maxPer = max(maxPer, v)
	}
	b.ReportMetric(float64(maxPer)/float64(b.N), "max-req/component")
	b.ReportMetric(float64(rest)/float64(b.N), "REST-req")
	b.ReportMetric(float64(git)/float64(b.N), "git-req")
	b.ReportMetric(float64(inFlight), "max-in-flight")
	b.ReportMetric(float64(wall)/float64(b.N)/float64(Latency), "round-trips")
	b.ReportMetric(float64(wall.Milliseconds())/float64(b.N), "ms/resolve")
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/resolve")
}
