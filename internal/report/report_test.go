package report

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/ladder-release/ladder/internal/action"
	"github.com/ladder-release/ladder/internal/changes"
	"github.com/ladder-release/ladder/internal/config"
	"github.com/ladder-release/ladder/internal/lock"
)

// render is the markdown fill adds to an empty summary. The runner reads no
// environment: a summary is only built here, never written.
func render(t *testing.T, fill func(*action.Summary)) string {
	t.Helper()
	r := action.New(func(key string) string {
		t.Errorf("getenv(%q): a summary is built without the environment", key)
		return ""
	}, io.Discard)
	s := r.Summary()
	fill(s)
	return s.String()
}

// summaryCase is one summary rendered: want are in it in this order, not
// nowhere in it.
type summaryCase struct {
	name      string
	fill      func(*action.Summary)
	want, not []string
}

func checkSummaries(t *testing.T, cases []summaryCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			md := render(t, c.fill)
			rest := md
			for _, w := range c.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Errorf("summary lacks %q (after the parts before it):\n%s", w, md)
					continue
				}
				rest = rest[i+len(w):]
			}
			for _, n := range c.not {
				if strings.Contains(md, n) {
					t.Errorf("summary has %q:\n%s", n, md)
				}
			}
		})
	}
}

var (
	commitA  = strings.Repeat("a", 40)
	commitB  = strings.Repeat("b", 40)
	testLock = lock.Lock{Schema: 1, Product: "os", Channel: "stable", Components: []lock.Entry{
		{Name: "kernel", Repo: "acme/kernel", Ref: "refs/tags/v6.1.0", Version: "6.1.0", Commit: commitA},
		{Name: "installer", Git: "https://git.example/installer.git", Ref: "refs/heads/main", Version: "main", Commit: commitB},
	}}
	retiredAt = time.Date(2024, 5, 1, 12, 0, 0, 0, time.FixedZone("CEST", 2*3600))
)

func TestOrDash(t *testing.T) {
	for in, want := range map[string]string{"": "-", "x": "x", "-": "-"} {
		if got := orDash(in); got != want {
			t.Errorf("orDash(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDescribePolicy(t *testing.T) {
	for _, c := range []struct {
		name string
		p    config.Policy
		want string
	}{
		{"branch", config.Policy{Branch: "main"}, "branch main"},
		{"semver", config.Policy{Semver: ">=1.2 <2"}, "semver >=1.2 <2"},
		{"semver with prereleases", config.Policy{Semver: "~1.2", Prerelease: true}, "semver ~1.2 (prereleases)"},
		{"pin", config.Policy{Pin: "v1.2.3"}, "pin v1.2.3"},
		{"label", config.Policy{Label: "stable"}, "label stable"},
		{"branch wins over the rest", config.Policy{Branch: "main", Semver: "1.x", Label: "x"}, "branch main"},
		{"none", config.Policy{}, ""},
	} {
		if got := describePolicy(c.p); got != c.want {
			t.Errorf("%s: describePolicy = %q, want %q", c.name, got, c.want)
		}
	}
}

func TestWhatChanged(t *testing.T) {
	empty := changes.Set{}
	unknown := changes.Unreadable(testLock, "the registry said no")
	checkSummaries(t, []summaryCase{
		{name: "nil: no section", fill: func(s *action.Summary) { whatChanged(s, nil, "1.0.0") }, not: []string{"What changed"}},
		{name: "no components", fill: func(s *action.Summary) { whatChanged(s, &empty, "1.0.0") },
			want: []string{"### What changed since 1.0.0\n\n", "No components.\n\n"}},
		{name: "a table, cells escaped", fill: func(s *action.Summary) { whatChanged(s, &unknown, "1.0.0") },
			want: []string{"### What changed since 1.0.0", "| component | from | to | status |", "| kernel | - | 6.1.0 aaaaaaa | unknown |", "the changes are unknown: the registry said no"}},
	})
}
