package app

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ladder-release/ladder/actions"
	"github.com/ladder-release/ladder/internal/action/actiontest"
	"github.com/ladder-release/ladder/internal/bundle"
	"github.com/ladder-release/ladder/internal/ghsim"
	"github.com/ladder-release/ladder/internal/lock"
	"github.com/ladder-release/ladder/internal/oci"
	"github.com/ladder-release/ladder/internal/testutil/registry"
)

func resolveOK(t *testing.T, w *world, inputs map[string]string) (result, lock.Lock) {
	t.Helper()
	res := w.runAction(t, "resolve-channel", inputs, nil)
	if res.code != 0 {
		t.Fatalf("resolve-channel exited %d\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
	}
	l, err := lock.Parse([]byte(res.outputs["lock"]))
	if err != nil {
		t.Fatalf("output lock: %v", err)
	}
	return res, l
}

func wantEntry(t *testing.T, l lock.Lock, name, ref, version, commit string) {
	t.Helper()
	e, ok := l.Entry(name)
	if !ok {
		t.Fatalf("no %s in lock", name)
	}
	if e.Ref != ref || e.Version != version || e.Commit != commit {
		t.Errorf("%s: got ref=%s version=%s commit=%s, want ref=%s version=%s commit=%s", name, e.Ref, e.Version, e.Commit, ref, version, commit)
	}
}

func TestResolveDevEveryOutput(t *testing.T) {
	w := newWorld(t, worldOpt{})
	w.writeConfig(t, w.s1Config(""))
	res, l := resolveOK(t, w, map[string]string{"channel": "dev"})

	wantEntry(t, l, "cli", "refs/heads/main", "main", w.c["cli3"])
	wantEntry(t, l, "toolkit", "refs/heads/main", "main", w.c["tk2"])
	wantEntry(t, l, "operator", "refs/heads/main", "main", w.c["op3"])
	wantEntry(t, l, "os", "refs/heads/main", "main", w.c["os3"])
	if names := []string{l.Components[0].Name, l.Components[1].Name, l.Components[2].Name, l.Components[3].Name}; strings.Join(names, ",") != "cli,toolkit,operator,os" {
		t.Errorf("lock order %v, want config order", names)
	}
	if e, _ := l.Entry("os"); e.Git != w.osRepo.HTTPURL() || e.Repo != "" {
		t.Errorf("os entry source: %+v", e)
	}

	id := lock.Short(w.c["cli3"]) + "-" + lock.Short(w.c["tk2"]) + "-" + lock.Short(w.c["op3"]) + "-" + lock.Short(w.c["os3"])
	o := res.outputs
	if o["id"] != id {
		t.Errorf("id = %q, want %q", o["id"], id)
	}
	if o["lock-digest"] != l.Digest() || !strings.HasPrefix(o["lock-digest"], "sha256:") {
		t.Errorf("lock-digest = %q, lock's digest %q", o["lock-digest"], l.Digest())
	}
	if want := "0.0.1-dev.20261122T011500." + id; o["version"] != want {
		t.Errorf("version = %q, want %q", o["version"], want)
	}
	if o["changed"] != "true" {
		t.Errorf("changed = %q with nothing published", o["changed"])
	}
	if o["lock-file"] != "ladder-lock.json" {
		t.Errorf("lock-file = %q", o["lock-file"])
	}
	var versions map[string]string
	if err := json.Unmarshal([]byte(o["versions"]), &versions); err != nil || versions["cli"] != "main" || len(versions) != 4 {
		t.Errorf("versions = %q (%v)", o["versions"], err)
	}
	for _, key := range []string{"labels", "annotations"} {
		for _, want := range []string{
			"org.opencontainers.image.version=" + o["version"],
			"org.opencontainers.image.revision=" + strings.Repeat("e", 40),
			"org.opencontainers.image.source=" + w.gh.ServerURL() + "/acme/elemental",
			"org.opencontainers.image.created=2026-11-22T01:15:00Z",
			"org.opencontainers.image.title=elemental",
			"dev.ladder.lock-digest=" + l.Digest(),
			"dev.ladder.id=" + id,
			"dev.ladder.channel=dev",
			"dev.ladder.component.os=main@" + w.c["os3"],
		} {
			if !containsLine(o[key], want) {
				t.Errorf("%s lacks %q:\n%s", key, want, o[key])
			}
		}
	}
	// the lock file holds the same lock
	data, err := os.ReadFile(filepath.Join(w.ws, "ladder-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	fl, err := lock.Parse(data)
	if err != nil || fl.Digest() != l.Digest() || !fl.Created.Equal(now) {
		t.Errorf("lock file: %v, digest %s, created %v", err, fl.Digest(), fl.Created)
	}
	// every declared output is set
	meta, err := actions.Load("resolve-channel")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range meta.OutputNames() {
		if _, ok := o[name]; !ok {
			t.Errorf("declared output %s was not set", name)
		}
	}
	// the step summary has a row per component
	for _, want := range []string{"| cli |", "| os |", lock.Short(w.c["os3"]), "branch main", w.osRepo.HTTPURL()} {
		if !strings.Contains(res.summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, res.summary)
		}
	}
}

func containsLine(s, line string) bool {
	for _, l := range strings.Split(s, "\n") {
		if l == line {
			return true
		}
	}
	return false
}

func TestResolveStagingSemver(t *testing.T) {
	w := newWorld(t, worldOpt{})
	w.writeConfig(t, w.s1Config(""))
	res, l := resolveOK(t, w, map[string]string{"channel": "staging"})
	// annotated v0.2.1 is the highest release (v0.3.0-rc.1 is a prerelease); peeled to the commit
	wantEntry(t, l, "cli", "refs/tags/v0.2.1", "0.2.1", w.c["cli2"])
	if e, _ := l.Entry("cli"); e.Commit == w.c["cli-v0.2.1-object"] {
		t.Error("annotated tag resolved to the tag object, not the commit")
	}
	wantEntry(t, l, "toolkit", "refs/tags/v0.10.0", "0.10.0", w.c["tk1"])
	// prefix and prereleases allowed by the per-component override
	wantEntry(t, l, "operator", "refs/tags/operator/v1.2.4-rc.1", "1.2.4-rc.1", w.c["op3"])
	wantEntry(t, l, "os", "refs/tags/v1.2.3", "1.2.3", w.c["os3"])
	if res.outputs["version"] != "1.2.4-rc.1" {
		t.Errorf("version = %q, want the operator's (version: {from: operator})", res.outputs["version"])
	}
}

func TestResolveStablePins(t *testing.T) {
	w := newWorld(t, worldOpt{})
	w.writeConfig(t, w.s1Config(""))
	res, l := resolveOK(t, w, map[string]string{"channel": "stable"})
	wantEntry(t, l, "cli", "refs/tags/v0.2.1", "0.2.1", w.c["cli2"]) // annotated, peeled
	wantEntry(t, l, "toolkit", "refs/tags/v0.9.0", "0.9.0", w.c["tk2"])
	wantEntry(t, l, "operator", "refs/tags/operator/v1.0.0", "1.0.0", w.c["op1"])
	wantEntry(t, l, "os", w.c["os1"], lock.Short(w.c["os1"]), w.c["os1"]) // a SHA that is no ref's tip
	if res.outputs["version"] != "0.0.1" {
		t.Errorf("version = %q, want 0.0.1 (bump patch over nothing)", res.outputs["version"])
	}
}

func TestResolvePinThatDoesNotExist(t *testing.T) {
	for _, c := range []struct{ name, pin, component string }{
		{"github tag", "{cli: v9.9.9, toolkit: v0.9.0, operator: operator/v1.0.0, os: v1.0.2}", "cli"},
		{"git sha", "{cli: v0.2.1, toolkit: v0.9.0, operator: operator/v1.0.0, os: " + strings.Repeat("a", 40) + "}", "os"},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t, worldOpt{})
			cfg := strings.Replace(w.s1Config(""), "track: {pin: {cli: v0.2.1, toolkit: v0.9.0, operator: operator/v1.0.0, os: "+w.c["os1"]+"}}", "track: {pin: "+c.pin+"}", 1)
			w.writeConfig(t, cfg)
			res := w.runAction(t, "resolve-channel", map[string]string{"channel": "stable"}, nil)
			if res.code != ExitFailure {
				t.Fatalf("exit %d, want %d", res.code, ExitFailure)
			}
			pin := "v9.9.9"
			if c.component == "os" {
				pin = strings.Repeat("a", 40)
			}
			re := regexp.MustCompile(`(?m)^::error file=\.github/ladder\.yaml,line=\d+,col=\d+::.*component ` + c.component + `\b.*` + regexp.QuoteMeta(pin) + `.*not found`)
			if !re.MatchString(res.stdout) {
				t.Errorf("no annotation naming component %s and pin %s:\n%s", c.component, pin, res.stdout)
			}
			w.wantNoTrace(t, res, "ladder-lock.json")
		})
	}
}

func TestResolveConfigErrorBeforeAnyNetworkCall(t *testing.T) {
	w := newWorld(t, worldOpt{})
	w.writeConfig(t, strings.Replace(w.s1Config(""), `track: {semver: ">=0.1.0"}`, `track: {semver: ">=zero"}`, 1))
	w.gh.ResetStats()
	res := w.runAction(t, "resolve-channel", map[string]string{"channel": "dev"}, nil)
	if res.code != ExitFailure {
		t.Fatalf("exit %d", res.code)
	}
	if !regexp.MustCompile(`(?m)^::error file=\.github/ladder\.yaml,line=15,col=\d+::channels\.staging\.track\.semver: `).MatchString(res.stdout) {
		t.Errorf("no positioned annotation:\n%s", res.stdout)
	}
	if n := len(w.gh.Requests()); n != 0 {
		t.Errorf("%d GitHub requests made before the config was valid", n)
	}
}

func TestResolveUnknownChannel(t *testing.T) {
	w := newWorld(t, worldOpt{})
	w.writeConfig(t, w.s1Config(""))
	res := w.runAction(t, "resolve-channel", map[string]string{"channel": "prod"}, nil)
	if res.code != ExitFailure || !strings.Contains(res.stdout, `"prod" is not a channel`) || !strings.Contains(res.stdout, "dev, staging, stable, nightly") {
		t.Errorf("exit %d:\n%s", res.code, res.stdout)
	}
}

func TestResolveSameVersionConstraint(t *testing.T) {
	w := newWorld(t, worldOpt{})
	w.writeConfig(t, w.s1Config("constraints:\n  - same-version: [operator, os]\n"))
	res := w.runAction(t, "resolve-channel", map[string]string{"channel": "staging"}, nil)
	if res.code != ExitFailure {
		t.Fatalf("exit %d", res.code)
	}
	if !strings.Contains(res.stdout, "constraint same-version [operator, os] violated: operator=1.2.4-rc.1, os=1.2.3") {
		t.Errorf("error does not name components and versions:\n%s", res.stdout)
	}
	// pinned so that they agree: passes
	w.osRepo.Tag("v1.2.4-rc.1", w.c["os3"])
	cfg := strings.Replace(w.s1Config("constraints:\n  - same-version: [operator, os]\n"), "      operator: {semver: \"~1.2\", prerelease: true}", "      operator: {semver: \"~1.2\", prerelease: true}\n      os: {semver: \"~1.2\", prerelease: true}", 1)
	w.writeConfig(t, cfg)
	if _, l := resolveOK(t, w, map[string]string{"channel": "staging"}); l.Versions()["os"] != "1.2.4-rc.1" {
		t.Errorf("os = %s", l.Versions()["os"])
	}
}

func TestResolveTokenMaskedBeforeFirstUse(t *testing.T) {
	w := newWorld(t, worldOpt{})
	w.writeConfig(t, w.s1Config(""))
	res, _ := resolveOK(t, w, map[string]string{"channel": "dev", "registry-username": "octocat", "registry-password": "hunter2-registry"})
	first := strings.SplitN(res.stdout, "\n", 3)
	if len(first) < 2 || first[0] != "::add-mask::"+actiontest.Token || first[1] != "::add-mask::hunter2-registry" {
		t.Errorf("the first lines are not the masks:\n%s", res.stdout)
	}
	rest := strings.Join(first[2:], "\n")
	if strings.Contains(rest, actiontest.Token) || strings.Contains(rest, "hunter2-registry") || strings.Contains(res.stderr, actiontest.Token) {
		t.Error("a secret was printed after masking")
	}
}

func TestResolveEnterpriseServerPrefix(t *testing.T) {
	w := newWorld(t, worldOpt{ghOpts: []ghsim.Option{ghsim.WithPrefix("/api/v3")}})
	w.writeConfig(t, w.s1Config(""))
	if !strings.HasSuffix(w.gh.URL(), "/api/v3") {
		t.Fatalf("simulator URL %s has no prefix", w.gh.URL())
	}
	_, l := resolveOK(t, w, map[string]string{"channel": "staging"})
	wantEntry(t, l, "toolkit", "refs/tags/v0.10.0", "0.10.0", w.c["tk1"])
}

// publishLock puts a bundle holding l into the product's repository under
// tags, as build-bundle will: the lock as config, its digest as an annotation.
func publishLock(t *testing.T, w *world, l lock.Lock, version string, tags ...string) string {
	t.Helper()
	return pushLock(t, w.registry+"/acme/elemental", l, version, tags...)
}

// pushLock puts a bundle holding l into repo under tags.
func pushLock(t *testing.T, repo string, l lock.Lock, version string, tags ...string) string {
	t.Helper()
	c, err := oci.New(oci.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	d, err := c.PushBundle(ctx, repo, oci.Bundle{Config: l.JSON(), Annotations: bundle.Annotations(bundle.Info{Lock: l, Version: version, Created: now})})
	if err != nil {
		t.Fatal(err)
	}
	for _, tag := range tags {
		if err := c.Tag(ctx, repo, d, tag); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

func TestResolveChangedAndKnownVersionsFromRegistry(t *testing.T) {
	w := newWorld(t, worldOpt{})
	w.writeConfig(t, w.s1Config(""))
	_, l := resolveOK(t, w, map[string]string{"channel": "dev"})
	publishLock(t, w, l, "1.4.0", "1.4.0", "dev")

	res, again := resolveOK(t, w, map[string]string{"channel": "dev"})
	if res.outputs["changed"] != "false" {
		t.Errorf("changed = %s although the dev bundle holds the same lock", res.outputs["changed"])
	}
	if res.outputs["version"] != "1.4.0" || again.Digest() != l.Digest() {
		t.Errorf("version = %s, want 1.4.0 (unchanged: build-bundle would report the current bundle)", res.outputs["version"])
	}
	w.c["cli4"] = w.gh.Commit("rancher/elemental-cli", "main", "cli: fourth")
	res, moved := resolveOK(t, w, map[string]string{"channel": "dev"})
	if res.outputs["changed"] != "true" {
		t.Errorf("changed = %s after a new commit on main", res.outputs["changed"])
	}
	if want := "1.4.1-dev.20261122T011500." + moved.CompositeID(); res.outputs["version"] != want {
		t.Errorf("version = %s, want %s (next patch after the published 1.4.0)", res.outputs["version"], want)
	}
}

func TestResolveLabelChannel(t *testing.T) {
	w := newWorld(t, worldOpt{})
	w.writeConfig(t, w.s1Config(""))
	res := w.runAction(t, "resolve-channel", map[string]string{"channel": "nightly"}, nil)
	if res.code != ExitFailure || !strings.Contains(res.stdout, "label current points at no bundle yet") {
		t.Fatalf("exit %d:\n%s", res.code, res.stdout)
	}
	_, staging := resolveOK(t, w, map[string]string{"channel": "staging"})
	publishLock(t, w, staging, "1.2.4-rc.1", "1.2.4-rc.1", "current")
	w.gh.Commit("rancher/elemental-cli", "main", "moves on") // the label must not follow branches
	_, l := resolveOK(t, w, map[string]string{"channel": "nightly"})
	if l.Digest() != staging.Digest() || l.Channel != "nightly" {
		t.Errorf("nightly resolved to %s (%s), want the lock behind label current %s", l.Digest(), l.Channel, staging.Digest())
	}
}

func TestResolveDryRunWritesNoLockFile(t *testing.T) {
	w := newWorld(t, worldOpt{})
	w.writeConfig(t, w.s1Config(""))
	res, _ := resolveOK(t, w, map[string]string{"channel": "dev", "dry-run": "true", "lock-file": "out/lock.json"})
	if _, err := os.Stat(filepath.Join(w.ws, "out", "lock.json")); !os.IsNotExist(err) {
		t.Error("dry-run wrote the lock file")
	}
	if !strings.Contains(res.summary, "(dry run)") {
		t.Error("summary does not say dry run")
	}
}

func TestResolveAgainstDistributionRegistry(t *testing.T) {
	w := newWorld(t, worldOpt{registry: registry.Distribution(t)})
	w.writeConfig(t, w.s1Config(""))
	_, l := resolveOK(t, w, map[string]string{"channel": "dev"})
	publishLock(t, w, l, "2.0.0", "2.0.0", "dev")
	res, _ := resolveOK(t, w, map[string]string{"channel": "dev"})
	if res.outputs["changed"] != "false" || res.outputs["version"] != "2.0.0" {
		t.Errorf("changed=%s version=%s", res.outputs["changed"], res.outputs["version"])
	}
	w.gh.Commit("rancher/elemental-cli", "main", "cli: moves on")
	res, _ = resolveOK(t, w, map[string]string{"channel": "dev"})
	if res.outputs["changed"] != "true" || !strings.HasPrefix(res.outputs["version"], "2.0.1-dev.") {
		t.Errorf("after a new commit: changed=%s version=%s", res.outputs["changed"], res.outputs["version"])
	}
}

func TestCLIFlagsAreInputs(t *testing.T) {
	w := newWorld(t, worldOpt{})
	w.writeConfig(t, w.s1Config(""))
	env := map[string]string{"GITHUB_API_URL": w.gh.URL(), "GITHUB_TOKEN": actiontest.Token}
	getenv := func(k string) string { return env[k] }
	var out, errb bytes.Buffer
	lockPath := filepath.Join(t.TempDir(), "cli.json")
	cfgPath := filepath.Join(w.ws, ".github", "ladder.yaml")
	code := Main(context.Background(), []string{"resolve-channel", "--channel", "staging", "--lock-file", lockPath, "--config=" + cfgPath}, Deps{Getenv: getenv, Stdout: &out, Stderr: &errb, Now: func() time.Time { return now }})
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, out.String(), errb.String())
	}
	if !regexp.MustCompile(`(?m)^version=1\.2\.4-rc\.1$`).MatchString(out.String()) {
		t.Errorf("CLI outputs:\n%s", out.String())
	}
	if _, err := os.Stat(lockPath); err != nil {
		t.Error(err)
	}
	code = Main(context.Background(), []string{"resolve-channel", "--chanel", "dev"}, Deps{Getenv: getenv, Stdout: &out, Stderr: &errb})
	if code != ExitUsage || !strings.Contains(errb.String(), "unknown input --chanel") {
		t.Errorf("unknown flag: exit %d, %s", code, errb.String())
	}
}

// TestEveryActionMasksSecretsFirst: whatever an action goes on to do, its
// first output lines mask the token and the registry password, and neither
// appears anywhere else.
func TestEveryActionMasksSecretsFirst(t *testing.T) {
	w := newWorld(t, worldOpt{})
	w.writeConfig(t, withLedger(w.s1Config("cascade:\n  branches: {main: [next]}\n"), "file:ledger.json"))
	secrets := map[string]string{"registry-username": "octocat", "registry-password": "hunter2-registry"}
	for _, c := range []struct {
		action string
		inputs map[string]string
		extra  map[string]string
	}{
		{"resolve-channel", map[string]string{"channel": "dev"}, nil},
		{"build-bundle", map[string]string{"channel": "dev"}, nil},
		{"promote-label", map[string]string{"label": "testing"}, nil},
		{"cascade-branches", map[string]string{"dry-run": "true"}, map[string]string{"GITHUB_EVENT_NAME": "push", "GITHUB_RUN_ATTEMPT": "1"}},
	} {
		t.Run(c.action, func(t *testing.T) {
			in := map[string]string{}
			for k, v := range c.inputs {
				in[k] = v
			}
			for k, v := range secrets {
				in[k] = v
			}
			res := w.runAction(t, c.action, in, c.extra)
			lines := strings.SplitN(res.stdout, "\n", 3)
			if len(lines) < 3 || lines[0] != "::add-mask::"+actiontest.Token || lines[1] != "::add-mask::hunter2-registry" {
				t.Fatalf("exit %d; the first lines are not the masks:\n%s", res.code, res.stdout)
			}
			for _, s := range []string{actiontest.Token, "hunter2-registry"} {
				if strings.Contains(lines[2], s) || strings.Contains(res.stderr, s) || strings.Contains(res.summary, s) {
					t.Errorf("%s printed after masking", s)
				}
			}
		})
	}
}

// TestCLIOnlyCommands: validate, schema and version from a terminal.
func TestCLIOnlyCommands(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(good, []byte("version: 1\nproduct: x\nregistry: ghcr.io/a/b\ncomponents: {a: {repo: o/r}}\nchannels: {dev: {track: {branch: main}}}\n"), 0o644)
	os.WriteFile(bad, []byte("version: 1\nproduct: x\nregistry: ghcr.io/a/b\ncomponents: {a: {repo: o/r}}\nchannels: {dev: {track: {branch: main}}}\nlabels: {t: {from: nope}}\n"), 0o644)
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := Main(context.Background(), args, Deps{Getenv: func(string) string { return "" }, Stdout: &out, Stderr: &errb})
		return code, out.String(), errb.String()
	}
	if code, out, _ := run("validate", "--config", good); code != 0 || !strings.Contains(out, "ok (1 components, 1 channels, 0 labels)") {
		t.Errorf("validate good: %d %q", code, out)
	}
	code, out, errs := run("validate", "--config", bad)
	if code != ExitFailure || !strings.Contains(errs, bad+`:6:20: labels.t.from: unknown channel or label "nope"`) || strings.Contains(out, "::error") {
		t.Errorf("validate bad: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	code, out, _ = run("schema")
	var schema map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &schema) != nil || schema["$schema"] == nil {
		t.Errorf("schema: exit %d, not a JSON Schema: %.80s", code, out)
	}
	if code, out, _ := run("version"); code != 0 || out != "ladder dev\n" {
		t.Errorf("version: %d %q", code, out)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"validate", "--config", good, "--bogus", "x"}, "unknown flag --bogus (flags: --config)"},
		{[]string{"schema", "--json"}, "unknown flag --json (this command takes none)"},
		{[]string{"version", "--short"}, "unknown flag --short (this command takes none)"},
	} {
		if code, _, errs := run(c.args...); code != ExitUsage || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", c.args, code, errs, c.want)
		}
	}
	if code, _, errs := run("nope"); code != ExitUsage || !strings.Contains(errs, `unknown command "nope"`) {
		t.Errorf("unknown command: %d %q", code, errs)
	}
}

// TestResolveGitOnlyNeedsNoToken: a product made only of git: components
// resolves without any GitHub token (no GitHub client is made at all).
func TestResolveGitOnlyNeedsNoToken(t *testing.T) {
	w := newWorld(t, worldOpt{})
	cfg := "version: 1\nproduct: osonly\nregistry: " + w.registry + "/acme/osonly\nledger: none\ncomponents:\n  os: {git: \"" + w.osRepo.HTTPURL() + "\"}\nchannels:\n  dev: {track: {branch: main}}\n"
	p := filepath.Join(t.TempDir(), "ladder.yaml")
	os.WriteFile(p, []byte(cfg), 0o644)
	var out, errb bytes.Buffer
	code := Main(context.Background(), []string{"resolve-channel", "--channel", "dev", "--config", p, "--dry-run"},
		Deps{Getenv: func(string) string { return "" }, Stdout: &out, Stderr: &errb, Now: func() time.Time { return now }})
	if code != 0 || !strings.Contains(out.String(), "id="+lock.Short(w.c["os3"])) {
		t.Errorf("exit %d\n%s%s", code, out.String(), errb.String())
	}
}

// The same root cause seen from resolve-channel: with one image published
// for two locks, the channel's "current lock" is read from the first bundle
// with the head's digest. Resolving the head's own commits again answers
// changed=true (a workflow gated on it rebuilds on every run), while the
// first lock's commits would answer changed=false.
func TestReviewImageChangedWhenTheHeadsImageWasPublishedBefore(t *testing.T) {
	w := newS1World(t, "file:ledger.json")
	img := w.registry + "/acme/elemental-os:build"
	pushImage(t, img)
	w.resolveAt(t, "dev", "one.json", now)
	w.gh.Commit("rancher/elemental-cli", "main", "cli: two")
	w.resolveAt(t, "dev", "two.json", now.Add(time.Minute))
	buildOK(t, w, map[string]string{"channel": "dev", "lock-file": "one.json", "image": img})
	buildOK(t, w, map[string]string{"channel": "dev", "lock-file": "two.json", "image": img})
	res, _ := resolveOK(t, w, map[string]string{"channel": "dev", "lock-file": "again.json"})
	if res.outputs["changed"] != "false" {
		t.Errorf("resolving dev's head's own commits again: changed=%s, want false", res.outputs["changed"])
	}
}
