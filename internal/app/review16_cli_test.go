package app

import "testing"

// review16: a name the config does not have is treated two ways.
// build-bundle/resolve-channel (channel), promote-label (label) and
// cascade-branches (channel) exit 1; cascade-branches' label input exits 2
// (misuse). One rule should hold for every action's channel and label
// inputs (the CHANGELOG promises "usage errors exit 2 everywhere"); and the
// "did you mean" build-bundle gives for a channel is missing for a label
// (promote-label --label currnt lists the labels but suggests nothing).
func TestReview16UnknownNameExitCodesAgree(t *testing.T) {
	ws := t.TempDir()
	writeFile(t, ws, ".github/ladder.yaml", "version: 1\nproduct: x\nregistry: ghcr.io/a/b\nledger: file:ledger.json\ncomponents: {a: {repo: o/r}}\n"+
		"channels: {dev: {track: {branch: main}}}\nlabels: {current: {from: dev}}\n"+
		"cascade: {repos: [{repo: o/m, when: {label: current}}]}\n")
	env := map[string]string{"GITHUB_WORKSPACE": ws}
	codes := map[string]int{}
	for name, args := range map[string][]string{
		"build-bundle --channel":     {"build-bundle", "--channel", "dve"},
		"cascade-branches --channel": {"cascade-branches", "--channel", "dve"},
		"promote-label --label":      {"promote-label", "--label", "currnt"},
		"cascade-branches --label":   {"cascade-branches", "--label", "currnt"},
	} {
		code, _, stderr := cliRun(t, env, args...)
		codes[name] = code
		t.Logf("%s: exit %d: %s", name, code, stderr)
	}
	want := codes["build-bundle --channel"]
	for name, code := range codes {
		if code != want {
			t.Errorf("%s exits %d, build-bundle --channel exits %d for the same kind of mistake", name, code, want)
		}
	}
}
