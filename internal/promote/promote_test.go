package promote

import (
	"strings"
	"testing"
	"time"

	"github.com/ladder-release/ladder/internal/lock"
)

var t0 = time.Date(2026, 11, 22, 1, 15, 0, 0, time.UTC)

func dg(c byte) string  { return "sha256:" + strings.Repeat(string(c), 64) }
func sha(c byte) string { return strings.Repeat(string(c), 40) }

var (
	b1 = Bundle{Version: "1.0.0", Digest: dg('1')}
	b2 = Bundle{Version: "1.1.0", Digest: dg('2')}
	b3 = Bundle{Version: "1.2.0", Digest: dg('3')}
	b4 = Bundle{Version: "1.3.0", Digest: dg('4')}
)

func mv(b Bundle, prev *Bundle, decision string, at time.Time) Move {
	m := Move{Version: b.Version, Digest: b.Digest, At: at, Decision: decision}
	if prev != nil {
		m.PreviousVersion, m.PreviousDigest = prev.Version, prev.Digest
	}
	return m
}

// lockOf is a candidate's lock: two GitHub components and a git one.
var lockOf = []lock.Entry{
	{Name: "cli", Repo: "acme/cli", Ref: "refs/heads/main", Version: "main", Commit: sha('c')},
	{Name: "toolkit", Repo: "acme/toolkit", Ref: "refs/heads/main", Version: "main", Commit: sha('d')},
	{Name: "os", Git: "https://git.example.com/os.git", Ref: "refs/heads/main", Version: "main", Commit: sha('e')},
}

func runs(pairs ...string) []CheckRun {
	var out []CheckRun
	for i := 0; i+2 < len(pairs)+1; i += 3 {
		out = append(out, CheckRun{Name: pairs[i], Status: pairs[i+1], Conclusion: pairs[i+2]})
	}
	return out
}

func both(ev Evidence) map[string]Evidence { return map[string]Evidence{"cli": ev, "toolkit": ev} }

// base is a label at 1.1.0 (promoted from 1.0.0), candidate 1.2.0 from the
// channel staging, gates checks [build], entered two hours ago.
func base() Input {
	return Input{
		Label: "testing", Mode: ModePromote, Actor: "octocat", Run: "https://github.com/acme/app/actions/runs/1", Now: t0,
		History:   []Move{mv(b1, nil, DecisionPromoted, t0.Add(-48*time.Hour)), mv(b2, &b1, DecisionPromoted, t0.Add(-24*time.Hour))},
		Candidate: &Bundle{Version: b3.Version, Digest: b3.Digest},
		From:      "channel staging",
		Gates:     Gates{Checks: []string{"build"}},
		Lock:      lockOf,
		Evidence:  both(Evidence{CheckRuns: runs("build", "completed", "success")}),
		Entered:   t0.Add(-2 * time.Hour),
	}
}

type want struct {
	outcome    Outcome
	refused    bool
	reason     []string // substrings
	move       string   // version appended to the stream, "" for none
	decision   string   // the move's decision
	forced     bool
	hold       bool // a hold is set
	release    bool
	quarantine bool
	target     string
	previous   string
}

func check(t *testing.T, d Decision, w want) {
	t.Helper()
	if d.Outcome != w.outcome {
		t.Errorf("outcome %q, want %q (reason: %s)", d.Outcome, w.outcome, d.Reason)
	}
	if d.Refused != w.refused {
		t.Errorf("refused %v, want %v", d.Refused, w.refused)
	}
	for _, s := range w.reason {
		if !strings.Contains(d.Reason, s) {
			t.Errorf("reason %q lacks %q", d.Reason, s)
		}
	}
	switch {
	case w.move == "" && d.Move != nil:
		t.Errorf("move to %s, want none", d.Move.Version)
	case w.move != "" && d.Move == nil:
		t.Errorf("no move, want one to %s", w.move)
	case d.Move != nil:
		if d.Move.Version != w.move || d.Move.Forced != w.forced || d.Move.Decision != w.decision {
			t.Errorf("move %+v, want version %s decision %s forced %v", *d.Move, w.move, w.decision, w.forced)
		}
		if d.Move.Actor != "octocat" || d.Move.Run == "" || !d.Move.At.Equal(t0) || d.Move.Reason == "" {
			t.Errorf("move lacks actor, run, time or reason: %+v", *d.Move)
		}
	}
	if (d.SetHold != nil) != w.hold {
		t.Errorf("hold set: %v, want %v", d.SetHold != nil, w.hold)
	}
	if d.ReleaseHold != w.release {
		t.Errorf("release %v, want %v", d.ReleaseHold, w.release)
	}
	if (d.Quarantine != nil) != w.quarantine {
		t.Errorf("quarantine: %v, want %v", d.Quarantine != nil, w.quarantine)
	}
	if w.target != "" && d.Target.Version != w.target {
		t.Errorf("target %s, want %s", d.Target.Version, w.target)
	}
	if w.previous != "" && d.Previous.Version != w.previous {
		t.Errorf("previous %s, want %s", d.Previous.Version, w.previous)
	}
	if d.Writes() != (d.Move != nil || d.SetHold != nil || d.ReleaseHold || d.Quarantine != nil) {
		t.Error("Writes disagrees with the writes")
	}
}

// decideCase is a case of Decide: base() edited, and the decision wanted.
type decideCase struct {
	name string
	edit func(*Input)
	want want
}

// runDecide runs each case in a parallel subtest: base(), then setup (the
// test's own, if any) and the case's edit, then Decide and check; more, if
// given, checks the decision further.
func runDecide(t *testing.T, cases []decideCase, setup func(*Input), more func(*testing.T, Input, Decision)) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			in := base()
			if setup != nil {
				setup(&in)
			}
			c.edit(&in)
			d := Decide(in)
			check(t, d, c.want)
			if more != nil {
				more(t, in, d)
			}
		})
	}
}

func TestPromoteDecide(t *testing.T) {
	t.Parallel()
	held := &Hold{Reason: "bad rollout of 1.1.0", Actor: "hubot", At: t0.Add(-time.Hour)}
	quarantined := map[string]Quarantine{b3.Digest: {Reason: "e2e failed", Label: "current", At: t0.Add(-time.Hour)}}
	cases := []decideCase{
		// SPEC: gates passed -> promoted
		{"promote when every gate passes", func(in *Input) {},
			want{outcome: Promoted, move: "1.2.0", decision: DecisionPromoted, target: "1.2.0", previous: "1.1.0", reason: []string{"checks build passed"}}},
		{"first promotion of a label", func(in *Input) { in.History = nil },
			want{outcome: Promoted, move: "1.2.0", decision: DecisionPromoted, target: "1.2.0"}},
		{"no gates at all", func(in *Input) { in.Gates = Gates{}; in.Lock = nil; in.Evidence = nil },
			want{outcome: Promoted, move: "1.2.0", decision: DecisionPromoted, reason: []string{"no gates"}}},
		{"the user's reason is kept", func(in *Input) { in.Reason = "weekly" },
			want{outcome: Promoted, move: "1.2.0", decision: DecisionPromoted, reason: []string{"weekly"}}},

		// SPEC: a check run or commit status that is missing or running is pending
		{"check missing is pending", func(in *Input) { in.Evidence = both(Evidence{}) },
			want{outcome: Pending, reason: []string{"checks pending", "cli build (missing"}, target: "1.2.0", previous: "1.1.0"}},
		{"check missing on one component is pending", func(in *Input) {
			in.Evidence = map[string]Evidence{"cli": {CheckRuns: runs("build", "completed", "success")}}
		}, want{outcome: Pending, reason: []string{"toolkit build"}}},
		{"check run queued is pending", func(in *Input) { in.Evidence = both(Evidence{CheckRuns: runs("build", "queued", "")}) },
			want{outcome: Pending, reason: []string{"check run queued"}}},
		{"check run in progress is pending", func(in *Input) { in.Evidence = both(Evidence{CheckRuns: runs("build", "in_progress", "")}) },
			want{outcome: Pending, reason: []string{"check run in_progress"}}},
		{"status pending is pending", func(in *Input) { in.Evidence = both(Evidence{Statuses: []Status{{"build", "pending"}}}) },
			want{outcome: Pending, reason: []string{"status pending"}}},
		{"action_required is pending, not a pass", func(in *Input) {
			in.Evidence = both(Evidence{CheckRuns: runs("build", "completed", "action_required")})
		}, want{outcome: Pending}},
		{"evidence of another name does not count", func(in *Input) {
			in.Evidence = both(Evidence{CheckRuns: runs("lint", "completed", "success")})
		}, want{outcome: Pending, reason: []string{"missing"}}},

		// SPEC: check runs and commit statuses both count
		{"status only, success", func(in *Input) { in.Evidence = both(Evidence{Statuses: []Status{{"build", "success"}}}) },
			want{outcome: Promoted, move: "1.2.0", decision: DecisionPromoted}},
		{"check run only, success", func(in *Input) {}, want{outcome: Promoted, move: "1.2.0", decision: DecisionPromoted}},
		{"both kinds, both pass", func(in *Input) {
			in.Evidence = both(Evidence{CheckRuns: runs("build", "completed", "success"), Statuses: []Status{{"build", "success"}}})
		}, want{outcome: Promoted, move: "1.2.0", decision: DecisionPromoted}},
		{"both kinds, the status fails", func(in *Input) {
			in.Evidence = both(Evidence{CheckRuns: runs("build", "completed", "success"), Statuses: []Status{{"build", "failure"}}})
		}, want{outcome: Failed, reason: []string{"status failure"}}},
		{"neutral passes", func(in *Input) { in.Evidence = both(Evidence{CheckRuns: runs("build", "completed", "neutral")}) },
			want{outcome: Promoted, move: "1.2.0", decision: DecisionPromoted}},
		{"skipped passes", func(in *Input) { in.Evidence = both(Evidence{CheckRuns: runs("build", "completed", "skipped")}) },
			want{outcome: Promoted, move: "1.2.0", decision: DecisionPromoted}},

		// SPEC: one that failed is failed
		{"failure fails", func(in *Input) { in.Evidence = both(Evidence{CheckRuns: runs("build", "completed", "failure")}) },
			want{outcome: Failed, reason: []string{"gate failed for 1.2.0", "cli build (check run failure)"}, target: "1.2.0"}},
		{"cancelled fails", func(in *Input) { in.Evidence = both(Evidence{CheckRuns: runs("build", "completed", "cancelled")}) },
			want{outcome: Failed, reason: []string{"cancelled"}}},
		{"timed out fails", func(in *Input) { in.Evidence = both(Evidence{CheckRuns: runs("build", "completed", "timed_out")}) },
			want{outcome: Failed, reason: []string{"timed_out"}}},
		{"status failure fails", func(in *Input) { in.Evidence = both(Evidence{Statuses: []Status{{"build", "failure"}}}) },
			want{outcome: Failed}},
		{"status error fails", func(in *Input) { in.Evidence = both(Evidence{Statuses: []Status{{"build", "error"}}}) },
			want{outcome: Failed, reason: []string{"status error"}}},
		{"an unknown conclusion fails closed", func(in *Input) {
			in.Evidence = both(Evidence{CheckRuns: runs("build", "completed", "mystery")})
		}, want{outcome: Failed, reason: []string{"fail closed"}}},
		{"a failure beats a pending check", func(in *Input) {
			in.Gates.Checks = []string{"build", "e2e"}
			in.Evidence = both(Evidence{CheckRuns: runs("build", "completed", "failure")})
		}, want{outcome: Failed}},
		{"a failure beats a pending soak", func(in *Input) {
			in.Gates.Soak = 24 * time.Hour
			in.Evidence = both(Evidence{CheckRuns: runs("build", "completed", "failure")})
		}, want{outcome: Failed}},

		// SPEC: with quarantine: true the candidate is quarantined
		{"failure with quarantine quarantines", func(in *Input) {
			in.Quarantine = true
			in.Evidence = both(Evidence{CheckRuns: runs("build", "completed", "failure")})
		}, want{outcome: Failed, quarantine: true, reason: []string{"quarantined"}}},
		{"pending with quarantine does not quarantine", func(in *Input) { in.Quarantine = true; in.Evidence = nil },
			want{outcome: Pending}},

		// checks: all
		{"all checks, none reported is pending", func(in *Input) { in.Gates = Gates{AllChecks: true}; in.Evidence = nil },
			want{outcome: Pending, reason: []string{"no check run or status reported yet"}}},
		{"all checks pass over runs and statuses", func(in *Input) {
			in.Gates = Gates{AllChecks: true}
			in.Evidence = both(Evidence{CheckRuns: runs("build", "completed", "success", "e2e", "completed", "neutral"), Statuses: []Status{{"ci/legacy", "success"}}})
		}, want{outcome: Promoted, move: "1.2.0", decision: DecisionPromoted, reason: []string{"all checks passed"}}},
		{"all checks, one status errors", func(in *Input) {
			in.Gates = Gates{AllChecks: true}
			in.Evidence = both(Evidence{CheckRuns: runs("build", "completed", "success"), Statuses: []Status{{"ci/legacy", "error"}}})
		}, want{outcome: Failed, reason: []string{"ci/legacy"}}},
		{"all checks, one running", func(in *Input) {
			in.Gates = Gates{AllChecks: true}
			in.Evidence = both(Evidence{CheckRuns: runs("build", "completed", "success", "e2e", "in_progress", "")})
		}, want{outcome: Pending}},

		// SPEC: gates.components narrows the set; a git: component does not block
		{"components narrows: a failure elsewhere does not count", func(in *Input) {
			in.Gates.Components = []string{"toolkit"}
			in.Evidence = map[string]Evidence{"cli": {CheckRuns: runs("build", "completed", "failure")}, "toolkit": {CheckRuns: runs("build", "completed", "success")}}
		}, want{outcome: Promoted, move: "1.2.0", decision: DecisionPromoted}},
		{"components names one the lock lacks: pending", func(in *Input) { in.Gates.Components = []string{"operator"} },
			want{outcome: Pending, reason: []string{"not in the candidate's lock"}}},
		{"a git component has no check source and does not block", func(in *Input) { in.Gates.Components = []string{"os"} },
			want{outcome: Promoted, move: "1.2.0", decision: DecisionPromoted}},

		// SPEC: soak counts from when the candidate entered the from stream
		{"soak not over is pending", func(in *Input) { in.Gates.Soak = 3 * time.Hour },
			want{outcome: Pending, reason: []string{"soaking: 1h0m0s of 3h0m0s left"}}},
		{"soak over promotes", func(in *Input) { in.Gates.Soak = 2 * time.Hour },
			want{outcome: Promoted, move: "1.2.0", decision: DecisionPromoted, reason: []string{"soaked 2h0m0s (2h0m0s required)"}}},
		{"soak with an unknown entry time is pending", func(in *Input) { in.Gates.Soak = time.Minute; in.Entered = time.Time{} },
			want{outcome: Pending, reason: []string{"unknown"}}},

		// SPEC: moving a label to where it already is is a noop
		{"already there is a noop", func(in *Input) { in.Candidate = &Bundle{Version: b2.Version, Digest: b2.Digest} },
			want{outcome: Noop, reason: []string{"already at 1.1.0"}, target: "1.1.0"}},
		{"no candidate is a noop", func(in *Input) { in.Candidate = nil },
			want{outcome: Noop, reason: []string{"no candidate in channel staging"}}},
		{"every candidate quarantined is a noop", func(in *Input) { in.Candidate = nil; in.Skipped = []Move{mv(b3, nil, "published", t0)} },
			want{outcome: Noop, reason: []string{"skipped quarantined 1.2.0"}}},

		// SPEC: a label only moves forward in semver unless mode: rollback
		{"named lower version is refused, naming both", func(in *Input) {
			in.Candidate, in.Named = &Bundle{Version: b1.Version, Digest: b1.Digest}, true
		}, want{outcome: Failed, refused: true, reason: []string{"from 1.1.0 down to 1.0.0", "only moves forward"}}},
		{"named lower version is refused even forced", func(in *Input) {
			in.Candidate, in.Named, in.Force = &Bundle{Version: b1.Version, Digest: b1.Digest}, true, true
		}, want{outcome: Failed, refused: true, reason: []string{"1.1.0", "1.0.0"}}},
		{"named equal precedence is refused", func(in *Input) {
			in.History = []Move{mv(Bundle{Version: "1.2.0+a", Digest: dg('a')}, nil, DecisionPromoted, t0)}
			in.Candidate, in.Named = &Bundle{Version: "1.2.0+b", Digest: dg('b')}, true
		}, want{outcome: Failed, refused: true, reason: []string{"not higher than"}}},
		{"a stream candidate below the label is a noop naming both", func(in *Input) {
			in.Candidate = &Bundle{Version: b1.Version, Digest: b1.Digest}
		}, want{outcome: Noop, reason: []string{"nothing newer in channel staging", "at 1.1.0", "1.0.0"}, target: "1.1.0"}},
		{"prerelease ordering", func(in *Input) {
			in.History = []Move{mv(Bundle{Version: "1.4.1-dev.20261122T011500.abc", Digest: dg('a')}, nil, DecisionPromoted, t0)}
			in.Candidate = &Bundle{Version: "1.4.1-dev.20261123T000000.def", Digest: dg('b')}
		}, want{outcome: Promoted, move: "1.4.1-dev.20261123T000000.def", decision: DecisionPromoted}},

		// SPEC: held label refuses promotions with the hold's reason
		{"held label refuses", func(in *Input) { in.Hold = held },
			want{outcome: Held, reason: []string{"held", "bad rollout of 1.1.0", "hubot", "mode: release"}, target: "1.1.0"}},
		{"held label refuses even forced", func(in *Input) { in.Hold, in.Force, in.Reason = held, true, "urgent" },
			want{outcome: Held}},

		// SPEC: quarantined refused everywhere until force; force recorded
		{"named quarantined candidate is refused", func(in *Input) { in.Quarantined, in.Named = quarantined, true },
			want{outcome: Failed, refused: true, reason: []string{"quarantined", "e2e failed", "force"}}},
		{"stream quarantined candidate is skipped", func(in *Input) { in.Quarantined = quarantined },
			want{outcome: Noop, reason: []string{"skipping 1.2.0", "quarantined"}}},
		{"forced quarantined candidate is promoted, forced", func(in *Input) {
			in.Quarantined, in.Named, in.Force, in.Reason = quarantined, true, true, "hotfix verified by hand"
		}, want{outcome: Promoted, move: "1.2.0", decision: DecisionPromoted, forced: true, reason: []string{"forced", "hotfix verified by hand", "quarantined"}}},
		{"force bypasses failing gates", func(in *Input) {
			in.Force, in.Reason = true, "known flake"
			in.Evidence = both(Evidence{CheckRuns: runs("build", "completed", "failure")})
		}, want{outcome: Promoted, move: "1.2.0", decision: DecisionPromoted, forced: true, reason: []string{"gates bypassed", "known flake"}}},

		// SPEC: rollback puts the label back on its previous value and holds it
		{"rollback to the previous value", func(in *Input) { in.Mode, in.Candidate, in.Reason = ModeRollback, nil, "crashes" },
			want{outcome: Held, move: "1.0.0", decision: DecisionRollback, hold: true, target: "1.0.0", previous: "1.1.0", reason: []string{"back from 1.1.0 to 1.0.0", "crashes"}}},
		{"rollback twice goes two steps back", func(in *Input) {
			in.Mode, in.Candidate = ModeRollback, nil
			in.History = []Move{mv(b1, nil, DecisionPromoted, t0), mv(b2, &b1, DecisionPromoted, t0), mv(b3, &b2, DecisionPromoted, t0), mv(b2, &b3, DecisionRollback, t0)}
		}, want{outcome: Held, move: "1.0.0", decision: DecisionRollback, hold: true}},
		{"rollback to a named version", func(in *Input) {
			in.Mode, in.Named = ModeRollback, true
			in.History = append(in.History, mv(b4, &b2, DecisionPromoted, t0))
			in.Candidate = &Bundle{Version: b1.Version, Digest: b1.Digest}
		}, want{outcome: Held, move: "1.0.0", decision: DecisionRollback, hold: true}},
		{"rollback to a named version the label never held is refused", func(in *Input) {
			in.Mode, in.Named, in.Reason = ModeRollback, true, "try it"
			in.Candidate = &Bundle{Version: "0.9.0", Digest: "sha256:" + strings.Repeat("9", 64)}
		}, want{outcome: Failed, refused: true, reason: []string{"never held it", "promote it"}}},
		{"rollback forward to a named higher version is refused", func(in *Input) {
			in.Mode, in.Named, in.Reason = ModeRollback, true, "skip the gates"
			in.Candidate = &Bundle{Version: "9.9.9", Digest: "sha256:" + strings.Repeat("8", 64)}
		}, want{outcome: Failed, refused: true, reason: []string{"forward from 1.1.0 to 9.9.9"}}},
		{"forced rollback forward is recorded as forced", func(in *Input) {
			in.Mode, in.Named, in.Force, in.Reason = ModeRollback, true, true, "emergency"
			in.Candidate = &Bundle{Version: "9.9.9", Digest: "sha256:" + strings.Repeat("8", 64)}
		}, want{outcome: Held, move: "9.9.9", decision: DecisionRollback, forced: true, hold: true}},
		{"rollback with no previous value is refused", func(in *Input) { in.Mode, in.Candidate = ModeRollback, nil; in.History = in.History[:1] },
			want{outcome: Failed, refused: true, reason: []string{"no previous value"}}},
		{"rollback of a label with no value is refused", func(in *Input) { in.Mode, in.Candidate = ModeRollback, nil; in.History = nil },
			want{outcome: Failed, refused: true}},
		{"rollback to a quarantined value is refused", func(in *Input) {
			in.Mode, in.Candidate = ModeRollback, nil
			in.Quarantined = map[string]Quarantine{b1.Digest: {Reason: "bad", At: t0}}
		}, want{outcome: Failed, refused: true, reason: []string{"quarantined"}}},
		{"forced rollback to a quarantined value", func(in *Input) {
			in.Mode, in.Candidate, in.Force = ModeRollback, nil, true
			in.Quarantined = map[string]Quarantine{b1.Digest: {Reason: "bad", At: t0}}
		}, want{outcome: Held, move: "1.0.0", decision: DecisionRollback, forced: true, hold: true}},
		{"rollback to where it is holds it", func(in *Input) {
			in.Mode, in.Named, in.Candidate = ModeRollback, true, &Bundle{Version: b2.Version, Digest: b2.Digest}
		}, want{outcome: Held, hold: true, reason: []string{"already at 1.1.0"}}},
		{"rollback while held replaces the hold", func(in *Input) { in.Mode, in.Candidate, in.Hold = ModeRollback, nil, held },
			want{outcome: Held, move: "1.0.0", decision: DecisionRollback, hold: true}},

		// SPEC: hold and release on their own
		{"hold", func(in *Input) { in.Mode, in.Reason = ModeHold, "freeze for the release" },
			want{outcome: Held, hold: true, target: "1.1.0", reason: []string{"freeze for the release"}}},
		{"hold when held writes nothing", func(in *Input) { in.Mode, in.Hold = ModeHold, held },
			want{outcome: Held, reason: []string{"already"}}},
		{"release", func(in *Input) { in.Mode, in.Hold = ModeRelease, held },
			want{outcome: Noop, release: true, reason: []string{"released", "bad rollout"}}},
		{"release when not held writes nothing", func(in *Input) { in.Mode = ModeRelease },
			want{outcome: Noop, reason: []string{"not held"}}},
	}
	runDecide(t, cases, nil, nil)
}

func TestPromoteEarlyNeedsNoEvidence(t *testing.T) {
	t.Parallel()
	in := base()
	if _, ok := Early(in); ok {
		t.Fatal("Early decided a gated promotion without evidence")
	}
	in.Hold = &Hold{At: t0}
	if d, ok := Early(in); !ok || d.Outcome != Held {
		t.Fatalf("Early on a held label: %v %+v", ok, d)
	}
}

func TestPromoteGateLines(t *testing.T) {
	t.Parallel()
	in := base()
	in.Gates.Checks = []string{"build", "e2e"}
	in.Evidence = map[string]Evidence{
		"cli":     {CheckRuns: runs("build", "completed", "success"), Statuses: []Status{{"e2e", "pending"}}},
		"toolkit": {CheckRuns: runs("build", "completed", "success", "e2e", "completed", "success")},
	}
	d := Decide(in)
	got := map[string]Result{}
	for _, l := range d.Gates {
		got[l.Component+"/"+l.Check] = l.Result
	}
	want := map[string]Result{"cli/build": GatePass, "cli/e2e": GatePending, "toolkit/build": GatePass, "toolkit/e2e": GatePass, "os/": GateNoSource}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q (lines %+v)", k, got[k], v, d.Gates)
		}
	}
	if len(got) != len(want) || d.Outcome != Pending || !d.ChecksPending {
		t.Errorf("outcome %s checks pending %v lines %+v", d.Outcome, d.ChecksPending, d.Gates)
	}
	// only the soak pending: polling cannot settle it sooner than Soak.Left
	in = base()
	in.Gates.Soak = 5 * time.Hour
	d = Decide(in)
	if d.Outcome != Pending || d.ChecksPending || d.Soak.Left != 3*time.Hour {
		t.Errorf("soak only: %s %v %s", d.Outcome, d.ChecksPending, d.Soak.Left)
	}
}

func TestPromoteParseMode(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]Mode{"": ModePromote, "promote": ModePromote, "rollback": ModeRollback, "hold": ModeHold, " release ": ModeRelease} {
		if got, err := ParseMode(in); err != nil || got != want {
			t.Errorf("ParseMode(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseMode("demote"); err == nil || !strings.Contains(err.Error(), "promote, rollback, hold or release") {
		t.Errorf("ParseMode(demote): %v", err)
	}
}

func TestPromotePick(t *testing.T) {
	t.Parallel()
	stream := []Move{mv(b1, nil, "published", t0), mv(b2, &b1, "published", t0.Add(time.Hour)), mv(b3, &b2, "published", t0.Add(2*time.Hour))}
	c, entered, skipped, ok := Pick(stream, nil, nil)
	if !ok || c.Version != "1.2.0" || !entered.Equal(t0.Add(2*time.Hour)) || len(skipped) != 0 {
		t.Errorf("head: %+v %s %v %v", c, entered, skipped, ok)
	}
	q := map[string]Quarantine{b3.Digest: {At: t0}}
	c, entered, skipped, ok = Pick(stream, q, nil)
	if !ok || c.Version != "1.1.0" || !entered.Equal(t0.Add(time.Hour)) || len(skipped) != 1 || skipped[0].Version != "1.2.0" {
		t.Errorf("quarantined head: %+v %s %v %v", c, entered, skipped, ok)
	}
	q[b1.Digest], q[b2.Digest] = Quarantine{At: t0}, Quarantine{At: t0}
	if _, _, skipped, ok = Pick(stream, q, nil); ok || len(skipped) != 3 {
		t.Errorf("all quarantined: %v %v", skipped, ok)
	}
	if _, _, _, ok = Pick(nil, nil, nil); ok {
		t.Error("empty stream gave a candidate")
	}
	// a value the from stream rolled back is not a candidate; soak counts from the first entry
	rolled := append(append([]Move{}, stream...), mv(b2, &b3, DecisionRollback, t0.Add(3*time.Hour)))
	c, entered, _, ok = Pick(rolled, map[string]Quarantine{b2.Digest: {At: t0}}, nil)
	if !ok || c.Version != "1.0.0" || !entered.Equal(t0) {
		t.Errorf("after a rollback in the from stream: %+v %s %v", c, entered, ok)
	}
}

func TestPromoteChain(t *testing.T) {
	t.Parallel()
	h := []Move{mv(b1, nil, "promoted", t0), mv(b3, &b1, "promoted", t0), mv(b2, &b3, DecisionRollback, t0)}
	c := Chain(h)
	if len(c) != 2 || c[0].Version != "1.0.0" || c[1].Version != "1.1.0" {
		t.Errorf("rollback to a value never held: %+v", c)
	}
	if p, ok := PreviousValue(h); !ok || p.Version != "1.0.0" {
		t.Errorf("previous value %+v %v", p, ok)
	}
}

func TestPromoteHistoryMermaid(t *testing.T) {
	t.Parallel()
	h := []Move{
		mv(b1, nil, DecisionPromoted, t0),
		mv(b2, &b1, DecisionPromoted, t0.Add(time.Hour)),
		{Version: b1.Version, Digest: b1.Digest, At: t0.Add(2 * time.Hour), Decision: DecisionRollback, PreviousVersion: b2.Version, Forced: true},
	}
	got := HistoryMermaid("current", h, 0)
	want := `flowchart LR
  m0["1.0.0<br/>2026-11-22 01:15"]
  m1["1.1.0<br/>2026-11-22 02:15"]
  m2["current = 1.0.0<br/>2026-11-22 03:15"]
  m0 -->|"promoted"| m1
  m1 -.->|"rollback, forced"| m2
  style m2 stroke-width:3px
`
	if got != want {
		t.Errorf("mermaid:\n%s\nwant:\n%s", got, want)
	}
	if got := HistoryMermaid("current", h, 2); !strings.Contains(got, `older["1 older moves"]`) || !strings.Contains(got, "older --> m0") {
		t.Errorf("limited:\n%s", got)
	}
	if got := HistoryMermaid("x\"y", nil, 0); !strings.Contains(got, "x#34;y: no value yet") {
		t.Errorf("empty:\n%s", got)
	}
	// ledger text (a decision) cannot add a statement to the diagram
	evil := append(h[:2:2], Move{Version: "1.2.0", At: t0, Decision: "promoted|\n  click m0 href \"https://evil.example\"\n  m0 -->|x"})
	if got := HistoryMermaid("current", evil, 0); strings.Contains(got, "\n  click") || strings.Count(got, "\n") != strings.Count(want, "\n") {
		t.Errorf("a decision's text became diagram statements:\n%s", got)
	}
	rows := HistoryRows(h, 2)
	if len(rows) != 2 || rows[0][2] != "1.0.0" || rows[0][1] != "1.1.0" || rows[0][3] != "rollback, forced" || rows[1][1] != "1.0.0" {
		t.Errorf("rows %v", rows)
	}
}

// TestPromoteDeletedIsNeverACandidate: a version retention deleted (its tag
// is gone) is refused named, a noop from a stream, refused as a rollback's
// target (the previous value or named), forced or not; Pick passes it over.
func TestPromoteDeletedIsNeverACandidate(t *testing.T) {
	t.Parallel()
	gone := map[string]Deletion{b3.Version: {Digest: b3.Digest, At: t0.Add(-time.Minute), Reason: "retention keep 2 of channel dev"}}
	goneB1 := map[string]Deletion{b1.Version: {Digest: b1.Digest, At: t0.Add(-time.Minute), Reason: "retention keep 2 of channel dev"}}
	cases := []decideCase{
		{"named deleted candidate is refused", func(in *Input) { in.Deleted, in.Named = gone, true },
			want{outcome: Failed, refused: true, reason: []string{"refusing to move label testing to 1.2.0", "retention deleted 1.2.0", "keep 2"}}},
		{"named deleted candidate is refused even forced", func(in *Input) { in.Deleted, in.Named, in.Force, in.Reason = gone, true, true, "please" },
			want{outcome: Failed, refused: true, reason: []string{"retention deleted 1.2.0"}}},
		{"a deleted stream candidate is a noop", func(in *Input) { in.Deleted = gone },
			want{outcome: Noop, target: "1.1.0", reason: []string{"candidate 1.2.0 from channel staging", "retention deleted 1.2.0", "next run"}}},
		{"rollback to a deleted previous value is refused", func(in *Input) { in.Mode, in.Candidate, in.Deleted = ModeRollback, nil, goneB1 },
			want{outcome: Failed, refused: true, reason: []string{"back from 1.1.0 to 1.0.0", "retention deleted 1.0.0"}}},
		{"forced rollback to a deleted previous value is refused", func(in *Input) {
			in.Mode, in.Candidate, in.Deleted, in.Force, in.Reason = ModeRollback, nil, goneB1, true, "please"
		}, want{outcome: Failed, refused: true, reason: []string{"retention deleted 1.0.0"}}},
		{"rollback to a named deleted value is refused", func(in *Input) {
			in.Mode, in.Named, in.Candidate, in.Deleted = ModeRollback, true, &Bundle{Version: b1.Version, Digest: b1.Digest}, goneB1
		}, want{outcome: Failed, refused: true, reason: []string{"retention deleted 1.0.0"}}},
	}
	runDecide(t, cases, nil, nil)
	stream := []Move{mv(b1, nil, "published", t0), mv(b2, &b1, "published", t0.Add(time.Hour)), mv(b3, &b2, "published", t0.Add(2*time.Hour))}
	// the head quarantined, the value before it deleted: the one before that
	c, _, skipped, ok := Pick(stream, map[string]Quarantine{b3.Digest: {At: t0}}, map[string]Deletion{b2.Version: {At: t0}})
	if !ok || c.Version != "1.0.0" || len(skipped) != 1 || skipped[0].Version != "1.2.0" {
		t.Errorf("Pick past a deleted value: %+v %v %v", c, skipped, ok)
	}
}

// TestPromoteRollbackOneStepPerRequest: a rollback to the previous value
// decided again on a fresher ledger (RollbackFrom: the value the request
// saw) goes back one step only; a rollback this workflow run recorded
// answers as done.
func TestPromoteRollbackOneStepPerRequest(t *testing.T) {
	t.Parallel()
	held := &Hold{Reason: "rolled back from 1.2.0 to 1.1.0: bad", Actor: "hubot", At: t0}
	from3 := &Bundle{Version: b3.Version, Digest: b3.Digest}
	// the label went 1.0.0, 1.1.0, 1.2.0; the request saw it at 1.2.0
	upTo3 := []Move{mv(b1, nil, DecisionPromoted, t0), mv(b2, &b1, DecisionPromoted, t0), mv(b3, &b2, DecisionPromoted, t0)}
	rolled := func(run string) []Move {
		m := mv(b2, &b3, DecisionRollback, t0)
		m.Actor, m.Run = "hubot", run
		return append(append([]Move{}, upTo3...), m)
	}
	cases := []decideCase{
		{"the first decision rolls back", func(in *Input) { in.History = upTo3 },
			want{outcome: Held, move: "1.1.0", decision: DecisionRollback, hold: true, previous: "1.2.0"}},
		{"decided again after another job's rollback from the same value: done", func(in *Input) {
			in.History, in.Hold = rolled("https://github.com/acme/app/actions/runs/2"), held
		}, want{outcome: Held, target: "1.1.0", previous: "1.2.0", reason: []string{"already rolled back from 1.2.0 to 1.1.0 by hubot", "runs/2", "nothing more to do"}}},
		{"done, and the hold since released: a noop", func(in *Input) {
			in.History = rolled("https://github.com/acme/app/actions/runs/2")
		}, want{outcome: Noop, target: "1.1.0", reason: []string{"already rolled back", "released"}}},
		{"decided again after a promotion: refused", func(in *Input) {
			in.History = append(append([]Move{}, upTo3...), mv(b4, &b3, DecisionPromoted, t0))
		}, want{outcome: Failed, refused: true, reason: []string{"read it at 1.2.0", "moved to 1.3.0", "roll back 1.3.0"}}},
		{"decided again after a rollback from another value: refused", func(in *Input) {
			in.History = append(append([]Move{}, upTo3...), mv(b4, &b3, DecisionPromoted, t0), mv(b3, &b4, DecisionRollback, t0))
			in.RollbackFrom = &Bundle{Version: b2.Version, Digest: b2.Digest}
		}, want{outcome: Failed, refused: true, reason: []string{"read it at 1.1.0", "moved to 1.2.0"}}},
		{"this workflow run's own rollback, on a rerun: done", func(in *Input) {
			in.History, in.Hold, in.RollbackFrom = rolled("https://github.com/acme/app/actions/runs/1"), held, nil
		}, want{outcome: Held, target: "1.1.0", previous: "1.2.0", reason: []string{"already rolled back from 1.2.0 to 1.1.0 by this workflow run"}}},
		{"another run's rollback, then a new request: a second step", func(in *Input) {
			in.History, in.Hold, in.RollbackFrom = rolled("https://github.com/acme/app/actions/runs/2"), held, &Bundle{Version: b2.Version, Digest: b2.Digest}
		}, want{outcome: Held, move: "1.0.0", decision: DecisionRollback, hold: true, previous: "1.1.0"}},
		{"a named rollback ignores RollbackFrom", func(in *Input) {
			in.History = append(append([]Move{}, upTo3...), mv(b4, &b3, DecisionPromoted, t0))
			in.Candidate, in.Named = &Bundle{Version: b2.Version, Digest: b2.Digest}, true
		}, want{outcome: Held, move: "1.1.0", decision: DecisionRollback, hold: true, previous: "1.3.0"}},
	}
	runDecide(t, cases, func(in *Input) {
		in.Mode, in.Candidate, in.Reason, in.RollbackFrom = ModeRollback, nil, "bad", from3
	}, nil)
}
