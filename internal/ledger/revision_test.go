package ledger

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ladder-release/ladder/internal/clock"
	"github.com/ladder-release/ladder/internal/ghsim"
	"github.com/ladder-release/ladder/internal/testutil/fixture"
)

// waits records the store's pauses instead of sleeping.
type waits []time.Duration

func (w *waits) option() Option {
	return WithClock(clock.Funcs{SleepFunc: func(_ context.Context, d time.Duration) error { *w = append(*w, d); return nil }})
}

func (w waits) total() time.Duration {
	var t time.Duration
	for _, d := range w {
		t += d
	}
	return t
}

// moveLabel is promote-label's fn: move label current to version, computed
// from the document given (ErrNoChange when it is already there). seen, when
// set, records the revision of every document fn ran on.
func moveLabel(version string, seen *[]int64) func(*Document) error {
	return func(d *Document) error {
		if seen != nil {
			*seen = append(*seen, d.Revision)
		}
		return d.Append(LabelStream("current"), Entry{Version: version, At: fixture.T0, Actor: "octocat", Decision: "promoted"})
	}
}

// TestGitHubReadAfterOwnWriteIsNotStale: right after this store's own write,
// GitHub answers the file's previous version for the next reads. Read does
// not return it: it reads again (after 100ms, then 200ms) until the answer
// is at least the revision the store wrote. Also when the previous version
// is no file at all (after the first write), or a document written before
// there was a revision (read as 0).
func TestGitHubReadAfterOwnWriteIsNotStale(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		seed   []byte // the file before the store's writes; nil: none
		writes int
		stale  int
	}{
		{"previous version is an older revision", nil, 2, 2},
		{"previous version is no file", nil, 1, 1},
		{"previous version has no revision", []byte(`{"schema": 1, "product": "app"}`), 1, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, c := sim(t)
			if tc.seed != nil {
				srv.PutFile(repo, Branch, "app.json", tc.seed, "a ledger from before revisions")
			}
			var w waits
			s := ghStore(t, c, w.option())
			for i := 0; i < tc.writes; i++ {
				if _, err := s.Update(ctx, Message{What: "publish"}, publishNext("a", i)); err != nil {
					t.Fatal(err)
				}
			}
			w = nil
			srv.ResetStats()
			srv.StaleReads(repo, "app.json", tc.stale)

			d, err := s.Read(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if d.Revision != int64(tc.writes) || len(d.Bundles) != tc.writes {
				t.Fatalf("Read returned revision %d with %d bundles, want the store's own write: revision %d, %d bundles",
					d.Revision, len(d.Bundles), tc.writes, tc.writes)
			}
			if n := count(srv, routeGetContents); n != tc.stale+1 {
				t.Errorf("%d reads of the file, want %d stale ones and 1 fresh", n, tc.stale)
			}
			if srv.PendingFaults() != 0 {
				t.Error("a stale read was left unread")
			}
			want := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond}[:tc.stale]
			if fmt.Sprint(w) != fmt.Sprint(want) {
				t.Errorf("waits %v, want %v", w, want)
			}
		})
	}
}

// TestGitHubPersistentStaleReadFails: a ledger that stays behind the store's
// own write for longer than the store waits (5s: 9 reads) makes Read and
// Update fail with ErrStaleRead, saying what was read against what was seen;
// Update runs no fn and writes nothing.
func TestGitHubPersistentStaleReadFails(t *testing.T) {
	ctx := context.Background()
	srv, c := sim(t)
	var w waits
	s := ghStore(t, c, w.option())
	for i := 0; i < 2; i++ {
		if _, err := s.Update(ctx, Message{What: "publish"}, publishNext("a", i)); err != nil {
			t.Fatal(err)
		}
	}
	s0 := ghStore(t, c, WithStaleReadWait(0))
	if _, err := s0.Read(ctx); err != nil {
		t.Fatal(err)
	}
	before, _ := srv.File(repo, Branch, "app.json")
	commits := len(srv.History(repo, Branch))
	w = nil
	srv.ResetStats()
	srv.StaleReads(repo, "app.json", 1000)

	_, err := s.Read(ctx)
	if !errors.Is(err, ErrStaleRead) {
		t.Fatalf("Read = %v, want ErrStaleRead", err)
	}
	for _, want := range []string{"the ledger on branch ladder-ledger", "acme/app", "answered revision 1, older than revision 2 this run already saw",
		"still did after 9 reads over 5s", "GitHub served a stale read; rerun"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error lacks %q: %v", want, err)
		}
	}
	if n := count(srv, routeGetContents); n != 9 {
		t.Errorf("%d reads, want 9", n)
	}
	wantWaits := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond,
		time.Second, time.Second, time.Second, 500 * time.Millisecond}
	if fmt.Sprint(w) != fmt.Sprint(wantWaits) || w.total() != DefaultStaleReadWait {
		t.Errorf("waits %v (%s in all), want %v (%s)", w, w.total(), wantWaits, DefaultStaleReadWait)
	}

	called := false
	_, err = s.Update(ctx, Message{What: "publish"}, func(d *Document) error { called = true; return publishNext("a", 2)(d) })
	if !errors.Is(err, ErrStaleRead) {
		t.Fatalf("Update = %v, want ErrStaleRead", err)
	}
	if called {
		t.Error("fn ran on a stale document")
	}
	if n := count(srv, routePutContents); n != 0 {
		t.Errorf("%d writes on a stale read", n)
	}
	if after, _ := srv.File(repo, Branch, "app.json"); !bytes.Equal(after, before) || len(srv.History(repo, Branch)) != commits {
		t.Error("the ledger changed")
	}

	// With no wait allowed, the first stale read fails.
	srv.ResetStats()
	if _, err := s0.Read(ctx); !errors.Is(err, ErrStaleRead) || strings.Contains(err.Error(), "still") {
		t.Errorf("Read with no wait = %v, want ErrStaleRead at once", err)
	}
	if n := count(srv, routeGetContents); n != 1 {
		t.Errorf("%d reads with no wait allowed, want 1", n)
	}
	// A new store (a new run) has seen nothing newer: the old version is all it knows.
	if d, err := ghStore(t, c).Read(ctx); err != nil || d.Revision != 1 {
		t.Errorf("a new store: %v, revision %d", err, d.Revision)
	}
}

// TestGitHubUpdateNotAppliedToStaleRead: the label current went 1.0.1 ->
// 1.0.2 in this store's last write, and the next reads answer the version
// before it (current at 1.0.1). A rollback to 1.0.1 (promote-label) applied
// to that stale document would find the label already there, write nothing
// and report no change, leaving the ledger at 1.0.2 while the run converges
// the tag on 1.0.1. Update reads again instead: fn runs once, on the fresh
// document, and the rollback is recorded on top of the move to 1.0.2.
func TestGitHubUpdateNotAppliedToStaleRead(t *testing.T) {
	ctx := context.Background()
	srv, c := sim(t)
	s := ghStore(t, c)
	for i := 0; i < 2; i++ {
		if _, err := s.Update(ctx, Message{What: "publish"}, publishNext("a", i)); err != nil {
			t.Fatal(err)
		}
	}
	for _, v := range []string{"1.0.1", "1.0.2"} {
		if _, err := s.Update(ctx, Message{What: "promote " + v}, moveLabel(v, nil)); err != nil {
			t.Fatal(err)
		}
	}
	srv.StaleReads(repo, "app.json", 3)

	var seen []int64
	d, err := s.Update(ctx, Message{What: "rollback current to 1.0.1"}, moveLabel("1.0.1", &seen))
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(seen) != "[4]" {
		t.Errorf("fn ran on revisions %v, want once, on revision 4 (the store's last write)", seen)
	}
	stored, _ := srv.File(repo, Branch, "app.json")
	got, err := Parse(stored)
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range []*Document{d, got} {
		h, _ := doc.Head(LabelStream("current"))
		if doc.Revision != 5 || h.Version != "1.0.1" || h.PreviousVersion != "1.0.2" || len(doc.Stream(LabelStream("current"))) != 3 {
			t.Fatalf("revision %d, current at %+v (%d moves), want revision 5 and the rollback 1.0.2 -> 1.0.1 recorded",
				doc.Revision, h, len(doc.Stream(LabelStream("current"))))
		}
	}
	if srv.PendingFaults() != 0 {
		t.Error("a stale read was left unread")
	}
}

// TestRevisionCountsWrites: every write through Update stores the revision
// it read plus one (a write that conflicted counts on top of the write that
// beat it); a skipped write counts nothing; the revision is in the file and
// reads back.
func TestRevisionCountsWrites(t *testing.T) {
	ctx := context.Background()
	srv, c := sim(t)
	a, b := ghStore(t, c), ghStore(t, c)
	stored := func() int64 {
		t.Helper()
		data, _ := srv.File(repo, Branch, "app.json")
		d, err := Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(data, []byte(fmt.Sprintf("\n  \"revision\": %d,\n", d.Revision))) {
			t.Errorf("the file does not show its revision on a line of its own:\n%s", data)
		}
		return d.Revision
	}
	for i := 1; i <= 3; i++ {
		d, err := a.Update(ctx, Message{What: "publish"}, publishNext("a", i))
		if err != nil || d.Revision != int64(i) || stored() != int64(i) {
			t.Fatalf("write %d: %v, revision %d returned, %d stored", i, err, d.Revision, stored())
		}
	}
	if d, _ := a.Update(ctx, Message{What: "noop"}, publishNext("a", 1)); d.Revision != 3 || stored() != 3 {
		t.Errorf("a skipped write: revision %d returned, %d stored, want 3", d.Revision, stored())
	}
	srv.Inject(ghsim.Fault{Method: "PUT", Path: "/repos/acme/app/contents/app.json", Before: func() {
		if d, err := b.Update(ctx, Message{What: "publish by b"}, publishNext("b", 0)); err != nil || d.Revision != 4 {
			t.Errorf("b: %v, revision %d", err, d.Revision)
		}
	}})
	if d, err := a.Update(ctx, Message{What: "publish"}, publishNext("a", 4)); err != nil || d.Revision != 5 || stored() != 5 {
		t.Fatalf("after a conflict: %v, revision %d returned, %d stored, want 5", err, d.Revision, stored())
	}
	if d, err := ghStore(t, c).Read(ctx); err != nil || d.Revision != 5 {
		t.Errorf("a new store reads revision %d (%v), want 5", d.Revision, err)
	}
}

// TestFileStoreRevision: the file store counts its writes too, and refuses
// a file replaced by an older copy during the run (a lower revision than it
// has seen) at once, writing nothing; a new store (a new run) takes it.
func TestFileStoreRevision(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ledger.json")
	s, err := File(path, "app")
	if err != nil {
		t.Fatal(err)
	}
	var copies [][]byte
	for i := 1; i <= 2; i++ {
		d, err := s.Update(ctx, Message{What: "publish"}, publishNext("a", i))
		if err != nil || d.Revision != int64(i) {
			t.Fatalf("write %d: %v, revision %d", i, err, d.Revision)
		}
		data, _ := os.ReadFile(path)
		copies = append(copies, data)
	}
	if d, err := s.Update(ctx, Message{What: "noop"}, publishNext("a", 1)); err != nil || d.Revision != 2 {
		t.Errorf("a skipped write: %v, revision %d, want 2", err, d.Revision)
	}
	if d, err := Parse(copies[1]); err != nil || d.Revision != 2 {
		t.Fatalf("the file after two writes: %v, %+v; want revision 2", err, d)
	}

	if err := os.WriteFile(path, copies[0], 0o644); err != nil { // restored from an older copy
		t.Fatal(err)
	}
	if _, err := s.Read(ctx); !errors.Is(err, ErrStaleRead) || !strings.Contains(err.Error(), "holds revision 1, older than revision 2 this run already saw") {
		t.Fatalf("Read = %v, want ErrStaleRead", err)
	}
	called := false
	if _, err := s.Update(ctx, Message{What: "publish"}, func(d *Document) error { called = true; return publishNext("a", 3)(d) }); !errors.Is(err, ErrStaleRead) {
		t.Fatalf("Update = %v, want ErrStaleRead", err)
	}
	if after, _ := os.ReadFile(path); called || !bytes.Equal(after, copies[0]) {
		t.Errorf("Update on an older copy ran fn (%v) or wrote", called)
	}
	s2, _ := File(path, "app")
	if d, err := s2.Update(ctx, Message{What: "publish"}, publishNext("a", 3)); err != nil || d.Revision != 2 {
		t.Errorf("a new store: %v, revision %d, want 2", err, d.Revision)
	}
}
