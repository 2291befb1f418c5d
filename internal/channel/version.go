package channel

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"

	"github.com/ladder-release/ladder/internal/lock"
)

// VersionRule is how a channel versions its bundles. At most one field is set;
// none set means Prerelease = the channel's name.
type VersionRule struct {
	Prerelease string // base-<prerelease>.<UTC timestamp>.<composite id>
	From       string // the named component's version
	Bump       string // major | minor | patch over the channel's highest version
}

// Known is what has been published before: every version of the product, and
// the versions published into this channel.
type Known struct {
	Product []string
	Channel []string
}

// MaxTag is the longest OCI tag.
const MaxTag = 128

var digitsOnly = regexp.MustCompile(`^[0-9]+$`)

// Version is the version a rule gives a lock, and the versions a bump passed
// over on its way there.
type Version struct {
	Version string
	// PassedOver lists, lowest first, the releases a bump rule found already
	// held by another channel of the product and skipped (versions are unique
	// per product). Empty for the other rules: they cannot pass over.
	PassedOver []string
}

// Next is the version a lock is published as under rule.
//
//   - prerelease P: the next patch after the product's highest release (0.0.1
//     when there is none), then -P.<UTC yyyymmddThhmmss>.<composite id>, which
//     sorts by time and is unique per lock. When that would be longer than an
//     OCI tag allows, the composite id gives way to "id-" + 12 hex of the digest.
//   - from C: component C's version, which must be semver.
//   - bump major|minor|patch: the channel's highest release plus one step
//     (0.0.0 plus one step when the channel has none), and while the product
//     already holds that release (another channel published it, build
//     metadata aside), one step more: the next free release. The releases
//     stepped over are in PassedOver.
//
// A version whose tag would be longer than an OCI tag allows is an error.
func Next(rule VersionRule, channelName string, l lock.Lock, known Known, now time.Time) (Version, error) {
	v, err := nextVersion(rule, channelName, l, known, now)
	if err != nil {
		return Version{}, err
	}
	if len(VersionTag(v.Version)) > MaxTag {
		return Version{}, fmt.Errorf("version %q is %d characters, longer than an OCI tag allows (%d)", v.Version, len(v.Version), MaxTag)
	}
	return v, nil
}

// NextVersion is Next's version alone.
func NextVersion(rule VersionRule, channelName string, l lock.Lock, known Known, now time.Time) (string, error) {
	v, err := Next(rule, channelName, l, known, now)
	return v.Version, err
}

func nextVersion(rule VersionRule, channelName string, l lock.Lock, known Known, now time.Time) (Version, error) {
	switch {
	case rule.From != "":
		e, ok := l.Entry(rule.From)
		if !ok {
			return Version{}, fmt.Errorf("version.from: component %q is not in the lock", rule.From)
		}
		v, err := semver.StrictNewVersion(strings.TrimPrefix(e.Version, "v"))
		if err != nil {
			return Version{}, fmt.Errorf("version.from: component %s resolved to %q (%s), which is not a semver version", e.Name, e.Version, e.Ref)
		}
		return Version{Version: v.String()}, nil
	case rule.Bump != "":
		return bump(rule.Bump, known)
	default:
		pre := rule.Prerelease
		if pre == "" {
			pre = PrereleaseName(channelName)
		}
		base := highestRelease(known.Product).IncPatch()
		stamp := now.UTC().Format("20060102T150405")
		id := l.CompositeID()
		if digitsOnly.MatchString(id) {
			id = "g" + id // a numeric identifier may not have a leading zero; keep it alphanumeric
		}
		v := fmt.Sprintf("%s-%s.%s.%s", base.String(), pre, stamp, id)
		if len(v) > MaxTag {
			v = fmt.Sprintf("%s-%s.%s.id-%s", base.String(), pre, stamp, strings.TrimPrefix(l.Digest(), "sha256:")[:12])
		}
		if len(v) > MaxTag {
			what := fmt.Sprintf("version.prerelease %q", pre)
			if rule.Prerelease == "" {
				what = fmt.Sprintf("the channel's name %q (the default prerelease)", channelName)
			}
			return Version{}, fmt.Errorf("%s makes versions of %d characters, longer than an OCI tag allows (%d): give the channel a shorter version.prerelease", what, len(v), MaxTag)
		}
		if _, err := semver.StrictNewVersion(v); err != nil {
			return Version{}, fmt.Errorf("version.prerelease: %q makes %q, which is not semver: %w", pre, v, err)
		}
		return Version{Version: v}, nil
	}
}

// bump is the channel's highest release plus one step, stepping on past
// every release the product already holds.
func bump(step string, known Known) (Version, error) {
	var inc func(semver.Version) semver.Version
	switch step {
	case "major":
		inc = semver.Version.IncMajor
	case "minor":
		inc = semver.Version.IncMinor
	case "patch":
		inc = semver.Version.IncPatch
	default:
		return Version{}, fmt.Errorf("version.bump: %q is not one of major, minor, patch", step)
	}
	// held: release (major.minor.patch, build metadata aside) -> the version
	// the product holds there, as it was published
	held := make(map[[3]uint64]string)
	for _, s := range known.Product {
		v, err := semver.StrictNewVersion(s)
		if err != nil || v.Prerelease() != "" {
			continue
		}
		k := [3]uint64{v.Major(), v.Minor(), v.Patch()}
		if _, ok := held[k]; !ok {
			held[k] = s
		}
	}
	var out Version
	next := inc(*highestRelease(known.Channel))
	for {
		s, taken := held[[3]uint64{next.Major(), next.Minor(), next.Patch()}]
		if !taken {
			break
		}
		out.PassedOver = append(out.PassedOver, s)
		next = inc(next)
	}
	out.Version = next.String()
	return out, nil
}

// highestRelease is the highest version without a prerelease, or 0.0.0.
func highestRelease(vs []string) *semver.Version {
	best := semver.New(0, 0, 0, "", "")
	for _, v := range SortedVersions(vs) {
		if v.Prerelease() == "" && v.GreaterThan(best) {
			best = v
		}
	}
	return best
}

// VersionTag is the OCI tag a version is published under: semver build
// metadata's "+" is not allowed in a tag, so it becomes "_" (as Helm does).
func VersionTag(version string) string { return strings.ReplaceAll(version, "+", "_") }

// PrereleaseName makes a channel name usable as semver prerelease
// identifiers: a character semver does not allow there ("_") becomes "-".
// A channel's default version rule is a prerelease of this name, and
// config's lint compares those.
func PrereleaseName(name string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-' || r == '.' {
			return r
		}
		return '-'
	}, name)
}
