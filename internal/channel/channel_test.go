package channel

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/Masterminds/semver/v3"

	"github.com/ladder-release/ladder/internal/lock"
	"github.com/ladder-release/ladder/internal/testutil/errtest"
)

func sha(c byte) string { return strings.Repeat(string(c), 40) }

func tags(names ...string) []Tag {
	var out []Tag
	for i, n := range names {
		out = append(out, Tag{Name: n, Commit: sha("0123456789abcdef"[i%16])})
	}
	return out
}

func TestHighestTag(t *testing.T) {
	t.Parallel()
	all := tags("v0.1.0", "v0.2.0", "v0.10.0", "v1.0.0-rc.1", "v0.9.9", "latest", "operator/v1.2.3", "operator/v1.2.4-rc.1", "operator/v1.3.0", "1.0.0-beta", "v2.0.0", "v2.0.0-alpha")
	cases := []struct {
		name, prefix, constraint string
		pre                      bool
		want                     string
		wantErr                  string
	}{
		{"highest overall, numeric not lexical", "", ">=0.1.0", false, "v2.0.0", ""},
		{"range excludes 2.x", "", ">=0.1.0, <1.0.0", false, "v0.10.0", ""},
		{"prereleases excluded by default", "", "~1.0", false, "", "no tag matches \"~1.0\" (prereleases excluded)"},
		{"prereleases when asked", "", "~1.0", true, "v1.0.0-rc.1", ""},
		{"prefix", "operator/", "~1.2", false, "operator/v1.2.3", ""},
		{"prefix with prerelease", "operator/", "~1.2", true, "operator/v1.2.4-rc.1", ""},
		{"prefix excludes unprefixed", "operator/", ">=2.0.0", false, "", `with prefix "operator/"`},
		{"non-semver tags ignored", "", "<0.2.0", false, "v0.1.0", ""},
		{"bad constraint", "", ">=x.y", false, "", `semver constraint ">=x.y"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			tag, _, err := HighestTag(c.prefix, c.constraint, c.pre, all)
			if errtest.Failed(t, err, c.wantErr) {
				return
			}
			if tag.Name != c.want {
				t.Errorf("got %s, want %s", tag.Name, c.want)
			}
		})
	}
}

func TestHighestTagOrderIndependent(t *testing.T) {
	t.Parallel()
	a := []Tag{{"v1.0.0", sha('a')}, {"1.0.0", sha('b')}}
	b := []Tag{{"1.0.0", sha('b')}, {"v1.0.0", sha('a')}}
	ta, _, _ := HighestTag("", "*", false, a)
	tb, _, _ := HighestTag("", "*", false, b)
	if ta != tb {
		t.Errorf("choice depends on listing order: %v vs %v", ta, tb)
	}
}

func TestSelect(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		c         Component
		obs       Observed
		ref, ver  string
		commit    string
		wantError string
	}{
		{"branch head", Component{Name: "cli", Repo: "o/cli", Policy: Policy{Kind: KindBranch, Branch: "main"}}, Observed{BranchCommit: sha('a')}, "refs/heads/main", "main", sha('a'), ""},
		{"semver", Component{Name: "cli", Repo: "o/cli", Policy: Policy{Kind: KindSemver, Semver: ">=0.1"}}, Observed{Tags: tags("v0.1.0", "v0.3.0")}, "refs/tags/v0.3.0", "0.3.0", sha('1'), ""},
		{"pin tag with prefix", Component{Name: "op", Repo: "o/op", TagPrefix: "operator/", Policy: Policy{Kind: KindPin, Pin: "operator/v1.0.0"}}, Observed{PinCommit: sha('c')}, "refs/tags/operator/v1.0.0", "1.0.0", sha('c'), ""},
		{"pin sha", Component{Name: "os", Git: "file:///x", Policy: Policy{Kind: KindPin, Pin: sha('d')}}, Observed{PinCommit: sha('d')}, sha('d'), "ddddddd", sha('d'), ""},
		{"semver none", Component{Name: "cli", Repo: "o/cli", Policy: Policy{Kind: KindSemver, Semver: ">=5"}}, Observed{Tags: tags("v0.1.0")}, "", "", "", "component cli: no tag matches"},
		{"label needs the ledger", Component{Name: "cli", Policy: Policy{Kind: KindLabel}}, Observed{}, "", "", "", "policy label cannot be resolved from a source"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e, err := Select(c.c, c.obs)
			if errtest.Failed(t, err, c.wantError) {
				return
			}
			if e.Ref != c.ref || e.Version != c.ver || e.Commit != c.commit {
				t.Errorf("got ref=%s version=%s commit=%s", e.Ref, e.Version, e.Commit)
			}
		})
	}
}

func TestResolveCollectsEveryError(t *testing.T) {
	t.Parallel()
	comps := []Component{
		{Name: "a", Repo: "o/a", Policy: Policy{Kind: KindSemver, Semver: ">=9"}},
		{Name: "b", Repo: "o/b", Policy: Policy{Kind: KindBranch, Branch: "main"}},
		{Name: "c", Repo: "o/c", Policy: Policy{Kind: KindBranch, Branch: "dev"}},
	}
	_, err := Resolve("p", "dev", comps, map[string]Observed{"b": {BranchCommit: sha('b')}})
	if err == nil || !strings.Contains(err.Error(), "component a") || !strings.Contains(err.Error(), "component c") {
		t.Fatalf("err = %v, want both a and c named", err)
	}
	if !errors.Is(err, ErrNoMatchingTag) {
		t.Error("ErrNoMatchingTag not wrapped")
	}
	l, err := Resolve("p", "dev", comps[1:2], map[string]Observed{"b": {BranchCommit: sha('b')}})
	if err != nil || len(l.Components) != 1 || l.Product != "p" || l.Channel != "dev" || l.Schema != lock.Schema {
		t.Fatalf("Resolve = %+v, %v", l, err)
	}
}

func TestCheckSameVersion(t *testing.T) {
	t.Parallel()
	l := lock.Lock{Components: []lock.Entry{{Name: "operator", Version: "1.2.0"}, {Name: "os", Version: "1.2.0"}, {Name: "cli", Version: "0.3.0"}}}
	if err := CheckSameVersion(l, []string{"operator", "os"}); err != nil {
		t.Errorf("equal versions refused: %v", err)
	}
	err := CheckSameVersion(l, []string{"operator", "cli"})
	want := "constraint same-version [operator, cli] violated: operator=1.2.0, cli=0.3.0"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
}

func FuzzHighestTag(f *testing.F) {
	f.Add("v1.2.3", "", ">=1.0", true)
	f.Add("operator/v1.0.0-rc.1", "operator/", "~1.0", false)
	f.Fuzz(func(t *testing.T, name, prefix, constraint string, pre bool) {
		tag, v, err := HighestTag(prefix, constraint, pre, []Tag{{Name: name, Commit: sha('a')}})
		if err != nil {
			return
		}
		if tag.Name != name || v == nil {
			t.Fatalf("picked %q (%v) from a single tag %q", tag.Name, v, name)
		}
		if !pre && v.Prerelease() != "" {
			t.Fatalf("prerelease %s picked without prerelease: true", v)
		}
		if !strings.HasPrefix(name, prefix) {
			t.Fatalf("tag %q picked without prefix %q", name, prefix)
		}
	})
}

// TestCheckEntry: a lock entry's version follows from its ref, as Resolve
// writes it (a lock is data one job hands the next; a from: rule publishes
// the version).
func TestCheckEntry(t *testing.T) {
	t.Parallel()
	sha := strings.Repeat("ab", 20)
	cases := []struct {
		name   string
		e      lock.Entry
		prefix string
		err    string
	}{
		{"a branch head", lock.Entry{Name: "c", Ref: "refs/heads/main", Version: "main", Commit: sha}, "", ""},
		{"a branch head with another version", lock.Entry{Name: "c", Ref: "refs/heads/main", Version: "9.9.9", Commit: sha}, "", `version (c): "9.9.9", but a branch head's version is its branch`},
		{"a tag", lock.Entry{Name: "c", Ref: "refs/tags/v1.2.3", Version: "1.2.3", Commit: sha}, "", ""},
		{"a prefixed tag", lock.Entry{Name: "op", Ref: "refs/tags/operator/v1.2.3", Version: "1.2.3", Commit: sha}, "operator/", ""},
		{"a tag with a forged version", lock.Entry{Name: "op", Ref: "refs/tags/operator/v1.2.3", Version: "9.9.9", Commit: sha}, "operator/", `but tag operator/v1.2.3 gives "1.2.3"`},
		{"a tag without the prefix", lock.Entry{Name: "op", Ref: "refs/tags/v1.2.3", Version: "1.2.3", Commit: sha}, "operator/", "lacks the component's tag-prefix"},
		{"a commit pin", lock.Entry{Name: "c", Ref: sha, Version: lock.Short(sha), Commit: sha}, "", ""},
		{"a commit pin of another commit", lock.Entry{Name: "c", Ref: strings.Repeat("cd", 20), Version: "cdcdcdc", Commit: sha}, "", "commit pin"},
		{"another kind of ref", lock.Entry{Name: "c", Ref: "refs/pull/1/head", Version: "x", Commit: sha}, "", "want refs/heads/NAME"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			err := CheckEntry(c.e, c.prefix)
			if c.err == "" && err != nil || c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)) {
				t.Errorf("CheckEntry = %v, want %q", err, c.err)
			}
		})
	}
}

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
