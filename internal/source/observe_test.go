package source

import (
	"context"
	"reflect"
	"testing"

	"github.com/ladder-release/ladder/internal/channel"
)

// fixed is a Source answering from maps.
type fixed struct {
	branches map[string]string
	tags     []Tag
	commits  map[string]string
}

func (f fixed) Branch(_ context.Context, b string) (string, error) {
	if c, ok := f.branches[b]; ok {
		return c, nil
	}
	return "", ErrNotFound
}
func (f fixed) Tags(context.Context, string) ([]Tag, error) { return f.tags, nil }
func (f fixed) Commit(_ context.Context, ref string) (string, error) {
	if c, ok := f.commits[ref]; ok {
		return c, nil
	}
	return "", ErrNotFound
}

// TestObserve: each policy reads what it needs, a semver policy keeps only
// the highest matching tag (all of them when none matches), and a policy
// without a source is an error.
func TestObserve(t *testing.T) {
	t.Parallel()
	src := fixed{branches: map[string]string{"main": "c-main"},
		tags:    []Tag{{Name: "v1.0.0", Commit: "c1"}, {Name: "v1.2.0", Commit: "c12"}, {Name: "v2.0.0", Commit: "c2"}},
		commits: map[string]string{"v1.0.0": "c1"}}
	comp := func(p channel.Policy) channel.Component {
		return channel.Component{Name: "cli", TagPrefix: "v", Policy: p}
	}
	for _, c := range []struct {
		name    string
		p       channel.Policy
		want    channel.Observed
		wantErr bool
	}{
		{"branch", channel.Policy{Kind: channel.KindBranch, Branch: "main"}, channel.Observed{BranchCommit: "c-main"}, false},
		{"semver: the highest match", channel.Policy{Kind: channel.KindSemver, Semver: "^1"}, channel.Observed{Tags: []channel.Tag{{Name: "v1.2.0", Commit: "c12"}}}, false},
		{"semver: no match keeps every tag", channel.Policy{Kind: channel.KindSemver, Semver: "^3"},
			channel.Observed{Tags: []channel.Tag{{Name: "v1.0.0", Commit: "c1"}, {Name: "v1.2.0", Commit: "c12"}, {Name: "v2.0.0", Commit: "c2"}}}, false},
		{"pin", channel.Policy{Kind: channel.KindPin, Pin: "v1.0.0"}, channel.Observed{PinCommit: "c1"}, false},
		{"a branch the source lacks", channel.Policy{Kind: channel.KindBranch, Branch: "gone"}, channel.Observed{}, true},
		{"a label has no source", channel.Policy{Kind: channel.KindLabel}, channel.Observed{}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, err := Observe(context.Background(), src, comp(c.p))
			if (err != nil) != c.wantErr || !reflect.DeepEqual(got, c.want) {
				t.Errorf("Observe = %+v, %v; want %+v (error %v)", got, err, c.want, c.wantErr)
			}
		})
	}
}
