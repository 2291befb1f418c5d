package promote

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/ladder-release/ladder/internal/lock"
	"github.com/ladder-release/ladder/internal/redact"
)

// Gates are a label's criteria (config `gates:`), as plain values.
type Gates struct {
	Checks     []string      // check run names or status contexts that must pass
	AllChecks  bool          // checks: all: every check run and status reported must pass
	Soak       time.Duration // how long the candidate must have been in the from stream
	Components []string      // when set, only these components' commits are checked
	Signed     *SignedGate   // when set, the candidate must carry a signature satisfying it
}

// NeedChecks reports whether the gates read check runs and statuses.
func (g Gates) NeedChecks() bool { return g.AllChecks || len(g.Checks) > 0 }

// CheckRun is one check run on a commit, as GitHub reports it (the latest
// run of each name: GitHub's filter=latest).
type CheckRun struct {
	Name       string
	Status     string // queued, in_progress, completed (also waiting, requested, pending)
	Conclusion string // with completed: success, neutral, skipped, failure, cancelled, timed_out, action_required, stale
}

// Status is one commit status, as GitHub reports it (the latest of each
// context: the combined status).
type Status struct {
	Context string
	State   string // success, pending, failure, error
}

// Evidence is what GitHub reports on one commit.
type Evidence struct {
	CheckRuns []CheckRun
	Statuses  []Status
}

// Result is the state of one gate: tri-state, plus "no check source" for a
// component that has none (a git: remote), which does not block.
type Result string

// Gate results.
const (
	GatePass     Result = "pass"
	GatePending  Result = "pending"
	GateFail     Result = "fail"
	GateNoSource Result = "no check source"
)

// GateResult is one line of gate evidence: one check on one component's commit.
type GateResult struct {
	Component string
	Source    string // owner/name or the git URL
	Commit    string
	Check     string // the check's name; "" for a component with no check source
	Result    Result
	Detail    string // what was seen: "check run completed/failure", "status pending", "missing"
}

// SoakResult is the soak gate.
type SoakResult struct {
	Required time.Duration
	Since    time.Time // when the candidate entered the from stream
	Elapsed  time.Duration
	Left     time.Duration
	Result   Result // GatePass when Required is 0
}

// runResult classifies a check run: success, neutral and skipped pass;
// failure, cancelled and timed_out fail; a run not completed, and
// action_required or stale (which wait for a person or a re-run), are
// pending; anything else is a failure (fail closed, and loudly: an unknown
// conclusion is never read as a pass).
func runResult(cr CheckRun) (Result, string) {
	if cr.Status != "completed" {
		st := cr.Status
		if st == "" {
			st = "unknown status"
		}
		return GatePending, "check run " + st
	}
	detail := "check run " + cr.Conclusion
	switch cr.Conclusion {
	case "success", "neutral", "skipped":
		return GatePass, detail
	case "action_required", "stale":
		return GatePending, detail
	case "failure", "cancelled", "timed_out":
		return GateFail, detail
	}
	return GateFail, fmt.Sprintf("check run concluded %q, which ladder does not know (fail closed)", cr.Conclusion)
}

// statusResult classifies a commit status: success passes, pending waits,
// failure and error fail, anything else fails.
func statusResult(st Status) (Result, string) {
	detail := "status " + st.State
	switch st.State {
	case "success":
		return GatePass, detail
	case "pending":
		return GatePending, detail
	case "failure", "error":
		return GateFail, detail
	}
	return GateFail, fmt.Sprintf("status %q, which ladder does not know (fail closed)", st.State)
}

// worst combines results: a failure beats pending, pending beats a pass.
func worst(a, b Result) Result {
	rank := map[Result]int{GateNoSource: 0, GatePass: 1, GatePending: 2, GateFail: 3}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

// named combines every check run and status called name on one commit:
// both kinds count, and the worst of them decides. None at all is pending.
func named(ev Evidence, name string) (Result, string) {
	res, details := Result(""), []string(nil)
	for _, cr := range ev.CheckRuns {
		if cr.Name == name {
			r, d := runResult(cr)
			res, details = worst(res, r), append(details, d)
		}
	}
	for _, st := range ev.Statuses {
		if st.Context == name {
			r, d := statusResult(st)
			res, details = worst(res, r), append(details, d)
		}
	}
	if res == "" {
		return GatePending, "missing: no check run or status of this name yet"
	}
	return res, strings.Join(details, "; ")
}

// EvaluateChecks reads the evidence against the check gates, for every
// component of the candidate's lock that the gates cover (all of them, or
// gates.Components). A repo: component is checked; a git: component has no
// check source: it is listed as such and does not block. A component the
// gates name but the lock lacks is pending (fail closed). It returns one line
// per component and check, and the overall result (GatePass when no check gate
// is configured).
func EvaluateChecks(g Gates, entries []lock.Entry, evidence map[string]Evidence) ([]GateResult, Result) {
	if !g.NeedChecks() {
		return nil, GatePass
	}
	gated, missing := Gated(g, entries)
	var lines []GateResult
	for _, n := range missing {
		lines = append(lines, GateResult{Component: n, Result: GatePending, Detail: "not in the candidate's lock"})
	}
	for _, e := range gated {
		if e.Repo == "" {
			lines = append(lines, GateResult{Component: e.Name, Source: gitSource(e.Git), Commit: e.Commit, Result: GateNoSource,
				Detail: "a git: component: no check runs or statuses to read; does not block"})
			continue
		}
		ev := evidence[e.Name]
		base := GateResult{Component: e.Name, Source: e.Repo, Commit: e.Commit}
		if g.AllChecks {
			names := map[string]bool{}
			for _, cr := range ev.CheckRuns {
				names[cr.Name] = true
			}
			for _, st := range ev.Statuses {
				names[st.Context] = true
			}
			if len(names) == 0 {
				l := base
				l.Check, l.Result, l.Detail = "(all)", GatePending, "missing: no check run or status reported yet"
				lines = append(lines, l)
				continue
			}
			sorted := make([]string, 0, len(names))
			for n := range names {
				sorted = append(sorted, n)
			}
			sort.Strings(sorted)
			for _, n := range sorted {
				l := base
				l.Check = n
				l.Result, l.Detail = named(ev, n)
				lines = append(lines, l)
			}
			continue
		}
		for _, n := range g.Checks {
			l := base
			l.Check = n
			l.Result, l.Detail = named(ev, n)
			lines = append(lines, l)
		}
	}
	overall := GatePass
	for _, l := range lines {
		overall = worst(overall, l.Result)
	}
	return lines, overall
}

// EvaluateSoak checks that the candidate has been in the from stream, since
// since, for the required time at now. A zero since with a soak required is
// pending (fail closed: the time is unknown).
func EvaluateSoak(required time.Duration, since, now time.Time) SoakResult {
	s := SoakResult{Required: required, Since: since, Result: GatePass}
	if required <= 0 {
		return s
	}
	if since.IsZero() {
		s.Result, s.Left = GatePending, required
		return s
	}
	s.Elapsed = now.Sub(since)
	if s.Elapsed < required {
		s.Result, s.Left = GatePending, required-s.Elapsed
	}
	return s
}

// describeFailures names the lines with result r, for a reason.
func describeLines(lines []GateResult, r Result, max int) string {
	var parts []string
	n := 0
	for _, l := range lines {
		if l.Result != r {
			continue
		}
		n++
		if len(parts) < max {
			what := l.Component
			if l.Check != "" {
				what += " " + l.Check
			}
			parts = append(parts, what+" ("+l.Detail+")")
		}
	}
	s := strings.Join(parts, ", ")
	if n > max {
		s += fmt.Sprintf(" and %d more", n-max)
	}
	return s
}

// Gated is the lock entries the gates look at: every entry, or those
// gates.components names (in that order); missing lists the named components
// the lock lacks. Both the reading of evidence and its judgement use it, so
// they cannot disagree about which commits count.
func Gated(g Gates, entries []lock.Entry) (gated []lock.Entry, missing []string) {
	if len(g.Components) == 0 {
		return entries, nil
	}
	byName := map[string]lock.Entry{}
	for _, e := range entries {
		byName[e.Name] = e
	}
	for _, n := range g.Components {
		e, ok := byName[n]
		if !ok {
			missing = append(missing, n)
			continue
		}
		gated = append(gated, e)
	}
	return gated, missing
}

// SignedGate is `gates.signed` as plain values: the policy the caller
// verified each signature against (issuer and identity, or a key).
type SignedGate struct {
	Issuer   string
	Identity string // a regular expression
	Key      string // the public key's path
}

// String names the policy in reasons.
func (g SignedGate) String() string {
	if g.Key != "" {
		return "the key " + g.Key
	}
	return fmt.Sprintf("issuer %s, identity %s", g.Issuer, g.Identity)
}

// Signature is one signature the caller found attached to the candidate,
// and its verdict against the gate's policy (the caller verifies: this
// package does no cryptography).
type Signature struct {
	Digest   string // the referrer's digest
	Identity string // who signed, when it satisfies the policy
	Mismatch string // why it does not satisfy the policy; "" when it does
}

// EvaluateSigned judges the signed gate: no gate passes; no signature is
// pending (the signing step may not have run yet); one signature that
// satisfies the policy passes; signatures that all fail it (invalid, another
// identity, another key) fail.
func EvaluateSigned(g *SignedGate, sigs []Signature) (GateResult, Result) {
	if g == nil {
		return GateResult{}, GatePass
	}
	l := GateResult{Component: "bundle", Check: "signed"}
	if len(sigs) == 0 {
		l.Result, l.Detail = GatePending, "missing: no signature attached yet (wanted "+g.String()+")"
		return l, l.Result
	}
	for _, s := range sigs {
		if s.Mismatch == "" {
			l.Result, l.Detail = GatePass, "signed by "+s.Identity
			return l, l.Result
		}
	}
	n := "1 signature"
	if len(sigs) > 1 {
		n = fmt.Sprintf("%d signatures", len(sigs))
	}
	l.Result, l.Detail = GateFail, fmt.Sprintf("%s, none by %s: %s", n, g.String(), sigs[0].Mismatch)
	return l, l.Result
}

// gitSource is a git remote as a gate's result shows it (the step summary):
// without the credentials its URL may hold.
func gitSource(remote string) string {
	u, _ := redact.URL(remote)
	return u
}
