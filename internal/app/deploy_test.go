package app

import (
	"encoding/json"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/ladder-release/ladder/internal/action/actiontest"
	"github.com/ladder-release/ladder/internal/ghsim"
)

// deployWorld is a world whose workflow runs on a real commit of
// acme/elemental (GitHub refuses a deployment of a ref it does not know),
// with the config's labels given.
func deployWorld(t *testing.T, labels string) (*world, *fakeClock, map[string]string) {
	t.Helper()
	w := newWorld(t, worldOpt{})
	head, _ := w.gh.Head("acme/elemental", "main")
	w.writeConfig(t, w.promoteConfig("file:ledger.json", labels, ""))
	return w, newClock(), map[string]string{"GITHUB_SHA": head}
}

func deployRun(t *testing.T, w *world, clk *fakeClock, env map[string]string, inputs map[string]string, code int, decision string) result {
	t.Helper()
	res := w.runWith(t, "promote-label", inputs, env, clk.Now, clk.Sleep)
	if res.code != code || res.outputs["decision"] != decision {
		t.Fatalf("promote-label %v: exit %d decision %q, want %d %q\nstdout:\n%s", inputs, res.code, res.outputs["decision"], code, decision, res.stdout)
	}
	return res
}

func lastState(d ghsim.Deployment) string {
	if len(d.Statuses) == 0 {
		return ""
	}
	return d.Statuses[len(d.Statuses)-1].State
}

func deployPayload(t *testing.T, d ghsim.Deployment) map[string]string {
	t.Helper()
	var p map[string]string
	if err := json.Unmarshal(d.Payload, &p); err != nil {
		t.Fatalf("payload %s: %v", d.Payload, err)
	}
	return p
}

// TestPromoteDeployment: issue 16 point 2. Each move of a label with
// `deployment: {environment: E}` is a GitHub Deployment in the workflow's
// repository: environment E, the payload naming the bundle, auto_merge
// false, no required contexts, status success naming the bundle and the
// run, earlier deployments inactive; a rollback is a new deployment; a run
// that moves nothing creates none.
func TestPromoteDeployment(t *testing.T) {
	w, clk, env := deployWorld(t, "  testing:\n    from: dev\n    deployment: {environment: qa}\n")
	d1 := publishDev(t, w, clk, "1.0.1")
	d2 := publishDev(t, w, clk, "1.0.2")
	deployRun(t, w, clk, env, map[string]string{"label": "testing", "from": "1.0.1"}, 0, "promoted")
	deployRun(t, w, clk, env, map[string]string{"label": "testing", "from": "1.0.2"}, 0, "promoted")

	deps := w.gh.Deployments("acme/elemental")
	if len(deps) != 2 {
		t.Fatalf("%d deployments, want 2", len(deps))
	}
	second := deps[1]
	if second.Environment != "qa" || second.Ref != env["GITHUB_SHA"] || second.Task != "deploy" || second.AutoMerge ||
		second.RequiredContexts == nil || len(second.RequiredContexts) != 0 {
		t.Errorf("deployment %+v", second)
	}
	b, ok := w.fileLedger(t).BundleByDigest(d2)
	if !ok || b.LockDigest == "" || b.ID == "" {
		t.Fatalf("ledger bundle %+v %v", b, ok)
	}
	want := map[string]string{"label": "testing", "version": "1.0.2", "digest": d2, "lock_digest": b.LockDigest, "id": b.ID}
	if got := deployPayload(t, second); !maps.Equal(got, want) {
		t.Errorf("payload %v, want %v", got, want)
	}
	st := second.Statuses
	if len(st) != 1 || st[0].State != "success" || st[0].Description != w.repo()+"@"+d2 || !strings.HasSuffix(st[0].LogURL, "/actions/runs/4242") {
		t.Errorf("statuses of the second: %+v", st)
	}
	if lastState(deps[0]) != "inactive" || deployPayload(t, deps[0])["digest"] != d1 {
		t.Errorf("the first deployment: %+v", deps[0])
	}

	// a rollback is a new deployment, and the one it replaces goes inactive
	clk.Advance(time.Minute)
	deployRun(t, w, clk, env, map[string]string{"label": "testing", "mode": "rollback", "reason": "1.0.2 crashes"}, 0, "held")
	deps = w.gh.Deployments("acme/elemental")
	if len(deps) != 3 || deployPayload(t, deps[2])["version"] != "1.0.1" || lastState(deps[2]) != "success" || lastState(deps[1]) != "inactive" {
		t.Fatalf("after the rollback: %+v", deps)
	}
	// a run that moves nothing creates none
	deployRun(t, w, clk, env, map[string]string{"label": "testing"}, 0, "held")
	deployRun(t, w, clk, env, map[string]string{"label": "testing", "mode": "release"}, 0, "noop")
	if n := len(w.gh.Deployments("acme/elemental")); n != 3 {
		t.Errorf("%d deployments after runs that moved nothing, want 3", n)
	}
}

// TestPromoteDeploymentQuarantine: a quarantine is a deployment of the
// quarantined candidate with status failure; the label's deployment stays.
func TestPromoteDeploymentQuarantine(t *testing.T) {
	w, clk, env := deployWorld(t, "  current:\n    from: dev\n    gates: {checks: [build], components: [cli]}\n    quarantine: true\n    deployment: {environment: production}\n")
	publishDev(t, w, clk, "1.0.1")
	w.gh.AddCheckRun("rancher/elemental-cli", w.c["cli3"], "build", "completed", "success")
	deployRun(t, w, clk, env, map[string]string{"label": "current"}, 0, "promoted")

	bad := w.gh.Commit("rancher/elemental-cli", "main", "cli: broken")
	badDigest := publishDev(t, w, clk, "1.0.2")
	w.gh.AddCheckRun("rancher/elemental-cli", bad, "build", "completed", "failure")
	deployRun(t, w, clk, env, map[string]string{"label": "current"}, ExitFailure, "failed")

	deps := w.gh.Deployments("acme/elemental")
	if len(deps) != 2 {
		t.Fatalf("%d deployments, want 2", len(deps))
	}
	if p := deployPayload(t, deps[1]); p["digest"] != badDigest || deps[1].Environment != "production" || lastState(deps[1]) != "failure" {
		t.Errorf("quarantine deployment %+v payload %v", deps[1], p)
	}
	if lastState(deps[0]) != "success" {
		t.Errorf("a failure made the label's deployment %s", lastState(deps[0]))
	}
}

// TestPromoteDeploymentRefused: a token without deployments: write fails the
// step with an error naming the permission; the move stays recorded.
func TestPromoteDeploymentRefused(t *testing.T) {
	w, clk, env := deployWorld(t, "  testing:\n    from: dev\n    deployment: {environment: qa}\n")
	w.gh.RestrictToken(actiontest.Token, map[string]string{"deployments": "read"})
	d := publishDev(t, w, clk, "1.0.1")
	res := deployRun(t, w, clk, env, map[string]string{"label": "testing"}, ExitFailure, "promoted")
	if !strings.Contains(res.stdout, "deployments: write") || !strings.Contains(res.stdout, "label testing promoted to 1.0.1 is recorded in the ledger") {
		t.Errorf("error does not name the permission or the recorded move:\n%s", res.stdout)
	}
	if res.outputs["promoted"] != "true" || res.outputs["version"] != "1.0.1" {
		t.Errorf("outputs %v", res.outputs)
	}
	if got := versionsOf(w.labelStream(t, "testing")); got != "1.0.1" || w.tagDigest(t, "testing") != d {
		t.Errorf("the move is not recorded: stream %q tag %s", got, w.tagDigest(t, "testing"))
	}
	if n := len(w.gh.Deployments("acme/elemental")); n != 0 {
		t.Errorf("%d deployments", n)
	}
}

// review16: the deployment payload takes lock_digest and id from the first
// bundle published with the target's digest (BundleByDigest), not from the
// version promoted. With one image published for two locks, a promotion to
// 1.0.2 announces version 1.0.2 with 1.0.1's lock digest and composite id:
// a consumer pinning by lock digest deploys the wrong lock. cascade's
// labelHead and view.go already look the bundle up by version for this
// very reason.
func TestReview16DeploymentPayloadLockOfTheVersion(t *testing.T) {
	w, clk, env := deployWorld(t, "  testing:\n    from: dev\n    deployment: {environment: qa}\n")
	img := w.registry + "/acme/elemental-os:build"
	pushImage(t, img)
	for i, v := range []string{"1.0.1", "1.0.2"} {
		if i > 0 {
			w.gh.Commit("rancher/elemental-cli", "main", "cli: four")
			clk.Advance(time.Minute)
		}
		res := w.runAt(t, clk, "build-bundle", map[string]string{"channel": "dev", "version": v, "lock-file": v + ".json", "image": img})
		if res.code != 0 || res.outputs["published"] != "true" {
			t.Fatalf("%s: exit %d %v\n%s", v, res.code, res.outputs, res.stdout)
		}
	}
	deployRun(t, w, clk, env, map[string]string{"label": "testing", "from": "1.0.2"}, 0, "promoted")
	b, ok := w.fileLedger(t).Bundle("1.0.2")
	if !ok {
		t.Fatal("no 1.0.2 in the ledger")
	}
	deps := w.gh.Deployments("acme/elemental")
	if len(deps) != 1 {
		t.Fatalf("%d deployments", len(deps))
	}
	p := deployPayload(t, deps[0])
	if p["version"] != "1.0.2" || p["lock_digest"] != b.LockDigest || p["id"] != b.ID {
		t.Errorf("payload %v: version 1.0.2 wants lock_digest %s and id %s (the ledger's for 1.0.2)", p, b.LockDigest, b.ID)
	}
}

// TestPromoteDeploymentWithoutGitHubSHA: outside a runner (no GITHUB_SHA)
// the deployment is made at the repository's default branch, and its
// payload still names the bundle's lock (the ledger read after the branch).
func TestPromoteDeploymentWithoutGitHubSHA(t *testing.T) {
	w, clk, _ := deployWorld(t, "  testing:\n    from: dev\n    deployment: {environment: qa}\n")
	publishDev(t, w, clk, "1.0.1")
	deployRun(t, w, clk, map[string]string{"GITHUB_SHA": ""}, map[string]string{"label": "testing", "from": "1.0.1"}, 0, "promoted")
	deps := w.gh.Deployments("acme/elemental")
	if len(deps) != 1 {
		t.Fatalf("%d deployments, want 1", len(deps))
	}
	if deps[0].Ref != "main" || lastState(deps[0]) != "success" {
		t.Errorf("deployment at ref %q, state %q; want the default branch main, success", deps[0].Ref, lastState(deps[0]))
	}
	if p := deployPayload(t, deps[0]); p["version"] != "1.0.1" || p["lock_digest"] == "" {
		t.Errorf("payload %v", p)
	}
}
