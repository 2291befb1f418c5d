package ledger

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/ladder-release/ladder/internal/ghsim"
	"github.com/ladder-release/ladder/internal/testutil/fixture"
)

const (
	routeCreateTree   = "POST /repos/{owner}/{repo}/git/trees"
	routeCreateCommit = "POST /repos/{owner}/{repo}/git/commits"
	workflow          = ".github/workflows/x.yml"
)

// simWithWorkflow is sim with a workflow on the default branch: what a
// ledger branch made from it would carry, and GitHub would run on each
// ledger write.
func simWithWorkflow(t *testing.T) (*ghsim.Server, *GitHubStore, func(...Option) *GitHubStore) {
	t.Helper()
	srv, c := sim(t)
	srv.PutFile(repo, "main", workflow, []byte("on: push\njobs: {}\n"), "add a workflow")
	newStore := func(opts ...Option) *GitHubStore { return ghStore(t, c, opts...) }
	return srv, newStore(), newStore
}

// checkOrphan asserts the ledger branch's history is n commits down to one
// root commit, with nothing of the default branch in it, and its tree holds
// only files.
func checkOrphan(t *testing.T, srv *ghsim.Server, n int, files ...string) {
	t.Helper()
	hist := srv.History(repo, Branch)
	if len(hist) != n {
		var subjects []string
		for _, h := range hist {
			subject, _, _ := strings.Cut(h.Message, "\n")
			subjects = append(subjects, subject)
		}
		t.Fatalf("%d commits on %s, want %d: %q", len(hist), Branch, n, subjects)
	}
	if root := hist[len(hist)-1]; len(root.Parents) != 0 {
		t.Fatalf("the ledger branch's first commit %s has parents %v: it was made from another branch", root.SHA, root.Parents)
	}
	for _, c := range srv.History(repo, "main") {
		for _, h := range hist {
			if h.SHA == c.SHA {
				t.Fatalf("commit %s of main (%q) is on the ledger branch", c.SHA, c.Message)
			}
		}
	}
	if got := srv.Paths(repo, Branch); !slices.Equal(got, files) {
		t.Fatalf("files on the ledger branch %v, want only %v", got, files)
	}
}

// TestLedgerBranchIsOrphan: the first write creates the ledger branch as an
// orphan whose first commit holds only the ledger file (no workflows from
// the default branch), with the write's message; reads and later writes go
// on from there, and another product's ledger joins it.
func TestLedgerBranchIsOrphan(t *testing.T) {
	ctx := context.Background()
	srv, s, newStore := simWithWorkflow(t)
	mainFiles := srv.Paths(repo, "main")

	msg := Message{What: "publish dev 1.0.1", Actor: "octocat", Run: "https://github.com/acme/app/actions/runs/42"}
	if _, err := s.Update(ctx, msg, publishNext("a", 0)); err != nil {
		t.Fatal(err)
	}
	checkOrphan(t, srv, 1, "app.json")
	if h := srv.History(repo, Branch); h[0].Message != msg.String() {
		t.Errorf("first commit's message %q, want %q", h[0].Message, msg.String())
	}
	if n := count(srv, routePutContents); n != 0 {
		t.Errorf("%d PUT contents for the first write, want 0: the branch's first commit is the write", n)
	}
	secondWrite(t, srv, s)
	// Another store (another job) reads and writes.
	other := newStore()
	d, err := other.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	checkNoLoss(t, d, []string{"a"}, 2)
	if _, err := other.Update(ctx, Message{What: "publish dev 1.0.3"}, publishNext("a", 2)); err != nil {
		t.Fatal(err)
	}
	checkOrphan(t, srv, 3, "app.json")
	d, err = newStore().Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	checkNoLoss(t, d, []string{"a"}, 3)

	// Another product's ledger is another file on the same branch.
	tools, err := GitHub(s.client, repo, "tools", noWait)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tools.Update(ctx, Message{What: "publish tools"}, publishNext("t", 0)); err != nil {
		t.Fatal(err)
	}
	checkOrphan(t, srv, 4, "app.json", "tools.json")
	if got := srv.Paths(repo, "main"); !slices.Equal(got, mainFiles) {
		t.Errorf("main's files changed: %v -> %v", mainFiles, got)
	}
}

// TestLedgerBranchCreatedByTwoStores: b creates the branch between a's look
// and a's creation of the ref; a's POST git/refs answers 422 "Reference
// already exists", and a re-applies its change on b's ledger. One root
// commit (b's), both writes kept.
func TestLedgerBranchCreatedByTwoStores(t *testing.T) {
	ctx := context.Background()
	srv, a, newStore := simWithWorkflow(t)
	b := newStore()
	var bErr error
	srv.Inject(ghsim.Fault{Method: "POST", Path: "/repos/acme/app/git/refs", Before: func() {
		_, bErr = b.Update(ctx, Message{What: "publish by b"}, publishNext("b", 0))
	}})
	calls := 0
	fn := publishNext("a", 0)
	if _, err := a.Update(ctx, Message{What: "publish by a"}, func(d *Document) error { calls++; return fn(d) }); err != nil || bErr != nil {
		t.Fatalf("a: %v, b: %v", err, bErr)
	}
	if calls != 2 {
		t.Errorf("a's fn ran %d times, want 2 (once more on b's ledger)", calls)
	}
	if posts := statuses(srv, routeCreateRef); posts[http.StatusCreated] != 1 || posts[http.StatusUnprocessableEntity] != 1 {
		t.Errorf("POST git/refs answers %v, want one 201 (b) and one 422 (a)", posts)
	}
	checkOrphan(t, srv, 2, "app.json")
	if h := srv.History(repo, Branch); h[1].Message != (Message{What: "publish by b"}).String() {
		t.Errorf("the root commit is %q, want b's write", h[1].Message)
	}
	d, err := newStore().Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	checkNoLoss(t, d, []string{"b", "a"}, 1)
}

// TestLedgerBranchCreatedConcurrently: 8 stores write their first entry at
// once on a repository without the ledger branch: every write lands, one
// root commit made the branch.
func TestLedgerBranchCreatedConcurrently(t *testing.T) {
	ctx := context.Background()
	srv, _, newStore := simWithWorkflow(t)
	var writers []string
	var wg sync.WaitGroup
	start := make(chan struct{})
	for g := 0; g < 8; g++ {
		w := "job" + strconv.Itoa(g)
		writers = append(writers, w)
		s := newStore(WithMaxAttempts(100))
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if _, err := s.Update(ctx, Message{What: "publish " + w}, publishNext(w, 0)); err != nil {
				t.Errorf("%s: %v", w, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	d, err := newStore().Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	checkNoLoss(t, d, writers, 1)
	checkOrphan(t, srv, 8, "app.json")
	if n := answered(srv, routeCreateRef, http.StatusCreated); n != 1 {
		t.Errorf("%d refs created, want 1", n)
	}
}

// TestLedgerBranchCreationAnswerLost: the ref is created but the answer is
// lost; the retried POST git/refs answers 422, which reads as a conflict:
// the store reloads, finds its own write, and writes nothing more.
func TestLedgerBranchCreationAnswerLost(t *testing.T) {
	ctx := context.Background()
	srv, s, newStore := simWithWorkflow(t)
	srv.Inject(ghsim.Fault{Method: "POST", Path: "/repos/acme/app/git/refs", Drop: true, Before: func() {
		// the creation goes through (by another store, standing for the lost one)
		if _, err := newStore().Update(ctx, Message{What: "landed"}, publishNext("a", 0)); err != nil {
			t.Error(err)
		}
	}})
	if _, err := s.Update(ctx, Message{What: "publish"}, publishNext("a", 0)); err != nil {
		t.Fatal(err)
	}
	checkOrphan(t, srv, 1, "app.json")
	d, err := newStore().Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	checkNoLoss(t, d, []string{"a"}, 1)
}

// TestLedgerOldStyleBranchKeepsWorking: a ledger branch made the old way
// (from the default branch's head, so carrying its files) is written
// through the contents API as before, with or without the ledger file on
// it yet: no new branch, no git data writes.
func TestLedgerOldStyleBranchKeepsWorking(t *testing.T) {
	for _, withFile := range []bool{false, true} {
		t.Run("ledger file "+map[bool]string{false: "missing", true: "present"}[withFile], func(t *testing.T) {
			ctx := context.Background()
			srv, s, newStore := simWithWorkflow(t)
			seeded := 0
			if withFile {
				seed := NewDocument("app")
				if err := publishNext("old", 0)(seed); err != nil {
					t.Fatal(err)
				}
				seed.Revision = 1
				srv.PutFile(repo, Branch, "app.json", seed.Marshal(), "ladder: a write on the old-style branch")
				seeded = 1
			} else {
				srv.Commit(repo, Branch, "the old ensureBranch made the branch here") // from main's head
			}
			mainHead, _ := srv.Head(repo, "main")
			before := len(srv.History(repo, Branch))
			srv.ResetStats()

			for i := 0; i < 2; i++ {
				if _, err := s.Update(ctx, Message{What: "publish"}, publishNext("a", i)); err != nil {
					t.Fatal(err)
				}
			}
			hist := srv.History(repo, Branch)
			if len(hist) != before+2 {
				t.Fatalf("%d commits on the branch, want %d", len(hist), before+2)
			}
			found := false
			for _, h := range hist {
				found = found || h.SHA == mainHead
			}
			if !found {
				t.Error("the old-style branch lost main's history")
			}
			if got, want := srv.Paths(repo, Branch), []string{workflow, "app.json"}; !slices.Equal(got, want) {
				t.Errorf("files %v, want %v", got, want)
			}
			for _, route := range []string{routeCreateTree, routeCreateCommit, routeCreateRef} {
				if n := count(srv, route); n != 0 {
					t.Errorf("%d %s on an existing branch", n, route)
				}
			}
			d, err := newStore().Read(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(d.Bundles) != seeded+2 {
				t.Fatalf("%d bundles, want %d", len(d.Bundles), seeded+2)
			}
			for i := 0; i < 2; i++ {
				if _, ok := d.BundleByDigest(fixture.Digest("a", i)); !ok {
					t.Errorf("write %d lost", i)
				}
			}
		})
	}
}
