// Package arch holds tests about the shape of the code base.
package arch

import (
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/ladder-release/ladder"

// domain packages are pure: they decide, they never talk to a network, a file
// system or a runner. They import only the standard library, semver and each other.
var domain = []string{"channel", "graph", "promote", "cascade", "lock", "bundle", "refname", "mermaid", "ledger/record", "publish", "retire", "tagname", "catalog", "changes", "converge", "redact", "attest"}

var allowed = []string{"github.com/Masterminds/semver/v3"}

// domainFiles returns the non-test .go files of domain package d, and fails
// the test when there are none: a package of the list that was renamed or
// removed must not silently drop out of the checks (update the list).
func domainFiles(t *testing.T, d string) []string {
	t.Helper()
	matches, err := filepath.Glob(filepath.Join("..", d, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, m := range matches {
		if !strings.HasSuffix(m, "_test.go") {
			files = append(files, m)
		}
	}
	if len(files) == 0 {
		t.Errorf("domain package internal/%s has no non-test .go files: renamed or removed? update the domain list", d)
	}
	return files
}

func TestDomainPackagesArePure(t *testing.T) {
	for _, d := range domain {
		if len(domainFiles(t, d)) == 0 {
			continue // reported
		}
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
}

// TestForbiddenStdPackagesInDomain also refuses standard packages that reach
// outside the process: a domain decision must not read the environment or the
// network. Every import of every non-test file counts, whatever its name
// (plain, aliased, blank or dot) and whatever its build constraints.
func TestForbiddenStdPackagesInDomain(t *testing.T) {
	forbidden := map[string]bool{"net": true, "net/http": true, "os/exec": true, "os": true}
	for _, d := range domain {
		for _, m := range domainFiles(t, d) {
			f, err := parser.ParseFile(token.NewFileSet(), m, nil, parser.ImportsOnly)
			if err != nil {
				t.Errorf("%s: %v", m, err)
				continue
			}
			for _, imp := range f.Imports {
				path, err := strconv.Unquote(imp.Path.Value)
				if err != nil {
					t.Errorf("%s: import %s: %v", m, imp.Path.Value, err)
					continue
				}
				if forbidden[path] {
					as := ""
					if imp.Name != nil {
						as = " as " + imp.Name.Name
					}
					t.Errorf("%s imports %q%s: domain code must stay pure", m, path, as)
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

// TestLadderDoesNotLinkSigstore: sigstore-go more than triples the binary
// and adds ~20 ms of package initialisation to every action's start
// (bench/RESULTS.md, "Signing"), so only cmd/ladder-sign links it; the
// ladder binary talks to it through internal/sigclient.
func TestLadderDoesNotLinkSigstore(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", module+"/cmd/ladder").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasPrefix(dep, "github.com/sigstore/") || dep == module+"/internal/sign" {
			t.Errorf("cmd/ladder links %s: signing belongs in cmd/ladder-sign", dep)
		}
	}
}
