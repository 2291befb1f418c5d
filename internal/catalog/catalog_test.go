package catalog_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ladder-release/ladder/internal/catalog"
	"github.com/ladder-release/ladder/internal/graph"
	"github.com/ladder-release/ladder/internal/testutil/golden"
)

const (
	pkg      = "hive-operator"
	registry = "ghcr.io/acme/hive-operator"
)

func digest(version string) string {
	return fmt.Sprintf("sha256:%x", sha256.Sum256([]byte(version)))
}

// entries builds the upgrade graph of a stream the way the ledger does
// (graph.Build), from the product's versions in publish order.
func entries(t testing.TB, stream string, published []string, entered ...string) []graph.Entry {
	t.Helper()
	bs := make([]graph.Bundle, len(published))
	for i, v := range published {
		bs[i] = graph.Bundle{Version: v, Digest: digest(v)}
	}
	g, err := graph.Build(stream, bs, entered)
	if err != nil {
		t.Fatal(err)
	}
	return g.Entries
}

// Story S4: the candidate channel published A, B, C, D; the stage label
// followed it through A, B, C, D; production went from A straight to D. A
// canary label went A, B, C, back to B, then D (C retracted).
const (
	vA, vB, vC, vD = "1.0.0", "1.1.0", "1.2.0", "1.3.0"
)

var published = []string{vA, vB, vC, vD}

// S4 is the story's input: OLM channel "candidate" follows label stage,
// "stable" follows label production, "fast" follows channel candidate and
// "canary" follows label canary.
func S4(t testing.TB) catalog.Input {
	return catalog.Input{
		Package: pkg, DefaultChannel: "stable", Registry: registry,
		Sources: []catalog.Source{
			{Channel: "stable", Stream: "label:production", Entries: entries(t, "label:production", published, vA, vD)},
			{Channel: "candidate", Stream: "label:stage", Entries: entries(t, "label:stage", published, vA, vB, vC, vD)},
			{Channel: "fast", Stream: "channel:candidate", Entries: entries(t, "channel:candidate", published, vA, vB, vC, vD)},
			{Channel: "canary", Stream: "label:canary", Entries: entries(t, "label:canary", published, vA, vB, vC, vB, vD)},
		},
	}
}

// S4Retired is S4 with label canary retired, as the golden files show it.
func S4Retired(t testing.TB) catalog.Input {
	in := S4(t)
	in.Retired = []catalog.Retirement{{Stream: "label:canary", Reason: "canaries moved to the fleet", At: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)}}
	return in
}

// build is the catalog of in, which Build must accept.
func build(t testing.TB, in catalog.Input) *catalog.Catalog {
	t.Helper()
	c, err := catalog.Build(in)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// jsonOf and yamlOf are c as WriteJSON and WriteYAML write it.
func jsonOf(t testing.TB, c *catalog.Catalog) []byte { t.Helper(); return written(t, c.WriteJSON) }
func yamlOf(t testing.TB, c *catalog.Catalog) []byte { t.Helper(); return written(t, c.WriteYAML) }

func written(t testing.TB, write func(io.Writer) error) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func name(v string) string { return catalog.BundleName(pkg, v) }

func channel(t *testing.T, c *catalog.Catalog, n string) catalog.Channel {
	t.Helper()
	for _, ch := range c.Channels {
		if ch.Name == n {
			return ch
		}
	}
	t.Fatalf("no channel %q in %+v", n, c.Channels)
	return catalog.Channel{}
}

// wantEntries is a check of TestBuild: channel ch's entries are want.
func wantEntries(ch string, want []catalog.ChannelEntry) func(*testing.T, *catalog.Catalog) {
	return func(t *testing.T, c *catalog.Catalog) {
		t.Helper()
		if got := channel(t, c, ch).Entries; !reflect.DeepEqual(got, want) {
			t.Errorf("%s entries\n got %+v\nwant %+v", ch, got, want)
		}
	}
}

// TestBuild has one case per rule of the package documentation.
func TestBuild(t *testing.T) {
	cases := []struct {
		name  string
		input func(t testing.TB) catalog.Input
		check func(t *testing.T, c *catalog.Catalog)
	}{
		{
			name:  "a stream that jumped: replaces the previous head, skips what it passed over, skipRange from the replaced version to its own",
			input: S4,
			check: wantEntries("stable", []catalog.ChannelEntry{
				{Name: name(vA)},
				{Name: name(vD), Replaces: name(vA), Skips: []string{name(vB), name(vC)}, SkipRange: ">=1.0.0 <1.3.0"},
			}),
		},
		{
			name:  "a stream that moved one step at a time: replaces only, no skips, no skipRange",
			input: S4,
			check: wantEntries("candidate", []catalog.ChannelEntry{{Name: name(vA)}, {Name: name(vB), Replaces: name(vA)},
				{Name: name(vC), Replaces: name(vB)}, {Name: name(vD), Replaces: name(vC)}}),
		},
		{
			name:  "a rollback: the retracted entry leaves the channel and the next entry skips it",
			input: S4,
			check: wantEntries("canary", []catalog.ChannelEntry{{Name: name(vA)}, {Name: name(vB), Replaces: name(vA)},
				{Name: name(vD), Replaces: name(vB), Skips: []string{name(vC)}, SkipRange: ">=1.1.0 <1.3.0"}}),
		},
		{
			name: "no skipRange when the replaced version is not below the entry's",
			input: func(t testing.TB) catalog.Input {
				// 2.0.0 published first, then 1.5.0 and 1.9.0: a stream
				// that took 2.0.0 then 1.9.0 jumps over 1.5.0 downwards.
				pub := []string{"2.0.0", "1.5.0", "1.9.0"}
				return catalog.Input{Package: pkg, DefaultChannel: "stable", Registry: registry, Sources: []catalog.Source{
					{Channel: "stable", Stream: "label:production", Entries: entries(t, "label:production", pub, "2.0.0", "1.9.0")}}}
			},
			check: func(t *testing.T, c *catalog.Catalog) {
				e := channel(t, c, "stable").Entries[1]
				if e.SkipRange != "" || !reflect.DeepEqual(e.Skips, []string{name("1.5.0")}) || e.Replaces != name("2.0.0") {
					t.Errorf("entry %+v: want replaces 2.0.0, skips [1.5.0], no skipRange", e)
				}
			},
		},
		{
			name:  "one olm.bundle per bundle in any exported channel, image registry@digest, one olm.package property",
			input: S4,
			check: func(t *testing.T, c *catalog.Catalog) {
				if len(c.Bundles) != 4 {
					t.Fatalf("%d bundles, want 4 (each version once, whatever the channels holding it)", len(c.Bundles))
				}
				for i, v := range published {
					b := c.Bundles[i]
					if b.Schema != "olm.bundle" || b.Name != name(v) || b.Package != pkg || b.Image != registry+"@"+digest(v) {
						t.Errorf("bundle %d = %+v", i, b)
					}
					want := fmt.Sprintf(`[{"type":"olm.package","value":{"packageName":"%s","version":"%s"}}]`, pkg, v)
					if got, _ := json.Marshal(b.Properties); string(got) != want {
						t.Errorf("bundle %s properties %s, want %s", v, got, want)
					}
				}
			},
		},
		{
			name: "a bundle only skipped, in no channel's entries, gets no olm.bundle",
			input: func(t testing.TB) catalog.Input {
				return catalog.Input{Package: pkg, DefaultChannel: "stable", Registry: registry, Sources: []catalog.Source{
					{Channel: "stable", Stream: "label:production", Entries: entries(t, "label:production", published, vA, vD)}}}
			},
			check: func(t *testing.T, c *catalog.Catalog) {
				var got []string
				for _, b := range c.Bundles {
					got = append(got, b.Name)
				}
				if want := []string{name(vA), name(vD)}; !reflect.DeepEqual(got, want) {
					t.Errorf("bundles %q, want %q", got, want)
				}
			},
		},
		{
			name:  "the package names the default channel",
			input: S4,
			check: func(t *testing.T, c *catalog.Catalog) {
				if want := (catalog.Package{Schema: "olm.package", Name: pkg, DefaultChannel: "stable"}); c.Package != want {
					t.Errorf("package %+v, want %+v", c.Package, want)
				}
			},
		},
		{
			name:  "channels and bundles sorted by name, every channel in the package",
			input: S4,
			check: func(t *testing.T, c *catalog.Catalog) {
				var chs []string
				for _, ch := range c.Channels {
					chs = append(chs, ch.Name)
					if ch.Schema != "olm.channel" || ch.Package != pkg {
						t.Errorf("channel %s: schema %q package %q", ch.Name, ch.Schema, ch.Package)
					}
				}
				if want := []string{"canary", "candidate", "fast", "stable"}; !reflect.DeepEqual(chs, want) {
					t.Errorf("channels %q, want %q", chs, want)
				}
			},
		},
		{
			name: "bundle names sort as strings, as opm sorts them (1.10.0 before 1.9.0)",
			input: func(t testing.TB) catalog.Input {
				pub := []string{"1.9.0", "1.10.0"}
				return catalog.Input{Package: pkg, DefaultChannel: "stable", Registry: registry, Sources: []catalog.Source{
					{Channel: "stable", Stream: "channel:stable", Entries: entries(t, "channel:stable", pub, pub...)}}}
			},
			check: func(t *testing.T, c *catalog.Catalog) {
				if c.Bundles[0].Name != name("1.10.0") || c.Bundles[1].Name != name("1.9.0") {
					t.Errorf("bundles %s, %s", c.Bundles[0].Name, c.Bundles[1].Name)
				}
			},
		},
		{
			name: "an empty non-default channel is left out, with a note",
			input: func(t testing.TB) catalog.Input {
				in := S4(t)
				in.Sources = append(in.Sources, catalog.Source{Channel: "nightly", Follows: "nightly", Stream: "label:nightly"},
					catalog.Source{Channel: "typo", Follows: "curent"}, catalog.Source{Channel: "unset"})
				return in
			},
			check: func(t *testing.T, c *catalog.Catalog) {
				for _, ch := range c.Channels {
					if ch.Name == "nightly" || ch.Name == "typo" || ch.Name == "unset" {
						t.Errorf("empty channel %q is in the catalog", ch.Name)
					}
				}
				want := []string{
					`channel "nightly" is left out: ladder label nightly has no bundles yet (OLM refuses an empty channel)`,
					`channel "typo" is left out: it follows "curent", which is neither a ladder label nor a channel (OLM refuses an empty channel)`,
					`channel "unset" is left out: it follows no ladder label or channel (OLM refuses an empty channel)`,
				}
				if !reflect.DeepEqual(c.Notes, want) {
					t.Errorf("notes\n got %q\nwant %q", c.Notes, want)
				}
			},
		},
		{
			name: "a retired stream deprecates the channels that follow it",
			input: func(t testing.TB) catalog.Input {
				in := S4(t)
				in.Retired = []catalog.Retirement{
					{Stream: "label:canary", Reason: "canaries moved to the fleet", At: time.Date(2026, 3, 1, 23, 0, 0, 0, time.FixedZone("x", -3600))},
					{Stream: "channel:candidate"},
					{Stream: "label:unexported", Reason: "no OLM channel follows it"},
				}
				return in
			},
			check: func(t *testing.T, c *catalog.Catalog) {
				want := []catalog.Deprecation{{Schema: "olm.deprecations", Package: pkg, Entries: []catalog.DeprecationEntry{
					{Reference: catalog.Reference{Schema: "olm.channel", Name: "canary"}, Message: "ladder label canary was retired on 2026-03-02: canaries moved to the fleet"},
					{Reference: catalog.Reference{Schema: "olm.channel", Name: "fast"}, Message: "ladder channel candidate was retired"},
				}}}
				if !reflect.DeepEqual(c.Deprecations, want) {
					t.Errorf("deprecations\n got %+v\nwant %+v", c.Deprecations, want)
				}
			},
		},
		{
			name: "no deprecations without a retired stream behind an exported channel",
			input: func(t testing.TB) catalog.Input {
				in := S4(t)
				in.Sources = append(in.Sources, catalog.Source{Channel: "old", Stream: "label:old"})
				in.Retired = []catalog.Retirement{{Stream: "label:old"}, {Stream: "label:elsewhere"}}
				return in
			},
			check: func(t *testing.T, c *catalog.Catalog) {
				if c.Deprecations != nil {
					t.Errorf("deprecations %+v, want none (label:old has no channel in the catalog)", c.Deprecations)
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.check(t, build(t, tc.input(t)))
		})
	}
}

// TestBuildRefuses: one case per input Build cannot make a valid catalog
// of; each names what is at fault, and every problem is reported.
func TestBuildRefuses(t *testing.T) {
	ok := func(t testing.TB) catalog.Input { return S4(t) }
	cases := []struct {
		name  string
		input func(t testing.TB) catalog.Input
		want  []string
	}{
		{
			name:  "no package",
			input: func(t testing.TB) catalog.Input { in := ok(t); in.Package = ""; return in },
			want:  []string{"package: must not be empty"},
		},
		{
			name:  "no registry",
			input: func(t testing.TB) catalog.Input { in := ok(t); in.Registry = ""; return in },
			want:  []string{"registry: must not be empty (bundle images are <registry>@<digest>)"},
		},
		{
			name:  "no default channel",
			input: func(t testing.TB) catalog.Input { in := ok(t); in.DefaultChannel = ""; return in },
			want:  []string{"default channel: must not be empty"},
		},
		{
			name:  "default channel not configured",
			input: func(t testing.TB) catalog.Input { in := ok(t); in.DefaultChannel = "stabel"; return in },
			want:  []string{`default channel "stabel" is not one of the channels (canary, candidate, fast, stable)`},
		},
		{
			name: "default channel empty",
			input: func(t testing.TB) catalog.Input {
				in := ok(t)
				in.Sources[0].Entries = nil
				return in
			},
			want: []string{`default channel "stable": ladder label production has no bundles yet, and OLM refuses a package whose default channel is empty`},
		},
		{
			name: "default channel follows nothing",
			input: func(t testing.TB) catalog.Input {
				in := ok(t)
				in.Sources[0] = catalog.Source{Channel: "stable", Follows: "prodution"}
				return in
			},
			want: []string{`default channel "stable": it follows "prodution", which is neither a ladder label nor a channel, and OLM refuses a package whose default channel is empty`},
		},
		{
			name: "channel configured twice",
			input: func(t testing.TB) catalog.Input {
				in := ok(t)
				in.Sources = append(in.Sources, catalog.Source{Channel: "fast", Stream: "label:stage"})
				return in
			},
			want: []string{`channel "fast" is configured twice`},
		},
		{
			name: "channel without a name",
			input: func(t testing.TB) catalog.Input {
				in := ok(t)
				in.Sources = append(in.Sources, catalog.Source{Stream: "label:stage"})
				return in
			},
			want: []string{`a channel has no name (stream "label:stage")`},
		},
		{
			name: "a version that is not semver",
			input: func(t testing.TB) catalog.Input {
				in := ok(t)
				in.Sources = in.Sources[:1]
				in.Sources[0].Entries = entries(t, "label:production", []string{"v1.0.0", "1.0"}, "v1.0.0", "1.0")
				return in
			},
			want: []string{
				`channel "stable" (ladder label production): version "v1.0.0" is not semver (OLM needs MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]): Invalid characters in version`,
				`channel "stable" (ladder label production): version "1.0" is not semver (OLM needs MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]): Invalid Semantic Version`,
			},
		},
		{
			name: "an entry without a digest",
			input: func(t testing.TB) catalog.Input {
				in := ok(t)
				in.Sources[0].Entries[1].Digest = ""
				return in
			},
			want: []string{`channel "stable" (ladder label production): version 1.3.0 has no digest`},
		},
		{
			name: "one version, two digests",
			input: func(t testing.TB) catalog.Input {
				in := ok(t)
				in.Sources[0].Entries[1].Digest = digest("other")
				return in
			},
			want: []string{fmt.Sprintf(`channel "stable" (ladder label production): version 1.3.0 is %s, but channel "canary" (ladder label canary) has it as %s`, digest("other"), digest(vD))},
		},
		{
			name: "every problem at once",
			input: func(t testing.TB) catalog.Input {
				in := ok(t)
				in.Package, in.Registry, in.DefaultChannel = "", "", "nope"
				return in
			},
			want: []string{"package: must not be empty", "registry: must not be empty (bundle images are <registry>@<digest>)",
				`default channel "nope" is not one of the channels (canary, candidate, fast, stable)`},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := catalog.Build(tc.input(t))
			if err == nil {
				t.Fatalf("Build accepted it: %+v", c)
			}
			ce, isCatalogErr := err.(*catalog.Error)
			if !isCatalogErr {
				t.Fatalf("error %T %v, want *catalog.Error", err, err)
			}
			var got []string
			for _, p := range ce.Problems {
				got = append(got, p.Error())
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("problems\n got %q\nwant %q", got, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "OLM catalog of package ") {
				t.Errorf("error %q does not say what it is about", err)
			}
		})
	}
}

// TestWriteJSONGolden: the S4 catalog as `ladder catalog` prints it.
func TestWriteJSONGolden(t *testing.T) {
	b := jsonOf(t, build(t, S4Retired(t)))
	golden.Compare(t, filepath.Join("testdata", "s4.json"), b)

	// Build does not depend on the order of its sources.
	rev := S4Retired(t)
	for i, j := 0, len(rev.Sources)-1; i < j; i, j = i+1, j-1 {
		rev.Sources[i], rev.Sources[j] = rev.Sources[j], rev.Sources[i]
	}
	if b2 := jsonOf(t, build(t, rev)); !bytes.Equal(b, b2) {
		t.Errorf("the order of the sources changes the output:\n%s\n---\n%s", b, b2)
	}
}
