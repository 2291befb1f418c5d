package app

import (
	"strings"
	"testing"
)

// TestValidateWarnsChecksCoverNoRepoComponent: SPEC section 3, `validate`
// warns about "gates whose checks cover no repo: component (nothing could
// ever be checked)", naming the label at its gates.checks line; a warning
// does not fail validate. In a runner it is an annotation at that line.
func TestValidateWarnsChecksCoverNoRepoComponent(t *testing.T) {
	dir := t.TempDir()
	file := writeFile(t, dir, "ladder.yaml", `version: 1
product: x
registry: ghcr.io/a/b
components:
  app: {repo: o/app}
  os: {git: "https://git.example.com/os.git"}
channels: {dev: {track: {branch: main}}}
labels:
  testing: {from: dev, gates: {checks: [build], components: [os]}}
  current: {from: dev, gates: {checks: [build]}}
`)
	want := file + `:9:32: warning: labels.testing.gates.checks: label testing's checks cover no repo: component: gates.components (line 9) names only git: components (os), which has no check runs or statuses; nothing can ever be checked and this gate never blocks (promote-label promotes saying "no check source"): gate a repo: component, or drop checks` + "\n"
	code, out, stderr := cliRun(t, nil, "validate", "--config", file)
	if code != ExitOK || !strings.Contains(out, ": ok (2 components, 1 channels, 2 labels)") || stderr != want {
		t.Errorf("exit %d, stdout %q, stderr:\n%s\nwant:\n%s", code, out, stderr, want)
	}
	code, out, _ = cliRun(t, map[string]string{"GITHUB_ACTIONS": "true"}, "validate", "--config", file)
	if code != ExitOK || !strings.Contains(out, "::warning file="+file+",line=9,col=32::labels.testing.gates.checks: label testing's checks cover no repo: component") {
		t.Errorf("in a runner: exit %d, stdout:\n%s", code, out)
	}
}
