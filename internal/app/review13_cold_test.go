package app

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/ladder-release/ladder/internal/ledger"
)

// Decisions on a bundle only the ledger's history (a segment) holds.

// coldWorld publishes dev 1.0.1 .. 1.0.n with the default layout limits,
// until 1.0.1 has gone from the ledger's state into a segment.
func coldWorld(t *testing.T, labels string, n int) (*world, *fakeClock, map[string]string) {
	t.Helper()
	w := newWorld(t, worldOpt{})
	clk := newClock()
	w.writeConfig(t, w.promoteConfig("file:ledger.json", labels, ""))
	d := map[string]string{}
	for i := 1; i <= n; i++ {
		v := fmt.Sprintf("1.0.%d", i)
		d[v] = publishDev(t, w, clk, v)
	}
	_, st := fileState(t, w)
	if _, hot := st.Bundle("1.0.1"); hot || st.History == nil {
		t.Fatalf("1.0.1 is still in the ledger's state after %d publishes", n)
	}
	return w, clk, d
}

// fileState opens w's file ledger and reads its state.
func fileState(t *testing.T, w *world) (*ledger.FileStore, *ledger.Document) {
	t.Helper()
	s, err := ledger.File(filepath.Join(w.ws, "ledger.json"), "elemental")
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s, st
}

// TestPromoteFromAColdVersion: a promotion from: an explicit version that
// only a segment holds promotes it, as on the whole ledger (README: a write
// that fails with "not found" on the state is decided on the whole ledger).
func TestPromoteFromAColdVersion(t *testing.T) {
	w, clk, d := coldWorld(t, "  testing: {from: dev}\n", 60)
	res := promoteRun(t, w, clk, map[string]string{"label": "testing", "from": "1.0.1"})
	if res.code != 0 || res.outputs["decision"] != "promoted" || res.outputs["version"] != "1.0.1" {
		t.Fatalf("promote-label from 1.0.1: exit %d %v\n%s", res.code, res.outputs, res.stdout)
	}
	if w.tagDigest(t, "testing") != d["1.0.1"] {
		t.Error("the testing tag is not on 1.0.1")
	}
}

// TestRollbackToAColdVersion: a rollback to an explicit version the label
// held long ago, whose bundle and entry only segments hold, rolls back to
// it (and holds the label), as on the whole ledger.
func TestRollbackToAColdVersion(t *testing.T) {
	w := newWorld(t, worldOpt{})
	clk := newClock()
	w.writeConfig(t, w.promoteConfig("file:ledger.json", "  testing: {from: dev}\n", ""))
	d := map[string]string{}
	for i := 1; i <= 60; i++ {
		v := fmt.Sprintf("1.0.%d", i)
		d[v] = publishDev(t, w, clk, v)
		if i == 2 || i > 30 {
			promoteWant(t, w, clk, map[string]string{"label": "testing", "from": v}, 0, "promoted")
		}
	}
	s, _ := ledger.File(filepath.Join(w.ws, "ledger.json"), "elemental")
	st, err := s.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, hot := st.Bundle("1.0.2"); hot || st.Stream(ledger.LabelStream("testing"))[0].Version == "1.0.2" {
		t.Fatal("1.0.2 is still in the ledger's state")
	}
	res := promoteRun(t, w, clk, map[string]string{"label": "testing", "mode": "rollback", "from": "1.0.2", "reason": "1.0.60 is broken"})
	if res.code != 0 || res.outputs["decision"] != "held" || res.outputs["version"] != "1.0.2" {
		t.Fatalf("rollback to 1.0.2: exit %d %v\n%s", res.code, res.outputs, res.stdout)
	}
	if w.tagDigest(t, "testing") != d["1.0.2"] {
		t.Error("the testing tag is not on 1.0.2")
	}
}

// TestCatalogImageAfterHistory: the catalog image build-bundle and
// promote-label republish is the catalog of the whole ledger, as `ladder
// catalog` prints it, also once the older moves of its streams have gone
// into the ledger's history (a catalog of the state alone would drop every
// bundle but the newest few: no upgrade path from them).
func TestCatalogImageAfterHistory(t *testing.T) {
	w, clk, _ := catalogImageWorld(t)
	for i := 1; i <= 30; i++ {
		v := fmt.Sprintf("1.0.%d", i)
		publishDev(t, w, clk, v)
		clk.Advance(time.Minute)
		promoteWant(t, w, clk, map[string]string{"label": "stage", "from": v}, 0, "promoted")
		clk.Advance(time.Minute)
		promoteWant(t, w, clk, map[string]string{"label": "production", "from": v}, 0, "promoted")
	}
	s, _ := ledger.File(filepath.Join(w.ws, "ledger.json"), "elemental")
	st, err := s.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.History == nil || st.History.Entries[ledger.LabelStream("production")] == 0 {
		t.Fatal("no move of production has gone into the ledger's history")
	}
	checkCatalogImage(t, w)
}

// TestPromoteFromAStreamWhoseRecentValuesAreQuarantined: when every value
// of the from stream the ledger's state still holds is quarantined, the
// candidate is the newest live value in the history, as on the whole
// ledger, not "no candidate".
func TestPromoteFromAStreamWhoseRecentValuesAreQuarantined(t *testing.T) {
	w, clk, d := coldWorld(t, "  testing: {from: dev}\n", 60)
	s, st := fileState(t, w)
	hot := st.Stream(ledger.ChannelStream("dev"))
	oldest := hot[0].Version
	if _, err := s.Update(context.Background(), ledger.Message{What: "quarantine"}, func(doc *ledger.Document) error {
		for _, e := range hot {
			if err := doc.Quarantine(e.Digest, ledger.Quarantine{Reason: "bad batch", At: clk.Now()}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var n int
	if _, err := fmt.Sscanf(oldest, "1.0.%d", &n); err != nil || n < 2 {
		t.Fatalf("the state's oldest value of dev is %s", oldest)
	}
	want := fmt.Sprintf("1.0.%d", n-1) // the newest value only the history holds
	res := promoteRun(t, w, clk, map[string]string{"label": "testing"})
	if res.code != 0 || res.outputs["decision"] != "promoted" || res.outputs["version"] != want {
		t.Fatalf("promote-label from dev (the state's %d values of dev quarantined, from %s): exit %d %v, want %s promoted\n%s",
			len(hot), oldest, res.code, res.outputs, want, res.stdout)
	}
	if w.tagDigest(t, "testing") != d[want] {
		t.Errorf("the testing tag is not on %s", want)
	}
}
