package ledgergen

import (
	"bytes"
	"testing"

	"github.com/ladder-release/ladder/internal/ledger/record"
)

// TestLayoutMergesBack: a generated ledger laid out as a state and segments
// is the ledger again, with every field of every kind of item.
func TestLayoutMergesBack(t *testing.T) {
	w, err := Whole(3000)
	if err != nil {
		t.Fatal(err)
	}
	if len(w.Deletions) == 0 || len(w.Quarantines) != 3 || len(w.Stream(record.LabelStream("prod"))) == 0 {
		t.Fatalf("the generated ledger lacks items: %d deletions, %d quarantines", len(w.Deletions), len(w.Quarantines))
	}
	st, segs := Layout(w, record.DefaultLimits)
	if len(segs) == 0 || len(st.Marshal()) > 32<<10 {
		t.Fatalf("%d segments, a state of %d bytes", len(segs), len(st.Marshal()))
	}
	m, err := record.Merge(st, segs)
	if err != nil {
		t.Fatal(err)
	}
	want := w.Clone()
	want.Schema = record.Schema
	if !bytes.Equal(m.Marshal(), want.Marshal()) {
		t.Error("the layout does not merge back into the ledger")
	}
}
