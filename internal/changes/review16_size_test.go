package changes

import (
	"strings"
	"testing"
)

// review16: a commit subject (the first line of a message) and an author
// name are whoever pushed them, of any length: git and GitHub's compare API
// put no bound on either. Build keeps them whole, so 20 commits with a
// 100 KB first line make a 2 MB "What changed" table and a 2 MB `changes`
// output. GitHub drops a step summary over 1 MiB entirely ("upload
// aborted"), taking the publish/promotion table with it, and refuses
// outputs past its limits: one contributor's commit hides what a release
// did. Each subject and author should be clipped (e.g. to a few hundred
// characters, marking the cut) before rendering.
func TestReview16HugeSubjectsAreClipped(t *testing.T) {
	t.Parallel()
	from := lk(entry("cli", "acme/cli", "1.0.0", 'a'))
	to := lk(entry("cli", "acme/cli", "1.1.0", 'b'))
	cs := commits(Shown)
	for i := range cs {
		cs[i].Subject = strings.Repeat("x", 100_000) + "\nbody"
		cs[i].Author = strings.Repeat("A", 10_000)
	}
	set := Build(from, to, map[string]Compare{"cli": {Status: "ahead", AheadBy: Shown, TotalCommits: Shown, Commits: cs,
		URL: "https://github.com/acme/cli/compare/" + sha('a') + "..." + sha('b')}})
	const budget = 64 << 10 // generous for 20 readable subject lines
	if n := len(set.Markdown(func(s string) string { return s })); n > budget {
		t.Errorf("the summary table is %d bytes for one component (budget %d): subjects and authors are not clipped", n, budget)
	}
	if n := len(set.JSON()); n > budget {
		t.Errorf("the changes output is %d bytes for one component (budget %d): subjects and authors are not clipped", n, budget)
	}
}
