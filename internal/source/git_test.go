package source

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/ladder-release/ladder/internal/testutil/gitserver"
)

// fixture is one repository:
//
//	main:    c0 - c1 - c2 - c3
//	release: c0 - r1
//	tags:    v1.0.0 -> c1 (lightweight), v1.1.0 -> c2 (annotated),
//	         operator/v1.2.3 -> c3 (annotated), operator/v1.2.4 -> c3,
//	         v2.0.0-rc.1 -> r1
//
// c0 is the tip of no ref.
type fixture struct {
	srv                *gitserver.Server
	repo               *gitserver.Repo
	c0, c1, c2, c3, r1 string
	v110, op123        string // the tag objects of the annotated tags
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	srv := gitserver.New(t)
	r := srv.Repo("org/os.git")
	f := &fixture{srv: srv, repo: r}
	f.c0 = r.Commit("main", "zero")
	f.c1 = r.Commit("main", "one")
	f.c2 = r.Commit("main", "two")
	f.c3 = r.Commit("main", "three")
	r.Git("update-ref", "--", "refs/heads/release", f.c0)
	f.r1 = r.Commit("release", "release fix")
	r.Tag("v1.0.0", f.c1)
	f.v110 = r.AnnotatedTag("v1.1.0", f.c2, "release 1.1.0")
	f.op123 = r.AnnotatedTag("operator/v1.2.3", f.c3, "operator 1.2.3")
	r.Tag("operator/v1.2.4", f.c3)
	r.Tag("v2.0.0-rc.1", f.r1)
	srv.ResetRequests()
	return f
}

func (f *fixture) git(t *testing.T, url string, opts ...GitOption) *Git {
	t.Helper()
	opts = append([]GitOption{WithEnv(f.srv.ClientEnv()...)}, opts...)
	g, err := NewGit(url, opts...)
	if err != nil {
		t.Fatalf("NewGit(%q): %v", url, err)
	}
	return g
}

// transports runs fn once over file:// and once over smart HTTP.
func transports(t *testing.T, fn func(t *testing.T, f *fixture, url string)) {
	t.Run("file", func(t *testing.T) {
		f := newFixture(t)
		fn(t, f, f.repo.FileURL())
	})
	t.Run("http", func(t *testing.T) {
		f := newFixture(t)
		fn(t, f, f.repo.HTTPURL())
	})
}

func wantNotFound(t *testing.T, err error, mention ...string) {
	t.Helper()
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
	for _, m := range mention {
		if !strings.Contains(err.Error(), m) {
			t.Errorf("error %q does not mention %q", err, m)
		}
	}
}

func TestGitBranch(t *testing.T) {
	transports(t, func(t *testing.T, f *fixture, url string) {
		ctx := context.Background()
		g := f.git(t, url)
		for branch, want := range map[string]string{"main": f.c3, "release": f.r1} {
			got, err := g.Branch(ctx, branch)
			if err != nil || got != want {
				t.Errorf("Branch(%q) = %q, %v; want %q", branch, got, err, want)
			}
		}
		_, err := g.Branch(ctx, "nope")
		wantNotFound(t, err, `"nope"`, url)
		// A tag is not a branch.
		_, err = g.Branch(ctx, "v1.0.0")
		wantNotFound(t, err)
	})
}

func TestGitTags(t *testing.T) {
	transports(t, func(t *testing.T, f *fixture, url string) {
		ctx := context.Background()
		g := f.git(t, url)
		all, err := g.Tags(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		want := []Tag{
			{"operator/v1.2.3", f.c3}, // annotated: the commit, not f.op123
			{"operator/v1.2.4", f.c3},
			{"v1.0.0", f.c1},
			{"v1.1.0", f.c2}, // annotated: the commit, not f.v110
			{"v2.0.0-rc.1", f.r1},
		}
		if !reflect.DeepEqual(all, want) {
			t.Errorf("Tags(\"\") =\n%v\nwant\n%v", all, want)
		}
		for _, tag := range all {
			if tag.Commit == f.v110 || tag.Commit == f.op123 {
				t.Errorf("tag %s not peeled: %s is the tag object", tag.Name, tag.Commit)
			}
		}

		op, err := g.Tags(ctx, "operator/")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(op, want[:2]) {
			t.Errorf("Tags(operator/) = %v, want %v", op, want[:2])
		}
		none, err := g.Tags(ctx, "nothing/")
		if err != nil || len(none) != 0 {
			t.Errorf("Tags(nothing/) = %v, %v; want none", none, err)
		}
	})
}

func TestGitCommit(t *testing.T) {
	transports(t, func(t *testing.T, f *fixture, url string) {
		ctx := context.Background()
		g := f.git(t, url)
		for _, tc := range []struct{ ref, want string }{
			{"v1.0.0", f.c1},                    // lightweight tag
			{"v1.1.0", f.c2},                    // annotated tag, peeled
			{"operator/v1.2.3", f.c3},           // prefixed annotated tag
			{"refs/tags/v1.0.0", f.c1},          // full tag ref
			{f.c3, f.c3},                        // SHA at a branch tip
			{strings.ToUpper(f.c2), f.c2},       // SHA at a tag, any case
			{f.v110, f.c2},                      // a tag object stands for its commit
			{f.c0, f.c0},                        // SHA that is the tip of no ref: fetched
			{f.r1, f.r1},                        // tip of release
			{"v2.0.0-rc.1", f.r1},               // tag off main
			{strings.ToUpper(f.c0), f.c0},       // fetched, any case
			{"operator/v1.2.4", f.c3},           // lightweight, prefixed
			{"refs/tags/operator/v1.2.3", f.c3}, // full ref, annotated
		} {
			got, err := g.Commit(ctx, tc.ref)
			if err != nil || got != tc.want {
				t.Errorf("Commit(%q) = %q, %v; want %q", tc.ref, got, err, tc.want)
			}
		}

		_, err := g.Commit(ctx, "v9.9.9")
		wantNotFound(t, err, `"v9.9.9"`, url)
		_, err = g.Commit(ctx, "main") // a branch is not a pin
		wantNotFound(t, err)
		_, err = g.Commit(ctx, f.c0[:7])
		wantNotFound(t, err, "full 40-hex SHA")

		missing := "0123456789abcdef0123456789abcdef01234567"
		_, err = g.Commit(ctx, missing)
		wantNotFound(t, err, missing, url)

		// An object that exists but is not a commit.
		blob := f.repo.Git("rev-parse", f.c3+":README")
		_, err = g.Commit(ctx, blob)
		wantNotFound(t, err, blob, "blob")
	})
}

// TestGitCachesRefs: Branch, Tags and Commit of a ref tip share one
// ls-remote; only a SHA that is no tip costs a fetch, once.
func TestGitCachesRefs(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	g := f.git(t, f.repo.HTTPURL())

	if _, err := g.Branch(ctx, "main"); err != nil {
		t.Fatal(err)
	}
	first := f.srv.RequestCount()
	if n := f.srv.RefAdvertisements(); n != 1 || first < 1 {
		t.Fatalf("first Branch: %d ref advertisements, %d requests; want 1 (%q)", n, first, f.srv.Requests())
	}
	if _, err := g.Tags(ctx, "operator/"); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Commit(ctx, "v1.1.0"); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Commit(ctx, f.c3); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Branch(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
	if n := f.srv.RequestCount(); n != first {
		t.Fatalf("Branch+Tags+Commit took %d requests, want %d: %q", n, first, f.srv.Requests())
	}

	if _, err := g.Commit(ctx, f.c0); err != nil {
		t.Fatal(err)
	}
	if n := f.srv.RefAdvertisements(); n != 2 {
		t.Fatalf("after fetching a non-tip SHA: %d ref advertisements, want 2 (%q)", n, f.srv.Requests())
	}
	afterFetch := f.srv.RequestCount()
	if _, err := g.Commit(ctx, f.c0); err != nil {
		t.Fatal(err)
	}
	if n := f.srv.RequestCount(); n != afterFetch {
		t.Fatalf("a verified SHA was fetched again: %q", f.srv.Requests())
	}

	// A fresh Git asks again: the cache lives in the value.
	if _, err := f.git(t, f.repo.HTTPURL()).Branch(ctx, "main"); err != nil {
		t.Fatal(err)
	}
	if n := f.srv.RefAdvertisements(); n != 3 {
		t.Fatalf("fresh Git: %d ref advertisements, want 3", n)
	}
}

func TestGitConcurrentCallsShareOneListing(t *testing.T) {
	f := newFixture(t)
	g := f.git(t, f.repo.HTTPURL())
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if c, err := g.Branch(context.Background(), "main"); err != nil || c != f.c3 {
				errs <- errors.Join(err, errors.New("wrong commit "+c))
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := f.srv.RefAdvertisements(); n != 1 {
		t.Errorf("%d ref advertisements for 16 concurrent calls, want 1", n)
	}
}

func TestGitListingFailureIsNotCached(t *testing.T) {
	srv := gitserver.New(t)
	url := srv.URL() + "/late.git"
	g, err := NewGit(url, WithEnv(srv.ClientEnv()...))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Branch(context.Background(), "main"); err == nil || errors.Is(err, ErrNotFound) {
		t.Fatalf("missing repository: err = %v, want a plain error", err)
	}
	c := srv.Repo("late.git").Commit("main", "now here")
	if got, err := g.Branch(context.Background(), "main"); err != nil || got != c {
		t.Fatalf("Branch after the repository appeared = %q, %v; want %q", got, err, c)
	}
}

func TestGitErrorsCarryStderrWithoutCredentials(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	withCreds := strings.Replace(f.srv.URL(), "http://", "http://ladder:s3cr3t-t0ken@", 1)

	// A repository that does not exist: git's stderr is in the error.
	g := f.git(t, withCreds+"/missing.git")
	_, err := g.Branch(ctx, "main")
	if err == nil {
		t.Fatal("no error for a missing repository")
	}
	if errors.Is(err, ErrNotFound) {
		t.Errorf("a missing repository is not a missing ref: %v", err)
	}
	msg := err.Error()
	if !strings.Contains(msg, "not found") || !strings.Contains(msg, "ls-remote") {
		t.Errorf("error lacks git's stderr or the command: %s", msg)
	}
	if strings.Contains(msg, "s3cr3t") {
		t.Errorf("error leaks the password: %s", msg)
	}

	// A missing tag and a missing commit name the URL, without credentials.
	g = f.git(t, withCreds+"/"+f.repo.Name())
	if c, err := g.Branch(ctx, "main"); err != nil || c != f.c3 {
		t.Fatalf("Branch with credentials = %q, %v", c, err)
	}
	for _, ref := range []string{"v9", "0123456789abcdef0123456789abcdef01234567"} {
		_, err = g.Commit(ctx, ref)
		wantNotFound(t, err, ref, f.repo.HTTPURL())
		if strings.Contains(err.Error(), "s3cr3t") || strings.Contains(err.Error(), "ladder:") {
			t.Errorf("error leaks credentials: %v", err)
		}
	}
	if s := g.String(); strings.Contains(s, "s3cr3t") {
		t.Errorf("String leaks the password: %s", s)
	}

	// file:// too: the stderr of a failed ls-remote is included, trimmed.
	g = f.git(t, "file://"+filepath.Join(t.TempDir(), "nothing.git"))
	_, err = g.Tags(ctx, "")
	if err == nil || !strings.Contains(err.Error(), "does not appear to be a git repository") {
		t.Errorf("err = %v, want git's stderr", err)
	}
	if err != nil && strings.HasSuffix(err.Error(), "\n") {
		t.Errorf("stderr not trimmed: %q", err)
	}
}

func TestGitContextCancelled(t *testing.T) {
	f := newFixture(t)
	g := f.git(t, f.repo.HTTPURL())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := g.Branch(ctx, "main"); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// TestGitSanitizedEnvironment: variables that would redirect git (GIT_DIR,
// GIT_CONFIG_PARAMETERS) or open more protocols do not leak in.
func TestGitSanitizedEnvironment(t *testing.T) {
	f := newFixture(t)
	t.Setenv("GIT_DIR", filepath.Join(t.TempDir(), "not-a-repo"))
	t.Setenv("GIT_CONFIG_PARAMETERS", "'url.file:///nonexistent/.insteadof'='"+f.repo.FileURL()+"'")
	t.Setenv("LC_ALL", "de_DE.UTF-8")
	g := f.git(t, f.repo.FileURL())
	if c, err := g.Branch(context.Background(), "main"); err != nil || c != f.c3 {
		t.Fatalf("Branch = %q, %v; want %q", c, err, f.c3)
	}
	env := strings.Join(g.environ(), "\n")
	for _, bad := range []string{"GIT_DIR=", "GIT_CONFIG_PARAMETERS=", "LC_ALL=de"} {
		if strings.Contains(env, bad) {
			t.Errorf("environment keeps %s", bad)
		}
	}
}

func TestNewGitRefusesURLs(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "pwned")
	for _, url := range []string{
		"",
		"-",
		"--upload-pack=touch " + marker,
		"-uupload",
		"ext::sh -c touch% " + marker,
		"EXT::sh -c touch% " + marker,
		"fd::17",
		"https::https://example.com/x.git",
		"foo://example.com/x.git",
		"ftp://example.com/x.git",
		"javascript://x",
		"https://example.com/x.git\n--upload-pack=x",
		"https://example.com/\x00x.git",
	} {
		if g, err := NewGit(url); err == nil {
			t.Errorf("NewGit(%q) = %v, want an error", url, g)
		}
	}
	for _, url := range []string{
		"https://git.example.com/os.git",
		"http://127.0.0.1:8080/os.git",
		"ssh://git@example.com/os.git",
		"git+ssh://git@example.com/os.git",
		"git://example.com/os.git",
		"file:///srv/git/os.git",
		"git@github.com:acme/os.git",
		"/srv/git/os.git",
		"HTTPS://EXAMPLE.COM/os.git",
	} {
		if _, err := NewGit(url); err != nil {
			t.Errorf("NewGit(%q): %v", url, err)
		}
	}
	if _, err := os.Stat(marker); !os.IsNotExist(err) {
		t.Fatalf("%s was created", marker)
	}
}

// TestGitDefencesBehindTheURLCheck: even a URL that skipped NewGit's check
// cannot run a command: "--" keeps it from being an option and
// GIT_ALLOW_PROTOCOL (not overridable by WithEnv) refuses ext::.
func TestGitDefencesBehindTheURLCheck(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "pwned")
	ext := "ext::sh -c touch% " + marker

	// Control: without the protocol restriction this URL does run a command,
	// so the assertions below are meaningful.
	ctl := exec.Command("git", "ls-remote", "--", ext)
	ctl.Env = append(os.Environ(), "GIT_ALLOW_PROTOCOL=ext", "GIT_TERMINAL_PROMPT=0")
	_ = ctl.Run() // fails: touch is no git server; it ran all the same
	if _, err := os.Stat(marker); err != nil {
		t.Skipf("control: ext:: did not run here (%v); nothing to prove", err)
	}
	if err := os.Remove(marker); err != nil {
		t.Fatal(err)
	}

	srv := gitserver.New(t)
	for _, url := range []string{
		ext,
		"--upload-pack=touch " + marker,
		"-u touch " + marker,
		"file://" + dir + "/x;touch " + marker,
		"file://" + dir + "/$(touch " + marker + ")",
	} {
		g := newGit(url, WithEnv(srv.ClientEnv()...), WithEnv("GIT_ALLOW_PROTOCOL=ext:file"))
		if _, err := g.Branch(context.Background(), "main"); err == nil {
			t.Errorf("%q: no error", url)
		}
		if _, err := g.Commit(context.Background(), "0123456789abcdef0123456789abcdef01234567"); err == nil {
			t.Errorf("%q: no error", url)
		}
		if _, err := os.Stat(marker); !os.IsNotExist(err) {
			t.Fatalf("%q ran a command: %s exists", url, marker)
		}
	}
}

// TestGitRefNamesAreData: branch, tag and pin names with shell
// metacharacters are looked up as data, never interpreted.
func TestGitRefNamesAreData(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	dir := t.TempDir()
	marker := filepath.Join(dir, "pwned")
	g := f.git(t, f.repo.HTTPURL())
	for _, name := range []string{
		"main;touch " + marker,
		"main;touch /tmp/pwned",
		"$(touch " + marker + ")",
		"$(id)",
		"`touch " + marker + "`",
		"main && touch " + marker,
		"main | touch " + marker,
		"main\ntouch " + marker,
		"--upload-pack=touch " + marker,
		"-",
	} {
		_, err := g.Branch(ctx, name)
		wantNotFound(t, err)
		_, err = g.Commit(ctx, name)
		wantNotFound(t, err)
		if tags, err := g.Tags(ctx, name); err != nil || len(tags) != 0 {
			t.Errorf("Tags(%q) = %v, %v", name, tags, err)
		}
	}
	if _, err := os.Stat(marker); !os.IsNotExist(err) {
		t.Fatalf("a ref name ran a command: %s exists", marker)
	}

	// Refs whose names really hold metacharacters resolve like any other.
	f.repo.Git("update-ref", "--", "refs/heads/feat;id", f.c1)
	f.repo.Git("update-ref", "--", "refs/heads/$(id)", f.c2)
	f.repo.Tag("$(id)", f.r1)
	g = f.git(t, f.repo.FileURL())
	for name, want := range map[string]string{"feat;id": f.c1, "$(id)": f.c2} {
		if c, err := g.Branch(ctx, name); err != nil || c != want {
			t.Errorf("Branch(%q) = %q, %v; want %q", name, c, err, want)
		}
	}
	if c, err := g.Commit(ctx, "$(id)"); err != nil || c != f.r1 {
		t.Errorf("Commit($(id)) = %q, %v; want %q", c, err, f.r1)
	}
}

func TestNewGitOptions(t *testing.T) {
	if _, err := NewGit("ssh://git@example.com/x.git", WithGitBinary(filepath.Join(t.TempDir(), "no-git"))); err == nil {
		t.Error("a missing git binary was accepted for an ssh remote")
	}
	if _, err := NewGit("https://example.com/x.git", WithGitBinary(filepath.Join(t.TempDir(), "no-git"))); err != nil {
		t.Errorf("an https remote without git: %v (it is read over smart HTTP)", err)
	}
	if _, err := NewGit("https://example.com/x.git", WithEnv("NOEQUALS")); err == nil {
		t.Error("a WithEnv entry without = was accepted")
	}
	gitPath, err := exec.LookPath("git")
	if err != nil {
		t.Skip(err)
	}
	f := newFixture(t)
	g := f.git(t, f.repo.FileURL(), WithGitBinary(gitPath), WithEnv("GIT_TERMINAL_PROMPT=1", "LC_ALL=fr_FR"))
	if c, err := g.Branch(context.Background(), "main"); err != nil || c != f.c3 {
		t.Fatalf("Branch = %q, %v", c, err)
	}
	env := g.environ()
	last := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		last[k] = v
	}
	if last["GIT_TERMINAL_PROMPT"] != "0" || last["LC_ALL"] != "C" || last["GIT_ALLOW_PROTOCOL"] != gitProtocols {
		t.Errorf("WithEnv overrode a forced variable: %v", last)
	}
}

func TestRedactURL(t *testing.T) {
	for _, tc := range []struct{ in, out, secret string }{
		{"https://user:pw@example.com/x.git", "https://example.com/x.git", "pw"},
		{"https://ghp_token@example.com/x.git", "https://example.com/x.git", "ghp_token"},
		{"https://example.com/x.git", "https://example.com/x.git", ""},
		{"https://example.com/a@b.git", "https://example.com/a@b.git", ""},
		{"git@github.com:acme/os.git", "git@github.com:acme/os.git", ""},
		{"ssh://git@example.com/os.git", "ssh://example.com/os.git", "git"},
	} {
		out, secrets := redactURL(tc.in)
		if out != tc.out {
			t.Errorf("redactURL(%q) = %q, want %q", tc.in, out, tc.out)
		}
		if tc.secret != "" && (len(secrets) != 1 || secrets[0] != tc.secret) {
			t.Errorf("redactURL(%q) secrets = %q, want %q", tc.in, secrets, tc.secret)
		}
	}
}

func TestParseLsRemote(t *testing.T) {
	c := strings.Repeat("a", 40)
	o := strings.Repeat("b", 40)
	r, err := parseLsRemote([]byte(c + "\trefs/heads/main\n" + o + "\trefs/tags/v1\n" + c + "\trefs/tags/v1^{}\n" + c + "\trefs/pull/1/head\n"))
	if err != nil {
		t.Fatal(err)
	}
	if r.heads["main"] != c || r.peel("v1") != c || r.tips[o] != c || len(r.tags) != 1 {
		t.Errorf("parsed %+v", r)
	}
	if _, err := parseLsRemote([]byte("garbage\n")); err == nil {
		t.Error("garbage accepted")
	}
}

// TestGitArgumentsEndOptions records the arguments git is run with (through
// a wrapper script, test-only) and checks that the URL and the directory are
// always after "--", so no value can be taken for an option.
func TestGitArgumentsEndOptions(t *testing.T) {
	gitPath, err := exec.LookPath("git")
	if err != nil {
		t.Skip(err)
	}
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip(err)
	}
	f := newFixture(t)
	dir := t.TempDir()
	logFile := filepath.Join(dir, "args.log")
	wrapper := filepath.Join(dir, "git-wrapper")
	script := "#!" + sh + "\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done >> '" + logFile + "'\necho >> '" + logFile + "'\nexec '" + gitPath + "' \"$@\"\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	url := f.repo.HTTPURL()
	g := f.git(t, url, WithGitBinary(wrapper))
	ctx := context.Background()
	if _, err := g.Branch(ctx, "main"); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Commit(ctx, f.c0); err != nil { // ls-remote cached; init + fetch + cat-file
		t.Fatal(err)
	}
	data, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	calls := strings.Split(strings.TrimSuffix(string(data), "\n\n"), "\n\n")
	var verbs []string
	for _, call := range calls {
		args := strings.Split(call, "\n")
		verb := args[0]
		if strings.HasPrefix(verb, "--git-dir=") {
			verb = args[1]
		}
		verbs = append(verbs, verb)
		for i, a := range args {
			isPositional := a == url || (verb == "init" && i == len(args)-1)
			if isPositional && (i == 0 || args[i-1] != "--") {
				t.Errorf("git %q: %q not after --", args, a)
			}
		}
		if verb == "ls-remote" || verb == "fetch" {
			if args[len(args)-1] != url && args[len(args)-2] != url {
				t.Errorf("git %q: URL not among the last arguments", args)
			}
		}
	}
	if want := []string{"ls-remote", "init", "fetch", "cat-file"}; !reflect.DeepEqual(verbs, want) {
		t.Errorf("git was run for %q, want %q", verbs, want)
	}
}

// TestGitWithoutGitBinary: the action's image has no git; http(s) remotes
// are then read through the smart-HTTP ref advertisement directly.
func TestGitWithoutGitBinary(t *testing.T) {
	srv := gitserver.New(t)
	repo := srv.Repo("nogit")
	c1 := repo.Commit("main", "one")
	c2 := repo.Commit("main", "two")
	repo.Tag("v1.0.0", c1)
	repo.AnnotatedTag("v1.1.0", c2, "annotated")
	g, err := NewGit(repo.HTTPURL(), WithGitBinary("/nonexistent/git"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if got, err := g.Branch(ctx, "main"); err != nil || got != c2 {
		t.Errorf("Branch = %s, %v; want %s", got, err, c2)
	}
	tags, err := g.Tags(ctx, "")
	if err != nil || len(tags) != 2 {
		t.Fatalf("Tags = %v, %v", tags, err)
	}
	for _, tg := range tags {
		want := map[string]string{"v1.0.0": c1, "v1.1.0": c2}[tg.Name]
		if tg.Commit != want {
			t.Errorf("tag %s -> %s, want %s (annotated tags peeled)", tg.Name, tg.Commit, want)
		}
	}
	if got, err := g.Commit(ctx, "v1.1.0"); err != nil || got != c2 {
		t.Errorf("Commit(v1.1.0) = %s, %v", got, err)
	}
	if got, err := g.Commit(ctx, c2); err != nil || got != c2 {
		t.Errorf("Commit(tip SHA) = %s, %v", got, err)
	}
	if _, err := g.Commit(ctx, c1+""); err != nil {
		t.Errorf("Commit(tagged SHA) = %v", err)
	}
	parent := repo.Commit("side", "x")
	repo.DeleteRef("refs/heads/side")
	if _, err := g.Commit(ctx, parent); err == nil || !strings.Contains(err.Error(), "needs the git binary") {
		t.Errorf("an unadvertised SHA without git: %v", err)
	}
	if _, err := NewGit(repo.FileURL(), WithGitBinary("/nonexistent/git")); err == nil || !strings.Contains(err.Error(), "only http(s) remotes") {
		t.Errorf("file:// without git: %v", err)
	}
}
