package gitserver

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

func lsRemote(t *testing.T, s *Server, url string) string {
	t.Helper()
	cmd := exec.Command("git", "ls-remote", "--", url)
	cmd.Env = append(s.ClientEnv(), "GIT_ALLOW_PROTOCOL=file:http")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git ls-remote %s: %v: %s", url, err, stderr.String())
	}
	return string(out)
}

func TestServeRepository(t *testing.T) {
	s := New(t)
	r := s.Repo("org/os.git")
	if again := s.Repo("org/os.git"); again != r {
		t.Fatal("Repo did not return the same repository twice")
	}
	c1 := r.Commit("main", "first")
	c2 := r.Commit("main", "second")
	if c1 == c2 || len(c1) != 40 || len(c2) != 40 {
		t.Fatalf("bad SHAs %q %q", c1, c2)
	}
	if p := r.Git("rev-parse", c2+"^"); p != c1 {
		t.Fatalf("parent of second = %s, want %s", p, c1)
	}
	r.Tag("v1.0.0", c1)
	tagObj := r.AnnotatedTag("v1.1.0", c2, "release 1.1.0")
	if tagObj == c2 {
		t.Fatal("annotated tag object has the commit's SHA")
	}
	if typ := r.Git("cat-file", "-t", tagObj); typ != "tag" {
		t.Fatalf("tag object type %q", typ)
	}

	want := []string{
		c2 + "\tHEAD",
		c2 + "\trefs/heads/main",
		c1 + "\trefs/tags/v1.0.0",
		tagObj + "\trefs/tags/v1.1.0",
		c2 + "\trefs/tags/v1.1.0^{}",
	}
	for _, url := range []string{r.FileURL(), r.HTTPURL()} {
		got := lsRemote(t, s, url)
		for _, line := range want {
			if !strings.Contains(got, line+"\n") {
				t.Errorf("ls-remote %s: missing %q in\n%s", url, line, got)
			}
		}
	}
	if n := s.RefAdvertisements(); n != 1 {
		t.Errorf("RefAdvertisements = %d, want 1 (requests %q)", n, s.Requests())
	}
	if s.RequestCount() < 1 {
		t.Errorf("RequestCount = %d", s.RequestCount())
	}
	s.ResetRequests()
	if s.RequestCount() != 0 || s.RefAdvertisements() != 0 {
		t.Error("ResetRequests did not reset")
	}
}

func TestDeterministic(t *testing.T) {
	build := func() (string, string) {
		s := New(t)
		r := s.Repo("a")
		c := r.Commit("main", "one")
		return c, r.AnnotatedTag("v1", c, "m")
	}
	c1, t1 := build()
	c2, t2 := build()
	if c1 != c2 || t1 != t2 {
		t.Fatalf("same sequence gave different SHAs: %s/%s vs %s/%s", c1, t1, c2, t2)
	}
}

func TestFetchUnadvertisedSHA(t *testing.T) {
	s := New(t)
	r := s.Repo("x")
	parent := r.Commit("main", "one")
	r.Commit("main", "two")
	for _, url := range []string{r.FileURL(), r.HTTPURL()} {
		dir := t.TempDir()
		for _, args := range [][]string{
			{"init", "--quiet", "--bare", "--", dir},
			{"--git-dir=" + dir, "fetch", "--quiet", "--depth=1", "--", url, parent},
		} {
			cmd := exec.Command("git", args...)
			cmd.Env = append(s.ClientEnv(), "GIT_ALLOW_PROTOCOL=file:http")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("git %v: %v: %s", args, err, out)
			}
		}
	}
}
