package config_test

import (
	"testing"

	"github.com/ladder-release/ladder/internal/config"
)

// TestLintLabelsNeedALedger: labels with ledger: none parse (status and a
// label-following channel read the registry's tags) but cannot work:
// promote-label refuses to run without a ledger. Lint says so at the
// labels key; retention with ledger: none is only a warning.
func TestLintLabelsNeedALedger(t *testing.T) {
	const head = `version: 1
product: demo
registry: ghcr.io/acme/demo
`
	const rest = `components:
  app: {repo: acme/app}
channels:
  dev:
    track: {branch: main}
    retention: {keep: 3}
  stable:
    track: {branch: stable}
    retention: {keep: all}
labels:
  testing: {from: dev}
`
	lint := func(t *testing.T, yaml string) (errs, warnings []string) {
		t.Helper()
		c, err := config.Parse("ladder.yaml", []byte(yaml))
		if err != nil {
			t.Fatalf("Parse: %v", err)
		}
		e, w := config.Lint(c)
		checkLint(t, e)
		checkLint(t, w)
		for _, x := range e {
			errs = append(errs, x.Error())
		}
		for _, x := range w {
			warnings = append(warnings, x.Error())
		}
		return errs, warnings
	}
	errs, warnings := lint(t, head+"ledger: none\n"+rest)
	wantErr := "ladder.yaml:14:1: labels: labels need a ledger (ledger: github or ledger: file:PATH): promote-label keeps each label's history, holds and quarantines there, and ledger: none (line 4) keeps none"
	if len(errs) != 1 || errs[0] != wantErr {
		t.Errorf("errors %q, want %q", errs, wantErr)
	}
	wantWarn := "ladder.yaml:10:5: channels.dev.retention: keep: 3 does nothing with ledger: none (line 4): no tag is deleted without a ledger to record the deletion"
	if len(warnings) != 1 || warnings[0] != wantWarn {
		t.Errorf("warnings %q, want %q", warnings, wantWarn)
	}
	for _, ledger := range []string{"", "ledger: github\n", "ledger: file:ledger.json\n"} {
		if errs, warnings := lint(t, head+ledger+rest); errs != nil || warnings != nil {
			t.Errorf("%q: errors %q, warnings %q", ledger, errs, warnings)
		}
	}
	// ledger: none without labels or retention is fine
	if errs, warnings := lint(t, head+"ledger: none\ncomponents: {app: {repo: acme/app}}\nchannels: {dev: {track: {branch: main}}}\n"); errs != nil || warnings != nil {
		t.Errorf("errors %q, warnings %q", errs, warnings)
	}
}

func checkLint(t *testing.T, errs config.Errors) {
	t.Helper()
	if len(errs) > 0 {
		checkErrors(t, errs)
	}
}
