package app

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ladder-release/ladder/internal/action/actiontest"
	"github.com/ladder-release/ladder/internal/ghsim"
	"github.com/ladder-release/ladder/internal/ledger"
	"github.com/ladder-release/ladder/internal/ledger/ledgergen"
	"github.com/ladder-release/ladder/internal/ledger/record"
	"github.com/ladder-release/ladder/internal/lock"
	"github.com/ladder-release/ladder/internal/testutil/registry"
	"github.com/ladder-release/ladder/internal/testutil/regproxy"
)

// BenchmarkPublishLedger is SPEC section 9's ledger figure, end to end: one
// build-bundle publish (ledger: github through the simulator's contents API,
// the registry behind a proxy, 20 ms added to every GitHub and registry
// request) into an empty ledger and into one holding 10,000 bundles. It
// reports ms per publish and the peak resident memory of the publishing
// process (the ladder binary, run as a workflow runs it): VmHWM of its own
// address space. (Not getrusage's ru_maxrss: Linux folds the parent's
// high-water mark into a vfork'd child's at exec, and this benchmark's parent
// holds the simulator.)
func BenchmarkPublishLedger(b *testing.B) {
	for _, kind := range []string{"github", "file"} {
		for _, n := range []int{0, 1000, 10000, 100000} {
			b.Run(fmt.Sprintf("%s/bundles=%d", kind, n), func(b *testing.B) { benchPublishLedger(b, kind, n) })
		}
	}
}

// benchPublishLedger is BenchmarkPublishLedger into a ledger of kind github
// or file holding n bundles.
func benchPublishLedger(b *testing.B, kind string, n int) {
	product, channel, rule := "rel", "main", "{bump: patch}"
	if n == 100000 {
		// the generator's ledger, in the state + history layout: a
		// publish into its channel dev, after its newest bundle
		product, channel, rule = ledgergen.Product, "dev", "{prerelease: dev}"
	}
	const latency = 20 * time.Millisecond
	gh := ghsim.NewServer(b, ghsim.WithLatency(latency), ghsim.WithRateLimit(1<<30), ghsim.WithSecondaryLimit(0))
	gh.CreateRepo("acme/rel")
	gh.CreateRepo("acme/app")
	proxy := regproxy.Start(b, registry.InProcess(b))
	proxy.SetLatency(latency)
	ws := b.TempDir()
	cfg := fmt.Sprintf("version: 1\nproduct: %s\nregistry: %s/acme/rel\ncomponents:\n  app: {repo: acme/app}\nchannels:\n  %s:\n    track: {branch: main}\n    version: %s\nlabels:\n  next: {from: %s}\n", product, proxy.Host(), channel, rule, channel)
	if kind == "file" {
		cfg += "ledger: file:ledger.json\n"
	}
	// seed writes the ledger's files: on the simulator's ledger
	// branch, or next to the config
	seed := func(files map[string][]byte) {
		for p, data := range files {
			if kind == "file" {
				if err := os.WriteFile(filepath.Join(ws, strings.Replace(p, product, "ledger", 1)), data, 0o644); err != nil {
					b.Fatal(err)
				}
				continue
			}
			gh.PutFile("acme/rel", "ladder-ledger", p, data, "seed "+p)
		}
	}
	os.MkdirAll(filepath.Join(ws, ".github"), 0o755)
	os.WriteFile(filepath.Join(ws, ".github", "ladder.yaml"), []byte(cfg), 0o644)
	switch {
	case n == 100000:
		// every field build-bundle and promote-label write (channels dev
		// and stable, labels beta and prod, retention, quarantines,
		// holds)
		w, err := ledgergen.Whole(n)
		if err != nil {
			b.Fatal(err)
		}
		st, segs := ledgergen.Layout(w, record.DefaultLimits)
		if kind == "file" {
			if err := ledgergen.WriteFiles(filepath.Join(ws, "ledger.json"), st, segs); err != nil {
				b.Fatal(err)
			}
		} else {
			seed(ledgergen.Files(st, segs))
		}
	case n > 0:
		doc := ledger.NewDocument("rel")
		for i := 0; i < n; i++ {
			v := fmt.Sprintf("0.%d.%d", i/1000, i%1000)
			d := fmt.Sprintf("sha256:%064x", i+1)
			if err := doc.AddBundle(ledger.Bundle{Version: v, Digest: d, LockDigest: fmt.Sprintf("sha256:%064x", 1<<40+i), Channel: "main", Created: now}); err != nil {
				b.Fatal(err)
			}
			if err := doc.Append(ledger.ChannelStream("main"), ledger.Entry{Version: v, Digest: d, At: now, Decision: "published"}); err != nil {
				b.Fatal(err)
			}
		}
		seed(map[string][]byte{"rel.json": doc.Marshal()})
	}
	env := map[string]string{
		"GITHUB_API_URL": gh.URL(), "GITHUB_REPOSITORY": "acme/rel", "GITHUB_WORKSPACE": ws,
		"GITHUB_ACTOR": "bench", "GITHUB_RUN_ID": "1", "GITHUB_SHA": strings.Repeat("e", 40),
		"GITHUB_TOKEN": actiontest.Token,
	}
	bin := ladderBinary(b)
	var maxRSS int64
	// runLadder runs the binary as a workflow step does, keeping the
	// peak resident memory of its runs in maxRSS
	runLadder := func(args ...string) (string, error) {
		cmd := exec.Command(bin, args...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + ws}
		for k, v := range env {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		hwm := watchHWM(cmd.Process.Pid)
		err := cmd.Wait()
		maxRSS = max(maxRSS, hwm())
		return out.String(), err
	}
	publish := func(i int) {
		l := lock.Lock{Schema: lock.Schema, Product: product, Channel: channel, Created: now, Components: []lock.Entry{
			{Name: "app", Repo: "acme/app", Ref: "refs/heads/main", Version: "main", Commit: gh.Commit("acme/app", "main", fmt.Sprintf("app: change %d", i+1))}}}
		name := fmt.Sprintf("lock-%d.json", i+1)
		os.WriteFile(filepath.Join(ws, name), l.JSON(), 0o644)
		if out, err := runLadder("build-bundle", "--channel", channel, "--lock-file", name); err != nil || !strings.Contains(out, "published=true") {
			b.Fatalf("publish %d: %v\n%s", i, err, out)
		}
	}
	publish(-1) // warm up: the first publish creates the ledger branch
	maxRSS = 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		publish(i)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/publish")
	b.ReportMetric(float64(maxRSS)/1024, "peak-RSS-MB")
	// a promotion of label next (new to every ledger here) to the channel's head, after a publish
	// (not timed), as many times
	maxRSS = 0
	var promoting time.Duration
	for i := 0; i < b.N; i++ {
		publish(b.N + i)
		start := time.Now()
		if out, err := runLadder("promote-label", "--label", "next"); err != nil || !strings.Contains(out, "promoted=true") {
			b.Fatalf("promotion %d: %v\n%s", i, err, out)
		}
		promoting += time.Since(start)
	}
	b.ReportMetric(float64(promoting.Milliseconds())/float64(b.N), "ms/promote")
	b.ReportMetric(float64(maxRSS)/1024, "promote-peak-RSS-MB")
}

// watchHWM samples /proc/PID/status's VmHWM (the peak resident set of the
// process's address space since exec, in kB) until the returned function is
// called after the process has been waited for; it returns the last peak
// read. VmHWM only grows, so the last read is the peak up to the last
// millisecond or so of the process's life.
func watchHWM(pid int) func() int64 {
	done := make(chan struct{})
	result := make(chan int64, 1)
	go func() {
		var peak int64
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			if data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
				for _, line := range strings.Split(string(data), "\n") {
					if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
						var kb int64
						fmt.Sscanf(strings.TrimSpace(v), "%d", &kb)
						peak = max(peak, kb)
					}
				}
			}
			select {
			case <-done:
				result <- peak
				return
			case <-t.C:
			}
		}
	}()
	return func() int64 { close(done); return <-result }
}
