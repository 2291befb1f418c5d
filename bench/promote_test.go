package bench

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/ladder-release/ladder/actions"
)

// BenchmarkPromoteLabelVsRegctl: promote-label (ledger file:, history, gates
// off) against `regctl image copy REPO:VERSION REPO:LABEL` (a retag in the
// same repository), on the CNCF distribution registry behind regproxy with
// 20 ms added per request (SPEC section 9: at most regctl's requests + 3,
// wall time at most 1.5x).
//
// Set-up: one bundle published with build-bundle (with a 1 MB file), the
// label promoted onto it. Each iteration publishes one more bundle (not
// timed), then times ladder moving the label from the previous bundle to the
// new one (the label's `from` is the channel; no `gates:`), and regctl
// copying the new version's tag to a tag of its own (peer-testing) in the
// same repository; the two alternate which goes first. The ledger and the
// label's history grow by one entry per iteration.
//
// Metrics per promotion: ladder-req/op, regctl-req/op,
// ladder-req-excl-extra-tags/op (without the requests for <label>-previous,
// which regctl does not write), ladder-ms/op, regctl-ms/op and
// ladder/regctl-time. ns/op is the two together.
func BenchmarkPromoteLabelVsRegctl(b *testing.B) {
	if _, err := actions.Load("promote-label"); err != nil {
		b.Skipf("skipping: promote-label does not exist yet (actions/promote-label/action.yml: %v)", err)
	}
	s := newStage(b)
	if out, _ := exec.Command(s.ladder, "help").CombinedOutput(); !strings.Contains(string(out), "promote-label") {
		b.Skipf("skipping: the ladder binary has no promote-label command yet:\n%s", out)
	}
	const product, ch, label, peerLabel = "rel", "main", "testing", "peer-testing"
	repo := s.host + "/acme/" + product
	w := newWorkspace(b, appConfig(product, repo, ch, fmt.Sprintf("labels:\n  %s: {from: %s}\n", label, ch)))
	const rel = "dist/payload.bin"
	w.writeRandom(b, rel, fileSize)
	n := 0
	publish := func() string {
		b.Helper()
		n++
		commit := commitSHA(2, n)
		lockFile := fmt.Sprintf("lock-%d.json", n)
		w.writeLock(b, lockFile, product, ch, commit)
		outs, err := runLadder(s.ladder, w, "build-bundle", map[string]string{"channel": ch, "lock-file": lockFile, "files": rel},
			map[string]string{"GITHUB_SHA": commit, "GITHUB_RUN_ID": fmt.Sprint(n)})
		if err != nil {
			b.Fatal(err)
		}
		if outs["published"] != "true" {
			b.Fatalf("build-bundle did not publish: %v", outs)
		}
		return outs["version"]
	}
	promote := func() (map[string]string, error) {
		return runLadder(s.ladder, w, "promote-label", map[string]string{"label": label},
			map[string]string{"GITHUB_SHA": commitSHA(3, n), "GITHUB_RUN_ID": fmt.Sprint(1000 + n)})
	}
	// warm-up, not measured: the label and regctl's tag on the first bundle
	first := publish()
	if outs, err := promote(); err != nil || outs["decision"] != "promoted" {
		b.Fatalf("promoting %s onto %s: %v %v", label, first, outs, err)
	}
	if err := s.regctlCmd("image", "copy", repo+":"+first, repo+":"+peerLabel); err != nil {
		b.Fatalf("regctl image copy: %v", err)
	}
	const craneLabel = "crane-testing"
	if err := s.craneCmd("tag", repo+":"+first, craneLabel); err != nil {
		b.Fatalf("crane tag: %v", err)
	}

	lad, peer, crane := newTally(), newTally(), newTally()
	var lastLadder, lastPeer, lastCrane sample
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		version := publish()
		runL := func() {
			var outs map[string]string
			sm := s.measure(b, "ladder promote-label", func() error {
				var err error
				outs, err = promote()
				return err
			})
			if outs["decision"] != "promoted" || outs["version"] != version {
				b.Fatalf("iteration %d: promote-label did not move %s to %s: %v", i, label, version, outs)
			}
			prev := label + "-previous"
			norm := normaliser([][2]string{{label, label + " (label)"}, {prev, prev}})
			lad.add(sm, countExtra(sm.log, map[string]bool{prev: true}), norm)
			lastLadder = sm
		}
		runR := func() {
			sm := s.measure(b, "regctl image copy", func() error {
				return s.regctlCmd("image", "copy", repo+":"+version, repo+":"+peerLabel)
			})
			peer.add(sm, 0, normaliser([][2]string{{version, "<version>"}, {peerLabel, "<label>"}}))
			lastPeer = sm
		}
		runC := func() {
			sm := s.measure(b, "crane tag", func() error {
				return s.craneCmd("tag", repo+":"+version, craneLabel)
			})
			crane.add(sm, 0, normaliser([][2]string{{version, "<version>"}, {craneLabel, "<label>"}}))
			lastCrane = sm
		}
		b.StartTimer()
		alternate(i, runL, runR, runC)
	}
	b.StopTimer()
	finish(b, lad, peer, crane, "ladder promote-label", lastLadder, "regctl image copy", lastPeer, "crane tag", lastCrane)
}
