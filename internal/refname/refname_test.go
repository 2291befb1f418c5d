package refname

import (
	"os/exec"
	"strings"
	"testing"
)

func TestProblem(t *testing.T) {
	t.Parallel()
	good := []string{"main", "release/1.2", "feat;id", "$(id)", "v1.0.0", "operator/v1.2.3", "a-b_c.d", "ünïcode"}
	bad := map[string]string{
		"": "empty", "@": "reserved", "HEAD": "reserved", "-x": `starts with "-"`, "/a": "empty path component",
		"a/": "empty path component", "a//b": "empty path component", ".a": `starts with "."`, "a/.b": `starts with "."`,
		"a..b": `".."`, "a@{b": `"@{"`, "a.": `ends with "."`, "a.lock": `".lock"`, "a.lock/b": `".lock"`,
		"a b": "space", "a\nb": "control", "a~b": `"~"`, "a^b": `"^"`, "a:b": `":"`, "a?b": `"?"`, "a*b": `"*"`,
		"a[b": `"["`, `a\b`: `"\\"`, strings.Repeat("a", 256): "at most 255", "\xff": "UTF-8",
	}
	for _, g := range good {
		if p := Problem(g); p != "" {
			t.Errorf("Problem(%q) = %q, want none", g, p)
		}
	}
	for s, want := range bad {
		if p := Problem(s); !strings.Contains(p, want) {
			t.Errorf("Problem(%q) = %q, want it to mention %q", s, p, want)
		}
	}
}

// TestAgreesWithGit checks the rule against git check-ref-format itself.
func TestAgreesWithGit(t *testing.T) {
	t.Parallel()
	git, err := exec.LookPath("git")
	if err != nil {
		t.Skip("no git")
	}
	for _, s := range []string{"main", "a..b", "a.lock", "a/.b", "x@{y", "ok/branch", "a b", "trailing.", "a~1", "feat;id", "$(id)"} {
		gitOK := exec.Command(git, "check-ref-format", "refs/heads/"+s).Run() == nil
		if ours := Problem(s) == ""; ours != gitOK {
			t.Errorf("%q: ours valid=%v, git valid=%v", s, ours, gitOK)
		}
	}
}
