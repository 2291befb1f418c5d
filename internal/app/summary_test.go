package app

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ladder-release/ladder/actions"
	"github.com/ladder-release/ladder/internal/testutil/golden"
)

var (
	digestRE = regexp.MustCompile(`sha256:[0-9a-f]{64}`)
	shortRE  = regexp.MustCompile(`sha256:[0-9a-f]{12}\b`)
	corrRE   = regexp.MustCompile(`run-4242-\d+-[0-9a-f]{12}`)
)

// normalize replaces what changes from run to run (ports, digests over
// content that names them) so a summary can be compared with a golden file.
func (w *world) normalize(s string) string {
	s = strings.ReplaceAll(s, w.osRepo.HTTPURL(), "GIT_SERVER/os")
	s = strings.ReplaceAll(s, w.registry, "REGISTRY")
	s = strings.ReplaceAll(s, w.gh.URL(), "GITHUB_API")
	s = digestRE.ReplaceAllString(s, "sha256:DIGEST")
	s = shortRE.ReplaceAllString(s, "sha256:SHORT")
	return corrRE.ReplaceAllString(s, "run-4242-CORRELATION")
}

// TestStepSummariesGolden: every action writes a markdown table, and a
// mermaid graph where a picture helps (the stream after a publish, the label
// history, the cascade plan). The summaries are what a release engineer
// reads on the run's page; golden files hold them (-update rewrites).
func TestStepSummariesGolden(t *testing.T) {
	w := newWorld(t, worldOpt{})
	cfg := withLedger(w.s1Config(`cascade:
  branches: {production: [staging], staging: [snapshot]}
  repos:
    - {repo: acme/elemental-iso, when: {channel: staging}}
`), "file:ledger.json")
	w.gh.CreateRepo("acme/elemental-iso")
	w.writeConfig(t, cfg)
	steps := []struct {
		file   string
		action string
		inputs map[string]string
		extra  map[string]string
		want   []string // what the summary must show, beyond the golden file
	}{
		{"resolve-channel.md", "resolve-channel", map[string]string{"channel": "staging"}, nil, []string{"| component | source | policy | ref | version | commit |"}},
		{"build-bundle.md", "build-bundle", map[string]string{"channel": "staging"}, nil, []string{"| published |", "```mermaid"}},
		{"promote-label.md", "promote-label", map[string]string{"label": "testing"}, nil, []string{"| label | decision |", "```mermaid"}},
		{"cascade-branches.md", "cascade-branches", map[string]string{"dry-run": "true"}, map[string]string{"GITHUB_EVENT_NAME": "push", "GITHUB_REF": "refs/heads/production", "GITHUB_RUN_ATTEMPT": "1"}, []string{"```mermaid", "staging"}},
	}
	for _, s := range steps {
		res := w.runAction(t, s.action, s.inputs, s.extra)
		if res.code != 0 {
			t.Fatalf("%s exited %d:\n%s%s", s.action, res.code, res.stdout, res.stderr)
		}
		// every output action.yml declares is set (runAction already fails
		// on one it does not declare)
		meta, err := actions.Load(s.action)
		if err != nil {
			t.Fatal(err)
		}
		for _, out := range meta.OutputNames() {
			if _, ok := res.outputs[out]; !ok {
				t.Errorf("%s: declared output %s was not set", s.action, out)
			}
		}
		got := w.normalize(res.summary)
		for _, want := range s.want {
			if !strings.Contains(got, want) {
				t.Errorf("%s summary lacks %q", s.action, want)
			}
		}
		golden.Compare(t, filepath.Join("testdata", "summary", s.file), []byte(got))
	}
}
