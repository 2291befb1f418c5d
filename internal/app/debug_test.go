package app

import (
	"strings"
	"testing"
)

// TestRunnerDebugLogsRequests: with the run's debug logging on
// (RUNNER_DEBUG=1, SPEC section 4) every GitHub and registry request is a
// ::debug:: line, without its query; without it there is none.
func TestRunnerDebugLogsRequests(t *testing.T) {
	w := newS1World(t, "file:ledger.json")
	quiet := w.runAction(t, "resolve-channel", map[string]string{"channel": "stable"}, nil)
	if quiet.code != 0 || strings.Contains(quiet.stdout, "::debug::") {
		t.Fatalf("without RUNNER_DEBUG: exit %d, debug lines:\n%s", quiet.code, quiet.stdout)
	}
	debug := map[string]string{"RUNNER_DEBUG": "1"}
	resolved := w.runAction(t, "resolve-channel", map[string]string{"channel": "dev"}, debug) // reads GitHub
	built := w.runAction(t, "build-bundle", map[string]string{"channel": "dev"}, debug)       // writes the registry
	if resolved.code != 0 || built.code != 0 {
		t.Fatalf("exit %d, %d\n%s%s", resolved.code, built.code, resolved.stdout, built.stdout)
	}
	var registry, github int
	for _, l := range strings.Split(resolved.stdout+built.stdout, "\n") {
		if !strings.HasPrefix(l, "::debug::") {
			continue
		}
		if strings.Contains(l, "?") {
			t.Errorf("a debug line shows a query: %s", l)
		}
		switch {
		case strings.Contains(l, w.registry+"/v2/"):
			registry++
		case strings.Contains(l, w.gh.URL()):
			github++
		}
	}
	if registry == 0 || github == 0 {
		t.Errorf("%d registry and %d GitHub request lines with RUNNER_DEBUG=1:\n%s%s", registry, github, resolved.stdout, built.stdout)
	}
}
