package app

import (
	"strings"
	"testing"

	"github.com/ladder-release/ladder/internal/ledger"
)

// Races between promote-label and the rest of the ledger's writers: a
// promotion decides on one ledger read and decides again inside the ledger's
// compare-and-swap write, on whatever the ledger holds by then (a retention
// deletion, another job's rollback, its own write whose answer was lost).

// runAtEnv is runAt (promote_test.go) with extra environment: another
// GITHUB_RUN_ID (another workflow run), or GITHUB_API_URL through a proxy.
func (w *world) runAtEnv(t *testing.T, clk *fakeClock, name string, inputs, extra map[string]string) result {
	t.Helper()
	return w.runWith(t, name, inputs, extra, clk.Now, clk.Sleep)
}

// retentionConfig: label testing from dev (gated by cli's build check when
// gated), dev keeping its newest 2 versions.
func retentionConfig(w *world, gated bool) string {
	label := "  testing: {from: dev}\n"
	if gated {
		label = "  testing:\n    from: dev\n    gates: {checks: [build], components: [cli]}\n"
	}
	cfg := w.promoteConfig("file:ledger.json", label, "")
	return strings.Replace(cfg, "    version: {prerelease: dev}\n", "    version: {prerelease: dev}\n    retention: {keep: 2}\n", 1)
}

// TestPromoteRaceRetentionDeletesNamedCandidate (review D3, was
// TestReviewRetentionRacesPromotion): promote-label decides on 1.0.1, named
// in from, and polls its pending gate; meanwhile a build publishes 1.0.3 and
// retention (keep 2) records 1.0.1 as deleted and deletes its version tag.
// The decision made again inside the compare-and-swap must see the deletion:
// a deleted version is never a candidate. Named, the run fails (exit 1)
// naming the version and retention; the label does not move.
func TestPromoteRaceRetentionDeletesNamedCandidate(t *testing.T) {
	w := newWorld(t, worldOpt{})
	clk := newClock()
	w.writeConfig(t, retentionConfig(w, true))
	d := map[string]string{}
	for _, v := range []string{"1.0.1", "1.0.2"} {
		d[v] = publishDev(t, w, clk, v)
	}
	clk.onSleep = func(n int) {
		if n == 1 { // while promote-label polls its pending gate
			publishDev(t, w, newClock(), "1.0.3") // retention keep 2: 1.0.1 goes
			w.gh.AddCheckRun("rancher/elemental-cli", w.c["cli3"], "build", "completed", "success")
		}
	}
	res := promoteWant(t, w, clk, map[string]string{"label": "testing", "from": "1.0.1", "wait": "10m"}, ExitFailure, "failed")
	doc := w.fileLedger(t)
	if !doc.Deleted("1.0.1") || w.tagDigest(t, "1.0.1") != "" {
		t.Fatalf("setup: retention did not delete 1.0.1 while the run polled (deleted=%v tag=%q)", doc.Deleted("1.0.1"), w.tagDigest(t, "1.0.1"))
	}
	if r := res.outputs["reason"]; !strings.Contains(r, "1.0.1") || !strings.Contains(r, "retention") {
		t.Errorf("reason %q does not name 1.0.1 and retention", r)
	}
	if s := doc.Stream(ledger.LabelStream("testing")); len(s) != 0 || w.tagDigest(t, "testing") != "" {
		t.Errorf("label testing moved onto the deleted 1.0.1: history %s, tag %q", versionsOf(s), w.tagDigest(t, "testing"))
	}
}

// TestPromoteRaceRetentionDeletesStreamCandidate: the same race for the
// scheduled form (the candidate is dev's newest value when the run reads the
// ledger). Retention deletes it once newer values are published; the
// decision made inside the compare-and-swap is a noop naming the deletion
// (exit 0: a schedule stays green, and its next run takes dev's newest
// value, whose gates it has not read yet), and the label does not move.
func TestPromoteRaceRetentionDeletesStreamCandidate(t *testing.T) {
	w := newWorld(t, worldOpt{})
	clk := newClock()
	w.writeConfig(t, retentionConfig(w, true))
	publishDev(t, w, clk, "1.0.1")
	clk.onSleep = func(n int) {
		if n == 1 {
			publishDev(t, w, newClock(), "1.0.2")
			publishDev(t, w, newClock(), "1.0.3") // retention keep 2: 1.0.1 goes
			w.gh.AddCheckRun("rancher/elemental-cli", w.c["cli3"], "build", "completed", "success")
		}
	}
	res := promoteWant(t, w, clk, map[string]string{"label": "testing", "wait": "10m"}, 0, "noop")
	doc := w.fileLedger(t)
	if !doc.Deleted("1.0.1") {
		t.Fatal("setup: retention did not delete 1.0.1 while the run polled")
	}
	if r := res.outputs["reason"]; !strings.Contains(r, "1.0.1") || !strings.Contains(r, "retention") {
		t.Errorf("reason %q does not name 1.0.1 and retention", r)
	}
	if s := doc.Stream(ledger.LabelStream("testing")); len(s) != 0 || w.tagDigest(t, "testing") != "" {
		t.Errorf("label testing moved onto the deleted 1.0.1: history %s", versionsOf(s))
	}
	// the next scheduled run takes dev's newest value
	promoteWant(t, w, clk, map[string]string{"label": "testing"}, 0, "promoted")
	if h, _ := w.fileLedger(t).Head(ledger.LabelStream("testing")); h.Version != "1.0.3" {
		t.Errorf("next run: label testing at %s, want 1.0.3", h.Version)
	}
}

// TestPromoteRaceDeletedVersionNamedOrRolledBackTo: with no race at all, a
// version the ledger records as deleted by retention is refused, by version
// or by digest, as from for a promotion or a rollback (an error naming the
// input), and as the previous value a rollback would return to (failed,
// naming the version and retention: its tag is gone, and skipping to an
// older value would roll back further than asked).
func TestPromoteRaceDeletedVersionNamedOrRolledBackTo(t *testing.T) {
	w := newWorld(t, worldOpt{})
	clk := newClock()
	w.writeConfig(t, retentionConfig(w, false))
	d := map[string]string{}
	for _, v := range []string{"1.0.1", "1.0.2", "1.0.3"} {
		d[v] = publishDev(t, w, clk, v)
		promoteWant(t, w, clk, map[string]string{"label": "testing", "from": v}, 0, "promoted")
	}
	promoteWant(t, w, clk, map[string]string{"label": "testing", "mode": "rollback", "reason": "1.0.3 is bad"}, 0, "held")
	d["1.0.4"] = publishDev(t, w, clk, "1.0.4") // retention keep 2: 1.0.1 goes (1.0.2 is testing, 1.0.3 testing-previous)
	if doc := w.fileLedger(t); !doc.Deleted("1.0.1") || doc.Deleted("1.0.2") || doc.Deleted("1.0.3") {
		t.Fatalf("setup: deletions %+v", doc.Deletions)
	}
	promoteWant(t, w, clk, map[string]string{"label": "testing", "mode": "release"}, 0, "noop")

	for _, in := range []map[string]string{
		{"label": "testing", "from": "1.0.1"},
		{"label": "testing", "from": d["1.0.1"]},
		{"label": "testing", "from": "1.0.1", "force": "true", "reason": "please"},
		{"label": "testing", "from": "1.0.1", "mode": "rollback"},
	} {
		res := promoteRun(t, w, clk, in)
		if res.code != ExitFailure || !strings.Contains(res.stdout, "input from") || !strings.Contains(res.stdout, "1.0.1") || !strings.Contains(res.stdout, "retention") {
			t.Errorf("%v: exit %d\n%s", in, res.code, res.stdout)
		}
	}
	// a rollback whose previous value was deleted (another workflow run:
	// this run's own rollback would be answered as already done)
	res := w.runAtEnv(t, clk, "promote-label", map[string]string{"label": "testing", "mode": "rollback", "reason": "1.0.2 too"}, map[string]string{"GITHUB_RUN_ID": "5151"})
	if res.code != ExitFailure || res.outputs["decision"] != "failed" || !strings.Contains(res.outputs["reason"], "1.0.1") || !strings.Contains(res.outputs["reason"], "retention") {
		t.Errorf("rollback onto the deleted 1.0.1: exit %d %v\n%s", res.code, res.outputs, res.stdout)
	}
	if s := w.labelStream(t, "testing"); versionsOf(s) != "1.0.1,1.0.2,1.0.3,1.0.2" || w.tagDigest(t, "testing") != d["1.0.2"] {
		t.Errorf("history %s, tag testing %q (1.0.2 is %s)", versionsOf(s), w.tagDigest(t, "testing"), d["1.0.2"])
	}
}

// githubLabelWorld: label testing promoted to 1.0.1, 1.0.2, 1.0.3 on the
// GitHub ledger; d holds their digests.
func githubLabelWorld(t *testing.T) (w *world, clk *fakeClock, d map[string]string) {
	t.Helper()
	w, clk = newPromoteWorld(t, "github", "  testing: {from: dev}\n")
	d = map[string]string{}
	for _, v := range []string{"1.0.1", "1.0.2", "1.0.3"} {
		d[v] = publishDev(t, w, clk, v)
		promoteWant(t, w, clk, map[string]string{"label": "testing", "from": v}, 0, "promoted")
	}
	return w, clk, d
}

// TestPromoteRaceLostAnswerRollsBackOneStep (review D5, was
// TestReviewLostAnswerDoubleRollback): a rollback whose ledger write lands
// but whose answer is lost is retried by the GitHub store; the conflict
// re-runs the decision on the ledger that already holds the rollback. It must
// recognise its own write and not roll back a second step: one rollback, the
// label on 1.0.2, and the outputs of a successful rollback.
func TestPromoteRaceLostAnswerRollsBackOneStep(t *testing.T) {
	w, clk, d := githubLabelWorld(t)
	api, dropped := lostAnswerProxy(t, w)
	res := w.runAtEnv(t, clk, "promote-label", map[string]string{"label": "testing", "mode": "rollback", "reason": "1.0.3 is bad"},
		map[string]string{"GITHUB_API_URL": api})
	if dropped.Load() != 1 {
		t.Fatal("not intercepted")
	}
	doc := readGitHubLedger(t, w)
	s := doc.Stream(ledger.LabelStream("testing"))
	t.Logf("exit %d outputs %v; history %s", res.code, res.outputs, versionsOf(s))
	if got := versionsOf(s); got != "1.0.1,1.0.2,1.0.3,1.0.2" {
		t.Errorf("one rollback from 1.0.3: history %s, want 1.0.1,1.0.2,1.0.3,1.0.2", got)
	}
	if res.code != 0 || res.outputs["decision"] != "held" || res.outputs["version"] != "1.0.2" || res.outputs["previous-version"] != "1.0.3" {
		t.Errorf("outputs %v", res.outputs)
	}
	// the run knows the write for its own (by its claim): it reports the
	// rollback it made, not one "already done" by someone
	if r := res.outputs["reason"]; !strings.HasPrefix(r, "rolled label testing back from 1.0.3 to 1.0.2 and held it") {
		t.Errorf("reason %q", r)
	}
	if w.tagDigest(t, "testing") != d["1.0.2"] || w.tagDigest(t, "testing-previous") != d["1.0.3"] {
		t.Error("tags testing / testing-previous do not follow the ledger")
	}
}

// TestPromoteRaceLostAnswerPromotion: the same lost answer for a promotion.
// Decided again on the ledger that holds it, the promotion would be a noop
// ("already at"); the run knows the entry for its own and reports what it
// did: promoted.
func TestPromoteRaceLostAnswerPromotion(t *testing.T) {
	w, clk, d := githubLabelWorld(t)
	d["1.0.4"] = publishDev(t, w, clk, "1.0.4")
	api, dropped := lostAnswerProxy(t, w)
	res := w.runAtEnv(t, clk, "promote-label", map[string]string{"label": "testing"}, map[string]string{"GITHUB_API_URL": api})
	if dropped.Load() != 1 {
		t.Fatal("not intercepted")
	}
	s := readGitHubLedger(t, w).Stream(ledger.LabelStream("testing"))
	if got := versionsOf(s); got != "1.0.1,1.0.2,1.0.3,1.0.4" {
		t.Errorf("history %s", got)
	}
	if res.code != 0 || res.outputs["decision"] != "promoted" || res.outputs["promoted"] != "true" || res.outputs["version"] != "1.0.4" || res.outputs["previous-version"] != "1.0.3" {
		t.Errorf("exit %d outputs %v", res.code, res.outputs)
	}
	if w.tagDigest(t, "testing") != d["1.0.4"] || w.tagDigest(t, "testing-previous") != d["1.0.3"] {
		t.Error("tags testing / testing-previous do not follow the ledger")
	}
}

// TestPromoteRaceTwoRollbacksAtOnce: two workflow runs ask for a rollback of
// label testing at 1.0.3 at once. The second to write finds, in the
// compare-and-swap, the first's rollback from 1.0.3: the request is already
// carried out (held, nothing written), not a second step back.
func TestPromoteRaceTwoRollbacksAtOnce(t *testing.T) {
	w, clk, d := githubLabelWorld(t)
	api, reached, release := heldProxy(t, w)
	done := make(chan result)
	go func() {
		done <- w.runAtEnv(t, newClock(), "promote-label", map[string]string{"label": "testing", "mode": "rollback", "reason": "1.0.3 is bad (A)"},
			map[string]string{"GITHUB_API_URL": api, "GITHUB_RUN_ID": "7001"})
	}()
	<-reached // A decided on the label at 1.0.3; its write is held
	b := w.runAtEnv(t, clk, "promote-label", map[string]string{"label": "testing", "mode": "rollback", "reason": "1.0.3 is bad (B)"},
		map[string]string{"GITHUB_RUN_ID": "7002"})
	close(release)
	a := <-done
	s := readGitHubLedger(t, w).Stream(ledger.LabelStream("testing"))
	t.Logf("A: exit %d %v; B: exit %d %v; history %s", a.code, a.outputs, b.code, b.outputs, versionsOf(s))
	if got := versionsOf(s); got != "1.0.1,1.0.2,1.0.3,1.0.2" {
		t.Errorf("two requests to roll back 1.0.3: history %s, want 1.0.1,1.0.2,1.0.3,1.0.2", got)
	}
	for name, r := range map[string]result{"A": a, "B": b} {
		if r.code != 0 || r.outputs["decision"] != "held" || r.outputs["version"] != "1.0.2" || r.outputs["previous-version"] != "1.0.3" {
			t.Errorf("%s: exit %d outputs %v", name, r.code, r.outputs)
		}
	}
	if !strings.Contains(a.outputs["reason"], "already rolled back from 1.0.3 to 1.0.2") {
		t.Errorf("A's reason %q", a.outputs["reason"])
	}
	if w.tagDigest(t, "testing") != d["1.0.2"] {
		t.Error("tag testing does not follow the ledger")
	}
}

// TestPromoteRaceRollbackAfterAPromotion: a rollback decided on the label
// at 1.0.3 meets, in the compare-and-swap, a promotion to 1.0.4 made
// meanwhile. It refuses (failed, exit 1, naming both values) rather than
// roll back 1.0.4, a value its requester never saw.
func TestPromoteRaceRollbackAfterAPromotion(t *testing.T) {
	w, clk, d := githubLabelWorld(t)
	d["1.0.4"] = publishDev(t, w, clk, "1.0.4")
	api, reached, release := heldProxy(t, w)
	done := make(chan result)
	go func() {
		done <- w.runAtEnv(t, newClock(), "promote-label", map[string]string{"label": "testing", "mode": "rollback", "reason": "1.0.3 is bad"},
			map[string]string{"GITHUB_API_URL": api, "GITHUB_RUN_ID": "7001"})
	}()
	<-reached
	w.runAtEnv(t, clk, "promote-label", map[string]string{"label": "testing"}, map[string]string{"GITHUB_RUN_ID": "7002"})
	close(release)
	a := <-done
	s := readGitHubLedger(t, w).Stream(ledger.LabelStream("testing"))
	t.Logf("rollback: exit %d %v; history %s", a.code, a.outputs, versionsOf(s))
	if got := versionsOf(s); got != "1.0.1,1.0.2,1.0.3,1.0.4" {
		t.Errorf("history %s, want 1.0.1,1.0.2,1.0.3,1.0.4 (the rollback of 1.0.3 refused)", got)
	}
	if r := a.outputs["reason"]; a.code != ExitFailure || a.outputs["decision"] != "failed" || !strings.Contains(r, "1.0.3") || !strings.Contains(r, "1.0.4") {
		t.Errorf("rollback: exit %d outputs %v", a.code, a.outputs)
	}
	if w.tagDigest(t, "testing") != d["1.0.4"] {
		t.Error("tag testing does not follow the ledger")
	}
}

// TestPromoteRaceRerunOfARollback: a rerun of the workflow run that rolled
// the label back (same GITHUB_RUN_ID; a rerun keeps it) finds its own
// rollback recorded and answers as done, without a second step back. A
// rollback from another run goes on back a step (two rollbacks, two steps).
func TestPromoteRaceRerunOfARollback(t *testing.T) {
	w, clk, d := githubLabelWorld(t)
	rollback := map[string]string{"label": "testing", "mode": "rollback", "reason": "1.0.3 is bad"}
	first := promoteWant(t, w, clk, rollback, 0, "held")
	again := promoteWant(t, w, clk, rollback, 0, "held") // the rerun: GITHUB_RUN_ID 4242 again
	s := readGitHubLedger(t, w).Stream(ledger.LabelStream("testing"))
	if got := versionsOf(s); got != "1.0.1,1.0.2,1.0.3,1.0.2" {
		t.Errorf("rerun of a rollback: history %s, want 1.0.1,1.0.2,1.0.3,1.0.2", got)
	}
	for _, k := range []string{"version", "digest", "previous-version", "previous-digest"} {
		if first.outputs[k] != again.outputs[k] {
			t.Errorf("rerun output %s = %q, first run %q", k, again.outputs[k], first.outputs[k])
		}
	}
	if !strings.Contains(again.outputs["reason"], "already rolled back from 1.0.3 to 1.0.2") || !strings.Contains(again.outputs["reason"], "this workflow run") {
		t.Errorf("rerun reason %q", again.outputs["reason"])
	}
	if w.tagDigest(t, "testing") != d["1.0.2"] {
		t.Error("tag testing")
	}
	// another run's rollback is another request: a second step back
	other := w.runAtEnv(t, clk, "promote-label", map[string]string{"label": "testing", "mode": "rollback", "reason": "1.0.2 too"}, map[string]string{"GITHUB_RUN_ID": "5151"})
	if other.code != 0 || other.outputs["decision"] != "held" || other.outputs["version"] != "1.0.1" {
		t.Errorf("a rollback from another run: exit %d %v", other.code, other.outputs)
	}
}
