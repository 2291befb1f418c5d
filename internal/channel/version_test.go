package channel

import (
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/Masterminds/semver/v3"

	"github.com/ladder-release/ladder/internal/lock"
	"github.com/ladder-release/ladder/internal/testutil/errtest"
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

func TestNextVersion(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 22, 1, 15, 0, 0, time.UTC)
	l := lock.Lock{Schema: 1, Product: "p", Components: []lock.Entry{
		{Name: "cli", Repo: "o/cli", Ref: "refs/heads/main", Version: "main", Commit: "b366a24" + strings.Repeat("0", 33)},
		{Name: "operator", Repo: "o/op", Ref: "refs/tags/operator/v1.2.3", Version: "1.2.3", Commit: "c116a45" + strings.Repeat("0", 33)},
	}}
	known := Known{Product: []string{"1.4.0", "1.3.9", "1.5.0-rc.1", "dev", "not-a-version"}, Channel: []string{"0.9.0", "0.10.0", "0.11.0-dev.1"}}
	cases := []struct {
		name    string
		rule    VersionRule
		known   Known
		want    string
		wantErr string
	}{
		{"prerelease", VersionRule{Prerelease: "dev"}, known, "1.4.1-dev.20261122T011500.b366a24-c116a45", ""},
		{"default prerelease is the channel name", VersionRule{}, known, "1.4.1-nightly.20261122T011500.b366a24-c116a45", ""},
		{"prerelease with nothing known", VersionRule{Prerelease: "dev"}, Known{}, "0.0.1-dev.20261122T011500.b366a24-c116a45", ""},
		{"from", VersionRule{From: "operator"}, known, "1.2.3", ""},
		{"from a branch", VersionRule{From: "cli"}, known, "", `component cli resolved to "main" (refs/heads/main), which is not a semver version`},
		{"from unknown", VersionRule{From: "x"}, known, "", `component "x" is not in the lock`},
		{"bump patch", VersionRule{Bump: "patch"}, known, "0.10.1", ""},
		{"bump minor", VersionRule{Bump: "minor"}, known, "0.11.0", ""},
		{"bump major", VersionRule{Bump: "major"}, known, "1.0.0", ""},
		{"bump first", VersionRule{Bump: "patch"}, Known{}, "0.0.1", ""},
		{"bump bad", VersionRule{Bump: "huge"}, known, "", `version.bump: "huge"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, err := NextVersion(c.rule, "nightly", l, c.known, now)
			if errtest.Failed(t, err, c.wantErr) {
				return
			}
			if got != c.want {
				t.Errorf("got %s, want %s", got, c.want)
			}
		})
	}
}

func TestNextVersionNumericIDAndLongFallback(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	l := lock.Lock{Schema: 1, Product: "p", Components: []lock.Entry{{Name: "a", Repo: "o/a", Ref: "r", Version: "main", Commit: "0123456" + strings.Repeat("0", 33)}}}
	v, err := NextVersion(VersionRule{Prerelease: "dev"}, "dev", l, Known{}, now)
	if err != nil || v != "0.0.1-dev.20260102T030405.g0123456" {
		t.Fatalf("numeric short SHA: %q, %v", v, err)
	}
	// 16 components: a 127-character composite id makes the version too long for a tag.
	l.Components = nil
	for i := 0; i < 16; i++ {
		l.Components = append(l.Components, lock.Entry{Name: string(rune('a' + i)), Repo: "o/r", Ref: "r", Version: "main", Commit: sha('a')})
	}
	v, err = NextVersion(VersionRule{Prerelease: "dev"}, "dev", l, Known{}, now)
	if err != nil {
		t.Fatal(err)
	}
	want := "0.0.1-dev.20260102T030405.id-" + strings.TrimPrefix(l.Digest(), "sha256:")[:12]
	if v != want || len(v) > MaxTag {
		t.Errorf("got %q, want %q", v, want)
	}
}

func TestNextVersionDefaultPrereleaseFromAnyChannelName(t *testing.T) {
	t.Parallel()
	l := lock.Lock{Schema: 1, Product: "p", Components: []lock.Entry{{Name: "a", Repo: "o/a", Ref: "r", Version: "main", Commit: "abcdef1" + strings.Repeat("0", 33)}}}
	v, err := NextVersion(VersionRule{}, "my_chan", l, Known{}, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	if err != nil || v != "0.0.1-my-chan.20260102T030405.abcdef1" {
		t.Errorf("got %q, %v", v, err)
	}
}

func TestVersionTag(t *testing.T) {
	t.Parallel()
	if got := VersionTag("1.2.3+build.5"); got != "1.2.3_build.5" {
		t.Errorf("VersionTag = %q", got)
	}
}

var ociTag = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$`)

// FuzzNextVersion: whatever the rule, the channel's name, the component's
// version and what was published before, a version NextVersion returns is
// strict semver, its tag is a valid OCI tag, and a bump is above every
// release of the channel and equal to no release of the product. In known,
// the versions after a "|" are other channels' (the product's only).
func FuzzNextVersion(f *testing.F) {
	f.Add(0, "dev", "dev", "v1.2.3", "0.0.1,0.1.0", int64(0))
	f.Add(1, "", "stable", "1.0.0-rc.1+meta", "", int64(1e9))
	f.Add(2, "patch", "prod", "x", "1.2.3,1.10.0,2.0.0-rc.1", int64(-1))
	f.Add(3, "minor", "a.b/c", "", "junk,1.0.0", int64(1<<40))
	f.Add(2, "patch", "stable", "", "0.0.1|0.0.2,0.0.3+b,0.0.5", int64(0))
	f.Fuzz(func(t *testing.T, kind int, arg, chName, compVersion, known string, unix int64) {
		var rule VersionRule
		switch kind & 3 {
		case 0:
			rule.Prerelease = arg
		case 1:
			rule.From = "app"
		case 2, 3:
			rule.Bump = arg
		}
		l := lock.Lock{Schema: lock.Schema, Product: "p", Components: []lock.Entry{
			{Name: "app", Repo: "o/app", Ref: "refs/heads/main", Version: compVersion, Commit: strings.Repeat("a", 40)},
		}}
		var prev, product []string
		own, others, _ := strings.Cut(known, "|")
		if own != "" {
			prev = strings.Split(own, ",")
		}
		product = append(product, prev...)
		if others != "" {
			product = append(product, strings.Split(others, ",")...)
		}
		v, err := NextVersion(rule, chName, l, Known{Product: product, Channel: prev}, time.Unix(unix%(1<<35), 0))
		if err != nil {
			return
		}
		sv, perr := semver.StrictNewVersion(v)
		if perr != nil {
			t.Fatalf("NextVersion(%+v, %q) = %q, not strict semver: %v", rule, chName, v, perr)
		}
		if tag := VersionTag(v); !ociTag.MatchString(tag) {
			t.Fatalf("version %q has tag %q, not a valid OCI tag", v, tag)
		}
		if rule.Bump != "" {
			for _, p := range prev {
				pv, err := semver.StrictNewVersion(strings.TrimPrefix(p, "v"))
				if err == nil && pv.Prerelease() == "" && !sv.GreaterThan(pv) {
					t.Fatalf("bump %s gave %s, not above the channel's release %s", rule.Bump, v, p)
				}
			}
			for _, p := range product {
				pv, err := semver.StrictNewVersion(p)
				if err == nil && pv.Prerelease() == "" && sv.Equal(pv) {
					t.Fatalf("bump %s gave %s, which the product already holds as %s", rule.Bump, v, p)
				}
			}
		}
	})
}
