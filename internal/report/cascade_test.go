package report

import (
	"testing"

	"github.com/ladder-release/ladder/internal/action"
	"github.com/ladder-release/ladder/internal/cascade"
)

func TestDescribeTrigger(t *testing.T) {
	b := &cascade.Bundle{Version: "1.3.0", Digest: "sha256:new"}
	for _, c := range []struct {
		name string
		t    cascade.Trigger
		want string
	}{
		{"channel published a bundle", cascade.Trigger{Event: cascade.EventChannel, Channel: "stable", Bundle: b, Repo: "acme/os"}, "Trigger: channel stable published 1.3.0 (sha256:new) in acme/os."},
		{"channel published", cascade.ChannelPublished("stable"), "Trigger: channel stable published."},
		{"label moved to a bundle", cascade.LabelMoved("prod", b), "Trigger: label prod moved to 1.3.0 (sha256:new)."},
		{"label moved", cascade.Trigger{Event: cascade.EventLabel, Label: "prod"}, "Trigger: label prod moved."},
		{"cascaded run", cascade.Trigger{Event: "repository_dispatch", EventType: "ladder-cascade", Branch: "staging", Cascade: &cascade.Envelope{}, Repo: "acme/os"},
			"Trigger: cascaded run (ladder-cascade) building staging in acme/os."},
		{"push", cascade.Trigger{Event: cascade.EventPush, Branch: "main", Repo: "acme/os"}, "Trigger: push to main in acme/os."},
		{"push of no branch", cascade.Trigger{Event: cascade.EventPush}, "Trigger: push."},
		{"another event on a branch", cascade.Trigger{Event: "workflow_dispatch", Branch: "main"}, "Trigger: workflow_dispatch on main."},
		{"another event", cascade.Trigger{Event: "workflow_dispatch"}, "Trigger: workflow_dispatch."},
	} {
		if got := describeTrigger(c.t); got != c.want {
			t.Errorf("%s: describeTrigger = %q, want %q", c.name, got, c.want)
		}
	}
}

func TestCascade(t *testing.T) {
	plan := &cascade.DispatchPlan{CorrelationID: "run-1-2", MaxDepth: 5,
		Trigger: cascade.Trigger{Event: cascade.EventPush, Branch: "production", Repo: "acme/os"},
		Chain:   []cascade.Hop{{Repo: "acme/os", Branch: "production", SHA: commitA}},
		Dispatches: []cascade.Dispatch{{Repo: "acme/os", Branch: "staging", EventType: "ladder-cascade"},
			{Repo: "acme/iso", EventType: "ladder-cascade"}},
	}
	checkSummaries(t, []summaryCase{
		{name: "dispatches", fill: func(s *action.Summary) { Cascade(s, plan, []string{"dispatched", "not reached: 404"}, 1, false) },
			want: []string{
				"## ladder cascade-branches\n\n",
				"Trigger: push to production in acme/os.\n\n",
				"| correlation id | runs in the chain | max-depth | dispatched |\n| --- | --- | --- | --- |\n| run-1-2 | 1 | 5 | 1 |\n\n",
				"| target | branch | event type | result |\n| --- | --- | --- | --- |\n",
				"| acme/os | staging | ladder-cascade | dispatched |\n",
				"| acme/iso | (default branch) | ladder-cascade | not reached: 404 |\n\n",
				"```mermaid\nflowchart LR\n",
				"| # | repository | branch | commit |\n| --- | --- | --- | --- |\n| 0 | acme/os | production | aaaaaaa |\n\n",
			},
			not: []string{"dry run", "Nothing to dispatch"}},
		{name: "nothing to dispatch, dry run", fill: func(s *action.Summary) {
			Cascade(s, &cascade.DispatchPlan{Trigger: cascade.Trigger{Event: cascade.EventPush}, Reason: "a tag push"}, nil, 0, true)
		},
			want: []string{"## ladder cascade-branches (dry run)\n\n", "Trigger: push.\n\n", "| correlation id |", "|  | 0 | 0 | 0 |\n\n", "Nothing to dispatch: a tag push.\n\n"},
			not:  []string{"| target |", "mermaid", "| # |"}},
	})
}
