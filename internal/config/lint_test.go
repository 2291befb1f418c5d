package config_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ladder-release/ladder/internal/config"
)

// TestLintLabelsNeedALedger: labels with ledger: none parse (status and a
// label-following channel read the registry's tags) but cannot work:
// promote-label refuses to run without a ledger. Lint says so at the
// labels key; retention with ledger: none is only a warning.
func TestLintLabelsNeedALedger(t *testing.T) {
	t.Parallel()
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
	errs, warnings := lintYAML(t, demoHead+"ledger: none\n"+rest)
	wantErr := "ladder.yaml:14:1: labels: labels need a ledger (ledger: github or ledger: file:PATH): promote-label keeps each label's history, holds and quarantines there, and ledger: none (line 4) keeps none"
	if len(errs) != 1 || errs[0] != wantErr {
		t.Errorf("errors %q, want %q", errs, wantErr)
	}
	wantWarn := "ladder.yaml:10:5: channels.dev.retention: keep: 3 does nothing with ledger: none (line 4): no tag is deleted without a ledger to record the deletion"
	if len(warnings) != 1 || warnings[0] != wantWarn {
		t.Errorf("warnings %q, want %q", warnings, wantWarn)
	}
	for _, ledger := range []string{"", "ledger: github\n", "ledger: file:ledger.json\n"} {
		if errs, warnings := lintYAML(t, demoHead+ledger+rest); errs != nil || warnings != nil {
			t.Errorf("%q: errors %q, warnings %q", ledger, errs, warnings)
		}
	}
	// ledger: none without labels or retention is fine
	if errs, warnings := lintYAML(t, demoHead+"ledger: none\ncomponents: {app: {repo: acme/app}}\nchannels: {dev: {track: {branch: main}}}\n"); errs != nil || warnings != nil {
		t.Errorf("errors %q, warnings %q", errs, warnings)
	}
}

// demoHead is the start of every config of these tests: the version, the
// product and its registry.
const demoHead = `version: 1
product: demo
registry: ghcr.io/acme/demo
`

func checkLint(t *testing.T, errs config.Errors) {
	t.Helper()
	if len(errs) > 0 {
		checkErrors(t, errs)
	}
}

// lintYAML parses yaml, which must parse, lints it, checks the errors and
// the warnings with checkLint and returns their texts.
func lintYAML(t *testing.T, yaml string) (errs, warnings []string) {
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

// wantNoErrorsAndWarnings asserts that yaml lints without errors and with
// exactly the warnings want, in order.
func wantNoErrorsAndWarnings(t *testing.T, yaml string, want []string) {
	t.Helper()
	errs, warnings := lintYAML(t, yaml)
	if errs != nil {
		t.Errorf("errors %v", errs)
	}
	if strings.Join(warnings, "\n") != strings.Join(want, "\n") {
		t.Errorf("warnings\n%s\nwant\n%s", strings.Join(warnings, "\n"), strings.Join(want, "\n"))
	}
}

// TestLintVersionCollisions: a version is unique per product (SPEC section
// 2), so `ladder validate` warns, whatever the ledger, when two channels'
// version rules can give the same version: at the later rule, naming the
// earlier one and its line, and saying what happens (a bump passes over, a
// from: or a prerelease cannot).
func TestLintVersionCollisions(t *testing.T) {
	t.Parallel()
	const head = demoHead + `components:
  app: {repo: acme/app}
  os: {repo: acme/os}
channels:
`
	// A channel from line 8 on: its name, its version rule (if any) at
	// column 15 of the next line, then its track.
	channel := func(name, rule string) string {
		s := "  " + name + ":\n    track: {semver: \">=0.1.0\"}\n"
		if rule != "" {
			s = "  " + name + ":\n    version: {" + rule + "}\n    track: {semver: \">=0.1.0\"}\n"
		}
		return s
	}
	cases := []struct {
		name     string
		channels string
		want     []string
	}{
		{"two bumps of the same step", channel("stable", "bump: patch") + channel("lts", "bump: patch"),
			[]string{"ladder.yaml:12:15: channels.lts.version.bump: patch can give the same version as channels.stable.version.bump: patch (line 9): both count from 0.0.0 one patch at a time; each bump passes over the versions the other channel holds, so the two channels' versions interleave"}},
		{"bumps of different steps never meet", channel("stable", "bump: patch") + channel("lts", "bump: minor") + channel("major", "bump: major"), nil},
		{"a bump, then a from:", channel("stable", "bump: patch") + channel("staging", "from: app"),
			[]string{"ladder.yaml:12:15: channels.staging.version.from: app can give the same version as channels.stable.version.bump: patch (line 9): a release of component app can be a version stable's bump gives; stable's bump will pass over the versions staging holds, but a from: cannot pass over, so staging's publish fails when app's version is one stable already holds"}},
		{"a from:, then a bump", channel("staging", "from: app") + channel("stable", "bump: major"),
			[]string{"ladder.yaml:12:15: channels.stable.version.bump: major can give the same version as channels.staging.version.from: app (line 9): a release of component app can be a version stable's bump gives; stable's bump will pass over the versions staging holds, but a from: cannot pass over, so staging's publish fails when app's version is one stable already holds"}},
		{"two from: of the same component", channel("staging", "from: app") + channel("candidate", "from: app"),
			[]string{"ladder.yaml:12:15: channels.candidate.version.from: app can give the same version as channels.staging.version.from: app (line 9): both take component app's version, so when both channels resolve the same release of app, the second to publish it fails (a from: cannot pass over)"}},
		{"two from: of different components", channel("staging", "from: app") + channel("os", "from: os"),
			[]string{"ladder.yaml:12:15: channels.os.version.from: os can give the same version as channels.staging.version.from: app (line 9): components app and os can have equal versions (both repositories can tag 1.0.0), and the second channel to publish such a version fails (a from: cannot pass over)"}},
		{"two prereleases of the same name", channel("dev", "prerelease: dev") + channel("pr", "prerelease: dev"),
			[]string{"ladder.yaml:12:15: channels.pr.version.prerelease: dev can give the same version as channels.dev.version.prerelease: dev (line 9): both make versions X.Y.Z-dev.<time>.<composite id>, so the same commits resolved in the same second give the same version in both, and the second publish fails; give each channel its own version.prerelease"}},
		{"a default rule is a prerelease of the channel's name", channel("pr", "prerelease: dev") + channel("dev", ""),
			[]string{"ladder.yaml:11:3: channels.dev: its default version rule, prerelease: dev, can give the same version as channels.pr.version.prerelease: dev (line 9): both make versions X.Y.Z-dev.<time>.<composite id>, so the same commits resolved in the same second give the same version in both, and the second publish fails; give each channel its own version.prerelease"}},
		{"default names that make the same identifiers", channel("my_chan", "") + channel("my-chan", ""),
			[]string{"ladder.yaml:10:3: channels.my-chan: its default version rule, prerelease: my-chan, can give the same version as channels.my_chan's default version rule, prerelease: my-chan (line 8): both make versions X.Y.Z-my-chan.<time>.<composite id>, so the same commits resolved in the same second give the same version in both, and the second publish fails; give each channel its own version.prerelease"}},
		{"prereleases of different names cannot collide", channel("dev", "prerelease: dev") + channel("pr", "prerelease: pr") + channel("nightly", ""), nil},
		{"a prerelease never meets a bump or a from:", channel("dev", "") + channel("stable", "bump: patch") + channel("rc", "prerelease: rc") + channel("staging", "from: app"),
			[]string{"ladder.yaml:17:15: channels.staging.version.from: app can give the same version as channels.stable.version.bump: patch (line 11): a release of component app can be a version stable's bump gives; stable's bump will pass over the versions staging holds, but a from: cannot pass over, so staging's publish fails when app's version is one stable already holds"}},
		{"each pair once, at the later rule, in file order", channel("stable", "bump: patch") + channel("staging", "from: app") + channel("lts", "bump: patch"),
			[]string{
				"ladder.yaml:12:15: channels.staging.version.from: app can give the same version as channels.stable.version.bump: patch (line 9)",
				"ladder.yaml:15:15: channels.lts.version.bump: patch can give the same version as channels.stable.version.bump: patch (line 9)",
				"ladder.yaml:15:15: channels.lts.version.bump: patch can give the same version as channels.staging.version.from: app (line 12)",
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, ledger := range []string{"", "ledger: none\n", "ledger: file:ledger.json\n"} {
				errs, warnings := lintYAML(t, head+tc.channels+ledger)
				if errs != nil {
					t.Fatalf("errors %v", errs)
				}
				if len(warnings) != len(tc.want) {
					t.Fatalf("%q: %d warnings, want %d:\n%v", ledger, len(warnings), len(tc.want), warnings)
				}
				for i, w := range warnings {
					if !strings.HasPrefix(w, tc.want[i]) {
						t.Errorf("%q: warning %d:\n%s\nwant:\n%s", ledger, i, w, tc.want[i])
					}
				}
			}
		})
	}
}

// TestLintVersionCollisionsAreBounded: a file of many channels with one
// rule lists at most maxErrors pairs, then says how many more.
func TestLintVersionCollisionsAreBounded(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("version: 1\nproduct: demo\nregistry: ghcr.io/acme/demo\ncomponents: {app: {repo: acme/app}}\nchannels:\n")
	for i := 0; i < 30; i++ { // 435 pairs
		fmt.Fprintf(&b, "  c%d: {track: {branch: main}, version: {from: app}}\n", i)
	}
	_, warnings := lintYAML(t, b.String())
	if n := len(warnings); n != 201 || !strings.HasSuffix(warnings[n-1], "channels: 235 more pairs of channels can give the same version, not shown") {
		t.Errorf("%d warnings, last %v", n, warnings[n-1])
	}
}

// TestLintChecksCoverNoRepoComponent: SPEC section 3, `validate` warns where
// a config can only disappoint: "gates whose checks cover no repo: component
// (nothing could ever be checked)". The warning names the label, at its
// gates.checks key; gates.components narrows what is in scope.
func TestLintChecksCoverNoRepoComponent(t *testing.T) {
	t.Parallel()
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
		{"every component is git:", demoHead + gitOnly + "  testing: {from: dev, gates: {checks: [build, e2e]}}\n", []string{
			`ladder.yaml:9:32: labels.testing.gates.checks: label testing's checks cover no repo: component: every component is git: (os), which has no check runs or statuses; nothing can ever be checked and this gate never blocks (promote-label promotes saying "no check source"): gate a repo: component, or drop checks`,
		}},
		{"checks: all, every component git:", demoHead + gitOnly + "  testing:\n    from: dev\n    gates:\n      checks: all\n", []string{
			`ladder.yaml:12:7: labels.testing.gates.checks: label testing's checks cover no repo: component: every component is git: (os), which has no check runs or statuses; nothing can ever be checked and this gate never blocks (promote-label promotes saying "no check source"): gate a repo: component, or drop checks`,
		}},
		{"gates.components names only git: components", demoHead + mixed + "  current:\n    from: dev\n    gates: {checks: all, components: [os, iso]}\n", []string{
			`ladder.yaml:13:13: labels.current.gates.checks: label current's checks cover no repo: component: gates.components (line 13) names only git: components (os, iso), which have no check runs or statuses; nothing can ever be checked and this gate never blocks (promote-label promotes saying "no check source"): gate a repo: component, or drop checks`,
		}},
		{"two labels, in file order", demoHead + mixed + "  b: {from: dev, gates: {checks: [e2e], components: [iso]}}\n  a: {from: dev, gates: {checks: [build], components: [os]}}\n", []string{
			`ladder.yaml:11:26: labels.b.gates.checks: label b's checks cover no repo: component: gates.components (line 11) names only git: components (iso), which has no check runs or statuses; nothing can ever be checked and this gate never blocks (promote-label promotes saying "no check source"): gate a repo: component, or drop checks`,
			`ladder.yaml:12:26: labels.a.gates.checks: label a's checks cover no repo: component: gates.components (line 12) names only git: components (os), which has no check runs or statuses; nothing can ever be checked and this gate never blocks (promote-label promotes saying "no check source"): gate a repo: component, or drop checks`,
		}},
		{"a repo: component in scope", demoHead + mixed + "  testing: {from: dev, gates: {checks: [build]}}\n", nil},
		{"gates.components names a repo: component", demoHead + mixed + "  testing: {from: dev, gates: {checks: [build], components: [os, app]}}\n", nil},
		{"soak only, no checks", demoHead + gitOnly + "  testing: {from: dev, gates: {soak: 2h}}\n", nil},
		{"no gates", demoHead + gitOnly + "  testing: {from: dev}\n", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			wantNoErrorsAndWarnings(t, tc.yaml, tc.warnings)
		})
	}

	// with ledger: none, next to the retention warning, in file order
	yaml := demoHead + "ledger: none\n" + gitOnly[:len(gitOnly)-len("labels:\n")] +
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

func TestLintSigning(t *testing.T) {
	t.Parallel()
	const head = demoHead + `components: {app: {repo: acme/app}}
channels: {dev: {track: {branch: main}}}
`
	const keyless = "signing: {keyless: {}}\n"
	const key = "signing: {key: {private-key: env:K}}\n"
	const gate = `{issuer: "https://token.actions.githubusercontent.com", identity: "^x$"}`
	cases := []struct {
		name     string
		yaml     string
		warnings []string
	}{
		{"sign: true without signing:", head + "labels:\n  current: {from: dev, sign: true}\n", []string{
			`ladder.yaml:7:24: labels.current.sign: sign: true without a signing: section: promote-label fails on this label until one says how to sign (signing: {keyless: {}} or signing: {key: {private-key: env:NAME}})`,
		}},
		{"a signed gate no label upstream signs", head + keyless + "labels:\n  current: {from: dev}\n  release: {from: current, gates: {signed: " + gate + "}}\n", []string{
			`ladder.yaml:9:36: labels.release.gates.signed: no label in release's from chain has sign: true: this gate stays pending unless something outside ladder signs the candidate`,
		}},
		{"a keyless gate on key signatures", head + key + "labels:\n  current: {from: dev, sign: true}\n  release: {from: current, gates: {signed: " + gate + "}}\n", []string{
			`ladder.yaml:9:36: labels.release.gates.signed: label current signs with a key (signing.key), but this gate wants a keyless certificate from https://token.actions.githubusercontent.com: it never passes on ladder's signature`,
		}},
		{"a key gate on keyless signatures", head + keyless + "labels:\n  current: {from: dev, sign: true}\n  release: {from: current, gates: {signed: {key: k.pub}}}\n", []string{
			`ladder.yaml:9:36: labels.release.gates.signed: label current signs keyless (signing.keyless), but this gate wants a key signature: it never passes on ladder's signature`,
		}},
		{"a keyless gate two labels down from the signer", head + keyless + "labels:\n  current: {from: dev, sign: true}\n  mid: {from: current}\n  release: {from: mid, gates: {signed: " + gate + "}}\n", nil},
		{"a key gate on key signatures", head + key + "labels:\n  current: {from: dev, sign: true}\n  release: {from: current, gates: {signed: {key: k.pub}}}\n", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			wantNoErrorsAndWarnings(t, tc.yaml, tc.warnings)
		})
	}
}

func TestParseSigning(t *testing.T) {
	t.Parallel()
	c, err := config.Load("../../testdata/config/valid/signed-release.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cur, _ := c.Label("current")
	rel, _ := c.Label("release")
	if !cur.Sign || rel.Sign || c.Signing == nil || c.Signing.Keyless == nil || c.Signing.Key != nil ||
		c.Signing.Keyless.FulcioURL != config.DefaultFulcioURL || c.Signing.Keyless.RekorURL != config.DefaultRekorURL {
		t.Errorf("signing %+v, current.sign %v", c.Signing, cur.Sign)
	}
	if g := rel.Gates.Signed; g == nil || g.Issuer != "https://token.actions.githubusercontent.com" || !strings.HasPrefix(g.Identity, "^https://github.com/acme/release/") {
		t.Errorf("release's signed gate %+v", rel.Gates.Signed)
	}
	k, err := config.Load("../../testdata/config/valid/signed-key.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if k.Signing == nil || k.Signing.Key == nil || k.Signing.Key.PrivateKeyEnv != "LADDER_SIGNING_KEY" || k.Signing.Key.PublicKey != "keys/ladder.pub" {
		t.Errorf("key signing %+v", k.Signing)
	}
	if rel, _ := k.Label("release"); rel.Gates.Signed == nil || rel.Gates.Signed.Key != "keys/ladder.pub" {
		t.Errorf("key gate %+v", rel.Gates.Signed)
	}
}
