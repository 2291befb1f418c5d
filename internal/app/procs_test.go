package app

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ladder-release/ladder/actions"
	"github.com/ladder-release/ladder/internal/action/actiontest"
	"github.com/ladder-release/ladder/internal/cli"
	ghclient "github.com/ladder-release/ladder/internal/gh"
	"github.com/ladder-release/ladder/internal/ghsim"
	"github.com/ladder-release/ladder/internal/ledger"
	"github.com/ladder-release/ladder/internal/lock"
	"github.com/ladder-release/ladder/internal/promote"
	"github.com/ladder-release/ladder/internal/testutil/gotool"
	"github.com/ladder-release/ladder/internal/testutil/hermetic"
	"github.com/ladder-release/ladder/internal/testutil/registry"
)

// app.Main runs in-process and reads the process environment.
func TestMain(m *testing.M) { os.Exit(hermetic.Run(m, gotool.Cleanup)) }

// TestHermeticEnvironment: TestMain keeps this machine's registry
// credentials and git configuration out of the tests.
func TestHermeticEnvironment(t *testing.T) { hermetic.Check(t) }

// ladderBinary builds cmd/ladder once per test binary, as the image does.
func ladderBinary(t testing.TB) string { return gotool.Ladder(t, filepath.Join("..", "..")) }

// proc is one run of the ladder binary as a separate OS process.
type proc struct {
	code    int
	outputs map[string]string
	stdout  string
	stderr  string
}

// runProcess runs `ladder NAME` as a runner would: INPUT_* and GITHUB_* in
// the environment, outputs in a GITHUB_OUTPUT file, nothing inherited but PATH
// and HOME (git needs them; HOME is a fresh directory, so neither ~/.gitconfig
// nor ~/.docker is read) and GIT_CONFIG_NOSYSTEM (no /etc/gitconfig). It
// calls t.Fatal: from the test goroutine only (others use execProcess).
func runProcess(t testing.TB, name string, inputs map[string]string, env map[string]string) proc {
	t.Helper()
	p, err := execProcess(ladderBinary(t), t.TempDir(), name, inputs, env)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// execProcess is runProcess for any goroutine: bin is the ladder binary
// (ladderBinary, called beforehand on the test goroutine), dir an empty
// directory of this run's own (its HOME and GITHUB_OUTPUT). It returns an
// error, instead of failing the test, when the process cannot be run or its
// outputs read; the process's own exit code is in proc.
func execProcess(bin, dir, name string, inputs map[string]string, env map[string]string) (proc, error) {
	outFile := filepath.Join(dir, "output")
	if err := os.WriteFile(outFile, nil, 0o644); err != nil {
		return proc{}, err
	}
	cmd := exec.Command(bin, name)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "GIT_CONFIG_NOSYSTEM=1", "GITHUB_ACTIONS=true", "GITHUB_OUTPUT=" + outFile}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	meta, err := actions.Load(name)
	if err != nil {
		return proc{}, err
	}
	for k, in := range meta.Inputs { // the runner sets every declared input
		v, given := inputs[k]
		if !given {
			v = cli.Default(func(string) string { return actiontest.Token }, in.Default)
		}
		cmd.Env = append(cmd.Env, "INPUT_"+strings.ToUpper(k)+"="+v)
	}
	for k := range inputs {
		if _, ok := meta.Inputs[k]; !ok {
			return proc{}, fmt.Errorf("input %s is not declared in actions/%s/action.yml", k, name)
		}
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	p := proc{stdout: stdout.String(), stderr: stderr.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		p.code = ee.ExitCode()
	} else if err != nil {
		return p, fmt.Errorf("running ladder %s: %v", name, err)
	}
	if p.outputs, err = actiontest.ReadOutputs(outFile); err != nil {
		return p, fmt.Errorf("GITHUB_OUTPUT of ladder %s: %v", name, err)
	}
	return p, nil
}

func fakeSHA(job, i int) string {
	return fmt.Sprintf("%08x%032x", job, i+1)
}

// TestConcurrentPublishers is SPEC section 7's concurrency promise for
// build-bundle: 8 processes publish into one channel at once, 25 times each,
// against the real CNCF registry and the simulator's contents API (ledger:
// github). Every bundle is in the ledger, no version is reused, every version
// tag points at its own bundle, and the channel tag equals the ledger's head.
func TestConcurrentPublishers(t *testing.T) {
	if testing.Short() {
		t.Skip("200 processes; skipped with -short")
	}
	concurrentPublishers(t, registry.Distribution(t), 8, 25, nil)
}

// TestConcurrentPublishersTokenAuth: the same against the CNCF registry
// behind the Docker token protocol, as ghcr.io is, with the credentials
// given as the action's inputs: every process pings once, fetches its push
// token, and the tokens' refreshes do not get in each other's way.
func TestConcurrentPublishersTokenAuth(t *testing.T) {
	ta := registry.DistributionWithTokenAuth(t, map[string]string{"publisher": "s3cret"})
	concurrentPublishers(t, ta.Host, 4, 5, map[string]string{"registry-username": "publisher", "registry-password": "s3cret"})
	asked := 0
	for _, r := range ta.TokenRequests() {
		if r.User == "publisher" && r.Status == 200 {
			asked++
		}
	}
	if asked < 4*5 {
		t.Errorf("%d token requests by the publisher for 20 publishes: the registry was not asked to authenticate them", asked)
	}
}

func concurrentPublishers(t *testing.T, host string, jobs, each int, inputs map[string]string) {
	// No secondary limit: 8 jobs' writes from one token (CAS conflicts
	// included) are about 340 in all, which GitHub's 80 a minute would
	// stretch from 17 s to 4 minutes; this test is about concurrency.
	gh := ghsim.NewServer(t, ghsim.WithRateLimit(1_000_000), ghsim.WithSecondaryLimit(0))
	gh.CreateRepo("acme/rel")
	gh.CreateRepo("acme/app")
	gh.AddToken(actiontest.Token, map[string]string{"acme/rel": "write", "acme/app": "read"})
	ws := t.TempDir()
	cfg := fmt.Sprintf(`version: 1
product: rel
registry: %s/acme/rel
components:
  app: {repo: acme/app}
channels:
  main:
    track: {branch: main}
    version: {bump: patch}
`, host)
	writeFile(t, ws, ".github/ladder.yaml", cfg)
	// each publish has its own lock: a different commit of app (one that
	// exists: build-bundle checks)
	for j := 0; j < jobs; j++ {
		for i := 0; i < each; i++ {
			l := lock.Lock{Schema: lock.Schema, Product: "rel", Channel: "main", Created: now, Components: []lock.Entry{
				{Name: "app", Repo: "acme/app", Ref: "refs/heads/main", Version: "main", Commit: gh.Commit("acme/app", "main", fmt.Sprintf("app: job %d, change %d", j, i))},
			}}
			if err := os.WriteFile(filepath.Join(ws, fmt.Sprintf("lock-%d-%d.json", j, i)), l.JSON(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	bin := ladderBinary(t)
	procDirs := t.TempDir() // each process gets a directory of its own under it
	type out struct{ version, digest, lockDigest string }
	results := make([][]out, jobs)
	var wg sync.WaitGroup
	start := time.Now()
	for j := 0; j < jobs; j++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				env := map[string]string{
					"GITHUB_API_URL":    gh.URL(),
					"GITHUB_REPOSITORY": "acme/rel",
					"GITHUB_WORKSPACE":  ws,
					"GITHUB_ACTOR":      fmt.Sprintf("job%d", j),
					"GITHUB_RUN_ID":     fmt.Sprint(1000*j + i),
					"GITHUB_SHA":        fakeSHA(j, i),
				}
				in := map[string]string{"channel": "main", "lock-file": fmt.Sprintf("lock-%d-%d.json", j, i), "token": actiontest.Token}
				for k, v := range inputs {
					in[k] = v
				}
				// not runProcess: t.Fatal must not be called off the test goroutine
				dir, err := os.MkdirTemp(procDirs, "proc-")
				if err != nil {
					t.Errorf("job %d publish %d: %v", j, i, err)
					return
				}
				p, err := execProcess(bin, dir, "build-bundle", in, env)
				if err != nil {
					t.Errorf("job %d publish %d: %v\n%s%s", j, i, err, p.stdout, p.stderr)
					return
				}
				if p.code != 0 || p.outputs["published"] != "true" {
					t.Errorf("job %d publish %d: exit %d outputs %v\n%s%s", j, i, p.code, p.outputs, p.stdout, p.stderr)
					continue
				}
				data, _ := os.ReadFile(filepath.Join(ws, fmt.Sprintf("lock-%d-%d.json", j, i)))
				l, _ := lock.Parse(data)
				results[j] = append(results[j], out{p.outputs["version"], p.outputs["digest"], l.Digest()})
			}
		}()
	}
	wg.Wait()
	t.Logf("%d publishes by %d processes in %v (GOMAXPROCS %d)", jobs*each, jobs, time.Since(start), runtime.GOMAXPROCS(0))

	doc := githubLedger(t, gh, "acme/rel", "rel")
	if len(doc.Bundles) != jobs*each {
		t.Errorf("ledger holds %d bundles, want %d", len(doc.Bundles), jobs*each)
	}
	seen := map[string]string{}
	for _, b := range doc.Bundles {
		if prev, dup := seen[b.Version]; dup {
			t.Errorf("version %s reused: %s and %s", b.Version, prev, b.Digest)
		}
		seen[b.Version] = b.Digest
	}
	c := newTestOCI(t)
	ctx := context.Background()
	for j, rs := range results {
		for _, r := range rs {
			b, ok := doc.Bundle(r.version)
			if !ok || b.Digest != r.digest || b.LockDigest != r.lockDigest {
				t.Errorf("job %d's %s (%s) is not in the ledger as published: %+v", j, r.version, r.digest, b)
			}
		}
	}
	for _, b := range doc.Bundles {
		d, err := c.Head(ctx, host+"/acme/rel:"+b.Version)
		if err != nil || d.Digest != b.Digest {
			t.Errorf("version tag %s: %v, points at %s, ledger says %s", b.Version, err, d.Digest, b.Digest)
		}
	}
	h, _ := doc.Head(ledger.ChannelStream("main"))
	d, err := c.Head(ctx, host+"/acme/rel:main")
	if err != nil || d.Digest != h.Digest {
		t.Errorf("channel tag main: %v %s, ledger head %s (%s)", err, d.Digest, h.Digest, h.Version)
	}
	if h.Version != fmt.Sprintf("0.0.%d", jobs*each) {
		t.Errorf("head version %s, want 0.0.%d", h.Version, jobs*each)
	}
	if _, err := doc.Graph(ledger.ChannelStream("main")); err != nil {
		t.Errorf("upgrade graph: %v", err)
	}
}

// githubLedger reads the whole ledger (the state and its history) of
// product from the simulator.
func githubLedger(t *testing.T, srv *ghsim.Server, repo, product string) *ledger.Document {
	t.Helper()
	c, err := ghclient.New(ghclient.WithAPIURL(srv.URL()), ghclient.WithToken(actiontest.Token))
	if err != nil {
		t.Fatal(err)
	}
	s, err := ledger.GitHub(c.REST(), repo, product)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := s.ReadAll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// TestPromoteConcurrentProcesses: issue 4 point 8 and SPEC section 7. Eight
// OS processes move one label at once, each to its own version, against the
// CNCF distribution registry and one file ledger: the label ends on the
// highest version, every process that promoted has its move in the label's
// stream, the stream's versions strictly increase, every other process was
// refused for a version below the label, and the registry's tags equal the
// ledger's head.
func TestPromoteConcurrentProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the ladder binary: not in -short")
	}
	bin := ladderBinary(t)
	w := newWorld(t, worldOpt{registry: registry.Distribution(t)})
	clk := newClock()
	w.writeConfig(t, w.promoteConfig("file:ledger.json", "  testing: {from: dev}\n", ""))
	const n = 8
	digests := map[string]string{}
	for i := 1; i <= n; i++ {
		v := fmt.Sprintf("1.0.%d", i)
		digests[v] = publishDev(t, w, clk, v)
	}
	home := t.TempDir() // no Docker credentials of the host
	type outcome struct {
		version string
		code    int
		stdout  string
		stderr  string
	}
	results := make([]outcome, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		v := fmt.Sprintf("1.0.%d", i+1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(bin, "promote-label", "--label", "testing", "--from", v, "--config", filepath.Join(w.ws, ".github", "ladder.yaml"))
			cmd.Env = []string{
				"PATH=" + os.Getenv("PATH"),
				"HOME=" + home,
				"GITHUB_WORKSPACE=" + w.ws,
				"GITHUB_REPOSITORY=acme/elemental",
				"GITHUB_SERVER_URL=" + w.gh.ServerURL(),
				"GITHUB_API_URL=" + w.gh.URL(),
				fmt.Sprintf("GITHUB_ACTOR=job-%d", i),
				fmt.Sprintf("GITHUB_RUN_ID=%d", 100+i),
			}
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			<-start
			err := cmd.Run()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				code = -1
			}
			results[i] = outcome{version: v, code: code, stdout: stdout.String(), stderr: stderr.String()}
		}()
	}
	close(start)
	wg.Wait()

	decision := regexp.MustCompile(`(?m)^decision=(\w+)$`)
	promoted := map[string]bool{}
	for _, r := range results {
		m := decision.FindStringSubmatch(r.stdout)
		switch {
		case r.code == 0 && m != nil && m[1] == "promoted":
			promoted[r.version] = true
		case r.code == ExitFailure && m != nil && m[1] == "failed" &&
			regexp.MustCompile(`refusing to move label testing from 1\.0\.\d down to `+regexp.QuoteMeta(r.version)).MatchString(r.stderr):
			// lost the race to a higher version: refused, naming both
		default:
			t.Errorf("process for %s: exit %d\nstdout:\n%s\nstderr:\n%s", r.version, r.code, r.stdout, r.stderr)
		}
	}
	doc := w.fileLedger(t)
	stream := doc.Stream(ledger.LabelStream("testing"))
	head, ok := doc.Head(ledger.LabelStream("testing"))
	if !ok || head.Version != "1.0.8" {
		t.Fatalf("the label ends on %+v, want 1.0.8", head)
	}
	if len(stream) != len(promoted) {
		t.Errorf("%d moves in the stream (%s), %d processes promoted (%v)", len(stream), versionsOf(stream), len(promoted), promoted)
	}
	for i, e := range stream {
		if !promoted[e.Version] {
			t.Errorf("move %d to %s: no process says it promoted it", i, e.Version)
		}
		if e.Digest != digests[e.Version] || e.Decision != "promoted" || !strings.HasPrefix(e.Actor, "job-") || !strings.Contains(e.Run, "/actions/runs/1") {
			t.Errorf("move %d: %+v", i, e)
		}
		if i > 0 {
			if c, err := promote.Compare(e.Version, stream[i-1].Version); err != nil || c <= 0 {
				t.Errorf("stream not strictly increasing: %s", versionsOf(stream))
			}
			if e.PreviousVersion != stream[i-1].Version {
				t.Errorf("move %d: previous %s, want %s", i, e.PreviousVersion, stream[i-1].Version)
			}
		}
	}
	t.Logf("history of testing: %s", versionsOf(stream))
	if got := w.tagDigest(t, "testing"); got != head.Digest {
		t.Errorf("registry tag testing = %s, ledger head %s (%s)", got, head.Digest, head.Version)
	}
	if head.PreviousDigest != "" {
		if got := w.tagDigest(t, "testing-previous"); got != head.PreviousDigest {
			t.Errorf("registry tag testing-previous = %s, ledger %s", got, head.PreviousDigest)
		}
	}
}
