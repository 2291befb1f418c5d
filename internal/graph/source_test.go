package graph

import (
	"errors"
	"math/rand"
	"reflect"
	"strings"
	"testing"
)

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
	_, err := BuildFrom("label:testing", bundles("A", "B"), []string{"A", "B"}, []string{"A", "Z", "Y"})
	if !errors.Is(err, ErrUnknownVersion) || !strings.Contains(err.Error(), `the source of the stream names "Z", "Y"`) {
		t.Errorf("err = %v, want the unknown source versions named", err)
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
