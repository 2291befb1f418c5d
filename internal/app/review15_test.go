package app

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ladder-release/ladder/internal/ledger"
	"github.com/ladder-release/ladder/internal/testutil/registry"
	"github.com/ladder-release/ladder/internal/testutil/regproxy"
)

// review15World: label testing from dev, followed by the OLM channel
// stable, no cascade.repos target (so a retirement has nothing pending),
// the registry behind a proxy that can refuse requests.
func review15World(t *testing.T) (*world, *fakeClock, *regproxy.Proxy) {
	t.Helper()
	p := regproxy.Start(t, registry.InProcess(t))
	w := newWorld(t, worldOpt{registry: p.Host()})
	w.writeConfig(t, w.promoteConfig("file:ledger.json", "  testing: {from: dev}\n", "")+`export:
  olm:
    package: elemental-operator
    channels: {stable: testing}
    default-channel: stable
`)
	return w, newClock(), p
}

// refuse makes the registry answer 500 to every request whose path ends
// with suffix.
func refuse(p *regproxy.Proxy, suffix string) {
	p.SetIntercept(func(rw http.ResponseWriter, r *http.Request) bool {
		if strings.HasSuffix(r.URL.Path, suffix) {
			rw.WriteHeader(http.StatusInternalServerError)
			return true
		}
		return false
	})
}

// TestReview15RetireRerunAfterRegistryDown: the registry fails after the
// retirement's ledger write (first the <name>-eol tag, then the catalog
// push). The step fails saying "rerun retire to put them right"; that
// rerun, from another workflow run or the command line (no run id), must
// put the registry right (tags, catalog) and exit 0, not answer "already
// retired" and leave the registry without the retirement for good.
func TestReview15RetireRerunAfterRegistryDown(t *testing.T) {
	w, clk, p := review15World(t)
	publishDev(t, w, clk, "1.0.0")
	promoteWant(t, w, clk, map[string]string{"label": "testing", "from": "1.0.0"}, 0, "promoted")

	// 1. the <name>-eol tag cannot be written
	refuse(p, "/manifests/testing-eol")
	res := w.runAt(t, clk, "retire", map[string]string{"label": "testing", "reason": "eol"})
	if res.code != ExitFailure || !strings.Contains(res.stdout+res.stderr, "rerun retire to put them right") {
		t.Fatalf("retire with the registry refusing the eol tag: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	if strings.Contains(res.stdout, "tagged testing and testing-eol") || !strings.Contains(res.stdout, "the tags testing and testing-eol are not written yet") {
		t.Errorf("retire whose tags failed claims them, or does not say they are missing:\n%s", res.stdout)
	}
	p.SetIntercept(nil)
	if _, ok := w.fileLedger(t).Retired(ledger.LabelStream("testing")); !ok || w.tagDigest(t, "testing-eol") != "" {
		t.Fatal("setup: the retirement is not recorded, or testing-eol was written")
	}
	clk.Advance(time.Minute)
	again := w.runAtEnv(t, clk, "retire", map[string]string{"label": "testing", "reason": "eol"}, map[string]string{"GITHUB_RUN_ID": "5001"})
	if again.code != ExitOK || again.outputs["retired"] != "true" || again.outputs["dispatched"] != "0" {
		t.Fatalf("rerun of retire after the registry came back: exit %d %v\n%s%s", again.code, again.outputs, again.stdout, again.stderr)
	}
	if d := w.tagDigest(t, "testing-eol"); d == "" || d != w.tagDigest(t, "testing") {
		t.Errorf("after the rerun testing-eol is %q, want testing's %q", d, w.tagDigest(t, "testing"))
	}
	if n := len(w.fileLedger(t).RetireLog); n != 1 {
		t.Errorf("the rerun recorded again: %d retire-log events", n)
	}
	// now that the registry shows it, a retire is refused again
	if third := w.runAtEnv(t, clk, "retire", map[string]string{"label": "testing", "reason": "eol"}, map[string]string{"GITHUB_RUN_ID": "5002"}); third.code != ExitFailure || !strings.Contains(third.stdout, "already retired") {
		t.Errorf("a retire of what is retired and shown: exit %d\n%s", third.code, third.stdout)
	}

	// 2. the tags are written, the catalog push fails
	clk.Advance(time.Minute)
	if u := w.runAt(t, clk, "retire", map[string]string{"label": "testing", "undo": "true", "reason": "back"}); u.code != ExitOK {
		t.Fatalf("undo: exit %d\n%s", u.code, u.stderr)
	}
	clk.Advance(time.Minute)
	refuse(p, "/manifests/catalog")
	res = w.runAt(t, clk, "retire", map[string]string{"label": "testing", "reason": "eol again"})
	if res.code != ExitFailure || !strings.Contains(res.stdout+res.stderr, "was not republished") {
		t.Fatalf("retire with the registry refusing the catalog: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	p.SetIntercept(nil)
	clk.Advance(time.Minute)
	if again := w.runAtEnv(t, clk, "retire", map[string]string{"label": "testing", "reason": "eol again"}, map[string]string{"GITHUB_RUN_ID": "5003"}); again.code != ExitOK {
		t.Fatalf("rerun of retire after the catalog push failed: exit %d\n%s%s", again.code, again.stdout, again.stderr)
	}
	if _, cat := pulledCatalog(t, w); !strings.Contains(cat, `"olm.deprecations"`) || !strings.Contains(cat, "eol again") {
		t.Errorf("after the rerun the catalog image does not deprecate stable:\n%s", cat)
	}
}

// TestReview15RetireRacesPromotion: promote-label decides on a pending gate
// and polls; meanwhile another run retires the label and the gate passes.
// The decision made again inside the compare-and-swap must see the
// retirement: decision retired (exit 0, the reason named), the label and
// its tags unmoved, nothing recorded but the retirement.
func TestReview15RetireRacesPromotion(t *testing.T) {
	w := newWorld(t, worldOpt{})
	clk := newClock()
	w.writeConfig(t, retentionConfig(w, true))
	publishDev(t, w, clk, "1.0.1")
	promoteWant(t, w, clk, map[string]string{"label": "testing", "from": "1.0.1", "force": "true", "reason": "first"}, 0, "promoted")
	first := w.tagDigest(t, "testing")
	publishDev(t, w, clk, "1.0.2")
	clk.onSleep = func(n int) {
		if n == 1 { // while promote-label polls its pending gate
			r := w.runWith(t, "retire", map[string]string{"label": "testing", "reason": "testing closes"}, map[string]string{"GITHUB_RUN_ID": "6000"}, newClock().Now, nil)
			if r.code != ExitOK {
				t.Errorf("retire during the poll: exit %d\n%s", r.code, r.stdout)
			}
			w.gh.AddCheckRun("rancher/elemental-cli", w.c["cli3"], "build", "completed", "success")
		}
	}
	res := promoteWant(t, w, clk, map[string]string{"label": "testing", "wait": "10m"}, 0, "retired")
	if !strings.Contains(res.outputs["reason"], "testing closes") || res.outputs["promoted"] != "false" {
		t.Errorf("promotion after the retirement: %v", res.outputs)
	}
	doc := w.fileLedger(t)
	if h, _ := doc.Head(ledger.LabelStream("testing")); h.Version != "1.0.1" || w.tagDigest(t, "testing") != first {
		t.Errorf("label testing moved past its retirement: head %s", h.Version)
	}
}
