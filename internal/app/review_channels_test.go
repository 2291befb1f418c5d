package app

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/ladder-release/ladder/internal/ledger"
)

// Review finding against issue 11 point 3 (the lead decides); fails on the
// code as it is.
//
// Two channels whose rules give the same version for the same lock (here
// staging and rc, both `from: operator`, tracking the same range).
// `ladder validate` warns that "the second publish fails". It does not: the
// second channel's build-bundle finds the lock under that version in the
// other channel, answers published=false, exit 0, and rc never gets a head:
// its stream stays empty, its tag is never written, a label from rc never
// has a candidate, and nothing fails to tell anyone.
func TestReviewSameLockInTwoChannelsSilentlyPublishesNothing(t *testing.T) {
	w := newWorld(t, worldOpt{})
	cfg := withLedger(w.s1Config(""), "file:ledger.json")
	rc := "  rc:\n    track: {semver: \">=0.1.0\"}\n    components:\n      operator: {semver: \"~1.2\", prerelease: true}\n    version: {from: operator}\n"
	cfg = strings.Replace(cfg, "  stable:\n", rc+"  stable:\n", 1)
	w.writeConfig(t, cfg)
	_, out, stderr := cliRun(t, nil, "validate", "--config", filepath.Join(w.ws, ".github", "ladder.yaml"))
	if !strings.Contains(out+stderr, "the second to publish it fails") {
		t.Fatalf("setup: validate does not warn as expected:\n%s%s", out, stderr)
	}
	resolveOK(t, w, map[string]string{"channel": "staging", "lock-file": "staging.json"})
	resolveOK(t, w, map[string]string{"channel": "rc", "lock-file": "rc.json"})
	buildOK(t, w, map[string]string{"channel": "staging", "lock-file": "staging.json"})
	res := w.runAction(t, "build-bundle", map[string]string{"channel": "rc", "lock-file": "rc.json"}, nil)
	if _, ok := w.fileLedger(t).Head(ledger.ChannelStream("rc")); res.code == 0 && !ok {
		t.Errorf("rc: exit 0, published=%s, and channel rc has no head (%q); validate promised the second publish fails", res.outputs["published"], w.tagDigest(t, "rc"))
	}
}
