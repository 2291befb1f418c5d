package bench

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ladder-release/ladder/actions"
	"github.com/ladder-release/ladder/internal/action/actiontest"
	"github.com/ladder-release/ladder/internal/ghsim"
	"github.com/ladder-release/ladder/internal/lock"
	"github.com/ladder-release/ladder/internal/testutil/gotool"
	"github.com/ladder-release/ladder/internal/testutil/hermetic"
	"github.com/ladder-release/ladder/internal/testutil/registry"
	"github.com/ladder-release/ladder/internal/testutil/regproxy"
)

// Latency is what the proxy adds to every registry request (SPEC section 9).
const Latency = 20 * time.Millisecond

// The peer tools, installed at benchmark time: regclient's regctl and
// go-containerregistry's crane (the version ladder links).
const (
	RegctlModule  = "github.com/regclient/regclient/cmd/regctl"
	RegctlVersion = "v0.8.0"
	CraneModule   = "github.com/google/go-containerregistry/cmd/crane"
	CraneVersion  = "v0.20.6"
)

// TestMain keeps this machine's registry credentials and git configuration
// away from both tools.
func TestMain(m *testing.M) { os.Exit(hermetic.Run(m, gotool.Cleanup)) }

func TestHermeticEnvironment(t *testing.T) { hermetic.Check(t) }

// ladderBinary builds cmd/ladder once per test binary, as the image does.
func ladderBinary(tb testing.TB) string { return gotool.Ladder(tb, "..") }

// installTool installs module@version once per machine (gotool.Install),
// and skips the benchmark, with the reason, when it cannot be installed (no
// go command, no network...).
func installTool(tb testing.TB, module, version string) string {
	tb.Helper()
	path, err := gotool.Install(tb, module, version)
	if err != nil {
		tb.Skipf("skipping: cannot install the peer tool %s@%s: %v", module, version, err)
	}
	return path
}

// stage is a registry set up for a side-by-side run: the real CNCF
// distribution registry behind a counting proxy that adds Latency to every
// request.
type stage struct {
	proxy  *regproxy.Proxy
	host   string // the proxy's host:port: what both tools talk to
	ladder string // the ladder binary
	regctl string // the regctl binary
	crane  string // the crane binary
	home   string // HOME and REGCTL_CONFIG's directory for regctl (and crane's HOME)
	facts  registryFacts
}

func newStage(b *testing.B) *stage {
	b.Helper()
	regctl := installTool(b, RegctlModule, RegctlVersion)
	s := &stage{ladder: ladderBinary(b), regctl: regctl, crane: installTool(b, CraneModule, CraneVersion)}
	upstream := registry.Distribution(b)
	s.facts = probeRegistry(b, upstream) // straight to the registry: not counted
	s.proxy = regproxy.Start(b, upstream)
	s.host = s.proxy.Host()
	s.home = b.TempDir()
	// plain http to the loopback registry; the config lives in the temp HOME
	if err := s.regctlCmd("registry", "set", "--tls", "disabled", s.host); err != nil {
		b.Fatalf("regctl registry set: %v", err)
	}
	// BENCH_NO_LATENCY=1 leaves the latency out: what is left is each tool's
	// own cost (process, hashing, the registry's work per request).
	if os.Getenv("BENCH_NO_LATENCY") == "" {
		s.proxy.SetLatency(Latency)
	}
	return s
}

// regctlCmd runs regctl with its config in the stage's HOME; an error
// carries the output.
func (s *stage) regctlCmd(args ...string) error {
	return runTool(s.regctl, []string{"PATH=" + os.Getenv("PATH"), "HOME=" + s.home, "REGCTL_CONFIG=" + filepath.Join(s.home, "regctl.json")}, args)
}

// craneCmd runs crane with the same empty HOME (no Docker config:
// anonymous access; plain http to the loopback registry is its default).
func (s *stage) craneCmd(args ...string) error {
	return runTool(s.crane, []string{"PATH=" + os.Getenv("PATH"), "HOME=" + s.home}, args)
}

// runTool runs the peer tool bin with env and args; an error carries the
// output.
func runTool(bin string, env, args []string) error {
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%v\n%s", err, out)
	}
	return nil
}

// sample is what one run of a tool cost.
type sample struct {
	wall       time.Duration
	stats      regproxy.Stats
	roundTrips int // requests on the critical path (regproxy.RoundTrips)
	log        []string
}

// measure resets the proxy's counters, runs f and reads them back.
func (s *stage) measure(b *testing.B, what string, f func() error) sample {
	b.Helper()
	s.proxy.Reset()
	start := time.Now()
	err := f()
	wall := time.Since(start)
	if err != nil {
		b.Fatalf("%s: %v", what, err)
	}
	return sample{wall: wall, stats: s.proxy.Stats(), roundTrips: s.proxy.RoundTrips(), log: s.proxy.Requests()}
}

// workspace is the checkout a workflow's ladder steps run in.
type workspace struct {
	dir     string
	env     map[string]string // GITHUB_* as the runner sets them
	gh      *ghsim.Server     // the component's repository: build-bundle checks each lock's commits there
	commits map[string]string // a benchmark's commit name -> the simulator's commit
}

// benchToken is the workflow's token in the simulator.
const benchToken = "ghs_bench0000000000000000000000000000000"

// appConfig is the ladder.yaml of the benchmarks: product at registry, a
// file ledger, one component (acme/app) and channel ch following its main
// branch with patch bumps; then more (labels, export).
func appConfig(product, registry, ch, more string) string {
	return fmt.Sprintf(`version: 1
product: %s
registry: %s
ledger: file:ledger.json
components:
  app: {repo: acme/app}
channels:
  %s:
    track: {branch: main}
    version: {bump: patch}
`, product, registry, ch) + more
}

// writeConfig writes config as the .github/ladder.yaml of workspace dir.
func writeConfig(tb testing.TB, dir, config string) {
	tb.Helper()
	if err := os.MkdirAll(filepath.Join(dir, ".github"), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".github", "ladder.yaml"), []byte(config), 0o644); err != nil {
		tb.Fatal(err)
	}
}

func newWorkspace(b *testing.B, config string) *workspace {
	b.Helper()
	w := &workspace{dir: b.TempDir(), gh: ghsim.NewServer(b), commits: map[string]string{}}
	w.gh.CreateRepo("acme/app")
	w.gh.AddToken(benchToken, map[string]string{"*": "read"})
	writeConfig(b, w.dir, config)
	w.env = map[string]string{
		"GITHUB_WORKSPACE":  w.dir,
		"GITHUB_REPOSITORY": "acme/rel",
		"GITHUB_SERVER_URL": "https://github.com",
		"GITHUB_API_URL":    w.gh.URL(), // the lock's commits are checked there; ledger file:, no gates
		"GITHUB_REF":        "refs/heads/main",
		"GITHUB_ACTOR":      "bench",
		"GITHUB_RUN_ID":     "1",
	}
	return w
}

// writeLock writes a lock of the one component at commit, as
// resolve-channel would have: each commit is a new lock, so a publish. The
// commit is made in the simulator's repository the first time it is named.
func (w *workspace) writeLock(b *testing.B, file, product, ch, commit string) {
	b.Helper()
	real, ok := w.commits[commit]
	if !ok {
		real = w.gh.Commit("acme/app", "main", "bench "+commit)
		w.commits[commit] = real
	}
	commit = real
	l := lock.Lock{Schema: lock.Schema, Product: product, Channel: ch, Created: time.Now().UTC(), Components: []lock.Entry{
		{Name: "app", Repo: "acme/app", Ref: "refs/heads/main", Version: "main", Commit: commit},
	}}
	if err := os.WriteFile(filepath.Join(w.dir, file), l.JSON(), 0o644); err != nil {
		b.Fatal(err)
	}
}

// writeRandom writes size random bytes to the workspace file rel.
func (w *workspace) writeRandom(b *testing.B, rel string, size int) string {
	b.Helper()
	data := make([]byte, size)
	if _, err := rand.Read(data); err != nil {
		b.Fatal(err)
	}
	p := filepath.Join(w.dir, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		b.Fatal(err)
	}
	return p
}

// commitSHA is a distinct, well-formed commit SHA per (series, i), whose
// short form (the first 7 hex digits) differs too.
func commitSHA(series, i int) string {
	n := series<<20 | (i + 1)
	return fmt.Sprintf("%07x%033x", n, n)
}

// runLadder runs `ladder NAME` as the runner runs a Docker action: every
// input declared in actions/NAME/action.yml set as INPUT_* (defaults for
// those not given), GITHUB_* from the workspace plus env, outputs read back
// from the GITHUB_OUTPUT file. Nothing is inherited but PATH; HOME is an
// empty temporary directory (no Docker config: anonymous registry access).
func runLadder(bin string, w *workspace, name string, inputs, env map[string]string) (map[string]string, error) {
	outs, _, err := runLadderCPU(bin, w, name, inputs, env)
	return outs, err
}

// runLadderCPU is runLadder that also returns the process's CPU time (user
// and system): the figure the other work on a shared machine disturbs least.
func runLadderCPU(bin string, w *workspace, name string, inputs, env map[string]string) (map[string]string, time.Duration, error) {
	var cpu time.Duration
	outs, err := runLadderCmd(bin, w, name, inputs, env, &cpu)
	return outs, cpu, err
}

func runLadderCmd(bin string, w *workspace, name string, inputs, env map[string]string, cpu *time.Duration) (map[string]string, error) {
	meta, err := actions.Load(name)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "ladder-bench-run-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	outFile, sumFile := filepath.Join(tmp, "output"), filepath.Join(tmp, "summary")
	for _, f := range []string{outFile, sumFile} {
		if err := os.WriteFile(f, nil, 0o644); err != nil {
			return nil, err
		}
	}
	cmd := exec.Command(bin, name)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + tmp, "GITHUB_ACTIONS=true",
		"GITHUB_OUTPUT=" + outFile, "GITHUB_STEP_SUMMARY=" + sumFile}
	for k, v := range w.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	for k := range inputs {
		if _, ok := meta.Inputs[k]; !ok {
			return nil, fmt.Errorf("input %s is not declared in actions/%s/action.yml", k, name)
		}
	}
	for k, in := range meta.Inputs {
		v, given := inputs[k]
		if !given {
			v = in.Default
			if strings.Contains(v, "${{") {
				v = benchToken // ${{ github.token }}
			}
		}
		cmd.Env = append(cmd.Env, "INPUT_"+strings.ToUpper(k)+"="+v)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	if cmd.ProcessState != nil {
		*cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	if err != nil {
		return nil, fmt.Errorf("ladder %s: %v\nstdout:\n%s\nstderr:\n%s", name, err, stdout.String(), stderr.String())
	}
	outs, err := actiontest.ReadOutputs(outFile)
	if err != nil {
		return nil, fmt.Errorf("GITHUB_OUTPUT of ladder %s: %w", name, err)
	}
	return outs, nil
}

// tally sums samples: wall time and requests by kind.
type tally struct {
	n      int
	wall   time.Duration
	total  int
	rt     int // round trips, summed
	byKind map[regproxy.Kind]int
	extra  int            // requests attributed to tag writes the peer does not make
	lines  map[string]int // request lines, references normalised, summed
}

func newTally() *tally { return &tally{byKind: map[regproxy.Kind]int{}, lines: map[string]int{}} }

func (t *tally) add(s sample, extra int, norm func(string) string) {
	t.n++
	t.wall += s.wall
	t.total += s.stats.Total
	t.rt += s.roundTrips
	t.extra += extra
	for k, v := range s.stats.ByKind {
		t.byKind[k] += v
	}
	for _, l := range s.log {
		if norm != nil {
			l = norm(l)
		}
		t.lines[l]++
	}
}

func (t *tally) perOp(v int) float64 { return float64(v) / float64(t.n) }

func (t *tally) wallPerOp() time.Duration { return t.wall / time.Duration(t.n) }

// kinds is "kind=n/op ..." sorted by kind.
func (t *tally) kinds() string {
	var parts []string
	for k, v := range t.byKind {
		parts = append(parts, fmt.Sprintf("%s=%.3g", k, t.perOp(v)))
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}

// requestLines lists the normalised request lines with their count per op.
func (t *tally) requestLines() string {
	keys := make([]string, 0, len(t.lines))
	for k := range t.lines {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var sb strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&sb, "    %5.3g  %s\n", t.perOp(t.lines[k]), k)
	}
	return sb.String()
}

// kindDiff lists, by kind, how many more requests per op a makes than b.
func kindDiff(a, b *tally) string {
	kinds := map[regproxy.Kind]bool{}
	for k := range a.byKind {
		kinds[k] = true
	}
	for k := range b.byKind {
		kinds[k] = true
	}
	var parts []string
	for k := range kinds {
		d := a.perOp(a.byKind[k]) - b.perOp(b.byKind[k])
		if d != 0 {
			parts = append(parts, fmt.Sprintf("%s %+.3g", k, d))
		}
	}
	sort.Strings(parts)
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// alternate runs each tool once, starting with the i-th (mod the number of
// tools), so that none always meets a warm or a cold registry.
func alternate(i int, runs ...func()) {
	for k := range runs {
		runs[(i+k)%len(runs)]()
	}
}

// finish reports the figures and logs each tool's last requests.
func finish(b *testing.B, lad, peer, crane *tally, ladName string, ladLast sample, peerName string, peerLast sample, craneName string, craneLast sample) {
	report(b, lad, peer)
	reportCrane(b, lad, crane)
	b.Logf("%s, last run's requests:\n    %s", ladName, strings.Join(ladLast.log, "\n    "))
	b.Logf("%s, last run's requests:\n    %s", peerName, strings.Join(peerLast.log, "\n    "))
	b.Logf("%s, last run's requests:\n    %s", craneName, strings.Join(craneLast.log, "\n    "))
}

// reportCrane writes crane's figures beside ladder's, as ratios.
func reportCrane(b *testing.B, lad, crane *tally) {
	b.Helper()
	b.ReportMetric(crane.perOp(crane.total), "crane-req/op")
	b.ReportMetric(crane.perOp(crane.rt), "crane-round-trips/op")
	b.ReportMetric(float64(crane.wallPerOp().Microseconds())/1000, "crane-ms/op")
	b.ReportMetric(float64(lad.wall)/float64(crane.wall), "ladder/crane-time")
	b.ReportMetric(float64(lad.rt)/float64(crane.rt), "ladder/crane-round-trips")
	b.Logf("crane requests per op:\n%s", crane.requestLines())
}
