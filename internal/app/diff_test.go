package app

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ladder-release/ladder/internal/action/actiontest"
)

// runDiff runs `ladder diff ARGS` as a person would, in the world's
// workspace, with GitHub at the simulator.
func (w *world) runDiff(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	e := map[string]string{"GITHUB_WORKSPACE": w.ws, "GITHUB_API_URL": w.gh.URL(), "GITHUB_REPOSITORY": "acme/elemental", "GITHUB_TOKEN": actiontest.Token}
	for k, v := range env {
		e[k] = v
	}
	var out, errb bytes.Buffer
	code := Main(context.Background(), append([]string{"diff"}, args...), Deps{
		Getenv: func(k string) string { return e[k] },
		Stdout: &out, Stderr: &errb,
		Now:   func() time.Time { return now },
		Sleep: func(context.Context, time.Duration) error { return nil },
	})
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

// TestDiffCommand: `ladder diff A B` resolves versions, digests, channels
// and labels through the ledger to bundles, reads their locks from the
// registry and prints build-bundle's table, and with --json its `changes`
// output, byte for byte.
func TestDiffCommand(t *testing.T) {
	w := newWorld(t, worldOpt{})
	clk := newClock()
	w.writeConfig(t, w.promoteConfig("file:ledger.json", "  testing: {from: dev}\n", ""))
	d1 := publishDev(t, w, clk, "1.0.1")
	promoteWant(t, w, clk, map[string]string{"label": "testing"}, 0, "promoted")
	c4 := w.gh.Commit("rancher/elemental-cli", "main", "cli: four | <b>")
	clk.Advance(time.Second)
	built := w.runAt(t, clk, "build-bundle", map[string]string{"channel": "dev", "version": "1.0.2", "lock-file": "none.json"})
	if built.code != 0 {
		t.Fatalf("exit %d\n%s", built.code, built.stdout)
	}
	for _, args := range [][]string{
		{"1.0.1", "1.0.2"}, {"v1.0.1", "dev"}, {"testing", "dev"}, {d1, built.outputs["digest"]}, {"--json", "testing", "1.0.2"}, {"testing", "--config", ".github/ladder.yaml", "1.0.2", "--json"},
	} {
		res := w.runDiff(t, nil, args...)
		if res.code != 0 {
			t.Fatalf("ladder diff %v: exit %d\n%s", args, res.code, res.stderr)
		}
		if strings.Contains(strings.Join(args, " "), "--json") {
			if res.stdout != built.outputs["changes"]+"\n" {
				t.Errorf("ladder diff %v --json:\n%s\nwant build-bundle's changes output\n%s", args, res.stdout, built.outputs["changes"])
			}
			continue
		}
		for _, want := range []string{"elemental: ", " -> ", "| component | from | to | status | commits | changes |",
			"| cli | main " + w.c["cli3"][:7] + " | main " + c4[:7] + " | ahead | [1](<", c4[:7] + " cli: four \\| &lt;b&gt; (ghsim) |", "| toolkit |", "| identical |"} {
			if !strings.Contains(res.stdout, want) {
				t.Errorf("ladder diff %v lacks %q:\n%s", args, want, res.stdout)
			}
		}
	}
	// in a runner, a subject cannot forge a workflow command
	w.gh.Commit("rancher/elemental-cli", "main", "::error::forged")
	clk.Advance(time.Second)
	publishDev(t, w, clk, "1.0.3")
	for _, args := range [][]string{{"1.0.2", "1.0.3"}, {"1.0.2", "1.0.3", "--json"}} {
		res := w.runDiff(t, map[string]string{"GITHUB_ACTIONS": "true"}, args...)
		if res.code != 0 {
			t.Fatalf("exit %d\n%s", res.code, res.stderr)
		}
		for _, line := range strings.Split(res.stdout, "\n") {
			if strings.HasPrefix(strings.TrimLeft(line, "| "), "::error::forged") || strings.Contains(res.stdout, "::error::forged") && !strings.Contains(res.stdout, "::stop-commands::") {
				t.Errorf("ladder diff %v in a runner writes a command from a commit:\n%s", args, res.stdout)
				break
			}
		}
	}
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"one bundle", []string{"1.0.1"}, "ladder diff compares two bundles: ladder diff A B"},
		{"three", []string{"1.0.1", "1.0.2", "1.0.3"}, "got 3 argument(s)"},
		{"unknown name", []string{"1.0.1", "9.9.9"}, `"9.9.9" is not a channel or label of .github/ladder.yaml, nor a version or digest the ledger holds`},
		{"a channel with no bundle", []string{"1.0.1", "staging"}, `"staging": channel staging has no bundle yet`},
		{"unknown flag", []string{"1.0.1", "1.0.2", "--format", "x"}, "unknown flag --format"},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := w.runDiff(t, nil, c.args...)
			if res.code == 0 || !strings.Contains(res.stderr, c.want) {
				t.Errorf("exit %d, stderr %q, want an error holding %q", res.code, res.stderr, c.want)
			}
		})
	}
}

// TestDiffLedgerNone: with ledger: none, `ladder diff` resolves through the
// registry's tags: a version tag, a channel tag, a digest.
func TestDiffLedgerNone(t *testing.T) {
	w := newWorld(t, worldOpt{})
	clk := newClock()
	w.writeConfig(t, w.s1Config(""))
	d1 := publishDev(t, w, clk, "1.0.1")
	c4 := w.gh.Commit("rancher/elemental-cli", "main", "cli: four")
	clk.Advance(time.Second)
	publishDev(t, w, clk, "1.0.2")
	for _, args := range [][]string{{"1.0.1", "dev"}, {d1, "1.0.2"}} {
		res := w.runDiff(t, nil, args...)
		if res.code != 0 || !strings.Contains(res.stdout, c4[:7]+" cli: four (ghsim)") {
			t.Errorf("ladder diff %v: exit %d\n%s%s", args, res.code, res.stdout, res.stderr)
		}
	}
	if res := w.runDiff(t, nil, "1.0.1", "7.7.7"); res.code == 0 || !strings.Contains(res.stderr, `"7.7.7": no bundle at`) {
		t.Errorf("exit %d %s", res.code, res.stderr)
	}
}
