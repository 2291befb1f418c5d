package channel

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/Masterminds/semver/v3"

	"github.com/ladder-release/ladder/internal/lock"
)

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
