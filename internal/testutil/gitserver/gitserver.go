// Package gitserver builds real git repositories for tests and serves them
// over smart HTTP with git's own http-backend (through net/http/cgi), so code
// that speaks the git protocol can be tested against the real thing, over
// file:// and over http://, without any network.
//
// Every git command runs with explicit arguments (never a shell) in a clean
// environment: HOME and XDG_CONFIG_HOME point at a temporary directory and the
// system config is ignored, so the developer's own git configuration cannot
// leak into a test.
package gitserver

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// epoch is the date of the first commit; each later commit or tag is one
// second later, so a repository built by the same sequence of calls always
// has the same SHAs.
var epoch = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

// Server is a root directory of bare repositories served over smart HTTP on
// 127.0.0.1. It is stopped by the test's Cleanup.
type Server struct {
	t       testing.TB
	root    string
	home    string
	git     string
	backend string
	srv     *httptest.Server

	mu       sync.Mutex
	requests []string // "METHOD /path?query", in arrival order
	stderr   bytes.Buffer
	tick     int // seconds after epoch of the next commit or tag
	repos    map[string]*Repo
}

// Repo is one bare repository under a Server's root.
type Repo struct {
	s    *Server
	name string
	dir  string
}

// New creates a root directory and starts serving it over smart HTTP. It
// fails the test (t.Fatal) if git or git-http-backend cannot be found.
func New(t testing.TB) *Server {
	t.Helper()
	gitBin, err := exec.LookPath("git")
	if err != nil {
		t.Fatalf("gitserver: git not found: %v", err)
	}
	out, err := exec.Command(gitBin, "--exec-path").Output()
	if err != nil {
		t.Fatalf("gitserver: git --exec-path: %v", err)
	}
	backend := filepath.Join(strings.TrimSpace(string(out)), "git-http-backend")
	if _, err := os.Stat(backend); err != nil {
		t.Fatalf("gitserver: git-http-backend not found: %v", err)
	}

	s := &Server{
		t:       t,
		root:    t.TempDir(),
		home:    t.TempDir(),
		git:     gitBin,
		backend: backend,
		repos:   map[string]*Repo{},
	}

	h := &cgi.Handler{
		Path: backend,
		Root: "/",
		Dir:  s.root,
		Env: []string{
			"GIT_PROJECT_ROOT=" + s.root,
			"GIT_HTTP_EXPORT_ALL=1",
			"HOME=" + s.home,
			"XDG_CONFIG_HOME=" + s.home,
			"GIT_CONFIG_NOSYSTEM=1",
			"LC_ALL=C",
		},
		Stderr: lockedWriter{&s.mu, &s.stderr},
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("gitserver: listen: %v", err)
	}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.requests = append(s.requests, r.Method+" "+r.URL.RequestURI())
		s.mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	s.srv.Listener.Close()
	s.srv.Listener = ln
	s.srv.Start()
	t.Cleanup(func() {
		s.srv.Close()
		if t.Failed() {
			s.mu.Lock()
			if s.stderr.Len() > 0 {
				t.Logf("gitserver: http-backend stderr:\n%s", s.stderr.String())
			}
			s.mu.Unlock()
		}
	})
	return s
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// URL is the base URL of the HTTP server (http://127.0.0.1:PORT).
func (s *Server) URL() string { return s.srv.URL }

// Root is the directory holding the bare repositories.
func (s *Server) Root() string { return s.root }

// Close stops the HTTP server. It is also done by the test's Cleanup.
func (s *Server) Close() { s.srv.Close() }

// RequestCount is the number of HTTP requests served so far.
func (s *Server) RequestCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

// Requests returns the HTTP requests served so far, in order, each as
// "METHOD /path?query".
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.requests...)
}

// RefAdvertisements counts the ref discoveries served so far (GET
// .../info/refs): every git command that talks to a remote over smart HTTP
// (ls-remote, fetch) starts with exactly one, whatever the protocol version.
func (s *Server) RefAdvertisements() int {
	n := 0
	for _, r := range s.Requests() {
		if strings.HasPrefix(r, "GET ") && strings.Contains(r, "/info/refs") {
			n++
		}
	}
	return n
}

// ResetRequests forgets the requests served so far.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}

// ClientEnv is the clean environment the helper runs git with (PATH, a
// temporary HOME, no system config, no prompts, C locale). Pass it to a
// client under test so the developer's git configuration cannot leak in.
func (s *Server) ClientEnv() []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + s.home,
		"XDG_CONFIG_HOME=" + s.home,
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_TERMINAL_PROMPT=0",
		"LC_ALL=C",
	}
}

var repoName = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]*(/[A-Za-z0-9_][A-Za-z0-9._-]*)*$`)

// Repo returns the bare repository name under the root, creating it (git
// init --bare, initial branch main) on first use. name may hold slashes
// ("org/os.git") but no "..", and must not start with "-".
func (s *Server) Repo(name string) *Repo {
	s.t.Helper()
	if !repoName.MatchString(name) || strings.Contains(name, "..") {
		s.t.Fatalf("gitserver: invalid repository name %q", name)
	}
	s.mu.Lock()
	r, ok := s.repos[name]
	s.mu.Unlock()
	if ok {
		return r
	}
	r = &Repo{s: s, name: name, dir: filepath.Join(s.root, filepath.FromSlash(name))}
	s.run(nil, nil, "init", "--quiet", "--bare", "--initial-branch=main", "--", r.dir)
	for _, kv := range [][2]string{
		{"uploadpack.allowAnySHA1InWant", "true"},
		{"uploadpack.allowReachableSHA1InWant", "true"},
		{"uploadpack.allowTipSHA1InWant", "true"},
		{"http.uploadpack", "true"},
		{"http.receivepack", "false"},
	} {
		r.git("config", "--", kv[0], kv[1])
	}
	s.mu.Lock()
	s.repos[name] = r
	s.mu.Unlock()
	return r
}

// Name is the repository's name under the root.
func (r *Repo) Name() string { return r.name }

// Dir is the repository's directory on disk.
func (r *Repo) Dir() string { return r.dir }

// HTTPURL is the repository's smart-HTTP URL.
func (r *Repo) HTTPURL() string { return r.s.srv.URL + "/" + r.name }

// FileURL is the repository's file:// URL.
func (r *Repo) FileURL() string { return "file://" + filepath.ToSlash(r.dir) }

// Commit adds a commit on branch (created if needed; its parent is the
// current head of branch) and returns its SHA. The commit changes one file,
// whose content holds the message, so every commit has its own tree.
func (r *Repo) Commit(branch, message string) string {
	r.s.t.Helper()
	ref := "refs/heads/" + branch
	r.checkRef(ref)
	parent := r.resolve(ref)
	when := r.s.nextDate()

	blob := r.gitIn(message+"\n"+when+"\n", "hash-object", "-w", "--stdin")
	tree := r.gitIn("100644 blob "+blob+"\tREADME\n", "mktree")
	args := []string{"commit-tree", tree, "-m", message}
	if parent != "" {
		args = append(args, "-p", parent)
	}
	sha := r.gitEnv(dateEnv(when), args...)
	old := parent
	if old == "" {
		old = strings.Repeat("0", len(sha))
	}
	r.git("update-ref", "-m", "gitserver commit", "--", ref, sha, old)
	return sha
}

// Tag creates the lightweight tag name pointing at sha.
func (r *Repo) Tag(name, sha string) {
	r.s.t.Helper()
	ref := "refs/tags/" + name
	r.checkRef(ref)
	r.git("update-ref", "-m", "gitserver tag", "--", ref, sha, strings.Repeat("0", len(sha)))
}

// AnnotatedTag creates the annotated tag name on sha with message and
// returns the SHA of the tag object (not of the commit it points at).
func (r *Repo) AnnotatedTag(name, sha, message string) string {
	r.s.t.Helper()
	ref := "refs/tags/" + name
	r.checkRef(ref)
	typ := r.git("cat-file", "-t", sha)
	when := r.s.nextDate()
	body := fmt.Sprintf("object %s\ntype %s\ntag %s\ntagger %s <%s> %s\n\n%s\n",
		sha, typ, name, identName, identEmail, when, message)
	obj := r.gitIn(body, "mktag")
	r.git("update-ref", "-m", "gitserver tag", "--", ref, obj, strings.Repeat("0", len(obj)))
	return obj
}

// DeleteRef removes a ref (refs/heads/x, refs/tags/x).
func (r *Repo) DeleteRef(ref string) {
	r.s.t.Helper()
	r.git("update-ref", "-d", "--", ref)
}

// Git runs git with args in the repository (--git-dir) in the clean
// environment and returns its trimmed stdout; it fails the test on error.
func (r *Repo) Git(args ...string) string {
	r.s.t.Helper()
	return r.git(args...)
}

func (r *Repo) checkRef(ref string) {
	r.s.t.Helper()
	// ref always starts with "refs/", so it cannot be taken for an option
	// (check-ref-format does not accept "--").
	r.s.run(nil, nil, "check-ref-format", ref)
}

// resolve returns the commit ref points at, or "" when it does not exist.
func (r *Repo) resolve(ref string) string {
	cmd := exec.Command(r.s.git, "--git-dir="+r.dir, "rev-parse", "--verify", "--quiet", ref+"^{commit}")
	cmd.Env = r.s.ClientEnv()
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

func (r *Repo) git(args ...string) string {
	r.s.t.Helper()
	return r.s.run(nil, nil, append([]string{"--git-dir=" + r.dir}, args...)...)
}

func (r *Repo) gitIn(stdin string, args ...string) string {
	r.s.t.Helper()
	return r.s.run(strings.NewReader(stdin), nil, append([]string{"--git-dir=" + r.dir}, args...)...)
}

func (r *Repo) gitEnv(env []string, args ...string) string {
	r.s.t.Helper()
	return r.s.run(nil, env, append([]string{"--git-dir=" + r.dir}, args...)...)
}

const (
	identName  = "Ladder Test"
	identEmail = "test@ladder.invalid"
)

func dateEnv(when string) []string {
	return []string{"GIT_AUTHOR_DATE=" + when, "GIT_COMMITTER_DATE=" + when}
}

func (s *Server) nextDate() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := epoch.Add(time.Duration(s.tick) * time.Second)
	s.tick++
	return fmt.Sprintf("%d +0000", d.Unix())
}

// run runs git with explicit args (no shell) in the clean environment plus
// extra, and returns its trimmed stdout; it fails the test on error.
func (s *Server) run(stdin *strings.Reader, extra []string, args ...string) string {
	s.t.Helper()
	cmd := exec.Command(s.git, args...)
	env := append(s.ClientEnv(),
		"GIT_AUTHOR_NAME="+identName, "GIT_AUTHOR_EMAIL="+identEmail,
		"GIT_COMMITTER_NAME="+identName, "GIT_COMMITTER_EMAIL="+identEmail,
	)
	cmd.Env = append(env, extra...)
	cmd.Dir = s.root
	if stdin != nil {
		cmd.Stdin = stdin
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		s.t.Fatalf("gitserver: git %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(stdout.String())
}
