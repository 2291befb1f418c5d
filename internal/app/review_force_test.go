package app

import (
	"testing"
	"time"

	"github.com/ladder-release/ladder/internal/testutil/registry"
	"github.com/ladder-release/ladder/internal/testutil/regproxy"
)

// Review finding against issue 11 point 4 (the lead decides); fails on the
// code as it is. See also internal/publish
// TestReviewForcedRerunFinishesItsOwnPublish.
//
// A workflow republishes stable's lock with force: true (the documented way
// to publish a lock again). The run claims 0.0.2 and stops at its tags (a
// registry 503). GitHub's "Re-run failed jobs" runs it again: the same run
// id, the same inputs. force skips the rerun rule, so the rerun publishes
// the lock a third time as 0.0.3 and 0.0.2 stays a bundle without its tags:
// each attempt of one forced run adds a version.
func TestReviewForcedRunRerunFinishesItsOwnPublish(t *testing.T) {
	proxy := regproxy.Start(t, registry.InProcess(t))
	w := newWorld(t, worldOpt{registry: proxy.Host()})
	w.writeConfig(t, withLedger(w.s1Config(""), "file:ledger.json"))
	_, l := resolveOK(t, w, map[string]string{"channel": "stable"})
	buildOK(t, w, map[string]string{"channel": "stable"}) // 0.0.1
	in := map[string]string{"channel": "stable", "force": "true"}
	proxy.SetFaults(regproxy.Faults{Rate: 1, Kinds: []regproxy.Fault{regproxy.Fault503}, Match: isTagPut})
	var slept waits
	run := map[string]string{"GITHUB_RUN_ID": "777"} // the forced run, and its rerun
	clock := func() time.Time { return now }
	if res := w.runWith(t, "build-bundle", in, run, clock, slept.sleep); res.code == 0 {
		t.Fatal("setup: the forced run should fail at its tags")
	}
	proxy.SetFaults(regproxy.Faults{})
	if _, ok := w.fileLedger(t).Bundle("0.0.2"); !ok {
		t.Fatal("setup: the forced run's claim of 0.0.2 is not in the ledger")
	}
	again := w.runWith(t, "build-bundle", in, run, clock, slept.sleep) // the same GITHUB_RUN_ID
	n := 0
	for _, b := range w.fileLedger(t).Bundles {
		if b.LockDigest == l.Digest() {
			n++
		}
	}
	if n != 2 || again.outputs["version"] != "0.0.2" {
		t.Errorf("after the rerun of the forced run: the lock is published %d times (want 2), the rerun answers %v", n, again.outputs)
	}
}
