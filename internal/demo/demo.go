// Package demo is `ladder demo [--keep]` (CLI only; SPEC section 8): story
// S1 end to end inside this process, against real parts on 127.0.0.1:
//
//   - an OCI registry: go-containerregistry's pkg/registry (with the OCI 1.1
//     referrers API) behind net/http;
//   - the GitHub API simulator (internal/ghsim) holding the component
//     repositories rancher/elemental-{cli,toolkit,operator}, the workflow's
//     repository acme/elemental (config, ledger branch, dispatch target) and
//     two downstream repositories;
//   - a bare git repository for the `git:` component os, built with the git
//     binary (explicit arguments, no shell, a clean environment) and read
//     over file://.
//
// Every step is one action run through Main, with the environment a runner
// gives a Docker action: every declared input as INPUT_* (action.yml defaults
// filled in), GITHUB_* pointing at the simulator, GITHUB_OUTPUT and
// GITHUB_STEP_SUMMARY at files the demo reads back. Deps.Now and Deps.Sleep
// of each run are the demo's clock, which the demo moves forward (a soak of
// 24 h takes no time) and every sleep advances instead of waiting.
//
// What the demo prints is built from the runs' outputs; a run's stdout (which
// carries ::add-mask:: with the token) is never printed. The token is drawn
// at random and never shown; with --keep, a read-only token is written to a
// file (mode 0600) and the printed curl reads it from there.
package demo

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	ggcr "github.com/google/go-containerregistry/pkg/registry"

	"github.com/ladder-release/ladder/actions"
	"github.com/ladder-release/ladder/internal/action"
	"github.com/ladder-release/ladder/internal/app"
	"github.com/ladder-release/ladder/internal/cascade"
	"github.com/ladder-release/ladder/internal/catalog"
	"github.com/ladder-release/ladder/internal/clock"
	"github.com/ladder-release/ladder/internal/ghsim"
	"github.com/ladder-release/ladder/internal/ledger"
	"github.com/ladder-release/ladder/internal/lock"
	"github.com/ladder-release/ladder/internal/oci"
	"github.com/ladder-release/ladder/internal/redact"
)

// demoProduct is the registry repository path and the ledger's product.
const (
	demoProduct  = "elemental"
	demoWorkflow = "acme/elemental" // the workflow's repository: config, ledger, branch cascade
	demoActor    = "release-bot"
	demoPackage  = "elemental" // the OLM package of export.olm
)

// demo is one run of the demo: its servers, its files and its narration.
type demo struct {
	out io.Writer
	// clk is the demo's time: it starts at Deps.Now and moves only when
	// the demo advances it or a run sleeps (a retry's back-off or the
	// pause between two dispatches costs no real time).
	clk   *clock.Fake
	start time.Time // wall clock, for the time the demo took

	dir     string // everything the demo writes; removed at the end
	ws      string // the workflow's workspace: the checkout of acme/elemental
	runner  string // GITHUB_OUTPUT, GITHUB_STEP_SUMMARY and event files
	gitDir  string // bare repositories
	gitHome string // HOME of every git command the demo runs

	gh      *ghsim.Server
	reg     *http.Server
	regHost string
	osURL   string // the git component's file:// URL

	token  string // the workflow's token: never printed
	viewer string // --keep: path of the file holding a read-only token

	c     map[string]string // named commits
	step  int
	runID int
}

// Command is `ladder demo`, which cmd/ladder adds to ladder's commands.
var Command = app.Command{
	Usage: "run story S1 end to end in-process: registry, GitHub simulator, all four actions (--keep)",
	Flags: []string{"keep"},
	Bools: []string{"keep"},
	Run:   run,
}

func run(ctx context.Context, c app.Call) error {
	keep, err := c.Bool("keep")
	if err != nil {
		return err
	}
	begin := c.Deps.Now().UTC().Truncate(time.Second)
	d := &demo{out: c.Deps.Stdout, clk: clock.NewFake(begin), start: time.Now(), c: map[string]string{}, runID: 7000}
	defer d.close()
	if err := d.setUp(ctx, c.Getenv, keep); err != nil {
		return fmt.Errorf("set-up: %w", err)
	}
	if err := d.pipeline(ctx); err != nil {
		return err
	}
	if err := d.retire(ctx); err != nil {
		return err
	}
	if err := d.olmCatalog(ctx); err != nil {
		return fmt.Errorf("the OLM catalog: %w", err)
	}
	if err := d.status(ctx); err != nil {
		return fmt.Errorf("ladder status: %w", err)
	}
	d.printf("\ndemo finished in %s (wall time; the demo's clock moved %s).\n",
		time.Since(d.start).Round(10*time.Millisecond), d.clk.Now().Sub(begin).Round(time.Minute))
	if !keep {
		return nil
	}
	d.pokeAround()
	<-ctx.Done()
	d.printf("\nstopping: closing the servers and removing %s\n", d.dir)
	return nil
}

func (d *demo) printf(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	if d.token != "" { // belt and braces: the token is never part of a line
		s = redact.Secrets(s, redact.RunnerMark, d.token)
	}
	io.WriteString(d.out, s) //nolint:errcheck // a closed stdout is the caller's problem
}

func (d *demo) close() {
	if d.gh != nil {
		d.gh.Close()
	}
	if d.reg != nil {
		d.reg.Close()
	}
	if d.dir != "" {
		os.RemoveAll(d.dir)
	}
}

// setUp starts the registry and the simulator, builds the repositories of
// story S1 and writes the workspace.
func (d *demo) setUp(ctx context.Context, getenv func(string) string, keep bool) error {
	var err error
	if d.dir, err = os.MkdirTemp(getenv("TMPDIR"), "ladder-demo-"); err != nil {
		return err
	}
	d.ws = filepath.Join(d.dir, "workspace")
	d.runner = filepath.Join(d.dir, "runner")
	d.gitDir = filepath.Join(d.dir, "git")
	d.gitHome = filepath.Join(d.dir, "home")
	for _, p := range []string{d.ws, d.runner, d.gitDir, d.gitHome, filepath.Join(d.ws, ".github"), filepath.Join(d.ws, "dist")} {
		if err := os.MkdirAll(p, 0o755); err != nil {
			return err
		}
	}
	if err := d.startRegistry(); err != nil {
		return err
	}
	d.gh = ghsim.New(ghsim.WithNow(d.clk.Now))
	if err := d.gh.Start(); err != nil {
		return err
	}
	if d.token, err = randomToken("ghp_"); err != nil {
		return err
	}
	d.gh.AddToken(d.token, map[string]string{"*": "read", demoWorkflow: "write", "acme/elemental-os": "write", "acme/elemental-iso": "write"})
	if keep {
		viewer, err := randomToken("ghp_")
		if err != nil {
			return err
		}
		d.gh.AddToken(viewer, map[string]string{"*": "read"})
		d.viewer = filepath.Join(d.dir, "read-only-token")
		if err := os.WriteFile(d.viewer, []byte(viewer), 0o600); err != nil {
			return err
		}
	}
	d.seedGitHub()
	if err := d.seedGit(ctx, getenv("PATH")); err != nil {
		return err
	}
	cfg := d.config()
	if err := os.WriteFile(filepath.Join(d.ws, ".github", "ladder.yaml"), []byte(cfg), 0o644); err != nil {
		return err
	}
	// The workspace is the checkout of acme/elemental: the config is committed there too.
	d.c["workflow"] = d.gh.PutFile(demoWorkflow, "main", ".github/ladder.yaml", []byte(cfg), "ci: ladder config for dev, staging, stable")
	d.printf("ladder demo: story S1, four repositories released as one product, run inside this process\n")
	d.printf("  registry   %s/acme/%s  (go-containerregistry, OCI 1.1 with referrers)\n", d.regHost, demoProduct)
	d.printf("  GitHub     %s  (simulator: rancher/elemental-cli, -toolkit, -operator; workflow and ledger in %s)\n", d.gh.URL(), demoWorkflow)
	d.printf("  git        %s  (component os, a bare repository made with the git binary)\n", d.osURL)
	d.printf("  config     %s  (ledger: github, on %s@%s)\n", filepath.Join(d.ws, ".github", "ladder.yaml"), demoWorkflow, ledger.Branch)
	d.printf("  clock      %s; the demo moves it forward instead of sleeping through soaks\n", d.clk.Now().Format(time.RFC3339))
	d.printf("Each numbered step is one action run, as a runner starts it: INPUT_* from action.yml, GITHUB_* at the simulator, outputs read back from GITHUB_OUTPUT.\n")
	return nil
}

func randomToken(prefix string) (string, error) {
	var b [20]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return prefix + hex.EncodeToString(b[:]), nil
}

// startRegistry serves go-containerregistry's registry on 127.0.0.1.
func (d *demo) startRegistry() error {
	h := ggcr.New(ggcr.Logger(log.New(io.Discard, "", 0)), ggcr.WithReferrersSupport(true))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("registry: listening on 127.0.0.1: %w", err)
	}
	d.regHost = ln.Addr().String()
	d.reg = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go d.reg.Serve(ln) //nolint:errcheck // returns http.ErrServerClosed on Close
	return nil
}

// seedGitHub creates story S1's GitHub repositories with their commits and
// tags, plus the branches of the workflow's repository the cascade uses.
func (d *demo) seedGitHub() {
	g := d.gh
	for _, r := range []string{"rancher/elemental-cli", "rancher/elemental-toolkit", "rancher/elemental-operator", demoWorkflow, "acme/elemental-os", "acme/elemental-iso"} {
		g.CreateRepo(r)
	}
	d.c["cli1"] = g.Commit("rancher/elemental-cli", "main", "cli: install command")
	d.c["cli2"] = g.Commit("rancher/elemental-cli", "main", "cli: build-disk uses the toolkit")
	d.c["cli3"] = g.Commit("rancher/elemental-cli", "main", "cli: upgrade --recovery")
	g.Tag("rancher/elemental-cli", "v0.1.0", d.c["cli1"])
	g.AnnotatedTag("rancher/elemental-cli", "v0.2.1", d.c["cli2"], "elemental-cli 0.2.1")
	g.Tag("rancher/elemental-cli", "v0.3.0-rc.1", d.c["cli3"]) // a prerelease: staging skips it

	d.c["tk1"] = g.Commit("rancher/elemental-toolkit", "main", "toolkit: base OS packages")
	d.c["tk2"] = g.Commit("rancher/elemental-toolkit", "main", "toolkit: grub2 recovery entry")
	g.Tag("rancher/elemental-toolkit", "v0.9.0", d.c["tk1"])
	g.Tag("rancher/elemental-toolkit", "v0.10.0", d.c["tk2"]) // numeric, not lexical, order

	d.c["op1"] = g.Commit("rancher/elemental-operator", "main", "operator: MachineRegistration")
	d.c["op2"] = g.Commit("rancher/elemental-operator", "main", "operator: MachineInventory")
	g.Tag("rancher/elemental-operator", "operator/v1.0.0", d.c["op1"])
	g.Tag("rancher/elemental-operator", "operator/v1.2.3", d.c["op2"])

	for _, b := range []string{"production", "staging", "snapshot"} {
		g.Commit(demoWorkflow, b, "packages on "+b)
	}
}

// seedGit builds the bare repository of the git: component with the git
// binary: explicit arguments, no shell, a clean environment (the user's git
// configuration cannot leak in), fixed dates (the same SHAs every run).
func (d *demo) seedGit(ctx context.Context, path string) error {
	gitBin, err := exec.LookPath("git")
	if err != nil {
		return fmt.Errorf("the git binary is needed for the git: component: %w", err)
	}
	repo := &bareGit{bin: gitBin, dir: filepath.Join(d.gitDir, "os.git"), env: []string{
		"PATH=" + path, "HOME=" + d.gitHome, "XDG_CONFIG_HOME=" + d.gitHome, "GIT_CONFIG_NOSYSTEM=1",
		"GIT_TERMINAL_PROMPT=0", "LC_ALL=C",
		"GIT_AUTHOR_NAME=Elemental OS", "GIT_AUTHOR_EMAIL=os@elemental.invalid",
		"GIT_COMMITTER_NAME=Elemental OS", "GIT_COMMITTER_EMAIL=os@elemental.invalid",
	}, when: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)}
	if _, err := repo.git(ctx, "", nil, "init", "--quiet", "--bare", "--initial-branch=main", "--", repo.dir); err != nil {
		return err
	}
	for _, step := range []struct{ key, msg string }{{"os1", "os: elemental-toolkit base image"}, {"os2", "os: Elemental Teal overlay"}} {
		if d.c[step.key], err = repo.commit(ctx, "main", step.msg); err != nil {
			return err
		}
	}
	if err := repo.annotatedTag(ctx, "v1.0.2", d.c["os1"], "os 1.0.2"); err != nil {
		return err
	}
	if _, err := repo.git(ctx, "", nil, "--git-dir="+repo.dir, "update-ref", "--", "refs/tags/v1.2.3", d.c["os2"], strings.Repeat("0", 40)); err != nil {
		return err
	}
	d.osURL = "file://" + filepath.ToSlash(repo.dir)
	return nil
}

// bareGit runs git on one bare repository.
type bareGit struct {
	bin  string
	dir  string
	env  []string
	when time.Time
}

func (b *bareGit) git(ctx context.Context, stdin string, extraEnv []string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, b.bin, args...)
	cmd.Env = append(append([]string(nil), b.env...), extraEnv...)
	cmd.Dir = filepath.Dir(b.dir)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(stdout.String()), nil
}

func (b *bareGit) date() string {
	b.when = b.when.Add(time.Minute)
	return fmt.Sprintf("%d +0000", b.when.Unix())
}

// commit adds a commit on branch whose one file holds the message, without a
// work tree: hash-object, mktree, commit-tree, update-ref.
func (b *bareGit) commit(ctx context.Context, branch, message string) (string, error) {
	gd := "--git-dir=" + b.dir
	ref := "refs/heads/" + branch
	parent, _ := b.git(ctx, "", nil, gd, "rev-parse", "--verify", "--quiet", ref)
	blob, err := b.git(ctx, message+"\n", nil, gd, "hash-object", "-w", "--stdin")
	if err != nil {
		return "", err
	}
	tree, err := b.git(ctx, "100644 blob "+blob+"\tREADME\n", nil, gd, "mktree")
	if err != nil {
		return "", err
	}
	args := []string{gd, "commit-tree", tree, "-m", message}
	old := strings.Repeat("0", 40)
	if parent != "" {
		args = append(args, "-p", parent)
		old = parent
	}
	when := b.date()
	sha, err := b.git(ctx, "", []string{"GIT_AUTHOR_DATE=" + when, "GIT_COMMITTER_DATE=" + when}, args...)
	if err != nil {
		return "", err
	}
	if _, err := b.git(ctx, "", nil, gd, "update-ref", "--", ref, sha, old); err != nil {
		return "", err
	}
	return sha, nil
}

func (b *bareGit) annotatedTag(ctx context.Context, name, sha, message string) error {
	gd := "--git-dir=" + b.dir
	body := fmt.Sprintf("object %s\ntype commit\ntag %s\ntagger Elemental OS <os@elemental.invalid> %s\n\n%s\n", sha, name, b.date(), message)
	obj, err := b.git(ctx, body, nil, gd, "mktag")
	if err != nil {
		return err
	}
	_, err = b.git(ctx, "", nil, gd, "update-ref", "--", "refs/tags/"+name, obj, strings.Repeat("0", 40))
	return err
}

// config is story S1's config (SPEC section 3), with the demo's registry and
// git URL.
func (d *demo) config() string {
	return `# Story S1: elemental-cli, -toolkit, -operator and the OS released as one product.
version: 1
product: ` + demoProduct + `
registry: ` + d.regHost + `/acme/` + demoProduct + `
ledger: github                        # ladder-ledger branch of acme/elemental, written through the contents API
components:
  cli:      {repo: rancher/elemental-cli}
  toolkit:  {repo: rancher/elemental-toolkit}
  operator: {repo: rancher/elemental-operator, tag-prefix: "operator/"}
  os:       {git: ` + strconv.Quote(d.osURL) + `}
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
    track: {pin: {cli: v0.2.1, toolkit: v0.9.0, operator: operator/v1.0.0, os: v1.0.2}}
    version: {bump: patch}
    retention: {keep: all}
labels:
  testing:
    from: staging
    gates: {checks: [build, e2e], soak: 2h}
  current:
    from: testing
    gates: {checks: all, soak: 24h, components: [cli, toolkit, operator]}
    quarantine: true
cascade:
  event-type: ladder-cascade
  branches: {production: [staging], staging: [snapshot]}
  repos:
    - {repo: acme/elemental-os, when: {branch: main}}
    - {repo: acme/elemental-iso, when: {channel: stable}, event-type: stable-published}
export:
  olm:                                # story S7: an OLM catalog of the labels, at <registry>:catalog
    package: ` + demoPackage + `
    channels: {stable: current, candidate: testing}
    default-channel: stable
`
}

// demoEvent is what started a workflow run.
type demoEvent struct {
	name    string // GITHUB_EVENT_NAME
	ref     string // GITHUB_REF
	sha     string // GITHUB_SHA
	payload any    // written to GITHUB_EVENT_PATH
}

func (d *demo) push(branch string) demoEvent {
	sha, _ := d.gh.Head(demoWorkflow, branch)
	return demoEvent{name: "push", ref: "refs/heads/" + branch, sha: sha, payload: map[string]any{
		"ref": "refs/heads/" + branch, "after": sha,
		"repository": map[string]any{"full_name": demoWorkflow, "default_branch": "main"},
	}}
}

func (d *demo) schedule() demoEvent {
	sha, _ := d.gh.Head(demoWorkflow, "main")
	return demoEvent{name: "schedule", ref: "refs/heads/main", sha: sha, payload: map[string]any{"schedule": "17 * * * *"}}
}

// stepResult is what one action run left behind.
type stepResult struct {
	code    int
	outputs map[string]string
	errors  []string // the ::error:: annotations, unescaped
}

// action runs one action as a runner would, and fails when its exit code is
// not want.
func (d *demo) action(ctx context.Context, name string, inputs map[string]string, ev demoEvent, want int) (*stepResult, error) {
	meta, err := actions.Load(name)
	if err != nil {
		return nil, err
	}
	d.step++
	d.runID++
	if name != "build-bundle" { // build-bundle runs in the job of the resolve before it
		d.clk.Advance(time.Minute) // a workflow run takes a little while
	}
	base := filepath.Join(d.runner, fmt.Sprintf("%02d-%s", d.step, name))
	env := map[string]string{
		"CI":                  "true",
		"GITHUB_ACTIONS":      "true",
		"GITHUB_API_URL":      d.gh.URL(),
		"GITHUB_SERVER_URL":   d.gh.ServerURL(),
		"GITHUB_REPOSITORY":   demoWorkflow,
		"GITHUB_WORKSPACE":    d.ws,
		"GITHUB_ACTOR":        demoActor,
		"GITHUB_RUN_ID":       strconv.Itoa(d.runID),
		"GITHUB_RUN_ATTEMPT":  "1",
		"GITHUB_EVENT_NAME":   ev.name,
		"GITHUB_EVENT_PATH":   base + ".event.json",
		"GITHUB_REF":          ev.ref,
		"GITHUB_SHA":          ev.sha,
		"GITHUB_OUTPUT":       base + ".output",
		"GITHUB_STEP_SUMMARY": base + ".summary.md",
		"RUNNER_TEMP":         d.runner,
	}
	for in, spec := range meta.Inputs {
		v, ok := inputs[in]
		if !ok {
			v = spec.Default
			if strings.Contains(v, "${{") {
				v = strings.ReplaceAll(v, "${{ github.token }}", d.token)
			}
		}
		env[action.InputEnvName(in)] = v
	}
	for in := range inputs {
		if _, ok := meta.Inputs[in]; !ok {
			return nil, fmt.Errorf("step %d: %s has no input %q", d.step, name, in)
		}
	}
	payload, err := json.Marshal(ev.payload)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(env["GITHUB_EVENT_PATH"], payload, 0o644); err != nil {
		return nil, err
	}
	for _, f := range []string{env["GITHUB_OUTPUT"], env["GITHUB_STEP_SUMMARY"]} {
		if err := os.WriteFile(f, nil, 0o644); err != nil {
			return nil, err
		}
	}
	var stdout, stderr bytes.Buffer
	code := app.Main(ctx, []string{name}, app.Deps{
		Getenv: func(k string) string { return env[k] },
		Stdout: &stdout,
		Stderr: &stderr,
		Now:    d.clk.Now,
		Sleep:  d.clk.Sleep,
	})
	res := &stepResult{code: code, errors: annotations(stdout.String(), "error")}
	data, err := os.ReadFile(env["GITHUB_OUTPUT"])
	if err != nil {
		return nil, err
	}
	if res.outputs, err = action.OutputsOf(data); err != nil {
		return nil, fmt.Errorf("step %d %s: GITHUB_OUTPUT: %w", d.step, name, err)
	}
	if code != want {
		why := strings.Join(res.errors, "; ")
		if why == "" {
			why = strings.TrimSpace(stderr.String())
		}
		return res, fmt.Errorf("step %d %s: exit code %d, want %d: %s", d.step, name, code, want, redact.Secrets(why, redact.RunnerMark, d.token))
	}
	return res, nil
}

// annotations returns the messages of the ::KIND ...:: workflow commands in
// a run's stdout, unescaped.
func annotations(stdout, kind string) []string {
	var out []string
	for _, l := range strings.Split(stdout, "\n") {
		if !strings.HasPrefix(l, "::"+kind+" ") && !strings.HasPrefix(l, "::"+kind+"::") {
			continue
		}
		rest := strings.TrimPrefix(l, "::"+kind)
		if i := strings.Index(rest, "::"); i >= 0 {
			rest = rest[i+2:]
		}
		r := strings.NewReplacer("%0D", "\r", "%0A", "\n", "%25", "%")
		out = append(out, r.Replace(rest))
	}
	return out
}

func (d *demo) stepf(format string, args ...any) {
	d.printf("%2d. %s\n", d.step, fmt.Sprintf(format, args...))
}

func (d *demo) notef(format string, args ...any) {
	d.printf("    %s\n", fmt.Sprintf(format, args...))
}

func (d *demo) sectionf(format string, args ...any) {
	d.printf("\n%s\n", fmt.Sprintf(format, args...))
}

func (d *demo) advance(dur time.Duration, why string) {
	d.clk.Advance(dur)
	d.notef("(clock +%s: %s)", fmtDuration(dur), why)
}

func fmtDuration(d time.Duration) string {
	s := d.String()
	s = strings.TrimSuffix(s, "0s")
	return strings.TrimSuffix(s, "0m")
}

// ci records what CI reported on a commit: check runs and, for contexts
// prefixed with "status:", commit statuses (both count as gate evidence).
func (d *demo) ci(repo, commit string, results map[string]string) {
	names := make([]string, 0, len(results))
	for n := range results {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if ctxName, ok := strings.CutPrefix(n, "status:"); ok {
			d.gh.AddStatus(repo, commit, ctxName, results[n])
			continue
		}
		d.gh.AddCheckRun(repo, commit, n, "completed", results[n])
	}
}

// operatorRelease is one turn of the schedule for a new operator tag: CI
// reports on its commit (build and e2e pass; the upgrade test as given), then
// staging resolves and publishes it, testing takes it after its soak, and
// current is asked after its own: wantExit and wantDecision say what current
// must decide (a failing upgrade test quarantines the candidate there).
func (d *demo) operatorRelease(ctx context.Context, key, message, tag, upgrade string, wantExit int, wantDecision string) error {
	d.c[key] = d.gh.Commit("rancher/elemental-operator", "main", message)
	d.gh.Tag("rancher/elemental-operator", tag, d.c[key])
	d.ci("rancher/elemental-operator", d.c[key], map[string]string{"build": "success", "e2e": "success", "upgrade": upgrade})
	if _, err := d.resolve(ctx, "staging", d.schedule()); err != nil {
		return err
	}
	if _, err := d.build(ctx, "staging", d.schedule()); err != nil {
		return err
	}
	d.advance(2*time.Hour, "testing's soak")
	if _, err := d.promote(ctx, "testing", app.ExitOK, "promoted"); err != nil {
		return err
	}
	if upgrade != "success" {
		d.notef("(testing gates only build and e2e; current gates every check, and quarantines on failure)")
	}
	d.advance(24*time.Hour, "current's soak")
	_, err := d.promote(ctx, "current", wantExit, wantDecision)
	return err
}

// pipeline is the story: dev -> staging -> testing -> current, a failing
// gate, a fix, a stable release and the cascades.
func (d *demo) pipeline(ctx context.Context) error {
	d.sectionf("A merge to main in acme/elemental (workflow s1-dev-on-merge): dev follows every main branch")
	if _, err := d.resolve(ctx, "dev", d.push("main")); err != nil {
		return err
	}
	if _, err := d.build(ctx, "dev", d.push("main")); err != nil {
		return err
	}
	res, err := d.action(ctx, "cascade-branches", nil, d.push("main"), app.ExitOK)
	if err != nil {
		return err
	}
	d.stepf("cascade-branches (push to main): dispatched %s to %s: the downstream OS image rebuilds", res.outputs["dispatched"], targetsText(res.outputs["targets"]))
	d.received("acme/elemental-os")

	d.sectionf("The latest tags (workflow s2-gated-compose): staging = highest semver tag of each component")
	if _, err := d.resolve(ctx, "staging", d.schedule()); err != nil {
		return err
	}
	if _, err := d.build(ctx, "staging", d.schedule()); err != nil {
		return err
	}

	d.sectionf("Promotion on a schedule (workflow s5-label-promotion): staging -> testing -> current")
	for _, k := range []string{"cli2", "tk2", "op2"} {
		repo := map[string]string{"cli2": "rancher/elemental-cli", "tk2": "rancher/elemental-toolkit", "op2": "rancher/elemental-operator"}[k]
		d.ci(repo, d.c[k], map[string]string{"build": "success"})
	}
	d.notef("CI reported build on the staging commits; e2e is still running")
	if _, err := d.promote(ctx, "testing", app.ExitOK, "pending"); err != nil {
		return err
	}
	d.ci("rancher/elemental-cli", d.c["cli2"], map[string]string{"status:e2e": "success"})
	d.ci("rancher/elemental-toolkit", d.c["tk2"], map[string]string{"status:e2e": "success"})
	d.ci("rancher/elemental-operator", d.c["op2"], map[string]string{"e2e": "success", "upgrade": "success"})
	d.notef("CI reported e2e green (a commit status on cli and toolkit, a check run on operator, plus operator's upgrade test)")
	d.advance(2*time.Hour, "testing's soak")
	if _, err := d.promote(ctx, "testing", app.ExitOK, "promoted"); err != nil {
		return err
	}
	d.advance(24*time.Hour, "current's soak")
	if _, err := d.promote(ctx, "current", app.ExitOK, "promoted"); err != nil {
		return err
	}

	d.sectionf("A bad candidate: operator tags operator/v1.2.4-rc.1; build and e2e pass, its upgrade test fails")
	if err := d.operatorRelease(ctx, "op3", "operator: new upgrade path", "operator/v1.2.4-rc.1", "failure", app.ExitFailure, "failed"); err != nil {
		return err
	}

	d.sectionf("The fix: operator tags operator/v1.2.4; every check green")
	if err := d.operatorRelease(ctx, "op4", "operator: fix the upgrade path", "operator/v1.2.4", "success", app.ExitOK, "promoted"); err != nil {
		return err
	}

	d.sectionf("A stable release (workflow s1-stable-release): pinned tags, a numbered version, a cross-repository hop")
	if _, err := d.resolve(ctx, "stable", d.push("main")); err != nil {
		return err
	}
	if _, err := d.build(ctx, "stable", d.push("main")); err != nil {
		return err
	}
	res, err = d.action(ctx, "cascade-branches", map[string]string{"channel": "stable"}, d.push("main"), app.ExitOK)
	if err != nil {
		return err
	}
	d.stepf("cascade-branches (channel stable published): dispatched %s to %s", res.outputs["dispatched"], targetsText(res.outputs["targets"]))
	d.received("acme/elemental-iso")

	d.sectionf("A branch cascade (workflow s3-branch-cascade): production -> staging -> snapshot, one hop per run")
	d.c["prod"] = d.gh.Commit(demoWorkflow, "production", "packages: endpoint 0.11.0 straight to production")
	res, err = d.action(ctx, "cascade-branches", nil, d.push("production"), app.ExitOK)
	if err != nil {
		return err
	}
	d.stepf("cascade-branches (push to production): dispatched %s to %s, correlation id %s", res.outputs["dispatched"], targetsText(res.outputs["targets"]), res.outputs["correlation-id"])
	got := d.received(demoWorkflow)
	if got == nil {
		return errors.New("the simulator received no dispatch for the branch cascade")
	}
	mainSHA, _ := d.gh.Head(demoWorkflow, "main")
	dispatchEvent := demoEvent{name: "repository_dispatch", ref: "refs/heads/main", sha: mainSHA, payload: map[string]any{
		"action": got.EventType, "branch": "main", "client_payload": got.ClientPayload,
		"repository": map[string]any{"full_name": demoWorkflow, "default_branch": "main"},
	}}
	res, err = d.action(ctx, "cascade-branches", nil, dispatchEvent, app.ExitOK)
	if err != nil {
		return err
	}
	d.stepf("cascade-branches (the run that dispatch started): builds %s, then dispatched %s to %s; chain %s",
		res.outputs["branch"], res.outputs["dispatched"], targetsText(res.outputs["targets"]), chainText(res.outputs["chain"]))
	d.received(demoWorkflow)

	return d.auditTrail(ctx)
}

func (d *demo) resolve(ctx context.Context, ch string, ev demoEvent) (*stepResult, error) {
	res, err := d.action(ctx, "resolve-channel", map[string]string{"channel": ch}, ev, app.ExitOK)
	if err != nil {
		return nil, err
	}
	l, err := lock.Parse([]byte(res.outputs["lock"]))
	if err != nil {
		return nil, fmt.Errorf("step %d: the lock output: %w", d.step, err)
	}
	parts := make([]string, len(l.Components))
	for i, e := range l.Components {
		ref := strings.TrimPrefix(strings.TrimPrefix(e.Ref, "refs/tags/"), "refs/heads/")
		if ref == e.Commit {
			ref = lock.Short(ref)
		}
		parts[i] = e.Name + " " + ref + "@" + lock.Short(e.Commit)
	}
	d.stepf("resolve-channel %s: %d components (%s) -> lock %s, id %s, version %s, changed=%s",
		ch, len(l.Components), strings.Join(parts, ", "), shortDigest(res.outputs["lock-digest"]), res.outputs["id"], res.outputs["version"], res.outputs["changed"])
	return res, nil
}

func (d *demo) build(ctx context.Context, ch string, ev demoEvent) (*stepResult, error) {
	in := map[string]string{"channel": ch}
	if ch != "dev" {
		notes := fmt.Sprintf("Elemental %s build\n", ch)
		if err := os.WriteFile(filepath.Join(d.ws, "dist", "release-notes.md"), []byte(notes), 0o644); err != nil {
			return nil, err
		}
		in["files"] = "dist/release-notes.md"
	}
	res, err := d.action(ctx, "build-bundle", in, ev, app.ExitOK)
	if err != nil {
		return nil, err
	}
	o := res.outputs
	if o["published"] != "true" {
		d.stepf("build-bundle %s: nothing published (version %s already holds this lock)", ch, o["version"])
		return res, nil
	}
	var tags []string
	_ = json.Unmarshal([]byte(o["tags"]), &tags)
	line := fmt.Sprintf("build-bundle %s: published %s as %s; tags %s", ch, o["version"], shortDigest(o["digest"]), strings.Join(tags, ", "))
	if o["replaces"] != "" {
		line += "; replaces " + o["replaces"]
	}
	if _, ok := in["files"]; ok {
		line += "; layer dist/release-notes.md"
	}
	d.stepf("%s", line)
	return res, nil
}

func (d *demo) promote(ctx context.Context, label string, want int, decision string) (*stepResult, error) {
	res, err := d.action(ctx, "promote-label", map[string]string{"label": label}, d.schedule(), want)
	if err != nil {
		return nil, err
	}
	o := res.outputs
	if o["decision"] != decision {
		return nil, fmt.Errorf("step %d promote-label %s: decision %q, want %q: %s", d.step, label, o["decision"], decision, o["reason"])
	}
	switch decision {
	case "promoted":
		prev := o["previous-version"]
		if prev == "" {
			prev = "nothing"
		}
		d.stepf("promote-label %s: promoted %s (was %s): %s", label, o["version"], prev, o["reason"])
	case "failed":
		d.stepf("promote-label %s: failed, exit code %d: %s", label, res.code, o["reason"])
		doc, err := d.ledgerDoc()
		if err != nil {
			return nil, err
		}
		q, ok := doc.Quarantined(o["digest"])
		if !ok {
			return nil, fmt.Errorf("step %d: %s failed but is not quarantined", d.step, o["version"])
		}
		held, _ := doc.Head(ledger.LabelStream(label))
		d.notef("the ledger: %s (%s) quarantined by label %s; %s stays on %s", o["version"], shortDigest(o["digest"]), q.Label, label, held.Version)
	default:
		d.stepf("promote-label %s: %s, exit code %d, nothing moved: %s", label, decision, res.code, o["reason"])
	}
	return res, nil
}

// ledgerDoc reads the ledger the actions wrote, from the simulator.
func (d *demo) ledgerDoc() (*ledger.Document, error) {
	data, ok := d.gh.File(demoWorkflow, ledger.Branch, demoProduct+".json")
	if !ok {
		return nil, fmt.Errorf("no %s.json on %s@%s", demoProduct, demoWorkflow, ledger.Branch)
	}
	doc, err := ledger.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("reading the ledger: %w", err)
	}
	return doc, nil
}

// received prints the newest repository_dispatch repo received and returns it.
func (d *demo) received(repo string) *ghsim.Dispatch {
	got := d.gh.Dispatches(repo)
	if len(got) == 0 {
		d.notef("the simulator received no dispatch on %s", repo)
		return nil
	}
	last := got[len(got)-1]
	var payload map[string]cascade.Envelope
	if err := json.Unmarshal(last.ClientPayload, &payload); err != nil {
		d.notef("simulator received on %s: repository_dispatch %q with a client_payload that is not ladder's: %v", repo, last.EventType, err)
		return &last
	}
	e := payload[cascade.PayloadKey]
	build := e.Branch
	if build == "" {
		build = "its default branch"
	}
	hops := make([]string, len(e.Chain))
	for i, h := range e.Chain {
		hops[i] = h.String()
	}
	source := strings.TrimPrefix(e.Source.Ref, "refs/heads/")
	if e.Source.Channel != "" {
		source = "channel " + e.Source.Channel
	}
	d.notef("simulator received on %s: repository_dispatch %q, client_payload.ladder: build %s; chain %s; source %s in %s; correlation_id %s",
		repo, last.EventType, build, strings.Join(hops, " -> "), source, e.Source.Repo, e.CorrelationID)
	return &last
}

// targetsText reads the targets output (JSON: [{repo, branch}...]) as
// "repo@branch, repo".
func targetsText(js string) string {
	return repoBranches(js, "no target", ", ", func(repo, branch string) string {
		if branch != "" {
			return repo + "@" + branch
		}
		return repo
	})
}

// chainText reads the chain output as "branch -> branch", a hop without a
// branch by its repository.
func chainText(js string) string {
	return repoBranches(js, "-", " -> ", func(repo, branch string) string { return cmp.Or(branch, repo) })
}

// repoBranches reads a JSON list of {repo, branch} and joins what part says
// of each with sep; none is the text of an empty or unreadable list.
func repoBranches(js, none, sep string, part func(repo, branch string) string) string {
	var list []struct {
		Repo   string `json:"repo"`
		Branch string `json:"branch"`
	}
	if err := json.Unmarshal([]byte(js), &list); err != nil || len(list) == 0 {
		return none
	}
	parts := make([]string, len(list))
	for i, x := range list {
		parts[i] = part(x.Repo, x.Branch)
	}
	return strings.Join(parts, sep)
}

// auditTrail prints the ledger's commits (what happened, by whom, from
// which run, as GitHub shows them), then the registry's tags: a view of the
// ledger that converges on it.
func (d *demo) auditTrail(ctx context.Context) error {
	var writes []ghsim.CommitInfo
	for _, c := range d.gh.History(demoWorkflow, ledger.Branch) {
		if strings.HasPrefix(c.Message, "ladder: ") { // every ledger write (the branch is an orphan)
			writes = append(writes, c)
		}
	}
	d.sectionf("The ledger's audit trail: %d commits on %s@%s, %s.json (oldest first)", len(writes), demoWorkflow, ledger.Branch, demoProduct)
	for i := len(writes) - 1; i >= 0; i-- {
		subject, _, _ := strings.Cut(writes[i].Message, "\n")
		d.notef("%s %s", lock.Short(writes[i].SHA), shortenDigests(subject))
	}

	doc, err := d.ledgerDoc()
	if err != nil {
		return err
	}
	reg, err := oci.New(oci.WithInsecure(), oci.WithClock(d.clk), oci.WithUserAgent("ladder/"+app.Version))
	if err != nil {
		return err
	}
	repo := d.regHost + "/acme/" + demoProduct
	tags, err := reg.Tags(ctx, repo)
	if err != nil {
		return fmt.Errorf("listing the registry's tags: %w", err)
	}
	var views, versions []string
	for _, t := range []string{"dev", "staging", "stable", "testing", "testing-previous", "current", "current-previous"} {
		desc, err := reg.Head(ctx, repo+":"+t)
		if err != nil {
			return fmt.Errorf("reading tag %s: %w", t, err)
		}
		v := shortDigest(desc.Digest)
		if b, ok := doc.BundleByDigest(desc.Digest); ok {
			v = b.Version
		}
		views = append(views, t+" -> "+v)
	}
	for _, b := range doc.Bundles {
		versions = append(versions, b.Version)
	}
	d.sectionf("The registry, a view of the ledger: %s holds %d tags", repo, len(tags))
	d.notef("%s", strings.Join(views, ", "))
	d.notef("version tags, never moved: %s", strings.Join(versions, ", "))
	return nil
}

// olmCatalog reads the OLM catalog image build-bundle and promote-label
// republished (export.olm: the runs that moved testing, current, or
// staging, where testing's skips come from) from the registry, as a
// cluster's catalogd would, and prints its label, package and channels:
// each one's head and number of entries.
func (d *demo) olmCatalog(ctx context.Context) error {
	reg, err := oci.New(oci.WithInsecure(), oci.WithClock(d.clk), oci.WithUserAgent("ladder/"+app.Version))
	if err != nil {
		return err
	}
	ref := d.regHost + "/acme/" + demoProduct + ":catalog"
	img, desc, err := reg.ReadBundle(ctx, ref)
	if err != nil {
		return err
	}
	if len(img.Files) != 1 {
		return fmt.Errorf("%s has %d layers, want 1", ref, len(img.Files))
	}
	layer, err := reg.FetchFile(ctx, d.regHost+"/acme/"+demoProduct, img.Files[0].Digest)
	if err != nil {
		return err
	}
	data, ok, err := oci.LayerFile(layer, oci.CatalogPath(demoPackage))
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%s holds no %s", ref, oci.CatalogPath(demoPackage))
	}
	var pkg catalog.Package
	var channels []catalog.Channel
	dec := json.NewDecoder(bytes.NewReader(data))
	for dec.More() {
		var obj struct {
			catalog.Channel
			DefaultChannel string `json:"defaultChannel"`
		}
		if err := dec.Decode(&obj); err != nil {
			return fmt.Errorf("reading %s: %w", oci.CatalogPath(demoPackage), err)
		}
		switch obj.Schema {
		case catalog.SchemaPackage:
			pkg = catalog.Package{Schema: obj.Schema, Name: obj.Name, DefaultChannel: obj.DefaultChannel}
		case catalog.SchemaChannel:
			channels = append(channels, obj.Channel)
		}
	}
	var cfg struct {
		Config struct{ Labels map[string]string } `json:"config"`
	}
	if err := json.Unmarshal(img.Config, &cfg); err != nil {
		return fmt.Errorf("reading the image config of %s: %w", ref, err)
	}
	d.sectionf("The OLM catalog (export.olm, story S7): %s (%s), republished by the runs that moved a stream it reads", ref, shortDigest(desc.Digest))
	d.notef("%s, label %s=%s; package %s, default channel %s", oci.CatalogPath(demoPackage),
		oci.CatalogConfigsLabel, cfg.Config.Labels[oci.CatalogConfigsLabel], pkg.Name, pkg.DefaultChannel)
	for _, ch := range channels {
		head := "-"
		if n := len(ch.Entries); n > 0 {
			head = ch.Entries[n-1].Name
		}
		d.notef("channel %s: head %s, %d entries", ch.Name, head, len(ch.Entries))
	}
	return nil
}

var demoDigestRE = regexp.MustCompile(`sha256:[0-9a-f]{64}`)

func shortenDigests(s string) string {
	return demoDigestRE.ReplaceAllStringFunc(s, shortDigest)
}

// retire ends the dev line in one step (story S6: ladder retire, here the
// root action's command: retire), then shows that build-bundle for it
// answers retired and writes nothing; ladder status then shows it retired.
func (d *demo) retire(ctx context.Context) error {
	d.sectionf("End of life (story S6): the dev line is retired in one step")
	res, err := d.action(ctx, "retire", map[string]string{"channel": "dev", "reason": "dev moves to the 2.x repository"}, d.schedule(), app.ExitOK)
	if err != nil {
		return err
	}
	d.stepf("retire dev: frozen at %s (%s), tagged dev and dev-eol; %s end-of-life dispatches", res.outputs["version"], shortDigest(res.outputs["digest"]), res.outputs["dispatched"])
	d.gh.Commit("rancher/elemental-cli", "main", "cli: after the end of life")
	res, err = d.action(ctx, "build-bundle", map[string]string{"channel": "dev", "lock-file": "dev-after-eol.json"}, d.push("main"), app.ExitOK)
	if err != nil {
		return err
	}
	if res.outputs["published"] != "false" {
		return fmt.Errorf("build-bundle of the retired dev channel published %s", res.outputs["version"])
	}
	d.stepf("build-bundle dev (a new commit on main): published=false, the channel is retired: nothing pushed, claimed or tagged")
	return nil
}

// status runs `ladder status` as a user would, against the simulator.
func (d *demo) status(ctx context.Context) error {
	d.sectionf("$ ladder status")
	env := map[string]string{
		"GITHUB_API_URL":    d.gh.URL(),
		"GITHUB_REPOSITORY": demoWorkflow,
		"GITHUB_WORKSPACE":  d.ws,
		"GITHUB_TOKEN":      d.token,
	}
	var out, stderr bytes.Buffer
	code := app.Main(ctx, []string{"status"}, app.Deps{Getenv: func(k string) string { return env[k] }, Stdout: &out, Stderr: &stderr, Now: d.clk.Now, Sleep: d.clk.Sleep})
	d.printf("%s", out.String())
	if code != app.ExitOK {
		return fmt.Errorf("exit code %d: %s", code, redact.Secrets(strings.TrimSpace(stderr.String()), redact.RunnerMark, d.token))
	}
	return nil
}

// pokeAround says how to look at what the demo left running.
func (d *demo) pokeAround() {
	repo := d.regHost + "/acme/" + demoProduct
	auth := fmt.Sprintf(`-H "Authorization: Bearer $(cat %s)"`, d.viewer)
	d.sectionf("--keep: the servers stay up until Ctrl-C. Try:")
	d.notef("crane ls %s", repo)
	d.notef("crane manifest %s:current", repo)
	d.notef("crane config %s:current      # the lock behind the label", repo)
	d.notef("crane manifest %s:current-previous", repo)
	d.notef("curl -s %s %s/repos/%s/branches", auth, d.gh.URL(), demoWorkflow)
	d.notef("curl -s %s -H 'Accept: application/vnd.github.raw+json' '%s/repos/%s/contents/%s.json?ref=%s'   # the ledger", auth, d.gh.URL(), demoWorkflow, demoProduct, ledger.Branch)
	d.notef("(%s holds a read-only token for the simulator; the workflow's own token is not shown)", d.viewer)
	d.notef("workspace %s: the config, ladder-lock.json; each run's event, outputs and step summary under %s", d.ws, d.runner)
	d.notef("git ls-remote %s", d.osURL)
	d.notef("GITHUB_API_URL=%s GITHUB_REPOSITORY=%s GITHUB_WORKSPACE=%s GITHUB_TOKEN=$(cat %s) go run ./cmd/ladder status --history current", d.gh.URL(), demoWorkflow, d.ws, d.viewer)
	if data, ok := d.gh.File(demoWorkflow, ledger.Branch, demoProduct+".json"); ok {
		p := filepath.Join(d.ws, "ledger-snapshot.json")
		if os.WriteFile(p, data, 0o644) == nil {
			d.notef("a copy of the ledger as the demo left it: %s", p)
		}
	}
}

// shortDigest is a digest's algorithm and first 12 hex digits, as ladder
// status prints it.
func shortDigest(d string) string {
	alg, enc, ok := strings.Cut(d, ":")
	if !ok || len(enc) <= 12 {
		return d
	}
	return alg + ":" + enc[:12]
}
