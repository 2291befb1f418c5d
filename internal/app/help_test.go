package app

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ladder-release/ladder/actions"
	"github.com/ladder-release/ladder/internal/testutil/golden"
)

// TestHelp: `ladder NAME --help`, `ladder NAME -h` and `ladder help NAME`
// print the same text and exit 0: for an action, its description, inputs
// (the required ones in the usage line, defaults shown) and outputs, read
// from the embedded action.yml; for a CLI-only command (and one the binary
// adds), its usage line and flags. --help wins over any other mistake in the
// arguments. The texts are golden files under testdata/help.
func TestHelp(t *testing.T) {
	extra := map[string]Command{"demo": {Usage: "run the demo", Flags: []string{"keep", "dir"}, Bools: []string{"keep"},
		Run: func(context.Context, Call) error { t.Error("demo --help ran the demo"); return nil }}}
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := Main(context.Background(), args, Deps{Stdout: &out, Stderr: &errb, Commands: extra, Now: func() time.Time { return now }})
		return code, out.String(), errb.String()
	}
	names := append(actions.Names(), "validate", "schema", "version", "status", "catalog", "demo")
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			code, text, stderr := run(name, "--help")
			if code != ExitOK || stderr != "" || !strings.HasPrefix(text, "usage: ladder "+name) {
				t.Fatalf("exit %d, stderr %q, stdout:\n%s", code, stderr, text)
			}
			for _, args := range [][]string{{"help", name}, {name, "-h"}, {name, "--bogus", "x", "--help"}} {
				if code, again, _ := run(args...); code != ExitOK || again != text {
					t.Errorf("%v: exit %d, and not the same text:\n%s", args, code, again)
				}
			}
			if meta, err := actions.Load(name); err == nil {
				if !strings.Contains(text, "\n"+meta.Description+"\n") {
					t.Errorf("the description is missing:\n%s", text)
				}
				for _, in := range meta.InputNames() {
					spec := meta.Inputs[in]
					line := lineOf(text, "  --"+in+" ")
					switch {
					case line == "":
						t.Errorf("input %s is not listed", in)
					case spec.Required && !strings.Contains(line, "(required)"):
						t.Errorf("input %s: not said to be required: %q", in, line)
					case spec.Default != "" && !strings.Contains(line, spec.Default):
						t.Errorf("input %s: its default %q is not shown: %q", in, spec.Default, line)
					}
					if spec.Required && !strings.Contains(text, "usage: ladder "+name+" --"+in+" VALUE") {
						t.Errorf("required input %s is not in the usage line", in)
					}
				}
				for _, out := range meta.OutputNames() {
					if lineOf(text, "  "+out+" ") == "" {
						t.Errorf("output %s is not listed", out)
					}
				}
			}
			if name == "build-bundle" || name == "status" || name == "demo" {
				golden.Compare(t, filepath.Join("testdata", "help", name+".txt"), []byte(text))
			}
		})
	}
	for _, c := range []struct {
		flags []string
		names []string
	}{
		{[]string{"validate", "--help"}, []string{"--config PATH"}},
		{[]string{"status", "--help"}, []string{"--config PATH", "--history NAME", "--json "}},
		{[]string{"catalog", "--help"}, []string{"--config PATH", "--format json|yaml"}},
		{[]string{"demo", "--help"}, []string{"--keep", "--dir VALUE"}},
	} {
		_, text, _ := run(c.flags...)
		for _, n := range c.names {
			if !strings.Contains(text, "\n  "+n) {
				t.Errorf("%v lacks flag %q:\n%s", c.flags, n, text)
			}
		}
	}
	if _, text, _ := run("diff", "--help"); !strings.HasPrefix(text, "usage: ladder diff A B [--config PATH] [--json]\n") {
		t.Errorf("ladder diff --help does not show its two arguments:\n%s", text)
	}
	if code, _, stderr := run("help", "promote-lable"); code != ExitUsage || !strings.Contains(stderr, `unknown command "promote-lable" (did you mean "promote-label"?)`) {
		t.Errorf("help of an unknown command: exit %d, %q", code, stderr)
	}
	if code, text, _ := run("help"); code != ExitOK || !strings.Contains(text, "ladder NAME --help") || !strings.Contains(text, "Exit codes: 0") {
		t.Errorf("help: exit %d:\n%s", code, text)
	}
}

// lineOf returns the line of text that starts with prefix, or "".
func lineOf(text, prefix string) string {
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

// TestUnknownChannelListsTheChannels: build-bundle and resolve-channel
// answer a channel the config lacks with the channels it has, and the one
// meant when the name is a typo away (exit 1: the config decides).
func TestUnknownChannelListsTheChannels(t *testing.T) {
	ws := t.TempDir()
	writeFile(t, ws, ".github/ladder.yaml", "version: 1\nproduct: x\nregistry: ghcr.io/a/b\ncomponents: {a: {repo: o/r}}\n"+
		"channels: {dev: {track: {branch: main}}, stable: {track: {branch: main}}}\n")
	env := map[string]string{"GITHUB_WORKSPACE": ws}
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"build-bundle, a typo", []string{"build-bundle", "--channel", "stabel"},
			`ladder build-bundle: input channel: "stabel" is not a channel of .github/ladder.yaml (channels: dev, stable) (did you mean "stable"?)` + "\n"},
		{"build-bundle, nothing close", []string{"build-bundle", "--channel", "nightly"},
			`ladder build-bundle: input channel: "nightly" is not a channel of .github/ladder.yaml (channels: dev, stable)` + "\n"},
		{"resolve-channel, a typo", []string{"resolve-channel", "--channel", "de"},
			`ladder resolve-channel: input channel: "de" is not a channel of .github/ladder.yaml (channels: dev, stable) (did you mean "dev"?)` + "\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := cliRun(t, env, c.args...)
			if code != ExitFailure || stderr != c.want {
				t.Errorf("exit %d, stderr\n%s\nwant exit 1, stderr\n%s", code, stderr, c.want)
			}
		})
	}
}

// TestRounded: durations a person reads are whole seconds (milliseconds
// below a second).
func TestRounded(t *testing.T) {
	for _, c := range []struct {
		in   time.Duration
		want string
	}{
		{56789 * time.Millisecond, "57s"},
		{9*time.Minute + 56750*time.Millisecond, "9m57s"},
		{2 * time.Minute, "2m0s"},
		{1499 * time.Millisecond, "1s"},
		{250*time.Millisecond + 400*time.Microsecond, "250ms"},
	} {
		if got := rounded(c.in).String(); got != c.want {
			t.Errorf("rounded(%s) = %s, want %s", c.in, got, c.want)
		}
	}
}

// TestPromotePollMessageRounds: while it waits out a soak, promote-label
// says how long it will wait in whole seconds, and still waits exactly the
// soak's rest.
func TestPromotePollMessageRounds(t *testing.T) {
	w, clk := newPromoteWorld(t, "file:ledger.json", "  testing:\n    from: dev\n    gates: {soak: 1h}\n")
	publishDev(t, w, clk, "1.0.1")
	clk.Advance(50*time.Minute + 3250*time.Millisecond) // 9m56.75s of soak left
	res := promoteWant(t, w, clk, map[string]string{"label": "testing", "wait": "30m"}, 0, "promoted")
	if !strings.Contains(res.stdout, "polling again in 9m57s\n") || strings.Contains(res.stdout, "56.75s") {
		t.Errorf("stdout:\n%s", res.stdout)
	}
	if s := clk.Sleeps(); len(s) != 1 || s[0] != 9*time.Minute+56750*time.Millisecond {
		t.Errorf("sleeps %v, want the 9m56.75s of soak left", s)
	}
}
