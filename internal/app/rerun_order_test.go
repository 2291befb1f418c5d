package app

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ladder-release/ladder/internal/ledger"
	"github.com/ladder-release/ladder/internal/testutil/regproxy"
)

// SPEC section 7 "Reruns": found from outside with bump: a publish stopped
// after its claim, another job publishing, then the rerun published the same
// lock again under a new version and left the first version untagged.

// TestRerunAfterTheClaimBumpWithAnotherPublishBetween: the rerun answers
// published=false with its own version, writes its missing tags, and the
// ledger holds its lock once.
func TestRerunAfterTheClaimBumpWithAnotherPublishBetween(t *testing.T) {
	w, proxy := proxiedWorld(t)
	cfg := withLedger(w.s1Config(""), "file:ledger.json")
	w.writeConfig(t, cfg)
	first := w.resolveAt(t, "stable", "a.json", now)
	inA := map[string]string{"channel": "stable", "lock-file": "a.json", "tags": "candidate"}
	var slept waits
	w.runRefused(t, proxy, isTagPut, "build-bundle", inA, nil, &slept, "A (every tag refused)")
	a, ok := w.fileLedger(t).Bundle("0.0.1")
	if !ok {
		t.Fatal("setup: A's claim of 0.0.1 is not in the ledger")
	}

	// another job publishes another lock (the pin moved) as 0.0.2
	w.writeConfig(t, strings.Replace(cfg, "cli: v0.2.1", "cli: v0.1.0", 1))
	w.resolveAt(t, "stable", "b.json", now.Add(1))
	b := buildOK(t, w, map[string]string{"channel": "stable", "lock-file": "b.json"})
	if b.outputs["version"] != "0.0.2" {
		t.Fatalf("setup: B published %v", b.outputs)
	}

	again := w.runActionSleeping(t, "build-bundle", inA, slept.sleep)
	if again.code != 0 || again.outputs["published"] != "false" || again.outputs["version"] != "0.0.1" || again.outputs["digest"] != a.Digest {
		t.Errorf("rerun of A: exit %d %v, want published=false with its own 0.0.1 %s\n%s", again.code, again.outputs, a.Digest, again.stdout)
	}
	doc := w.fileLedger(t)
	n := 0
	for _, x := range doc.Bundles {
		if x.LockDigest == first.Digest() {
			n++
		}
	}
	if n != 1 || len(doc.Bundles) != 2 {
		t.Errorf("the ledger holds A's lock %d times, %d bundles; want once, 2", n, len(doc.Bundles))
	}
	for _, tag := range []string{"0.0.1", first.CompositeID(), "candidate"} {
		if got := w.tagDigest(t, tag); got != a.Digest {
			t.Errorf("after the rerun tag %s = %q, want A's %s", tag, got, a.Digest)
		}
	}
	if got := w.tagDigest(t, "stable"); got != b.outputs["digest"] {
		t.Errorf("stable = %s, want B's %s (the head)", got, b.outputs["digest"])
	}
}

// A stale ledger read (GitHub's contents API answering an older file) while
// the version tag already names another job's bundle: the read is waited
// out and the publish takes the next version; a read that stays stale fails
// saying "stale ledger read; rerun", and nothing is moved.
func TestPublishWaitsOutAStaleLedgerRead(t *testing.T) {
	for _, c := range []struct {
		name  string
		stale int
	}{{"three stale reads", 3}, {"a read that stays stale", 1000}} {
		t.Run(c.name, func(t *testing.T) {
			w, _, _, d2 := staleWorld(t) // 0.0.1 then 0.0.2 in stable; the next read is stale
			w.writeConfig(t, strings.Replace(w.currentConfig(t), "cli: v0.2.1", "cli: v0.1.0", 1))
			w.resolveAt(t, "stable", "c.json", now.Add(1))
			w.gh.StaleReads("acme/elemental", ledgerFile, c.stale)
			var slept waits
			res := w.runActionSleeping(t, "build-bundle", map[string]string{"channel": "stable", "lock-file": "c.json"}, slept.sleep)
			if c.stale < 10 {
				if res.code != 0 || res.outputs["published"] != "true" || res.outputs["version"] != "0.0.3" {
					t.Fatalf("exit %d %v, want 0.0.3 published\n%s", res.code, res.outputs, res.stdout)
				}
				return
			}
			if res.code == 0 {
				t.Fatalf("exit 0 %v, want a failure", res.outputs)
			}
			for _, want := range []string{"version 0.0.2", d2, "stale ledger read; rerun"} {
				if !strings.Contains(res.stdout, want) {
					t.Errorf("the error does not say %q:\n%s", want, res.stdout)
				}
			}
			if strings.Contains(res.stdout, "refusing to move it") {
				t.Errorf("a bundle of this product is called foreign:\n%s", res.stdout)
			}
			wantTag(t, w, "0.0.2", d2)
		})
	}
}

// When the registry fails after the ledger recorded a label's move, the
// error says the move is recorded and a rerun puts the tags right; the rerun
// does.
func TestPromoteRegistryFailureAfterTheMoveSaysSo(t *testing.T) {
	w, proxy := proxiedWorld(t)
	w.writeConfig(t, w.promoteConfig("file:ledger.json", "  testing: {from: dev}\n", ""))
	clk := newClock()
	d := publishDev(t, w, clk, "1.0.0")
	proxy.SetFaults(regproxy.Faults{Rate: 1, Kinds: []regproxy.Fault{regproxy.Fault503}, Match: func(r *http.Request) bool {
		return isTagPut(r) && strings.HasSuffix(r.URL.Path, "/manifests/testing")
	}})
	res := promoteRun(t, w, clk, map[string]string{"label": "testing"})
	proxy.SetFaults(regproxy.Faults{})
	if res.code == 0 {
		t.Fatalf("exit 0, want a failure: %v", res.outputs)
	}
	for _, want := range []string{"the ledger recorded the move of label testing to 1.0.0", "rerun"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("the error does not say %q:\n%s", want, res.stdout)
		}
	}
	if h, ok := w.fileLedger(t).Head(ledger.LabelStream("testing")); !ok || h.Digest != d {
		t.Fatalf("the ledger's testing head %+v, want %s", h, d)
	}
	again := promoteRun(t, w, clk, map[string]string{"label": "testing"})
	if again.code != 0 || w.tagDigest(t, "testing") != d {
		t.Errorf("rerun: exit %d %v; testing = %s, want %s", again.code, again.outputs, w.tagDigest(t, "testing"), d)
	}
	if n := len(w.fileLedger(t).Stream(ledger.LabelStream("testing"))); n != 1 {
		t.Errorf("%d moves of testing, want 1: the rerun moved again", n)
	}
}

// A rerun whose first ledger read is stale (it misses another job's
// retention deleting the bundle the rerun finishes) writes that bundle's
// tags back; its retention step reads the ledger again and deletes them: no
// tag a retention deleted stays (found by TestStress).
func TestRerunOnAStaleReadDoesNotKeepDeletedTags(t *testing.T) {
	w := newWorld(t, worldOpt{})
	cfg := withRetention(t, withLedger(w.s1Config(""), "github"), "stable", 1)
	w.writeConfig(t, cfg)
	clock := func() time.Time { return now }
	nap := func(context.Context, time.Duration) error { return nil }
	a := w.resolveAt(t, "stable", "a.json", now)
	runA := map[string]string{"GITHUB_RUN_ID": "111"}
	if res := w.runWith(t, "build-bundle", map[string]string{"channel": "stable", "lock-file": "a.json"}, runA, clock, nap); res.code != 0 || res.outputs["version"] != "0.0.1" {
		t.Fatalf("A: exit %d %v\n%s", res.code, res.outputs, res.stdout)
	}
	w.writeConfig(t, strings.Replace(cfg, "cli: v0.2.1", "cli: v0.1.0", 1))
	w.resolveAt(t, "stable", "b.json", now.Add(time.Second))
	if res := buildOK(t, w, map[string]string{"channel": "stable", "lock-file": "b.json"}); res.outputs["version"] != "0.0.2" {
		t.Fatalf("B: %v", res.outputs)
	}
	if !readGitHubLedger(t, w).Deleted("0.0.1") || w.tagDigest(t, "0.0.1") != "" {
		t.Fatal("setup: B's retention did not delete 0.0.1")
	}
	w.gh.StaleReads("acme/elemental", ledgerFile, 1) // the rerun's first read: before the deletion
	again := w.runWith(t, "build-bundle", map[string]string{"channel": "stable", "lock-file": "a.json"}, runA, clock, nap)
	if again.code != 0 || again.outputs["published"] != "false" {
		t.Fatalf("rerun of A: exit %d %v\n%s", again.code, again.outputs, again.stdout)
	}
	for _, tag := range []string{"0.0.1", a.CompositeID()} {
		if d := w.tagDigest(t, tag); d != "" {
			t.Errorf("after A's rerun, tag %s of the deleted 0.0.1 is back (on %s)", tag, d)
		}
	}
}
