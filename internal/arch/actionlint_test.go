package arch

import (
	"github.com/ladder-release/ladder/internal/testutil/gotool"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// actionlintVersion is pinned: the module proxy refuses some @latest listings.
const actionlintVersion = "v1.7.7"

// TestActionlint runs actionlint over the project's workflows and the example
// pipelines. Examples use `uses: ./actions/NAME`, so actionlint checks their
// inputs against each action.yml.
func TestActionlint(t *testing.T) {
	if testing.Short() {
		t.Skip("actionlint is built from the module proxy; skipped with -short")
	}
	root := filepath.Join("..", "..")
	var files []string
	for _, pattern := range []string{".github/workflows/*.yml", ".github/workflows/*.yaml", "examples/workflows/*.yml"} {
		m, err := filepath.Glob(filepath.Join(root, pattern))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Fatal("no workflows found to lint")
	}
	bin, err := gotool.Install(t, "github.com/rhysd/actionlint/cmd/actionlint", actionlintVersion)
	if err != nil {
		t.Fatalf("installing actionlint %s: %v", actionlintVersion, err)
	}
	rel := make([]string, len(files))
	for i, f := range files {
		rel[i], _ = filepath.Rel(root, f)
	}
	cmd := exec.Command(bin, append([]string{"-no-color"}, rel...)...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "SHELLCHECK_OPTS=") // shellcheck/pyflakes are used when present, not required
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("actionlint found problems (%v):\n%s", err, out)
	} else {
		t.Logf("actionlint %s: %d files clean", actionlintVersion, len(rel))
	}
}
