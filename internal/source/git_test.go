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

// TestGitPassesConfigSelection: GIT_CONFIG_GLOBAL and GIT_CONFIG_NOSYSTEM
// reach git (users, and internal/app's TestMain, point git away from
// ~/.gitconfig and /etc/gitconfig with them): a url.insteadOf in the file
// GIT_CONFIG_GLOBAL names is applied, and only while it names that file.
func TestGitPassesConfigSelection(t *testing.T) {
	f := newFixture(t)
	const alias = "file:///nonexistent-ladder-test/os.git"
	cfg := filepath.Join(t.TempDir(), "gitconfig")
	rewrite := "[url \"" + f.repo.FileURL() + "\"]\n\tinsteadOf = " + alias + "\n"
	if err := os.WriteFile(cfg, []byte(rewrite), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GIT_CONFIG_GLOBAL", cfg)
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	g := f.git(t, alias)
	if c, err := g.Branch(context.Background(), "main"); err != nil || c != f.c3 {
		t.Errorf("Branch through %s's insteadOf = %q, %v; want %q", cfg, c, err, f.c3)
	}
	// passed from this process's environment (f.git adds the server's
	// client environment, which sets GIT_CONFIG_NOSYSTEM itself)
	env := strings.Join(newGit(alias).environ(), "\n") + "\n"
	for _, kv := range []string{"GIT_CONFIG_GLOBAL=" + cfg, "GIT_CONFIG_NOSYSTEM=1"} {
		if !strings.Contains(env, kv+"\n") {
			t.Errorf("git's environment lacks %s:\n%s", kv, env)
		}
	}

	// Control: with another global config the alias does not resolve.
	t.Setenv("GIT_CONFIG_GLOBAL", os.DevNull)
	if c, err := f.git(t, alias).Branch(context.Background(), "main"); err == nil {
		t.Fatalf("control: %s resolved to %s without the insteadOf", alias, c)
	}
}

// TestNewGitRefusesURLs: NewGit refuses options, remote helpers, other
// schemes and control characters, and accepts the usual remote forms. NewGit
// runs no git, so what is asserted is the refusal; that git itself runs
// nothing for such a URL (should one get past the check) is
// TestGitDefencesBehindTheURLCheck's part.
func TestNewGitRefusesURLs(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "pwned") // only ever a string here
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
}

// TestGitDefencesBehindTheURLCheck: even a URL that skipped NewGit's check
// cannot run a command: "--" keeps it from being an option and
// GIT_ALLOW_PROTOCOL (not overridable by WithEnv) refuses ext::. Each URL
// touches a marker of its own under t.TempDir(); a control first runs it the
// way it is hostile (as git would without the defence, or through sh) to
// prove it does create its marker. Both git commands that take the URL are
// reached: ls-remote (Branch) and fetch (Commit of a SHA on a Git whose
// listing is already cached, empty).
func TestGitDefencesBehindTheURLCheck(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip(err)
	}
	srv := gitserver.New(t)
	const sha = "0123456789abcdef0123456789abcdef01234567"
	gitCtl := func(env []string, args ...string) *exec.Cmd {
		cmd := exec.Command("git", args...)
		cmd.Env = append(srv.ClientEnv(), env...)
		return cmd
	}
	for _, c := range []struct {
		url     func(marker string) string
		control func(url string) *exec.Cmd
	}{
		// without the protocol restriction, ext:: runs its command
		{func(m string) string { return "ext::sh -c touch% " + m }, func(url string) *exec.Cmd {
			return gitCtl([]string{"GIT_ALLOW_PROTOCOL=ext"}, "ls-remote", "--", url)
		}},
		// without "--", fetch takes the URL for its --upload-pack option
		{func(m string) string { return "--upload-pack=touch " + m }, func(url string) *exec.Cmd {
			bare := t.TempDir()
			if out, err := gitCtl(nil, "init", "--quiet", "--bare", "--", bare).CombinedOutput(); err != nil {
				t.Fatalf("git init: %v\n%s", err, out)
			}
			cmd := gitCtl(nil, "--git-dir="+bare, "fetch", "--depth=1", url, sha)
			cmd.Dir = bare
			return cmd
		}},
		// through a shell
		{func(m string) string { return "file://" + filepath.Dir(m) + "/x;touch " + m }, func(url string) *exec.Cmd {
			return exec.Command(sh, "-c", ": "+url)
		}},
		{func(m string) string { return "file://" + filepath.Dir(m) + "/$(touch " + m + ")" }, func(url string) *exec.Cmd {
			return exec.Command(sh, "-c", ": "+url)
		}},
	} {
		ctlMarker := filepath.Join(t.TempDir(), "control")
		ctl := c.control(c.url(ctlMarker))
		if ctl.Dir == "" {
			ctl.Dir = t.TempDir()
		}
		_ = ctl.Run() // fails: touch is no git server; it ran all the same
		if _, err := os.Stat(ctlMarker); err != nil {
			t.Fatalf("control: %q run as %q did not create its marker (%v): the check below would prove nothing", c.url(ctlMarker), ctl.Args, err)
		}

		marker := filepath.Join(t.TempDir(), "pwned")
		url := c.url(marker)
		opts := []GitOption{WithEnv(srv.ClientEnv()...), WithEnv("GIT_ALLOW_PROTOCOL=ext:file")}
		if _, err := newGit(url, opts...).Branch(context.Background(), "main"); err == nil {
			t.Errorf("%q: Branch: no error", url)
		}
		g := newGit(url, opts...)
		g.refs, _ = parseLsRemote(nil) // listed: Commit goes straight to the fetch
		if _, err := g.Commit(context.Background(), sha); err == nil {
			t.Errorf("%q: Commit: no error", url)
		}
		if _, err := os.Stat(marker); !os.IsNotExist(err) {
			t.Errorf("%q ran a command: %s exists (%v)", url, marker, err)
		}
	}
}

// TestGitRefNamesAreData: branch, tag and pin names with shell
// metacharacters or option syntax are looked up as data, never interpreted.
// Each hostile name touches a marker of its own under t.TempDir(); a control
// first runs it the way it is hostile (through sh, or as an argument of git
// before the URL) to prove it does create its marker, so the marker's absence
// after Branch, Commit and Tags is evidence.
func TestGitRefNamesAreData(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip(err)
	}
	f := newFixture(t)
	ctx := context.Background()
	g := f.git(t, f.repo.HTTPURL())
	gFile := f.git(t, f.repo.FileURL())
	both := []*Git{g, gFile}
	// viaShell: the name as text of a shell command line.
	viaShell := func(name string) *exec.Cmd { return exec.Command(sh, "-c", ": "+name) }
	// asGitArg: the name as an argument of git before a file:// URL.
	asGitArg := func(name string) *exec.Cmd {
		cmd := exec.Command("git", "ls-remote", name, f.repo.FileURL())
		cmd.Env = f.srv.ClientEnv()
		return cmd
	}
	for _, c := range []struct {
		name    func(marker string) string
		control func(name string) *exec.Cmd
		on      []*Git
	}{
		{func(m string) string { return "main;touch " + m }, viaShell, both},
		{func(m string) string { return "$(touch " + m + ")" }, viaShell, both},
		{func(m string) string { return "`touch " + m + "`" }, viaShell, both},
		{func(m string) string { return "main && touch " + m }, viaShell, both},
		{func(m string) string { return "main | touch " + m }, viaShell, both},
		{func(m string) string { return "main\ntouch " + m }, viaShell, both},
		// over smart HTTP git ignores --upload-pack: only file:// (and ssh)
		// remotes run it
		{func(m string) string { return "--upload-pack=touch " + m }, asGitArg, []*Git{gFile}},
	} {
		ctlMarker := filepath.Join(t.TempDir(), "control")
		ctl := c.control(c.name(ctlMarker))
		ctl.Dir = t.TempDir()
		_ = ctl.Run() // may fail (touch is no upload-pack): it ran all the same
		if _, err := os.Stat(ctlMarker); err != nil {
			t.Fatalf("control: %q ran through %v did not create its marker (%v): the check below would prove nothing", c.name(ctlMarker), ctl.Args, err)
		}

		for _, g := range c.on {
			marker := filepath.Join(t.TempDir(), "pwned")
			name := c.name(marker)
			_, err := g.Branch(ctx, name)
			wantNotFound(t, err)
			_, err = g.Commit(ctx, name)
			wantNotFound(t, err)
			if tags, err := g.Tags(ctx, name); err != nil || len(tags) != 0 {
				t.Errorf("%s: Tags(%q) = %v, %v", g, name, tags, err)
			}
			if _, err := os.Stat(marker); !os.IsNotExist(err) {
				t.Errorf("%s: ref name %q ran a command: %s exists (%v)", g, name, marker, err)
			}
		}
	}
	// Names that create nothing: looked up, not found, like any other.
	for _, name := range []string{"$(id)", "-", "--", "-h"} {
		_, err := g.Branch(ctx, name)
		wantNotFound(t, err)
		_, err = g.Commit(ctx, name)
		wantNotFound(t, err)
		if tags, err := g.Tags(ctx, name); err != nil || len(tags) != 0 {
			t.Errorf("Tags(%q) = %v, %v", name, tags, err)
		}
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
