package app

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/ladder-release/ladder/internal/action/actiontest"
	"github.com/ladder-release/ladder/internal/catalog"
	"github.com/ladder-release/ladder/internal/graph"
	"github.com/ladder-release/ladder/internal/ledger"
	"github.com/ladder-release/ladder/internal/lock"
	"github.com/ladder-release/ladder/internal/query"
	"github.com/ladder-release/ladder/internal/status"
	"github.com/ladder-release/ladder/internal/testutil/golden"
	"github.com/ladder-release/ladder/internal/testutil/opm"
	"github.com/ladder-release/ladder/internal/testutil/registry"
)

const statusConfig = `version: 1
product: operator
registry: ghcr.io/acme/operator
ledger: file:ledger/operator.json
components:
  operator: {repo: acme/operator}
channels:
  main:
    track: {branch: main}
    version: {prerelease: dev}
  stage:
    track: {semver: ">=0.1.0"}
    version: {from: operator}
    retention: {keep: 4}
  nightly:
    track: {label: production}
labels:
  candidate:
    from: stage
    gates: {checks: [build, e2e], soak: 2h}
    quarantine: true
  production:
    from: candidate
    gates: {checks: all, soak: 24h, components: [operator]}
  canary:
    from: main
`

func statusDigest(version string) string {
	return fmt.Sprintf("sha256:%x", sha256.Sum256([]byte(version)))
}

// statusLedger is a workspace holding statusConfig and its file ledger,
// filled by fill through the document's own methods (the first error that
// check is handed fails the test).
func statusLedger(t *testing.T, fill func(d *ledger.Document, check func(error))) string {
	t.Helper()
	ws := t.TempDir()
	writeFile(t, ws, ".github/ladder.yaml", statusConfig)
	store, err := ledger.File(filepath.Join(ws, "ledger", "operator.json"), "operator")
	if err != nil {
		t.Fatal(err)
	}
	_, err = store.Update(context.Background(), ledger.Message{What: t.Name()}, func(d *ledger.Document) error {
		var errs []error
		fill(d, func(err error) { errs = append(errs, err) })
		return errors.Join(errs...)
	})
	if err != nil {
		t.Fatal(err)
	}
	return ws
}

// statusWorkspace writes the config and builds the ledger through the
// document's own methods: story S4 (stage went A→B→C→D, production jumped
// from A to D), a quarantine (C failed candidate's e2e gate), a retention
// deletion (0.9.0), a rollback with a hold (canary), a channel that never
// moved (nightly) and a stream the config no longer names (label:legacy),
// forced onto the quarantined bundle and then retired; stage was retired
// and the retirement undone.
func statusWorkspace(t *testing.T) string {
	t.Helper()
	day := 24 * time.Hour
	t0 := now.Add(-10 * day)
	const run = "https://github.com/acme/operator/actions/runs/"
	return statusLedger(t, func(d *ledger.Document, check func(error)) {
		publish := func(version, ch string, at time.Time) {
			check(d.AddBundle(ledger.Bundle{Version: version, Digest: statusDigest(version), Channel: ch, Created: at, Actor: "ci", Mode: ledger.ModeArtifact}))
			check(d.Append(ledger.ChannelStream(ch), ledger.Entry{Version: version, At: at, Actor: "ci", Run: run + "1", Decision: "published"}))
		}
		promote := func(label, version string, at time.Time, e ledger.Entry) {
			e.Version, e.At = version, at
			if e.Decision == "" {
				e.Decision = "promoted"
			}
			check(d.Append(ledger.LabelStream(label), e))
		}
		publish("0.9.0", "stage", t0)
		publish("1.0.0", "stage", t0.Add(day)) // A
		promote("candidate", "1.0.0", t0.Add(day+3*time.Hour), ledger.Entry{Actor: "ladder-bot", Run: run + "2", Reason: "gates passed"})
		promote("legacy", "1.0.0", t0.Add(day+4*time.Hour), ledger.Entry{Actor: "ladder-bot"})
		promote("production", "1.0.0", t0.Add(2*day), ledger.Entry{Actor: "ladder-bot", Run: run + "3", Reason: "gates passed"})
		publish("1.1.0", "stage", t0.Add(3*day)) // B
		promote("candidate", "1.1.0", t0.Add(3*day+3*time.Hour), ledger.Entry{Actor: "ladder-bot", Run: run + "4", Reason: "gates passed"})
		publish("1.2.0", "stage", t0.Add(5*day)) // C
		check(d.Quarantine(statusDigest("1.2.0"), ledger.Quarantine{Reason: "check e2e failed on acme/operator@c0ffee", Label: "candidate", Actor: "ladder-bot", At: t0.Add(5*day + 2*time.Hour)}))
		promote("legacy", "1.2.0", t0.Add(6*day), ledger.Entry{Actor: "carol", Reason: "debugging the e2e failure", Forced: true})
		publish("1.3.0", "stage", t0.Add(7*day)) // D
		promote("candidate", "1.3.0", t0.Add(7*day+3*time.Hour), ledger.Entry{Actor: "ladder-bot", Run: run + "5", Reason: "gates passed"})
		check(d.RecordDeletion(ledger.Deletion{Version: "0.9.0", At: t0.Add(7 * day), Reason: "retention: stage keeps 4"}))
		promote("production", "1.3.0", now.Add(-20*time.Hour), ledger.Entry{Actor: "alice", Run: run + "6", Reason: "security fix; soak waived", Forced: true})
		publish("1.4.0-dev.1", "main", now.Add(-3*time.Hour))
		promote("canary", "1.4.0-dev.1", now.Add(-170*time.Minute), ledger.Entry{Actor: "ladder-bot", Run: run + "7"})
		publish("1.4.0-dev.2", "main", now.Add(-2*time.Hour))
		promote("canary", "1.4.0-dev.2", now.Add(-110*time.Minute), ledger.Entry{Actor: "ladder-bot", Run: run + "8"})
		promote("canary", "1.4.0-dev.1", now.Add(-30*time.Minute), ledger.Entry{Actor: "bob", Run: run + "9", Decision: "rollback", Reason: "crash loop in\tdev.2"})
		check(d.Hold("canary", ledger.Hold{Reason: "rolled back: crash loop in dev.2", Actor: "bob", At: now.Add(-30 * time.Minute)}))
		// retirements: stage retired and the retirement undone; legacy
		// retired, one target not told yet
		check(d.Retire(ledger.ChannelStream("stage"), ledger.Retirement{At: now.Add(-5 * time.Hour), Actor: "dave", Run: run + "10", Reason: "freeze for the audit"}))
		check(d.Unretire(ledger.ChannelStream("stage"), ledger.RetireEvent{At: now.Add(-4 * time.Hour), Actor: "dave", Run: run + "11", Reason: "audit done"}))
		check(d.Retire(ledger.LabelStream("legacy"), ledger.Retirement{At: now.Add(-time.Hour), Actor: "carol", Run: run + "12", Reason: "replaced by canary",
			Notify: []string{"acme/mirror-sync"}}))
	})
}

type statusRun struct {
	code           int
	stdout, stderr string
}

func runStatus(t *testing.T, env map[string]string, args ...string) statusRun {
	t.Helper()
	return runQuery(t, "status", env, args...)
}

// runQuery runs a read-only command (status, catalog) at the fixed now.
func runQuery(t *testing.T, command string, env map[string]string, args ...string) statusRun {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), append([]string{command}, args...), Deps{
		Getenv: func(k string) string { return env[k] },
		Stdout: &out,
		Stderr: &errb,
		Now:    func() time.Time { return now },
		Sleep:  func(context.Context, time.Duration) error { return nil },
	})
	return statusRun{code: code, stdout: out.String(), stderr: errb.String()}
}

func TestStatusGolden(t *testing.T) {
	ws := statusWorkspace(t)
	env := map[string]string{"GITHUB_WORKSPACE": ws}
	for _, tc := range []struct {
		golden string
		args   []string
	}{
		{"status.txt", nil},
		{"status.json", []string{"--json"}},
		{"history-production.txt", []string{"--history", "production"}},
		{"history-production.json", []string{"--history", "production", "--json"}},
		{"history-canary.txt", []string{"--history=label:canary"}},
		{"history-stage.txt", []string{"--history", "stage"}},
		{"history-nightly.txt", []string{"--history", "nightly"}},
		{"history-legacy.txt", []string{"--history", "label:legacy"}},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			res := runStatus(t, env, tc.args...)
			if res.code != ExitOK {
				t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
			}
			golden.Compare(t, filepath.Join("testdata", "status", tc.golden), []byte(res.stdout))
			if again := runStatus(t, env, tc.args...); again.stdout != res.stdout {
				t.Errorf("two runs printed different output:\n%s\n---\n%s", res.stdout, again.stdout)
			}
		})
	}
}

// TestStatusS4UpgradeGraph: production jumped from A to D although stage
// went A→B→C→D, so production's D replaces A and skips B and C, and stage's
// D replaces C.
func TestStatusS4UpgradeGraph(t *testing.T) {
	ws := statusWorkspace(t)
	res := runStatus(t, map[string]string{"GITHUB_WORKSPACE": ws}, "--json")
	if res.code != ExitOK {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	var rep status.Report
	if err := json.Unmarshal([]byte(res.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	byStream := map[string]status.Stream{}
	var order []string
	for _, s := range rep.Streams {
		byStream[s.Stream] = s
		order = append(order, s.Stream)
	}
	wantOrder := "channel:main channel:stage channel:nightly label:candidate label:production label:canary label:legacy"
	if got := strings.Join(order, " "); got != wantOrder {
		t.Errorf("streams in order %s, want %s (config order, channels first, then what only the ledger names)", got, wantOrder)
	}
	for _, tc := range []struct {
		stream, head, replaces, skips string
	}{
		// production's source is candidate: it skips what entered candidate
		// between its moves (1.1.0), not 1.2.0, which never entered it
		{"label:production", "1.3.0", "1.0.0", "1.1.0"},
		{"channel:stage", "1.3.0", "1.2.0", ""},
		{"label:candidate", "1.3.0", "1.1.0", "1.2.0"}, // C was quarantined, never entered
		{"label:canary", "1.4.0-dev.1", "", ""},        // the rollback retracted dev.2
	} {
		g := byStream[tc.stream].Graph
		if g == nil {
			t.Errorf("%s: no graph", tc.stream)
			continue
		}
		if g.Head != tc.head || g.Replaces != tc.replaces || strings.Join(g.Skips, ",") != tc.skips {
			t.Errorf("%s: head %s replaces %q skips %v; want head %s replaces %q skips %s", tc.stream, g.Head, g.Replaces, g.Skips, tc.head, tc.replaces, tc.skips)
		}
	}
	prod := byStream["label:production"]
	if prod.Version != "1.3.0" || prod.Digest != statusDigest("1.3.0") || !prod.Forced || prod.Previous == nil || prod.Previous.Version != "1.0.0" {
		t.Errorf("production: %+v", prod)
	}
	if prod.Gates == nil || !prod.Gates.AllChecks || prod.Gates.Soak != "24h" {
		t.Errorf("production gates: %+v", prod.Gates)
	}
	if *prod.AgeSeconds != 20*3600 {
		t.Errorf("production age %d s, want 20h", *prod.AgeSeconds)
	}
	if c := byStream["label:canary"]; c.Hold == nil || c.Hold.Actor != "bob" || c.Decision != "rollback" {
		t.Errorf("canary: %+v", c)
	}
	if n := byStream["channel:nightly"]; n.Version != "" || n.Since != nil || n.Moves != 0 {
		t.Errorf("nightly never moved: %+v", n)
	}
	if len(rep.Quarantines) != 1 || rep.Quarantines[0].Version != "1.2.0" || rep.Quarantines[0].Label != "candidate" {
		t.Errorf("quarantines: %+v", rep.Quarantines)
	}
	if len(rep.Deletions) != 1 || rep.Deletions[0].Version != "0.9.0" {
		t.Errorf("deletions: %+v", rep.Deletions)
	}
	if !strings.Contains(res.stdout, `"digest": "`+statusDigest("1.3.0")+`"`) {
		t.Error("--json must carry full digests")
	}
}

func TestStatusShortDigestInText(t *testing.T) {
	ws := statusWorkspace(t)
	res := runStatus(t, map[string]string{"GITHUB_WORKSPACE": ws})
	short := statusDigest("1.3.0")[:len("sha256:")+12]
	if !strings.Contains(res.stdout, "1.3.0 ("+short+")") || strings.Contains(res.stdout, statusDigest("1.3.0")) {
		t.Errorf("text status must show the short digest %s only:\n%s", short, res.stdout)
	}
}

func TestStatusErrors(t *testing.T) {
	ws := statusWorkspace(t)
	env := map[string]string{"GITHUB_WORKSPACE": ws}
	for _, tc := range []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"unknown label", []string{"--history", "prod"}, ExitFailure,
			[]string{`--history: "prod" is not a label or channel of .github/ladder.yaml`, "labels: candidate, production, canary", "channels: main, stage, nightly"}},
		{"label prefix on a channel", []string{"--history", "label:stage"}, ExitFailure, []string{`"label:stage" is not a label or channel`}},
		{"history without a name", []string{"--history"}, ExitUsage, []string{"--history needs a label or channel name"}},
		{"unknown flag", []string{"--jsn"}, ExitUsage, []string{"unknown flag --jsn (flags: --config, --history, --json)"}},
		{"json not a boolean", []string{"--json=maybe"}, ExitUsage, []string{`--json: "maybe" is not a boolean`}},
		{"missing config", []string{"--config", "nope.yaml"}, ExitFailure, []string{"reading config"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := runStatus(t, env, tc.args...)
			if res.code != tc.code {
				t.Fatalf("exit %d, want %d\n%s", res.code, tc.code, res.stdout)
			}
			for _, w := range tc.want {
				if !strings.Contains(res.stderr, w) {
					t.Errorf("stderr does not say %q:\n%s", w, res.stderr)
				}
			}
		})
	}
}

func TestStatusEmptyLedger(t *testing.T) {
	ws := t.TempDir()
	writeFile(t, ws, ".github/ladder.yaml", statusConfig)
	res := runStatus(t, map[string]string{"GITHUB_WORKSPACE": ws})
	if res.code != ExitOK {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	for _, w := range []string{"0 bundles published", "channel main\n  version   none (never published)", "label canary (from main)\n  version   none (never promoted)"} {
		if !strings.Contains(res.stdout, w) {
			t.Errorf("empty ledger: output lacks %q:\n%s", w, res.stdout)
		}
	}
	if _, err := os.Stat(filepath.Join(ws, "ledger", "operator.json")); !os.IsNotExist(err) {
		t.Error("status wrote a ledger")
	}
	res = runStatus(t, map[string]string{"GITHUB_WORKSPACE": ws}, "--history", "canary", "--json")
	var h status.History
	if err := json.Unmarshal([]byte(res.stdout), &h); err != nil || h.Moves == nil || len(h.Moves) != 0 {
		t.Errorf("empty history: %v %s", err, res.stdout)
	}
}

// TestStatusLedgerNone: with ledger: none, status reads the registry's tags.
func TestStatusLedgerNone(t *testing.T) {
	host := registry.InProcess(t)
	repo := host + "/acme/operator"
	ws := t.TempDir()
	cfg := strings.NewReplacer("ghcr.io/acme/operator", repo, "file:ledger/operator.json", "none").Replace(statusConfig)
	writeFile(t, ws, ".github/ladder.yaml", cfg)
	push := func(version string, tags ...string) string {
		l := lock.Lock{Schema: lock.Schema, Product: "operator", Channel: "stage", Components: []lock.Entry{{Name: "operator", Repo: "acme/operator", Ref: "refs/tags/v" + version, Version: version, Commit: strings.Repeat("a", 40)}}}
		return pushLock(t, repo, l, version, tags...)
	}
	a := push("1.0.0", "1.0.0", "candidate-previous")
	d := push("1.3.0", "1.3.0", "stage", "candidate")

	env := map[string]string{"GITHUB_WORKSPACE": ws}
	res := runStatus(t, env, "--json")
	if res.code != ExitOK {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	var rep status.Report
	if err := json.Unmarshal([]byte(res.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Ledger != "none" || !strings.Contains(rep.Note, "need a ledger") {
		t.Errorf("ledger %q note %q", rep.Ledger, rep.Note)
	}
	got := map[string]status.Stream{}
	for _, s := range rep.Streams {
		got[s.Stream] = s
	}
	if s := got["channel:stage"]; s.Version != "1.3.0" || s.Digest != d || s.Since != nil {
		t.Errorf("stage: %+v", s)
	}
	if s := got["label:candidate"]; s.Version != "1.3.0" || s.Previous == nil || s.Previous.Digest != a || s.Previous.Version != "1.0.0" {
		t.Errorf("candidate: %+v", s)
	}
	if s := got["label:production"]; s.Version != "" || s.Digest != "" {
		t.Errorf("production has no tag: %+v", s)
	}
	text := runStatus(t, env)
	if !strings.Contains(text.stdout, "note: ledger: none") || !strings.Contains(text.stdout, "label candidate (from stage)\n  version   1.3.0 (") {
		t.Errorf("text:\n%s", text.stdout)
	}
	hist := runStatus(t, env, "--history", "candidate")
	if hist.code != ExitFailure || !strings.Contains(hist.stderr, "--history needs a ledger") {
		t.Errorf("history with ledger: none: exit %d, %s", hist.code, hist.stderr)
	}
}

// Ledger text that tries to forge workflow commands: the runner processes a
// line holding the legacy "##[" anywhere, or starting (after leading white
// space) with "::". A reason can hold a newline: promote-label's reason input
// is only trimmed, and the ledger accepts any string from any writer.
const (
	statusInjectSetOutput  = "hotfix ##[set-output name=version;]9.9.9-evil"
	statusInjectLineStart  = "::error::forged"
	statusInjectNewline    = "rolled out\n::error file=x::forged after a newline\r##[warning]and after a CR"
	statusInjectQuarantine = "gate failed: op ##[add-mask]sha256"
	statusInjectActor      = "mallory ##[error]actor"
	statusInjectHold       = "::notice::held"
)

// statusInjectWorkspace is statusConfig with a ledger whose reasons, actor and
// hold try to forge workflow commands.
func statusInjectWorkspace(t *testing.T) string {
	t.Helper()
	t0 := now.Add(-5 * 24 * time.Hour)
	return statusLedger(t, func(d *ledger.Document, check func(error)) {
		publish := func(version string, at time.Time) {
			check(d.AddBundle(ledger.Bundle{Version: version, Digest: statusDigest(version), Channel: "stage", Created: at, Actor: "ci", Mode: ledger.ModeArtifact}))
			check(d.Append(ledger.ChannelStream("stage"), ledger.Entry{Version: version, At: at, Actor: "ci", Decision: "published"}))
		}
		promote := func(label, version string, at time.Time, e ledger.Entry) {
			e.Version, e.At, e.Decision = version, at, "promoted"
			check(d.Append(ledger.LabelStream(label), e))
		}
		publish("1.0.0", t0)
		promote("candidate", "1.0.0", t0.Add(time.Hour), ledger.Entry{Actor: "alice", Reason: statusInjectLineStart})
		publish("1.1.0", t0.Add(24*time.Hour))
		promote("candidate", "1.1.0", t0.Add(25*time.Hour), ledger.Entry{Actor: statusInjectActor, Reason: statusInjectNewline})
		publish("1.2.0", t0.Add(48*time.Hour))
		check(d.Quarantine(statusDigest("1.2.0"), ledger.Quarantine{Reason: statusInjectQuarantine, Label: "candidate", Actor: "ladder-bot", At: t0.Add(50 * time.Hour)}))
		promote("candidate", "1.2.0", t0.Add(52*time.Hour), ledger.Entry{Actor: "alice", Reason: statusInjectSetOutput, Forced: true})
		check(d.Hold("candidate", ledger.Hold{Reason: statusInjectHold, Actor: "alice", At: t0.Add(53 * time.Hour)}))
	})
}

// statusRunnerLines splits stdout the way the runner reads it (.NET ReadLine: a
// line ends at "\n", "\r" or "\r\n").
func statusRunnerLines(out string) []string {
	out = strings.ReplaceAll(out, "\r\n", "\n")
	return strings.FieldsFunc(out, func(c rune) bool { return c == '\n' || c == '\r' })
}

// statusRunnerCommand is the workflow command the runner would read in line, if
// any: "::NAME ...::DATA" after leading white space, or "##[NAME ...]DATA"
// anywhere in the line.
func statusRunnerCommand(line string) (name string, ok bool) {
	if rest, found := strings.CutPrefix(strings.TrimLeft(line, " \t"), "::"); found {
		cmd, _, _ := strings.Cut(rest, "::")
		name, _, _ = strings.Cut(cmd, " ")
		return name, true
	}
	if i := strings.Index(line, "##["); i >= 0 {
		cmd, _, _ := strings.Cut(line[i+len("##["):], "]")
		name, _, _ = strings.Cut(cmd, " ")
		name, _, _ = strings.Cut(name, ";")
		return name, true
	}
	return "", false
}

// statusRunnerProcessed models the runner reading stdout: it returns every line
// the runner would process as a workflow command, other than the
// stop-commands fence itself. After "::stop-commands::TOKEN" no line is
// processed until a command named TOKEN (compared ignoring case, as the
// runner does) resumes processing.
func statusRunnerProcessed(out string) []string {
	var processed []string
	stop := ""
	for _, line := range statusRunnerLines(out) {
		name, ok := statusRunnerCommand(line)
		switch {
		case !ok:
		case stop != "":
			if strings.EqualFold(name, stop) {
				stop = ""
			}
		case strings.EqualFold(name, "stop-commands"):
			_, tok, _ := strings.Cut(strings.TrimLeft(line, " \t")[len("::"):], "::")
			if tok == "" {
				processed = append(processed, line) // the runner refuses an empty token
				continue
			}
			stop = tok
		default:
			processed = append(processed, line)
		}
	}
	if stop != "" {
		// An unterminated fence processes nothing, but leaves the runner
		// ignoring every later command of the step: flag it.
		processed = append(processed, "(stop-commands never resumed)")
	}
	return processed
}

func TestStatusRunnerModel(t *testing.T) {
	for _, tc := range []struct {
		out  string
		want int
	}{
		{"plain\ntext: a:b\n", 0},
		{"x ##[set-output name=v;]1\n", 1},
		{"  ::error::x\n", 1},
		{"a\r::error::x\n", 1},
		{"a ::error::x\n", 0},
		{"::stop-commands::t1\n::error::x\n##[add-mask]y\n::t1::\n", 0},
		{"::stop-commands::t1\n::error::x\n::T1::\n::error::y\n", 1},
		{"::stop-commands::t1\n::error::x\n", 1},
	} {
		if got := statusRunnerProcessed(tc.out); len(got) != tc.want {
			t.Errorf("statusRunnerProcessed(%q) = %q, want %d lines", tc.out, got, tc.want)
		}
	}
}

// TestStatusInjectionInActions: inside GitHub Actions no line status prints
// (table, --history, --json) is processed by the runner as a workflow
// command, whatever the ledger holds; --json still decodes to the ledger's
// strings; outside Actions the output is unchanged.
func TestStatusInjectionInActions(t *testing.T) {
	ws := statusInjectWorkspace(t)
	plainEnv := map[string]string{"GITHUB_WORKSPACE": ws}
	actionsEnv := map[string]string{"GITHUB_WORKSPACE": ws, "GITHUB_ACTIONS": "true"}
	for _, tc := range []struct {
		name string
		args []string
		json bool
	}{
		{"table", nil, false},
		{"json", []string{"--json"}, true},
		{"history", []string{"--history", "candidate"}, false},
		{"history json", []string{"--history", "candidate", "--json"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plain := runStatus(t, plainEnv, tc.args...)
			in := runStatus(t, actionsEnv, tc.args...)
			if plain.code != ExitOK || in.code != ExitOK {
				t.Fatalf("exit %d / %d\n%s%s", plain.code, in.code, plain.stderr, in.stderr)
			}
			// The fixture is dangerous: printed raw, the runner would act on it.
			if len(statusRunnerProcessed(plain.stdout)) == 0 {
				t.Fatalf("the fixture forges no command outside Actions, the test proves nothing:\n%s", plain.stdout)
			}
			if got := statusRunnerProcessed(in.stdout); len(got) > 0 {
				t.Errorf("in Actions the runner would process %d line(s) as workflow commands: %q\nstdout:\n%s", len(got), got, in.stdout)
			}
			if !tc.json {
				// One fence around the output, the output itself unchanged.
				lines := strings.SplitAfter(in.stdout, "\n")
				first, last := lines[0], lines[len(lines)-2]
				tok, ok := strings.CutPrefix(strings.TrimSuffix(first, "\n"), "::stop-commands::")
				if !ok || last != "::"+tok+"::\n" || lines[len(lines)-1] != "" {
					t.Fatalf("text output in Actions is not fenced by stop-commands:\n%s", in.stdout)
				}
				if body := strings.Join(lines[1:len(lines)-2], ""); body != plain.stdout {
					t.Errorf("the fenced text differs from the output outside Actions:\n%s\n---\n%s", body, plain.stdout)
				}
				return
			}
			// --json: valid JSON, decoding to what it decodes to outside Actions,
			// with neither sequence in its bytes.
			if strings.Contains(in.stdout, "::") || strings.Contains(in.stdout, "##[") {
				t.Errorf("--json in Actions holds :: or ##[:\n%s", in.stdout)
			}
			var a, b any
			if err := json.Unmarshal([]byte(in.stdout), &a); err != nil {
				t.Fatalf("--json in Actions is not valid JSON: %v\n%s", err, in.stdout)
			}
			if err := json.Unmarshal([]byte(plain.stdout), &b); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(a, b) {
				t.Errorf("--json decodes differently in Actions:\n%s\n---\n%s", in.stdout, plain.stdout)
			}
			// Only the two sequences are escaped.
			undo := strings.NewReplacer(`:\u003a`, "::", `#\u0023[`, "##[").Replace(in.stdout)
			if undo != plain.stdout {
				t.Errorf("--json in Actions changed more than the escaped sequences:\n%s\n---\n%s", in.stdout, plain.stdout)
			}
		})
	}

	// The reasons decode back verbatim.
	var rep status.Report
	if err := json.Unmarshal([]byte(runStatus(t, actionsEnv, "--json").stdout), &rep); err != nil {
		t.Fatal(err)
	}
	var cand *status.Stream
	for i := range rep.Streams {
		if rep.Streams[i].Stream == "label:candidate" {
			cand = &rep.Streams[i]
		}
	}
	if cand == nil || cand.Reason != statusInjectSetOutput || cand.Hold == nil || cand.Hold.Reason != statusInjectHold ||
		cand.Quarantined == nil || cand.Quarantined.Reason != statusInjectQuarantine {
		t.Errorf("--json candidate: %+v", cand)
	}
	if len(rep.Quarantines) != 1 || rep.Quarantines[0].Reason != statusInjectQuarantine {
		t.Errorf("--json quarantines: %+v", rep.Quarantines)
	}
	var h status.History
	if err := json.Unmarshal([]byte(runStatus(t, actionsEnv, "--history", "candidate", "--json").stdout), &h); err != nil {
		t.Fatal(err)
	}
	var reasons, actors []string
	for _, m := range h.Moves {
		reasons, actors = append(reasons, m.Reason), append(actors, m.Actor)
	}
	if want := []string{statusInjectLineStart, statusInjectNewline, statusInjectSetOutput}; !reflect.DeepEqual(reasons, want) {
		t.Errorf("--history --json reasons = %q, want %q", reasons, want)
	}
	if want := []string{"alice", statusInjectActor, "alice"}; !reflect.DeepEqual(actors, want) {
		t.Errorf("--history --json actors = %q, want %q", actors, want)
	}
}

// TestStatusInActionsCleanOutputUnchanged: in Actions, output that holds
// nothing a runner would read as a command is printed exactly as outside.
func TestStatusInActionsCleanOutputUnchanged(t *testing.T) {
	ws := statusWorkspace(t)
	for _, args := range [][]string{nil, {"--json"}, {"--history", "production"}, {"--history", "production", "--json"}} {
		plain := runStatus(t, map[string]string{"GITHUB_WORKSPACE": ws}, args...)
		in := runStatus(t, map[string]string{"GITHUB_WORKSPACE": ws, "GITHUB_ACTIONS": "true"}, args...)
		if plain.code != ExitOK || in.code != ExitOK {
			t.Fatalf("%q: exit %d / %d", args, plain.code, in.code)
		}
		if strings.Contains(plain.stdout, "::") || strings.Contains(plain.stdout, "##[") {
			t.Fatalf("%q: the clean fixture holds :: or ##[", args)
		}
		if in.stdout != plain.stdout {
			t.Errorf("%q: clean output changed in Actions:\n%s\n---\n%s", args, in.stdout, plain.stdout)
		}
	}
}

// runDiff runs `ladder diff ARGS` as a person would, in the world's
// workspace, with GitHub at the simulator.
func (w *world) runDiff(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	e := map[string]string{"GITHUB_WORKSPACE": w.ws, "GITHUB_API_URL": w.gh.URL(), "GITHUB_REPOSITORY": "acme/elemental", "GITHUB_TOKEN": actiontest.Token}
	for k, v := range env {
		e[k] = v
	}
	var out, errb bytes.Buffer
	code := Main(context.Background(), append([]string{"diff"}, args...), Deps{
		Getenv: func(k string) string { return e[k] },
		Stdout: &out, Stderr: &errb,
		Now:   func() time.Time { return now },
		Sleep: func(context.Context, time.Duration) error { return nil },
	})
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

// TestDiffCommand: `ladder diff A B` resolves versions, digests, channels
// and labels through the ledger to bundles, reads their locks from the
// registry and prints build-bundle's table, and with --json its `changes`
// output, byte for byte.
func TestDiffCommand(t *testing.T) {
	w := newWorld(t, worldOpt{})
	clk := newClock()
	w.writeConfig(t, w.promoteConfig("file:ledger.json", "  testing: {from: dev}\n", ""))
	d1 := publishDev(t, w, clk, "1.0.1")
	promoteWant(t, w, clk, map[string]string{"label": "testing"}, 0, "promoted")
	c4 := w.gh.Commit("rancher/elemental-cli", "main", "cli: four | <b>")
	clk.Advance(time.Second)
	built := w.runAt(t, clk, "build-bundle", map[string]string{"channel": "dev", "version": "1.0.2", "lock-file": "none.json"})
	if built.code != 0 {
		t.Fatalf("exit %d\n%s", built.code, built.stdout)
	}
	for _, args := range [][]string{
		{"1.0.1", "1.0.2"}, {"v1.0.1", "dev"}, {"testing", "dev"}, {d1, built.outputs["digest"]}, {"--json", "testing", "1.0.2"}, {"testing", "--config", ".github/ladder.yaml", "1.0.2", "--json"},
	} {
		res := w.runDiff(t, nil, args...)
		if res.code != 0 {
			t.Fatalf("ladder diff %v: exit %d\n%s", args, res.code, res.stderr)
		}
		if strings.Contains(strings.Join(args, " "), "--json") {
			if res.stdout != built.outputs["changes"]+"\n" {
				t.Errorf("ladder diff %v --json:\n%s\nwant build-bundle's changes output\n%s", args, res.stdout, built.outputs["changes"])
			}
			continue
		}
		for _, want := range []string{"elemental: ", " -> ", "| component | from | to | status | commits | changes |",
			"| cli | main " + w.c["cli3"][:7] + " | main " + c4[:7] + " | ahead | [1](<", c4[:7] + " cli: four \\| &lt;b&gt; (ghsim) |", "| toolkit |", "| identical |"} {
			if !strings.Contains(res.stdout, want) {
				t.Errorf("ladder diff %v lacks %q:\n%s", args, want, res.stdout)
			}
		}
	}
	// in a runner, a subject cannot forge a workflow command
	w.gh.Commit("rancher/elemental-cli", "main", "::error::forged")
	clk.Advance(time.Second)
	publishDev(t, w, clk, "1.0.3")
	for _, args := range [][]string{{"1.0.2", "1.0.3"}, {"1.0.2", "1.0.3", "--json"}} {
		res := w.runDiff(t, map[string]string{"GITHUB_ACTIONS": "true"}, args...)
		if res.code != 0 {
			t.Fatalf("exit %d\n%s", res.code, res.stderr)
		}
		for _, line := range strings.Split(res.stdout, "\n") {
			if strings.HasPrefix(strings.TrimLeft(line, "| "), "::error::forged") || strings.Contains(res.stdout, "::error::forged") && !strings.Contains(res.stdout, "::stop-commands::") {
				t.Errorf("ladder diff %v in a runner writes a command from a commit:\n%s", args, res.stdout)
				break
			}
		}
	}
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"one bundle", []string{"1.0.1"}, "ladder diff compares two bundles: ladder diff A B"},
		{"three", []string{"1.0.1", "1.0.2", "1.0.3"}, "got 3 argument(s)"},
		{"unknown name", []string{"1.0.1", "9.9.9"}, `"9.9.9" is not a channel or label of .github/ladder.yaml, nor a version or digest the ledger holds`},
		{"a channel with no bundle", []string{"1.0.1", "staging"}, `"staging": channel staging has no bundle yet`},
		{"unknown flag", []string{"1.0.1", "1.0.2", "--format", "x"}, "unknown flag --format"},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := w.runDiff(t, nil, c.args...)
			if res.code == 0 || !strings.Contains(res.stderr, c.want) {
				t.Errorf("exit %d, stderr %q, want an error holding %q", res.code, res.stderr, c.want)
			}
		})
	}
}

// TestDiffLedgerNone: with ledger: none, `ladder diff` resolves through the
// registry's tags: a version tag, a channel tag, a digest.
func TestDiffLedgerNone(t *testing.T) {
	w := newWorld(t, worldOpt{})
	clk := newClock()
	w.writeConfig(t, w.s1Config(""))
	d1 := publishDev(t, w, clk, "1.0.1")
	c4 := w.gh.Commit("rancher/elemental-cli", "main", "cli: four")
	clk.Advance(time.Second)
	publishDev(t, w, clk, "1.0.2")
	for _, args := range [][]string{{"1.0.1", "dev"}, {d1, "1.0.2"}} {
		res := w.runDiff(t, nil, args...)
		if res.code != 0 || !strings.Contains(res.stdout, c4[:7]+" cli: four (ghsim)") {
			t.Errorf("ladder diff %v: exit %d\n%s%s", args, res.code, res.stdout, res.stderr)
		}
	}
	if res := w.runDiff(t, nil, "1.0.1", "7.7.7"); res.code == 0 || !strings.Contains(res.stderr, `"7.7.7": no bundle at`) {
		t.Errorf("exit %d %s", res.code, res.stderr)
	}
}

// catalogExport is the export section the catalog tests add to
// statusConfig: every kind of stream of statusWorkspace's ledger (story S4
// on the stage channel and the candidate and production labels, a rollback
// on canary, a channel that never moved).
const catalogExport = `export:
  olm:
    package: acme-operator
    channels:
      stable: production
      candidate: candidate
      fast: stage
      dev: main
      canary: canary
      night: nightly
    default-channel: stable
`

// catalogWorkspace is statusWorkspace with export.olm in its config (and
// the rest of the config replaced by extra, when set).
func catalogWorkspace(t *testing.T, extra string) string {
	t.Helper()
	ws := statusWorkspace(t)
	cfg := statusConfig + catalogExport
	if extra != "" {
		cfg = extra
	}
	if err := os.WriteFile(filepath.Join(ws, ".github", "ladder.yaml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return ws
}

func runCatalog(t *testing.T, env map[string]string, args ...string) statusRun {
	t.Helper()
	return runQuery(t, "catalog", env, args...)
}

// TestCatalogGolden: `ladder catalog` prints the export.olm catalog of the
// ledger, in JSON (the default) and YAML, the same on every run; what it
// leaves out is said on stderr.
func TestCatalogGolden(t *testing.T) {
	ws := catalogWorkspace(t, "")
	env := map[string]string{"GITHUB_WORKSPACE": ws}
	for _, tc := range []struct {
		golden string
		args   []string
	}{
		{"catalog.json", nil},
		{"catalog.json", []string{"--format", "json"}},
		{"catalog.yaml", []string{"--format=yaml"}},
	} {
		t.Run(strings.Join(append([]string{tc.golden}, tc.args...), " "), func(t *testing.T) {
			res := runCatalog(t, env, tc.args...)
			if res.code != ExitOK {
				t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
			}
			golden.Compare(t, filepath.Join("testdata", "catalog", tc.golden), []byte(res.stdout))
			wantNote := `ladder catalog: note: channel "night" is left out: ladder channel nightly has no bundles yet (OLM refuses an empty channel)` + "\n"
			if res.stderr != wantNote {
				t.Errorf("stderr %q, want %q", res.stderr, wantNote)
			}
			if again := runCatalog(t, env, tc.args...); again.stdout != res.stdout {
				t.Errorf("two runs printed different catalogs")
			}
		})
	}
}

// TestCatalogS4 reads the catalog `ladder catalog` prints as OLM would:
// production jumped from A (1.0.0) to D (1.3.0) while stage went A, B, C,
// D, so in the stable channel D replaces A, skips B and C and has the
// skipRange >=1.0.0 <1.3.0; in fast (the stage channel) D replaces C.
func TestCatalogS4(t *testing.T) {
	res := runCatalog(t, map[string]string{"GITHUB_WORKSPACE": catalogWorkspace(t, "")})
	if res.code != ExitOK {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	dec := json.NewDecoder(strings.NewReader(res.stdout))
	channels := map[string][]catalog.ChannelEntry{}
	images := map[string]string{}
	var pkg catalog.Package
	for dec.More() {
		var obj struct {
			Schema  string                 `json:"schema"`
			Name    string                 `json:"name"`
			Entries []catalog.ChannelEntry `json:"entries"`
			Image   string                 `json:"image"`
			Default string                 `json:"defaultChannel"`
		}
		if err := dec.Decode(&obj); err != nil {
			t.Fatal(err)
		}
		switch obj.Schema {
		case "olm.package":
			pkg = catalog.Package{Schema: obj.Schema, Name: obj.Name, DefaultChannel: obj.Default}
		case "olm.channel":
			channels[obj.Name] = obj.Entries
		case "olm.bundle":
			images[obj.Name] = obj.Image
		}
	}
	if pkg.Name != "acme-operator" || pkg.DefaultChannel != "stable" {
		t.Errorf("package %+v", pkg)
	}
	last := func(ch string) catalog.ChannelEntry {
		es := channels[ch]
		if len(es) == 0 {
			t.Fatalf("no channel %s", ch)
		}
		return es[len(es)-1]
	}
	// stable follows production, whose from is candidate: 1.2.0 never
	// entered candidate (quarantined), so it is not skipped; the skipRange
	// still lets a cluster on it upgrade
	if got, want := fmt.Sprintf("%+v", last("stable")), "{Name:acme-operator.v1.3.0 Replaces:acme-operator.v1.0.0 Skips:[acme-operator.v1.1.0] SkipRange:>=1.0.0 <1.3.0}"; got != want {
		t.Errorf("stable head %s, want %s", got, want)
	}
	if got, want := fmt.Sprintf("%+v", last("fast")), "{Name:acme-operator.v1.3.0 Replaces:acme-operator.v1.2.0 Skips:[] SkipRange:}"; got != want {
		t.Errorf("fast head %s, want %s", got, want)
	}
	if _, ok := channels["night"]; ok {
		t.Error("the channel that never moved is in the catalog")
	}
	if got, want := images["acme-operator.v1.3.0"], "ghcr.io/acme/operator@"+statusDigest("1.3.0"); got != want {
		t.Errorf("image of 1.3.0 %s, want %s", got, want)
	}
}

// TestCatalogValidByOperatorRegistry: what `ladder catalog` prints, in
// either format, is valid by operator-registry's own rules (what `opm
// validate` runs), and opm reads the YAML as the same catalog as the JSON
// (opm render of either gives the JSON ladder printed).
func TestCatalogValidByOperatorRegistry(t *testing.T) {
	env := map[string]string{"GITHUB_WORKSPACE": catalogWorkspace(t, "")}
	js := runCatalog(t, env)
	ym := runCatalog(t, env, "--format", "yaml")
	if js.code != ExitOK || ym.code != ExitOK {
		t.Fatalf("exit %d / %d: %s%s", js.code, ym.code, js.stderr, ym.stderr)
	}
	for name, files := range map[string]map[string][]byte{
		"json": {"acme-operator/catalog.json": []byte(js.stdout)},
		"yaml": {"acme-operator/catalog.yaml": []byte(ym.stdout)},
	} {
		t.Run(name, func(t *testing.T) {
			if err := opm.Validate(t, files); err != nil {
				t.Fatalf("operator-registry refuses the catalog: %v", err)
			}
			rendered, err := opm.Render(t, files)
			if err != nil {
				t.Fatal(err)
			}
			if string(rendered) != js.stdout {
				t.Errorf("opm render of the %s catalog differs from ladder's JSON:\n--- opm\n%s\n--- ladder\n%s", name, rendered, js.stdout)
			}
		})
	}
}

// TestCatalogRefuses: what ladder catalog cannot make a catalog of fails
// with a message naming what is missing, and prints nothing.
func TestCatalogRefuses(t *testing.T) {
	noExport := statusConfig
	noneLedger := strings.Replace(statusConfig, "ledger: file:ledger/operator.json", "ledger: none", 1) + catalogExport
	emptyDefault := statusConfig + strings.Replace(catalogExport, "default-channel: stable", "default-channel: night", 1)
	typoDefault := statusConfig + strings.Replace(catalogExport, "stable: production", "stable: prodution", 1)
	for _, tc := range []struct {
		name, config string
		args         []string
		code         int
		want         string
	}{
		{"no export section", noExport, nil, ExitFailure,
			"ladder catalog: .github/ladder.yaml has no export.olm section, so there is no catalog to make (add export: {olm: {package: NAME, channels: {OLM-CHANNEL: LABEL-OR-CHANNEL}, default-channel: OLM-CHANNEL}})\n"},
		{"ledger none", noneLedger, nil, ExitFailure,
			".github/ladder.yaml:4:1: ladder catalog needs a ledger: the catalog is made of the upgrade graphs the ledger keeps, and ledger: none keeps none (SPEC section 6)\n"},
		{"the default channel never moved", emptyDefault, nil, ExitFailure,
			`.github/ladder.yaml:28:3: OLM catalog of package "acme-operator": default channel "night": ladder channel nightly has no bundles yet, and OLM refuses a package whose default channel is empty` + "\n"},
		{"the default channel follows nothing", typoDefault, nil, ExitFailure,
			`.github/ladder.yaml:28:3: OLM catalog of package "acme-operator": default channel "stable": it follows "prodution", which is neither a ladder label nor a channel, and OLM refuses a package whose default channel is empty` + "\n"},
		{"a format that is not json or yaml", "", []string{"--format", "xml"}, ExitUsage,
			"ladder catalog: --format \"xml\": want json or yaml\n"},
		{"--format without a value", "", []string{"--format"}, ExitUsage,
			"ladder catalog: --format needs json or yaml (--format json|yaml)\n"},
		{"an unknown flag", "", []string{"--json"}, ExitUsage,
			"ladder catalog: unknown flag --json (flags: --config, --format)\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ws := catalogWorkspace(t, tc.config)
			res := runCatalog(t, map[string]string{"GITHUB_WORKSPACE": ws}, tc.args...)
			if res.code != tc.code || res.stderr != tc.want || res.stdout != "" {
				t.Errorf("exit %d, stdout %q, stderr\n%s\nwant exit %d, stderr\n%s", res.code, res.stdout, res.stderr, tc.code, tc.want)
			}
		})
	}
}

// TestCatalogInActions: inside GitHub Actions no line of the catalog is
// processed by the runner as a workflow command, even when the catalog
// holds text that would forge one (a retirement reason, in either format),
// and it still decodes to the same catalog; a catalog without such text is
// printed unchanged.
func TestCatalogInActions(t *testing.T) {
	ws := catalogWorkspace(t, "")
	plain := runCatalog(t, map[string]string{"GITHUB_WORKSPACE": ws})
	in := runCatalog(t, map[string]string{"GITHUB_WORKSPACE": ws, "GITHUB_ACTIONS": "true"})
	if plain.code != ExitOK || in.code != ExitOK || in.stdout != plain.stdout {
		t.Fatalf("in Actions the catalog changed (exit %d / %d)", plain.code, in.code)
	}

	input := catalog.Input{Package: "acme-operator", DefaultChannel: "stable", Registry: "ghcr.io/acme/operator",
		Sources: []catalog.Source{{Channel: "stable", Stream: "label:current", Entries: nil}},
		Retired: []catalog.Retirement{{Stream: "label:current", Reason: "done\n::error::forged ##[add-mask]x ::: a\\::b #::"}}}
	input.Sources[0].Entries = []graph.Entry{{Version: "1.0.0", Digest: statusDigest("1.0.0")}}
	cat, err := catalog.Build(input)
	if err != nil {
		t.Fatal(err)
	}
	reason := input.Retired[0].Reason
	for _, format := range []string{"json", "yaml"} {
		t.Run(format, func(t *testing.T) {
			var raw, safe bytes.Buffer
			if err := query.PrintCatalog(&raw, cat, format == "yaml", false); err != nil {
				t.Fatal(err)
			}
			if err := query.PrintCatalog(&safe, cat, format == "yaml", true); err != nil {
				t.Fatal(err)
			}
			if len(statusRunnerProcessed(raw.String())) == 0 {
				t.Fatalf("the fixture forges no command without the guard, the test proves nothing:\n%s", raw.String())
			}
			if strings.Contains(safe.String(), "::") || strings.Contains(safe.String(), "##[") {
				t.Errorf("the guarded output holds :: or ##[:\n%s", safe.String())
			}
			if got := decodeMessages(t, format, safe.String()); len(got) != 1 || !strings.HasSuffix(got[0], ": "+reason) {
				t.Errorf("the guarded output decodes to messages %q, want one ending in %q", got, reason)
			}
		})
	}
}

// decodeMessages reads the deprecation messages of a catalog printed in
// format.
func decodeMessages(t *testing.T, format, out string) []string {
	t.Helper()
	type dep struct {
		Schema  string `json:"schema" yaml:"schema"`
		Entries []struct {
			Message string `json:"message" yaml:"message"`
		} `json:"entries" yaml:"entries"`
	}
	var msgs []string
	add := func(d dep) {
		if d.Schema == "olm.deprecations" {
			for _, e := range d.Entries {
				msgs = append(msgs, e.Message)
			}
		}
	}
	if format == "json" {
		dec := json.NewDecoder(strings.NewReader(out))
		for dec.More() {
			var d dep
			if err := dec.Decode(&d); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, out)
			}
			add(d)
		}
		return msgs
	}
	dec := yaml.NewDecoder(strings.NewReader(out))
	for {
		var d dep
		if err := dec.Decode(&d); err != nil {
			if err.Error() == "EOF" {
				return msgs
			}
			t.Fatalf("not YAML: %v\n%s", err, out)
		}
		add(d)
	}
}

// TestStoryS7CatalogFromTheGitHubLedger: story S7 end to end, on the GitHub
// ledger. build-bundle publishes A, B, C, D into dev, promote-label moves
// stage through all four and production from A straight to D; then `ladder
// catalog`, run as a person would (GITHUB_REPOSITORY and a token), prints a
// catalog in which production's D replaces A, skips B and C with the range
// >=A <D, every image is the bundle's digest in the registry, and
// operator-registry accepts it.
func TestStoryS7CatalogFromTheGitHubLedger(t *testing.T) {
	w := newWorld(t, worldOpt{})
	clk := newClock()
	cfg := w.promoteConfig("github", "  stage: {from: dev}\n  production: {from: stage}\n", "") + `export:
  olm:
    package: elemental-operator
    channels: {stable: production, candidate: stage, dev: dev}
    default-channel: stable
`
	w.writeConfig(t, cfg)
	versions := []string{"1.0.0", "1.1.0", "1.2.0", "1.3.0"}
	digests := map[string]string{}
	for _, v := range versions {
		digests[v] = publishDev(t, w, clk, v)
		clk.Advance(time.Minute)
		promoteWant(t, w, clk, map[string]string{"label": "stage", "from": v}, 0, "promoted")
		clk.Advance(time.Minute)
	}
	for _, v := range []string{"1.0.0", "1.3.0"} {
		promoteWant(t, w, clk, map[string]string{"label": "production", "from": v}, 0, "promoted")
		clk.Advance(time.Minute)
	}

	env := map[string]string{
		"GITHUB_WORKSPACE":  w.ws,
		"GITHUB_REPOSITORY": "acme/elemental",
		"GITHUB_API_URL":    w.gh.URL(),
		"GITHUB_TOKEN":      actiontest.Token,
	}
	res := runCatalog(t, env)
	if res.code != ExitOK {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	for _, want := range []string{
		`"name": "elemental-operator.v1.3.0",
            "replaces": "elemental-operator.v1.0.0",
            "skips": [
                "elemental-operator.v1.1.0",
                "elemental-operator.v1.2.0"
            ],
            "skipRange": ">=1.0.0 <1.3.0"`,
		`"name": "elemental-operator.v1.3.0",
            "replaces": "elemental-operator.v1.2.0"
        }`,
		`"defaultChannel": "stable"`,
	} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("the catalog lacks\n%s\n---\n%s", want, res.stdout)
		}
	}
	for _, v := range versions {
		if img := `"image": "` + w.repo() + "@" + digests[v] + `"`; !strings.Contains(res.stdout, img) {
			t.Errorf("the catalog lacks %s", img)
		}
	}
	if err := opm.Validate(t, map[string][]byte{"elemental-operator/catalog.json": []byte(res.stdout)}); err != nil {
		t.Errorf("operator-registry refuses the catalog: %v\n%s", err, res.stdout)
	}
}
