package app

import (
	"strings"
	"testing"
	"time"

	"github.com/ladder-release/ladder/internal/testutil/registry"
	"github.com/ladder-release/ladder/internal/testutil/regproxy"
)

// Review findings against issue 11 (the lead decides), in image mode: each
// test fails on the code as it is.

// stagingImageWorld: staging (from: operator) in image mode, keep 1.
func stagingImageWorld(t *testing.T, reg string) *world {
	t.Helper()
	w := newWorld(t, worldOpt{registry: reg})
	cfg := withLedger(w.s1Config(""), "file:ledger.json")
	rule := "    version: {from: operator}\n"
	if !strings.Contains(cfg, rule) {
		t.Fatal("setup: no from: rule in the config")
	}
	w.writeConfig(t, strings.Replace(cfg, rule, rule+"    retention: {keep: 1}\n", 1))
	return w
}

// "A tag retention deleted never comes back" (issue 11 point 4, SPEC section
// 7 Reruns), image mode: lock A is published as image A; lock B's publish
// deletes A with every tag it had. A rerun of A's job (or any later job
// whose lock is A's again) finds A in the ledger and finishes it; finish
// calls ensureIDTag whatever the ledger says of A, so A's composite id tag
// is written back onto the deleted image (a PUT), and only the sweep of
// retention that follows deletes it again: a run stopped in between, or a
// failing DELETE, leaves it there. TestRerunDoesNotBringBackDeletedTags
// holds artifact mode to "no PUT of them at all"; image mode misses it.
func TestReviewImageRerunBringsBackTheDeletedCompositeID(t *testing.T) {
	proxy := regproxy.Start(t, registry.InProcess(t))
	w := stagingImageWorld(t, proxy.Host())
	imgA := pushImage(t, w.registry+"/acme/elemental-os:build-a")
	imgB := pushImage(t, w.registry+"/acme/elemental-os:build-b")
	la := w.resolveAt(t, "staging", "a.json", now)
	inA := map[string]string{"channel": "staging", "lock-file": "a.json", "image": w.registry + "/acme/elemental-os:build-a"}
	a := buildOK(t, w, inA)
	if a.outputs["digest"] != imgA {
		t.Fatalf("setup: A %v", a.outputs)
	}
	w.gh.Tag("rancher/elemental-operator", "operator/v1.2.5", w.gh.Commit("rancher/elemental-operator", "main", "operator: four"))
	w.resolveAt(t, "staging", "b.json", now.Add(time.Minute))
	b := buildOK(t, w, map[string]string{"channel": "staging", "lock-file": "b.json", "image": w.registry + "/acme/elemental-os:build-b"})
	if b.outputs["digest"] != imgB || !w.fileLedger(t).Deleted(a.outputs["version"]) {
		t.Fatalf("setup: B %v; A deleted: %v", b.outputs, w.fileLedger(t).Deleted(a.outputs["version"]))
	}
	if left := w.tagsByDigest(t)[imgA]; len(left) > 0 {
		t.Fatalf("setup: B's retention left %q on A", left)
	}

	proxy.Reset()
	again := buildOK(t, w, inA)
	if again.outputs["published"] != "false" {
		t.Fatalf("rerun of A: %v", again.outputs)
	}
	for _, r := range proxy.Requests() {
		if strings.HasPrefix(r, "PUT ") && strings.HasSuffix(r, "/manifests/"+la.CompositeID()) {
			t.Errorf("the rerun of A wrote the composite id of its deleted image again: %s", r)
		}
	}
	if left := w.tagsByDigest(t)[imgA]; len(left) > 0 {
		t.Errorf("after A's rerun, tags %q are back on A's deleted image (composite id %s)", left, la.CompositeID())
	}
}

// Superseded, image mode: one image published for two locks (the second
// lock's change does not reach the image). The channel's head is the
// second lock's bundle, but the superseded rule reads the head's resolution
// time from the first bundle with that digest, so a slow job's lock
// resolved between the two is published and the channel goes back to older
// content (issue 11 point 2). See also
// internal/publish TestReviewSupersededWhenTheHeadsImageWasPublishedBefore.
func TestReviewImageSupersededWhenTheHeadsImageWasPublishedBefore(t *testing.T) {
	w := newWorld(t, worldOpt{})
	w.writeConfig(t, withLedger(w.s1Config(""), "file:ledger.json"))
	img := w.registry + "/acme/elemental-os:build"
	digest := pushImage(t, img)
	other := w.registry + "/acme/elemental-os:slow"
	pushImage(t, other)
	w.resolveAt(t, "dev", "one.json", now)
	w.gh.Commit("rancher/elemental-cli", "main", "cli: two")
	w.resolveAt(t, "dev", "slow.json", now.Add(time.Minute))
	w.gh.Commit("rancher/elemental-cli", "main", "cli: three")
	w.resolveAt(t, "dev", "three.json", now.Add(2*time.Minute))
	buildOK(t, w, map[string]string{"channel": "dev", "lock-file": "one.json", "image": img})
	head := buildOK(t, w, map[string]string{"channel": "dev", "lock-file": "three.json", "image": img})
	if head.outputs["published"] != "true" || head.outputs["digest"] != digest {
		t.Fatalf("setup: the same image for the third lock: %v", head.outputs)
	}
	slow := buildOK(t, w, map[string]string{"channel": "dev", "lock-file": "slow.json", "image": other})
	if slow.outputs["published"] != "false" {
		t.Errorf("a lock resolved a minute before dev's head was published as %s: dev went back to older content", slow.outputs["version"])
	}
}

// The same root cause seen from resolve-channel: with one image published
// for two locks, the channel's "current lock" is read from the first bundle
// with the head's digest. Resolving the head's own commits again answers
// changed=true (a workflow gated on it rebuilds on every run), while the
// first lock's commits would answer changed=false.
func TestReviewImageChangedWhenTheHeadsImageWasPublishedBefore(t *testing.T) {
	w := newWorld(t, worldOpt{})
	w.writeConfig(t, withLedger(w.s1Config(""), "file:ledger.json"))
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
