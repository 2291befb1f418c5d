package app

import (
	"strings"
	"testing"
)

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
