package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/ladder-release/ladder/internal/action/actiontest"
	"github.com/ladder-release/ladder/internal/ghsim"
	"github.com/ladder-release/ladder/internal/ledger"
	"github.com/ladder-release/ladder/internal/sigclient"
	"github.com/ladder-release/ladder/internal/testutil/gitserver"
	"github.com/ladder-release/ladder/internal/testutil/registry"
	"github.com/ladder-release/ladder/internal/testutil/regproxy"
)

// now is the fixed clock of every app test.
var now = time.Date(2026, 11, 22, 1, 15, 0, 0, time.UTC)

// world is story S1's setting, made of real parts: three GitHub repositories
// in the simulator, one git repository served by git http-backend, and an
// OCI registry.
type world struct {
	gh       *ghsim.Server
	git      *gitserver.Server
	osRepo   *gitserver.Repo
	registry string // host:port
	ws       string // the workflow's workspace (the checkout)
	c        map[string]string
	signer   sigclient.Signer // Deps.Signer of every run (nil: none needed)
}

type worldOpt struct {
	ghOpts   []ghsim.Option
	registry string // a host to use instead of a fresh in-process registry
}

func newWorld(t *testing.T, o worldOpt) *world {
	t.Helper()
	w := &world{c: map[string]string{}, ws: t.TempDir()}
	w.gh = ghsim.NewServer(t, o.ghOpts...)
	w.git = gitserver.New(t)
	w.registry = o.registry
	if w.registry == "" {
		w.registry = registry.InProcess(t)
	}
	g := w.gh
	for _, r := range []string{"rancher/elemental-cli", "rancher/elemental-toolkit", "rancher/elemental-operator", "acme/elemental"} {
		g.CreateRepo(r)
	}
	g.AddToken(actiontest.Token, map[string]string{"*": "read", "acme/elemental": "write"})

	w.c["cli1"] = g.Commit("rancher/elemental-cli", "main", "cli: first")
	w.c["cli2"] = g.Commit("rancher/elemental-cli", "main", "cli: second")
	w.c["cli3"] = g.Commit("rancher/elemental-cli", "main", "cli: third")
	g.Tag("rancher/elemental-cli", "v0.1.0", w.c["cli1"])
	w.c["cli-v0.2.1-object"] = g.AnnotatedTag("rancher/elemental-cli", "v0.2.1", w.c["cli2"], "release 0.2.1")
	g.Tag("rancher/elemental-cli", "v0.3.0-rc.1", w.c["cli3"])

	w.c["tk1"] = g.Commit("rancher/elemental-toolkit", "main", "toolkit: one")
	w.c["tk2"] = g.Commit("rancher/elemental-toolkit", "main", "toolkit: two")
	g.Tag("rancher/elemental-toolkit", "v0.9.0", w.c["tk2"])
	g.Tag("rancher/elemental-toolkit", "v0.10.0", w.c["tk1"]) // numeric, not lexical, order

	w.c["op1"] = g.Commit("rancher/elemental-operator", "main", "operator: one")
	w.c["op2"] = g.Commit("rancher/elemental-operator", "main", "operator: two")
	w.c["op3"] = g.Commit("rancher/elemental-operator", "main", "operator: three")
	g.Tag("rancher/elemental-operator", "operator/v1.0.0", w.c["op1"])
	g.Tag("rancher/elemental-operator", "operator/v1.2.3", w.c["op2"])
	g.Tag("rancher/elemental-operator", "operator/v1.2.4-rc.1", w.c["op3"])
	g.Tag("rancher/elemental-operator", "v9.9.9", w.c["op3"]) // no prefix: never a candidate

	w.osRepo = w.git.Repo("os")
	w.c["os1"] = w.osRepo.Commit("main", "os: one")
	w.c["os2"] = w.osRepo.Commit("main", "os: two")
	w.c["os3"] = w.osRepo.Commit("main", "os: three")
	w.osRepo.AnnotatedTag("v1.0.2", w.c["os2"], "os 1.0.2")
	w.osRepo.Tag("v1.2.3", w.c["os3"])
	return w
}

// s1Config is story S1's config, with this world's registry and git URL.
func (w *world) s1Config(extra string) string {
	return `version: 1
product: elemental
registry: ` + w.registry + `/acme/elemental
ledger: none
components:
  cli:      {repo: rancher/elemental-cli}
  toolkit:  {repo: rancher/elemental-toolkit}
  operator: {repo: rancher/elemental-operator, tag-prefix: "operator/"}
  os:       {git: "` + w.osRepo.HTTPURL() + `"}
channels:
  dev:
    track: {branch: main}
    version: {prerelease: dev}
  staging:
    track: {semver: ">=0.1.0"}
    components:
      operator: {semver: "~1.2", prerelease: true}
    version: {from: operator}
  stable:
    track: {pin: {cli: v0.2.1, toolkit: v0.9.0, operator: operator/v1.0.0, os: ` + w.c["os1"] + `}}
    version: {bump: patch}
  nightly:
    track: {label: current}
labels:
  testing: {from: staging}
  current: {from: testing}
` + extra
}

func (w *world) writeConfig(t *testing.T, content string) {
	t.Helper()
	writeFile(t, w.ws, ".github/ladder.yaml", content)
}

// result is what one action run left behind.
type result struct {
	code    int
	outputs map[string]string
	stdout  string
	stderr  string
	summary string
}

// runAction runs an action the way the runner does: the environment is built
// from the action's own action.yml (defaults included) by actiontest, whose
// strict getenv fails the test when the code reads an input action.yml does
// not declare; afterwards every output set must be declared there too.
func (w *world) runAction(t *testing.T, name string, inputs, extra map[string]string) result {
	t.Helper()
	return w.runWith(t, name, inputs, extra, func() time.Time { return now }, func(context.Context, time.Duration) error { return nil })
}

// forcedRuns numbers the workflow runs of forced publishes.
var forcedRuns atomic.Int64

func init() { forcedRuns.Store(90000) }

// runnerEnv is what a runner sets for a push to main of acme/elemental
// (the run's id 4242), pointed at the world's GitHub.
func (w *world) runnerEnv() map[string]string {
	return map[string]string{
		"GITHUB_API_URL":    w.gh.URL(),
		"GITHUB_SERVER_URL": w.gh.ServerURL(),
		"GITHUB_WORKSPACE":  w.ws,
		"GITHUB_REPOSITORY": "acme/elemental",
		"GITHUB_SHA":        strings.Repeat("e", 40),
		"GITHUB_REF":        "refs/heads/main",
		"GITHUB_ACTOR":      "octocat",
		"GITHUB_RUN_ID":     "4242",
	}
}

// runWith is runAction with extra environment (another GITHUB_RUN_ID, a
// proxied GITHUB_API_URL...), a clock and a sleep of the test's choosing.
func (w *world) runWith(t *testing.T, name string, inputs, extra map[string]string, clock func() time.Time, sleep func(context.Context, time.Duration) error) result {
	t.Helper()
	meta := actiontest.LoadActionYAML(t, filepath.Join("..", "..", "actions", name, "action.yml"))
	env := w.runnerEnv()
	if name == "build-bundle" && inputs["force"] == "true" {
		// a forced publish is a workflow run of its own (a manual dispatch);
		// the rerun of one keeps its run id, and a test says so by giving it
		env["GITHUB_RUN_ID"] = fmt.Sprint(forcedRuns.Add(1))
	}
	for k, v := range extra {
		env[k] = v
	}
	te := actiontest.Env(t, meta, inputs, env)
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{name}, Deps{Getenv: te.Getenv, Stdout: &stdout, Stderr: &stderr, Now: clock, Sleep: sleep, Signer: w.signer})
	outs := te.Outputs()
	actiontest.CheckOutputs(t, meta, slices.Collect(maps.Keys(outs)))
	return result{code: code, outputs: outs, stdout: stdout.String(), stderr: stderr.String(), summary: te.Summary()}
}

// pushImage pushes a random one-layer image to ref (a team's own build, or
// a release script's) and returns its digest.
func pushImage(t *testing.T, ref string) string {
	t.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img); err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

// The set-ups most app tests share (world_test.go builds the world itself).

// registries are the two registries a test may run against:
// go-containerregistry's in this process and the CNCF distribution
// registry.
var registries = []struct {
	name  string
	start func(testing.TB) string
}{{"in-process", registry.InProcess}, {"distribution", registry.Distribution}}

// newS1World is a world whose config is story S1's with a ledger of kind
// (withLedger).
func newS1World(t *testing.T, kind string) *world {
	t.Helper()
	w := newWorld(t, worldOpt{})
	w.writeConfig(t, withLedger(w.s1Config(""), kind))
	return w
}

// proxiedWorld is a world (no config written yet) whose registry is behind
// a proxy that can fail, hold or count its requests.
func proxiedWorld(t *testing.T) (*world, *regproxy.Proxy) {
	t.Helper()
	proxy := regproxy.Start(t, registry.InProcess(t))
	return newWorld(t, worldOpt{registry: proxy.Host()}), proxy
}

// proxiedS1World is newS1World with the registry behind a proxy.
func proxiedS1World(t *testing.T, kind string) (*world, *regproxy.Proxy) {
	t.Helper()
	w, proxy := proxiedWorld(t)
	w.writeConfig(t, withLedger(w.s1Config(""), kind))
	return w, proxy
}

// newPromoteWorld is a world whose config is promoteConfig(kind, labels,
// ""), with a fresh clock.
func newPromoteWorld(t *testing.T, kind, labels string) (*world, *fakeClock) {
	t.Helper()
	w := newWorld(t, worldOpt{})
	w.writeConfig(t, w.promoteConfig(kind, labels, ""))
	return w, newClock()
}

// runRefused runs action name while the registry behind proxy answers 503
// to every request match picks, and clears the faults afterwards. The run
// must fail: a run that gets through anyway fails the test (what says what
// the run is). extra is environment beside the inputs (another
// GITHUB_RUN_ID); the run's waits are recorded in slept.
func (w *world) runRefused(t *testing.T, proxy *regproxy.Proxy, match func(*http.Request) bool, name string, inputs, extra map[string]string, slept *waits, what string) result {
	t.Helper()
	proxy.SetFaults(regproxy.Faults{Rate: 1, Kinds: []regproxy.Fault{regproxy.Fault503}, Match: match})
	res := w.runWith(t, name, inputs, extra, func() time.Time { return now }, slept.sleep)
	proxy.SetFaults(regproxy.Faults{})
	if res.code == 0 {
		t.Fatalf("%s: exit 0 while the registry refused its requests: %v", what, res.outputs)
	}
	return res
}

// editLockDoc rewrites the workspace's ladder-lock.json through f, on the
// whole document.
func editLockDoc(t *testing.T, w *world, f func(doc map[string]any)) {
	t.Helper()
	p := filepath.Join(w.ws, "ladder-lock.json")
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	f(doc)
	if data, err = json.Marshal(doc); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// editLock rewrites the workspace's ladder-lock.json through f, on its
// components.
func editLock(t *testing.T, w *world, f func(comps []any) []any) {
	t.Helper()
	editLockDoc(t, w, func(doc map[string]any) { doc["components"] = f(doc["components"].([]any)) })
}

// fileState opens w's file ledger and reads its state.
func fileState(t *testing.T, w *world) (*ledger.FileStore, *ledger.Document) {
	t.Helper()
	s, err := ledger.File(filepath.Join(w.ws, "ledger.json"), "elemental")
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s, st
}

// wantNoTrace fails the test when a failed run set an output or wrote the
// workspace file rel (the ledger, the lock).
func (w *world) wantNoTrace(t *testing.T, res result, rel string) {
	t.Helper()
	if len(res.outputs) != 0 {
		t.Errorf("outputs set on failure: %v", res.outputs)
	}
	if _, err := os.Stat(filepath.Join(w.ws, rel)); !os.IsNotExist(err) {
		t.Errorf("%s was written on failure", rel)
	}
}

// githubLedgerFile is the GitHub ledger's file (branch ladder-ledger of
// acme/elemental) as the simulator holds it, and the document it parses to.
func (w *world) githubLedgerFile(t *testing.T) ([]byte, *ledger.Document) {
	t.Helper()
	data, ok := w.gh.File("acme/elemental", "ladder-ledger", "elemental.json")
	if !ok {
		t.Fatal("no ledger file on branch ladder-ledger")
	}
	doc, err := ledger.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return data, doc
}

// writeFile writes content to dir/name (name may hold directories) and
// returns the file's path.
func writeFile(tb testing.TB, dir, name, content string) string {
	tb.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		tb.Fatal(err)
	}
	return p
}
