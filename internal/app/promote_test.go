package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ladder-release/ladder/internal/ghsim"
	"github.com/ladder-release/ladder/internal/ledger"
	"github.com/ladder-release/ladder/internal/lock"
	"github.com/ladder-release/ladder/internal/oci"
	"github.com/ladder-release/ladder/internal/testutil/registry"
	"github.com/ladder-release/ladder/internal/testutil/regproxy"
)

// fakeClock is Deps.Now and Deps.Sleep for promote tests: a sleep advances
// the clock, is recorded, and may run a hook (a check that completes while
// promote-label polls).
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	sleeps  []time.Duration
	onSleep func(n int) // after the n-th sleep (1-based)
}

func newClock() *fakeClock { return &fakeClock{now: now} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.sleeps = append(c.sleeps, d)
	n, f := len(c.sleeps), c.onSleep
	c.mu.Unlock()
	if f != nil {
		f(n)
	}
	return ctx.Err()
}

func (c *fakeClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// runAt is runAction with the clock clk.
func (w *world) runAt(t *testing.T, clk *fakeClock, name string, inputs map[string]string) result {
	t.Helper()
	return w.runWith(t, name, inputs, nil, clk.Now, clk.Sleep)
}

// promoteConfig is S1's config with a ledger of kind, the labels given
// (YAML under `labels:`) and, in place of S1's nightly, the channels given.
func (w *world) promoteConfig(kind, labels, channels string) string {
	cfg := withLedger(w.s1Config(""), kind)
	cfg = strings.Replace(cfg, "  nightly:\n    track: {label: current}\n", channels, 1)
	return strings.Replace(cfg, "labels:\n  testing: {from: staging}\n  current: {from: testing}\n", "labels:\n"+labels, 1)
}

// publishDev publishes dev's lock as version (a new bundle even when the
// lock is unchanged) and returns its digest.
func publishDev(t *testing.T, w *world, clk *fakeClock, version string) string {
	t.Helper()
	res := w.runAt(t, clk, "build-bundle", map[string]string{"channel": "dev", "version": version, "force": "true", "lock-file": "none.json"})
	if res.code != 0 || res.outputs["published"] != "true" {
		t.Fatalf("build-bundle %s: exit %d %v\n%s", version, res.code, res.outputs, res.stdout)
	}
	return res.outputs["digest"]
}

func promoteRun(t *testing.T, w *world, clk *fakeClock, inputs map[string]string) result {
	t.Helper()
	return w.runAt(t, clk, "promote-label", inputs)
}

// promoteWant runs promote-label and checks exit code and decision.
func promoteWant(t *testing.T, w *world, clk *fakeClock, inputs map[string]string, code int, decision string) result {
	t.Helper()
	res := promoteRun(t, w, clk, inputs)
	if res.code != code || res.outputs["decision"] != decision {
		t.Fatalf("promote-label %v: exit %d decision %q, want %d %q\noutputs: %v\nstdout:\n%s", inputs, res.code, res.outputs["decision"], code, decision, res.outputs, res.stdout)
	}
	return res
}

func (w *world) tagDigest(t *testing.T, tag string) string {
	t.Helper()
	d, err := w.oci(t).Head(context.Background(), w.repo()+":"+tag)
	if errors.Is(err, oci.ErrNotFound) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return d.Digest
}

func (w *world) labelStream(t *testing.T, label string) []ledger.Entry {
	t.Helper()
	return w.fileLedger(t).Stream(ledger.LabelStream(label))
}

func versionsOf(es []ledger.Entry) string {
	vs := make([]string, len(es))
	for i, e := range es {
		vs[i] = e.Version
	}
	return strings.Join(vs, ",")
}

// TestPromoteGatesTriState: issue 4 point 1. Evidence is read from check
// runs and commit statuses on every repo: component's commit; missing or
// running is pending (exit 0, nothing moved), a failure of any kind is failed
// (exit 1), success, neutral and skipped pass; a git: component has no check
// source and does not block.
func TestPromoteGatesTriState(t *testing.T) {
	w, clk := newPromoteWorld(t, "file:ledger.json", "  testing:\n    from: dev\n    gates: {checks: [build, e2e]}\n")
	publishDev(t, w, clk, "1.0.1")
	in := map[string]string{"label": "testing"}

	// nothing reported yet
	res := promoteWant(t, w, clk, in, 0, "pending")
	if res.outputs["promoted"] != "false" || res.outputs["version"] != "1.0.1" || res.outputs["previous-version"] != "" {
		t.Errorf("pending outputs %v", res.outputs)
	}
	if !strings.Contains(res.outputs["reason"], "missing") {
		t.Errorf("reason %q", res.outputs["reason"])
	}
	if w.tagDigest(t, "testing") != "" || len(w.labelStream(t, "testing")) != 0 {
		t.Fatal("a pending decision moved the label")
	}
	// cli: both kinds; toolkit: statuses only; operator: check runs only, one running
	w.gh.AddCheckRun("rancher/elemental-cli", w.c["cli3"], "build", "completed", "success")
	w.gh.AddStatus("rancher/elemental-cli", w.c["cli3"], "build", "success")
	w.gh.AddStatus("rancher/elemental-cli", w.c["cli3"], "e2e", "success")
	w.gh.AddStatus("rancher/elemental-toolkit", w.c["tk2"], "build", "success")
	w.gh.AddStatus("rancher/elemental-toolkit", w.c["tk2"], "e2e", "success")
	w.gh.AddCheckRun("rancher/elemental-operator", w.c["op3"], "build", "completed", "neutral")
	w.gh.AddCheckRun("rancher/elemental-operator", w.c["op3"], "e2e", "in_progress", "")
	res = promoteWant(t, w, clk, in, 0, "pending")
	if !strings.Contains(res.outputs["reason"], "operator e2e (check run in_progress)") {
		t.Errorf("reason %q", res.outputs["reason"])
	}
	for _, want := range []string{"| cli | rancher/elemental-cli |", "| os |", "no check source", "| pending |", "| pass |"} {
		if !strings.Contains(res.summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, res.summary)
		}
	}
	w.gh.AddCheckRun("rancher/elemental-operator", w.c["op3"], "e2e", "completed", "skipped")
	res = promoteWant(t, w, clk, in, 0, "promoted")
	d1 := res.outputs["digest"]
	if res.outputs["promoted"] != "true" || res.outputs["version"] != "1.0.1" || w.tagDigest(t, "testing") != d1 {
		t.Errorf("promoted outputs %v, tag %s", res.outputs, w.tagDigest(t, "testing"))
	}

	// every way to fail, each on a new cli commit (a new candidate)
	fails := []struct{ name, kind, value string }{
		{"failure", "run", "failure"}, {"cancelled", "run", "cancelled"}, {"timed out", "run", "timed_out"},
		{"status failure", "status", "failure"}, {"status error", "status", "error"},
	}
	for i, f := range fails {
		t.Run(f.name, func(t *testing.T) {
			sha := w.gh.Commit("rancher/elemental-cli", "main", "cli: "+f.name)
			version := "1.1." + string(rune('0'+i))
			publishDev(t, w, clk, version)
			w.gh.AddCheckRun("rancher/elemental-cli", sha, "build", "completed", "success")
			if f.kind == "run" {
				w.gh.AddCheckRun("rancher/elemental-cli", sha, "e2e", "completed", f.value)
			} else {
				w.gh.AddStatus("rancher/elemental-cli", sha, "e2e", f.value)
			}
			res := promoteWant(t, w, clk, in, ExitFailure, "failed")
			if res.outputs["version"] != version || !strings.Contains(res.outputs["reason"], "cli e2e") || !strings.Contains(res.stdout, "::error") {
				t.Errorf("outputs %v\n%s", res.outputs, res.stdout)
			}
			if !strings.Contains(res.stdout, "ladder.yaml,line=") {
				t.Errorf("the error does not point at the label's gates:\n%s", res.stdout)
			}
			if w.tagDigest(t, "testing") != d1 || versionsOf(w.labelStream(t, "testing")) != "1.0.1" {
				t.Error("a failed gate moved the label")
			}
			if len(w.fileLedger(t).Quarantines) != 0 {
				t.Error("quarantined without quarantine: true")
			}
		})
	}
}

// TestPromoteChecksAllAndComponents: checks: all reads every check run and
// status; gates.components narrows the set.
func TestPromoteChecksAllAndComponents(t *testing.T) {
	w := newWorld(t, worldOpt{})
	clk := newClock()
	w.writeConfig(t, w.promoteConfig("file:ledger.json",
		"  testing:\n    from: dev\n    gates: {checks: all}\n  current:\n    from: dev\n    gates: {checks: all, components: [toolkit, os]}\n", ""))
	publishDev(t, w, clk, "1.0.1")
	res := promoteWant(t, w, clk, map[string]string{"label": "testing"}, 0, "pending")
	if !strings.Contains(res.outputs["reason"], "no check run or status reported yet") {
		t.Errorf("reason %q", res.outputs["reason"])
	}
	w.gh.AddCheckRun("rancher/elemental-toolkit", w.c["tk2"], "unit", "completed", "success")
	w.gh.AddStatus("rancher/elemental-toolkit", w.c["tk2"], "ci/jenkins", "success")
	w.gh.AddCheckRun("rancher/elemental-cli", w.c["cli3"], "lint", "completed", "failure")
	// current looks at toolkit (and os, which has no check source) only
	res = promoteWant(t, w, clk, map[string]string{"label": "current"}, 0, "promoted")
	if strings.Contains(res.summary, "| cli |") || !strings.Contains(res.summary, "ci/jenkins") || !strings.Contains(res.summary, "no check source") {
		t.Errorf("summary:\n%s", res.summary)
	}
	// testing looks at everything: cli's lint failed
	res = promoteWant(t, w, clk, map[string]string{"label": "testing"}, ExitFailure, "failed")
	if !strings.Contains(res.outputs["reason"], "cli lint") {
		t.Errorf("reason %q", res.outputs["reason"])
	}
}

// TestPromoteAPIErrorIsNeverAPass: an error reading the evidence fails the
// run and moves nothing, for check runs and statuses alike.
func TestPromoteAPIErrorIsNeverAPass(t *testing.T) {
	for _, path := range []string{"/repos/rancher/elemental-toolkit/commits/*/check-runs", "/repos/rancher/elemental-operator/commits/*/status"} {
		t.Run(path, func(t *testing.T) {
			w, clk := newPromoteWorld(t, "file:ledger.json", "  testing:\n    from: dev\n    gates: {checks: [build]}\n")
			publishDev(t, w, clk, "1.0.1")
			for _, r := range []string{"rancher/elemental-cli", "rancher/elemental-toolkit", "rancher/elemental-operator"} {
				w.gh.AddCheckRun(r, "main", "build", "completed", "success")
			}
			w.gh.Inject(ghsim.Fault{Method: "GET", Path: path, Status: 502, Times: 1 + 5}) // every retry of the gh adapter
			res := promoteRun(t, w, clk, map[string]string{"label": "testing"})
			if res.code != ExitFailure || !strings.Contains(res.stdout, "reading the gate evidence of component") {
				t.Fatalf("exit %d:\n%s", res.code, res.stdout)
			}
			if res.outputs["decision"] != "" || w.tagDigest(t, "testing") != "" || len(w.labelStream(t, "testing")) != 0 {
				t.Errorf("an API error moved the label or gave a decision: %v", res.outputs)
			}
			if n := w.gh.PendingFaults(); n != 0 {
				t.Fatalf("%d faults not used", n)
			}
			// a 403 is not retried, and is an error too
			w.gh.Inject(ghsim.Fault{Method: "GET", Path: path, Status: 403, Message: "Resource not accessible by integration", Times: 1})
			res = promoteRun(t, w, clk, map[string]string{"label": "testing"})
			if res.code != ExitFailure || !strings.Contains(res.stdout, "Resource not accessible") {
				t.Errorf("403: exit %d:\n%s", res.code, res.stdout)
			}
		})
	}
}

// TestPromoteSoakCountsFromEntry: soak counts from when the candidate
// entered the from stream (the injectable clock).
func TestPromoteSoakCountsFromEntry(t *testing.T) {
	w, clk := newPromoteWorld(t, "file:ledger.json", "  testing:\n    from: dev\n    gates: {soak: 2h}\n")
	clk.Advance(time.Hour) // the channel entry is what counts, not the first promote attempt
	entered := clk.Now()
	publishDev(t, w, clk, "1.0.1")
	clk.Advance(90 * time.Minute)
	res := promoteWant(t, w, clk, map[string]string{"label": "testing"}, 0, "pending")
	if !strings.Contains(res.outputs["reason"], "soaking: 30m0s of 2h0m0s left") {
		t.Errorf("reason %q", res.outputs["reason"])
	}
	if !strings.Contains(res.summary, "in since "+entered.Format(time.RFC3339)) {
		t.Errorf("summary:\n%s", res.summary)
	}
	clk.Advance(30 * time.Minute)
	promoteWant(t, w, clk, map[string]string{"label": "testing"}, 0, "promoted")
	if e := w.labelStream(t, "testing"); len(e) != 1 || !e[0].At.Equal(entered.Add(2*time.Hour)) {
		t.Errorf("stream %+v", e)
	}
}

// TestPromoteWaitPolls: wait polls pending gates with backoff until they
// settle, or until the time runs out.
func TestPromoteWaitPolls(t *testing.T) {
	w, clk := newPromoteWorld(t, "file:ledger.json", "  testing:\n    from: dev\n    gates: {checks: [build], components: [cli]}\n")
	publishDev(t, w, clk, "1.0.1")
	clk.onSleep = func(n int) {
		if n == 3 {
			w.gh.AddCheckRun("rancher/elemental-cli", w.c["cli3"], "build", "completed", "success")
		}
	}
	promoteWant(t, w, clk, map[string]string{"label": "testing", "wait": "10m"}, 0, "promoted")
	if got := clk.Sleeps(); len(got) != 3 || got[0] != 15*time.Second || got[1] != 30*time.Second || got[2] != time.Minute {
		t.Errorf("sleeps %v, want 15s 30s 1m", got)
	}

	// never settles: pending after exactly the wait
	w.gh.Commit("rancher/elemental-cli", "main", "cli: unchecked")
	publishDev(t, w, clk, "1.0.2")
	clk2 := newClock()
	clk2.now = clk.Now()
	res := promoteWant(t, w, clk2, map[string]string{"label": "testing", "wait": "10m"}, 0, "pending")
	var total time.Duration
	for _, s := range clk2.Sleeps() {
		total += s
		if s > pollCap {
			t.Errorf("a poll waited %s, more than the cap", s)
		}
	}
	if total != 10*time.Minute || res.outputs["version"] != "1.0.2" {
		t.Errorf("waited %s in %v, want 10m; outputs %v", total, clk2.Sleeps(), res.outputs)
	}
}

// TestPromoteWaitSoak: with only the soak pending, wait sleeps exactly the
// rest of it; a soak longer than the wait does not poll at all.
func TestPromoteWaitSoak(t *testing.T) {
	w, clk := newPromoteWorld(t, "file:ledger.json", "  testing:\n    from: dev\n    gates: {soak: 1h}\n")
	publishDev(t, w, clk, "1.0.1")
	promoteWant(t, w, clk, map[string]string{"label": "testing", "wait": "30m"}, 0, "pending")
	if s := clk.Sleeps(); len(s) != 0 {
		t.Errorf("polled %v for a soak that outlasts the wait", s)
	}
	clk.Advance(50 * time.Minute)
	promoteWant(t, w, clk, map[string]string{"label": "testing", "wait": "30m"}, 0, "promoted")
	if s := clk.Sleeps(); len(s) != 1 || s[0] != 10*time.Minute {
		t.Errorf("sleeps %v, want the 10m of soak left", s)
	}
}

// TestPromoteMonotonicRollbackHoldRelease: issue 4 point 2.
func TestPromoteMonotonicRollbackHoldRelease(t *testing.T) {
	w, clk := newPromoteWorld(t, "file:ledger.json", "  testing: {from: dev}\n")
	d := map[string]string{}
	for _, v := range []string{"1.0.1", "1.0.2", "1.0.3"} {
		d[v] = publishDev(t, w, clk, v)
	}
	promoteWant(t, w, clk, map[string]string{"label": "testing", "from": "1.0.1"}, 0, "promoted")
	promoteWant(t, w, clk, map[string]string{"label": "testing", "from": "1.0.2"}, 0, "promoted")

	// down is refused, naming both versions
	res := promoteWant(t, w, clk, map[string]string{"label": "testing", "from": "1.0.1"}, ExitFailure, "failed")
	if !strings.Contains(res.stdout, "from 1.0.2 down to 1.0.1") || w.tagDigest(t, "testing") != d["1.0.2"] {
		t.Errorf("refusal:\n%s", res.stdout)
	}
	// even forced
	res = promoteWant(t, w, clk, map[string]string{"label": "testing", "from": "1.0.1", "force": "true", "reason": "please"}, ExitFailure, "failed")
	if !strings.Contains(res.outputs["reason"], "1.0.2") || !strings.Contains(res.outputs["reason"], "1.0.1") {
		t.Errorf("forced refusal %q", res.outputs["reason"])
	}

	// rollback returns to the previous value and holds the label
	clk.Advance(time.Minute)
	res = promoteWant(t, w, clk, map[string]string{"label": "testing", "mode": "rollback", "reason": "1.0.2 crashes on boot"}, 0, "held")
	if res.outputs["version"] != "1.0.1" || res.outputs["previous-version"] != "1.0.2" || res.outputs["promoted"] != "false" {
		t.Errorf("rollback outputs %v", res.outputs)
	}
	if w.tagDigest(t, "testing") != d["1.0.1"] || w.tagDigest(t, "testing-previous") != d["1.0.2"] {
		t.Errorf("tags after rollback: testing %s previous %s", w.tagDigest(t, "testing"), w.tagDigest(t, "testing-previous"))
	}
	doc := w.fileLedger(t)
	s := doc.Stream(ledger.LabelStream("testing"))
	if last := s[len(s)-1]; last.Decision != "rollback" || last.Version != "1.0.1" || last.PreviousVersion != "1.0.2" || !strings.Contains(last.Reason, "crashes on boot") {
		t.Errorf("rollback entry %+v", last)
	}
	if h, ok := doc.Held("testing"); !ok || !strings.Contains(h.Reason, "crashes on boot") || h.Actor != "octocat" {
		t.Errorf("hold %+v %v", h, ok)
	}
	// the next scheduled promotion does not undo it
	res = promoteWant(t, w, clk, map[string]string{"label": "testing"}, 0, "held")
	if !strings.Contains(res.outputs["reason"], "crashes on boot") || w.tagDigest(t, "testing") != d["1.0.1"] {
		t.Errorf("held: %v", res.outputs)
	}
	// release on its own, then the schedule moves on
	res = promoteWant(t, w, clk, map[string]string{"label": "testing", "mode": "release", "reason": "fixed in 1.0.3"}, 0, "noop")
	if _, held := w.fileLedger(t).Held("testing"); held || w.tagDigest(t, "testing") != d["1.0.1"] {
		t.Errorf("release: held=%v", held)
	}
	promoteWant(t, w, clk, map[string]string{"label": "testing"}, 0, "promoted")
	if w.tagDigest(t, "testing") != d["1.0.3"] {
		t.Error("the label did not move to 1.0.3 after the release")
	}
	// hold on its own
	res = promoteWant(t, w, clk, map[string]string{"label": "testing", "mode": "hold", "reason": "release freeze"}, 0, "held")
	if res.outputs["version"] != "1.0.3" {
		t.Errorf("hold outputs %v", res.outputs)
	}
	d["1.0.4"] = publishDev(t, w, clk, "1.0.4")
	res = promoteWant(t, w, clk, map[string]string{"label": "testing"}, 0, "held")
	if !strings.Contains(res.outputs["reason"], "release freeze") || w.tagDigest(t, "testing") != d["1.0.3"] {
		t.Errorf("a held label moved: %v", res.outputs)
	}
	promoteWant(t, w, clk, map[string]string{"label": "testing", "mode": "release"}, 0, "noop")
	promoteWant(t, w, clk, map[string]string{"label": "testing"}, 0, "promoted")
	if got := versionsOf(w.labelStream(t, "testing")); got != "1.0.1,1.0.2,1.0.1,1.0.3,1.0.4" {
		t.Errorf("history %s", got)
	}
}

// TestPromoteQuarantine: issue 4 point 3.
func TestPromoteQuarantine(t *testing.T) {
	w := newWorld(t, worldOpt{})
	clk := newClock()
	w.writeConfig(t, w.promoteConfig("file:ledger.json",
		"  current:\n    from: dev\n    gates: {checks: [build], components: [cli]}\n    quarantine: true\n  testing: {from: dev}\n", ""))
	good := publishDev(t, w, clk, "1.0.1")
	w.gh.AddCheckRun("rancher/elemental-cli", w.c["cli3"], "build", "completed", "success")
	promoteWant(t, w, clk, map[string]string{"label": "current"}, 0, "promoted")

	bad := w.gh.Commit("rancher/elemental-cli", "main", "cli: broken")
	badDigest := publishDev(t, w, clk, "1.0.2")
	w.gh.AddCheckRun("rancher/elemental-cli", bad, "build", "completed", "failure")
	res := promoteWant(t, w, clk, map[string]string{"label": "current"}, ExitFailure, "failed")
	if !strings.Contains(res.outputs["reason"], "quarantined") {
		t.Errorf("reason %q", res.outputs["reason"])
	}
	doc := w.fileLedger(t)
	q, ok := doc.Quarantined(badDigest)
	if !ok || q.Label != "current" || q.Actor != "octocat" || !strings.Contains(q.Reason, "cli build") {
		t.Fatalf("quarantine %+v %v", q, ok)
	}
	// refused everywhere: the next scheduled run skips it, another label refuses it
	res = promoteWant(t, w, clk, map[string]string{"label": "current"}, 0, "noop")
	if !strings.Contains(res.outputs["reason"], "skipped quarantined 1.0.2") || w.tagDigest(t, "current") != good {
		t.Errorf("scheduled run after the quarantine: %v", res.outputs)
	}
	res = promoteWant(t, w, clk, map[string]string{"label": "testing", "from": "1.0.2"}, ExitFailure, "failed")
	if !strings.Contains(res.stdout, "quarantined") || !strings.Contains(res.stdout, "force") {
		t.Errorf("another label:\n%s", res.stdout)
	}
	res = promoteWant(t, w, clk, map[string]string{"label": "testing", "from": badDigest}, ExitFailure, "failed")
	if w.tagDigest(t, "testing") != "" {
		t.Error("testing moved to a quarantined bundle")
	}
	// force needs a reason, and is recorded as forced with the actor and the reason
	res = promoteRun(t, w, clk, map[string]string{"label": "testing", "from": "1.0.2", "force": "true"})
	if res.code != ExitUsage || !strings.Contains(res.stdout, "input reason: required with force") {
		t.Errorf("force without a reason: exit %d\n%s", res.code, res.stdout)
	}
	res = promoteWant(t, w, clk, map[string]string{"label": "testing", "from": "1.0.2", "force": "true", "reason": "flaky runner, verified by hand"}, 0, "promoted")
	e := w.labelStream(t, "testing")
	if len(e) != 1 || !e[0].Forced || e[0].Actor != "octocat" || !strings.Contains(e[0].Reason, "verified by hand") || !strings.HasSuffix(e[0].Run, "/actions/runs/4242") {
		t.Errorf("forced entry %+v", e)
	}
	if w.tagDigest(t, "testing") != badDigest || !w.fileLedger(t).IsQuarantined(badDigest) {
		t.Error("forced promotion: tag not moved, or the quarantine was lifted")
	}
	if !strings.Contains(res.summary, "Gates bypassed (force)") {
		t.Errorf("summary:\n%s", res.summary)
	}
}

// TestPromoteHistoryPreviousAndNoop: issue 4 point 4, on the GitHub ledger:
// <label>-previous holds the prior value, every move is recorded with from,
// to, versions, digests, time, actor, run, reason and decision, and a move
// to where the label is writes nothing.
func TestPromoteHistoryPreviousAndNoop(t *testing.T) {
	w, clk := newPromoteWorld(t, "github", "  testing: {from: dev}\n")
	d1 := publishDev(t, w, clk, "1.0.1")
	d2 := publishDev(t, w, clk, "1.0.2")
	res := promoteWant(t, w, clk, map[string]string{"label": "testing", "from": "1.0.1", "reason": "first"}, 0, "promoted")
	if res.outputs["previous-digest"] != "" || w.tagDigest(t, "testing-previous") != "" {
		t.Errorf("first promotion: %v", res.outputs)
	}
	clk.Advance(time.Hour)
	res = promoteWant(t, w, clk, map[string]string{"label": "testing"}, 0, "promoted")
	if res.outputs["version"] != "1.0.2" || res.outputs["previous-version"] != "1.0.1" || res.outputs["previous-digest"] != d1 || res.outputs["digest"] != d2 {
		t.Errorf("outputs %v", res.outputs)
	}
	if w.tagDigest(t, "testing") != d2 || w.tagDigest(t, "testing-previous") != d1 {
		t.Error("tags testing / testing-previous")
	}
	data, doc := w.githubLedgerFile(t)
	s := doc.Stream(ledger.LabelStream("testing"))
	if len(s) != 2 {
		t.Fatalf("stream %+v", s)
	}
	e := s[1]
	if e.Version != "1.0.2" || e.Digest != d2 || e.PreviousVersion != "1.0.1" || e.PreviousDigest != d1 || !e.At.Equal(now.Add(time.Hour)) ||
		e.Actor != "octocat" || e.Run != w.gh.ServerURL()+"/acme/elemental/actions/runs/4242" || e.Decision != "promoted" || !strings.Contains(e.Reason, "from channel dev") {
		t.Errorf("entry %+v", e)
	}
	if s[0].Reason != "from version 1.0.1; no gates: first" {
		t.Errorf("first entry's reason %q", s[0].Reason)
	}
	hist := w.gh.History("acme/elemental", "ladder-ledger")
	if msg := hist[0].Message; !strings.Contains(msg, "promoted label testing to 1.0.2") || !strings.Contains(msg, "from 1.0.1") || !strings.Contains(msg, "actor: octocat") {
		t.Errorf("ledger commit message:\n%s", msg)
	}
	// noop: nothing written, by any path
	before := len(hist)
	for _, in := range []map[string]string{{"label": "testing"}, {"label": "testing", "from": "1.0.2"}, {"label": "testing", "from": d2}} {
		res = promoteWant(t, w, clk, in, 0, "noop")
		if res.outputs["promoted"] != "false" || res.outputs["version"] != "1.0.2" || !strings.Contains(res.outputs["reason"], "already at 1.0.2") {
			t.Errorf("noop outputs %v", res.outputs)
		}
	}
	if after := len(w.gh.History("acme/elemental", "ladder-ledger")); after != before {
		t.Errorf("ledger commits %d -> %d after noops", before, after)
	}
	if again, _ := w.gh.File("acme/elemental", "ladder-ledger", "elemental.json"); !bytes.Equal(again, data) {
		t.Error("the ledger file changed after noops")
	}
	if !strings.Contains(res.summary, "```mermaid") || !strings.Contains(res.summary, "testing = 1.0.2") {
		t.Errorf("summary lacks the history graph:\n%s", res.summary)
	}
}

// TestPromoteNoopWritesNoFile: the same on a file ledger, and a noop puts
// back a tag someone moved (a rerun finishes the job).
func TestPromoteNoopWritesNoFile(t *testing.T) {
	w, clk := newPromoteWorld(t, "file:ledger.json", "  testing: {from: dev}\n")
	d1 := publishDev(t, w, clk, "1.0.1")
	promoteWant(t, w, clk, map[string]string{"label": "testing"}, 0, "promoted")
	d2 := publishDev(t, w, clk, "1.0.2")
	path := filepath.Join(w.ws, "ledger.json")
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	st1, _ := os.Stat(path)
	if err := w.oci(t).Tag(context.Background(), w.repo(), d2, "testing"); err != nil { // a stray writer
		t.Fatal(err)
	}
	promoteWant(t, w, clk, map[string]string{"label": "testing", "from": "1.0.1"}, 0, "noop")
	after, _ := os.ReadFile(path)
	st2, _ := os.Stat(path)
	if !bytes.Equal(before, after) || !st1.ModTime().Equal(st2.ModTime()) {
		t.Error("a noop wrote the ledger file")
	}
	if w.tagDigest(t, "testing") != d1 {
		t.Error("the noop did not make the tag match the ledger")
	}
}

// TestPromoteRetagMovesNoBlob: issue 4 point 5, against the CNCF
// distribution registry through a counting proxy.
func TestPromoteRetagMovesNoBlob(t *testing.T) {
	proxy := regproxy.Start(t, registry.Distribution(t))
	w := newWorld(t, worldOpt{registry: proxy.Host()})
	clk := newClock()
	w.writeConfig(t, w.promoteConfig("file:ledger.json",
		"  testing: {from: dev}\n  current:\n    from: testing\n    gates: {checks: [build], components: [cli]}\n", ""))
	if err := os.WriteFile(filepath.Join(w.ws, "image.bin"), bytes.Repeat([]byte("ladder"), 200_000), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"1.0.1", "1.0.2"} {
		res := w.runAt(t, clk, "build-bundle", map[string]string{"channel": "dev", "version": v, "force": "true", "lock-file": "none.json", "files": "image.bin"})
		if res.code != 0 {
			t.Fatalf("build: %s", res.stdout)
		}
	}
	promoteWant(t, w, clk, map[string]string{"label": "testing", "from": "1.0.1"}, 0, "promoted")

	proxy.Reset()
	promoteWant(t, w, clk, map[string]string{"label": "testing", "from": "1.0.2"}, 0, "promoted")
	st := proxy.Stats()
	t.Logf("promote, gates off: %s", st)
	// the only blobs read are the two locks (config blobs under 1 KB) that
	// "What changed" compares (issue 16 point 1); no layer moves
	if st.ByKind[regproxy.BlobGet] > 2 || st.BlobBytesUp != 0 || st.BlobBytesDown > 10_000 {
		t.Errorf("the retag touched blobs beyond the two locks: %s", st)
	}
	if st.ByKind[regproxy.ManifestPut] != 2 || st.ByKind[regproxy.ManifestGet] > 2 {
		t.Errorf("want a manifest GET and PUT per tag (testing, testing-previous): %s", st)
	}

	// with gates that check commits, the lock (the config blob) is read, no layer
	w.gh.AddCheckRun("rancher/elemental-cli", w.c["cli3"], "build", "completed", "success")
	proxy.Reset()
	promoteWant(t, w, clk, map[string]string{"label": "current"}, 0, "promoted")
	st = proxy.Stats()
	t.Logf("promote, gates on: %s", st)
	if st.ByKind[regproxy.BlobGet] != 1 || st.Blob() != 1 || st.BlobBytesUp != 0 || st.BlobBytesDown > 10_000 {
		t.Errorf("want one small blob read (the lock) and nothing else: %s", st)
	}
}

// TestPromoteLabelChannelResolvesThroughTheLabel: issue 4 point 6 (story S5:
// "resolve the human label to the compose"): a channel that tracks a label
// resolves to exactly the lock of the bundle the label points at after a
// promote, not to anything newer.
func TestPromoteLabelChannelResolvesThroughTheLabel(t *testing.T) {
	w := newWorld(t, worldOpt{})
	clk := newClock()
	w.writeConfig(t, w.promoteConfig("file:ledger.json", "  testing: {from: dev}\n", "  pinned:\n    track: {label: testing}\n"))
	_, l1 := resolveOK(t, w, map[string]string{"channel": "dev", "lock-file": "l1.json"})
	publishDev(t, w, clk, "1.0.1")
	w.c["cli4"] = w.gh.Commit("rancher/elemental-cli", "main", "cli: fourth")
	_, l2 := resolveOK(t, w, map[string]string{"channel": "dev", "lock-file": "l2.json"})
	publishDev(t, w, clk, "1.0.2")
	if l1.Digest() == l2.Digest() {
		t.Fatal("the two bundles have the same lock")
	}
	promoteWant(t, w, clk, map[string]string{"label": "testing", "from": "1.0.1"}, 0, "promoted")
	_, got := resolveOK(t, w, map[string]string{"channel": "pinned", "lock-file": "pinned.json"})
	if got.Digest() != l1.Digest() || got.Channel != "pinned" {
		t.Errorf("pinned resolved to %s, want the lock of 1.0.1 %s", got.Digest(), l1.Digest())
	}
	if e, _ := got.Entry("cli"); e.Commit != w.c["cli3"] {
		t.Errorf("cli %s, want %s", e.Commit, w.c["cli3"])
	}
	promoteWant(t, w, clk, map[string]string{"label": "testing"}, 0, "promoted")
	_, got = resolveOK(t, w, map[string]string{"channel": "pinned", "lock-file": "pinned.json"})
	if got.Digest() != l2.Digest() {
		t.Errorf("after the second promote, pinned resolved to %s, want %s", got.Digest(), l2.Digest())
	}
}

// TestStoryS5LabelPromotionOnASchedule: issue 4 point 7. latest (a channel)
// -> testing -> current, each step with its criteria, promoted by runs on a
// schedule: gates pending, then passing and promoted after the soak; a
// failing candidate quarantined and skipped by the next run, which promotes
// the next good one; previous values kept; every move recorded; the label
// resolvable to the exact versions behind it.
func TestStoryS5LabelPromotionOnASchedule(t *testing.T) {
	w := newWorld(t, worldOpt{})
	clk := newClock()
	labels := `  testing:
    from: latest
    gates: {checks: [build], soak: 2h, components: [cli, toolkit, operator]}
  current:
    from: testing
    gates: {checks: all, soak: 24h}
    quarantine: true
`
	channels := "  latest:\n    track: {branch: main}\n    version: {prerelease: latest}\n  composes:\n    track: {label: current}\n"
	w.writeConfig(t, w.promoteConfig("file:ledger.json", labels, channels))
	build := func() string {
		t.Helper()
		res := w.runAt(t, clk, "build-bundle", map[string]string{"channel": "latest", "lock-file": "none.json"})
		if res.code != 0 || res.outputs["published"] != "true" {
			t.Fatalf("build latest: %d %v\n%s", res.code, res.outputs, res.stdout)
		}
		return res.outputs["version"]
	}
	// a scheduled tick: promote testing, then current
	tick := func(wantTesting, wantCurrent string) (result, result) {
		t.Helper()
		a := promoteRun(t, w, clk, map[string]string{"label": "testing"})
		b := promoteRun(t, w, clk, map[string]string{"label": "current"})
		if a.outputs["decision"] != wantTesting || b.outputs["decision"] != wantCurrent {
			t.Fatalf("at %s: testing %s (%s), current %s (%s); want %s, %s", clk.Now().Format(time.RFC3339),
				a.outputs["decision"], a.outputs["reason"], b.outputs["decision"], b.outputs["reason"], wantTesting, wantCurrent)
		}
		return a, b
	}
	check := func(repo, sha, name, conclusion string) { w.gh.AddCheckRun(repo, sha, name, "completed", conclusion) }
	status := func(repo, sha, name, state string) { w.gh.AddStatus(repo, sha, name, state) }

	a := build()
	tick("pending", "noop") // no checks yet; testing has no value for current to take
	check("rancher/elemental-cli", w.c["cli3"], "build", "success")
	check("rancher/elemental-toolkit", w.c["tk2"], "build", "success")
	status("rancher/elemental-operator", w.c["op3"], "build", "success")
	clk.Advance(time.Hour)
	ra, _ := tick("pending", "noop") // soaking
	if !strings.Contains(ra.outputs["reason"], "soaking: 1h0m0s of 2h0m0s left") {
		t.Errorf("reason %q", ra.outputs["reason"])
	}
	clk.Advance(time.Hour)
	ra, rb := tick("promoted", "pending") // testing = A; current waits for A's 24h in testing
	if ra.outputs["version"] != a || !strings.Contains(rb.outputs["reason"], "soaking: 24h0m0s") {
		t.Errorf("testing %v, current reason %q", ra.outputs, rb.outputs["reason"])
	}
	if !strings.Contains(rb.summary, "| os |") || !strings.Contains(rb.summary, "no check source") {
		t.Errorf("the git component is not listed as having no check source:\n%s", rb.summary)
	}
	clk.Advance(24 * time.Hour)
	tick("noop", "promoted") // current = A

	// B: passes testing's build gate, fails e2e (current checks all): quarantined
	w.c["cli4"] = w.gh.Commit("rancher/elemental-cli", "main", "cli: fourth")
	clk.Advance(time.Hour)
	b := build()
	check("rancher/elemental-cli", w.c["cli4"], "build", "success")
	w.gh.AddCheckRun("rancher/elemental-cli", w.c["cli4"], "e2e", "in_progress", "")
	clk.Advance(2 * time.Hour)
	tick("promoted", "pending") // testing = B; current: e2e running (and soaking)
	clk.Advance(24 * time.Hour)
	check("rancher/elemental-cli", w.c["cli4"], "e2e", "failure")
	_, rb = tick("noop", "failed")
	if rb.code != ExitFailure || rb.outputs["version"] != b || !strings.Contains(rb.outputs["reason"], "quarantined") {
		t.Errorf("current on B: %d %v", rb.code, rb.outputs)
	}
	if !w.fileLedger(t).IsQuarantined(rb.outputs["digest"]) {
		t.Fatal("B is not quarantined")
	}
	clk.Advance(time.Hour)
	_, rb = tick("noop", "noop") // the next run skips B
	if !strings.Contains(rb.outputs["reason"], "skipped quarantined "+b) || rb.outputs["version"] != a || rb.code != 0 {
		t.Errorf("the next run: %v", rb.outputs)
	}

	// C: good; the schedule carries it through
	w.c["cli5"] = w.gh.Commit("rancher/elemental-cli", "main", "cli: fifth")
	c := build()
	check("rancher/elemental-cli", w.c["cli5"], "build", "success")
	check("rancher/elemental-cli", w.c["cli5"], "e2e", "success")
	tick("pending", "noop")
	clk.Advance(2 * time.Hour)
	tick("promoted", "pending")
	clk.Advance(24 * time.Hour)
	_, rb = tick("noop", "promoted")
	if rb.outputs["version"] != c || rb.outputs["previous-version"] != a {
		t.Errorf("current on C: %v", rb.outputs)
	}

	doc := w.fileLedger(t)
	if got := versionsOf(doc.Stream(ledger.LabelStream("testing"))); got != strings.Join([]string{a, b, c}, ",") {
		t.Errorf("testing history %s", got)
	}
	if got := versionsOf(doc.Stream(ledger.LabelStream("current"))); got != a+","+c {
		t.Errorf("current history %s", got)
	}
	ca, _ := doc.Bundle(a)
	cc, _ := doc.Bundle(c)
	if w.tagDigest(t, "current") != cc.Digest || w.tagDigest(t, "current-previous") != ca.Digest {
		t.Error("current / current-previous tags")
	}
	// resolve the human label to the compose: the exact versions behind it
	_, l := resolveOK(t, w, map[string]string{"channel": "composes", "lock-file": "composes.json"})
	if l.Digest() != cc.LockDigest {
		t.Errorf("composes resolved to %s, want the lock of %s (%s)", l.Digest(), c, cc.LockDigest)
	}
	if e, _ := l.Entry("cli"); e.Commit != w.c["cli5"] {
		t.Errorf("cli at %s, want %s", lock.Short(e.Commit), lock.Short(w.c["cli5"]))
	}
}

// TestPromoteBadInputsChangeNothing: bad inputs fail with the field named,
// before anything is written.
func TestPromoteBadInputsChangeNothing(t *testing.T) {
	w, clk := newPromoteWorld(t, "file:ledger.json", "  testing: {from: dev}\n")
	publishDev(t, w, clk, "1.0.1")
	before, err := os.ReadFile(filepath.Join(w.ws, "ledger.json"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		inputs map[string]string
		want   string
	}{
		{"unknown label", map[string]string{"label": "stable"}, `input label: "stable" is not a label`},
		{"bad mode", map[string]string{"label": "testing", "mode": "demote"}, `input mode: "demote" is not a mode`},
		{"bad wait", map[string]string{"label": "testing", "wait": "soon"}, `input wait: "soon" is not a duration`},
		{"bad force", map[string]string{"label": "testing", "force": "yes"}, "input force"},
		{"unknown from", map[string]string{"label": "testing", "from": "9.9.9"}, `input from: "9.9.9" is not a channel or label`},
		{"force without reason", map[string]string{"label": "testing", "force": "true"}, "input reason: required with force"},
		{"from with hold", map[string]string{"label": "testing", "mode": "hold", "from": "1.0.1"}, "input from: not used with mode hold"},
		{"rollback from a stream", map[string]string{"label": "testing", "mode": "rollback", "from": "dev"}, "with mode rollback, give a version or digest"},
		{"rollback with no value", map[string]string{"label": "testing", "mode": "rollback"}, "has no value to roll back"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := promoteRun(t, w, clk, c.inputs)
			if res.code == 0 || !strings.Contains(res.stdout, c.want) {
				t.Errorf("exit %d, want an error containing %q:\n%s", res.code, c.want, res.stdout)
			}
			if after, _ := os.ReadFile(filepath.Join(w.ws, "ledger.json")); !bytes.Equal(after, before) {
				t.Error("the ledger was written")
			}
			if w.tagDigest(t, "testing") != "" {
				t.Error("the label was tagged")
			}
		})
	}
	// ledger: none cannot hold a label's history
	w.writeConfig(t, w.promoteConfig("none", "  testing: {from: dev}\n", ""))
	res := promoteRun(t, w, clk, map[string]string{"label": "testing"})
	if res.code != ExitFailure || !strings.Contains(res.stdout, "promote-label needs a ledger") || !strings.Contains(res.stdout, "line=") {
		t.Errorf("ledger none: exit %d\n%s", res.code, res.stdout)
	}
}

// TestPromoteDryRunChangesNothing: a dry run decides and writes nothing.
func TestPromoteDryRunChangesNothing(t *testing.T) {
	w, clk := newPromoteWorld(t, "file:ledger.json", "  testing: {from: dev}\n")
	publishDev(t, w, clk, "1.0.1")
	before, _ := os.ReadFile(filepath.Join(w.ws, "ledger.json"))
	res := promoteWant(t, w, clk, map[string]string{"label": "testing", "dry-run": "true"}, 0, "promoted")
	if res.outputs["promoted"] != "false" || !strings.HasPrefix(res.outputs["reason"], "dry run") || !strings.Contains(res.summary, "(dry run)") {
		t.Errorf("outputs %v\n%s", res.outputs, res.summary)
	}
	if after, _ := os.ReadFile(filepath.Join(w.ws, "ledger.json")); !bytes.Equal(after, before) || w.tagDigest(t, "testing") != "" {
		t.Error("the dry run wrote")
	}
}

// Decisions on a bundle only the ledger's history (a segment) holds.

// coldWorld publishes dev 1.0.1 .. 1.0.n with the default layout limits,
// until 1.0.1 has gone from the ledger's state into a segment.
func coldWorld(t *testing.T, labels string, n int) (*world, *fakeClock, map[string]string) {
	t.Helper()
	w, clk := newPromoteWorld(t, "file:ledger.json", labels)
	d := map[string]string{}
	for i := 1; i <= n; i++ {
		v := fmt.Sprintf("1.0.%d", i)
		d[v] = publishDev(t, w, clk, v)
	}
	_, st := fileState(t, w)
	if _, hot := st.Bundle("1.0.1"); hot || st.History == nil {
		t.Fatalf("1.0.1 is still in the ledger's state after %d publishes", n)
	}
	return w, clk, d
}

// TestPromoteFromAColdVersion: a promotion from: an explicit version that
// only a segment holds promotes it, as on the whole ledger (README: a write
// that fails with "not found" on the state is decided on the whole ledger).
func TestPromoteFromAColdVersion(t *testing.T) {
	w, clk, d := coldWorld(t, "  testing: {from: dev}\n", 60)
	res := promoteRun(t, w, clk, map[string]string{"label": "testing", "from": "1.0.1"})
	if res.code != 0 || res.outputs["decision"] != "promoted" || res.outputs["version"] != "1.0.1" {
		t.Fatalf("promote-label from 1.0.1: exit %d %v\n%s", res.code, res.outputs, res.stdout)
	}
	if w.tagDigest(t, "testing") != d["1.0.1"] {
		t.Error("the testing tag is not on 1.0.1")
	}
}

// TestRollbackToAColdVersion: a rollback to an explicit version the label
// held long ago, whose bundle and entry only segments hold, rolls back to
// it (and holds the label), as on the whole ledger.
func TestRollbackToAColdVersion(t *testing.T) {
	w, clk := newPromoteWorld(t, "file:ledger.json", "  testing: {from: dev}\n")
	d := map[string]string{}
	for i := 1; i <= 60; i++ {
		v := fmt.Sprintf("1.0.%d", i)
		d[v] = publishDev(t, w, clk, v)
		if i == 2 || i > 30 {
			promoteWant(t, w, clk, map[string]string{"label": "testing", "from": v}, 0, "promoted")
		}
	}
	_, st := fileState(t, w)
	if _, hot := st.Bundle("1.0.2"); hot || st.Stream(ledger.LabelStream("testing"))[0].Version == "1.0.2" {
		t.Fatal("1.0.2 is still in the ledger's state")
	}
	res := promoteRun(t, w, clk, map[string]string{"label": "testing", "mode": "rollback", "from": "1.0.2", "reason": "1.0.60 is broken"})
	if res.code != 0 || res.outputs["decision"] != "held" || res.outputs["version"] != "1.0.2" {
		t.Fatalf("rollback to 1.0.2: exit %d %v\n%s", res.code, res.outputs, res.stdout)
	}
	if w.tagDigest(t, "testing") != d["1.0.2"] {
		t.Error("the testing tag is not on 1.0.2")
	}
}

// TestPromoteFromAStreamWhoseRecentValuesAreQuarantined: when every value
// of the from stream the ledger's state still holds is quarantined, the
// candidate is the newest live value in the history, as on the whole
// ledger, not "no candidate".
func TestPromoteFromAStreamWhoseRecentValuesAreQuarantined(t *testing.T) {
	w, clk, d := coldWorld(t, "  testing: {from: dev}\n", 60)
	s, st := fileState(t, w)
	hot := st.Stream(ledger.ChannelStream("dev"))
	oldest := hot[0].Version
	if _, err := s.Update(context.Background(), ledger.Message{What: "quarantine"}, func(doc *ledger.Document) error {
		for _, e := range hot {
			if err := doc.Quarantine(e.Digest, ledger.Quarantine{Reason: "bad batch", At: clk.Now()}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var n int
	if _, err := fmt.Sscanf(oldest, "1.0.%d", &n); err != nil || n < 2 {
		t.Fatalf("the state's oldest value of dev is %s", oldest)
	}
	want := fmt.Sprintf("1.0.%d", n-1) // the newest value only the history holds
	res := promoteRun(t, w, clk, map[string]string{"label": "testing"})
	if res.code != 0 || res.outputs["decision"] != "promoted" || res.outputs["version"] != want {
		t.Fatalf("promote-label from dev (the state's %d values of dev quarantined, from %s): exit %d %v, want %s promoted\n%s",
			len(hot), oldest, res.code, res.outputs, want, res.stdout)
	}
	if w.tagDigest(t, "testing") != d[want] {
		t.Errorf("the testing tag is not on %s", want)
	}
}

// TestPromoteNoCheckSourceIsNeverPassed: SPEC section 4, promote-label: a
// gate whose checks cover only git: components (here gates.components names
// only os, served by git http-backend) promotes, since a git: component does
// not block, but its reason says "no check source", never "passed": in the
// outputs, the step summary, the ledger entry and `ladder status --history`.
// A gate over repo: components that passed still says so, naming the git:
// component it could not check.
func TestPromoteNoCheckSourceIsNeverPassed(t *testing.T) {
	w := newWorld(t, worldOpt{})
	clk := newClock()
	w.writeConfig(t, w.promoteConfig("file:ledger.json",
		"  testing:\n    from: dev\n    gates: {checks: [build, e2e], components: [os]}\n"+
			"  current:\n    from: dev\n    gates: {checks: [build]}\n", ""))
	publishDev(t, w, clk, "1.0.1")

	const nothing = "checks build, e2e: no check source, nothing was checked (os is a git: component)"
	res := promoteWant(t, w, clk, map[string]string{"label": "testing"}, 0, "promoted")
	if !strings.Contains(res.outputs["reason"], nothing) || strings.Contains(res.outputs["reason"], "passed") {
		t.Errorf("reason output %q, want it to say %q and never passed", res.outputs["reason"], nothing)
	}
	if !strings.Contains(res.summary, "no check source, nothing was checked") || strings.Contains(res.summary, "passed") {
		t.Errorf("summary:\n%s", res.summary)
	}
	stream := w.labelStream(t, "testing")
	if len(stream) != 1 || !strings.Contains(stream[0].Reason, nothing) || strings.Contains(stream[0].Reason, "passed") {
		t.Fatalf("ledger entries of label testing: %+v", stream)
	}

	hist := runStatus(t, map[string]string{"GITHUB_WORKSPACE": w.ws}, "--history", "testing")
	if hist.code != 0 {
		t.Fatalf("status --history exited %d:\n%s%s", hist.code, hist.stdout, hist.stderr)
	}
	if !strings.Contains(hist.stdout, nothing) || strings.Contains(hist.stdout, "passed") {
		t.Errorf("status --history testing:\n%s", hist.stdout)
	}

	// repo: components checked: passed, and the git: one named
	for _, c := range []struct{ repo, commit string }{
		{"rancher/elemental-cli", w.c["cli3"]}, {"rancher/elemental-toolkit", w.c["tk2"]}, {"rancher/elemental-operator", w.c["op3"]},
	} {
		w.gh.AddCheckRun(c.repo, c.commit, "build", "completed", "success")
	}
	const checked = "checks build passed; no check source for os (a git: component)"
	promoteWant(t, w, clk, map[string]string{"label": "current"}, 0, "promoted")
	if stream := w.labelStream(t, "current"); len(stream) != 1 || !strings.Contains(stream[0].Reason, checked) {
		t.Fatalf("ledger entries of label current: %+v", stream)
	}
	hist = runStatus(t, map[string]string{"GITHUB_WORKSPACE": w.ws}, "--history", "current")
	if hist.code != 0 || !strings.Contains(hist.stdout, checked) {
		t.Errorf("status --history current: exit %d\n%s%s", hist.code, hist.stdout, hist.stderr)
	}
}
