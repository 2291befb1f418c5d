package source

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ladder-release/ladder/internal/redact"
)

// Git is the Source of a `git:` component: it runs the real git binary
// against any remote. It is safe for concurrent use.
//
// Untrusted text (branch, tag and pin names) never reaches git: refs are
// looked up in the answer of one `git ls-remote`, which is cached, so a
// Branch, a Tags and a Commit on one *Git cost one round trip in total. Only a
// commit SHA that is not the tip of a branch or tag needs a second one: it is
// fetched (`git fetch --depth=1`) into a throw-away bare repository to prove it
// exists. git runs with explicit arguments (never a shell), `--` before the
// URL, a sanitized environment, no terminal prompt, and only the protocols
// file, git, http, https and ssh allowed (GIT_ALLOW_PROTOCOL).
type Git struct {
	url     string // as given, credentials included
	display string // url without credentials, for messages
	secrets []string
	bin     string
	extra   []string // WithEnv entries
	// native, when set, lists refs over smart HTTP without the git binary
	// (the action's image has none); only http(s) remotes can be read so.
	native *http.Client

	lock chan struct{} // one slot: held while the refs are listed
	refs *gitRefs      // the cached ls-remote answer, nil until listed

	mu       sync.Mutex
	verified map[string]bool // SHAs proven to be commits by a fetch
}

// GitOption configures a Git source.
type GitOption func(*Git)

// WithGitBinary runs path instead of the git found on PATH.
func WithGitBinary(path string) GitOption {
	return func(g *Git) { g.bin = path }
}

// WithEnv adds KEY=VALUE entries to git's environment, after the variables
// kept from ladder's own environment (so they override those) and before the
// ones ladder always sets (GIT_ALLOW_PROTOCOL, GIT_TERMINAL_PROMPT, LC_ALL,
// which cannot be overridden).
func WithEnv(extra ...string) GitOption {
	return func(g *Git) { g.extra = append(g.extra, extra...) }
}

// gitProtocols are the only transports git may use (GIT_ALLOW_PROTOCOL).
const gitProtocols = "file:git:http:https:ssh"

// allowedSchemes are the URL schemes accepted in a `git:` URL; scp-like
// addresses (git@host:path) and local paths are accepted too.
var allowedSchemes = map[string]bool{
	"file": true, "git": true, "http": true, "https": true,
	"ssh": true, "git+ssh": true, "ssh+git": true,
}

// passEnv are the variables of ladder's environment that git keeps: what it
// needs to find programs, the user's config and credentials, ssh keys and
// proxies. Everything else (GIT_DIR, GIT_CONFIG_PARAMETERS, GIT_EXEC_PATH...)
// is dropped.
var passEnv = []string{
	"PATH", "HOME", "USER", "LOGNAME", "TMPDIR", "XDG_CONFIG_HOME",
	"GIT_CONFIG_GLOBAL", "GIT_CONFIG_NOSYSTEM",
	"SSH_AUTH_SOCK", "GIT_SSH", "GIT_SSH_COMMAND", "GIT_SSH_VARIANT",
	"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY",
	"http_proxy", "https_proxy", "no_proxy", "all_proxy",
	"GIT_SSL_CAINFO", "GIT_SSL_CAPATH", "SSL_CERT_FILE", "SSL_CERT_DIR",
	"SYSTEMROOT", // Windows
}

// forcedEnv always comes last, so neither ladder's environment nor WithEnv
// can change it.
var forcedEnv = []string{
	"GIT_ALLOW_PROTOCOL=" + gitProtocols,
	"GIT_TERMINAL_PROMPT=0",
	"GCM_INTERACTIVE=never",
	"LC_ALL=C", // git's messages are parsed; keep them in English
	"LANGUAGE=",
}

// stderrLimit bounds how much of git's stderr goes into an error.
const stderrLimit = 4096

// NewGit returns the Source of the git repository at url. The URL is refused
// if it is empty, starts with "-", holds a control character, uses the
// remote-helper syntax (ext::..., transport::address) or a scheme other than
// file, git, http, https and ssh.
func NewGit(url string, opts ...GitOption) (*Git, error) {
	if err := checkGitURL(url); err != nil {
		return nil, err
	}
	g := newGit(url, opts...)
	for _, kv := range g.extra {
		if i := strings.IndexByte(kv, '='); i <= 0 {
			return nil, fmt.Errorf("git source %s: WithEnv entry %q is not KEY=VALUE", g.display, kv)
		}
	}
	bin, err := exec.LookPath(g.bin)
	if err != nil {
		if isHTTPRemote(url) {
			g.native = &http.Client{Transport: http.DefaultTransport, Timeout: 2 * time.Minute}
			return g, nil
		}
		return nil, fmt.Errorf("git source %s: no git binary (%v): only http(s) remotes can be read without git", g.display, err)
	}
	g.bin = bin
	return g, nil
}

func isHTTPRemote(url string) bool {
	u := strings.ToLower(url)
	return strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://")
}

// newGit builds a Git without checking url (tests use it to prove the
// defences behind the check hold on their own).
func newGit(url string, opts ...GitOption) *Git {
	display, secrets := redact.URL(url)
	g := &Git{
		url:      url,
		display:  display,
		secrets:  secrets,
		bin:      "git",
		lock:     make(chan struct{}, 1),
		verified: map[string]bool{},
	}
	for _, o := range opts {
		o(g)
	}
	return g
}

var _ Source = (*Git)(nil)

// String is "git:" and the URL without credentials.
func (g *Git) String() string { return "git:" + g.display }

// Branch returns the commit at the head of branch.
func (g *Git) Branch(ctx context.Context, branch string) (string, error) {
	refs, err := g.listRefs(ctx)
	if err != nil {
		return "", err
	}
	if c, ok := refs.heads[branch]; ok {
		return c, nil
	}
	return "", fmt.Errorf("branch %q not found in %s: %w", branch, g.display, ErrNotFound)
}

// Tags lists the tags whose name starts with prefix, peeled, sorted by name.
func (g *Git) Tags(ctx context.Context, prefix string) ([]Tag, error) {
	refs, err := g.listRefs(ctx)
	if err != nil {
		return nil, err
	}
	tags := []Tag{}
	for name := range refs.tags {
		if strings.HasPrefix(name, prefix) {
			tags = append(tags, Tag{Name: name, Commit: refs.peel(name)})
		}
	}
	sort.Slice(tags, func(i, j int) bool { return tags[i].Name < tags[j].Name })
	return tags, nil
}

// Commit resolves a pin: a tag name (peeled to its commit) or a full 40-hex
// commit SHA. A SHA at the tip of a branch or tag is accepted from the refs;
// any other is fetched to prove it exists and is a commit.
func (g *Git) Commit(ctx context.Context, ref string) (string, error) {
	refs, err := g.listRefs(ctx)
	if err != nil {
		return "", err
	}
	if isFullSHA(ref) {
		sha := strings.ToLower(ref)
		if c, ok := refs.tips[sha]; ok {
			return c, nil
		}
		if err := g.verifyCommit(ctx, sha); err != nil {
			return "", err
		}
		return sha, nil
	}
	name := strings.TrimPrefix(ref, "refs/tags/")
	if _, ok := refs.tags[name]; ok {
		return refs.peel(name), nil
	}
	hint := ""
	if isHex(ref) && len(ref) >= 4 {
		hint = " (a commit pin must be a full 40-hex SHA)"
	}
	return "", fmt.Errorf("tag %q not found in %s%s: %w", ref, g.display, hint, ErrNotFound)
}

// gitRefs is the answer of one ls-remote.
type gitRefs struct {
	heads  map[string]string // branch name -> commit
	tags   map[string]string // tag name -> object (commit, or tag object)
	peeled map[string]string // tag name -> commit, for annotated tags
	tips   map[string]string // any advertised SHA -> the commit it stands for
}

func (r *gitRefs) peel(tag string) string {
	if c, ok := r.peeled[tag]; ok {
		return c
	}
	return r.tags[tag]
}

// listRefs runs `git ls-remote --heads --tags` once and caches its answer.
// A failure is not cached: the next call tries again.
func (g *Git) listRefs(ctx context.Context) (*gitRefs, error) {
	select {
	case g.lock <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("git ls-remote %s: %w", g.display, ctx.Err())
	}
	defer func() { <-g.lock }()
	if g.refs != nil {
		return g.refs, nil
	}
	var out []byte
	var err error
	if g.native != nil {
		out, err = g.advertisedRefs(ctx)
	} else {
		out, err = g.run(ctx, os.TempDir(), "ls-remote", "--heads", "--tags", "--", g.url)
	}
	if err != nil {
		return nil, err
	}
	refs, err := parseLsRemote(out)
	if err != nil {
		return nil, fmt.Errorf("git ls-remote %s: %w", g.display, err)
	}
	g.refs = refs
	return refs, nil
}

func parseLsRemote(out []byte) (*gitRefs, error) {
	r := &gitRefs{
		heads:  map[string]string{},
		tags:   map[string]string{},
		peeled: map[string]string{},
		tips:   map[string]string{},
	}
	for _, line := range strings.Split(string(out), "\n") {
		line = strings.TrimRight(line, "\r")
		if line == "" {
			continue
		}
		sha, ref, ok := strings.Cut(line, "\t")
		if !ok || !isHex(sha) || (len(sha) != 40 && len(sha) != 64) {
			return nil, fmt.Errorf("unexpected line %q", line)
		}
		sha = strings.ToLower(sha)
		switch {
		case strings.HasPrefix(ref, "refs/heads/"):
			r.heads[strings.TrimPrefix(ref, "refs/heads/")] = sha
		case strings.HasPrefix(ref, "refs/tags/") && strings.HasSuffix(ref, "^{}"):
			r.peeled[strings.TrimSuffix(strings.TrimPrefix(ref, "refs/tags/"), "^{}")] = sha
		case strings.HasPrefix(ref, "refs/tags/"):
			r.tags[strings.TrimPrefix(ref, "refs/tags/")] = sha
		}
	}
	for _, c := range r.heads {
		r.tips[c] = c
	}
	for name, obj := range r.tags {
		c := r.peel(name)
		r.tips[obj] = c
		r.tips[c] = c
	}
	return r, nil
}

// verifyCommit proves sha is a commit of the remote by fetching it, at depth
// 1, into a temporary bare repository.
func (g *Git) verifyCommit(ctx context.Context, sha string) error {
	if g.native != nil {
		return fmt.Errorf("commit %s of %s is the tip of no branch or tag, and proving it exists needs the git binary, which is not installed here: pin a tag, or a commit a branch or tag points at", sha, g.display)
	}
	g.mu.Lock()
	ok := g.verified[sha]
	g.mu.Unlock()
	if ok {
		return nil
	}
	dir, err := os.MkdirTemp("", "ladder-git-")
	if err != nil {
		return fmt.Errorf("verify commit %s in %s: %w", sha, g.display, err)
	}
	defer os.RemoveAll(dir)
	// An empty --template: no hooks, nothing copied from the user's templates.
	if _, err := g.run(ctx, os.TempDir(), "init", "--quiet", "--bare", "--template=", "--", dir); err != nil {
		return err
	}
	gitDir := "--git-dir=" + dir
	if _, err := g.run(ctx, dir, gitDir, "fetch", "--quiet", "--no-tags", "--depth=1", "--", g.url, sha); err != nil {
		var ge *gitError
		if errors.As(err, &ge) && ctx.Err() == nil && ge.refMissing() {
			return fmt.Errorf("commit %s not found in %s (git: %s): %w", sha, g.display, ge.stderr, ErrNotFound)
		}
		return fmt.Errorf("verify commit %s: %w", sha, err)
	}
	out, err := g.run(ctx, dir, gitDir, "cat-file", "-t", sha)
	if err != nil {
		return fmt.Errorf("verify commit %s: %w", sha, err)
	}
	if typ := strings.TrimSpace(string(out)); typ != "commit" {
		return fmt.Errorf("commit %s not found in %s: the object is a %s: %w", sha, g.display, typ, ErrNotFound)
	}
	g.mu.Lock()
	g.verified[sha] = true
	g.mu.Unlock()
	return nil
}

// gitError is a failed git command: its arguments (credentials removed), the
// process error and git's trimmed stderr.
type gitError struct {
	cmd    string
	err    error
	stderr string
}

func (e *gitError) Error() string {
	if e.stderr == "" {
		return fmt.Sprintf("git %s: %v", e.cmd, e.err)
	}
	return fmt.Sprintf("git %s: %v: %s", e.cmd, e.err, e.stderr)
}

func (e *gitError) Unwrap() error { return e.err }

// refMissing reports whether git said the object or ref asked for does not
// exist on the remote (the messages of upload-pack and fetch, in the C
// locale).
func (e *gitError) refMissing() bool {
	for _, m := range []string{"not our ref", "couldn't find remote ref", "no matching remote head", "no such remote ref"} {
		if strings.Contains(e.stderr, m) {
			return true
		}
	}
	return false
}

// run runs git with args (explicit, no shell) in dir and returns stdout.
// dir is never the caller's working directory, so the configuration of a
// repository ladder happens to run in (a workflow's checkout) does not apply.
func (g *Git) run(ctx context.Context, dir string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, g.bin, args...)
	cmd.Env = g.environ()
	cmd.Dir = dir
	cmd.Stdin = nil // /dev/null: git can never wait for input
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// git may leave a helper (git-remote-https, ssh) holding the pipes after
	// being killed on cancellation; do not wait for it forever.
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			err = fmt.Errorf("%w (%v)", ctxErr, err)
		}
		return nil, &gitError{
			cmd:    g.scrub(strings.Join(args, " ")),
			err:    err,
			stderr: g.scrub(trimStderr(stderr.String())),
		}
	}
	return stdout.Bytes(), nil
}

// environ is git's environment: the kept part of ladder's, WithEnv, then
// the forced variables.
func (g *Git) environ() []string {
	env := make([]string, 0, len(passEnv)+len(g.extra)+len(forcedEnv))
	for _, k := range passEnv {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	env = append(env, g.extra...)
	return append(env, forcedEnv...)
}

// scrub replaces the URL and any credential it holds in s.
func (g *Git) scrub(s string) string {
	if g.url != g.display {
		s = strings.ReplaceAll(s, g.url, g.display)
	}
	return redact.Secrets(s, redact.Mark, g.secrets...)
}

func trimStderr(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > stderrLimit {
		s = "..." + s[len(s)-stderrLimit:]
	}
	return s
}

// checkGitURL refuses what must never reach git as a remote.
func checkGitURL(url string) error {
	display, _ := redact.URL(url)
	if url == "" {
		return errors.New("git source: empty URL")
	}
	if strings.HasPrefix(url, "-") {
		return fmt.Errorf("git source %q: a URL must not start with \"-\"", display)
	}
	for _, r := range url {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("git source %q: control character in URL", display)
		}
	}
	// Mirror git's own parsing (transport.c): a leading scheme-like word
	// followed by "::" names a remote helper, followed by "://" a scheme.
	i := 0
	for i < len(url) && isSchemeChar(i == 0, url[i]) {
		i++
	}
	if i > 0 && strings.HasPrefix(url[i:], "::") {
		return fmt.Errorf("git source %q: protocol %q is not allowed (allowed: file, git, http, https, ssh)", display, url[:i])
	}
	if i > 0 && strings.HasPrefix(url[i:], "://") {
		if scheme := strings.ToLower(url[:i]); !allowedSchemes[scheme] {
			return fmt.Errorf("git source %q: protocol %q is not allowed (allowed: file, git, http, https, ssh)", display, scheme)
		}
	}
	return nil
}

func isSchemeChar(first bool, c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		return true
	case first:
		return false
	case '0' <= c && c <= '9', c == '+', c == '-', c == '.':
		return true
	}
	return false
}

func isFullSHA(s string) bool { return len(s) == 40 && isHex(s) }

func isHex(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// advertisedRefs reads the smart-HTTP ref advertisement
// (GET info/refs?service=git-upload-pack, protocol v0: pkt-lines of
// "SHA REF", the first carrying capabilities after a NUL, annotated tags
// followed by their "REF^{}" peeled line) and renders it as ls-remote does,
// heads and tags only. Credentials in the URL go as basic auth.
func (g *Git) advertisedRefs(ctx context.Context) ([]byte, error) {
	u := strings.TrimRight(g.url, "/") + "/info/refs?service=git-upload-pack"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("listing refs of %s: %s", g.display, g.scrub(err.Error()))
	}
	req.Header.Set("User-Agent", "git/2.0 (ladder)")
	resp, err := g.native.Do(req)
	if err != nil {
		return nil, fmt.Errorf("listing refs of %s: %s", g.display, g.scrub(err.Error()))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("listing refs of %s: %s", g.display, resp.Status)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/x-git-upload-pack-advertisement" {
		return nil, fmt.Errorf("listing refs of %s: the server does not speak smart HTTP (Content-Type %q)", g.display, ct)
	}
	return parseAdvertisement(bufio.NewReader(io.LimitReader(resp.Body, 64<<20)))
}

// parseAdvertisement turns pkt-lines into ls-remote's "SHA\tREF" lines.
func parseAdvertisement(r *bufio.Reader) ([]byte, error) {
	var out strings.Builder
	for {
		var size [4]byte
		if _, err := io.ReadFull(r, size[:]); err == io.EOF {
			return []byte(out.String()), nil
		} else if err != nil {
			return nil, fmt.Errorf("reading the ref advertisement: %w", err)
		}
		if !isHex(string(size[:])) {
			return nil, fmt.Errorf("reading the ref advertisement: bad pkt-line length %q", size)
		}
		var n int
		fmt.Sscanf(string(size[:]), "%04x", &n)
		if n == 0 {
			continue // flush
		}
		if n < 4 || n > 65520 {
			return nil, fmt.Errorf("reading the ref advertisement: pkt-line length %d", n)
		}
		line := make([]byte, n-4)
		if _, err := io.ReadFull(r, line); err != nil {
			return nil, fmt.Errorf("reading the ref advertisement: %w", err)
		}
		text := strings.TrimRight(string(line), "\n")
		if strings.HasPrefix(text, "# service=") {
			continue
		}
		text, _, _ = strings.Cut(text, "\x00") // capabilities
		sha, ref, ok := strings.Cut(text, " ")
		if !ok || !isHex(sha) {
			return nil, fmt.Errorf("reading the ref advertisement: unexpected line %q", text)
		}
		if strings.HasPrefix(ref, "refs/heads/") || strings.HasPrefix(ref, "refs/tags/") {
			out.WriteString(sha + "\t" + ref + "\n")
		}
	}
}
