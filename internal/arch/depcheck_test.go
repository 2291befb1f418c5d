// Package arch holds tests about the shape of the code base.
package arch

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/ladder-release/ladder"

// domain packages are pure: they decide, they never talk to a network, a file
// system or a runner. They import only the standard library, semver and each other.
var domain = []string{"channel", "graph", "promote", "cascade", "lock", "bundle", "refname"}

var allowed = []string{"github.com/Masterminds/semver/v3"}

func TestDomainPackagesArePure(t *testing.T) {
	checked := 0
	for _, d := range domain {
		matches, _ := filepath.Glob(filepath.Join("..", d, "*.go"))
		if len(matches) == 0 {
			continue // not written yet
		}
		checked++
		pkg := module + "/internal/" + d
		out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list %s: %v\n%s", pkg, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			if !isAllowed(dep) {
				t.Errorf("%s imports %s; domain packages may import only the standard library, %v and each other", pkg, dep, allowed)
			}
		}
	}
	if checked < 2 {
		t.Fatalf("checked %d domain packages; the lock and channel packages at least must exist", checked)
	}
}

// TestForbiddenPackagesInDomain also refuses standard packages that reach outside
// the process: a domain decision must not read the environment or the network.
func TestForbiddenStdPackagesInDomain(t *testing.T) {
	forbidden := []string{"net", "net/http", "os/exec", "os"}
	for _, d := range domain {
		matches, _ := filepath.Glob(filepath.Join("..", d, "*.go"))
		for _, m := range matches {
			if strings.HasSuffix(m, "_test.go") {
				continue
			}
			src, err := os.ReadFile(m)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range forbidden {
				if strings.Contains(string(src), "\t\""+f+"\"\n") || strings.Contains(string(src), "import \""+f+"\"") {
					t.Errorf("%s imports %q: domain code must stay pure", m, f)
				}
			}
		}
	}
}

func isAllowed(dep string) bool {
	if strings.HasPrefix(dep, module+"/internal/") {
		name := strings.TrimPrefix(dep, module+"/internal/")
		for _, d := range domain {
			if name == d {
				return true
			}
		}
		return false
	}
	for _, a := range allowed {
		if dep == a {
			return true
		}
	}
	return false
}
