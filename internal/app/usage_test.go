package app

import (
	"strings"
	"testing"
)

// TestUsageErrorsExit2: every command answers a mistake in how it was called
// with exit 2 and the mistake on stderr (in a runner, as an annotation);
// what it finds wrong once it runs (a channel the config lacks) is exit 1.
func TestUsageErrorsExit2(t *testing.T) {
	ws := t.TempDir()
	writeFile(t, ws, ".github/ladder.yaml", cliGoodConfig)
	env := map[string]string{"GITHUB_WORKSPACE": ws}
	for _, c := range []struct {
		mistake string
		args    []string
		want    string
	}{
		{"unknown command", []string{"promte-label"}, `ladder: unknown command "promte-label" (did you mean "promote-label"?)`},
		{"an argument that is not a flag", []string{"validate", "ladder.yaml"}, `ladder validate: unexpected argument "ladder.yaml": inputs are given as --name value`},
		{"a flag given twice", []string{"status", "--config", "a", "--config", "b"}, "ladder status: --config given twice"},

		{"unknown input", []string{"resolve-channel", "--chanel", "dev"}, `ladder resolve-channel: unknown input --chanel (inputs: `},
		{"unknown input", []string{"build-bundle", "--channel", "dev", "--tag", "x"}, `ladder build-bundle: unknown input --tag (inputs: `},
		{"unknown input", []string{"promote-label", "--lable", "testing"}, `(did you mean "label"?)`},
		{"unknown input", []string{"cascade-branches", "--bogus", "x"}, "ladder cascade-branches: unknown input --bogus"},
		{"unknown flag", []string{"validate", "--bogus", "x"}, "ladder validate: unknown flag --bogus (flags: --config)"},
		{"unknown flag", []string{"schema", "--bogus", "x"}, "ladder schema: unknown flag --bogus (this command takes none)"},
		{"unknown flag", []string{"version", "--bogus"}, "ladder version: unknown flag --bogus (this command takes none)"},
		{"unknown flag", []string{"status", "--bogus", "x"}, "ladder status: unknown flag --bogus"},
		{"unknown flag", []string{"catalog", "--bogus", "x"}, "ladder catalog: unknown flag --bogus"},

		{"a flag without its value", []string{"resolve-channel", "--channel"}, "ladder resolve-channel: --channel needs a value"},
		{"a flag without its value", []string{"build-bundle", "--channel", "dev", "--version"}, "ladder build-bundle: --version needs a value"},
		{"a flag without its value", []string{"promote-label", "--label"}, "ladder promote-label: --label needs a value"},
		{"a flag without its value", []string{"cascade-branches", "--branch"}, "ladder cascade-branches: --branch needs a value"},
		{"a flag without its value", []string{"validate", "--config"}, "ladder validate: --config needs a value (--config PATH)"},
		{"a flag without its value", []string{"status", "--history"}, "ladder status: --history needs a label or channel name"},
		{"a flag without its value", []string{"catalog", "--format"}, "ladder catalog: --format needs json or yaml"},

		{"a required input missing", []string{"resolve-channel"}, "ladder resolve-channel: input channel: required, and not set"},
		{"a required input missing", []string{"build-bundle"}, "ladder build-bundle: input channel: required, and not set"},
		{"a required input missing", []string{"promote-label"}, "ladder promote-label: input label: required, and not set"},

		{"a malformed value", []string{"resolve-channel", "--channel", "dev", "--dry-run", "yes"}, `ladder resolve-channel: input dry-run: "yes" is not a boolean`},
		{"a malformed value", []string{"build-bundle", "--channel", "dev", "--version", "v1.2.3"}, "(drop the leading v)"},
		{"a malformed value", []string{"promote-label", "--label", "testing", "--mode", "rollbak"}, `(did you mean "rollback"?)`},
		{"a malformed value", []string{"cascade-branches", "--max-depth", "0"}, `ladder cascade-branches: input max-depth: "0" is not a number`},
		{"a malformed value", []string{"status", "--json=maybe"}, `ladder status: --json: "maybe" is not a boolean`},
		{"a malformed value", []string{"catalog", "--format", "xml"}, `ladder catalog: --format "xml": want json or yaml`},
	} {
		t.Run(c.mistake+": "+strings.Join(c.args, " "), func(t *testing.T) {
			code, _, stderr := cliRun(t, env, c.args...)
			if code != ExitUsage || !strings.Contains(stderr, c.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, stderr, ExitUsage, c.want)
			}
		})
	}
	// not usage errors: what the run finds
	for _, args := range [][]string{
		{"resolve-channel", "--channel", "nope"},
		{"validate", "--config", "missing.yaml"},
		{"status", "--config", "missing.yaml"},
	} {
		if code, _, stderr := cliRun(t, env, args...); code != ExitFailure {
			t.Errorf("%v: exit %d, want %d: %s", args, code, ExitFailure, stderr)
		}
	}
}
