// Package channel is pure: given a channel's policies and the refs each
// component's source offers, it decides the lock. It imports only the standard
// library, semver and the other domain packages; a test holds it to that.
package channel

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/ladder-release/ladder/internal/lock"
)

// Kind is the kind of a policy.
type Kind int

const (
	KindBranch Kind = iota + 1
	KindSemver
	KindPin
	KindLabel
)

func (k Kind) String() string {
	switch k {
	case KindBranch:
		return "branch"
	case KindSemver:
		return "semver"
	case KindPin:
		return "pin"
	case KindLabel:
		return "label"
	}
	return "unknown"
}

// Policy is how one component is resolved in one channel.
type Policy struct {
	Kind       Kind
	Branch     string
	Semver     string
	Prerelease bool
	Pin        string // a tag name (prefix included) or a full 40-hex SHA
}

// Component is one component with the policy that applies to it.
type Component struct {
	Name      string
	Repo      string
	Git       string
	TagPrefix string
	Policy    Policy
}

// Tag is a tag offered by a source, already peeled to its commit.
type Tag struct {
	Name   string
	Commit string
}

// Observed is what was gathered for one component, according to its policy:
// the branch head for KindBranch, the tag list for KindSemver, and the pinned
// commit for KindPin.
type Observed struct {
	BranchCommit string
	Tags         []Tag
	PinCommit    string
}

var fullSHA = regexp.MustCompile(`^[0-9a-f]{40}$`)

// IsFullSHA reports whether ref is a full 40-hex commit SHA.
func IsFullSHA(ref string) bool { return fullSHA.MatchString(ref) }

// Select resolves one component from what its source offered.
func Select(c Component, obs Observed) (lock.Entry, error) {
	e := lock.Entry{Name: c.Name, Repo: c.Repo, Git: c.Git}
	switch c.Policy.Kind {
	case KindBranch:
		if obs.BranchCommit == "" {
			return e, fmt.Errorf("component %s: branch %q: no commit", c.Name, c.Policy.Branch)
		}
		e.Ref = "refs/heads/" + c.Policy.Branch
		e.Version = c.Policy.Branch
		e.Commit = obs.BranchCommit
	case KindSemver:
		tag, v, err := HighestTag(c.TagPrefix, c.Policy.Semver, c.Policy.Prerelease, obs.Tags)
		if err != nil {
			return e, fmt.Errorf("component %s: %w", c.Name, err)
		}
		e.Ref = "refs/tags/" + tag.Name
		e.Version = v.String()
		e.Commit = tag.Commit
	case KindPin:
		if obs.PinCommit == "" {
			return e, fmt.Errorf("component %s: pin %q: no commit", c.Name, c.Policy.Pin)
		}
		e.Commit = obs.PinCommit
		if IsFullSHA(c.Policy.Pin) {
			e.Ref = c.Policy.Pin
			e.Version = lock.Short(c.Policy.Pin)
		} else {
			e.Ref = "refs/tags/" + c.Policy.Pin
			e.Version = TagVersion(c.TagPrefix, c.Policy.Pin)
		}
	default:
		return e, fmt.Errorf("component %s: policy %s cannot be resolved from a source", c.Name, c.Policy.Kind)
	}
	return e, nil
}

// TagVersion is the version a tag stands for: the prefix removed and, when the
// rest is semver, its normal form (no leading v); otherwise the rest as is.
func TagVersion(prefix, tag string) string {
	rest := strings.TrimPrefix(tag, prefix)
	if v, err := semver.StrictNewVersion(strings.TrimPrefix(rest, "v")); err == nil {
		return v.String()
	}
	return rest
}

// CheckEntry says whether a lock entry's ref and version agree, as Resolve
// writes them: a branch head's version is the branch name, a tag's is
// TagVersion of it (the tag carrying the component's tag prefix), a commit
// pin's ref is its commit and its version the short SHA. A lock is data one
// job hands the next; a version that does not follow from its ref (a
// from: rule publishes it) is refused, naming the field.
func CheckEntry(e lock.Entry, tagPrefix string) error {
	switch {
	case strings.HasPrefix(e.Ref, "refs/heads/"):
		if b := strings.TrimPrefix(e.Ref, "refs/heads/"); e.Version != b {
			return fmt.Errorf("version (%s): %q, but a branch head's version is its branch, %q", e.Name, e.Version, b)
		}
	case strings.HasPrefix(e.Ref, "refs/tags/"):
		tag := strings.TrimPrefix(e.Ref, "refs/tags/")
		if !strings.HasPrefix(tag, tagPrefix) {
			return fmt.Errorf("ref (%s): tag %q lacks the component's tag-prefix %q", e.Name, tag, tagPrefix)
		}
		if want := TagVersion(tagPrefix, tag); e.Version != want {
			return fmt.Errorf("version (%s): %q, but tag %s gives %q", e.Name, e.Version, tag, want)
		}
	case IsFullSHA(e.Ref):
		if e.Ref != e.Commit {
			return fmt.Errorf("ref (%s): commit pin %s, but commit %s", e.Name, e.Ref, e.Commit)
		}
		if want := lock.Short(e.Commit); e.Version != want {
			return fmt.Errorf("version (%s): %q, but a commit pin's version is its short SHA, %q", e.Name, e.Version, want)
		}
	default:
		return fmt.Errorf("ref (%s): %q: want refs/heads/NAME, refs/tags/NAME or a full commit SHA", e.Name, e.Ref)
	}
	return nil
}

// ErrNoMatchingTag is returned (wrapped) when no tag satisfies a constraint.
var ErrNoMatchingTag = errors.New("no tag matches")

// HighestTag picks the highest semver tag with the prefix that satisfies the
// constraint. Prereleases are excluded unless prerelease is true. Tags that are
// not semver after the prefix (and an optional v) are ignored. When two tags
// name the same version (v1.0.0 and 1.0.0), the one that sorts first by name wins,
// so the choice does not depend on the order the source listed them in.
func HighestTag(prefix, constraint string, prerelease bool, tags []Tag) (Tag, *semver.Version, error) {
	c, err := semver.NewConstraint(constraint)
	if err != nil {
		return Tag{}, nil, fmt.Errorf("semver constraint %q: %w", constraint, err)
	}
	var best Tag
	var bestV *semver.Version
	consider := func(t Tag, v *semver.Version) {
		if bestV == nil || v.GreaterThan(bestV) || (v.Equal(bestV) && t.Name < best.Name) {
			best, bestV = t, v
		}
	}
	// Plain releases (X.Y.Z, most tags) are read by a parse that allocates
	// nothing, and only the highest is parsed in full (a constraint such as
	// ">=1.0" takes it); when the constraint refuses it, the others are
	// sorted, highest first, and parsed in full until one is accepted. A
	// repository's thousands of tags cost one pass, not thousands of semver
	// parses. The others (prereleases, build metadata, names that are not
	// semver) are parsed in full.
	top, topV := -1, [3]uint64{} // the highest plain release (by name among equals)
	for i, t := range tags {
		if !strings.HasPrefix(t.Name, prefix) {
			continue
		}
		rest := strings.TrimPrefix(t.Name[len(prefix):], "v")
		if k, ok := parsePlain(rest); ok {
			if d := cmpPlain(k, topV); top < 0 || d > 0 || d == 0 && t.Name < tags[top].Name {
				top, topV = i, k
			}
			continue
		}
		v, err := semver.StrictNewVersion(rest)
		if err != nil {
			continue
		}
		if v.Prerelease() != "" && !prerelease {
			continue
		}
		if !satisfies(c, v, prerelease) {
			continue
		}
		consider(t, v)
	}
	accept := func(i int) bool {
		t := tags[i]
		v, err := semver.StrictNewVersion(strings.TrimPrefix(t.Name[len(prefix):], "v"))
		if err != nil || !satisfies(c, v, prerelease) {
			return false
		}
		consider(t, v)
		return true
	}
	if top >= 0 && !accept(top) {
		var plain []plainTag
		for i, t := range tags {
			if k, ok := parsePlain(strings.TrimPrefix(strings.TrimPrefix(t.Name, prefix), "v")); ok && i != top && strings.HasPrefix(t.Name, prefix) {
				plain = append(plain, plainTag{k, i})
			}
		}
		slices.SortFunc(plain, func(a, b plainTag) int {
			if d := cmpPlain(b.v, a.v); d != 0 {
				return d // highest first
			}
			return strings.Compare(tags[a.i].Name, tags[b.i].Name) // then by name
		})
		for _, p := range plain {
			if accept(p.i) {
				break
			}
		}
	}
	if bestV == nil {
		what := fmt.Sprintf("%q", constraint)
		if prefix != "" {
			what += fmt.Sprintf(" with prefix %q", prefix)
		}
		if !prerelease {
			what += " (prereleases excluded)"
		}
		return Tag{}, nil, fmt.Errorf("%w %s among %d tags", ErrNoMatchingTag, what, len(tags))
	}
	return best, bestV, nil
}

// plainTag is a tag whose name (after the prefix and an optional v) is a
// plain release, and its index among the tags.
type plainTag struct {
	v [3]uint64
	i int
}

// parsePlain reads "MAJOR.MINOR.PATCH" as semver.StrictNewVersion does
// (decimal numbers without leading zeros, each fitting in 64 bits), and
// nothing else: ok is false for anything else, valid semver or not.
func parsePlain(s string) (v [3]uint64, ok bool) {
	for part := 0; part < 3; part++ {
		if part > 0 {
			if s == "" || s[0] != '.' {
				return v, false
			}
			s = s[1:]
		}
		n := 0
		for n < len(s) && '0' <= s[n] && s[n] <= '9' {
			n++
		}
		if n == 0 || n > 1 && s[0] == '0' {
			return v, false
		}
		var x uint64
		for _, d := range s[:n] {
			if x > (math.MaxUint64-uint64(d-'0'))/10 {
				return v, false // overflow: not a version semver reads
			}
			x = x*10 + uint64(d-'0')
		}
		v[part], s = x, s[n:]
	}
	return v, s == ""
}

func cmpPlain(a, b [3]uint64) int {
	for i := range a {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

// satisfies checks a version against a constraint. Masterminds only lets a
// prerelease satisfy a constraint that itself names a prerelease; when the
// user asked for prereleases, a prerelease also matches when its release
// would (1.3.0-rc.1 matches ~1.3 and >=1.2).
func satisfies(c *semver.Constraints, v *semver.Version, prerelease bool) bool {
	if c.Check(v) {
		return true
	}
	if !prerelease || v.Prerelease() == "" {
		return false
	}
	base, err := v.SetPrerelease("")
	if err != nil {
		return false
	}
	return c.Check(&base)
}

// Resolve builds the lock of a channel: one entry per component, in order.
func Resolve(product, channelName string, comps []Component, observed map[string]Observed) (lock.Lock, error) {
	l := lock.Lock{Schema: lock.Schema, Product: product, Channel: channelName}
	var errs []error
	for _, c := range comps {
		e, err := Select(c, observed[c.Name])
		if err != nil {
			errs = append(errs, err)
			continue
		}
		l.Components = append(l.Components, e)
	}
	if len(errs) > 0 {
		return lock.Lock{}, errors.Join(errs...)
	}
	return l, nil
}

// CheckSameVersion enforces a same-version constraint: every named component
// must resolve to the same version. The error names each component and version.
func CheckSameVersion(l lock.Lock, names []string) error {
	type nv struct{ name, version string }
	var got []nv
	distinct := map[string]bool{}
	for _, n := range names {
		e, ok := l.Entry(n)
		if !ok {
			return fmt.Errorf("constraint same-version: component %q is not in the lock", n)
		}
		got = append(got, nv{n, e.Version})
		distinct[e.Version] = true
	}
	if len(distinct) <= 1 {
		return nil
	}
	parts := make([]string, len(got))
	for i, g := range got {
		parts[i] = fmt.Sprintf("%s=%s", g.name, g.version)
	}
	return fmt.Errorf("constraint same-version [%s] violated: %s", strings.Join(names, ", "), strings.Join(parts, ", "))
}

// SortedVersions parses every string that is a semver version, drops the rest,
// and returns them in ascending order.
func SortedVersions(vs []string) []*semver.Version {
	var out []*semver.Version
	for _, s := range vs {
		v, err := semver.StrictNewVersion(s)
		if err != nil {
			continue
		}
		out = append(out, v)
	}
	sort.Sort(semver.Collection(out))
	return out
}
