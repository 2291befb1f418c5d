package channel

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ladder-release/ladder/internal/lock"
)

// TestNextPassesOver: versions are unique per product (SPEC section 2,
// version), so a bump never proposes a release another channel already
// holds: it takes the next free one and names the ones it passed over. The
// other rules cannot pass over: they give what they give.
func TestNextPassesOver(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 22, 1, 15, 0, 0, time.UTC)
	l := lock.Lock{Schema: 1, Product: "p", Components: []lock.Entry{
		{Name: "operator", Repo: "o/op", Ref: "refs/tags/v0.0.3", Version: "0.0.3", Commit: "c116a45" + strings.Repeat("0", 33)},
	}}
	cases := []struct {
		name       string
		rule       VersionRule
		product    []string // every version of the product
		channel    []string // the channel's own
		want       string
		passedOver []string
	}{
		{"nothing held: the next step", VersionRule{Bump: "patch"},
			[]string{"0.0.1"}, []string{"0.0.1"}, "0.0.2", nil},
		{"another channel holds the first release", VersionRule{Bump: "patch"},
			[]string{"0.0.1"}, nil, "0.0.2", []string{"0.0.1"}},
		{"another channel holds +1 patch", VersionRule{Bump: "patch"},
			[]string{"0.0.1", "0.0.2", "0.0.3"}, []string{"0.0.1", "0.0.2"}, "0.0.4", []string{"0.0.3"}},
		{"several in a row", VersionRule{Bump: "patch"},
			[]string{"0.0.1", "0.0.2", "0.0.3", "0.0.4", "0.0.6"}, []string{"0.0.1"}, "0.0.5", []string{"0.0.2", "0.0.3", "0.0.4"}},
		{"held above the next free one is not passed over", VersionRule{Bump: "patch"},
			[]string{"0.0.1", "0.0.9"}, []string{"0.0.1"}, "0.0.2", nil},
		{"minor passes over minors", VersionRule{Bump: "minor"},
			[]string{"0.1.0", "0.2.0", "0.3.0", "0.2.1"}, []string{"0.1.0"}, "0.4.0", []string{"0.2.0", "0.3.0"}},
		{"minor is not held by a patch of the same minor", VersionRule{Bump: "minor"},
			[]string{"0.1.0", "0.2.1"}, []string{"0.1.0"}, "0.2.0", nil},
		{"major passes over majors", VersionRule{Bump: "major"},
			[]string{"1.0.0", "2.0.0", "3.0.0"}, []string{"1.0.0"}, "4.0.0", []string{"2.0.0", "3.0.0"}},
		{"build metadata holds the release", VersionRule{Bump: "patch"},
			[]string{"0.0.1", "0.0.2+build.7"}, []string{"0.0.1"}, "0.0.3", []string{"0.0.2+build.7"}},
		{"a prerelease of the next release does not hold it", VersionRule{Bump: "patch"},
			[]string{"0.0.1", "0.0.2-rc.1", "0.0.2-dev.20261122T011500.abcdef1"}, []string{"0.0.1"}, "0.0.2", nil},
		{"from cannot pass over", VersionRule{From: "operator"},
			[]string{"0.0.3"}, nil, "0.0.3", nil},
		{"prerelease has nothing to pass over", VersionRule{Prerelease: "dev"},
			[]string{"0.0.1"}, nil, "0.0.2-dev.20261122T011500.c116a45", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, err := Next(c.rule, "stable", l, Known{Product: c.product, Channel: c.channel}, now)
			if err != nil {
				t.Fatal(err)
			}
			if got.Version != c.want || !reflect.DeepEqual(got.PassedOver, c.passedOver) {
				t.Errorf("got %s passing over %q, want %s passing over %q", got.Version, got.PassedOver, c.want, c.passedOver)
			}
			// NextVersion is the same version
			if v, err := NextVersion(c.rule, "stable", l, Known{Product: c.product, Channel: c.channel}, now); err != nil || v != c.want {
				t.Errorf("NextVersion = %q, %v; want %q", v, err, c.want)
			}
		})
	}
}
