package config_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/ladder-release/ladder/internal/config"
)

// TestExportOLM: export.olm parses into the package, the OLM channels in
// file order with what each follows, and the default channel, with
// positions.
func TestExportOLM(t *testing.T) {
	t.Parallel()
	c := load(t, "operator-catalog.yaml")
	file := filepath.Join(testdata, "valid", "operator-catalog.yaml")
	if c.Export == nil || c.Export.OLM == nil {
		t.Fatalf("export.olm not parsed: %+v", c.Export)
	}
	o := c.Export.OLM
	eq(t, "package", o.Package, "hive-operator")
	eq(t, "default channel", o.DefaultChannel, "stable")
	eq(t, "channels", o.Channels, []config.OLMChannel{
		{Name: "stable", Follows: "production", Pos: config.Pos{File: file, Line: 24, Col: 7}},
		{Name: "candidate", Follows: "stage", Pos: config.Pos{File: file, Line: 25, Col: 7}},
		{Name: "fast", Follows: "release", Pos: config.Pos{File: file, Line: 26, Col: 7}},
	})
	eq(t, "olm pos", o.Pos, config.Pos{File: file, Line: 21, Col: 3})
	eq(t, "Pos[export.olm.channels.fast]", c.Pos["export.olm.channels.fast"], config.Pos{File: file, Line: 26, Col: 7})
	if ch, ok := o.OLMChannel("candidate"); !ok || ch.Follows != "stage" {
		t.Errorf("OLMChannel(candidate) = %+v, %v", ch, ok)
	}
	if _, ok := o.OLMChannel("stage"); ok {
		t.Error("OLMChannel finds a ladder label by its name")
	}
	if errs, warnings := config.Lint(c); errs != nil || warnings != nil {
		t.Errorf("Lint: errors %q, warnings %q", errs, warnings)
	}
	if c := load(t, "minimal.yaml"); c.Export != nil {
		t.Errorf("a file without export has Export %+v", c.Export)
	}
}

// TestLintExportOLM: an OLM channel that follows neither a label nor a
// channel is a warning naming it (the catalog leaves it out, or fails for
// the default channel); export.olm with ledger: none is an error.
func TestLintExportOLM(t *testing.T) {
	t.Parallel()
	const base = demoHead + `LEDGER
components:
  app: {repo: acme/app}
channels:
  dev: {track: {branch: main}}
labels:
  current: {from: dev}
export:
  olm:
    package: demo-operator
    channels: {stable: CURRENT, beta: DEV}
    default-channel: stable
`
	cases := []struct {
		name, ledger, current, dev string
		errs, warnings             []string
	}{
		{name: "a label and a channel", current: "current", dev: "dev"},
		{name: "a channel that follows nothing", current: "current", dev: "nightly",
			warnings: []string{`ladder.yaml:14:33: export.olm.channels.beta: "nightly" is neither a label nor a channel of this file: ladder catalog leaves this OLM channel out`}},
		{name: "the default channel follows nothing, misspelt", current: "curent", dev: "dev",
			warnings: []string{`ladder.yaml:14:16: export.olm.channels.stable: "curent" is neither a label nor a channel of this file (did you mean "current"?): ladder catalog fails: it is the default channel, and OLM refuses a package whose default channel is empty`}},
		{name: "ledger none", ledger: "ledger: none", current: "current", dev: "dev",
			errs: []string{
				"ladder.yaml:9:1: labels: labels need a ledger (ledger: github or ledger: file:PATH): promote-label keeps each label's history, holds and quarantines there, and ledger: none (line 4) keeps none",
				"ladder.yaml:12:3: export.olm: export.olm needs a ledger (ledger: github or ledger: file:PATH): the catalog is made of the upgrade graphs the ledger keeps, and ledger: none (line 4) keeps none",
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			y := strings.NewReplacer("LEDGER", tc.ledger, "CURRENT", tc.current, "DEV", tc.dev).Replace(base)
			c, err := config.Parse("ladder.yaml", []byte(y))
			if err != nil {
				t.Fatal(err)
			}
			errs, warnings := config.Lint(c)
			checkLint(t, errs)
			checkLint(t, warnings)
			eq(t, "errors", lines(errs), tc.errs)
			eq(t, "warnings", lines(warnings), tc.warnings)
		})
	}
}

func lines(es config.Errors) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Error())
	}
	return out
}
