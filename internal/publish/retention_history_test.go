package publish

import (
	"errors"
	"fmt"
	"testing"

	"github.com/ladder-release/ladder/internal/ledger/record"
	"github.com/ladder-release/ladder/internal/testutil/fixture"
)

// TestRetentionSparesWhatARetiredLabelHeldInTheHistory: retention never
// deletes a bundle a retired label ever held (SPEC section 5), also when the
// label's older moves went into a history segment and the decision is taken
// on the state (as build-bundle's retention write is).
func TestRetentionSparesWhatARetiredLabelHeldInTheHistory(t *testing.T) {
	d := record.NewDocument("p")
	for i := range 8 {
		v := fmt.Sprintf("1.0.%d", i)
		if err := d.AddBundle(record.Bundle{Version: v, Digest: "sha256:" + sha("h", i), Channel: "dev", Created: fixture.T0}); err != nil {
			t.Fatal(err)
		}
		if err := d.Append(record.ChannelStream("dev"), record.Entry{Version: v, At: fixture.T0}); err != nil {
			t.Fatal(err)
		}
	}
	// label old held 1.0.1, then moved on five times; then it was retired
	for _, v := range []string{"1.0.1", "1.0.3", "1.0.4", "1.0.5", "1.0.6", "1.0.7"} {
		if err := d.Append(record.LabelStream("old"), record.Entry{Version: v, At: fixture.T0, Decision: "promoted"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Retire(record.LabelStream("old"), record.Retirement{Version: "1.0.7", Digest: "sha256:" + sha("h", 7), At: fixture.T0, Reason: "eol"}); err != nil {
		t.Fatal(err)
	}
	// retention is on for dev: keep 1, one deletion so far
	if err := d.RecordDeletion(record.Deletion{Version: "1.0.0", Digest: "sha256:" + sha("h", 0), At: fixture.T0}); err != nil {
		t.Fatal(err)
	}
	for _, b := range RetentionVictims(d, "dev", 1) {
		if b.Version == "1.0.1" {
			t.Fatal("the whole ledger already gives 1.0.1 to retention: the fixture is wrong")
		}
	}
	lim := record.DefaultLimits
	lim.High, lim.MinMove = 1, 1 // split now
	st, segs := record.Split(d, lim)
	if len(segs) == 0 || st.History.Entries[record.LabelStream("old")] == 0 {
		t.Fatalf("the split moved none of label old's entries: %+v", st.History)
	}
	// build-bundle's retention write decides on the state: it must not
	// delete 1.0.1 there, but ask for the whole ledger (record.ErrNotFound,
	// on which the stores decide again on it), where 1.0.1 is no victim
	del := record.Deletion{Version: "1.0.1", Digest: "sha256:" + sha("h", 1), At: fixture.T0}
	if ok, err := RecordDeletion(st, "dev", 1, del); ok || !errors.Is(err, record.ErrNotFound) {
		t.Errorf("RecordDeletion of 1.0.1 on the state: %v, %v; want record.ErrNotFound (decide on the whole ledger)", ok, err)
	}
	whole, err := record.Merge(st, segs)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := RecordDeletion(whole, "dev", 1, del); ok || !errors.Is(err, record.ErrNoChange) {
		t.Errorf("RecordDeletion of 1.0.1 on the whole ledger: %v, %v; want no change (retired label old held it)", ok, err)
	}
	// a victim nothing retired held is deleted on the state as before, once
	// no retired stream has history
	st.Retirements = nil
	if ok, err := RecordDeletion(st, "dev", 1, record.Deletion{Version: "1.0.1", Digest: "sha256:" + sha("h", 1), At: fixture.T0}); !ok || err != nil {
		t.Errorf("RecordDeletion of 1.0.1 with nothing retired: %v, %v", ok, err)
	}
}
