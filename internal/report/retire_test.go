package report

import (
	"testing"

	"github.com/ladder-release/ladder/internal/action"
	"github.com/ladder-release/ladder/internal/cascade"
	"github.com/ladder-release/ladder/internal/ledger/record"
	"github.com/ladder-release/ladder/internal/retire"
)

var retirement = record.Retirement{Version: "1.2.0", Digest: "sha256:final", At: retiredAt, Reason: "end of line"}

func retired(kind retire.Kind) retire.Decision {
	return retire.Decision{Kind: kind, Retirement: retirement}
}

func TestRetirementLine(t *testing.T) {
	for _, c := range []struct {
		name string
		v    Retirement
		want string
	}{
		{"retire", Retirement{Kind: "channel", Name: "beta", Decision: retired(retire.Retire)},
			"channel beta retired at 2024-05-01T10:00:00Z (end of line): it stays at 1.2.0 (sha256:final), tagged beta and beta-eol"},
		{"finish", Retirement{Kind: "label", Name: "prod", Decision: retired(retire.Finish)},
			"label prod was already retired at 2024-05-01T10:00:00Z (end of line); this run finished it: tags prod and prod-eol on 1.2.0"},
		{"undo, untagged does not count", Retirement{Kind: "channel", Name: "beta", Decision: retired(retire.Undo), Reason: "too early", Untagged: true},
			"the retirement of channel beta (at 2024-05-01T10:00:00Z, end of line) is undone (too early): build-bundle and promote-label work again; beta-eol stays on 1.2.0"},
		{"retire, untagged", Retirement{Kind: "channel", Name: "beta", Decision: retired(retire.Retire), Untagged: true},
			"channel beta retired at 2024-05-01T10:00:00Z (end of line): it stays at 1.2.0 (sha256:final); the tags beta and beta-eol are not written yet (rerun retire)"},
		{"finish, untagged", Retirement{Kind: "channel", Name: "beta", Decision: retired(retire.Finish), Untagged: true},
			"channel beta retired at 2024-05-01T10:00:00Z (end of line): it stays at 1.2.0 (sha256:final); the tags beta and beta-eol are not written yet (rerun retire)"},
		{"dry run", Retirement{Kind: "label", Name: "prod", Decision: retired(retire.Retire), DryRun: true},
			"dry run, nothing written: label prod retired at 2024-05-01T10:00:00Z (end of line): it stays at 1.2.0 (sha256:final), tagged prod and prod-eol"},
	} {
		if got := c.v.Line(); got != c.want {
			t.Errorf("%s: Line() =\n%q, want\n%q", c.name, got, c.want)
		}
	}
}

func TestRetire(t *testing.T) {
	told := retired(retire.Retire)
	told.Retirement.Actor, told.Retirement.Run = "octocat", "https://github.com/acme/os/actions/runs/1"
	plan := &cascade.DispatchPlan{Dispatches: []cascade.Dispatch{{Repo: "acme/iso", EventType: "ladder-eol"}, {Repo: "acme/docs", EventType: "ladder-eol"}}}
	retireFill := func(v Retirement) func(*action.Summary) {
		return func(s *action.Summary) { Retire(s, v) }
	}
	checkSummaries(t, []summaryCase{
		{name: "retire, end of life told", fill: retireFill(Retirement{Kind: "channel", Name: "beta", Decision: told, Plan: plan,
			Status: map[string]string{"acme/iso": "dispatched", "acme/docs": "not reached: 403"}}),
			want: []string{
				"## ladder retire: channel beta\n\n",
				"channel beta retired at 2024-05-01T10:00:00Z (end of line): it stays at 1.2.0 (sha256:final), tagged beta and beta-eol.\n\n",
				"| stream | final version | digest | retired at | by | run | reason |\n| --- | --- | --- | --- | --- | --- | --- |\n",
				"| channel beta | 1.2.0 | sha256:final | 2024-05-01T10:00:00Z | octocat | `https://github.com/acme/os/actions/runs/1` | end of line |\n\n",
				"### End of life told\n\n| target | event type | result |\n| --- | --- | --- |\n| acme/iso | ladder-eol | dispatched |\n| acme/docs | ladder-eol | not reached: 403 |\n\n",
			},
			not: []string{"(undo)", "dry run"}},
		{name: "undo, dry run, no dispatches", fill: retireFill(Retirement{Kind: "label", Name: "prod", Decision: retired(retire.Undo), Reason: "too early", DryRun: true,
			Plan: &cascade.DispatchPlan{}}),
			want: []string{
				"## ladder retire: label prod (undo) (dry run)\n\n",
				"dry run, nothing written: the retirement of label prod (at 2024-05-01T10:00:00Z, end of line) is undone (too early)",
				"| label prod | 1.2.0 | sha256:final | 2024-05-01T10:00:00Z | - | - | end of line |\n\n",
			},
			not: []string{"End of life told"}},
	})
}
