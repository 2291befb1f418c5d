package app

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/ladder-release/ladder/internal/action/actiontest"
	"github.com/ladder-release/ladder/internal/catalog"
	"github.com/ladder-release/ladder/internal/graph"
	"github.com/ladder-release/ladder/internal/query"
	"github.com/ladder-release/ladder/internal/testutil/golden"
	"github.com/ladder-release/ladder/internal/testutil/opm"
)

// catalogExport is the export section the catalog tests add to
// statusConfig: every kind of stream of statusWorkspace's ledger (story S4
// on the stage channel and the candidate and production labels, a rollback
// on canary, a channel that never moved).
const catalogExport = `export:
  olm:
    package: acme-operator
    channels:
      stable: production
      candidate: candidate
      fast: stage
      dev: main
      canary: canary
      night: nightly
    default-channel: stable
`

// catalogWorkspace is statusWorkspace with export.olm in its config (and
// the rest of the config replaced by extra, when set).
func catalogWorkspace(t *testing.T, extra string) string {
	t.Helper()
	ws := statusWorkspace(t)
	cfg := statusConfig + catalogExport
	if extra != "" {
		cfg = extra
	}
	if err := os.WriteFile(filepath.Join(ws, ".github", "ladder.yaml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return ws
}

func runCatalog(t *testing.T, env map[string]string, args ...string) statusRun {
	t.Helper()
	return runQuery(t, "catalog", env, args...)
}

// TestCatalogGolden: `ladder catalog` prints the export.olm catalog of the
// ledger, in JSON (the default) and YAML, the same on every run; what it
// leaves out is said on stderr.
func TestCatalogGolden(t *testing.T) {
	ws := catalogWorkspace(t, "")
	env := map[string]string{"GITHUB_WORKSPACE": ws}
	for _, tc := range []struct {
		golden string
		args   []string
	}{
		{"catalog.json", nil},
		{"catalog.json", []string{"--format", "json"}},
		{"catalog.yaml", []string{"--format=yaml"}},
	} {
		t.Run(strings.Join(append([]string{tc.golden}, tc.args...), " "), func(t *testing.T) {
			res := runCatalog(t, env, tc.args...)
			if res.code != ExitOK {
				t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
			}
			golden.Compare(t, filepath.Join("testdata", "catalog", tc.golden), []byte(res.stdout))
			wantNote := `ladder catalog: note: channel "night" is left out: ladder channel nightly has no bundles yet (OLM refuses an empty channel)` + "\n"
			if res.stderr != wantNote {
				t.Errorf("stderr %q, want %q", res.stderr, wantNote)
			}
			if again := runCatalog(t, env, tc.args...); again.stdout != res.stdout {
				t.Errorf("two runs printed different catalogs")
			}
		})
	}
}

// TestCatalogS4 reads the catalog `ladder catalog` prints as OLM would:
// production jumped from A (1.0.0) to D (1.3.0) while stage went A, B, C,
// D, so in the stable channel D replaces A, skips B and C and has the
// skipRange >=1.0.0 <1.3.0; in fast (the stage channel) D replaces C.
func TestCatalogS4(t *testing.T) {
	res := runCatalog(t, map[string]string{"GITHUB_WORKSPACE": catalogWorkspace(t, "")})
	if res.code != ExitOK {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	dec := json.NewDecoder(strings.NewReader(res.stdout))
	channels := map[string][]catalog.ChannelEntry{}
	images := map[string]string{}
	var pkg catalog.Package
	for dec.More() {
		var obj struct {
			Schema  string                 `json:"schema"`
			Name    string                 `json:"name"`
			Entries []catalog.ChannelEntry `json:"entries"`
			Image   string                 `json:"image"`
			Default string                 `json:"defaultChannel"`
		}
		if err := dec.Decode(&obj); err != nil {
			t.Fatal(err)
		}
		switch obj.Schema {
		case "olm.package":
			pkg = catalog.Package{Schema: obj.Schema, Name: obj.Name, DefaultChannel: obj.Default}
		case "olm.channel":
			channels[obj.Name] = obj.Entries
		case "olm.bundle":
			images[obj.Name] = obj.Image
		}
	}
	if pkg.Name != "acme-operator" || pkg.DefaultChannel != "stable" {
		t.Errorf("package %+v", pkg)
	}
	last := func(ch string) catalog.ChannelEntry {
		es := channels[ch]
		if len(es) == 0 {
			t.Fatalf("no channel %s", ch)
		}
		return es[len(es)-1]
	}
	// stable follows production, whose from is candidate: 1.2.0 never
	// entered candidate (quarantined), so it is not skipped; the skipRange
	// still lets a cluster on it upgrade
	if got, want := fmt.Sprintf("%+v", last("stable")), "{Name:acme-operator.v1.3.0 Replaces:acme-operator.v1.0.0 Skips:[acme-operator.v1.1.0] SkipRange:>=1.0.0 <1.3.0}"; got != want {
		t.Errorf("stable head %s, want %s", got, want)
	}
	if got, want := fmt.Sprintf("%+v", last("fast")), "{Name:acme-operator.v1.3.0 Replaces:acme-operator.v1.2.0 Skips:[] SkipRange:}"; got != want {
		t.Errorf("fast head %s, want %s", got, want)
	}
	if _, ok := channels["night"]; ok {
		t.Error("the channel that never moved is in the catalog")
	}
	if got, want := images["acme-operator.v1.3.0"], "ghcr.io/acme/operator@"+statusDigest("1.3.0"); got != want {
		t.Errorf("image of 1.3.0 %s, want %s", got, want)
	}
}

// TestCatalogValidByOperatorRegistry: what `ladder catalog` prints, in
// either format, is valid by operator-registry's own rules (what `opm
// validate` runs), and opm reads the YAML as the same catalog as the JSON
// (opm render of either gives the JSON ladder printed).
func TestCatalogValidByOperatorRegistry(t *testing.T) {
	env := map[string]string{"GITHUB_WORKSPACE": catalogWorkspace(t, "")}
	js := runCatalog(t, env)
	ym := runCatalog(t, env, "--format", "yaml")
	if js.code != ExitOK || ym.code != ExitOK {
		t.Fatalf("exit %d / %d: %s%s", js.code, ym.code, js.stderr, ym.stderr)
	}
	for name, files := range map[string]map[string][]byte{
		"json": {"acme-operator/catalog.json": []byte(js.stdout)},
		"yaml": {"acme-operator/catalog.yaml": []byte(ym.stdout)},
	} {
		t.Run(name, func(t *testing.T) {
			if err := opm.Validate(t, files); err != nil {
				t.Fatalf("operator-registry refuses the catalog: %v", err)
			}
			rendered, err := opm.Render(t, files)
			if err != nil {
				t.Fatal(err)
			}
			if string(rendered) != js.stdout {
				t.Errorf("opm render of the %s catalog differs from ladder's JSON:\n--- opm\n%s\n--- ladder\n%s", name, rendered, js.stdout)
			}
		})
	}
}

// TestCatalogRefuses: what ladder catalog cannot make a catalog of fails
// with a message naming what is missing, and prints nothing.
func TestCatalogRefuses(t *testing.T) {
	noExport := statusConfig
	noneLedger := strings.Replace(statusConfig, "ledger: file:ledger/operator.json", "ledger: none", 1) + catalogExport
	emptyDefault := statusConfig + strings.Replace(catalogExport, "default-channel: stable", "default-channel: night", 1)
	typoDefault := statusConfig + strings.Replace(catalogExport, "stable: production", "stable: prodution", 1)
	for _, tc := range []struct {
		name, config string
		args         []string
		code         int
		want         string
	}{
		{"no export section", noExport, nil, ExitFailure,
			"ladder catalog: .github/ladder.yaml has no export.olm section, so there is no catalog to make (add export: {olm: {package: NAME, channels: {OLM-CHANNEL: LABEL-OR-CHANNEL}, default-channel: OLM-CHANNEL}})\n"},
		{"ledger none", noneLedger, nil, ExitFailure,
			".github/ladder.yaml:4:1: ladder catalog needs a ledger: the catalog is made of the upgrade graphs the ledger keeps, and ledger: none keeps none (SPEC section 6)\n"},
		{"the default channel never moved", emptyDefault, nil, ExitFailure,
			`.github/ladder.yaml:28:3: OLM catalog of package "acme-operator": default channel "night": ladder channel nightly has no bundles yet, and OLM refuses a package whose default channel is empty` + "\n"},
		{"the default channel follows nothing", typoDefault, nil, ExitFailure,
			`.github/ladder.yaml:28:3: OLM catalog of package "acme-operator": default channel "stable": it follows "prodution", which is neither a ladder label nor a channel, and OLM refuses a package whose default channel is empty` + "\n"},
		{"a format that is not json or yaml", "", []string{"--format", "xml"}, ExitUsage,
			"ladder catalog: --format \"xml\": want json or yaml\n"},
		{"--format without a value", "", []string{"--format"}, ExitUsage,
			"ladder catalog: --format needs json or yaml (--format json|yaml)\n"},
		{"an unknown flag", "", []string{"--json"}, ExitUsage,
			"ladder catalog: unknown flag --json (flags: --config, --format)\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ws := catalogWorkspace(t, tc.config)
			res := runCatalog(t, map[string]string{"GITHUB_WORKSPACE": ws}, tc.args...)
			if res.code != tc.code || res.stderr != tc.want || res.stdout != "" {
				t.Errorf("exit %d, stdout %q, stderr\n%s\nwant exit %d, stderr\n%s", res.code, res.stdout, res.stderr, tc.code, tc.want)
			}
		})
	}
}

// TestCatalogInActions: inside GitHub Actions no line of the catalog is
// processed by the runner as a workflow command, even when the catalog
// holds text that would forge one (a retirement reason, in either format),
// and it still decodes to the same catalog; a catalog without such text is
// printed unchanged.
func TestCatalogInActions(t *testing.T) {
	ws := catalogWorkspace(t, "")
	plain := runCatalog(t, map[string]string{"GITHUB_WORKSPACE": ws})
	in := runCatalog(t, map[string]string{"GITHUB_WORKSPACE": ws, "GITHUB_ACTIONS": "true"})
	if plain.code != ExitOK || in.code != ExitOK || in.stdout != plain.stdout {
		t.Fatalf("in Actions the catalog changed (exit %d / %d)", plain.code, in.code)
	}

	input := catalog.Input{Package: "acme-operator", DefaultChannel: "stable", Registry: "ghcr.io/acme/operator",
		Sources: []catalog.Source{{Channel: "stable", Stream: "label:current", Entries: nil}},
		Retired: []catalog.Retirement{{Stream: "label:current", Reason: "done\n::error::forged ##[add-mask]x ::: a\\::b #::"}}}
	input.Sources[0].Entries = []graph.Entry{{Version: "1.0.0", Digest: statusDigest("1.0.0")}}
	cat, err := catalog.Build(input)
	if err != nil {
		t.Fatal(err)
	}
	reason := input.Retired[0].Reason
	for _, format := range []string{"json", "yaml"} {
		t.Run(format, func(t *testing.T) {
			var raw, safe bytes.Buffer
			if err := query.PrintCatalog(&raw, cat, format == "yaml", false); err != nil {
				t.Fatal(err)
			}
			if err := query.PrintCatalog(&safe, cat, format == "yaml", true); err != nil {
				t.Fatal(err)
			}
			if len(statusRunnerProcessed(raw.String())) == 0 {
				t.Fatalf("the fixture forges no command without the guard, the test proves nothing:\n%s", raw.String())
			}
			if strings.Contains(safe.String(), "::") || strings.Contains(safe.String(), "##[") {
				t.Errorf("the guarded output holds :: or ##[:\n%s", safe.String())
			}
			if got := decodeMessages(t, format, safe.String()); len(got) != 1 || !strings.HasSuffix(got[0], ": "+reason) {
				t.Errorf("the guarded output decodes to messages %q, want one ending in %q", got, reason)
			}
		})
	}
}

// decodeMessages reads the deprecation messages of a catalog printed in
// format.
func decodeMessages(t *testing.T, format, out string) []string {
	t.Helper()
	type dep struct {
		Schema  string `json:"schema" yaml:"schema"`
		Entries []struct {
			Message string `json:"message" yaml:"message"`
		} `json:"entries" yaml:"entries"`
	}
	var msgs []string
	add := func(d dep) {
		if d.Schema == "olm.deprecations" {
			for _, e := range d.Entries {
				msgs = append(msgs, e.Message)
			}
		}
	}
	if format == "json" {
		dec := json.NewDecoder(strings.NewReader(out))
		for dec.More() {
			var d dep
			if err := dec.Decode(&d); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, out)
			}
			add(d)
		}
		return msgs
	}
	dec := yaml.NewDecoder(strings.NewReader(out))
	for {
		var d dep
		if err := dec.Decode(&d); err != nil {
			if err.Error() == "EOF" {
				return msgs
			}
			t.Fatalf("not YAML: %v\n%s", err, out)
		}
		add(d)
	}
}

// TestStoryS7CatalogFromTheGitHubLedger: story S7 end to end, on the GitHub
// ledger. build-bundle publishes A, B, C, D into dev, promote-label moves
// stage through all four and production from A straight to D; then `ladder
// catalog`, run as a person would (GITHUB_REPOSITORY and a token), prints a
// catalog in which production's D replaces A, skips B and C with the range
// >=A <D, every image is the bundle's digest in the registry, and
// operator-registry accepts it.
func TestStoryS7CatalogFromTheGitHubLedger(t *testing.T) {
	w := newWorld(t, worldOpt{})
	clk := newClock()
	cfg := w.promoteConfig("github", "  stage: {from: dev}\n  production: {from: stage}\n", "") + `export:
  olm:
    package: elemental-operator
    channels: {stable: production, candidate: stage, dev: dev}
    default-channel: stable
`
	w.writeConfig(t, cfg)
	versions := []string{"1.0.0", "1.1.0", "1.2.0", "1.3.0"}
	digests := map[string]string{}
	for _, v := range versions {
		digests[v] = publishDev(t, w, clk, v)
		clk.Advance(time.Minute)
		promoteWant(t, w, clk, map[string]string{"label": "stage", "from": v}, 0, "promoted")
		clk.Advance(time.Minute)
	}
	for _, v := range []string{"1.0.0", "1.3.0"} {
		promoteWant(t, w, clk, map[string]string{"label": "production", "from": v}, 0, "promoted")
		clk.Advance(time.Minute)
	}

	env := map[string]string{
		"GITHUB_WORKSPACE":  w.ws,
		"GITHUB_REPOSITORY": "acme/elemental",
		"GITHUB_API_URL":    w.gh.URL(),
		"GITHUB_TOKEN":      actiontest.Token,
	}
	res := runCatalog(t, env)
	if res.code != ExitOK {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	for _, want := range []string{
		`"name": "elemental-operator.v1.3.0",
            "replaces": "elemental-operator.v1.0.0",
            "skips": [
                "elemental-operator.v1.1.0",
                "elemental-operator.v1.2.0"
            ],
            "skipRange": ">=1.0.0 <1.3.0"`,
		`"name": "elemental-operator.v1.3.0",
            "replaces": "elemental-operator.v1.2.0"
        }`,
		`"defaultChannel": "stable"`,
	} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("the catalog lacks\n%s\n---\n%s", want, res.stdout)
		}
	}
	for _, v := range versions {
		if img := `"image": "` + w.repo() + "@" + digests[v] + `"`; !strings.Contains(res.stdout, img) {
			t.Errorf("the catalog lacks %s", img)
		}
	}
	if err := opm.Validate(t, map[string][]byte{"elemental-operator/catalog.json": []byte(res.stdout)}); err != nil {
		t.Errorf("operator-registry refuses the catalog: %v\n%s", err, res.stdout)
	}
}
