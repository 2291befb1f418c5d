package report

import (
	"testing"
	"time"

	"github.com/ladder-release/ladder/internal/action"
	"github.com/ladder-release/ladder/internal/changes"
	"github.com/ladder-release/ladder/internal/promote"
)

func TestPromote(t *testing.T) {
	promoted := promote.Decision{Outcome: promote.Promoted, Reason: "all gates pass",
		Target: promote.Bundle{Version: "1.3.0", Digest: "sha256:new"}, Previous: promote.Bundle{Version: "1.2.0", Digest: "sha256:old"},
		Gates: []promote.GateResult{
			{Component: "kernel", Source: "acme/kernel", Commit: commitA, Check: "ci", Result: promote.GatePass, Detail: "check run completed/success"},
			{Component: "installer", Check: "ci", Result: promote.GateNoSource, Detail: "no check source"},
		},
		Signed: &promote.GateResult{Result: promote.GatePass, Detail: "signed by the release key"},
		Soak:   promote.SoakResult{Required: time.Hour, Since: retiredAt, Elapsed: 90*time.Minute + 400*time.Millisecond, Result: promote.GatePass},
	}
	history := []promote.Move{{Version: "1.2.0", Digest: "sha256:old", At: retiredAt, Decision: "promoted", Reason: "first"},
		{Version: "1.3.0", Digest: "sha256:new", At: retiredAt.Add(time.Hour), Decision: "promoted", PreviousVersion: "1.2.0", Reason: "all gates pass"}}
	empty := changes.Set{}
	promoteFill := func(p Promotion) func(*action.Summary) {
		return func(s *action.Summary) { Promote(s, p) }
	}
	checkSummaries(t, []summaryCase{
		{name: "promoted, gates, signed, skipped", fill: promoteFill(Promotion{Label: "stable", Mode: promote.ModePromote, Decision: promoted, From: "channel beta",
			Skipped: []promote.Move{{Version: "1.2.5"}, {Version: "1.2.6"}}, History: history, Changes: &empty, Signature: "sha256:sig", Signer: "the release key"}),
			want: []string{
				"## ladder promote-label: stable\n\n",
				"Decision: promoted. all gates pass\n\n",
				"| label | decision | version | digest | previous version | from | forced |\n| --- | --- | --- | --- | --- | --- | --- |\n| stable | promoted | 1.3.0 | sha256:new | 1.2.0 | channel beta | false |\n\n",
				"Signed by the release key: signature sha256:sig, attached to sha256:new.\n\n",
				"Skipped (quarantined): 1.2.5, 1.2.6\n\n",
				"### Gates\n\n| component | source | commit | check | result | evidence |\n| --- | --- | --- | --- | --- | --- |\n",
				"| kernel | acme/kernel | aaaaaaa | ci | pass | check run completed/success |\n",
				"| installer | - | - | - | no check source | no check source |\n",
				"| - | - | - | signed | pass | signed by the release key |\n",
				"| - | - | - | soak | pass | in since 2024-05-01T10:00:00Z, 1h30m0s of 1h0m0s |\n\n",
				"### What changed since 1.2.0\n\nNo components.\n\n",
				"### History of stable\n\n```mermaid\n",
				"| when | from | to | decision | actor | reason |\n",
			},
			not: []string{"(promote)", "dry run", "Gates bypassed"}},
		{name: "forced rollback, dry run, no previous value, no gates", fill: promoteFill(Promotion{Label: "stable", Mode: promote.ModeRollback, DryRun: true,
			Decision: promote.Decision{Outcome: promote.Promoted, Reason: "forced", Forced: true, Target: promote.Bundle{Version: "1.1.0", Digest: "sha256:back"}}}),
			want: []string{
				"## ladder promote-label: stable (rollback) (dry run)\n\n",
				"Decision: promoted. Dry run, nothing written: forced\n\n",
				"| stable | promoted | 1.1.0 | sha256:back | - | - | true |\n\n",
				"Gates bypassed (force).\n\n",
				"### History of stable\n\n",
			},
			not: []string{"Signed by", "Skipped", "### Gates", "What changed", "| when |"}},
		{name: "soak only, not started", fill: promoteFill(Promotion{Label: "stable", Mode: promote.ModePromote,
			Decision: promote.Decision{Outcome: promote.Pending, Reason: "soaking", Soak: promote.SoakResult{Required: 2 * time.Hour, Result: promote.GatePending}}}),
			want: []string{"### Gates", "| - | - | - | soak | pending | 2h0m0s required |"}},
	})
}
