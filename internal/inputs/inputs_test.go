package inputs

import (
	"strings"
	"testing"
	"time"

	"github.com/ladder-release/ladder/actions"
	"github.com/ladder-release/ladder/internal/cascade"
	"github.com/ladder-release/ladder/internal/promote"
	"github.com/ladder-release/ladder/internal/testutil/parsetest"
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

// inputsOf is a parsetest.Table parse: parse reads action's inputs, set as
// given (getInputs).
func inputsOf[T any](action string, parse func(func(string) string) (T, error)) func(*testing.T, map[string]string) (T, error) {
	return func(t *testing.T, set map[string]string) (T, error) { return parse(getInputs(t, action, set)) }
}

func TestParseResolveInputs(t *testing.T) {
	row := parsetest.Row[Resolve]
	parsetest.Table(t, inputsOf("resolve-channel", ParseResolve),
		row("defaults", map[string]string{"channel": "dev"}, Resolve{Channel: "dev", LockFile: "ladder-lock.json"}, ""),
		row("dry run", map[string]string{"channel": "dev", "dry-run": "True", "lock-file": "out/l.json"}, Resolve{Channel: "dev", LockFile: "out/l.json", DryRun: true}, ""),
		row("channel is required", nil, Resolve{}, "input channel: required, and not set"),
		row("dry-run not a boolean", map[string]string{"channel": "dev", "dry-run": "yes"}, Resolve{}, `input dry-run: "yes" is not a boolean`),
	)
}

func TestParseBuildInputs(t *testing.T) {
	digest := "sha256:" + strings.Repeat("ab", 32)
	base := Build{Channel: "dev", LockFile: "ladder-lock.json"}
	with := func(f func(*Build)) Build { b := base; f(&b); return b }
	row := parsetest.Row[Build]
	parsetest.Table(t, inputsOf("build-bundle", ParseBuild),
		row("defaults", map[string]string{"channel": "dev"}, base, ""),
		row("files and tags are lines, trimmed, blank ones dropped", map[string]string{"channel": "dev", "files": " a/*.yaml \n\n b.txt", "tags": "x\n  y  \n"},
			with(func(b *Build) { b.Files, b.ExtraTags = []string{"a/*.yaml", "b.txt"}, []string{"x", "y"} }), ""),
		row("a version", map[string]string{"channel": "dev", "version": "1.2.3-rc.1"}, with(func(b *Build) { b.Version = "1.2.3-rc.1" }), ""),
		row("an image digest", map[string]string{"channel": "dev", "image": digest}, with(func(b *Build) { b.Image = digest }), ""),
		row("force and dry-run", map[string]string{"channel": "dev", "force": "TRUE", "dry-run": "true"}, with(func(b *Build) { b.Force, b.DryRun = true, true }), ""),
		row("channel is required", map[string]string{"version": "1.0.0"}, Build{}, "input channel: required, and not set"),
		row("force not a boolean", map[string]string{"channel": "dev", "force": "yes"}, Build{}, `input force: "yes" is not a boolean`),
		row("dry-run not a boolean", map[string]string{"channel": "dev", "dry-run": "1"}, Build{}, `input dry-run: "1" is not a boolean`),
		row("version v1.2.3: drop the v", map[string]string{"channel": "dev", "version": "v1.2.3"}, Build{}, `input version: "v1.2.3" is not a semver version (drop the leading v)`),
		row("version not semver, no v to drop", map[string]string{"channel": "dev", "version": "1.2"}, Build{}, `input version: "1.2" is not a semver version: `),
		row("a tag that is not an OCI tag", map[string]string{"channel": "dev", "tags": "ok\n-bad"}, Build{}, `input tags: "-bad" is not a valid OCI tag`),
		row("image sha256: that is not a digest", map[string]string{"channel": "dev", "image": "sha256:abc"}, Build{}, `input image: "sha256:abc" is not a digest`),
		row("image and files", map[string]string{"channel": "dev", "image": digest, "files": "a.yaml"}, Build{}, "inputs image and files: an image bundle carries the lock only; give one or the other"),
	)
}

func TestParsePromoteInputs(t *testing.T) {
	base := Promote{Label: "testing", Mode: promote.ModePromote}
	with := func(f func(*Promote)) Promote { p := base; f(&p); return p }
	row := parsetest.Row[Promote]
	parsetest.Table(t, inputsOf("promote-label", ParsePromote),
		row("defaults", map[string]string{"label": "testing"}, base, ""),
		row("from, wait", map[string]string{"label": "testing", "from": "dev", "wait": "10m"}, with(func(p *Promote) { p.From, p.Wait = "dev", 10*time.Minute }), ""),
		row("rollback to a version", map[string]string{"label": "testing", "mode": "rollback", "from": "1.0.1"}, with(func(p *Promote) { p.Mode, p.From = promote.ModeRollback, "1.0.1" }), ""),
		row("force with a reason", map[string]string{"label": "testing", "force": "true", "reason": "hotfix"}, with(func(p *Promote) { p.Force, p.Reason = true, "hotfix" }), ""),
		row("hold with a reason", map[string]string{"label": "testing", "mode": "hold", "reason": "incident"}, with(func(p *Promote) { p.Mode, p.Reason = promote.ModeHold, "incident" }), ""),
		row("label is required", map[string]string{"mode": "hold"}, Promote{}, "input label: required, and not set"),
		row("a mode one letter off is suggested", map[string]string{"label": "testing", "mode": "rollbak"},
			Promote{}, `input mode: "rollbak" is not a mode (want promote, rollback, hold or release) (did you mean "rollback"?)`),
		row("a mode nothing like one", map[string]string{"label": "testing", "mode": "demote"}, Promote{}, `input mode: "demote" is not a mode (want promote, rollback, hold or release)`),
		row("wait not a duration", map[string]string{"label": "testing", "wait": "soon"}, Promote{}, `input wait: "soon" is not a duration (like 90s, 5m or 1h30m)`),
		row("wait negative", map[string]string{"label": "testing", "wait": "-1m"}, Promote{}, `input wait: "-1m" is negative`),
		row("force not a boolean", map[string]string{"label": "testing", "force": "yes"}, Promote{}, `input force: "yes" is not a boolean`),
		row("dry-run not a boolean", map[string]string{"label": "testing", "dry-run": "no"}, Promote{}, `input dry-run: "no" is not a boolean`),
		row("from with hold", map[string]string{"label": "testing", "mode": "hold", "from": "1.0.1"}, Promote{}, "input from: not used with mode hold"),
		row("force with release", map[string]string{"label": "testing", "mode": "release", "force": "true", "reason": "x"}, Promote{}, "input force: not used with mode release"),
		row("force without a reason", map[string]string{"label": "testing", "force": "true"}, Promote{}, "input reason: required with force: true"),
	)
}

func TestParseCascadeInputs(t *testing.T) {
	base := Cascade{MaxDepth: cascade.DefaultMaxDepth}
	with := func(f func(*Cascade)) Cascade { c := base; f(&c); return c }
	const key = "-----BEGIN RSA PRIVATE KEY-----\nx\n-----END RSA PRIVATE KEY-----"
	row := parsetest.Row[Cascade]
	parsetest.Table(t, inputsOf("cascade-branches", ParseCascade),
		row("defaults", nil, base, ""),
		row("a GitHub App", map[string]string{"app-id": "42", "app-private-key": key}, with(func(c *Cascade) { c.AppID = 42 }), ""),
		row("branch, channel, event type, payload, depth, dry run",
			map[string]string{"branch": "release/1.x", "channel": "dev", "event-type": "ladder", "payload": `{"a":1}`, "max-depth": "3", "dry-run": "true"},
			with(func(c *Cascade) {
				c.Branch, c.Channel, c.EventType, c.Payload, c.MaxDepth, c.DryRun = "release/1.x", "dev", "ladder", `{"a":1}`, 3, true
			}), ""),
		row("app-id without its key", map[string]string{"app-id": "42"}, Cascade{}, "input app-id is set but app-private-key is empty"),
		row("a key without app-id", map[string]string{"app-private-key": key}, Cascade{}, "input app-private-key is set but app-id is empty"),
		row("app-id not a number", map[string]string{"app-id": "my-app", "app-private-key": key}, Cascade{}, `input app-id: "my-app" is not a GitHub App id`),
		row("app-id zero", map[string]string{"app-id": "0", "app-private-key": key}, Cascade{}, `input app-id: "0" is not a GitHub App id`),
		row("max-depth zero", map[string]string{"max-depth": "0"}, Cascade{}, `input max-depth: "0" is not a number from 1 to`),
		row("max-depth past the chain", map[string]string{"max-depth": "1000"}, Cascade{}, `input max-depth: "1000" is not a number from 1 to`),
		row("a branch git refuses", map[string]string{"branch": "a..b"}, Cascade{}, "input branch: "),
		row("an event type GitHub refuses", map[string]string{"event-type": strings.Repeat("e", 101)}, Cascade{}, "input event-type: "),
		row("dry-run not a boolean", map[string]string{"dry-run": "y"}, Cascade{}, `input dry-run: "y" is not a boolean`),
	)
}

// TestParseRetireInputs: retire's inputs, parsed without a server; every
// mistake is a usage error (exit 2) naming the input.
func TestParseRetireInputs(t *testing.T) {
	row := parsetest.Row[Retire]
	parsetest.Table(t, inputsOf("retire", ParseRetire),
		row("a channel", map[string]string{"channel": "stable", "reason": "Fedora 41 is end of life"}, Retire{Channel: "stable", Reason: "Fedora 41 is end of life"}, ""),
		row("a label, undo, dry run", map[string]string{"label": "current", "reason": "one more release", "undo": "true", "dry-run": "true"},
			Retire{Label: "current", Reason: "one more release", Undo: true, DryRun: true}, ""),
		row("a GitHub App", map[string]string{"channel": "stable", "reason": "eol", "app-id": "42", "app-private-key": "PEM"}, Retire{Channel: "stable", Reason: "eol", AppID: 42}, ""),
		row("neither channel nor label", map[string]string{"reason": "eol"}, Retire{}, "input channel or label: required, and neither is set"),
		row("both channel and label", map[string]string{"channel": "stable", "label": "current", "reason": "eol"}, Retire{}, `inputs channel ("stable") and label ("current") are both set`),
		row("no reason", map[string]string{"channel": "stable"}, Retire{}, "input reason: required"),
		row("a blank reason", map[string]string{"channel": "stable", "reason": "  "}, Retire{}, "input reason: required"),
		row("a reason with a control character", map[string]string{"channel": "stable", "reason": "eol\n::error::forged"}, Retire{}, "input reason: control character U+000A"),
		row("a reason with an escape", map[string]string{"label": "current", "reason": "\x1b[2Jgone"}, Retire{}, "input reason: control character U+001B"),
		row("undo not a boolean", map[string]string{"channel": "stable", "reason": "eol", "undo": "yes"}, Retire{}, `input undo: "yes" is not a boolean`),
		row("app-id without its key", map[string]string{"channel": "stable", "reason": "eol", "app-id": "42"}, Retire{}, "input app-id is set but app-private-key is empty"),
	)
}
