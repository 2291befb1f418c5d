package tagname

import (
	"strings"
	"testing"

	"github.com/ladder-release/ladder/internal/channel"
	"github.com/ladder-release/ladder/internal/lock"
)

var names = Names{Channels: []string{"dev", "stable"}, Labels: []string{"testing", "current"}}

// One case per kind of tag SPEC section 4 gives to ladder, and the ordinary
// tags a workflow may add.
func TestReserved(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, tag string
		want      string // in the reason; "" when the tag is free
	}{
		{"a version", "0.0.3", "parses as a version"},
		{"a prerelease version", "1.2.4-dev.20261122011500", "parses as a version"},
		{"a version with a leading v", "v1.2.3", "parses as a version"},
		{"a short version", "2", "parses as a version"},
		{"a version's tag form (+ became _)", "1.2.3_build.5", "parses as a version"},
		{"a version's tag form with a leading v", "v1.2.3-rc.1_b7", "parses as a version"},
		{"a channel", "dev", "is channel dev's tag; ladder moves it when build-bundle publishes into dev"},
		{"a label", "testing", "is label testing's tag; ladder moves it through promote-label"},
		{"a label's previous", "current-previous", "is label current's previous bundle"},
		{"any -previous", "nightly-previous", "ends in -previous"},
		{"a channel's end of life", "stable-eol", "channel stable's final bundle"},
		{"a label's end of life", "current-eol", "label current's final bundle"},
		{"a commit tag", "sha-eeeeeee", "is a commit tag"},
		{"a commit tag, full length", "sha-" + strings.Repeat("E", 40), "is a commit tag"},
		{"a composite id of one component", "abcdef1", "composite id"},
		{"a composite id", "b366a24-c116a45-a123c56", "composite id"},
		{"a long composite id's short form", "id-0123456789ab", "composite id"},
		{"the catalog", "catalog", "catalog image"},

		{"latest-build", "latest-build", ""},
		{"nightly-2024", "nightly-2024", ""},
		{"latest", "latest", ""},
		{"a name that is a channel's in another case", "Dev", ""},
		{"an -eol of no channel or label", "python-eol", ""},
		{"sha- and no hex", "sha-latest", ""},
		{"six hex digits", "abcdef", ""},
		{"a version with two build markers", "1.2.3_a_b", ""},
		{"a catalog of something", "catalog-v2", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got := Reserved(c.tag, names)
			if c.want == "" {
				if got != "" {
					t.Errorf("Reserved(%q) = %q, want free", c.tag, got)
				}
				return
			}
			if !strings.Contains(got, c.want) {
				t.Errorf("Reserved(%q) = %q, want it to say %q", c.tag, got, c.want)
			}
		})
	}
}

// The tags ladder itself derives (internal/channel, internal/lock) are
// reserved: the rule and the writers cannot drift apart.
func TestReservedCoversLaddersOwnTags(t *testing.T) {
	t.Parallel()
	short := lock.Lock{Schema: lock.Schema, Product: "p", Components: []lock.Entry{
		{Name: "a", Repo: "o/a", Ref: "refs/heads/main", Version: "main", Commit: strings.Repeat("ab", 20)},
		{Name: "b", Repo: "o/b", Ref: "refs/heads/main", Version: "main", Commit: strings.Repeat("c1", 20)},
	}}
	long := lock.Lock{Schema: lock.Schema, Product: "p"}
	for i := range 20 {
		long.Components = append(long.Components, lock.Entry{Name: string(rune('a' + i)), Repo: "o/r", Ref: "refs/heads/main", Version: "main", Commit: strings.Repeat("d", 39) + string(rune('0'+i%10))})
	}
	for _, tag := range []string{
		short.CompositeID(),
		long.CompositeID(),
		channel.VersionTag("1.2.3+build.7"),
		channel.VersionTag("0.1.0-dev.20261122011500"),
		"sha-" + lock.Short(strings.Repeat("e", 40)),
	} {
		if Reserved(tag, Names{}) == "" {
			t.Errorf("ladder writes %q, but Reserved says it is free", tag)
		}
	}
	if id := long.CompositeID(); !strings.HasPrefix(id, "id-") {
		t.Fatalf("setup: the long lock's composite id %q is not the id- form", id)
	}
}
