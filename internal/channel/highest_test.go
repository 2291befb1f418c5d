package channel

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/Masterminds/semver/v3"
)

// highestTagReference is HighestTag as it was before plain releases got
// their fast path: every tag parsed in full. The fast path must pick what
// it picks.
func highestTagReference(prefix, constraint string, prerelease bool, tags []Tag) (Tag, *semver.Version, error) {
	c, err := semver.NewConstraint(constraint)
	if err != nil {
		return Tag{}, nil, err
	}
	var best Tag
	var bestV *semver.Version
	for _, t := range tags {
		if !strings.HasPrefix(t.Name, prefix) {
			continue
		}
		rest := strings.TrimPrefix(strings.TrimPrefix(t.Name, prefix), "v")
		v, err := semver.StrictNewVersion(rest)
		if err != nil || v.Prerelease() != "" && !prerelease || !satisfies(c, v, prerelease) {
			continue
		}
		if bestV == nil || v.GreaterThan(bestV) || (v.Equal(bestV) && t.Name < best.Name) {
			best, bestV = t, v
		}
	}
	if bestV == nil {
		return Tag{}, nil, ErrNoMatchingTag
	}
	return best, bestV, nil
}

// randomTag draws tag names near the edges of what a plain release is:
// leading zeros, a missing part, prereleases, build metadata, huge numbers,
// prefixes, duplicates of one version (v1.0.0 and 1.0.0).
func randomTag(r *rand.Rand) string {
	num := func() string {
		switch r.IntN(12) {
		case 0:
			return "0" + fmt.Sprint(r.IntN(3))
		case 1:
			return "18446744073709551616" // 2^64
		case 2:
			return "18446744073709551615"
		case 3:
			return ""
		}
		return fmt.Sprint(r.IntN(4))
	}
	name := num() + "." + num() + "." + num()
	switch r.IntN(8) {
	case 0:
		name += "-rc." + fmt.Sprint(r.IntN(3))
	case 1:
		name += "+build." + fmt.Sprint(r.IntN(3))
	case 2:
		name = num() + "." + num()
	case 3:
		name += ".4"
	}
	return []string{"", "v", "op/", "op/v", "x"}[r.IntN(5)] + name
}

// TestHighestTagFastPathAgrees: on random sets of tags, constraints and
// prefixes, HighestTag picks the tag (and version) the full parse of every
// tag picks, or fails where it fails.
func TestHighestTagFastPathAgrees(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	constraints := []string{"*", ">=1.0.0", "<2", "~1.2", "^0.1", "1.x", ">=1.0.0-0", "!=3.3.3", "<0.0.0"}
	for n := 0; n < 20000; n++ {
		tags := make([]Tag, r.IntN(12))
		for i := range tags {
			tags[i] = Tag{Name: randomTag(r), Commit: sha('a')}
		}
		prefix := []string{"", "op/", "v"}[r.IntN(3)]
		cons := constraints[r.IntN(len(constraints))]
		pre := r.IntN(2) == 0
		got, gv, gerr := HighestTag(prefix, cons, pre, tags)
		want, wv, werr := highestTagReference(prefix, cons, pre, tags)
		if (gerr == nil) != (werr == nil) || got != want || gerr == nil && !gv.Equal(wv) {
			t.Fatalf("HighestTag(%q, %q, %v, %v) = %q %v %v, want %q %v %v", prefix, cons, pre, tags, got.Name, gv, gerr, want.Name, wv, werr)
		}
	}
}

func manyTags(n int) []Tag {
	tags := make([]Tag, n)
	for i := range tags {
		tags[i] = Tag{Name: fmt.Sprintf("v%d.%d.%d", i/400, i/20%20, i%20), Commit: sha('a')}
	}
	return tags
}

// BenchmarkHighestTag: one component of 2,000 tags (the resolve benchmark's
// 200 x 2,000 picks 200 of these).
func BenchmarkHighestTag(b *testing.B) {
	tags := manyTags(2000)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := HighestTag("", ">=1.0.0", false, tags); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHighestTagReference(b *testing.B) {
	tags := manyTags(2000)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := highestTagReference("", ">=1.0.0", false, tags); err != nil {
			b.Fatal(err)
		}
	}
}
