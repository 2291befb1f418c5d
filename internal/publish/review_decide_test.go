package publish

import (
	"testing"
	"time"

	"github.com/ladder-release/ladder/internal/ledger/record"
	"github.com/ladder-release/ladder/internal/testutil/fixture"
)

// Review findings against issue 11 (the lead decides): each test fails on the
// code as it is.

// In image mode one image can be published for two locks (a lock whose
// change does not reach the image: a git: component, a docs repo). The
// channel's head is then the second bundle, but Decide reads the head's
// resolution time through BundleByDigest, which answers the FIRST bundle
// with that digest. A lock resolved between the two is then not superseded,
// and the channel goes back to older content.
func TestReviewSupersededWhenTheHeadsImageWasPublishedBefore(t *testing.T) {
	l := newLedger(t)
	image := "sha256:" + sha("one image")
	claimImage := func(r Request) {
		t.Helper()
		dec, err := Decide(l.doc, r)
		if err != nil || dec.Kind != Publish {
			t.Fatalf("setup: Decide = %+v, %v", dec, err)
		}
		if _, err := Claim(l.doc, r, dec.Version, Bundle{Digest: image, Mode: record.ModeImage, Now: fixture.T0}); err != nil {
			t.Fatalf("setup: Claim: %v", err)
		}
	}
	claimImage(req("dev", bump, lockAt(1, 0)))           // 0.0.1: lock 1, resolved at fixture.T0
	claimImage(req("dev", bump, lockAt(3, 2*time.Hour))) // 0.0.2: lock 3, resolved two hours later, same image
	// a slow job's lock, resolved in between
	dec, err := Decide(l.doc, req("dev", bump, lockAt(2, time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	if dec.Kind != Superseded {
		t.Errorf("a lock resolved an hour before the head's lock: %s as %s, want superseded (the head 0.0.2 was resolved at fixture.T0+2h)", dec.Kind, dec.Version)
	}
}

// A run with force that stopped after its claim (its tags failed) is rerun
// (the same workflow run: the same run URL, a new claim token). The rerun
// must finish that publish, not publish the lock once more under a new
// version: "it never publishes the same lock twice", and force asked for
// one more publish, not one per attempt.
func TestReviewForcedRerunFinishesItsOwnPublish(t *testing.T) {
	l := newLedger(t)
	first := req("dev", bump, lockAt(1, 0))
	l.publish(first) // 0.0.1
	forced := req("dev", bump, lockAt(1, 0))
	forced.Force = true
	forced.Run = "https://github.com/acme/p/actions/runs/77"
	l.publish(forced) // 0.0.2, forced; the run stops at its tags

	rerun := forced
	rerun.Claim = "the rerun's own token"
	dec, err := Decide(l.doc, rerun)
	if err != nil {
		t.Fatal(err)
	}
	if dec.Kind != Finish || dec.Bundle.Version != "0.0.2" {
		t.Errorf("the rerun of the forced publish: %s %s, want finish of its own 0.0.2 (the lock would be published a third time)", dec.Kind, dec.Version)
	}
}
