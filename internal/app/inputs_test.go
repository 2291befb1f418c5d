package app

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ladder-release/ladder/actions"
	"github.com/ladder-release/ladder/internal/cascade"
	"github.com/ladder-release/ladder/internal/cli"
	"github.com/ladder-release/ladder/internal/promote"
)

// getInputs is an action's inputs as the runner sets them: every input
// action.yml declares, at its default unless set. Reading an input action.yml
// does not declare fails the test.
func getInputs(t *testing.T, action string, set map[string]string) func(string) string {
	t.Helper()
	meta, err := actions.Load(action)
	if err != nil {
		t.Fatal(err)
	}
	for k := range set {
		if _, ok := meta.Inputs[k]; !ok {
			t.Fatalf("the case sets input %s, which %s does not declare", k, action)
		}
	}
	return func(name string) string {
		in, ok := meta.Inputs[name]
		if !ok {
			t.Errorf("%s read input %s, which its action.yml does not declare", action, name)
			return ""
		}
		if v, ok := set[name]; ok {
			return v
		}
		return in.Default
	}
}

// checkParse checks one case of a parse table: no error and the want value,
// or an error that is a usage error and says wantErr.
func checkParse[T any](t *testing.T, got T, err error, want T, wantErr string) {
	t.Helper()
	switch {
	case wantErr == "" && err != nil:
		t.Fatalf("error %v", err)
	case wantErr == "" && !reflect.DeepEqual(got, want):
		t.Errorf("got %+v, want %+v", got, want)
	case wantErr != "" && err == nil:
		t.Fatalf("no error, want %q", wantErr)
	case wantErr != "" && !strings.Contains(err.Error(), wantErr):
		t.Errorf("error %q, want %q", err, wantErr)
	case wantErr != "" && !cli.IsUsage(err):
		t.Errorf("error %q is not a usage error (exit 2)", err)
	}
}

func TestParseResolveInputs(t *testing.T) {
	for _, c := range []struct {
		name    string
		set     map[string]string
		want    resolveInputs
		wantErr string
	}{
		{"defaults", map[string]string{"channel": "dev"}, resolveInputs{channel: "dev", lockFile: "ladder-lock.json"}, ""},
		{"dry run", map[string]string{"channel": "dev", "dry-run": "True", "lock-file": "out/l.json"}, resolveInputs{channel: "dev", lockFile: "out/l.json", dryRun: true}, ""},
		{"channel is required", nil, resolveInputs{}, "input channel: required, and not set"},
		{"dry-run not a boolean", map[string]string{"channel": "dev", "dry-run": "yes"}, resolveInputs{}, `input dry-run: "yes" is not a boolean`},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseResolveInputs(getInputs(t, "resolve-channel", c.set))
			checkParse(t, got, err, c.want, c.wantErr)
		})
	}
}

func TestParseBuildInputs(t *testing.T) {
	digest := "sha256:" + strings.Repeat("ab", 32)
	base := buildInputs{channel: "dev", lockFile: "ladder-lock.json"}
	with := func(f func(*buildInputs)) buildInputs { b := base; f(&b); return b }
	for _, c := range []struct {
		name    string
		set     map[string]string
		want    buildInputs
		wantErr string
	}{
		{"defaults", map[string]string{"channel": "dev"}, base, ""},
		{"files and tags are lines, trimmed, blank ones dropped", map[string]string{"channel": "dev", "files": " a/*.yaml \n\n b.txt", "tags": "x\n  y  \n"},
			with(func(b *buildInputs) { b.files, b.extraTags = []string{"a/*.yaml", "b.txt"}, []string{"x", "y"} }), ""},
		{"a version", map[string]string{"channel": "dev", "version": "1.2.3-rc.1"}, with(func(b *buildInputs) { b.version = "1.2.3-rc.1" }), ""},
		{"an image digest", map[string]string{"channel": "dev", "image": digest}, with(func(b *buildInputs) { b.image = digest }), ""},
		{"force and dry-run", map[string]string{"channel": "dev", "force": "TRUE", "dry-run": "true"}, with(func(b *buildInputs) { b.force, b.dryRun = true, true }), ""},
		{"channel is required", map[string]string{"version": "1.0.0"}, buildInputs{}, "input channel: required, and not set"},
		{"force not a boolean", map[string]string{"channel": "dev", "force": "yes"}, buildInputs{}, `input force: "yes" is not a boolean`},
		{"dry-run not a boolean", map[string]string{"channel": "dev", "dry-run": "1"}, buildInputs{}, `input dry-run: "1" is not a boolean`},
		{"version v1.2.3: drop the v", map[string]string{"channel": "dev", "version": "v1.2.3"}, buildInputs{}, `input version: "v1.2.3" is not a semver version (drop the leading v)`},
		{"version not semver, no v to drop", map[string]string{"channel": "dev", "version": "1.2"}, buildInputs{}, `input version: "1.2" is not a semver version: `},
		{"a tag that is not an OCI tag", map[string]string{"channel": "dev", "tags": "ok\n-bad"}, buildInputs{}, `input tags: "-bad" is not a valid OCI tag`},
		{"image sha256: that is not a digest", map[string]string{"channel": "dev", "image": "sha256:abc"}, buildInputs{}, `input image: "sha256:abc" is not a digest`},
		{"image and files", map[string]string{"channel": "dev", "image": digest, "files": "a.yaml"}, buildInputs{}, "inputs image and files: an image bundle carries the lock only; give one or the other"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseBuildInputs(getInputs(t, "build-bundle", c.set))
			checkParse(t, got, err, c.want, c.wantErr)
		})
	}
}

func TestParsePromoteInputs(t *testing.T) {
	base := promoteInputs{label: "testing", mode: promote.ModePromote}
	with := func(f func(*promoteInputs)) promoteInputs { p := base; f(&p); return p }
	for _, c := range []struct {
		name    string
		set     map[string]string
		want    promoteInputs
		wantErr string
	}{
		{"defaults", map[string]string{"label": "testing"}, base, ""},
		{"from, wait", map[string]string{"label": "testing", "from": "dev", "wait": "10m"}, with(func(p *promoteInputs) { p.from, p.wait = "dev", 10*time.Minute }), ""},
		{"rollback to a version", map[string]string{"label": "testing", "mode": "rollback", "from": "1.0.1"}, with(func(p *promoteInputs) { p.mode, p.from = promote.ModeRollback, "1.0.1" }), ""},
		{"force with a reason", map[string]string{"label": "testing", "force": "true", "reason": "hotfix"}, with(func(p *promoteInputs) { p.force, p.reason = true, "hotfix" }), ""},
		{"hold with a reason", map[string]string{"label": "testing", "mode": "hold", "reason": "incident"}, with(func(p *promoteInputs) { p.mode, p.reason = promote.ModeHold, "incident" }), ""},
		{"label is required", map[string]string{"mode": "hold"}, promoteInputs{}, "input label: required, and not set"},
		{"a mode one letter off is suggested", map[string]string{"label": "testing", "mode": "rollbak"},
			promoteInputs{}, `input mode: "rollbak" is not a mode (want promote, rollback, hold or release) (did you mean "rollback"?)`},
		{"a mode nothing like one", map[string]string{"label": "testing", "mode": "demote"}, promoteInputs{}, `input mode: "demote" is not a mode (want promote, rollback, hold or release)`},
		{"wait not a duration", map[string]string{"label": "testing", "wait": "soon"}, promoteInputs{}, `input wait: "soon" is not a duration (like 90s, 5m or 1h30m)`},
		{"wait negative", map[string]string{"label": "testing", "wait": "-1m"}, promoteInputs{}, `input wait: "-1m" is negative`},
		{"force not a boolean", map[string]string{"label": "testing", "force": "yes"}, promoteInputs{}, `input force: "yes" is not a boolean`},
		{"dry-run not a boolean", map[string]string{"label": "testing", "dry-run": "no"}, promoteInputs{}, `input dry-run: "no" is not a boolean`},
		{"from with hold", map[string]string{"label": "testing", "mode": "hold", "from": "1.0.1"}, promoteInputs{}, "input from: not used with mode hold"},
		{"force with release", map[string]string{"label": "testing", "mode": "release", "force": "true", "reason": "x"}, promoteInputs{}, "input force: not used with mode release"},
		{"force without a reason", map[string]string{"label": "testing", "force": "true"}, promoteInputs{}, "input reason: required with force: true"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := parsePromoteInputs(getInputs(t, "promote-label", c.set))
			checkParse(t, got, err, c.want, c.wantErr)
		})
	}
}

func TestParseCascadeInputs(t *testing.T) {
	base := cascadeInputs{maxDepth: cascade.DefaultMaxDepth}
	with := func(f func(*cascadeInputs)) cascadeInputs { c := base; f(&c); return c }
	const key = "-----BEGIN RSA PRIVATE KEY-----\nx\n-----END RSA PRIVATE KEY-----"
	for _, c := range []struct {
		name    string
		set     map[string]string
		want    cascadeInputs
		wantErr string
	}{
		{"defaults", nil, base, ""},
		{"a GitHub App", map[string]string{"app-id": "42", "app-private-key": key}, with(func(c *cascadeInputs) { c.appID = 42 }), ""},
		{"branch, channel, event type, payload, depth, dry run",
			map[string]string{"branch": "release/1.x", "channel": "dev", "event-type": "ladder", "payload": `{"a":1}`, "max-depth": "3", "dry-run": "true"},
			with(func(c *cascadeInputs) {
				c.branch, c.channel, c.eventType, c.payload, c.maxDepth, c.dryRun = "release/1.x", "dev", "ladder", `{"a":1}`, 3, true
			}), ""},
		{"app-id without its key", map[string]string{"app-id": "42"}, cascadeInputs{}, "input app-id is set but app-private-key is empty"},
		{"a key without app-id", map[string]string{"app-private-key": key}, cascadeInputs{}, "input app-private-key is set but app-id is empty"},
		{"app-id not a number", map[string]string{"app-id": "my-app", "app-private-key": key}, cascadeInputs{}, `input app-id: "my-app" is not a GitHub App id`},
		{"app-id zero", map[string]string{"app-id": "0", "app-private-key": key}, cascadeInputs{}, `input app-id: "0" is not a GitHub App id`},
		{"max-depth zero", map[string]string{"max-depth": "0"}, cascadeInputs{}, `input max-depth: "0" is not a number from 1 to`},
		{"max-depth past the chain", map[string]string{"max-depth": "1000"}, cascadeInputs{}, `input max-depth: "1000" is not a number from 1 to`},
		{"a branch git refuses", map[string]string{"branch": "a..b"}, cascadeInputs{}, "input branch: "},
		{"an event type GitHub refuses", map[string]string{"event-type": strings.Repeat("e", 101)}, cascadeInputs{}, "input event-type: "},
		{"dry-run not a boolean", map[string]string{"dry-run": "y"}, cascadeInputs{}, `input dry-run: "y" is not a boolean`},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseCascadeInputs(getInputs(t, "cascade-branches", c.set))
			checkParse(t, got, err, c.want, c.wantErr)
		})
	}
}

func TestParseStatusFlags(t *testing.T) {
	for _, c := range []struct {
		name    string
		flags   map[string]string
		want    statusOptions
		wantErr string
	}{
		{"none", nil, statusOptions{}, ""},
		{"json", map[string]string{"json": "true"}, statusOptions{json: true}, ""},
		{"json false", map[string]string{"json": "False"}, statusOptions{}, ""},
		{"history", map[string]string{"history": "testing"}, statusOptions{history: "testing"}, ""},
		{"json not a boolean", map[string]string{"json": "maybe"}, statusOptions{}, `--json: "maybe" is not a boolean`},
		{"history empty", map[string]string{"history": ""}, statusOptions{}, "--history needs a label or channel name (--history NAME)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseStatusFlags(c.flags)
			checkParse(t, got, err, c.want, c.wantErr)
		})
	}
}

func TestParseCatalogFlags(t *testing.T) {
	for _, c := range []struct {
		name    string
		flags   map[string]string
		want    catalogOptions
		wantErr string
	}{
		{"json by default", nil, catalogOptions{}, ""},
		{"json", map[string]string{"format": "json"}, catalogOptions{}, ""},
		{"yaml", map[string]string{"format": "yaml"}, catalogOptions{yaml: true}, ""},
		{"neither", map[string]string{"format": "xml"}, catalogOptions{}, `--format "xml": want json or yaml`},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseCatalogFlags(c.flags)
			checkParse(t, got, err, c.want, c.wantErr)
		})
	}
}

func TestCheckFlags(t *testing.T) {
	for _, c := range []struct {
		name    string
		flags   map[string]string
		bare    []string
		allowed []string
		wantErr string
	}{
		{"allowed", map[string]string{"config": "x"}, nil, []string{"config"}, ""},
		{"a command that takes none", map[string]string{"json": "true"}, nil, nil, "unknown flag --json (this command takes none)"},
		{"unknown, the first in order named, the close one suggested", map[string]string{"jsn": "true", "zz": ""}, nil, []string{"config", "history", "json"},
			`unknown flag --jsn (flags: --config, --history, --json) (did you mean "json"?)`},
		{"unknown before bare", map[string]string{"x": "", "config": ""}, []string{"config"}, []string{"config"}, "unknown flag --x"},
		{"a flag without its value", map[string]string{"config": ""}, []string{"config"}, []string{"config"}, "--config needs a value (--config PATH)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := cli.CheckFlags(c.flags, c.bare, c.allowed)
			checkParse(t, 0, err, 0, c.wantErr)
		})
	}
}

// TestUsageErrorsExit2: every command answers a mistake in how it was called
// with exit 2 and the mistake on stderr (in a runner, as an annotation);
// what it finds wrong once it runs (a channel the config lacks) is exit 1.
func TestUsageErrorsExit2(t *testing.T) {
	ws := t.TempDir()
	writeFile(t, ws, ".github/ladder.yaml", cliGoodConfig)
	env := map[string]string{"GITHUB_WORKSPACE": ws}
	for _, c := range []struct {
		mistake string
		args    []string
		want    string
	}{
		{"unknown command", []string{"promte-label"}, `ladder: unknown command "promte-label" (did you mean "promote-label"?)`},
		{"an argument that is not a flag", []string{"validate", "ladder.yaml"}, `ladder validate: unexpected argument "ladder.yaml": inputs are given as --name value`},
		{"a flag given twice", []string{"status", "--config", "a", "--config", "b"}, "ladder status: --config given twice"},

		{"unknown input", []string{"resolve-channel", "--chanel", "dev"}, `ladder resolve-channel: unknown input --chanel (inputs: `},
		{"unknown input", []string{"build-bundle", "--channel", "dev", "--tag", "x"}, `ladder build-bundle: unknown input --tag (inputs: `},
		{"unknown input", []string{"promote-label", "--lable", "testing"}, `(did you mean "label"?)`},
		{"unknown input", []string{"cascade-branches", "--bogus", "x"}, "ladder cascade-branches: unknown input --bogus"},
		{"unknown flag", []string{"validate", "--bogus", "x"}, "ladder validate: unknown flag --bogus (flags: --config)"},
		{"unknown flag", []string{"schema", "--bogus", "x"}, "ladder schema: unknown flag --bogus (this command takes none)"},
		{"unknown flag", []string{"version", "--bogus"}, "ladder version: unknown flag --bogus (this command takes none)"},
		{"unknown flag", []string{"status", "--bogus", "x"}, "ladder status: unknown flag --bogus"},
		{"unknown flag", []string{"catalog", "--bogus", "x"}, "ladder catalog: unknown flag --bogus"},

		{"a flag without its value", []string{"resolve-channel", "--channel"}, "ladder resolve-channel: --channel needs a value"},
		{"a flag without its value", []string{"build-bundle", "--channel", "dev", "--version"}, "ladder build-bundle: --version needs a value"},
		{"a flag without its value", []string{"promote-label", "--label"}, "ladder promote-label: --label needs a value"},
		{"a flag without its value", []string{"cascade-branches", "--branch"}, "ladder cascade-branches: --branch needs a value"},
		{"a flag without its value", []string{"validate", "--config"}, "ladder validate: --config needs a value (--config PATH)"},
		{"a flag without its value", []string{"status", "--history"}, "ladder status: --history needs a label or channel name"},
		{"a flag without its value", []string{"catalog", "--format"}, "ladder catalog: --format needs json or yaml"},

		{"a required input missing", []string{"resolve-channel"}, "ladder resolve-channel: input channel: required, and not set"},
		{"a required input missing", []string{"build-bundle"}, "ladder build-bundle: input channel: required, and not set"},
		{"a required input missing", []string{"promote-label"}, "ladder promote-label: input label: required, and not set"},

		{"a malformed value", []string{"resolve-channel", "--channel", "dev", "--dry-run", "yes"}, `ladder resolve-channel: input dry-run: "yes" is not a boolean`},
		{"a malformed value", []string{"build-bundle", "--channel", "dev", "--version", "v1.2.3"}, "(drop the leading v)"},
		{"a malformed value", []string{"promote-label", "--label", "testing", "--mode", "rollbak"}, `(did you mean "rollback"?)`},
		{"a malformed value", []string{"cascade-branches", "--max-depth", "0"}, `ladder cascade-branches: input max-depth: "0" is not a number`},
		{"a malformed value", []string{"status", "--json=maybe"}, `ladder status: --json: "maybe" is not a boolean`},
		{"a malformed value", []string{"catalog", "--format", "xml"}, `ladder catalog: --format "xml": want json or yaml`},
	} {
		t.Run(c.mistake+": "+strings.Join(c.args, " "), func(t *testing.T) {
			code, _, stderr := cliRun(t, env, c.args...)
			if code != ExitUsage || !strings.Contains(stderr, c.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, stderr, ExitUsage, c.want)
			}
		})
	}
	// not usage errors: what the run finds
	for _, args := range [][]string{
		{"resolve-channel", "--channel", "nope"},
		{"validate", "--config", "missing.yaml"},
		{"status", "--config", "missing.yaml"},
	} {
		if code, _, stderr := cliRun(t, env, args...); code != ExitFailure {
			t.Errorf("%v: exit %d, want %d: %s", args, code, ExitFailure, stderr)
		}
	}
	if !cli.IsUsage(cli.Misuse(errors.New("x"))) || cli.Misuse(nil) != nil || cli.IsUsage(errors.New("x")) {
		t.Error("misuse/isUsage")
	}
}
