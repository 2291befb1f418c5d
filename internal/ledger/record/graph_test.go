package record

import (
	"reflect"
	"slices"
	"testing"
)

// TestGraphChannelSkipsNothingOfAnotherChannel: the outside testers found
// dev's upgrade graph listing stable's bundles under skips (issue 11). SPEC
// section 2: a channel's graph skips nothing of another channel; a label's
// still skips what entered its source between its moves.
func TestGraphChannelSkipsNothingOfAnotherChannel(t *testing.T) {
	d := NewDocument("app")
	publish := func(channel string, versions ...string) {
		t.Helper()
		for _, v := range versions {
			b := bundle(v)
			b.Channel = channel
			if err := d.AddBundle(b); err != nil {
				t.Fatal(err)
			}
			mustAppend(t, d, ChannelStream(channel), v)
		}
	}
	// dev and stable publish interleaved
	publish("dev", "0.0.1-dev.1")
	publish("stable", "0.0.1")
	publish("dev", "0.0.2-dev.2")
	publish("stable", "0.0.2", "0.0.3")
	publish("dev", "0.0.4-dev.3")
	// testing (from stable) moves from 0.0.1 to 0.0.3
	mustAppend(t, d, LabelStream("testing"), "0.0.1", "0.0.3")

	edges := func(stream string) map[string][]string {
		t.Helper()
		g, err := d.Graph(stream)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string][]string{}
		for _, e := range g.Entries {
			out[e.Version+"<"+e.Replaces] = e.Skips
		}
		return out
	}
	for stream, want := range map[string]map[string][]string{
		ChannelStream("dev"): {
			"0.0.1-dev.1<": nil, "0.0.2-dev.2<0.0.1-dev.1": nil, "0.0.4-dev.3<0.0.2-dev.2": nil,
		},
		ChannelStream("stable"): {
			"0.0.1<": nil, "0.0.2<0.0.1": nil, "0.0.3<0.0.2": nil,
		},
	} {
		if got := edges(stream); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: entries (version<replaces: skips) %v, want %v", stream, got, want)
		}
	}
	// The label skips what entered stable between its moves, and nothing
	// of dev (given its from, GraphFrom); without a source (Graph) it
	// skips everything published between.
	g, err := d.GraphFrom(LabelStream("testing"), ChannelStream("stable"))
	if err != nil {
		t.Fatal(err)
	}
	last := g.Entries[len(g.Entries)-1]
	if last.Version != "0.0.3" || !slices.Equal(last.Skips, []string{"0.0.2"}) {
		t.Errorf("testing from stable: %s skips %v, want 0.0.3 skipping [0.0.2] only", last.Version, last.Skips)
	}
	skips, ok := edges(LabelStream("testing"))["0.0.3<0.0.1"]
	if !ok || !slices.Contains(skips, "0.0.2") {
		t.Errorf("testing: 0.0.3 skips %v (entry found: %v), want 0.0.2 among them", skips, ok)
	}
}
