package ledger

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/ladder-release/ladder/internal/clock"
	"github.com/ladder-release/ladder/internal/ghsim"
	"github.com/ladder-release/ladder/internal/ledger/record"
	"github.com/ladder-release/ladder/internal/testutil/fixture"
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
		if err := doc.Hold("beta", Hold{Reason: "not in any write", At: fixture.T0}); err != nil {
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
		return d.Append(LabelStream("beta"), Entry{Version: "1.4.9", At: fixture.T0, Decision: "promoted"})
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

// TestCompactRacingWritersLoseNothing: a publisher and a promoter write one
// ledger at once, each following every write with its own Compact (as two
// jobs of the actions do), while the simulator fails some of the
// compactions' POST trees and PATCH ref. A Compact may fail or find the
// branch moved on; the ledger stays whole: every bundle once, every move of
// the label in order, nothing doubled.
func TestCompactRacingWritersLoseNothing(t *testing.T) {
	ctx := context.Background()
	srv, c := sim(t, ghsim.WithSecondaryLimit(0)) // two tokens' worth of writes from one on purpose
	for _, f := range []ghsim.Fault{
		{Method: http.MethodPost, Path: "/repos/acme/app/git/trees", Status: http.StatusBadGateway, Times: 3},
		{Method: http.MethodPatch, Path: "/repos/acme/app/git/refs/**", Status: http.StatusInternalServerError, Times: 3},
	} {
		srv.Inject(f)
	}
	const n = 40
	// a writer that lost a race waits a jittered moment before it tries
	// again, as in a run (noWait would let one tight loop starve the
	// other for all of its attempts: seen once in .ci/run)
	racing := []Option{small, WithClock(clock.System()), WithBackoff(time.Millisecond, 20*time.Millisecond)}
	pub, pro := ghStore(t, c, racing...), ghStore(t, c, racing...)
	var moved []string // the versions the promoter's writes put on the label
	var g errgroup.Group
	g.Go(func() error {
		for i := 0; i < n; i++ {
			if _, err := pub.Update(ctx, Message{What: "publish"}, publishNext("a", i)); err != nil {
				return err
			}
			_ = pub.Compact(ctx) // its error is only a note in the run
		}
		return nil
	})
	g.Go(func() error {
		for i := 0; i < n; i++ {
			var v string
			_, err := pro.Update(ctx, Message{What: "promote"}, func(d *Document) error {
				v = ""
				if len(d.Bundles) == 0 {
					return ErrNoChange
				}
				newest := d.Bundles[len(d.Bundles)-1].Version
				if s := d.Stream(LabelStream("current")); len(s) > 0 && s[len(s)-1].Version == newest {
					return ErrNoChange
				}
				v = newest
				return d.Append(LabelStream("current"), Entry{Version: newest, At: fixture.T0, Actor: "octocat", Decision: "promoted"})
			})
			if err != nil {
				return err
			}
			if v != "" {
				moved = append(moved, v)
			}
			_ = pro.Compact(ctx)
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	whole, err := ghStore(t, c).ReadAll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	checkNoLoss(t, whole, []string{"a"}, n)
	var got []string
	for _, e := range whole.Stream(LabelStream("current")) {
		got = append(got, e.Version)
	}
	if !slices.Equal(got, moved) {
		t.Errorf("label:current holds %v, the promoter wrote %v", got, moved)
	}
	if st, _ := ghStore(t, c).Read(ctx); st.History == nil || st.History.Segments == 0 {
		t.Error("no compaction landed: the test proves nothing")
	}
	if srv.PendingFaults() != 0 {
		t.Errorf("%d faults unused: the compactions' failures were not exercised", srv.PendingFaults())
	}
}
