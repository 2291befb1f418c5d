package ghsim_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-github/v60/github"

	"github.com/ladder-release/ladder/internal/ghsim"
)

// TestCompareShapes: GET /repos/{o}/{r}/compare/{base}...{head} answers as
// GitHub documents it ("Compare two commits"), one case per status.
func TestCompareShapes(t *testing.T) {
	s, c := withRepo(t, "")
	ctx := context.Background()
	base := s.Commit(repo, "main", "base")
	s.Tag(repo, "v1.0.0", base)
	one := s.CommitBy(repo, "main", "feat: one\n\nthe body", ghsim.Signature{Name: "Ann Author", Email: "ann@example.com"})
	two := s.Commit(repo, "main", "fix: two")
	three := s.Commit(repo, "main", "docs: three")
	// a force-push: release/1 had base..three, now base plus one other commit
	s.SetBranch(repo, "release/1", base)
	other := s.Commit(repo, "release/1", "rewrite")

	for _, tc := range []struct {
		name, base, head string
		status           string
		ahead, behind    int
		commits          []string
		mergeBase        string
	}{
		{"ahead: head has commits base has not", base, three, "ahead", 3, 0, []string{one, two, three}, base},
		{"behind: base has commits head has not, none listed", three, base, "behind", 0, 3, nil, base},
		{"identical: one commit", two, two, "identical", 0, 0, nil, two},
		{"diverged: a force-pushed branch", three, other, "diverged", 1, 3, []string{other}, base},
		{"refs by name: a tag and a branch with a slash", "v1.0.0", "release/1", "ahead", 1, 0, []string{other}, base},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmp, _, err := c.Repositories.CompareCommits(ctx, "acme", "app", tc.base, tc.head, nil)
			if err != nil {
				t.Fatal(err)
			}
			if cmp.GetStatus() != tc.status || cmp.GetAheadBy() != tc.ahead || cmp.GetBehindBy() != tc.behind || cmp.GetTotalCommits() != tc.ahead {
				t.Errorf("status %s ahead %d behind %d total %d, want %s %d %d %d", cmp.GetStatus(), cmp.GetAheadBy(), cmp.GetBehindBy(), cmp.GetTotalCommits(),
					tc.status, tc.ahead, tc.behind, tc.ahead)
			}
			var got []string
			for _, cm := range cmp.Commits {
				got = append(got, cm.GetSHA())
			}
			if !slices.Equal(got, tc.commits) {
				t.Errorf("commits %v, want %v (oldest first)", got, tc.commits)
			}
			if cmp.GetMergeBaseCommit().GetSHA() != tc.mergeBase {
				t.Errorf("merge base %s, want %s", cmp.GetMergeBaseCommit().GetSHA(), tc.mergeBase)
			}
			wantHTML := s.ServerURL() + "/acme/app/compare/" + tc.base + "..." + tc.head
			if cmp.GetHTMLURL() != wantHTML || cmp.GetDiffURL() != wantHTML+".diff" || cmp.GetPatchURL() != wantHTML+".patch" {
				t.Errorf("html_url %s diff %s patch %s, want %s", cmp.GetHTMLURL(), cmp.GetDiffURL(), cmp.GetPatchURL(), wantHTML)
			}
			if !strings.HasPrefix(cmp.GetPermalinkURL(), s.ServerURL()+"/acme/app/compare/acme:") || cmp.GetBaseCommit().GetSHA() == "" {
				t.Errorf("permalink %s base %s", cmp.GetPermalinkURL(), cmp.GetBaseCommit().GetSHA())
			}
		})
	}

	// a commit's message and author as the API gives them
	cmp, _, err := c.Repositories.CompareCommits(ctx, "acme", "app", base, one, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(cmp.Commits) != 1 || cmp.Commits[0].GetCommit().GetMessage() != "feat: one\n\nthe body" ||
		cmp.Commits[0].GetCommit().GetAuthor().GetName() != "Ann Author" || cmp.Commits[0].GetHTMLURL() != s.ServerURL()+"/acme/app/commit/"+one {
		t.Errorf("commit %+v", cmp.Commits)
	}
}

// TestCompareRawKeys: the JSON keys of the answer and of a listed commit, as
// GitHub's schema names them (a client other than go-github reads these).
func TestCompareRawKeys(t *testing.T) {
	s := ghsim.NewServer(t)
	s.CreateRepo(repo)
	a := s.Commit(repo, "main", "a")
	b := s.Commit(repo, "main", "b")
	resp, err := http.Get(s.URL() + "/repos/acme/app/compare/" + a + "..." + b)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"url", "html_url", "permalink_url", "diff_url", "patch_url", "base_commit", "merge_base_commit",
		"status", "ahead_by", "behind_by", "total_commits", "commits", "files"} {
		if _, ok := body[k]; !ok {
			t.Errorf("no %q in the answer", k)
		}
	}
	var commits []map[string]json.RawMessage
	if err := json.Unmarshal(body["commits"], &commits); err != nil || len(commits) != 1 {
		t.Fatalf("commits %s: %v", body["commits"], err)
	}
	for _, k := range []string{"sha", "node_id", "commit", "url", "html_url", "author", "committer", "parents"} {
		if _, ok := commits[0][k]; !ok {
			t.Errorf("no %q in a listed commit", k)
		}
	}
}

// TestCompareMany: without a paging parameter GitHub lists at most 250
// commits, the newest last; with per_page it pages from the oldest, with a
// Link header; total_commits counts them all.
func TestCompareMany(t *testing.T) {
	s, c := withRepo(t, "")
	ctx := context.Background()
	base := s.Commit(repo, "main", "base")
	var shas []string
	for i := range 260 {
		shas = append(shas, s.Commit(repo, "main", fmt.Sprintf("change %d", i+1)))
	}
	cmp, _, err := c.Repositories.CompareCommits(ctx, "acme", "app", base, "main", nil)
	if err != nil {
		t.Fatal(err)
	}
	if cmp.GetTotalCommits() != 260 || cmp.GetAheadBy() != 260 || len(cmp.Commits) != 250 ||
		cmp.Commits[249].GetSHA() != shas[259] || cmp.Commits[0].GetSHA() != shas[10] {
		t.Errorf("total %d, listed %d: want 260 and the newest 250", cmp.GetTotalCommits(), len(cmp.Commits))
	}
	cmp, resp, err := c.Repositories.CompareCommits(ctx, "acme", "app", base, "main", &github.ListOptions{PerPage: 20})
	if err != nil {
		t.Fatal(err)
	}
	if cmp.GetTotalCommits() != 260 || len(cmp.Commits) != 20 || cmp.Commits[0].GetSHA() != shas[0] || cmp.Commits[19].GetSHA() != shas[19] {
		t.Errorf("per_page 20: total %d, listed %d, want 260 and the oldest 20", cmp.GetTotalCommits(), len(cmp.Commits))
	}
	if resp.NextPage != 2 || resp.LastPage != 13 {
		t.Errorf("Link: next %d last %d, want 2 and 13", resp.NextPage, resp.LastPage)
	}
	cmp, _, err = c.Repositories.CompareCommits(ctx, "acme", "app", base, "main", &github.ListOptions{PerPage: 500, Page: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(cmp.Commits) != 60 || cmp.Commits[0].GetSHA() != shas[200] {
		t.Errorf("per_page is at most 100: page 3 lists %d", len(cmp.Commits))
	}
}

// TestCompareNotFound: an unknown ref or repository, a basehead that is not
// BASE...HEAD, and two histories with nothing in common are 404.
func TestCompareNotFound(t *testing.T) {
	s, c := withRepo(t, "")
	s.CreateRepo("acme/other")
	ctx := context.Background()
	head := s.Commit(repo, "main", "one")
	for _, tc := range []struct{ name, repo, base, head string }{
		{"unknown base", "app", strings.Repeat("0", 40), head},
		{"unknown head", "app", head, "no-such-branch"},
		{"unknown repository", "nope", head, head},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := c.Repositories.CompareCommits(ctx, "acme", tc.repo, tc.base, tc.head, nil)
			if status(t, err) != http.StatusNotFound {
				t.Errorf("got %v, want 404", err)
			}
		})
	}
	resp, err := http.Get(s.URL() + "/repos/acme/app/compare/" + head + ".." + head)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("two dots: %d %s, want 404", resp.StatusCode, body)
	}
	// a root commit of its own: no common ancestor
	hc, _, err := c.Git.GetCommit(ctx, "acme", "app", head)
	if err != nil {
		t.Fatal(err)
	}
	root, _, err := c.Git.CreateCommit(ctx, "acme", "app", &github.Commit{Message: github.String("root"), Tree: hc.Tree}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Repositories.CompareCommits(ctx, "acme", "app", head, root.GetSHA(), nil); status(t, err) != http.StatusNotFound {
		t.Errorf("no common ancestor: got %v, want 404", err)
	}
}
