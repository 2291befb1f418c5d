package source

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-github/v60/github"

	"github.com/ladder-release/ladder/internal/ghsim"
	"github.com/ladder-release/ladder/internal/testutil/gitserver"
)

const testToken = "ghs_lsrefsTestToken0123456789"

// gitBackend is a server ladder lists refs from: the real git http-backend,
// or the GitHub simulator. Both hold acme/app after seed.
type gitBackend struct {
	name      string
	server    string // what GITHUB_SERVER_URL would hold
	commit    func(branch, message string) string
	tag       func(name, commit string)
	annotated func(name, commit, message string) string // returns the tag object
	requests  func() []string                           // "METHOD /path", in order
	reset     func()
	sim       *ghsim.Server // nil for git http-backend
}

func backends(t *testing.T, fn func(t *testing.T, b *gitBackend)) {
	t.Run("git-http-backend", func(t *testing.T) {
		srv := gitserver.New(t)
		r := srv.Repo("acme/app.git")
		fn(t, &gitBackend{
			name:      "git http-backend",
			server:    srv.URL(),
			commit:    r.Commit,
			tag:       r.Tag,
			annotated: r.AnnotatedTag,
			requests: func() []string {
				var out []string
				for _, q := range srv.Requests() {
					out = append(out, strings.SplitN(q, "?", 2)[0])
				}
				return out
			},
			reset: srv.ResetRequests,
		})
	})
	t.Run("ghsim", func(t *testing.T) {
		s := ghsim.NewServer(t)
		s.CreateRepo("acme/app")
		s.CreateRepo("acme/secret")
		s.AddToken(testToken, map[string]string{"acme/app": "read"})
		fn(t, &gitBackend{
			name:      "ghsim",
			server:    s.ServerURL(),
			commit:    func(branch, message string) string { return s.Commit("acme/app", branch, message) },
			tag:       func(name, commit string) { s.Tag("acme/app", name, commit) },
			annotated: func(name, commit, message string) string { return s.AnnotatedTag("acme/app", name, commit, message) },
			requests: func() []string {
				var out []string
				for _, r := range s.Requests() {
					out = append(out, r.Method+" "+r.Path)
				}
				return out
			},
			reset: s.ResetStats,
			sim:   s,
		})
	})
}

// refsWorld: main and main-old at c1, feature at c2; tags v1.0.0 -> c1
// (lightweight), v1.1.0 -> c2 (annotated), operator/v2.0.0 -> c2
// (annotated), operator-x/v3.0.0 -> c1.
type refsWorld struct {
	c1, c2, v110, op200 string
}

func seedRefs(b *gitBackend) refsWorld {
	var w refsWorld
	w.c1 = b.commit("main", "one")
	b.commit("main-old", "old") // from main on ghsim; a root commit on git
	w.c2 = b.commit("feature", "two")
	b.tag("v1.0.0", w.c1)
	w.v110 = b.annotated("v1.1.0", w.c2, "release 1.1.0")
	w.op200 = b.annotated("operator/v2.0.0", w.c2, "operator 2.0.0")
	b.tag("operator-x/v3.0.0", w.c1)
	b.reset()
	return w
}

func newGitHTTP(t *testing.T, server string, client *http.Client, opts ...GitHTTPOption) *GitHTTP {
	t.Helper()
	g, err := NewGitHTTP(server, client, append([]GitHTTPOption{WithToken(testToken)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestLsRefs proves the client against the real git http-backend and the
// simulator: ref prefixes, peeled annotated tags, one request (ls-refs
// without the capability advertisement, which both answer).
func TestLsRefs(t *testing.T) {
	backends(t, func(t *testing.T, b *gitBackend) {
		w := seedRefs(b)
		g := newGitHTTP(t, b.server, nil)
		for _, c := range []struct {
			name     string
			prefixes []string
			want     []Ref
		}{
			{"a branch prefix matches by prefix", []string{"refs/heads/main"}, []Ref{
				{Name: "refs/heads/main", Object: w.c1},
				{Name: "refs/heads/main-old", Object: b.headOf(t, g, "refs/heads/main-old")},
			}},
			{"tags, annotated ones peeled", []string{"refs/tags/v"}, []Ref{
				{Name: "refs/tags/v1.0.0", Object: w.c1},
				{Name: "refs/tags/v1.1.0", Object: w.v110, Peeled: w.c2},
			}},
			{"a tag prefix ending in a slash", []string{"refs/tags/operator/"}, []Ref{
				{Name: "refs/tags/operator/v2.0.0", Object: w.op200, Peeled: w.c2},
			}},
			{"several prefixes", []string{"refs/heads/feature", "refs/tags/operator-x/"}, []Ref{
				{Name: "refs/heads/feature", Object: w.c2},
				{Name: "refs/tags/operator-x/v3.0.0", Object: w.c1},
			}},
			{"nothing under the prefix", []string{"refs/tags/nope/"}, []Ref{}},
		} {
			t.Run(c.name, func(t *testing.T) {
				b.reset()
				got, err := g.LsRefs(context.Background(), "acme/app", c.prefixes...)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, c.want) {
					t.Errorf("LsRefs(%q) =\n%v\nwant\n%v", c.prefixes, got, c.want)
				}
				want := []string{"POST /acme/app.git/git-upload-pack"}
				if reqs := b.requests(); !reflect.DeepEqual(reqs, want) {
					t.Errorf("requests %q, want %q", reqs, want)
				}
			})
		}
		if got := mustLsRefs(t, g); len(got) < 8 {
			t.Errorf("without prefixes: %v, want every ref", got)
		}
	})
}

// headOf reads a ref through LsRefs itself; used where the backends build a
// branch differently (its exact commit does not matter).
func (b *gitBackend) headOf(t *testing.T, g *GitHTTP, name string) string {
	t.Helper()
	refs, err := g.LsRefs(context.Background(), "acme/app", name)
	if err != nil || len(refs) == 0 {
		t.Fatalf("%s: %v %v", name, refs, err)
	}
	return refs[0].Object
}

func mustLsRefs(t *testing.T, g *GitHTTP, prefixes ...string) []Ref {
	t.Helper()
	refs, err := g.LsRefs(context.Background(), "acme/app", prefixes...)
	if err != nil {
		t.Fatal(err)
	}
	return refs
}

// dropHeader is a proxy that drops Git-Protocol: the server then answers in
// protocol v0, whose advertisement holds every ref.
type dropHeader struct{ next http.RoundTripper }

func (d dropHeader) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	r.Header.Del("Git-Protocol")
	return d.next.RoundTrip(r)
}

// TestLsRefsProtocolV0: a server that answers in v0 is read from its
// advertisement, with the same refs, peeled, filtered by prefix on the
// client. The first listing tries ls-refs alone, which such a server does
// not answer; from then on the client asks for the advertisement at once:
// one request.
func TestLsRefsProtocolV0(t *testing.T) {
	backends(t, func(t *testing.T, b *gitBackend) {
		w := seedRefs(b)
		g := newGitHTTP(t, b.server, &http.Client{Transport: dropHeader{http.DefaultTransport}})
		want := []Ref{
			{Name: "refs/heads/feature", Object: w.c2},
			{Name: "refs/tags/operator/v2.0.0", Object: w.op200, Peeled: w.c2},
		}
		for i, wantReqs := range [][]string{
			{"POST /acme/app.git/git-upload-pack", "GET /acme/app.git/info/refs"},
			{"GET /acme/app.git/info/refs"},
		} {
			b.reset()
			got := mustLsRefs(t, g, "refs/tags/operator/", "refs/heads/feature")
			if !reflect.DeepEqual(got, want) {
				t.Errorf("listing %d: LsRefs = %v, want %v", i+1, got, want)
			}
			if reqs := b.requests(); !reflect.DeepEqual(reqs, wantReqs) {
				t.Errorf("listing %d: requests %q, want %q", i+1, reqs, wantReqs)
			}
		}
	})
}

// TestLsRefsRefusals: 401, 403 and 404 say what is wrong, name the
// repository, and never hold the token.
func TestLsRefsRefusals(t *testing.T) {
	s := ghsim.NewServer(t)
	s.CreateRepo("acme/app")
	s.CreateRepo("acme/secret")
	s.AddToken(testToken, map[string]string{"acme/app": "read"})
	s.AddToken("ghs_other", map[string]string{"acme/app": "read"})
	for _, c := range []struct {
		name, token, repo string
		fault             *ghsim.Fault
		want              []string
	}{
		{"no token", "", "acme/app", nil, []string{"acme/app", "asks for credentials (401", "no token was given"}},
		{"a token the server does not know", "ghs_wrongToken42", "acme/app", nil, []string{"acme/app", "refused the token (401", "not a valid token"}},
		{"a repository the token cannot read", testToken, "acme/secret", nil,
			[]string{"repository acme/secret not found at " + s.ServerURL() + " or the token cannot read it (404: Repository not found.)", "contents: read"}},
		{"no such repository", testToken, "acme/none", nil, []string{"repository acme/none not found"}},
		{"403", testToken, "acme/app", &ghsim.Fault{Status: 403, Body: "SAML SSO enforced; " + testToken, Header: map[string]string{"Content-Type": "text/plain"}},
			[]string{"refused the token access to repository acme/app (403: SAML SSO enforced; xxxxx)", "contents: read"}},
		{"500", testToken, "acme/app", &ghsim.Fault{Status: 500}, []string{"acme/app", "500 Internal Server Error"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var opts []GitHTTPOption
			if c.token != "" {
				opts = append(opts, WithToken(c.token))
			}
			g, err := NewGitHTTP(s.ServerURL(), nil, opts...)
			if err != nil {
				t.Fatal(err)
			}
			if c.fault != nil {
				// on ls-refs alone; a 5xx also on the advertisement, which
				// the client asks for after it (a 403 is final)
				paths := []string{"/acme/app.git/git-upload-pack"}
				if c.fault.Status >= 500 {
					paths = append(paths, "/acme/app.git/info/refs")
				}
				for _, path := range paths {
					f := *c.fault
					f.Path = path
					s.Inject(f)
				}
			}
			_, err = g.LsRefs(context.Background(), c.repo, "refs/heads/main")
			if err == nil {
				t.Fatal("no error")
			}
			t.Log(err)
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if c.token != "" && strings.Contains(err.Error(), c.token) {
				t.Errorf("error holds the token: %v", err)
			}
		})
	}
}

// TestLsRefsBadAnswers: what is not git's protocol is refused with a reason.
func TestLsRefsBadAnswers(t *testing.T) {
	const adv = "001e# service=git-upload-pack\n0000000eversion 2\n000cls-refs\n0000"
	oid := strings.Repeat("a", 40)
	for _, c := range []struct {
		name, advType, adv, lsType, ls, want string
	}{
		{"a web page", "text/html", "<html>", "", "", `does not speak git's smart HTTP protocol (GET /acme/app.git/info/refs answered Content-Type "text/html"`},
		{"v2 without ls-refs", "application/x-git-upload-pack-advertisement", "000eversion 2\n0000", "", "", "offers no ls-refs"},
		{"a cut advertisement", "application/x-git-upload-pack-advertisement", "000eversion 2\n", "", "", "ends before its flush"},
		{"a bad length", "application/x-git-upload-pack-advertisement", "zzzz", "", "", `bad pkt-line length "zzzz"`},
		{"a cut listing", "application/x-git-upload-pack-advertisement", adv, "application/x-git-upload-pack-result",
			fmt.Sprintf("%04x%s refs/heads/main\n", 4+len(oid)+17, oid), "ends before its flush"},
		{"an ERR advertisement", "application/x-git-upload-pack-advertisement", "001e# service=git-upload-pack\n00000010ERR go away\n", "", "", "the server says: go away"},
		{"an ERR line", "application/x-git-upload-pack-advertisement", adv, "application/x-git-upload-pack-result", "000eERR nope\n0000", "the server says: nope"},
		{"not an object id", "application/x-git-upload-pack-advertisement", adv, "application/x-git-upload-pack-result", "0017xyz refs/heads/main\n0000", `unexpected line "xyz refs/heads/main"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodGet {
					w.Header().Set("Content-Type", c.advType)
					fmt.Fprint(w, c.adv)
					return
				}
				w.Header().Set("Content-Type", c.lsType)
				fmt.Fprint(w, c.ls)
			}))
			defer srv.Close()
			g := newGitHTTP(t, srv.URL, nil)
			_, err := g.LsRefs(context.Background(), "acme/app", "refs/heads/main")
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want it to say %q", err, c.want)
			}
		})
	}
}

// TestLsRefsRequest: what goes on the wire: git's User-Agent (GitHub answers
// no other), the token as basic auth with user x-access-token, v2 asked
// for, and a prefix that would add an argument line refused before any
// request.
func TestLsRefsRequest(t *testing.T) {
	var seen []*http.Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r)
		w.Header().Set("Content-Type", "application/x-git-upload-pack-advertisement")
		fmt.Fprint(w, "000eversion 2\n000cls-refs\n0000")
	}))
	defer srv.Close()
	g := newGitHTTP(t, srv.URL, nil, WithProduct("ladder/1.2.3"))
	if _, err := g.LsRefs(context.Background(), "acme/app", "refs/heads/main\nref-prefix refs/"); err == nil || !strings.Contains(err.Error(), "is not one line of text") {
		t.Errorf("a prefix with a line break: %v", err)
	}
	if len(seen) != 0 {
		t.Fatalf("%d requests made for a refused prefix", len(seen))
	}
	g.LsRefs(context.Background(), "acme/app", "refs/heads/main") //nolint:errcheck // the answer is not git's: only the request matters
	if len(seen) == 0 {
		t.Fatal("no request")
	}
	r := seen[0]
	user, pass, ok := r.BasicAuth()
	if !ok || user != "x-access-token" || pass != testToken {
		t.Errorf("basic auth %q %q %v", user, pass, ok)
	}
	if ua := r.Header.Get("User-Agent"); ua != "git/2.0 (ladder/1.2.3)" {
		t.Errorf("User-Agent %q", ua)
	}
	if p := r.Header.Get("Git-Protocol"); p != "version=2" {
		t.Errorf("Git-Protocol %q", p)
	}
}

// TestGitHubSource: branch heads, tag listings and tag pins through git
// (one request each, none of the REST API), a SHA pin through the
// REST API (one request); 2,000 tags, prefixes kept apart.
func TestGitHubSource(t *testing.T) {
	s := ghsim.NewServer(t)
	const repo = "acme/big"
	s.CreateRepo(repo)
	s.AddToken(testToken, map[string]string{repo: "read"})
	c1 := s.Commit(repo, "main", "one")
	head := s.Commit(repo, "main", "two")
	s.Commit(repo, "main-old", "old")
	for i := 0; i < 2000; i++ {
		s.Tag(repo, fmt.Sprintf("v1.%d.%d", i/100, i%100), c1)
	}
	opObj := s.AnnotatedTag(repo, "operator/v1.0.0", head, "operator")
	s.Tag(repo, "operator-x/v9.0.0", c1)
	rest := github.NewClient(nil).WithAuthToken(testToken)
	rest.BaseURL = mustURL(t, s.URL()+"/")
	src, err := NewGitHub(rest, newGitHTTP(t, s.ServerURL(), nil), repo)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, c := range []struct {
		name         string
		call         func() (any, error)
		want         any
		git, restReq int
	}{
		{"branch", func() (any, error) { return src.Branch(ctx, "main") }, head, 1, 0},
		{"2,000 tags", func() (any, error) {
			tags, err := src.Tags(ctx, "")
			return len(tags), err
		}, 2002, 1, 0},
		{"tags under operator/", func() (any, error) { return src.Tags(ctx, "operator/") }, []Tag{{Name: "operator/v1.0.0", Commit: head}}, 1, 0},
		{"a tag pin, annotated", func() (any, error) { return src.Commit(ctx, "operator/v1.0.0") }, head, 1, 0},
		{"a tag pin, refs/tags/ given", func() (any, error) { return src.Commit(ctx, "refs/tags/v1.19.99") }, c1, 1, 0},
		{"a SHA pin", func() (any, error) { return src.Commit(ctx, c1) }, c1, 0, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			s.ResetStats()
			got, err := c.call()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
			git, restN := 0, 0
			for _, r := range s.Requests() {
				if r.Git {
					git++
				} else {
					restN++
				}
			}
			if git != c.git || restN != c.restReq {
				t.Errorf("%d git and %d REST requests, want %d and %d", git, restN, c.git, c.restReq)
			}
		})
	}
	if opObj == head {
		t.Fatal("the annotated tag's object is its commit")
	}

	_, err = src.Branch(ctx, "mai")
	wantNotFound(t, err, `branch "mai"`, repo)
	_, err = src.Commit(ctx, "v9.9.9")
	wantNotFound(t, err, `tag "v9.9.9"`, repo)
	_, err = src.Commit(ctx, c1[:12])
	wantNotFound(t, err, "full 40-hex SHA")
	_, err = src.Commit(ctx, strings.Repeat("b", 40))
	wantNotFound(t, err, strings.Repeat("b", 40))
}

func mustURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestLsRefsRefusesOddRepositories: what is not owner/name never reaches
// the server (a ".." would climb out of the repository's path).
func TestLsRefsRefusesOddRepositories(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("request %s %s", r.Method, r.URL)
	}))
	defer srv.Close()
	g := newGitHTTP(t, srv.URL, nil)
	for _, repo := range []string{"acme", "acme/app/x", "../app", "acme/..", "acme/.", "acme/a b", ""} {
		if _, err := g.LsRefs(context.Background(), repo); err == nil || !strings.Contains(err.Error(), "is not owner/name") {
			t.Errorf("LsRefs(%q): %v", repo, err)
		}
	}
}
