package arch

import (
	"os/exec"
	"strings"
	"testing"
)

// TestReleaseBinaryLinksNoTesting: the ladder binary (the image, every
// action) links no testing package. A library that imports testing from a
// non-test file (go-containerregistry's pkg/v1/remote does, through
// tarball and estargz) is kept out of cmd/ladder's dependencies.
func TestReleaseBinaryLinksNoTesting(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", module+"/cmd/ladder").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 50 {
		t.Fatalf("go list -deps gave %d packages: not the binary's dependencies?", len(deps))
	}
	for _, d := range deps {
		if d == "testing" || strings.HasPrefix(d, "testing/") || strings.HasPrefix(d, module+"/internal/testutil") {
			t.Errorf("cmd/ladder links %s", d)
		}
	}
}
