package config_test

import (
	"strings"
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

// TestLintChecksCoverNoRepoComponent: SPEC section 3, `validate` warns where
// a config can only disappoint: "gates whose checks cover no repo: component
// (nothing could ever be checked)". The warning names the label, at its
// gates.checks key; gates.components narrows what is in scope.
func TestLintChecksCoverNoRepoComponent(t *testing.T) {
	const head = `version: 1
product: demo
registry: ghcr.io/acme/demo
`
	const mixed = `components:
  app: {repo: acme/app}
  os:  {git: "https://git.example.com/os.git"}
  iso: {git: "https://git.example.com/iso.git"}
channels:
  dev: {track: {branch: main}}
labels:
`
	const gitOnly = `components:
  os:  {git: "https://git.example.com/os.git"}
channels:
  dev: {track: {branch: main}}
labels:
`
	cases := []struct {
		name     string
		yaml     string
		warnings []string
	}{
		{"every component is git:", head + gitOnly + "  testing: {from: dev, gates: {checks: [build, e2e]}}\n", []string{
			`ladder.yaml:9:32: labels.testing.gates.checks: label testing's checks cover no repo: component: every component is git: (os), which has no check runs or statuses; nothing can ever be checked and this gate never blocks (promote-label promotes saying "no check source"): gate a repo: component, or drop checks`,
		}},
		{"checks: all, every component git:", head + gitOnly + "  testing:\n    from: dev\n    gates:\n      checks: all\n", []string{
			`ladder.yaml:12:7: labels.testing.gates.checks: label testing's checks cover no repo: component: every component is git: (os), which has no check runs or statuses; nothing can ever be checked and this gate never blocks (promote-label promotes saying "no check source"): gate a repo: component, or drop checks`,
		}},
		{"gates.components names only git: components", head + mixed + "  current:\n    from: dev\n    gates: {checks: all, components: [os, iso]}\n", []string{
			`ladder.yaml:13:13: labels.current.gates.checks: label current's checks cover no repo: component: gates.components (line 13) names only git: components (os, iso), which have no check runs or statuses; nothing can ever be checked and this gate never blocks (promote-label promotes saying "no check source"): gate a repo: component, or drop checks`,
		}},
		{"two labels, in file order", head + mixed + "  b: {from: dev, gates: {checks: [e2e], components: [iso]}}\n  a: {from: dev, gates: {checks: [build], components: [os]}}\n", []string{
			`ladder.yaml:11:26: labels.b.gates.checks: label b's checks cover no repo: component: gates.components (line 11) names only git: components (iso), which has no check runs or statuses; nothing can ever be checked and this gate never blocks (promote-label promotes saying "no check source"): gate a repo: component, or drop checks`,
			`ladder.yaml:12:26: labels.a.gates.checks: label a's checks cover no repo: component: gates.components (line 12) names only git: components (os), which has no check runs or statuses; nothing can ever be checked and this gate never blocks (promote-label promotes saying "no check source"): gate a repo: component, or drop checks`,
		}},
		{"a repo: component in scope", head + mixed + "  testing: {from: dev, gates: {checks: [build]}}\n", nil},
		{"gates.components names a repo: component", head + mixed + "  testing: {from: dev, gates: {checks: [build], components: [os, app]}}\n", nil},
		{"soak only, no checks", head + gitOnly + "  testing: {from: dev, gates: {soak: 2h}}\n", nil},
		{"no gates", head + gitOnly + "  testing: {from: dev}\n", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := config.Parse("ladder.yaml", []byte(tc.yaml))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			errs, warnings := config.Lint(c)
			if errs != nil {
				t.Errorf("errors %v", errs)
			}
			checkLint(t, warnings)
			var got []string
			for _, w := range warnings {
				got = append(got, w.Error())
			}
			if strings.Join(got, "\n") != strings.Join(tc.warnings, "\n") {
				t.Errorf("warnings\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.warnings, "\n"))
			}
		})
	}

	// with ledger: none, next to the retention warning, in file order
	yaml := head + "ledger: none\n" + gitOnly[:len(gitOnly)-len("labels:\n")] +
		"  stable: {track: {branch: main}, retention: {keep: 2}}\nlabels:\n  testing: {from: dev, gates: {checks: [build]}}\n"
	c, err := config.Parse("ladder.yaml", []byte(yaml))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	_, warnings := config.Lint(c)
	checkLint(t, warnings)
	if len(warnings) != 2 || warnings[0].Field != "channels.stable.retention" || warnings[1].Field != "labels.testing.gates.checks" {
		t.Errorf("warnings %v", warnings)
	}
}
