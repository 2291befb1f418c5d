package report

import (
	"slices"
	"testing"

	"github.com/ladder-release/ladder/internal/action"
	"github.com/ladder-release/ladder/internal/config"
	"github.com/ladder-release/ladder/internal/lock"
)

func TestResolve(t *testing.T) {
	ch := config.Channel{Name: "stable", Track: config.Policy{Semver: "6.x"}, Components: map[string]config.Policy{"installer": {Branch: "main"}}}
	resolve := func(res Resolution) func(*action.Summary) {
		return func(s *action.Summary) { Resolve(s, res) }
	}
	checkSummaries(t, []summaryCase{
		{name: "changed, a bump passed over", fill: resolve(Resolution{Channel: ch, Lock: testLock, Version: "1.3.0", Changed: true, PassedOver: []string{"1.2.1 (held by channel beta)"}}),
			want: []string{
				"## ladder resolve-channel: stable\n\n",
				"| version | lock digest | id | changed |\n| --- | --- | --- | --- |\n| 1.3.0 | " + testLock.Digest() + " | " + testLock.CompositeID() + " | true |\n\n",
				"The bump passed over 1.2.1 (held by channel beta): a version is unique per product.\n\n",
				"| component | source | policy | ref | version | commit |\n| --- | --- | --- | --- | --- | --- |\n",
				"| kernel | acme/kernel | semver 6.x | refs/tags/v6.1.0 | 6.1.0 | aaaaaaa |\n",
				"| installer | `https://git.example/installer.git` | branch main | refs/heads/main | main | bbbbbbb |\n\n",
			},
			not: []string{"dry run"}},
		{name: "a git remote's credentials stay out", fill: resolve(Resolution{Channel: ch, Lock: withGit(testLock, "https://x-access-token:ghs_Secret123@git.example/installer.git"), Version: "1.2.0"}),
			want: []string{"| installer | `https://git.example/installer.git` | branch main |"},
			not:  []string{"ghs_Secret123", "x-access-token"}},
		{name: "unchanged, dry run", fill: resolve(Resolution{Channel: ch, Lock: testLock, Version: "1.2.0", DryRun: true}),
			want: []string{"## ladder resolve-channel: stable (dry run)\n\n", "| 1.2.0 | ", " | false |"},
			not:  []string{"passed over"}},
	})
}

// withGit is l with its git: component's remote at url.
func withGit(l lock.Lock, url string) lock.Lock {
	l.Components = slices.Clone(l.Components)
	for i := range l.Components {
		if l.Components[i].Git != "" {
			l.Components[i].Git = url
		}
	}
	return l
}
