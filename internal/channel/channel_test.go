package channel

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ladder-release/ladder/internal/lock"
)

// failed checks err against want, a part of the error a case expects ("" for
// none): it ends the test when they disagree, and says whether the case
// failed as it should (nothing more to check).
func failed(t *testing.T, err error, want string) bool {
	t.Helper()
	if want != "" {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("err = %v, want %q", err, want)
		}
		return true
	}
	if err != nil {
		t.Fatal(err)
	}
	return false
}

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
			if failed(t, err, c.wantErr) {
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
			if failed(t, err, c.wantError) {
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
			if failed(t, err, c.wantErr) {
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
