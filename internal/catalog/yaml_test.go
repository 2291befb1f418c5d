package catalog_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math/rand"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/ladder-release/ladder/internal/catalog"
	"github.com/ladder-release/ladder/internal/testutil/golden"
)

// tricky holds strings a YAML writer easily gets wrong: YAML 1.1 and 1.2
// booleans, nulls and numbers, indicators, comments, line breaks, escapes,
// the sequences a runner reads as workflow commands, Unicode line
// separators.
var tricky = []string{
	"yes", "No", "ON", "off", "y", "N", "true", "False", "null", "~", "1.0", "1e3", "0x1F", ".inf", "-1", "+1",
	"a: b", "a:", ":a", "a::b", "#c", "a #c", "- x", "? x", "[x]", "{x}", "*x", "&x", "!x", "|x", ">x", "%x", "@x", "`x",
	"'x'", `"x"`, `a\b`, "a\nb", "a\tb", "a\rb", " lead", "trail ", " ", "::error::x", "##[add-mask]y",
	"é\u2028ü\u2029", "\x00\x1f\x7f", "\u0080\u0085\u009f\u00a0\ufeff", "<>&",
}

// trickyCatalog is S4 with a retired channel per tricky string, that
// string its deprecation message.
func trickyCatalog(t testing.TB) *catalog.Catalog {
	in := S4(t)
	for i, s := range tricky {
		in.Sources = append(in.Sources, catalog.Source{Channel: "t" + string(rune('a'+i/26)) + string(rune('a'+i%26)),
			Stream: "label:t" + s, Entries: in.Sources[0].Entries})
		in.Retired = append(in.Retired, catalog.Retirement{Stream: "label:t" + s, Reason: s, At: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)})
	}
	c := build(t, in)
	// Each message is the bare string, so that a reader that takes it for
	// a boolean, a number or null shows.
	es := c.Deprecations[0].Entries
	for i := range tricky {
		if es[i].Reference.Name != in.Sources[len(in.Sources)-len(tricky)+i].Channel {
			t.Fatalf("deprecation %d is of channel %s", i, es[i].Reference.Name)
		}
		es[i].Message = tricky[i]
	}
	return c
}

// TestWriteYAMLReadsAsTheJSON: every YAML document WriteYAML writes decodes
// (with a YAML 1.2 reader) to what the matching JSON object decodes to,
// whatever the strings hold.
func TestWriteYAMLReadsAsTheJSON(t *testing.T) {
	c := trickyCatalog(t)
	js, ys := jsonOf(t, c), yamlOf(t, c)
	jd := json.NewDecoder(bytes.NewReader(js))
	yd := yaml.NewDecoder(bytes.NewReader(ys))
	n := 0
	for ; jd.More(); n++ {
		var fromJSON, fromYAML any
		if err := jd.Decode(&fromJSON); err != nil {
			t.Fatal(err)
		}
		if err := yd.Decode(&fromYAML); err != nil {
			t.Fatalf("document %d: %v\n%s", n, err, ys)
		}
		if !reflect.DeepEqual(fromJSON, fromYAML) {
			t.Errorf("document %d reads as\n%#v\nbut its JSON as\n%#v", n, fromYAML, fromJSON)
		}
	}
	var extra any
	if err := yd.Decode(&extra); !errors.Is(err, io.EOF) {
		t.Errorf("YAML has more documents than the JSON has objects (%d): %v %v", n, extra, err)
	}
	if !bytes.HasPrefix(ys, []byte("---\nschema: olm.package\n")) {
		t.Errorf("YAML does not start with the package document:\n%.200s", ys)
	}
}

// TestWriteYAMLPlainOnlyWhenSafe: one case per rule of WriteYAML's plain
// strings, read off the line WriteYAML writes for a deprecation message.
func TestWriteYAMLPlainOnlyWhenSafe(t *testing.T) {
	for _, tc := range []struct{ s, want string }{
		{"olm.package", "olm.package"},
		{"acme-operator.v1.4.0-dev.1", "acme-operator.v1.4.0-dev.1"},
		{"ghcr.io/a/b@sha256:0f", "ghcr.io/a/b@sha256:0f"},
		{"1.0.0", `"1.0.0"`},                   // starts with a digit
		{"yes", `"yes"`},                       // YAML 1.1 boolean
		{"Off", `"Off"`},                       // YAML 1.1 boolean
		{"NULL", `"NULL"`},                     // null
		{"a:", `"a:"`},                         // ends in ':'
		{"a::b", `"a::b"`},                     // "::" only inside quotes
		{"a b", `"a b"`},                       // a space
		{"a#b", `"a#b"`},                       // not in the plain set
		{">=1.0.0 <1.3.0", `">=1.0.0 <1.3.0"`}, // an indicator first
		{"", `""`},
		{"a\nb", `"a\nb"`},
	} {
		t.Run(tc.s, func(t *testing.T) {
			in := S4(t)
			in.Sources = in.Sources[:1]
			in.Sources[0].Stream = "label:x"
			in.Retired = []catalog.Retirement{{Stream: "label:x", Reason: "r"}}
			c := build(t, in)
			c.Deprecations[0].Entries[0].Message = tc.s
			if want, b := "\n    message: "+tc.want+"\n", yamlOf(t, c); !bytes.Contains(b, []byte(want)) {
				t.Errorf("YAML lacks %q:\n%s", want, b)
			}
		})
	}
}

// TestWriteYAMLGolden: the S4 catalog as `ladder catalog --format yaml`
// prints it.
func TestWriteYAMLGolden(t *testing.T) {
	golden.Compare(t, filepath.Join("testdata", "s4.yaml"), yamlOf(t, build(t, S4Retired(t))))
}

// TestWriteYAMLRandomStrings: random strings over an alphabet of YAML's
// indicators, spaces, controls and letters read back unchanged.
func TestWriteYAMLRandomStrings(t *testing.T) {
	alphabet := []rune("aZ09 .:_-/@+#!&*?|>'\"%`{}[],\\\t\n\r~\x00\x7f\u0085\u00a0\u2028é")
	rng := rand.New(rand.NewSource(1))
	c := trickyCatalog(t)
	es := c.Deprecations[0].Entries
	for round := 0; round < 40; round++ {
		want := make([]string, len(es))
		for i := range es {
			r := make([]rune, rng.Intn(8))
			for k := range r {
				r[k] = alphabet[rng.Intn(len(alphabet))]
			}
			es[i].Message = string(r)
			want[i] = string(r)
		}
		dec := yaml.NewDecoder(bytes.NewReader(yamlOf(t, c)))
		type messages struct {
			Entries []struct {
				Message string `yaml:"message"`
			} `yaml:"entries"`
		}
		var last messages
		for {
			var doc messages
			err := dec.Decode(&doc)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("round %d: %v (messages %q)", round, err, want)
			}
			last = doc
		}
		for i, e := range last.Entries {
			if e.Message != want[i] {
				t.Errorf("round %d: message %q reads back as %q", round, want[i], e.Message)
			}
		}
	}
}
