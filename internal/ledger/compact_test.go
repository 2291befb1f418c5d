package ledger

import (
	"context"
	"testing"

	"github.com/ladder-release/ladder/internal/ghsim"
	"github.com/ladder-release/ladder/internal/ledger/record"
)

// TestCompactWritesWhatWasWritten: the document an Update returns is its
// caller's (build-bundle goes on deciding on it while the compaction runs in
// the background); what the caller does to it afterwards must not reach the
// compaction's commit, which moves what the write wrote and nothing else.
func TestCompactWritesWhatWasWritten(t *testing.T) {
	ctx := context.Background()
	_, c := sim(t, ghsim.WithSecondaryLimit(0)) // one token writes many times on purpose
	s := ghStore(t, c, small)
	for i := 0; ; i++ {
		doc, err := s.Update(ctx, Message{What: "publish"}, publishNext("a", i))
		if err != nil {
			t.Fatal(err)
		}
		if st, _ := record.Split(doc, s.set.limits); st == doc {
			if i > 100 {
				t.Fatal("no split came due")
			}
			if err := s.Compact(ctx); err != nil {
				t.Fatal(err)
			}
			continue
		}
		// a split is due, and Compact will make it: the caller scribbles on
		// its copy first
		if err := doc.Hold("beta", Hold{Reason: "not in any write", At: t0}); err != nil {
			t.Fatal(err)
		}
		if err := s.Compact(ctx); err != nil {
			t.Fatal(err)
		}
		break
	}
	whole, err := ghStore(t, c).ReadAll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(whole.Holds) != 0 {
		t.Errorf("the ledger holds %v: the compaction wrote a change no write made", whole.Holds)
	}
	st, _ := ghStore(t, c).Read(ctx)
	if st.History == nil || st.History.Segments == 0 {
		t.Error("the compaction did not happen: the test proves nothing")
	}
}

// TestMigrateSchema1MediumInOneCommit: a schema-1 ledger above the state's
// bound but under deferCap times it is migrated, split and all, by the first
// write in that write's one commit (README, "The ledger"), not left as one
// schema-2 document for a Compact that may never come.
func TestMigrateSchema1MediumInOneCommit(t *testing.T) {
	ctx := context.Background()
	data, old := schema1(t)
	lim := record.DefaultLimits
	lim.High = old.EstimatedSize() / 2 // over the bound, under deferCap times it
	srv, c := sim(t)
	srv.Commit(repo, Branch, "create the ledger branch")
	srv.PutFile(repo, Branch, "app.json", data, "ladder: an older release")
	before := len(srv.History(repo, Branch))
	s := ghStore(t, c, WithLimits(lim))
	if _, err := s.Update(ctx, Message{What: "promote beta 1.4.9"}, func(d *Document) error {
		return d.Append(LabelStream("beta"), Entry{Version: "1.4.9", At: t0, Decision: "promoted"})
	}); err != nil {
		t.Fatal(err)
	}
	// no Compact: the write alone must have migrated the layout
	st, err := ghStore(t, c, WithLimits(lim)).Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Schema != Schema || st.History == nil || st.History.Segments == 0 {
		t.Errorf("after the migrating write: schema %d, history %+v: the split was left for later", st.Schema, st.History)
	}
	if h := srv.History(repo, Branch); len(h) != before+1 {
		t.Errorf("the migration took %d commits, want 1", len(h)-before)
	}
}
