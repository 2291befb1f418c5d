package app

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ladder-release/ladder/internal/action/actiontest"
	ghclient "github.com/ladder-release/ladder/internal/gh"
	"github.com/ladder-release/ladder/internal/ghsim"
	"github.com/ladder-release/ladder/internal/ledger"
)

// GitHub allows about 80 content-creating requests a minute per token (its
// secondary rate limit, which the simulator enforces). These tests hold
// ladder to its budget: one ledger write per publish and one per promotion
// in the common case, and a write refused by the limit waited out as GitHub
// asks, then sent once.

const putLedger = "PUT /repos/{owner}/{repo}/contents/{path...}"

// writes lists the content-creating requests the simulator answered since
// its last ResetStats, as "ROUTE STATUS".
func writes(w *world) []string {
	var out []string
	for _, r := range w.gh.Requests() {
		if r.ContentCreating() {
			out = append(out, r.Route+" "+http.StatusText(r.Status))
		}
	}
	return out
}

// ledgerWorld is S1 with `ledger: github`, label testing promoted from dev,
// and the simulator on the test's clock. Its first publish, which creates
// the ledger branch, is made.
func ledgerWorld(t *testing.T) (*world, *fakeClock) {
	t.Helper()
	clk := newClock()
	w := newWorld(t, worldOpt{ghOpts: []ghsim.Option{ghsim.WithNow(clk.Now)}})
	w.writeConfig(t, w.promoteConfig("github", "  testing: {from: dev}\n", ""))
	publishDev(t, w, clk, "1.0.0")
	return w, clk
}

// TestLedgerWritesPerPublishAndPromotion counts what a publish and a
// promotion write to GitHub once the ledger exists: one request each, the
// ledger file's PUT. A change that adds a write fails here.
func TestLedgerWritesPerPublishAndPromotion(t *testing.T) {
	w, clk := ledgerWorld(t)
	for _, v := range []string{"1.0.1", "1.0.2", "1.0.3"} {
		w.gh.ResetStats()
		publishDev(t, w, clk, v)
		if got, want := writes(w), []string{putLedger + " OK"}; !slices.Equal(got, want) {
			t.Errorf("publish %s wrote %q, want %q", v, got, want)
		}
		w.gh.ResetStats()
		res := promoteWant(t, w, clk, map[string]string{"label": "testing"}, 0, "promoted")
		if res.outputs["version"] != v {
			t.Errorf("promoted %s, want %s", res.outputs["version"], v)
		}
		if got, want := writes(w), []string{putLedger + " OK"}; !slices.Equal(got, want) {
			t.Errorf("promotion of %s wrote %q, want %q", v, got, want)
		}
	}
}

// saturate lets a minute pass, then spends the token's next minute of
// content creation: DefaultSecondaryLimit dispatches to acme/elemental.
func saturate(t *testing.T, w *world, clk *fakeClock) {
	t.Helper()
	clk.Advance(time.Minute)
	for i := 0; i < ghsim.DefaultSecondaryLimit; i++ {
		req, err := http.NewRequest(http.MethodPost, w.gh.URL()+"/repos/acme/elemental/dispatches", strings.NewReader(`{"event_type":"noise"}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+actiontest.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("dispatch %d: %s", i+1, resp.Status)
		}
	}
}

// TestWritesWaitOutTheSecondaryLimit: the token's minute of writes is spent
// 15 s before a publish, and again before a promotion; each one's ledger
// write is refused with retry-after: 45, waits exactly that (on the fake
// clock), and is sent once more: the ledger gains the bundle, and the
// label's move, once.
func TestWritesWaitOutTheSecondaryLimit(t *testing.T) {
	w, clk := ledgerWorld(t)
	before := len(w.gh.History("acme/elemental", ledger.Branch))
	refusedThenOK := []string{putLedger + " Forbidden", putLedger + " OK"}

	saturate(t, w, clk)
	clk.Advance(15 * time.Second)
	w.gh.ResetStats()
	sleeps := len(clk.Sleeps())
	publishDev(t, w, clk, "1.0.1")
	if got := writes(w); !slices.Equal(got, refusedThenOK) {
		t.Errorf("publish under the limit wrote %q, want %q", got, refusedThenOK)
	}
	if got := clk.Sleeps()[sleeps:]; !slices.Equal(got, []time.Duration{45 * time.Second}) {
		t.Errorf("publish waited %v, want [45s] (the retry-after)", got)
	}

	saturate(t, w, clk)
	clk.Advance(15 * time.Second)
	w.gh.ResetStats()
	sleeps = len(clk.Sleeps())
	promoteWant(t, w, clk, map[string]string{"label": "testing"}, 0, "promoted")
	if got := writes(w); !slices.Equal(got, refusedThenOK) {
		t.Errorf("promotion under the limit wrote %q, want %q", got, refusedThenOK)
	}
	if got := clk.Sleeps()[sleeps:]; !slices.Equal(got, []time.Duration{45 * time.Second}) {
		t.Errorf("promotion waited %v, want [45s] (the retry-after)", got)
	}

	if n := len(w.gh.History("acme/elemental", ledger.Branch)) - before; n != 2 {
		t.Errorf("the ledger branch gained %d commits, want 2 (the publish, the promotion)", n)
	}
	data, _ := w.gh.File("acme/elemental", ledger.Branch, "elemental.json")
	doc, err := ledger.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if s := doc.Stream(ledger.ChannelStream("dev")); len(s) != 2 || s[1].Version != "1.0.1" {
		t.Errorf("dev's stream %+v, want 1.0.0 then 1.0.1, once each", s)
	}
}

// TestLedgerHistoryMovesAfterTheWrite: once the ledger's state is over its
// bound, the publish that would add a history segment still writes the
// state alone (its one PUT comes first), and the segment goes out in one
// commit after it (POST trees, POST commits, PATCH ref), before the run
// exits; nothing is lost.
func TestLedgerHistoryMovesAfterTheWrite(t *testing.T) {
	w, clk := ledgerWorld(t)
	compacted := 0
	for i := 1; i <= 80 && compacted < 2; i++ {
		w.gh.ResetStats()
		publishDev(t, w, clk, fmt.Sprintf("1.0.%d", i))
		got := writes(w)
		if len(got) == 0 || got[0] != putLedger+" OK" {
			t.Fatalf("publish %d wrote %q: the state's PUT first", i, got)
		}
		switch rest := got[1:]; {
		case len(rest) == 0:
		case slices.Equal(rest, []string{"POST /repos/{owner}/{repo}/git/trees Created", "POST /repos/{owner}/{repo}/git/commits Created", "PATCH /repos/{owner}/{repo}/git/refs/{ref...} OK"}):
			compacted++
		default:
			t.Fatalf("publish %d wrote %q", i, got)
		}
	}
	if compacted < 2 {
		t.Fatalf("%d history moves in 80 publishes: the state never came over its bound", compacted)
	}
	doc := githubLedger(t, w.gh, "acme/elemental", "elemental")
	c, err := ghclient.New(ghclient.WithAPIURL(w.gh.URL()), ghclient.WithToken(actiontest.Token))
	if err != nil {
		t.Fatal(err)
	}
	s, err := ledger.GitHub(c.REST(), "acme/elemental", "elemental")
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.History == nil || st.History.Segments < 2 || doc.BundleCount() != len(doc.Bundles) || len(doc.Bundles) < 30 {
		t.Errorf("state history %+v, %d bundles in the whole ledger", st.History, len(doc.Bundles))
	}
}
