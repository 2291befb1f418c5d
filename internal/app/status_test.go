package app

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ladder-release/ladder/internal/ledger"
	"github.com/ladder-release/ladder/internal/lock"
	"github.com/ladder-release/ladder/internal/status"
	"github.com/ladder-release/ladder/internal/testutil/golden"
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

// statusStore is a workspace holding statusConfig and its (empty) file
// ledger.
func statusStore(t *testing.T) (ws string, store *ledger.FileStore) {
	t.Helper()
	ws = t.TempDir()
	cfg := filepath.Join(ws, ".github", "ladder.yaml")
	if err := os.MkdirAll(filepath.Dir(cfg), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, []byte(statusConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	store, err := ledger.File(filepath.Join(ws, "ledger", "operator.json"), "operator")
	if err != nil {
		t.Fatal(err)
	}
	return ws, store
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
	ws, store := statusStore(t)
	day := 24 * time.Hour
	t0 := now.Add(-10 * day)
	const run = "https://github.com/acme/operator/actions/runs/"
	_, err := store.Update(context.Background(), ledger.Message{What: "status test"}, func(d *ledger.Document) error {
		var errs []error
		check := func(err error) { errs = append(errs, err) }
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
		for _, err := range errs {
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ws
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
	p := filepath.Join(ws, ".github", "ladder.yaml")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(statusConfig), 0o644); err != nil {
		t.Fatal(err)
	}
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
	p := filepath.Join(ws, ".github", "ladder.yaml")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
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
