package ghsim_test

import (
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/ladder-release/ladder/internal/ghsim"
)

func blobEntry(path, content string) *github.TreeEntry {
	return &github.TreeEntry{Path: github.String(path), Mode: github.String("100644"), Type: github.String("blob"),
		Content: github.String(content)}
}

func treePaths(t *testing.T, tr *github.Tree) []string {
	t.Helper()
	var out []string
	for _, e := range tr.Entries {
		out = append(out, e.GetType()+" "+e.GetPath())
	}
	return out
}

// TestGitDataOrphanBranch makes a branch whose first commit has no parent
// and holds one file, through POST git/trees, git/commits and git/refs, as
// a client does that wants a branch unrelated to the default branch's
// history: the contents API then reads and writes on it.
func TestGitDataOrphanBranch(t *testing.T) {
	s, c := withRepo(t, "")
	s.PutFile(repo, "main", ".github/workflows/x.yml", []byte("on: push\n"), "a workflow")
	ctx := context.Background()

	tree, res, err := c.Git.CreateTree(ctx, "acme", "app", "", []*github.TreeEntry{blobEntry("app.json", `{"v":1}`)})
	if err != nil || res.StatusCode != http.StatusCreated {
		t.Fatalf("create tree: %v", err)
	}
	if got := treePaths(t, tree); !slices.Equal(got, []string{"blob app.json"}) || tree.GetSHA() == "" || tree.GetTruncated() {
		t.Fatalf("tree %s: %v truncated=%v", tree.GetSHA(), got, tree.GetTruncated())
	}
	blob := tree.Entries[0].GetSHA()
	if e := tree.Entries[0]; e.GetMode() != "100644" || e.GetSize() != len(`{"v":1}`) || !strings.HasSuffix(e.GetURL(), "/git/blobs/"+blob) {
		t.Errorf("tree entry %v", e)
	}
	// git's name for the blob: `printf '{"v":1}' | git hash-object --stdin`
	if blob != "5f8b795830acbab5961c1a28c76a7916c9631493" {
		t.Errorf("blob sha %q", blob)
	}

	when := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	cm, res, err := c.Git.CreateCommit(ctx, "acme", "app", &github.Commit{
		Message: github.String("ledger: first write"),
		Tree:    &github.Tree{SHA: tree.SHA},
		Author:  &github.CommitAuthor{Name: github.String("ladder"), Email: github.String("ladder@example.com"), Date: &github.Timestamp{Time: when}},
	}, nil)
	if err != nil || res.StatusCode != http.StatusCreated {
		t.Fatalf("create commit: %v", err)
	}
	if len(cm.Parents) != 0 || cm.GetTree().GetSHA() != tree.GetSHA() || cm.GetMessage() != "ledger: first write" || len(cm.GetSHA()) != 40 {
		t.Fatalf("commit %+v", cm)
	}
	if a, co := cm.GetAuthor(), cm.GetCommitter(); a.GetName() != "ladder" || !a.GetDate().Time.Equal(when) || co.GetName() != "ladder" {
		t.Errorf("author %v committer %v, want ladder for both (the committer defaults to the author)", a, co)
	}
	if _, ok := s.Head(repo, "ledger"); ok {
		t.Fatal("creating a commit moved a ref")
	}

	ref, _, err := c.Git.CreateRef(ctx, "acme", "app", &github.Reference{Ref: github.String("refs/heads/ledger"),
		Object: &github.GitObject{SHA: cm.SHA}})
	if err != nil || ref.GetObject().GetSHA() != cm.GetSHA() {
		t.Fatalf("create ref: %v", err)
	}
	if h := s.History(repo, "ledger"); len(h) != 1 || len(h[0].Parents) != 0 || h[0].SHA != cm.GetSHA() {
		t.Fatalf("history of the new branch %+v, want one root commit", h)
	}
	if p := s.Paths(repo, "ledger"); !slices.Equal(p, []string{"app.json"}) {
		t.Fatalf("files on the new branch %v, want only app.json", p)
	}

	// The contents API reads the file, with the tree entry's blob sha, and
	// lists only it at the root.
	opts := &github.RepositoryContentGetOptions{Ref: "ledger"}
	fc, _, _, err := c.Repositories.GetContents(ctx, "acme", "app", "app.json", opts)
	if err != nil {
		t.Fatal(err)
	}
	if body, _ := fc.GetContent(); body != `{"v":1}` || fc.GetSHA() != blob {
		t.Fatalf("GET contents: %q sha %s, want the tree entry's blob %s", body, fc.GetSHA(), blob)
	}
	_, dir, _, err := c.Repositories.GetContents(ctx, "acme", "app", "", opts)
	if err != nil || len(dir) != 1 || dir[0].GetPath() != "app.json" {
		t.Fatalf("root of the new branch: %v %v", dir, err)
	}
	rc, _, err := c.Repositories.GetCommit(ctx, "acme", "app", "ledger", nil)
	if err != nil || len(rc.Parents) != 0 || rc.GetCommit().GetTree().GetSHA() != tree.GetSHA() {
		t.Fatalf("GET commits/ledger: %v %+v", err, rc)
	}
	gc, _, err := c.Git.GetCommit(ctx, "acme", "app", cm.GetSHA())
	if err != nil || gc.GetSHA() != cm.GetSHA() || len(gc.Parents) != 0 {
		t.Fatalf("GET git/commits: %v %+v", err, gc)
	}

	// A write through the contents API is a child of the root commit.
	upd, _, err := c.Repositories.UpdateFile(ctx, "acme", "app", "app.json", &github.RepositoryContentFileOptions{
		Message: github.String("second write"), Content: []byte(`{"v":2}`), SHA: github.String(blob), Branch: github.String("ledger")})
	if err != nil {
		t.Fatal(err)
	}
	if h := s.History(repo, "ledger"); len(h) != 2 || h[0].SHA != upd.Commit.GetSHA() || !slices.Equal(h[0].Parents, []string{cm.GetSHA()}) {
		t.Fatalf("history after a contents write %+v", h)
	}
	if p := s.Paths(repo, "ledger"); !slices.Equal(p, []string{"app.json"}) {
		t.Fatalf("files after a contents write %v", p)
	}
	if p := s.Paths(repo, "main"); !slices.Equal(p, []string{".github/workflows/x.yml"}) {
		t.Fatalf("main changed: %v", p)
	}

	// A lagging replica has not seen the branch the file came with.
	s.StaleReads(repo, "app.json", 2)
	if fc, _, _, err := c.Repositories.GetContents(ctx, "acme", "app", "app.json", opts); err != nil {
		t.Fatal(err)
	} else if body, _ := fc.GetContent(); body != `{"v":1}` {
		t.Fatalf("stale read after the second write: %q, want the first", body)
	}
	_, _, _, err = c.Repositories.GetContents(ctx, "acme", "app", "app.json", &github.RepositoryContentGetOptions{Ref: cm.GetSHA()})
	if status(t, err) != http.StatusNotFound || !strings.HasPrefix(message(err), "No commit found for the ref") {
		t.Fatalf("stale read of the root commit's file: want 404 No commit found, got %v", err)
	}
}

// TestGitDataTrees: base_tree, nested paths, entries by blob sha, subtrees,
// deletions, and GET git/trees with and without recursive.
func TestGitDataTrees(t *testing.T) {
	s, c := withRepo(t, "")
	s.PutFile(repo, "main", "README.md", []byte("hello\n"), "readme")
	s.PutFile(repo, "main", "docs/guide.md", []byte("guide\n"), "guide")
	ctx := context.Background()

	head, _, err := c.Repositories.GetCommit(ctx, "acme", "app", "main", nil)
	if err != nil {
		t.Fatal(err)
	}
	base := head.GetCommit().GetTree().GetSHA()
	full, _, err := c.Git.GetTree(ctx, "acme", "app", base, true)
	if err != nil {
		t.Fatal(err)
	}
	if got := treePaths(t, full); !slices.Equal(got, []string{"blob README.md", "tree docs", "blob docs/guide.md"}) {
		t.Fatalf("recursive tree of main: %v", got)
	}
	var readme, docs string
	for _, e := range full.Entries {
		switch e.GetPath() {
		case "README.md":
			readme = e.GetSHA()
		case "docs":
			docs = e.GetSHA()
		}
	}
	if top, _, err := c.Git.GetTree(ctx, "acme", "app", "main", false); err != nil || !slices.Equal(treePaths(t, top), []string{"blob README.md", "tree docs"}) || top.GetSHA() != base {
		t.Fatalf("GET git/trees/main: %v %v", err, top)
	}
	sub, _, err := c.Git.GetTree(ctx, "acme", "app", docs, false)
	if err != nil || !slices.Equal(treePaths(t, sub), []string{"blob guide.md"}) {
		t.Fatalf("GET the docs subtree: %v %v", err, sub)
	}

	tree, _, err := c.Git.CreateTree(ctx, "acme", "app", base, []*github.TreeEntry{
		blobEntry("src/lib/a.go", "package lib\n"), // nested, new
		{Path: github.String("COPY.md"), Mode: github.String("100644"), Type: github.String("blob"), SHA: &readme}, // an existing blob
		{Path: github.String("manual"), Mode: github.String("040000"), Type: github.String("tree"), SHA: &docs},    // an existing tree
		{Path: github.String("README.md"), Mode: github.String("100644"), Type: github.String("blob")},             // sha null: delete
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := treePaths(t, tree); !slices.Equal(got, []string{"blob COPY.md", "tree docs", "tree manual", "tree src"}) {
		t.Fatalf("new tree %v", got)
	}
	cm, _, err := c.Git.CreateCommit(ctx, "acme", "app", &github.Commit{Message: github.String("reshape"), Tree: &github.Tree{SHA: tree.SHA},
		Parents: []*github.Commit{{SHA: head.SHA}}}, nil)
	if err != nil || len(cm.Parents) != 1 || cm.Parents[0].GetSHA() != head.GetSHA() {
		t.Fatalf("commit with a parent: %v %+v", err, cm)
	}
	// a child of main's head: main fast-forwards to it
	if _, _, err := c.Git.UpdateRef(ctx, "acme", "app", &github.Reference{Ref: github.String("refs/heads/main"),
		Object: &github.GitObject{SHA: cm.SHA}}, false); err != nil {
		t.Fatal(err)
	}
	want := []string{"COPY.md", "docs/guide.md", "manual/guide.md", "src/lib/a.go"}
	if p := s.Paths(repo, "main"); !slices.Equal(p, want) {
		t.Fatalf("files on main %v, want %v", p, want)
	}
	if b, ok := s.File(repo, "main", "COPY.md"); !ok || string(b) != "hello\n" {
		t.Errorf("COPY.md: %q", b)
	}

	// An empty tree is git's empty tree.
	empty, _, err := c.Git.CreateTree(ctx, "acme", "app", "", []*github.TreeEntry{})
	if err != nil || empty.GetSHA() != "4b825dc642cb6eb9a060e54bf8d69288fbee4904" || len(empty.Entries) != 0 {
		t.Fatalf("empty tree: %v %+v", err, empty)
	}
	if _, _, err := c.Git.GetTree(ctx, "acme", "app", strings.Repeat("0", 40), false); status(t, err) != http.StatusNotFound {
		t.Errorf("GET an unknown tree: %v", err)
	}
	if _, _, err := c.Git.GetCommit(ctx, "acme", "app", strings.Repeat("0", 40)); status(t, err) != http.StatusNotFound {
		t.Errorf("GET an unknown git commit: %v", err)
	}
}

// TestGitDataValidation: GitHub's 422s for bad trees and commits, and the
// access rules every write has.
func TestGitDataValidation(t *testing.T) {
	s := ghsim.NewServer(t)
	s.CreateRepo(repo)
	s.CreateRepo("acme/other")
	head, _ := s.Head(repo, "main")
	s.AddToken("writer", map[string]string{repo: "write", "acme/other": "read"})
	c := client(t, s, "writer")
	ctx := context.Background()
	tree, _, err := c.Git.CreateTree(ctx, "acme", "app", "", []*github.TreeEntry{blobEntry("a.txt", "a")})
	if err != nil {
		t.Fatal(err)
	}
	missing := strings.Repeat("f", 40)

	post := func(path, body string) (int, string) {
		t.Helper()
		req, err := c.NewRequest(http.MethodPost, path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Body = io.NopCloser(strings.NewReader(body))
		req.ContentLength = int64(len(body))
		req.Header.Set("Content-Type", "application/json")
		_, err = c.Do(ctx, req, nil)
		return status(t, err), message(err)
	}
	for _, tc := range []struct {
		name, path, body string
		status           int
		msg              string
	}{
		{"tree without tree", "repos/acme/app/git/trees", `{}`, 422, "Invalid request.\n\n\"tree\" wasn't supplied."},
		{"bad base_tree", "repos/acme/app/git/trees", `{"base_tree":"` + missing + `","tree":[]}`, 422, "base_tree is not a valid tree oid"},
		{"a commit is not a base_tree", "repos/acme/app/git/trees", `{"base_tree":"` + head + `","tree":[]}`, 422, "base_tree is not a valid tree oid"},
		{"unknown blob", "repos/acme/app/git/trees", `{"tree":[{"path":"x","mode":"100644","type":"blob","sha":"` + missing + `"}]}`, 422, "tree.sha " + missing + " is not a valid blob"},
		{"unknown subtree", "repos/acme/app/git/trees", `{"tree":[{"path":"x","mode":"040000","type":"tree","sha":"` + missing + `"}]}`, 422, "tree.sha " + missing + " is not a valid tree"},
		{"sha and content", "repos/acme/app/git/trees", `{"tree":[{"path":"x","mode":"100644","type":"blob","sha":"` + missing + `","content":"x"}]}`, 422, "use either tree.sha or content"},
		{"delete what is not there", "repos/acme/app/git/trees", `{"tree":[{"path":"x","mode":"100644","type":"blob","sha":null}]}`, 422, "does not exist"},
		{"bad mode", "repos/acme/app/git/trees", `{"tree":[{"path":"x","mode":"644","type":"blob","content":"x"}]}`, 422, "not a valid tree.mode"},
		{"mode and type disagree", "repos/acme/app/git/trees", `{"tree":[{"path":"x","mode":"040000","type":"blob","content":"x"}]}`, 422, "does not match"},
		{"bad path", "repos/acme/app/git/trees", `{"tree":[{"path":"a/../b","mode":"100644","type":"blob","content":"x"}]}`, 422, "not a valid path"},
		{"no path", "repos/acme/app/git/trees", `{"tree":[{"mode":"100644","type":"blob","content":"x"}]}`, 422, "\"path\" wasn't supplied"},
		{"not JSON", "repos/acme/app/git/trees", `{`, 400, "Problems parsing JSON"},
		{"commit without message", "repos/acme/app/git/commits", `{"tree":"` + tree.GetSHA() + `"}`, 422, "Invalid request.\n\n\"message\" wasn't supplied."},
		{"commit without tree", "repos/acme/app/git/commits", `{"message":"m"}`, 422, "Invalid request.\n\n\"tree\" wasn't supplied."},
		{"unknown tree", "repos/acme/app/git/commits", `{"message":"m","tree":"` + missing + `"}`, 422, "Tree SHA does not exist"},
		{"short parent", "repos/acme/app/git/commits", `{"message":"m","tree":"` + tree.GetSHA() + `","parents":["` + head[:7] + `"]}`, 422, "Each SHA in the 'parents' parameter must be exactly 40 characters and contain only [0-9a-f]."},
		{"unknown parent", "repos/acme/app/git/commits", `{"message":"m","tree":"` + tree.GetSHA() + `","parents":["` + missing + `"]}`, 422, "Parent SHA does not exist or is not a commit object"},
		{"read-only tree", "repos/acme/other/git/trees", `{"tree":[]}`, 403, "Resource not accessible by integration"},
		{"read-only commit", "repos/acme/other/git/commits", `{"message":"m","tree":"4b825dc642cb6eb9a060e54bf8d69288fbee4904"}`, 403, "Resource not accessible by integration"},
		{"unknown repository", "repos/acme/nope/git/trees", `{"tree":[]}`, 404, "Not Found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, msg := post(tc.path, tc.body)
			if st != tc.status || !strings.Contains(msg, tc.msg) {
				t.Errorf("%d %q, want %d %q", st, msg, tc.status, tc.msg)
			}
		})
	}
	// the SDK's own calls meet the same rules
	if _, _, err := c.Git.CreateCommit(ctx, "acme", "other", &github.Commit{Message: github.String("m"), Tree: &github.Tree{SHA: tree.SHA}}, nil); status(t, err) != http.StatusForbidden {
		t.Errorf("commit in a read-only repository: %v", err)
	}
	if _, _, err := client(t, s, "nobody").Git.CreateTree(ctx, "acme", "app", "", nil); status(t, err) != http.StatusUnauthorized {
		t.Errorf("unknown token: %v", err)
	}
	// a tree is not a commit: a ref cannot point at it
	_, _, err = c.Git.CreateRef(ctx, "acme", "app", &github.Reference{Ref: github.String("refs/heads/t"), Object: &github.GitObject{SHA: tree.SHA}})
	if status(t, err) != http.StatusUnprocessableEntity || message(err) != "Object does not exist" {
		t.Errorf("ref to a tree: %v", err)
	}
}
