package catalog_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/ladder-release/ladder/internal/catalog"
	"github.com/ladder-release/ladder/internal/graph"
)

// feeds is a config's export.olm as the run sees it: stable follows label
// production (from label stage), candidate follows label stage (from
// channel dev), fast follows channel nightly.
var feeds = []catalog.Source{
	{Channel: "stable", Follows: "production", Stream: "label:production", From: "label:stage"},
	{Channel: "candidate", Follows: "stage", Stream: "label:stage", From: "channel:dev"},
	{Channel: "fast", Follows: "nightly", Stream: "channel:nightly"},
	{Channel: "typo", Follows: "prodution"}, // follows nothing: no stream
}

func TestRepublish(t *testing.T) {
	const run, other = "https://github.com/acme/op/actions/runs/7", "https://github.com/acme/op/actions/runs/8"
	for _, tc := range []struct {
		name   string
		change catalog.Change
		want   bool
	}{
		{"a promotion of a label an OLM channel follows", catalog.Change{Stream: "label:production", Moved: true, Run: run}, true},
		{"a publish into a channel an OLM channel follows", catalog.Change{Stream: "channel:nightly", Moved: true, Run: run}, true},
		{"a publish into the stream a followed label reads its skips from", catalog.Change{Stream: "channel:dev", Moved: true, Run: run}, true},
		{"a label that is both followed and a source", catalog.Change{Stream: "label:stage", Moved: true}, true},
		{"a publish into a channel the catalog does not read", catalog.Change{Stream: "channel:staging", Moved: true, Run: run}, false},
		{"a promotion of a label the catalog does not read", catalog.Change{Stream: "label:testing", Moved: true, Run: run}, false},
		{"a noop of a followed label (another run moved it)", catalog.Change{Stream: "label:production", HeadRun: other, Run: run}, false},
		{"a noop of a followed label moved by a run without id", catalog.Change{Stream: "label:production"}, false},
		{"the rerun of the run that moved a followed label", catalog.Change{Stream: "label:production", HeadRun: run, Run: run}, true},
		{"the rerun of a run that moved an unread stream", catalog.Change{Stream: "channel:staging", HeadRun: run, Run: run}, false},
		{"no stream", catalog.Change{Moved: true}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := catalog.Republish(feeds, tc.change); got != tc.want {
				t.Errorf("Republish(%+v) = %v, want %v", tc.change, got, tc.want)
			}
		})
	}
}

func TestPublishable(t *testing.T) {
	in := catalog.Input{Package: pkg, DefaultChannel: "stable", Registry: registry, Sources: append([]catalog.Source(nil), feeds...)}
	ok, why := catalog.Publishable(in)
	if want := `default channel "stable": ladder label production has no bundles yet (OLM refuses a package whose default channel is empty)`; ok || why != want {
		t.Errorf("empty default channel: %v %q, want false %q", ok, why, want)
	}
	in.Sources[0].Entries = []graph.Entry{{Version: vA, Digest: digest(vA)}}
	if ok, why := catalog.Publishable(in); !ok || why != "" {
		t.Errorf("default channel with a bundle (other channels empty): %v %q, want true", ok, why)
	}
}

func TestNext(t *testing.T) {
	const want, old, theirs, newer = "sha256:want", "sha256:old", "sha256:theirs", "sha256:newer"
	held := func(v string) bool { return v == vA || v == vB }
	versions := map[string][]string{theirs: {vA, vB}, newer: {vA, vC}, "sha256:foreign": nil}
	for _, tc := range []struct {
		name string
		view catalog.TagView
		step catalog.TagStep
	}{
		{"1 the tag was not read", catalog.TagView{Digest: want}, catalog.StepRead},
		{"2 the tag holds the ledger's catalog", catalog.TagView{Known: true, Digest: want}, catalog.StepAgree},
		{"3 no tag", catalog.TagView{Known: true}, catalog.StepWrite},
		{"3 a catalog this run made from an earlier read", catalog.TagView{Known: true, Digest: old, Ours: map[string]bool{old: true}}, catalog.StepWrite},
		{"4 another run's catalog, not inspected", catalog.TagView{Known: true, Digest: theirs}, catalog.StepInspect},
		{"5 a catalog naming a version the read does not hold", catalog.TagView{Known: true, Digest: newer, Versions: versions}, catalog.StepStale},
		{"6 an older catalog: every version held", catalog.TagView{Known: true, Digest: theirs, Versions: versions}, catalog.StepWrite},
		{"6 not a catalog of this package", catalog.TagView{Known: true, Digest: "sha256:foreign", Versions: versions}, catalog.StepWrite},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := catalog.Next(want, held, tc.view); got != tc.step {
				t.Errorf("Next = %s, want %s", got, tc.step)
			}
		})
	}
}

func TestBundleVersions(t *testing.T) {
	b := jsonOf(t, build(t, S4(t)))
	got, err := catalog.BundleVersions(bytes.NewReader(b), pkg)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, " ") != strings.Join(published, " ") {
		t.Errorf("versions %v, want %v", got, published)
	}
	if got, err := catalog.BundleVersions(bytes.NewReader(b), "other-operator"); err != nil || len(got) != 0 {
		t.Errorf("another package's versions: %v %v, want none", got, err)
	}
	if _, err := catalog.BundleVersions(strings.NewReader(`{"schema": "olm.bundle"`), pkg); err == nil {
		t.Error("a truncated catalog read without an error")
	}
}
