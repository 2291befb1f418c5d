package report

import (
	"testing"

	"github.com/ladder-release/ladder/internal/action"
	"github.com/ladder-release/ladder/internal/changes"
)

func TestBuild(t *testing.T) {
	set := changes.Unreadable(testLock, "gone")
	build := func(res Published, dryRun bool) func(*action.Summary) {
		return func(s *action.Summary) { Build(s, "stable", testLock, &res, dryRun) }
	}
	row := "| true | 1.3.0 | sha256:new | 1.2.0 | " + testLock.Digest() + " | " + testLock.CompositeID() + " |"
	checkSummaries(t, []summaryCase{
		{name: "published", fill: build(Published{Published: true, Version: "1.3.0", Digest: "sha256:new", Replaces: "1.2.0",
			Tags: []string{"stable", "1.3.0"}, Deleted: []string{"1.0.0"}, PassedOver: []string{"1.2.1 (held by channel beta)"},
			Changes: &set, Graph: "graph LR\n  a --> b"}, false),
			want: []string{
				"## ladder build-bundle: stable\n\n",
				"| published | version | digest | replaces | lock digest | id |\n| --- | --- | --- | --- | --- | --- |\n" + row + "\n\n",
				"The bump passed over 1.2.1 (held by channel beta): a version is unique per product.\n\n",
				"Tags: stable, 1.3.0\n\n",
				"Retention deleted: 1.0.0\n\n",
				"### What changed since 1.2.0\n\n",
				"```mermaid\ngraph LR\n  a --> b\n```\n\n",
			},
			not: []string{"Nothing published", "dry run"}},
		{name: "nothing published, dry run", fill: build(Published{Version: "1.3.0", Reason: "dry run: nothing pushed, claimed or tagged"}, true),
			want: []string{"## ladder build-bundle: stable (dry run)\n\n", "Nothing published: dry run: nothing pushed, claimed or tagged.\n\n", "| false | 1.3.0 |  |  | "},
			not:  []string{"passed over", "Tags:", "Retention", "What changed", "mermaid"}},
	})
}
