package ghsim_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/ladder-release/ladder/internal/ghsim"
)

const repo = "acme/app"

// client returns a plain go-github client (no retries) for the simulator.
func client(t *testing.T, s *ghsim.Server, token string) *github.Client {
	t.Helper()
	c := github.NewClient(&http.Client{Transport: &http.Transport{}})
	u, err := url.Parse(s.URL() + "/")
	if err != nil {
		t.Fatal(err)
	}
	c.BaseURL = u
	if token != "" {
		c = c.WithAuthToken(token)
	}
	return c
}

// withRepo starts a simulator (opts) holding repo, empty, and returns it
// with a client sending token ("" for none).
func withRepo(t *testing.T, token string, opts ...ghsim.Option) (*ghsim.Server, *github.Client) {
	t.Helper()
	s := ghsim.NewServer(t, opts...)
	s.CreateRepo(repo)
	return s, client(t, s, token)
}

func status(t *testing.T, err error) int {
	t.Helper()
	var er *github.ErrorResponse
	if errors.As(err, &er) {
		return er.Response.StatusCode
	}
	var rl *github.RateLimitError
	if errors.As(err, &rl) {
		return rl.Response.StatusCode
	}
	if err == nil {
		return 0
	}
	t.Fatalf("not a GitHub answer: %v", err)
	return 0
}

func message(err error) string {
	var er *github.ErrorResponse
	if errors.As(err, &er) {
		return er.Message
	}
	return ""
}

func TestPaginationWalksAllPages(t *testing.T) {
	s := ghsim.NewServer(t)
	s.CreateRepo(repo)
	head := s.Commit(repo, "main", "one")
	for i := 0; i < 250; i++ {
		s.Tag(repo, fmt.Sprintf("v0.%d.0", i), head)
	}
	c := client(t, s, "")
	ctx := context.Background()

	for _, tc := range []struct {
		perPage, wantPages int
	}{{0, 9}, {100, 3}, {500, 3}, {7, 36}} {
		seen := map[string]bool{}
		opt := &github.ListOptions{PerPage: tc.perPage}
		pages := 0
		for {
			tags, resp, err := c.Repositories.ListTags(ctx, "acme", "app", opt)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			for _, tg := range tags {
				if tg.GetCommit().GetSHA() != head {
					t.Fatalf("tag %s peeled to %s, want %s", tg.GetName(), tg.GetCommit().GetSHA(), head)
				}
				seen[tg.GetName()] = true
			}
			if pages == 1 && tc.wantPages > 1 && resp.LastPage != tc.wantPages {
				t.Errorf("per_page %d: last page %d, want %d", tc.perPage, resp.LastPage, tc.wantPages)
			}
			if pages > 1 && (resp.FirstPage != 1 || resp.PrevPage != pages-1) {
				t.Errorf("per_page %d page %d: first %d prev %d", tc.perPage, pages, resp.FirstPage, resp.PrevPage)
			}
			if resp.NextPage == 0 {
				break
			}
			opt.Page = resp.NextPage
		}
		if pages != tc.wantPages || len(seen) != 250 {
			t.Errorf("per_page %d: %d pages, %d tags; want %d pages, 250 tags", tc.perPage, pages, len(seen), tc.wantPages)
		}
	}
	if got := s.Counts()["GET /repos/{owner}/{repo}/tags"]; got != 9+3+3+36 {
		t.Errorf("tags route counted %d requests", got)
	}
}

func TestRefsCommitsAndAnnotatedTags(t *testing.T) {
	s := ghsim.NewServer(t)
	s.CreateRepo(repo)
	c1 := s.Commit(repo, "main", "first")
	c2 := s.Commit(repo, "feature/x", "on a branch")
	tagObj := s.AnnotatedTag(repo, "operator/v1.2.3", c1, "release 1.2.3")
	s.Tag(repo, "v0.1.0", c2)
	c := client(t, s, "")
	ctx := context.Background()

	if len(c1) != 40 || tagObj == c1 {
		t.Fatalf("sha %q, tag object %q", c1, tagObj)
	}
	for _, ref := range []string{c1, c1[:7], "operator/v1.2.3", "refs/tags/operator/v1.2.3", tagObj} {
		rc, _, err := c.Repositories.GetCommit(ctx, "acme", "app", ref, nil)
		if err != nil {
			t.Fatalf("commit %s: %v", ref, err)
		}
		if rc.GetSHA() != c1 {
			t.Errorf("commit %s = %s, want %s (peeled)", ref, rc.GetSHA(), c1)
		}
	}
	rc, _, err := c.Repositories.GetCommit(ctx, "acme", "app", "refs/heads/feature/x", nil)
	if err != nil || rc.GetSHA() != c2 || rc.Parents[0].GetSHA() != c1 || rc.GetCommit().GetMessage() != "on a branch" {
		t.Fatalf("branch commit: %v %+v", err, rc)
	}
	sha, _, err := c.Repositories.GetCommitSHA1(ctx, "acme", "app", "feature/x", "")
	if err != nil || sha != c2 {
		t.Fatalf("GetCommitSHA1 = %q, %v", sha, err)
	}
	if _, resp, err := c.Repositories.GetCommitSHA1(ctx, "acme", "app", "feature/x", c2); err == nil || resp.StatusCode != http.StatusNotModified {
		t.Errorf("GetCommitSHA1 with the last sha: want 304, got %v", err)
	}
	_, _, err = c.Repositories.GetCommit(ctx, "acme", "app", "nope", nil)
	if status(t, err) != http.StatusUnprocessableEntity || !strings.Contains(message(err), "No commit found for SHA: nope") {
		t.Errorf("unknown ref: %v", err)
	}
	_, _, err = c.Repositories.GetCommit(ctx, "acme", "gone", "main", nil)
	if status(t, err) != http.StatusNotFound {
		t.Errorf("unknown repo: %v", err)
	}

	b, _, err := c.Repositories.GetBranch(ctx, "acme", "app", "feature/x", 0)
	if err != nil || b.GetCommit().GetSHA() != c2 {
		t.Fatalf("branch: %v %v", err, b)
	}
	// go-github's GetBranch answers a non-200 with a plain error and the response.
	if _, resp, err := c.Repositories.GetBranch(ctx, "acme", "app", "missing", 0); err == nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("missing branch: %v", err)
	}

	ref, _, err := c.Git.GetRef(ctx, "acme", "app", "tags/operator/v1.2.3")
	if err != nil || ref.GetObject().GetType() != "tag" || ref.GetObject().GetSHA() != tagObj {
		t.Fatalf("tag ref: %v %+v", err, ref)
	}
	tag, _, err := c.Git.GetTag(ctx, "acme", "app", tagObj)
	if err != nil || tag.GetObject().GetSHA() != c1 || tag.GetMessage() != "release 1.2.3" || tag.GetTag() != "operator/v1.2.3" {
		t.Fatalf("tag object: %v %+v", err, tag)
	}
	refs, _, err := c.Git.ListMatchingRefs(ctx, "acme", "app", &github.ReferenceListOptions{Ref: "tags/"})
	if err != nil || len(refs) != 2 || refs[0].GetRef() != "refs/tags/operator/v1.2.3" || refs[1].GetRef() != "refs/tags/v0.1.0" {
		t.Fatalf("matching refs: %v %v", err, refs)
	}
	if _, _, err := c.Git.GetRef(ctx, "acme", "app", "heads/nope"); status(t, err) != http.StatusNotFound {
		t.Errorf("missing ref: %v", err)
	}

	tags, _, err := c.Repositories.ListTags(ctx, "acme", "app", nil)
	if err != nil || len(tags) != 2 {
		t.Fatal(err, tags)
	}
	for _, tg := range tags {
		want := map[string]string{"operator/v1.2.3": c1, "v0.1.0": c2}[tg.GetName()]
		if tg.GetCommit().GetSHA() != want {
			t.Errorf("tag %s -> %s, want %s", tg.GetName(), tg.GetCommit().GetSHA(), want)
		}
	}

	newRef, _, err := c.Git.CreateRef(ctx, "acme", "app", &github.Reference{Ref: github.String("refs/heads/ladder-ledger"),
		Object: &github.GitObject{SHA: github.String(c1)}})
	if err != nil || newRef.GetObject().GetSHA() != c1 {
		t.Fatalf("create ref: %v", err)
	}
	_, _, err = c.Git.CreateRef(ctx, "acme", "app", &github.Reference{Ref: github.String("refs/heads/ladder-ledger"),
		Object: &github.GitObject{SHA: github.String(c1)}})
	if status(t, err) != http.StatusUnprocessableEntity || message(err) != "Reference already exists" {
		t.Errorf("create existing ref: %v", err)
	}
	if head, _ := s.Head(repo, "ladder-ledger"); head != c1 {
		t.Errorf("new branch head %s", head)
	}
}

func TestContentsCompareAndSwap(t *testing.T) {
	s, c := withRepo(t, "")
	s.PutFile(repo, "main", "ledger/app.json", []byte(`{"v":1}`), "seed")
	ctx := context.Background()

	fc, _, _, err := c.Repositories.GetContents(ctx, "acme", "app", "ledger/app.json", nil)
	if err != nil {
		t.Fatal(err)
	}
	body, err := fc.GetContent()
	if err != nil || body != `{"v":1}` {
		t.Fatalf("content %q, %v", body, err)
	}
	stale := fc.GetSHA()

	// A concurrent writer lands between our GET and our PUT.
	s.Inject(ghsim.Fault{Method: "PUT", Path: "/repos/acme/app/contents/**", Before: func() {
		s.PutFile(repo, "main", "ledger/app.json", []byte(`{"v":2}`), "other job")
	}})
	_, _, err = c.Repositories.UpdateFile(ctx, "acme", "app", "ledger/app.json", &github.RepositoryContentFileOptions{
		Message: github.String("mine"), Content: []byte(`{"v":3}`), SHA: github.String(stale)})
	if status(t, err) != http.StatusConflict || !strings.Contains(message(err), "does not match") {
		t.Fatalf("stale sha: want 409 does not match, got %v", err)
	}
	_, _, err = c.Repositories.CreateFile(ctx, "acme", "app", "ledger/app.json", &github.RepositoryContentFileOptions{
		Message: github.String("mine"), Content: []byte(`{"v":3}`)})
	if status(t, err) != http.StatusUnprocessableEntity {
		t.Fatalf("missing sha on an existing file: want 422, got %v", err)
	}

	// Reload and retry: it lands, as a commit with our message and author.
	fc, _, _, err = c.Repositories.GetContents(ctx, "acme", "app", "ledger/app.json", &github.RepositoryContentGetOptions{Ref: "main"})
	if err != nil {
		t.Fatal(err)
	}
	res, resp, err := c.Repositories.UpdateFile(ctx, "acme", "app", "ledger/app.json", &github.RepositoryContentFileOptions{
		Message: github.String("promote testing -> v1.2.0 by alice (run 42)"), Content: []byte(`{"v":3}`),
		SHA: fc.SHA, Committer: &github.CommitAuthor{Name: github.String("ladder"), Email: github.String("ladder@example.com")}})
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatal(err)
	}
	got, _ := s.File(repo, "main", "ledger/app.json")
	if string(got) != `{"v":3}` || res.Content.GetSHA() == fc.GetSHA() {
		t.Fatalf("file %q, new sha %s", got, res.Content.GetSHA())
	}
	h := s.History(repo, "main")
	if h[0].SHA != res.Commit.GetSHA() || h[0].Message != "promote testing -> v1.2.0 by alice (run 42)" ||
		h[0].Committer.Name != "ladder" || h[1].Message != "other job" || h[1].SHA != h[0].Parents[0] {
		t.Fatalf("history: %+v", h[:2])
	}

	// A new file on another branch; a missing branch is 404.
	_, resp, err = c.Repositories.CreateFile(ctx, "acme", "app", "new.txt", &github.RepositoryContentFileOptions{
		Message: github.String("add"), Content: []byte("hi"), Branch: github.String("main")})
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %v", err)
	}
	_, _, err = c.Repositories.CreateFile(ctx, "acme", "app", "x.txt", &github.RepositoryContentFileOptions{
		Message: github.String("add"), Content: []byte("hi"), Branch: github.String("nope")})
	if status(t, err) != http.StatusNotFound {
		t.Errorf("missing branch: %v", err)
	}

	// Directory listing and DownloadContents.
	_, dir, _, err := c.Repositories.GetContents(ctx, "acme", "app", "ledger", nil)
	if err != nil || len(dir) != 1 || dir[0].GetName() != "app.json" {
		t.Fatalf("dir: %v %v", err, dir)
	}
	rc, _, err := c.Repositories.DownloadContents(ctx, "acme", "app", "ledger/app.json", nil)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(rc)
	rc.Close()
	if string(raw) != `{"v":3}` {
		t.Errorf("download %q", raw)
	}
	if _, _, _, err := c.Repositories.GetContents(ctx, "acme", "app", "nope.json", nil); status(t, err) != http.StatusNotFound {
		t.Errorf("missing file: %v", err)
	}
}

func TestLargeFile(t *testing.T) {
	s := ghsim.NewServer(t)
	s.CreateRepo(repo)
	big := []byte(strings.Repeat("0123456789abcdef", 128*1024)) // 2 MB
	s.PutFile(repo, "main", "big.bin", big, "big")
	c := client(t, s, "")
	ctx := context.Background()

	fc, _, _, err := c.Repositories.GetContents(ctx, "acme", "app", "big.bin", nil)
	if err != nil {
		t.Fatal(err)
	}
	if fc.GetEncoding() != "none" || fc.Content == nil || *fc.Content != "" || fc.GetSize() != len(big) {
		t.Fatalf("large file: encoding %q content %v size %d", fc.GetEncoding(), fc.Content, fc.GetSize())
	}
	if _, err := fc.GetContent(); err == nil {
		t.Error("GetContent should refuse encoding none")
	}

	req, _ := c.NewRequest("GET", "repos/acme/app/contents/big.bin", nil)
	req.Header.Set("Accept", "application/vnd.github.raw")
	var buf strings.Builder
	if _, err := c.Do(ctx, req, &buf); err != nil || buf.String() != string(big) {
		t.Fatalf("raw: %v, %d bytes", err, buf.Len())
	}

	blob, _, err := c.Git.GetBlob(ctx, "acme", "app", fc.GetSHA())
	if err != nil {
		t.Fatal(err)
	}
	dec, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(blob.GetContent(), "\n", ""))
	if err != nil || string(dec) != string(big) {
		t.Fatalf("blob: %v", err)
	}
	if rawBlob, _, err := c.Git.GetBlobRaw(ctx, "acme", "app", fc.GetSHA()); err != nil || string(rawBlob) != string(big) {
		t.Fatalf("raw blob: %v", err)
	}
}

func TestStaleReads(t *testing.T) {
	s := ghsim.NewServer(t)
	s.CreateRepo(repo)
	s.PutFile(repo, "ledger", "app.json", []byte(`{"v":1}`), "one")
	s.PutFile(repo, "ledger", "app.json", []byte(`{"v":2}`), "two")
	s.PutFile(repo, "ledger", "other.json", []byte(`{}`), "unrelated, after") // not a change of app.json
	big1 := []byte(strings.Repeat("a", 1<<20+1))                              // over 1 MB: read through the blobs API
	big2 := []byte(strings.Repeat("b", 1<<20+1))
	s.PutFile(repo, "ledger", "big.json", big1, "big one")
	s.PutFile(repo, "ledger", "big.json", big2, "big two")
	c := client(t, s, "")
	ctx := context.Background()
	opts := &github.RepositoryContentGetOptions{Ref: "ledger"}
	read := func(path string) (content, sha string) {
		t.Helper()
		fc, _, _, err := c.Repositories.GetContents(ctx, "acme", "app", path, opts)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		content, err = fc.GetContent()
		if err != nil {
			t.Fatal(err)
		}
		return content, fc.GetSHA()
	}
	_, fresh := read("app.json")

	s.StaleReads(repo, "app.json", 2)
	if _, _, _, err := c.Repositories.GetContents(ctx, "acme", "app", "other.json", opts); err != nil || s.PendingFaults() != 2 {
		t.Fatalf("another file's read took a stale answer: %v, %d left", err, s.PendingFaults())
	}
	body, stale := read("app.json")
	if body != `{"v":1}` || stale == fresh {
		t.Fatalf("stale read: %q sha %s (fresh %s), want the previous version", body, stale, fresh)
	}
	// the raw media type is a contents read too
	req, _ := c.NewRequest("GET", "repos/acme/app/contents/app.json?ref=ledger", nil)
	req.Header.Set("Accept", "application/vnd.github.raw")
	var raw strings.Builder
	if _, err := c.Do(ctx, req, &raw); err != nil || raw.String() != `{"v":1}` {
		t.Fatalf("stale raw read: %q %v", raw.String(), err)
	}
	if body, sha := read("app.json"); body != `{"v":2}` || sha != fresh {
		t.Fatalf("after the stale reads: %q %s", body, sha)
	}
	// a writer that read stale meets the compare-and-swap
	_, _, err := c.Repositories.UpdateFile(ctx, "acme", "app", "app.json", &github.RepositoryContentFileOptions{
		Message: github.String("from a stale read"), Content: []byte(`{"v":9}`), SHA: github.String(stale), Branch: github.String("ledger")})
	if status(t, err) != http.StatusConflict {
		t.Fatalf("write against the stale sha: want 409, got %v", err)
	}

	// A large file: the stale answer names the earlier blob, which the
	// blobs API serves.
	s.StaleReads(repo, "big.json", 1)
	fc, _, _, err := c.Repositories.GetContents(ctx, "acme", "app", "big.json", opts)
	if err != nil || fc.GetEncoding() != "none" {
		t.Fatalf("stale large read: %v encoding %q", err, fc.GetEncoding())
	}
	if b, _, err := c.Git.GetBlobRaw(ctx, "acme", "app", fc.GetSHA()); err != nil || string(b) != string(big1) {
		t.Fatalf("blob of the stale sha: %v, %d bytes, want the first version", err, len(b))
	}

	// A file without an earlier version is not there yet for a lagging replica.
	s.StaleReads(repo, "other.json", 1)
	if _, _, _, err := c.Repositories.GetContents(ctx, "acme", "app", "other.json", opts); status(t, err) != http.StatusNotFound {
		t.Fatalf("stale read of a new file: want 404, got %v", err)
	}
	if s.PendingFaults() != 0 {
		t.Fatalf("%d stale reads left", s.PendingFaults())
	}
}

func TestDispatchValidation(t *testing.T) {
	s, c := withRepo(t, "writer")
	s.CreateRepo("acme/other")
	s.AddToken("writer", map[string]string{repo: "write", "acme/other": "read"})
	ctx := context.Background()

	payload := func(keys, size int) *json.RawMessage {
		m := map[string]string{}
		for i := 0; i < keys; i++ {
			m[fmt.Sprint("k", i)] = strings.Repeat("x", size)
		}
		b, _ := json.Marshal(m)
		r := json.RawMessage(b)
		return &r
	}
	for _, tc := range []struct {
		name  string
		repo  string
		req   github.DispatchRequestOptions
		code  int
		inMsg string
	}{
		{"empty event type", "app", github.DispatchRequestOptions{EventType: ""}, 422, "too short"},
		{"long event type", "app", github.DispatchRequestOptions{EventType: strings.Repeat("e", 101)}, 422, "too long"},
		{"11 keys", "app", github.DispatchRequestOptions{EventType: "x", ClientPayload: payload(11, 1)}, 422, "No more than 10 properties"},
		{"over 64 KB", "app", github.DispatchRequestOptions{EventType: "x", ClientPayload: payload(2, 40<<10)}, 422, "too large"},
		{"unknown repo", "gone", github.DispatchRequestOptions{EventType: "x"}, 404, "Not Found"},
		{"read only", "other", github.DispatchRequestOptions{EventType: "x"}, 403, "Resource not accessible by integration"},
	} {
		_, _, err := c.Repositories.Dispatch(ctx, "acme", tc.repo, tc.req)
		if status(t, err) != tc.code || !strings.Contains(message(err), tc.inMsg) {
			t.Errorf("%s: want %d %q, got %v", tc.name, tc.code, tc.inMsg, err)
		}
	}
	if len(s.Dispatches(repo)) != 0 {
		t.Fatal("an invalid dispatch was recorded")
	}
	_, resp, err := c.Repositories.Dispatch(ctx, "acme", "app", github.DispatchRequestOptions{
		EventType: strings.Repeat("e", 100), ClientPayload: payload(10, 10)})
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("valid dispatch: %v", err)
	}
	d := s.Dispatches(repo)
	if len(d) != 1 || len(d[0].EventType) != 100 || !strings.Contains(string(d[0].ClientPayload), `"k9"`) || d[0].Time.IsZero() {
		t.Fatalf("recorded %+v", d)
	}
}

func TestAuthAndPermissions(t *testing.T) {
	s := ghsim.NewServer(t)
	s.CreateRepo(repo)
	s.CreateRepo("acme/secret")
	s.AddToken("reader", map[string]string{repo: "read"})
	s.AddToken("admin", map[string]string{"*": "admin"})
	ctx := context.Background()

	for _, tok := range []string{"", "wrong"} {
		_, _, err := client(t, s, tok).Repositories.Get(ctx, "acme", "app")
		if status(t, err) != http.StatusUnauthorized || message(err) != "Bad credentials" {
			t.Errorf("token %q: %v", tok, err)
		}
	}
	r, _, err := client(t, s, "reader").Repositories.Get(ctx, "acme", "app")
	if err != nil || !r.GetPermissions()["pull"] || r.GetPermissions()["push"] || r.GetDefaultBranch() != "main" || r.GetFullName() != repo {
		t.Fatalf("reader: %v %+v", err, r.GetPermissions())
	}
	if _, _, err := client(t, s, "reader").Repositories.Get(ctx, "acme", "secret"); status(t, err) != http.StatusNotFound {
		t.Errorf("no access must look like 404: %v", err)
	}
	r, _, err = client(t, s, "admin").Repositories.Get(ctx, "acme", "secret")
	if err != nil || !r.GetPermissions()["admin"] {
		t.Fatalf("admin: %v", err)
	}
}

func TestETagNotModifiedIsFree(t *testing.T) {
	s, c := withRepo(t, "tok", ghsim.WithRateLimit(10))
	ctx := context.Background()

	req, _ := c.NewRequest("GET", "repos/acme/app", nil)
	resp, err := c.Do(ctx, req, nil)
	if err != nil {
		t.Fatal(err)
	}
	etag := resp.Header.Get("ETag")
	if etag == "" || resp.Rate.Remaining != 9 || resp.Rate.Limit != 10 || resp.Header.Get("X-Ratelimit-Used") != "1" ||
		resp.Header.Get("X-Ratelimit-Resource") != "core" || resp.Rate.Reset.IsZero() {
		t.Fatalf("headers: %v", resp.Header)
	}
	for i := 0; i < 3; i++ {
		req, _ := c.NewRequest("GET", "repos/acme/app", nil)
		req.Header.Set("If-None-Match", etag)
		resp, err = c.Do(ctx, req, nil)
		if resp == nil || resp.StatusCode != http.StatusNotModified {
			t.Fatalf("conditional GET: %v %v", resp, err)
		}
		if resp.Rate.Remaining != 9 {
			t.Errorf("a 304 was counted: remaining %d", resp.Rate.Remaining)
		}
	}
	// A change gives a new ETag.
	s.Commit(repo, "main", "change")
	req, _ = c.NewRequest("GET", "repos/acme/app/branches/main", nil)
	resp, err = c.Do(ctx, req, nil)
	if err != nil {
		t.Fatal(err)
	}
	e1 := resp.Header.Get("ETag")
	s.Commit(repo, "main", "change again")
	req, _ = c.NewRequest("GET", "repos/acme/app/branches/main", nil)
	req.Header.Set("If-None-Match", e1)
	resp, err = c.Do(ctx, req, nil)
	if err != nil || resp.StatusCode != http.StatusOK || resp.Rate.Remaining != 7 {
		t.Fatalf("changed resource: %v %v", resp.Status, err)
	}
	rl, _, err := c.RateLimit.Get(ctx)
	if err != nil || rl.Core.Remaining != 7 || rl.Core.Limit != 10 {
		t.Fatalf("rate_limit: %v %+v", err, rl)
	}
}

func TestRateLimitExhausted(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	s, c := withRepo(t, "tok", ghsim.WithRateLimit(2), ghsim.WithNow(clock))
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		if _, _, err := c.Repositories.Get(ctx, "acme", "app"); err != nil {
			t.Fatal(err)
		}
	}
	// A fresh client: go-github would otherwise refuse locally.
	_, resp, err := client(t, s, "tok").Repositories.Get(ctx, "acme", "app")
	var rl *github.RateLimitError
	if !errors.As(err, &rl) || resp.StatusCode != http.StatusForbidden || resp.Header.Get("X-Ratelimit-Remaining") != "0" ||
		resp.Header.Get("X-Ratelimit-Reset") != fmt.Sprint(now.Add(time.Hour).Unix()) {
		t.Fatalf("want a primary rate limit 403, got %v", err)
	}
	// Another token has its own quota.
	if _, _, err := client(t, s, "other").Repositories.Get(ctx, "acme", "app"); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	now = now.Add(time.Hour)
	mu.Unlock()
	if _, _, err := client(t, s, "tok").Repositories.Get(ctx, "acme", "app"); err != nil {
		t.Fatalf("after the reset: %v", err)
	}
}

func TestChecksAndStatuses(t *testing.T) {
	s := ghsim.NewServer(t)
	s.CreateRepo(repo)
	sha := s.Commit(repo, "main", "x")
	s.AddCheckRun(repo, sha, "build", "completed", "failure")
	s.AddCheckRun(repo, sha, "build", "completed", "success") // a re-run: the latest counts
	s.AddCheckRun(repo, sha, "e2e", "in_progress", "")
	for i := 0; i < 40; i++ {
		s.AddCheckRun(repo, sha, fmt.Sprint("lint-", i), "completed", "success")
	}
	s.AddStatus(repo, sha, "ci/jenkins", "pending")
	s.AddStatus(repo, sha, "ci/jenkins", "success")
	s.AddStatus(repo, sha, "security", "success")
	c := client(t, s, "")
	ctx := context.Background()

	res, _, err := c.Checks.ListCheckRunsForRef(ctx, "acme", "app", "main", &github.ListCheckRunsOptions{CheckName: github.String("build")})
	if err != nil || res.GetTotal() != 1 || res.CheckRuns[0].GetConclusion() != "success" {
		t.Fatalf("latest build: %v %+v", err, res)
	}
	res, _, err = c.Checks.ListCheckRunsForRef(ctx, "acme", "app", sha, &github.ListCheckRunsOptions{CheckName: github.String("build"), Filter: github.String("all")})
	if err != nil || res.GetTotal() != 2 {
		t.Fatalf("all builds: %v %+v", err, res)
	}
	res, _, err = c.Checks.ListCheckRunsForRef(ctx, "acme", "app", sha, &github.ListCheckRunsOptions{Status: github.String("in_progress")})
	if err != nil || res.GetTotal() != 1 || res.CheckRuns[0].GetName() != "e2e" || res.CheckRuns[0].Conclusion != nil {
		t.Fatalf("in progress: %v %+v", err, res)
	}
	total := 0
	opt := &github.ListCheckRunsOptions{ListOptions: github.ListOptions{PerPage: 100}}
	for page := 1; ; page++ {
		opt.PerPage = 10
		res, resp, err := c.Checks.ListCheckRunsForRef(ctx, "acme", "app", sha, opt)
		if err != nil || res.GetTotal() != 42 {
			t.Fatal(err, res.GetTotal())
		}
		total += len(res.CheckRuns)
		if resp.NextPage == 0 {
			break
		}
		opt.Page = resp.NextPage
	}
	if total != 42 {
		t.Errorf("walked %d check runs", total)
	}

	cs, _, err := c.Repositories.GetCombinedStatus(ctx, "acme", "app", sha, nil)
	if err != nil || cs.GetState() != "success" || cs.GetTotalCount() != 2 {
		t.Fatalf("combined: %v %+v", err, cs)
	}
	s.AddStatus(repo, sha, "security", "failure")
	cs, _, _ = c.Repositories.GetCombinedStatus(ctx, "acme", "app", sha, nil)
	if cs.GetState() != "failure" {
		t.Errorf("combined state %s", cs.GetState())
	}
	sts, _, err := c.Repositories.ListStatuses(ctx, "acme", "app", sha, nil)
	if err != nil || len(sts) != 4 || sts[0].GetState() != "failure" {
		t.Fatalf("statuses: %v %v", err, sts)
	}
	if _, _, err := c.Checks.ListCheckRunsForRef(ctx, "acme", "app", "nope", nil); status(t, err) != http.StatusUnprocessableEntity {
		t.Errorf("unknown ref: %v", err)
	}
}

func TestEnterprisePrefix(t *testing.T) {
	s := ghsim.NewServer(t, ghsim.WithPrefix("/api/v3"))
	s.CreateRepo(repo)
	if !strings.HasSuffix(s.URL(), "/api/v3") {
		t.Fatalf("URL %s", s.URL())
	}
	c, err := github.NewClient(nil).WithEnterpriseURLs(s.URL(), s.URL())
	if err != nil {
		t.Fatal(err)
	}
	r, _, err := c.Repositories.Get(context.Background(), "acme", "app")
	if err != nil || r.GetName() != "app" || !strings.Contains(r.GetURL(), "/api/v3/repos/acme/app") {
		t.Fatalf("GHES: %v %v", err, r.GetURL())
	}
	resp, err := http.Get(strings.TrimSuffix(s.URL(), "/api/v3") + "/repos/acme/app")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("outside the prefix: %d", resp.StatusCode)
	}
	if got := s.Requests(); got[0].Path != "/repos/acme/app" || got[0].Route != "GET /repos/{owner}/{repo}" {
		t.Errorf("log %+v", got[0])
	}
}

func TestFaults(t *testing.T) {
	s, c := withRepo(t, "")
	ctx := context.Background()

	s.Inject(ghsim.Fault{Method: "GET", Path: "/repos/*/app", Times: 2, Status: 502})
	s.Inject(ghsim.Fault{Path: "/repos/acme/app", Status: 429, Header: map[string]string{"Retry-After": "3"}})
	s.Inject(ghsim.Fault{Path: "/repos/acme/app", Status: 403, Message: "You have exceeded a secondary rate limit"})
	s.Inject(ghsim.Fault{Path: "/repos/acme/app", Drop: true})
	for i, want := range []int{502, 502, 429, 403} {
		_, resp, err := c.Repositories.Get(ctx, "acme", "app")
		if resp == nil || resp.StatusCode != want {
			t.Fatalf("request %d: want %d, got %v", i, want, err)
		}
		if want == 429 && resp.Header.Get("Retry-After") != "3" {
			t.Errorf("retry-after missing")
		}
		if want == 403 && (!strings.Contains(message(err), "secondary rate limit") || resp.Header.Get("Retry-After") != "") {
			t.Errorf("secondary: %v", err)
		}
	}
	// A fresh connection: net/http itself resends an idempotent request
	// dropped on a reused one.
	if _, _, err := client(t, s, "").Repositories.Get(ctx, "acme", "app"); err == nil {
		t.Fatal("dropped connection: want an error")
	}
	if s.PendingFaults() != 0 {
		t.Fatalf("%d faults left", s.PendingFaults())
	}
	if _, _, err := c.Repositories.Get(ctx, "acme", "app"); err != nil {
		t.Fatalf("after the faults: %v", err)
	}
	var statuses []int
	for _, r := range s.Requests() {
		statuses = append(statuses, r.Status)
	}
	if fmt.Sprint(statuses) != "[502 502 429 403 0 200]" {
		t.Errorf("log statuses %v", statuses)
	}
}

func TestLatencyAndInFlight(t *testing.T) {
	const n, latency = 8, 50 * time.Millisecond
	// The sleep hook records each latency wait and holds every request in it
	// until all n are there: they can only all get there if the server serves
	// them at once, and none may be answered or logged before its wait ends.
	var (
		mu      sync.Mutex
		waits   []time.Duration
		arrived = make(chan struct{}, n)
		release = make(chan struct{})
	)
	sleep := func(d time.Duration) {
		mu.Lock()
		waits = append(waits, d)
		mu.Unlock()
		arrived <- struct{}{}
		<-release
	}
	s, c := withRepo(t, "", ghsim.WithLatency(latency), ghsim.WithSleep(sleep))
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, _, err := c.Repositories.Get(context.Background(), "acme", "app"); err != nil {
				t.Error(err)
			}
		}()
	}
	for i := 0; i < n; i++ {
		<-arrived // blocks (test timeout) if the server serialises requests
	}
	if got := s.MaxInFlight(); got != n {
		t.Errorf("MaxInFlight %d with %d requests held in flight, want %d", got, n, n)
	}
	if got := len(s.Requests()); got != 0 {
		t.Errorf("%d requests answered before their latency wait ended", got)
	}
	close(release)
	wg.Wait()
	mu.Lock()
	if fmt.Sprint(waits) != fmt.Sprint(slices.Repeat([]time.Duration{latency}, n)) {
		t.Errorf("latency waits %v, want %d of %s", waits, n, latency)
	}
	mu.Unlock()
	if reqs := s.Requests(); len(reqs) != n {
		t.Errorf("%d requests logged, want %d", len(reqs), n)
	} else {
		for _, r := range reqs {
			if r.Status != http.StatusOK {
				t.Errorf("%s %s: status %d", r.Method, r.Path, r.Status)
			}
		}
	}
	if s.MaxInFlight() != n {
		t.Errorf("MaxInFlight %d after the requests, want %d", s.MaxInFlight(), n)
	}
	s.ResetStats()
	if len(s.Requests()) != 0 || s.MaxInFlight() != 0 {
		t.Error("ResetStats")
	}
}

func signJWT(t *testing.T, key *rsa.PrivateKey, iss string, now time.Time) string {
	t.Helper()
	enc := base64.RawURLEncoding
	h, _ := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT"})
	c, _ := json.Marshal(map[string]any{"iss": iss, "iat": now.Add(-time.Minute).Unix(), "exp": now.Add(9 * time.Minute).Unix()})
	in := enc.EncodeToString(h) + "." + enc.EncodeToString(c)
	d := sha256.Sum256([]byte(in))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, d[:])
	if err != nil {
		t.Fatal(err)
	}
	return in + "." + enc.EncodeToString(sig)
}

func TestInstallationTokens(t *testing.T) {
	s := ghsim.NewServer(t)
	s.CreateRepo(repo)
	key := s.InstallApp(t, 42, 7, map[string]string{repo: "write"})
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	ctx := context.Background()

	if _, _, err := client(t, s, signJWT(t, other, "42", time.Now())).Apps.CreateInstallationToken(ctx, 7, nil); status(t, err) != http.StatusUnauthorized {
		t.Errorf("JWT signed by another key: %v", err)
	}
	if _, _, err := client(t, s, "not-a-jwt").Apps.CreateInstallationToken(ctx, 7, nil); status(t, err) != http.StatusUnauthorized {
		t.Errorf("not a JWT: %v", err)
	}
	app := client(t, s, signJWT(t, key, "42", time.Now()))
	inst, _, err := app.Apps.FindRepositoryInstallation(ctx, "acme", "app")
	if err != nil || inst.GetID() != 7 {
		t.Fatalf("installation: %v %v", err, inst)
	}
	tok, resp, err := app.Apps.CreateInstallationToken(ctx, 7, nil)
	if err != nil || resp.StatusCode != http.StatusCreated || !strings.HasPrefix(tok.GetToken(), "ghs_") ||
		time.Until(tok.GetExpiresAt().Time) < 50*time.Minute {
		t.Fatalf("token: %v %+v", err, tok)
	}
	if _, _, err := app.Apps.CreateInstallationToken(ctx, 8, nil); status(t, err) != http.StatusNotFound {
		t.Errorf("unknown installation: %v", err)
	}
	if _, _, err := client(t, s, tok.GetToken()).Repositories.Dispatch(ctx, "acme", "app", github.DispatchRequestOptions{EventType: "go"}); err != nil {
		t.Fatalf("dispatch with the installation token: %v", err)
	}
}
