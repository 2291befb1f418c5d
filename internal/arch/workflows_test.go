package arch

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// untrustedExpr matches expressions whose values an outsider can choose
// (GitHub's security hardening guide): they may reach a script only through
// env:, never interpolated into run:.
var untrustedExpr = regexp.MustCompile(`\$\{\{[^}]*(github\.event\.|github\.head_ref|inputs\.|steps\.[^}]*outputs\.(branch|chain|targets|versions|lock))`)

// TestWorkflowsFollowHardening: every workflow (the project's and the
// examples) states least permissions (top level or on every job), and no
// run: script interpolates untrusted values.
func TestWorkflowsFollowHardening(t *testing.T) {
	root := filepath.Join("..", "..")
	var files []string
	for _, pattern := range []string{".github/workflows/*.yml", "examples/workflows/*.yml"} {
		m, _ := filepath.Glob(filepath.Join(root, pattern))
		files = append(files, m...)
	}
	if len(files) < 6 {
		t.Fatalf("found %d workflows", len(files))
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var wf struct {
			Permissions any `yaml:"permissions"`
			Jobs        map[string]struct {
				Permissions any `yaml:"permissions"`
				Steps       []struct {
					Run string `yaml:"run"`
				} `yaml:"steps"`
			} `yaml:"jobs"`
		}
		if err := yaml.Unmarshal(data, &wf); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		name := filepath.Base(f)
		for job, j := range wf.Jobs {
			if wf.Permissions == nil && j.Permissions == nil {
				t.Errorf("%s: job %s has no permissions (and the workflow sets none): state the least it needs", name, job)
			}
			if p, ok := j.Permissions.(string); ok && strings.Contains(p, "write-all") {
				t.Errorf("%s: job %s asks for write-all", name, job)
			}
			for i, st := range j.Steps {
				if m := untrustedExpr.FindString(st.Run); m != "" {
					t.Errorf("%s: job %s step %d interpolates %q into run:; pass it through env:", name, job, i+1, m)
				}
			}
		}
		if p, ok := wf.Permissions.(string); ok && strings.Contains(p, "write-all") {
			t.Errorf("%s: workflow asks for write-all", name)
		}
	}
}
