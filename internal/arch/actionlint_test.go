package arch

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ladder-release/ladder/internal/testutil/gotool"
)

// actionlintVersion is pinned: the module proxy refuses some @latest listings.
const actionlintVersion = "v1.7.7"

// publishedAction is how an example names one of ladder's actions: the form
// the README tells users to copy (a local `./actions/NAME` only works in this
// repository).
var publishedAction = regexp.MustCompile(`ladder-release/ladder/actions/([a-z0-9-]+)@v1\b`)

// TestActionlint runs actionlint over the project's workflows and the example
// pipelines. The examples name the published actions
// (ladder-release/ladder/actions/NAME@v1), whose inputs actionlint cannot
// check; so they are linted as copies that say `uses: ./actions/NAME`
// instead, in a scratch project whose actions/ is this repository's, and
// actionlint checks every `with:` against each action.yml.
func TestActionlint(t *testing.T) {
	if testing.Short() {
		t.Skip("actionlint is built from the module proxy; skipped with -short")
	}
	root := filepath.Join("..", "..")
	absRoot, err := filepath.Abs(root)
	if err != nil {
		t.Fatal(err)
	}
	glob := func(patterns ...string) []string {
		var rel []string
		for _, pattern := range patterns {
			m, err := filepath.Glob(filepath.Join(root, pattern))
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range m {
				r, _ := filepath.Rel(root, f)
				rel = append(rel, r)
			}
		}
		return rel
	}
	workflows := glob(".github/workflows/*.yml", ".github/workflows/*.yaml")
	examples := glob("examples/workflows/*.yml")
	if len(workflows) == 0 || len(examples) == 0 {
		t.Fatalf("workflows %v, examples %v: nothing to lint", workflows, examples)
	}

	// The scratch project: actionlint takes a directory holding both .git and
	// .github/workflows as the project root, and resolves ./actions/NAME there.
	scratch := t.TempDir()
	for _, d := range []string{".git", ".github/workflows", "examples/workflows"} {
		if err := os.MkdirAll(filepath.Join(scratch, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(absRoot, "actions"), filepath.Join(scratch, "actions")); err != nil {
		t.Fatal(err)
	}
	for _, ex := range examples {
		data, err := os.ReadFile(filepath.Join(root, ex))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(data), "./actions/") {
			t.Errorf("%s: uses a local ./actions/NAME; examples are copied into other repositories, so name ladder-release/ladder/actions/NAME@v1 as the README does", ex)
		}
		if !publishedAction.Match(data) {
			t.Errorf("%s: uses none of ladder's actions as ladder-release/ladder/actions/NAME@v1", ex)
		}
		local := publishedAction.ReplaceAll(data, []byte("./actions/$1"))
		if err := os.WriteFile(filepath.Join(scratch, ex), local, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	bin, err := gotool.Install(t, "github.com/rhysd/actionlint/cmd/actionlint", actionlintVersion)
	if err != nil {
		t.Fatalf("installing actionlint %s: %v", actionlintVersion, err)
	}
	lint := func(dir string, files []string) {
		t.Helper()
		cmd := exec.Command(bin, append([]string{"-no-color"}, files...)...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "SHELLCHECK_OPTS=") // shellcheck/pyflakes are used when present, not required
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("actionlint found problems (%v):\n%s", err, out)
		} else {
			t.Logf("actionlint %s: %d files clean", actionlintVersion, len(files))
		}
	}
	lint(root, workflows)
	lint(scratch, examples) // reported as examples/workflows/NAME.yml, line numbers unchanged
}
