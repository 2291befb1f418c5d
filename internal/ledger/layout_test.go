package ledger

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ladder-release/ladder/internal/ghsim"
	"github.com/ladder-release/ladder/internal/ledger/record"
	"github.com/ladder-release/ladder/internal/testutil/fixture"
)

// The state + history layout through the stores (record.History).

var small = WithLimits(record.Limits{High: 4 << 10, KeepBundles: 3, KeepEntries: 2, KeepDeletions: 2, KeepPerChannel: 2,
	MinMove: 4, SegmentItems: 10})

const (
	routeGetRef    = "GET /repos/{owner}/{repo}/git/ref/{ref...}"
	routeUpdateRef = "PATCH /repos/{owner}/{repo}/git/refs/{ref...}"
	routeTarball   = "GET /repos/{owner}/{repo}/tarball/{ref...}"
)

// TestGitHubWritesCostWhatTheyChange: 60 publishes into a ledger whose state
// holds a few items. Each is one commit, with the Message; one that changes
// only the state is one PUT contents and nothing else writes; one that adds
// a segment is one commit through the git data API, the branch moved by a
// PATCH without force. Segments are never rewritten, no file is over 1 MB,
// and the state stays small whatever the ledger's size.
func TestGitHubWritesCostWhatTheyChange(t *testing.T) {
	ctx := context.Background()
	srv, c := sim(t, ghsim.WithSecondaryLimit(0))       // one token writes 60 times on purpose
	s := ghStore(t, c, small, WithDeferredSplit(false)) // the split in the write (TestGitHubDeferredSplit: after it)
	segBlobs := map[string][]byte{}
	puts, commits := 0, 0
	for i := 0; i < 60; i++ {
		srv.ResetStats()
		if _, err := s.Update(ctx, Message{What: "publish " + string(rune('a'+i%26))}, publishNext("a", i)); err != nil {
			t.Fatal(err)
		}
		n := srv.Counts()
		switch {
		case n[routeUpdateRef] == 0 && i > 0:
			puts++
			if n[routePutContents] != 1 || n[routeCreateTree]+n[routeCreateCommit] != 0 {
				t.Fatalf("publish %d: a write of the state alone made %v", i, n)
			}
		case n[routeUpdateRef] == 1:
			commits++
			if n[routePutContents] != 0 || n[routeCreateTree] != 1 || n[routeCreateCommit] != 1 {
				t.Fatalf("publish %d: a write adding a segment made %v", i, n)
			}
		}
		for _, r := range srv.Requests() {
			if r.Route == routeUpdateRef && r.Status != http.StatusOK {
				t.Fatalf("publish %d: PATCH ref answered %d", i, r.Status)
			}
		}
		checkBranchFiles(t, srv, segBlobs, i)
	}
	if puts < 30 || commits < 5 {
		t.Errorf("%d state writes, %d segment commits: the layout was not exercised", puts, commits)
	}
	hist := srv.History(repo, Branch)
	if len(hist) != 60 {
		t.Errorf("%d commits on the branch, want one per write (60)", len(hist))
	}
	for _, cm := range hist {
		if !strings.HasPrefix(cm.Message, "ladder: publish ") {
			t.Errorf("commit message %q", cm.Message)
		}
	}
	d, err := ghStore(t, c).ReadAll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	checkNoLoss(t, d, []string{"a"}, 60)
	st, _ := ghStore(t, c).Read(ctx)
	if st.History == nil || len(st.Bundles) >= 60 || st.BundleCount() != 60 {
		t.Errorf("the state holds %d bundles and counts %d", len(st.Bundles), st.BundleCount())
	}
}

// checkBranchFiles: after publish i, no file on the ledger branch is over
// 1 MB, the state is small, and no segment seen before (segBlobs, which it
// extends) was rewritten.
func checkBranchFiles(t *testing.T, srv *ghsim.Server, segBlobs map[string][]byte, i int) {
	t.Helper()
	for _, p := range srv.Paths(repo, Branch) {
		data, _ := srv.File(repo, Branch, p)
		switch {
		case len(data) > 1<<20:
			t.Fatalf("%s is %d bytes", p, len(data))
		case p == "app.json" && len(data) > 8<<10:
			t.Fatalf("publish %d: the state is %d bytes", i, len(data))
		case p == "app.json":
		case segBlobs[p] != nil && !bytes.Equal(segBlobs[p], data):
			t.Fatalf("publish %d rewrote %s", i, p)
		default:
			segBlobs[p] = data
		}
	}
}

// TestGitHubDeferredSplit: with the split deferred (the default), every
// publish is one PUT of the state and nothing else, whatever the ledger
// holds; Compact, run after it (the actions run it while they write the
// registry's tags), adds the segments in one commit made on the write's own
// commit and tree: no read, POST trees, POST commits, PATCH ref without
// force. Nothing is lost, segments are never rewritten, the state stays
// small. A Compact whose write was followed by another writer's commits
// nothing and loses nothing.
func TestGitHubDeferredSplit(t *testing.T) {
	ctx := context.Background()
	srv, c := sim(t, ghsim.WithSecondaryLimit(0)) // one token writes 60 times on purpose
	s := ghStore(t, c, small)
	segBlobs := map[string][]byte{}
	compactions := 0
	for i := 0; i < 60; i++ {
		srv.ResetStats()
		if _, err := s.Update(ctx, Message{What: "publish " + string(rune('a'+i%26))}, publishNext("a", i)); err != nil {
			t.Fatal(err)
		}
		n := srv.Counts()
		if i > 0 && (n[routePutContents] != 1 || n[routeCreateTree]+n[routeCreateCommit]+n[routeUpdateRef] != 0) {
			t.Fatalf("publish %d wrote %v, want one PUT of the state and nothing else", i, n)
		}
		srv.ResetStats()
		if err := s.Compact(ctx); err != nil {
			t.Fatalf("compact after publish %d: %v", i, err)
		}
		n = srv.Counts()
		if n[routeUpdateRef] == 1 {
			compactions++
			if len(srv.Requests()) != 3 || n[routeCreateTree] != 1 || n[routeCreateCommit] != 1 {
				t.Fatalf("compact after publish %d sent %v, want POST trees, POST commits, PATCH ref", i, srv.Requests())
			}
		} else if len(srv.Requests()) != 0 {
			t.Fatalf("compact after publish %d with nothing to move sent %v", i, srv.Requests())
		}
		checkBranchFiles(t, srv, segBlobs, i)
	}
	if compactions < 5 {
		t.Errorf("%d compactions: the layout was not exercised", compactions)
	}
	hist := srv.History(repo, Branch)
	if len(hist) != 60+compactions {
		t.Errorf("%d commits on the branch, want one per write and per compaction (%d)", len(hist), 60+compactions)
	}
	moves := 0
	for _, cm := range hist {
		switch {
		case strings.HasPrefix(cm.Message, "ladder: publish "):
		case strings.HasPrefix(cm.Message, "ladder: move the oldest of the ledger into history segment"):
			moves++
		default:
			t.Errorf("commit message %q", cm.Message)
		}
	}
	if moves != compactions {
		t.Errorf("%d compaction commits named as such, want %d", moves, compactions)
	}
	d, err := ghStore(t, c).ReadAll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	checkNoLoss(t, d, []string{"a"}, 60)

	// a Compact that comes after another writer's commit writes nothing
	other := ghStore(t, c, small)
	for i := 60; ; i++ {
		if _, err := s.Update(ctx, Message{What: "publish"}, publishNext("a", i)); err != nil {
			t.Fatal(err)
		}
		if st, _ := ghStore(t, c, small).Read(ctx); st.EstimatedSize() > 4<<10 {
			break // a split is due
		}
		if i > 120 {
			t.Fatal("no split came due")
		}
	}
	if _, err := other.Update(ctx, Message{What: "publish b"}, publishNext("b", 0)); err != nil {
		t.Fatal(err)
	}
	srv.ResetStats()
	if err := s.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	if answered(srv, routeUpdateRef, http.StatusOK) != 0 {
		t.Error("a compaction moved the branch over another writer's commit")
	}
	if n := answered(srv, routeUpdateRef, http.StatusUnprocessableEntity); n != 1 {
		t.Errorf("%d PATCH ref refused, want 1: the compaction's (requests %v)", n, srv.Requests())
	}
	d, err = ghStore(t, c).ReadAll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := d.BundleByDigest(fixture.Digest("b", 0)); !ok {
		t.Error("the other writer's publish is lost")
	}
}

// TestGitHubSegmentCommitRace: another writer commits between this one's
// reading the ledger and moving the branch to its commit. GitHub refuses an
// update that is not a fast forward (422); the store reads again, applies fn
// again and writes: nothing is lost.
func TestGitHubSegmentCommitRace(t *testing.T) {
	ctx := context.Background()
	srv, c := sim(t, ghsim.WithSecondaryLimit(0)) // one token writes 60 times on purpose
	a, b := ghStore(t, c, small, WithDeferredSplit(false)), ghStore(t, c, small)
	i := 0
	// publish until the next write adds a segment
	for ; i < 40; i++ {
		if _, err := a.Update(ctx, Message{What: "publish"}, publishNext("a", i)); err != nil {
			t.Fatal(err)
		}
	}
	var once sync.Once
	srv.Inject(ghsim.Fault{Method: "PATCH", Path: "/repos/acme/app/git/refs/**", Before: func() {
		once.Do(func() {
			if _, err := b.Update(ctx, Message{What: "publish b"}, publishNext("b", 0)); err != nil {
				t.Error(err)
			}
		})
	}})
	srv.ResetStats()
	for j := 0; srv.Counts()[routeUpdateRef] == 0 && j < 40; j++ {
		if _, err := a.Update(ctx, Message{What: "publish"}, publishNext("a", i)); err != nil {
			t.Fatal(err)
		}
		i++
	}
	if n := answered(srv, routeUpdateRef, http.StatusUnprocessableEntity); n != 1 {
		t.Errorf("%d PATCH ref answered 422, want 1 (the other writer's commit came first)", n)
	}
	d, err := ghStore(t, c).ReadAll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Bundles) != i+1 {
		t.Fatalf("%d bundles, want %d", len(d.Bundles), i+1)
	}
	if _, ok := d.BundleByDigest(fixture.Digest("b", 0)); !ok {
		t.Error("the other writer's publish is lost")
	}
}

// TestStoresDecideOnTheWholeLedgerWhenTheStateCannot: a promotion to a
// bundle only a segment holds, and a publish of a version a segment holds,
// are decided on the whole ledger.
func TestStoresDecideOnTheWholeLedgerWhenTheStateCannot(t *testing.T) {
	ctx := context.Background()
	_, c := sim(t)
	stores := map[string]Store{"github": ghStore(t, c, small)}
	fs, err := File(filepath.Join(t.TempDir(), "ledger.json"), "app", small)
	if err != nil {
		t.Fatal(err)
	}
	stores["file"] = fs
	for name, s := range stores {
		t.Run(name, func(t *testing.T) {
			for i := 0; i < 40; i++ {
				if _, err := s.Update(ctx, Message{What: "publish"}, publishNext("a", i)); err != nil {
					t.Fatal(err)
				}
			}
			st, _ := s.Read(ctx)
			if _, hot := st.Bundle("1.0.1"); hot || st.History == nil {
				t.Fatal("1.0.1 is still in the state")
			}
			if _, err := s.Update(ctx, Message{What: "promote"}, func(d *Document) error {
				return d.Append(LabelStream("prod"), Entry{Version: "1.0.1", At: fixture.T0, Decision: "promoted"})
			}); err != nil {
				t.Fatalf("promoting a bundle in the history: %v", err)
			}
			st, _ = s.Read(ctx)
			if h, _ := st.Head(LabelStream("prod")); h.Version != "1.0.1" {
				t.Errorf("prod is at %q", h.Version)
			}
			if _, ok := st.Bundle("1.0.1"); !ok {
				t.Error("the state does not pin the bundle prod holds")
			}
			_, err := s.Update(ctx, Message{What: "publish"}, func(d *Document) error {
				return d.AddBundle(Bundle{Version: "1.0.2", Digest: fixture.Digest("other"), Channel: "dev"})
			})
			if !errors.Is(err, ErrVersionTaken) {
				t.Errorf("publishing 1.0.2 again with another digest: %v, want ErrVersionTaken", err)
			}
			d, err := s.ReadAll(ctx)
			if err != nil || len(d.Bundles) != 40 {
				t.Fatalf("%v, %d bundles", err, len(d.Bundles))
			}
		})
	}
}

// schema1 is the ledger today's release wrote (testdata/README.md).
func schema1(t *testing.T) ([]byte, *Document) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "schema1.json"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if doc.Schema != 1 || len(doc.Bundles) != 100 || len(doc.Deletions) != 40 || len(doc.Holds) != 2 || len(doc.Quarantines) != 2 || doc.Revision != 148 {
		t.Fatalf("the fixture is not what testdata/README.md says: schema %d, %d bundles", doc.Schema, len(doc.Bundles))
	}
	return data, doc
}

// TestMigrateSchema1: both stores read a ledger written by the previous
// release as it is, and migrate it on the first write, in one commit: the
// whole ledger read back is the old one with the write applied, every item
// kept; the state is schema 2 and small, the rest in segments.
func TestMigrateSchema1(t *testing.T) {
	ctx := context.Background()
	data, old := schema1(t)
	promote := func(d *Document) error {
		return d.Append(LabelStream("beta"), Entry{Version: "1.4.9", At: fixture.T0, Decision: "promoted"})
	}
	want := old.Clone()
	if err := promote(want); err != nil {
		t.Fatal(err)
	}
	want.Schema, want.Revision = Schema, old.Revision+1

	srv, c := sim(t)
	srv.Commit(repo, Branch, "create the ledger branch")
	srv.PutFile(repo, Branch, "app.json", data, "ladder: an older release")
	commitsBefore := len(srv.History(repo, Branch))
	dir := t.TempDir()
	path := filepath.Join(dir, "ledger.json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	fs, _ := File(path, "app")
	gs := ghStore(t, c)
	for name, s := range map[string]Store{"github": gs, "file": fs} {
		t.Run(name, func(t *testing.T) {
			got, err := s.Read(ctx)
			if err != nil || !bytes.Equal(got.Marshal(), old.Marshal()) {
				t.Fatalf("reading the old ledger: %v", err)
			}
			if _, err := s.Update(ctx, Message{What: "promote beta 1.4.9"}, promote); err != nil {
				t.Fatal(err)
			}
			whole, err := s.ReadAll(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if g, w := whole.Marshal(), want.Marshal(); !bytes.Equal(g, w) {
				t.Errorf("the migrated ledger is not the old one with the write:\n%s", firstDiff(g, w))
			}
			st, _ := s.Read(ctx)
			// (retention deleted from dev, keep 50: its 50 bundles not
			// deleted stay in the state, for retention to choose from)
			if st.Schema != 2 || st.History == nil || st.History.Segments == 0 || len(st.Marshal()) > len(data)/2 {
				t.Errorf("state: schema %d, history %+v, %d bytes", st.Schema, st.History, len(st.Marshal()))
			}
		})
	}
	if h := srv.History(repo, Branch); len(h) != commitsBefore+1 || h[0].Message != "ladder: promote beta 1.4.9" {
		t.Errorf("the migration is not one commit: %d commits", len(h))
	}
	segs, _ := os.ReadDir(path + ".history")
	if len(segs) == 0 {
		t.Error("the file ledger has no segments next to it")
	}
}

func firstDiff(a, b []byte) string {
	la, lb := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := range min(len(la), len(lb)) {
		if la[i] != lb[i] {
			return "line " + la[i] + "\nwant " + lb[i]
		}
	}
	return "lengths differ"
}

// TestNewerLayoutRefused: a state of a newer schema is refused, and nothing
// is written.
func TestNewerLayoutRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.json")
	os.WriteFile(path, []byte(`{"schema": 3, "product": "app", "history": {"segments": 9, "layout": "v3"}}`), 0o644)
	s, _ := File(path, "app")
	_, err := s.Update(context.Background(), Message{}, func(*Document) error { return nil })
	var se *SchemaError
	if !errors.As(err, &se) || se.Found != 3 {
		t.Fatalf("got %v, want a SchemaError", err)
	}
}
