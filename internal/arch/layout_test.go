package arch

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestLayout: the top level a newcomer and the runner rely on.
func TestLayout(t *testing.T) {
	root := filepath.Join("..", "..")
	for _, p := range []string{"actions", "cmd", "internal", ".github", "testdata", "action.yml", "go.mod", "go.sum", "Dockerfile", "README.md", ".ci/run"} {
		if _, err := os.Stat(filepath.Join(root, p)); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
	if fi, err := os.Stat(filepath.Join(root, ".ci", "run")); err == nil && fi.Mode()&0o111 == 0 {
		t.Error(".ci/run is not executable")
	}
}

// TestDependenciesPinned: the four dependencies of the design are required
// directly, at exact release versions (no pseudo-versions, no ranges).
func TestDependenciesPinned(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	release := regexp.MustCompile(`^v\d+\.\d+\.\d+$`)
	for _, mod := range []string{"github.com/sethvargo/go-githubactions", "github.com/google/go-github/v60", "github.com/google/go-containerregistry", "github.com/Masterminds/semver/v3"} {
		re := regexp.MustCompile(`(?m)^\s+` + regexp.QuoteMeta(mod) + `\s+(\S+)(.*)$`)
		m := re.FindStringSubmatch(string(data))
		switch {
		case m == nil:
			t.Errorf("go.mod does not require %s", mod)
		case !release.MatchString(m[1]):
			t.Errorf("%s is at %s, not an exact release version", mod, m[1])
		case strings.Contains(m[2], "indirect"):
			t.Errorf("%s is only an indirect dependency", mod)
		}
	}
}

// TestREADMEOrder: the README reads in the order a newcomer needs it: what
// ladder is, the two commands, adopting it, the config reference, the
// security notes, and the architecture last.
func TestREADMEOrder(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var headings []string
	for _, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, "## ") {
			headings = append(headings, strings.TrimPrefix(l, "## "))
		}
	}
	want := []string{"The two commands", "Adopting ladder in five minutes", "Config reference", "Security notes", "Architecture"}
	pos := -1
	for _, w := range want {
		i := -1
		for j, h := range headings {
			if h == w {
				i = j
			}
		}
		if i <= pos {
			t.Fatalf("README sections %v: %q missing or out of order (want %v in this order)", headings, w, want)
		}
		pos = i
	}
	if headings[len(headings)-1] != "Architecture" {
		t.Errorf("the architecture section should close the README, got %q last", headings[len(headings)-1])
	}
	if !strings.HasPrefix(strings.TrimSpace(string(data)), "# ladder\n\nladder runs") {
		t.Error("the README does not open with what ladder is")
	}
}
