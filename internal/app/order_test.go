package app

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Masterminds/semver/v3"

	"github.com/ladder-release/ladder/internal/ledger"
	"github.com/ladder-release/ladder/internal/lock"
)

// SPEC section 2 "order" and section 7 "Order": a channel only moves
// forward. These tests publish through build-bundle as a workflow does.

// resolveAt runs resolve-channel for ch at the instant at, writing the lock
// to file.
func (w *world) resolveAt(t *testing.T, ch, file string, at time.Time) lock.Lock {
	t.Helper()
	res := w.runWith(t, "resolve-channel", map[string]string{"channel": ch, "lock-file": file}, nil,
		func() time.Time { return at }, func(context.Context, time.Duration) error { return nil })
	if res.code != 0 {
		t.Fatalf("resolve-channel %s at %s: exit %d\n%s", ch, at, res.code, res.stdout)
	}
	l, err := lock.Parse([]byte(res.outputs["lock"]))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// ledgerDoc reads the world's ledger of kind (file:ledger.json or github).
func (w *world) ledgerDoc(t *testing.T, kind string) *ledger.Document {
	t.Helper()
	if kind == "github" {
		return readGitHubLedger(t, w)
	}
	return w.fileLedger(t)
}

// A lock resolved before the lock at the channel's head is superseded:
// published=false, exit 0, the reason naming the head, nothing written; for
// each version rule, on the file and the GitHub ledger.
func TestOrderSupersededLockIsNotPublished(t *testing.T) {
	type step func(t *testing.T, w *world) // what changes between the two resolutions
	cases := []struct {
		rule    string
		channel string
		change  step
	}{
		{"prerelease", "dev", func(t *testing.T, w *world) { w.gh.Commit("rancher/elemental-cli", "main", "cli: fourth") }},
		{"bump", "stable", func(t *testing.T, w *world) {
			w.writeConfig(t, strings.Replace(w.currentConfig(t), "cli: v0.2.1", "cli: v0.1.0", 1))
		}},
		{"from", "staging", func(t *testing.T, w *world) {
			w.gh.Tag("rancher/elemental-operator", "operator/v1.2.5", w.gh.Commit("rancher/elemental-operator", "main", "operator: four"))
		}},
	}
	for _, kind := range []string{"file:ledger.json", "github"} {
		for _, c := range cases {
			t.Run(c.rule+"/"+kind, func(t *testing.T) {
				w := newS1World(t, kind)
				older := w.resolveAt(t, c.channel, "older.json", now)
				c.change(t, w)
				newer := w.resolveAt(t, c.channel, "newer.json", now.Add(time.Minute))
				if older.Digest() == newer.Digest() {
					t.Fatal("setup: the two locks are the same")
				}
				head := buildOK(t, w, map[string]string{"channel": c.channel, "lock-file": "newer.json"})
				before := string(w.ledgerDoc(t, kind).Marshal())
				slow := buildOK(t, w, map[string]string{"channel": c.channel, "lock-file": "older.json"})
				if slow.outputs["published"] != "false" || slow.outputs["version"] != "" || slow.outputs["digest"] != "" {
					t.Errorf("the slow job's outputs %v, want published=false naming nothing of its lock", slow.outputs)
				}
				for _, want := range []string{"superseded", head.outputs["version"], "channel " + c.channel} {
					if !strings.Contains(slow.summary, want) {
						t.Errorf("the summary does not say %q:\n%s", want, slow.summary)
					}
				}
				if after := string(w.ledgerDoc(t, kind).Marshal()); after != before {
					t.Errorf("a superseded lock changed the ledger")
				}
				if got := w.tagDigest(t, c.channel); got != head.outputs["digest"] {
					t.Errorf("channel tag %s = %s, want the head %s", c.channel, got, head.outputs["digest"])
				}
			})
		}
	}
}

// currentConfig is the config the world's workspace holds.
func (w *world) currentConfig(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(w.ws, ".github", "ladder.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// A from: rule whose version would go down is an error naming both versions,
// unless force.
func TestOrderFromHeadGoingDownIsAnError(t *testing.T) {
	w := newS1World(t, "file:ledger.json")
	low := w.resolveAt(t, "staging", "low.json", now)
	w.gh.Tag("rancher/elemental-operator", "operator/v1.2.5", w.gh.Commit("rancher/elemental-operator", "main", "operator: four"))
	w.resolveAt(t, "staging", "high.json", now.Add(time.Minute))
	buildOK(t, w, map[string]string{"channel": "staging", "lock-file": "high.json"})
	// the lower lock, resolved last (a tag moved back, a pin edited)
	low.Created = now.Add(2 * time.Minute)
	writeFile(t, w.ws, "low.json", string(low.JSON()))
	res := w.runAction(t, "build-bundle", map[string]string{"channel": "staging", "lock-file": "low.json"}, nil)
	if res.code != ExitFailure {
		t.Fatalf("exit %d, want a failure:\n%s", res.code, res.stdout)
	}
	for _, want := range []string{"version 1.2.4-rc.1 is not above 1.2.5", "file=.github/ladder.yaml,line=18", "force"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("the error does not say %q:\n%s", want, res.stdout)
		}
	}
	if n := len(w.fileLedger(t).Bundles); n != 1 {
		t.Errorf("%d bundles, want 1: the refusal wrote", n)
	}
	forced := buildOK(t, w, map[string]string{"channel": "staging", "lock-file": "low.json", "force": "true"})
	if forced.outputs["published"] != "true" || forced.outputs["version"] != "1.2.4-rc.1" {
		t.Errorf("forced: %v", forced.outputs)
	}
}

// 20 locks resolved within one second: published in order, each gets a
// strictly higher version; published in a random order, the head ends on the
// last resolved, versions only go up along the stream, no lock is published
// twice.
func TestOrderTwentyLocksInOneSecond(t *testing.T) {
	for _, order := range []string{"in order", "random order"} {
		t.Run(order, func(t *testing.T) {
			w := newS1World(t, "file:ledger.json")
			var locks []lock.Lock
			for i := range 20 {
				w.gh.Commit("rancher/elemental-cli", "main", fmt.Sprint("cli: merge ", i))
				locks = append(locks, w.resolveAt(t, "dev", fmt.Sprintf("lock-%02d.json", i), now.Add(time.Duration(i)*45*time.Millisecond)))
			}
			idx := make([]int, len(locks))
			for i := range idx {
				idx[i] = i
			}
			if order == "random order" {
				rand.New(rand.NewPCG(1, 2)).Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
			}
			for _, i := range idx {
				buildOK(t, w, map[string]string{"channel": "dev", "lock-file": fmt.Sprintf("lock-%02d.json", i)})
			}
			doc := w.fileLedger(t)
			entries := doc.Stream(ledger.ChannelStream("dev"))
			if order == "in order" && len(entries) != len(locks) {
				t.Errorf("%d bundles published in order, want %d", len(entries), len(locks))
			}
			seen := map[string]bool{}
			for i, e := range entries {
				b, _ := doc.BundleByDigest(e.Digest)
				if seen[b.LockDigest] {
					t.Errorf("a lock published twice (%s)", e.Version)
				}
				seen[b.LockDigest] = true
				if i > 0 && !semver.MustParse(e.Version).GreaterThan(semver.MustParse(entries[i-1].Version)) {
					t.Errorf("%s follows %s in dev: not higher", e.Version, entries[i-1].Version)
				}
			}
			head, _ := doc.BundleByDigest(entries[len(entries)-1].Digest)
			if head.LockDigest != locks[len(locks)-1].Digest() {
				t.Errorf("dev's head %s is not the last resolved lock", head.Version)
			}
		})
	}
}

// promote-label from a channel promotes each new head of quick successive
// merges (locks resolved in the same second): the newest candidate is never
// refused as lower.
func TestOrderLabelFollowsQuickMerges(t *testing.T) {
	w, clk := newPromoteWorld(t, "file:ledger.json", "  testing: {from: dev}\n")
	for i := range 5 {
		w.gh.Commit("rancher/elemental-cli", "main", fmt.Sprint("cli: quick ", i))
		w.resolveAt(t, "dev", "ladder-lock.json", now) // the same instant each time
		built := buildOK(t, w, map[string]string{"channel": "dev"})
		res := promoteWant(t, w, clk, map[string]string{"label": "testing"}, 0, "promoted")
		if res.outputs["version"] != built.outputs["version"] {
			t.Errorf("merge %d: testing promoted %s, dev's head is %s", i, res.outputs["version"], built.outputs["version"])
		}
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
	w := newS1World(t, "file:ledger.json")
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
