package app

import (
	"strings"
	"testing"
	"time"

	"github.com/ladder-release/ladder/internal/ghsim"
)

// review16: image mode (build-bundle's image input) publishes two locks on
// one image, so the new bundle's digest is the one it replaces. The lock
// changed (cli moved a commit), yet `changes` is "{}" (which the README
// reads as "nothing to compare: a first publish") and the summary has no
// "What changed" section: bundleChanges returns nil when oldDigest ==
// newDigest, comparing images where it should compare locks.
func TestReview16ImageModeChangesNotEmpty(t *testing.T) {
	w, clk, _ := deployWorld(t, "  testing:\n    from: dev\n")
	img := w.registry + "/acme/elemental-os:build"
	pushImage(t, img)
	first := w.runAt(t, clk, "build-bundle", map[string]string{"channel": "dev", "version": "1.0.1", "lock-file": "one.json", "image": img})
	if first.code != 0 || first.outputs["published"] != "true" {
		t.Fatalf("1.0.1: exit %d %v\n%s", first.code, first.outputs, first.stdout)
	}
	c := w.gh.CommitBy("rancher/elemental-cli", "main", "cli: four", ghsim.Signature{Name: "Ann"})
	clk.Advance(time.Minute)
	second := w.runAt(t, clk, "build-bundle", map[string]string{"channel": "dev", "version": "1.0.2", "lock-file": "two.json", "image": img})
	if second.code != 0 || second.outputs["published"] != "true" || second.outputs["digest"] != first.outputs["digest"] {
		t.Fatalf("setup: 1.0.2 on the same image: exit %d %v\n%s", second.code, second.outputs, second.stdout)
	}
	if second.outputs["changes"] == "{}" {
		t.Fatalf("1.0.2 moved cli to %s, yet changes is {} (as for a first publish); summary:\n%s", c[:7], second.summary)
	}
	if cli := parseChanges(t, second.outputs["changes"])["cli"]; cli.Status != "ahead" || cli.To != c {
		t.Errorf("cli %+v", cli)
	}
	if !strings.Contains(second.summary, "What changed since 1.0.1") {
		t.Errorf("the summary does not say what 1.0.2 brings:\n%s", second.summary)
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
