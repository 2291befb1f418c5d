package graph

import (
	"errors"
	"fmt"
	"math/rand"
	"reflect"
	"strings"
	"testing"
)

func bundles(versions ...string) []Bundle {
	out := make([]Bundle, len(versions))
	for i, v := range versions {
		out[i] = Bundle{Version: v, Digest: "sha256:" + strings.Repeat(fmt.Sprintf("%x", i%16), 64)}
	}
	return out
}

// edges is a compact view of a graph for table tests: "D<C" (D replaces C),
// "D<A[B,C]" (D replaces A, skips B and C), "A" (the tail).
func edges(g *Graph) []string {
	var out []string
	for _, e := range g.Entries {
		s := e.Version
		if e.Replaces != "" {
			s += "<" + e.Replaces
		}
		if len(e.Skips) > 0 {
			s += "[" + strings.Join(e.Skips, ",") + "]"
		}
		out = append(out, s)
	}
	return out
}

// TestStoryS4 is seeds/003: stage went A -> B -> C -> D while production
// stayed on A; D is ready for production, and production must be able to
// upgrade from A to D although D's predecessor on stage is C.
func TestStoryS4(t *testing.T) {
	t.Parallel()
	published := bundles("A", "B", "C", "D")

	stage, err := Build("channel:stage", published, []string{"A", "B", "C", "D"})
	if err != nil {
		t.Fatal(err)
	}
	d, _ := stage.Entry("D")
	if d.Replaces != "C" || len(d.Skips) != 0 {
		t.Errorf("stage: D replaces %q, skips %v; want C, []", d.Replaces, d.Skips)
	}
	if stage.Head != "D" {
		t.Errorf("stage head %q, want D", stage.Head)
	}

	prod, err := Build("label:production", published, []string{"A", "D"})
	if err != nil {
		t.Fatal(err)
	}
	d, _ = prod.Entry("D")
	if d.Replaces != "A" || !reflect.DeepEqual(d.Skips, []string{"B", "C"}) {
		t.Errorf("production: D replaces %q, skips %v; want A, [B C]", d.Replaces, d.Skips)
	}
	if d.Digest != published[3].Digest {
		t.Errorf("production: D digest %q, want %q", d.Digest, published[3].Digest)
	}
	if prod.Head != "D" || len(prod.Entries) != 2 {
		t.Errorf("production: head %q with %d entries, want D with 2", prod.Head, len(prod.Entries))
	}
}

func TestBuild(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		published []string
		stream    []string
		want      []string
		head      string
		retracted []string // "C by B"
	}{
		{"empty stream", []string{"A", "B"}, nil, nil, "", nil},
		{"one entry replaces nothing", []string{"A", "B"}, []string{"B"}, []string{"B"}, "B", nil},
		{"first entry skips nothing published before it", []string{"A", "B", "C"}, []string{"C"}, []string{"C"}, "C", nil},
		{"every bundle entered", []string{"A", "B", "C", "D"}, []string{"A", "B", "C", "D"}, []string{"A", "B<A", "C<B", "D<C"}, "D", nil},
		{"jump skips what never entered", []string{"A", "B", "C", "D"}, []string{"A", "D"}, []string{"A", "D<A[B,C]"}, "D", nil},
		{"several jumps", []string{"A", "B", "C", "D", "E", "F"}, []string{"A", "C", "F"}, []string{"A", "C<A[B]", "F<C[D,E]"}, "F", nil},
		{"re-entering the head changes nothing", []string{"A", "B"}, []string{"A", "B", "B"}, []string{"A", "B<A"}, "B", nil},
		{"rollback to an earlier entry retracts what came after", []string{"A", "B", "C"}, []string{"A", "B", "C", "B"},
			[]string{"A", "B<A"}, "B", []string{"C by B"}},
		{"after a rollback the next entry skips the retracted one", []string{"A", "B", "C", "D"}, []string{"A", "B", "C", "B", "D"},
			[]string{"A", "B<A", "D<B[C]"}, "D", []string{"C by B"}},
		{"rolled back then forward again", []string{"A", "B", "C"}, []string{"A", "B", "C", "B", "C"},
			[]string{"A", "B<A", "C<B"}, "C", []string{"C by B"}},
		{"rollback over several entries", []string{"A", "B", "C", "D"}, []string{"A", "B", "C", "D", "A"},
			[]string{"A"}, "A", []string{"D by A", "C by A", "B by A"}},
		{"move back to a bundle that never entered", []string{"A", "B", "C", "D"}, []string{"A", "D", "C"},
			[]string{"A", "C<A[B]"}, "C", []string{"D by C"}},
		{"move back before the first entry", []string{"A", "B", "C"}, []string{"B", "C", "A"},
			[]string{"A"}, "A", []string{"C by A", "B by A"}},
		{"publish order, not version order", []string{"1.3.0", "1.2.5", "1.3.1"}, []string{"1.3.0", "1.2.5", "1.3.1"},
			[]string{"1.3.0", "1.2.5<1.3.0", "1.3.1<1.2.5"}, "1.3.1", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g, err := Build("label:test", bundles(tc.published...), tc.stream)
			if err != nil {
				t.Fatal(err)
			}
			if got := edges(g); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("entries %v, want %v", got, tc.want)
			}
			if g.Head != tc.head {
				t.Errorf("head %q, want %q", g.Head, tc.head)
			}
			var retracted []string
			for _, r := range g.Retracted {
				retracted = append(retracted, r.Version+" by "+r.By)
			}
			if !reflect.DeepEqual(retracted, tc.retracted) {
				t.Errorf("retracted %v, want %v", retracted, tc.retracted)
			}
			if err := g.Validate(); err != nil {
				t.Errorf("Build returned a graph that does not validate: %v", err)
			}
		})
	}
}

func TestBuildRefusesBadInput(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		published []Bundle
		stream    []string
		kind      error
		mentions  []string
	}{
		{"stream names an unpublished version", bundles("A", "B"), []string{"A", "X", "Y"}, ErrUnknownVersion, []string{`"X"`, `"Y"`}},
		{"version published twice", append(bundles("A", "B"), Bundle{Version: "A", Digest: "sha256:ff"}), []string{"A"}, ErrDuplicate, []string{"A", "#1", "#3"}},
		{"bundle without a version", []Bundle{{Version: "A"}, {Digest: "sha256:0123"}}, []string{"A"}, ErrEmptyVersion, []string{"#2", "sha256:0123"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Build("channel:dev", tc.published, tc.stream)
			wantProblem(t, err, tc.kind, append(tc.mentions, "channel:dev")...)
		})
	}
}

// wantProblem checks that err is a problem of kind (nil: no error at all)
// whose text mentions each of mentions.
func wantProblem(t *testing.T, err, kind error, mentions ...string) {
	t.Helper()
	if kind == nil {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if !errors.Is(err, kind) {
		t.Fatalf("got %v, want %v", err, kind)
	}
	for _, m := range mentions {
		if !strings.Contains(err.Error(), m) {
			t.Errorf("error %q does not mention %q", err, m)
		}
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	e := func(v, replaces string, skips ...string) Entry {
		return Entry{Version: v, Replaces: replaces, Skips: skips}
	}
	for _, tc := range []struct {
		name     string
		entries  []Entry
		head     string
		kind     error // nil: valid
		mentions []string
	}{
		{"empty graph", nil, "", nil, nil},
		{"single entry", []Entry{e("A", "")}, "A", nil, nil},
		{"chain", []Entry{e("A", ""), e("B", "A"), e("C", "B")}, "C", nil, nil},
		{"tail replaces a bundle outside the graph", []Entry{e("B", "A"), e("C", "B")}, "C", nil, nil},
		{"skipped entry is not stranded", []Entry{e("A", ""), e("B", "A"), e("C", "A", "B")}, "C", nil, nil},
		{"replaces onto a skipped entry ends the walk (operator-registry's rule)", []Entry{e("A", ""), e("B", "A"), e("C", "B", "B")}, "C", ErrStranded, []string{"A (not reachable"}},
		{"two heads", []Entry{e("A", ""), e("B", "A"), e("C", "A")}, "", ErrMultipleHeads, []string{"B, C"}},
		{"no head: a cycle", []Entry{e("A", "C"), e("B", "A"), e("C", "B")}, "", ErrNoHead, []string{"A", "B", "C", "cycle"}},
		{"cycle below the head", []Entry{e("A", "B"), e("B", "A"), e("C", "B")}, "", ErrCycle, []string{"C -> B -> A -> B"}},
		{"entry replaces itself", []Entry{e("A", "A"), e("B", "A")}, "", ErrSelfReplace, []string{"A replaces itself"}},
		{"entry skips itself", []Entry{e("A", ""), e("B", "A", "B")}, "", ErrSelfSkip, []string{"B skips itself"}},
		{"entry off the chain but skipped", []Entry{e("A", ""), e("B", "A"), e("X", "Q"), e("C", "B", "X")}, "", nil, nil},
		{"stranded entry", []Entry{e("A", ""), e("X", "A"), e("Y", "X"), e("B", "A"), e("C", "B", "Y")}, "", ErrStranded, []string{"X (not reachable from head C"}},
		{"duplicate entry", []Entry{e("A", ""), e("B", "A"), e("B", "A")}, "", ErrDuplicate, []string{"B"}},
		{"head mismatch", []Entry{e("A", ""), e("B", "A")}, "A", ErrMultipleHeads, []string{"names head A", "make B the head"}},
		{"empty version", []Entry{e("A", ""), e("", "A")}, "", ErrEmptyVersion, []string{"#2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := &Graph{Stream: "label:current", Entries: tc.entries, Head: tc.head}
			wantProblem(t, g.Validate(), tc.kind, append(tc.mentions, "label:current")...)
		})
	}
}

// TestValidateStranded: an entry that is not a head (Y replaces it) yet
// unreachable from the head, because the entry replacing it is only skipped.
func TestValidateStranded(t *testing.T) {
	t.Parallel()
	g := &Graph{Stream: "channel:dev", Entries: []Entry{
		{Version: "A"},
		{Version: "X", Replaces: "A"}, // replaced by Y, which the chain never walks: stranded
		{Version: "Y", Replaces: "X"}, // skipped by C: not stranded
		{Version: "B", Replaces: "A"},
		{Version: "C", Replaces: "B", Skips: []string{"Y"}},
	}}
	err := g.Validate()
	if !errors.Is(err, ErrStranded) {
		t.Fatalf("got %v, want stranded", err)
	}
	if !strings.Contains(err.Error(), "X") || strings.Contains(err.Error(), "Y,") || !strings.Contains(err.Error(), "head C") {
		t.Errorf("error %q should name X (and not Y) and the head C", err)
	}
}

// TestBuildAlwaysValid: whatever order versions enter a stream in, Build
// returns a valid graph whose chain runs in publish order and whose entries
// and skips, with the retracted ones, account for every bundle up to the head.
func TestBuildAlwaysValid(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewSource(1))
	for round := 0; round < 500; round++ {
		n := 1 + rng.Intn(30)
		var versions []string
		for i := 0; i < n; i++ {
			versions = append(versions, fmt.Sprintf("1.0.%d", i))
		}
		var stream []string
		for i := 0; i < 1+rng.Intn(40); i++ {
			stream = append(stream, versions[rng.Intn(n)])
		}
		g, err := Build("s", bundles(versions...), stream)
		if err != nil {
			t.Fatalf("stream %v: %v", stream, err)
		}
		if g.Head != stream[len(stream)-1] {
			t.Fatalf("stream %v: head %s, want the last version to enter", stream, g.Head)
		}
		at := indexOf(versions)
		for k, e := range g.Entries {
			if k > 0 && at[e.Version] <= at[g.Entries[k-1].Version] {
				t.Fatalf("stream %v: chain %v not in publish order", stream, edges(g))
			}
		}
		covered := coverage(g)
		for _, v := range versions[at[g.Entries[0].Version]:at[g.Head]] {
			if !covered[v] {
				t.Fatalf("stream %v: %s neither an entry nor skipped (entries %v)", stream, v, edges(g))
			}
		}
	}
}

// indexOf maps each of versions to its position.
func indexOf(versions []string) map[string]int {
	at := make(map[string]int, len(versions))
	for i, v := range versions {
		at[v] = i
	}
	return at
}

// coverage is every version g holds: its entries and what they skip.
func coverage(g *Graph) map[string]bool {
	c := map[string]bool{}
	for _, e := range g.Entries {
		c[e.Version] = true
		for _, s := range e.Skips {
			c[s] = true
		}
	}
	return c
}

func TestMermaid(t *testing.T) {
	t.Parallel()
	g, err := Build("label:production", bundles("A", "B", "C", "D"), []string{"A", "D"})
	if err != nil {
		t.Fatal(err)
	}
	want := `flowchart RL
  n0["A"]
  n1["D (head)"]
  n1 -->|replaces| n0
  n2["B"]
  n1 -.->|skips| n2
  n3["C"]
  n1 -.->|skips| n3
`
	if got := g.Mermaid(0); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// BenchmarkGraph10k: 10,000 bundles; a stream every bundle entered and one
// of 1,000 sampled from them. SPEC section 9: under 100 ms.
func BenchmarkGraph10k(b *testing.B) {
	const n = 10000
	versions := make([]string, n)
	for i := range versions {
		versions[i] = fmt.Sprintf("1.%d.%d", i/100, i%100)
	}
	published := bundles(versions...)
	full := versions
	sampled := make([]string, 0, n/10)
	for i := 0; i < n; i += 10 {
		sampled = append(sampled, versions[i])
	}
	b.Run("stream=10000", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Build("channel:dev", published, full); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("stream=1000", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Build("label:current", published, sampled); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("both", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Build("channel:dev", published, full); err != nil {
				b.Fatal(err)
			}
			if _, err := Build("label:current", published, sampled); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestBuildFrom: SPEC section 2, upgrade graph: each entry skips the bundles
// that entered the stream's source between it and the entry it replaces but
// never entered this stream; a channel's graph skips nothing of another
// channel. Bundles are named by the channel that published them: d1 (dev),
// s1 (stable).
func TestBuildFrom(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		published []string
		stream    []string
		source    []string
		want      []string
	}{
		{"a channel skips nothing of another channel",
			[]string{"d1", "s1", "d2", "s2", "s3", "d3"}, []string{"d1", "d2", "d3"}, []string{"d1", "d2", "d3"},
			[]string{"d1", "d2<d1", "d3<d2"}},
		{"nor does the other channel",
			[]string{"d1", "s1", "d2", "s2", "s3", "d3"}, []string{"s1", "s2", "s3"}, []string{"s1", "s2", "s3"},
			[]string{"s1", "s2<s1", "s3<s2"}},
		{"a channel's own bundle that never entered its stream is skipped",
			[]string{"d1", "s1", "d2", "d3"}, []string{"d1", "d3"}, []string{"d1", "d2", "d3"},
			[]string{"d1", "d3<d1[d2]"}},
		{"a label skips what entered its source between its moves, nothing else",
			[]string{"g1", "d1", "g2", "d2", "g3", "g4"}, []string{"g1", "g4"}, []string{"g1", "g2", "g3", "g4"},
			[]string{"g1", "g4<g1[g2,g3]"}},
		{"a label from a label skips what entered that label",
			[]string{"g1", "g2", "g3", "g4", "g5"}, []string{"g1", "g5"}, []string{"g1", "g3", "g5"},
			[]string{"g1", "g5<g1[g3]"}},
		{"the source in any order",
			[]string{"g1", "d1", "g2", "g3"}, []string{"g1", "g3"}, []string{"g3", "g2", "g1"},
			[]string{"g1", "g3<g1[g2]"}},
		{"a retracted entry stays skippable outside the source",
			[]string{"g1", "x1", "g2", "g3"}, []string{"g1", "x1", "g1", "g3"}, []string{"g1", "g3"},
			[]string{"g1", "g3<g1[x1]"}},
		{"an empty source skips only retractions",
			[]string{"a", "b", "c", "d", "e"}, []string{"a", "c", "b", "e"}, []string{},
			[]string{"a", "b<a", "e<b[c]"}},
		{"a whole source is Build",
			[]string{"a", "b", "c", "d"}, []string{"a", "d"}, []string{"a", "b", "c", "d"},
			[]string{"a", "d<a[b,c]"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g, err := BuildFrom("s", bundles(tc.published...), tc.stream, tc.source)
			if err != nil {
				t.Fatal(err)
			}
			if got := edges(g); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("entries %v, want %v", got, tc.want)
			}
			if err := g.Validate(); err != nil {
				t.Errorf("BuildFrom returned a graph that does not validate: %v", err)
			}
		})
	}
}

// TestBuildFromNilSourceSkipsNothing: BuildFrom's source is a list, so a nil
// one is empty (nothing but retractions skipped), not Build's "everything".
func TestBuildFromNilSourceSkipsNothing(t *testing.T) {
	t.Parallel()
	g, err := BuildFrom("channel:dev", bundles("d1", "s1", "d2"), []string{"d1", "d2"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := edges(g); !reflect.DeepEqual(got, []string{"d1", "d2<d1"}) {
		t.Errorf("entries %v", got)
	}
}

func TestBuildFromRefusesAnUnknownSource(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name            string
		published       []Bundle
		entered, source []string
		want            string
	}{
		{"unknown in the source", bundles("A", "B"), []string{"A", "B"}, []string{"A", "Z", "Y"}, `the source of the stream names "Z", "Y"`},
		// nothing published: an unknown version has no position to mark
		// (this panicked once, an index out of range)
		{"nothing published, the source names one", nil, nil, []string{"A"}, `the source of the stream names "A"`},
		{"nothing published, the stream names one", nil, []string{"A"}, []string{}, `the stream names "A"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := BuildFrom("label:testing", tc.published, tc.entered, tc.source)
			if !errors.Is(err, ErrUnknownVersion) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %s", err, tc.want)
			}
		})
	}
}

// TestBuildFromAlwaysValid: random products, sources and streams: the graph
// validates, and every bundle of the source or the stream between the tail
// and the head is an entry or skipped, and nothing else is skipped.
func TestBuildFromAlwaysValid(t *testing.T) {
	t.Parallel()
	rnd := rand.New(rand.NewSource(11))
	for round := 0; round < 300; round++ {
		n := 2 + rnd.Intn(12)
		versions := make([]string, n)
		for i := range versions {
			versions[i] = string(rune('A' + i))
		}
		inSource := map[string]bool{}
		var source, stream []string
		for _, v := range versions {
			if rnd.Intn(2) == 0 {
				inSource[v] = true
				source = append(source, v)
			}
		}
		for k := 1 + rnd.Intn(8); k > 0; k-- {
			stream = append(stream, versions[rnd.Intn(n)])
		}
		entered := map[string]bool{}
		for _, v := range stream {
			entered[v] = true
		}
		g, err := BuildFrom("s", bundles(versions...), stream, source)
		if err != nil {
			t.Fatalf("stream %v source %v: %v", stream, source, err)
		}
		for _, e := range g.Entries {
			for _, s := range e.Skips {
				if !inSource[s] && !entered[s] {
					t.Fatalf("stream %v source %v: %s skips %s, in neither (entries %v)", stream, source, e.Version, s, edges(g))
				}
			}
		}
		at, covered := indexOf(versions), coverage(g)
		for _, v := range versions[at[g.Entries[0].Version]:at[g.Head]] {
			if (inSource[v] || entered[v]) && !covered[v] {
				t.Fatalf("stream %v source %v: %s neither an entry nor skipped (entries %v)", stream, source, v, edges(g))
			}
		}
	}
}
