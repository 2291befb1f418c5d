package ghsim_test

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/ladder-release/ladder/internal/ghsim"
)

// gitLsRemote runs the real git's `ls-remote OPTS -- URL PATTERNS...` with
// protocol version v, in an environment that reads no configuration of this
// machine, and returns its stdout (stderr on failure).
func gitLsRemote(t *testing.T, v string, opts []string, url string, patterns ...string) (string, error) {
	t.Helper()
	gitBin, err := exec.LookPath("git")
	if err != nil {
		t.Skipf("git not installed: %v", err)
	}
	args := append([]string{"-c", "protocol.version=" + v, "ls-remote"}, opts...)
	args = append(append(args, "--", url), patterns...)
	cmd := exec.Command(gitBin, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "GIT_CONFIG_GLOBAL=" + os.DevNull,
		"GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0", "GIT_ASKPASS=", "SSH_ASKPASS=", "LC_ALL=C"}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return errb.String(), err
	}
	return out.String(), nil
}

// gitWorld is a repository with two branches, a lightweight tag, an
// annotated tag and a prefixed tag, on a server that requires a token.
type gitWorld struct {
	s                        *ghsim.Server
	main, feature, v11Object string
}

func newGitWorld(t *testing.T) *gitWorld {
	s := ghsim.NewServer(t)
	s.CreateRepo(repo)
	s.CreateRepo("acme/secret")
	s.AddToken("reader", map[string]string{repo: "read"})
	w := &gitWorld{s: s}
	w.main = s.Commit(repo, "main", "two")
	w.feature = s.Commit(repo, "feature", "three")
	s.Tag(repo, "v1.0.0", w.main)
	w.v11Object = s.AnnotatedTag(repo, "v1.1.0", w.feature, "release 1.1.0")
	s.Tag(repo, "operator/v2.0.0", w.main)
	s.ResetStats()
	return w
}

func (w *gitWorld) url(token, fullName string) string {
	u := w.s.ServerURL()
	if token != "" {
		u = strings.Replace(u, "http://", "http://x-access-token:"+token+"@", 1)
	}
	return u + "/" + fullName + ".git"
}

// TestGitLsRemoteAgainstSmartHTTP: the real git lists the simulator's refs
// over smart HTTP, in protocol v2 (capabilities, then ls-refs: two requests)
// and v0 (the advertisement alone: one), annotated tags peeled, the token as
// basic auth, and none of it counted as a REST request.
func TestGitLsRemoteAgainstSmartHTTP(t *testing.T) {
	w := newGitWorld(t)
	want := strings.Join([]string{
		w.main + "\tHEAD",
		w.feature + "\trefs/heads/feature",
		w.main + "\trefs/heads/main",
		w.main + "\trefs/tags/operator/v2.0.0",
		w.main + "\trefs/tags/v1.0.0",
		w.v11Object + "\trefs/tags/v1.1.0",
		w.feature + "\trefs/tags/v1.1.0^{}",
	}, "\n") + "\n"
	both := map[string]int{ghsim.RouteGitInfoRefs: 1, ghsim.RouteGitUploadPack: 1}
	for _, c := range []struct {
		name, version string
		opts, pattern []string
		want          string
		routes        map[string]int
	}{
		{"v2: every ref", "2", nil, nil, want, both},
		{"v0: every ref", "0", nil, nil, want, map[string]int{ghsim.RouteGitInfoRefs: 1}},
		{"v2: tags, by ref-prefix", "2", []string{"--tags"}, nil, strings.Join(strings.SplitAfter(want, "\n")[3:], ""), both},
		{"v2: one branch", "2", []string{"--heads"}, []string{"main"}, w.main + "\trefs/heads/main\n", both},
	} {
		t.Run(c.name, func(t *testing.T) {
			w.s.ResetStats()
			out, err := gitLsRemote(t, c.version, c.opts, w.url("reader", repo), c.pattern...)
			if err != nil {
				t.Fatalf("git ls-remote: %v: %s", err, out)
			}
			if out != c.want {
				t.Errorf("git ls-remote printed:\n%s\nwant:\n%s", out, c.want)
			}
			// git (curl) first asks without credentials and sends them
			// after the 401's Basic challenge: count the answered requests.
			answered := map[string]int{}
			for _, r := range w.s.Requests() {
				if !r.Git {
					t.Errorf("%s %s is not marked as git", r.Method, r.Path)
				}
				if r.Status == http.StatusOK {
					answered[r.Route]++
				}
			}
			if !maps.Equal(answered, c.routes) {
				t.Errorf("requests answered by route: %v, want %v", answered, c.routes)
			}
		})
	}
}

// TestGitLsRemoteRefusals: what git is told without a token, with a bad one,
// for a repository the token cannot read, and for a User-Agent that is not git's.
func TestGitLsRemoteRefusals(t *testing.T) {
	w := newGitWorld(t)
	for _, c := range []struct {
		name, url, want string
	}{
		{"no token", w.url("", repo), "could not read Username"},
		{"bad token", w.url("nope", repo), "Authentication failed"},
		{"unreadable repository", w.url("reader", "acme/secret"), "Repository not found"},
		{"no such repository", w.url("reader", "acme/none"), "Repository not found"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, err := gitLsRemote(t, "2", nil, c.url)
			if err == nil || !strings.Contains(out, c.want) {
				t.Errorf("git ls-remote: %v\n%s\nwant an error saying %q", err, out, c.want)
			}
			if strings.Contains(out, "reader") {
				t.Errorf("git printed the token: %s", out)
			}
		})
	}

	req, _ := http.NewRequest(http.MethodGet, w.url("", repo)+"/info/refs?service=git-upload-pack", nil)
	req.SetBasicAuth("x-access-token", "reader")
	req.Header.Set("User-Agent", "curl/8")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("User-Agent curl/8: %s, want 403 (GitHub answers smart HTTP only to git/...)", resp.Status)
	}
}

// TestGitRequestsAreNotRateLimited: git's requests leave the REST API's rate
// limit alone, as on GitHub.
func TestGitRequestsAreNotRateLimited(t *testing.T) {
	s := ghsim.NewServer(t, ghsim.WithRateLimit(1))
	s.CreateRepo(repo)
	for i := 0; i < 3; i++ {
		if out, err := gitLsRemote(t, "2", nil, s.ServerURL()+"/"+repo+".git"); err != nil {
			t.Fatalf("ls-remote %d: %v: %s", i, err, out)
		}
	}
	c := client(t, s, "")
	if _, _, err := c.Repositories.Get(t.Context(), "acme", "app"); err != nil {
		t.Errorf("the one REST request allowed was taken by git: %v", err)
	}
}

// TestGitLsRefsRequest speaks protocol v2 by hand: only the refs under the
// prefixes are answered, peeled and symref attributes only when asked for,
// and a command the simulator does not play is refused with a reason.
func TestGitLsRefsRequest(t *testing.T) {
	w := newGitWorld(t)
	post := func(body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, w.url("", repo)+"/git-upload-pack", strings.NewReader(body))
		req.SetBasicAuth("x-access-token", "reader")
		req.Header.Set("User-Agent", "git/2.45.0")
		req.Header.Set("Git-Protocol", "version=2")
		req.Header.Set("Content-Type", "application/x-git-upload-pack-request")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	pkt := func(lines ...string) string {
		var b strings.Builder
		for _, l := range lines {
			switch l {
			case "0000", "0001":
				b.WriteString(l)
			default:
				fmt.Fprintf(&b, "%04x%s\n", len(l)+5, l)
			}
		}
		return b.String()
	}
	for _, c := range []struct {
		name   string
		body   string
		status int
		want   string
	}{
		{"prefixes, peeled", pkt("command=ls-refs", "agent=git/2.45.0", "0001", "peel", "ref-prefix refs/tags/v1.1", "ref-prefix refs/heads/feat", "0000"), 200,
			pkt(w.feature+" refs/heads/feature", w.v11Object+" refs/tags/v1.1.0 peeled:"+w.feature, "0000")},
		{"two tag prefixes", pkt("command=ls-refs", "0001", "ref-prefix refs/tags/v1.0", "ref-prefix refs/tags/operator/", "0000"), 200,
			pkt(w.main+" refs/tags/operator/v2.0.0", w.main+" refs/tags/v1.0.0", "0000")},
		{"every tag", pkt("command=ls-refs", "0001", "ref-prefix refs/tags/", "ref-prefix refs/tags/v", "0000"), 200,
			pkt(w.main+" refs/tags/operator/v2.0.0", w.main+" refs/tags/v1.0.0", w.v11Object+" refs/tags/v1.1.0", "0000")},
		{"not peeled unless asked", pkt("command=ls-refs", "0001", "ref-prefix refs/tags/v1.1", "0000"), 200,
			pkt(w.v11Object+" refs/tags/v1.1.0", "0000")},
		{"HEAD and its symref", pkt("command=ls-refs", "0001", "symrefs", "ref-prefix HEAD", "0000"), 200,
			pkt(w.main+" HEAD symref-target:refs/heads/main", "0000")},
		{"fetch", pkt("command=fetch", "0001", "want "+w.main, "done", "0000"), 400, "command=fetch is not simulated"},
		{"a cut request", pkt("command=ls-refs", "0001", "peel"), 400, "ends before its flush packet"},
		{"an unknown argument", pkt("command=ls-refs", "0001", "frobnicate", "0000"), 400, `unexpected line: "frobnicate"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, body := post(c.body)
			if status != c.status || !strings.Contains(body, c.want) {
				t.Errorf("%d %q, want %d %q", status, body, c.status, c.want)
			}
		})
	}
}

// TestGitListingFollowsChanges: a listing after a tag moved, was added or was
// deleted (through the REST API too) shows the change.
func TestGitListingFollowsChanges(t *testing.T) {
	w := newGitWorld(t)
	w.s.AddToken("writer", map[string]string{repo: "write"})
	c := client(t, w.s, "writer")
	list := func() string {
		t.Helper()
		out, err := gitLsRemote(t, "2", []string{"--tags"}, w.url("reader", repo), "v1.0.0", "v0.9.0", "operator/v2.0.0")
		if err != nil {
			t.Fatalf("ls-remote: %v: %s", err, out)
		}
		return out
	}
	list()
	for _, step := range []struct {
		name   string
		change func()
		want   string
	}{
		{"a tag moved", func() { w.s.Tag(repo, "v1.0.0", w.feature) },
			w.main + "\trefs/tags/operator/v2.0.0\n" + w.feature + "\trefs/tags/v1.0.0\n"},
		{"a tag added", func() { w.s.Tag(repo, "v0.9.0", w.main) },
			w.main + "\trefs/tags/operator/v2.0.0\n" + w.main + "\trefs/tags/v0.9.0\n" + w.feature + "\trefs/tags/v1.0.0\n"},
		{"a tag deleted through the REST API", func() {
			if _, err := c.Git.DeleteRef(t.Context(), "acme", "app", "tags/operator/v2.0.0"); err != nil {
				t.Fatal(err)
			}
		}, w.main + "\trefs/tags/v0.9.0\n" + w.feature + "\trefs/tags/v1.0.0\n"},
	} {
		step.change()
		if got := list(); got != step.want {
			t.Errorf("after %s:\n%s\nwant:\n%s", step.name, got, step.want)
		}
	}
}
