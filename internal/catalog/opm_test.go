package catalog_test

import (
	"bytes"
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/ladder-release/ladder/internal/catalog"
	"github.com/ladder-release/ladder/internal/testutil/opm"
)

// TestValidByOperatorRegistry: operator-registry's own validation (what
// `opm validate` runs) accepts the catalog of story S4 (stage A, B, C, D;
// production A, D), with a label that rolled back and a retired stream; and
// `opm render` writes it back byte for byte, so every object has declcfg's
// exact shape and opm's order.
func TestValidByOperatorRegistry(t *testing.T) {
	data := jsonOf(t, build(t, S4Retired(t)))
	files := map[string][]byte{"hive-operator/catalog.json": data}
	if err := opm.Validate(t, files); err != nil {
		t.Fatalf("operator-registry refuses the S4 catalog:\n%v\n%s", err, data)
	}
	rendered, err := opm.Render(t, files)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(rendered, data) {
		t.Errorf("opm render writes the catalog differently:\n--- opm\n%s\n--- ladder\n%s", rendered, data)
	}
}

// TestOperatorRegistryRefusesInvalidCatalogs is the negative control: the
// check above can fail. Each case breaks the valid S4 catalog one way and
// operator-registry must refuse it, saying why.
func TestOperatorRegistryRefusesInvalidCatalogs(t *testing.T) {
	valid := string(jsonOf(t, build(t, S4(t))))
	stableD := `"name": "hive-operator.v1.3.0",
            "replaces": "hive-operator.v1.0.0",
            "skips": [
                "hive-operator.v1.1.0",
                "hive-operator.v1.2.0"
            ],
            "skipRange": ">=1.0.0 <1.3.0"`
	cases := []struct {
		name, old, new, want string
	}{
		{"two heads: production's D replaces and skips nothing", stableD, `"name": "hive-operator.v1.3.0"`,
			"multiple channel heads found in graph: hive-operator.v1.0.0, hive-operator.v1.3.0"},
		{"a stranded bundle: candidate's D replaces A and skips C, leaving B behind", `"name": "hive-operator.v1.3.0",
            "replaces": "hive-operator.v1.2.0"`, `"name": "hive-operator.v1.3.0",
            "replaces": "hive-operator.v1.0.0",
            "skips": ["hive-operator.v1.2.0"]`, "channel contains one or more stranded bundles: hive-operator.v1.1.0"},
		{"a cycle: candidate's A replaces D", `"entries": [
        {
            "name": "hive-operator.v1.0.0"
        },
        {
            "name": "hive-operator.v1.1.0",
            "replaces": "hive-operator.v1.0.0"
        },
        {
            "name": "hive-operator.v1.2.0"`, `"entries": [
        {
            "name": "hive-operator.v1.0.0",
            "replaces": "hive-operator.v1.3.0"
        },
        {
            "name": "hive-operator.v1.1.0",
            "replaces": "hive-operator.v1.0.0"
        },
        {
            "name": "hive-operator.v1.2.0"`, "no channel head found in graph"},
		{"a bundle without its olm.package property", `"type": "olm.package"`, `"type": "olm.other"`,
			`must have exactly 1 "olm.package" property`},
		{"the default channel missing", `"defaultChannel": "stable"`, `"defaultChannel": "lts"`,
			`invalid channel "lts"`},
		{"a version that is not semver", `"version": "1.3.0"`, `"version": "v1.3.0"`,
			`error parsing bundle "hive-operator.v1.3.0" version "v1.3.0"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(valid, tc.old) {
				t.Fatalf("the catalog does not hold %q", tc.old)
			}
			broken := strings.Replace(valid, tc.old, tc.new, 1)
			err := opm.Validate(t, map[string][]byte{"catalog.json": []byte(broken)})
			if err == nil {
				t.Fatalf("operator-registry accepts the broken catalog:\n%s", broken)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("operator-registry's error\n%v\ndoes not say %q", err, tc.want)
			}
		})
	}
}

// TestRandomStreamsValidByOperatorRegistry: catalogs of random histories
// (labels that jump, roll back, re-enter; versions out of publish order;
// streams that never moved) are all valid by operator-registry's rules. One
// package per history, all in one directory, checked in one run.
func TestRandomStreamsValidByOperatorRegistry(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	files := map[string][]byte{}
	for n := 0; n < 40; n++ {
		pkgName := fmt.Sprintf("random-%02d", n)
		npub := 1 + rng.Intn(12)
		pub := make([]string, npub)
		perm := rng.Perm(npub)
		for i := range pub {
			// mostly growing versions, a few out of publish order
			v := i
			if rng.Intn(5) == 0 {
				v = perm[i]
			}
			pub[i] = fmt.Sprintf("1.%d.%d", v, i)
		}
		in := catalog.Input{Package: pkgName, Registry: registry}
		for c := 0; c < 1+rng.Intn(3); c++ {
			var entered []string
			for k := 0; k < rng.Intn(8); k++ {
				entered = append(entered, pub[rng.Intn(npub)])
			}
			// a stream never names the bundle it holds twice in a row
			entered = dedupRuns(entered)
			if c == 0 && len(entered) == 0 {
				entered = []string{pub[rng.Intn(npub)]} // the default channel has a bundle
			}
			stream := fmt.Sprintf("label:l%d", c)
			in.Sources = append(in.Sources, catalog.Source{Channel: fmt.Sprintf("ch%d", c), Stream: stream, Entries: entries(t, stream, pub, entered...)})
		}
		in.DefaultChannel = "ch0"
		c, err := catalog.Build(in)
		if err != nil {
			t.Fatalf("%s: %v", pkgName, err)
		}
		files[pkgName+"/catalog.json"] = jsonOf(t, c)
	}
	if err := opm.Validate(t, files); err != nil {
		t.Fatalf("operator-registry refuses a generated catalog: %v", err)
	}
}

func dedupRuns(s []string) []string {
	var out []string
	for _, v := range s {
		if len(out) == 0 || out[len(out)-1] != v {
			out = append(out, v)
		}
	}
	return out
}

// TestOperatorRegistryReadsTheYAML: operator-registry (whose YAML reader is
// YAML 1.1, sigs.k8s.io/yaml) reads WriteYAML's output as the catalog
// WriteJSON writes, whatever the strings hold, and accepts it.
func TestOperatorRegistryReadsTheYAML(t *testing.T) {
	c := trickyCatalog(t)
	js, ys := jsonOf(t, c), yamlOf(t, c)
	files := map[string][]byte{"hive-operator/catalog.yaml": ys}
	if err := opm.Validate(t, files); err != nil {
		t.Fatalf("operator-registry refuses the YAML catalog: %v", err)
	}
	rendered, err := opm.Render(t, files)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(rendered, js) {
		t.Errorf("opm reads the YAML as another catalog than the JSON:\n--- opm render of the YAML\n%s\n--- WriteJSON\n%s", rendered, js)
	}
}
