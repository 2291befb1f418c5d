// Package promote decides what promote-label does (SPEC section 4): from the
// label's history, its hold, the quarantines, the candidate bundle, its lock
// and the gate evidence read for it, it returns a decision (promoted, noop,
// pending, failed or held) and the ledger writes that carry it out. Pure: it
// imports only the standard library, semver and the other domain packages;
// the caller gathers the values and applies the decision.
//
// The rules, in the order Decide applies them (mode promote):
//
//  1. A held label does not move: held (exit 0), with the hold's reason.
//     force does not lift a hold; mode release does.
//  2. No candidate: noop.
//  3. The candidate is where the label already is: noop, nothing written.
//  4. A quarantined candidate is refused until force: when it was named
//     (a version or digest), failed; when it came from the from stream,
//     Pick has already passed it over (noop, it is skipped).
//  5. A label only moves forward in semver: a candidate not higher than the
//     label's value is refused naming both versions (failed when named; noop
//     when it came from the from stream, so a schedule stays green).
//     force does not bypass this; mode rollback does.
//  6. force bypasses the gates: promoted, recorded as forced with the actor
//     and the reason.
//  7. Gates, tri-state and fail closed: a failed check (or, in the gates'
//     order of severity, anything failed) is failed, and with quarantine the
//     candidate is quarantined; a missing or running check, or a soak not
//     yet over, is pending (nothing written); otherwise promoted.
//
// A version retention deleted (its version tag is gone) is never a
// candidate, forced or not: named, it is refused (failed); taken from the
// from stream, the run is a noop (the stream has moved on since: retention
// deletes only what nothing points at, and the next run takes its newest
// value, gated); as the value a rollback returns to, the rollback is refused
// (rolling back further than asked is not what was asked).
//
// Mode rollback puts the label back on its previous value (or on the named
// candidate) and holds it; mode hold and mode release set and lift the hold
// and move nothing. One request rolls back one step, however often it is
// decided (see rollback): a decision made again on a fresher ledger rolls
// back only from the value the request saw (RollbackFrom), and a rollback
// this workflow run already recorded is answered as done.
//
// What is written: moves (promoted, rollback), holds, releases and
// quarantines. A pending or failed decision is not a stream entry (the
// stream is the history of where the label was); a failure with quarantine
// is recorded as the quarantine.
//
// Around Decide: Choose picks the candidate on a ledger read (its rules are
// on Choose), StateOf reads the label's state, Fill puts both into the
// Input, and a Recorder carries the decision out inside the ledger's
// compare-and-swap (Record, deciding again on the fresh document, is all
// the closure calls).
package promote

import (
	"fmt"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"

	"github.com/ladder-release/ladder/internal/lock"
)

// Mode is what promote-label is asked to do.
type Mode string

// Modes.
const (
	ModePromote  Mode = "promote"
	ModeRollback Mode = "rollback"
	ModeHold     Mode = "hold"
	ModeRelease  Mode = "release"
)

// ParseMode reads the `mode` input; empty is promote.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(strings.TrimSpace(s)); m {
	case "":
		return ModePromote, nil
	case ModePromote, ModeRollback, ModeHold, ModeRelease:
		return m, nil
	}
	return "", fmt.Errorf("%q is not a mode (want promote, rollback, hold or release)", s)
}

// Outcome is the decision's kind: the `decision` output.
type Outcome string

// Outcomes.
const (
	Promoted Outcome = "promoted"
	Noop     Outcome = "noop"
	Pending  Outcome = "pending"
	Failed   Outcome = "failed"
	Held     Outcome = "held"
	// Retired: the label is retired, or (mode promote) the stream its
	// candidates come from is (ladder retire); nothing is written.
	Retired Outcome = "retired"
)

// Entry decisions written to the label's stream.
const (
	DecisionPromoted = "promoted"
	DecisionRollback = "rollback"
)

// Bundle is a published bundle.
type Bundle struct {
	Version string
	Digest  string
	Created time.Time
}

// Move is one entry of a stream: from At, the stream held Version.
type Move struct {
	Version         string
	Digest          string
	At              time.Time
	Actor           string
	Run             string
	Reason          string
	Decision        string // published, promoted, rollback
	Forced          bool
	PreviousVersion string
	PreviousDigest  string
}

// Hold stops promotions of a label.
type Hold struct {
	Reason string
	Actor  string
	At     time.Time
}

// Deletion is retention's record that a version's tag was deleted.
type Deletion struct {
	Digest string
	At     time.Time
	Reason string
}

// Quarantine refuses a bundle everywhere until force.
type Quarantine struct {
	Reason string
	Label  string
	Actor  string
	At     time.Time
}

// Input is everything a decision depends on, as plain values.
type Input struct {
	Label  string
	Mode   Mode
	Force  bool
	Reason string // the user's reason (input `reason`)
	Actor  string
	Run    string
	Now    time.Time

	History     []Move                // the label's stream, oldest first
	Hold        *Hold                 // the hold on the label, nil if none
	Quarantined map[string]Quarantine // digest -> quarantine in force
	Deleted     map[string]Deletion   // version -> retention's deletion of its tag

	// Candidate is the bundle to move to: picked from the from stream
	// (see Pick) or named. In mode rollback, nil means the previous value.
	Candidate *Bundle
	// Named: the candidate was given as a version or digest, so a refusal is
	// an error (failed); a candidate picked from a stream that cannot move
	// the label is a noop, and a schedule stays green.
	Named bool
	From  string // where the candidate came from, for reasons: "channel staging"
	// Skipped are the quarantined bundles Pick passed over (for reasons).
	Skipped []Move
	// RollbackFrom, in mode rollback to the previous value: the label's
	// value when the request was first decided (the caller's first read of
	// the ledger). Decided again on a fresher ledger (inside the
	// compare-and-swap), the rollback goes back from that value only: when
	// the label has left it, a rollback from it already recorded answers as
	// done, and anything else is refused. nil: the label's current value.
	RollbackFrom *Bundle

	Gates      Gates
	Quarantine bool                // config quarantine: a failed gate quarantines the candidate
	Lock       []lock.Entry        // the candidate's lock (read when the gates check commits)
	Evidence   map[string]Evidence // component name -> what GitHub reports on its commit
	Entered    time.Time           // when the candidate entered the from stream (soak counts from here)
	Signatures []Signature         // with Gates.Signed: the signatures found on the candidate, verified by the caller
}

// Decision is what promote-label does, and why.
type Decision struct {
	Outcome Outcome
	Reason  string
	// Refused: the request cannot be carried out as asked (exit 1 with
	// Outcome failed): a named candidate below the label, or quarantined,
	// or nothing to roll back to.
	Refused bool

	Target   Bundle // promoted: the new value; pending, failed: the candidate; noop, held: the label's value
	Previous Bundle // the label's value before this run ("" when it had none)

	// The writes that carry the decision out (none for noop, pending, and
	// failed without quarantine).
	Move        *Move       // append to the label's stream
	SetHold     *Hold       // hold the label
	ReleaseHold bool        // lift the label's hold
	Quarantine  *Quarantine // quarantine Target

	Gates  []GateResult // the check evidence, per component and check (empty when not read)
	Signed *GateResult  // the signed gate, when the label has one
	Soak   SoakResult
	// ChecksPending: a check is missing or running (polling may settle it);
	// with only the soak pending, Soak.Left says how long is left.
	ChecksPending bool
	Forced        bool
}

// Writes reports whether the decision changes the ledger.
func (d Decision) Writes() bool {
	return d.Move != nil || d.SetHold != nil || d.ReleaseHold || d.Quarantine != nil
}

// head is the label's current value.
func (in Input) head() (Move, bool) {
	if len(in.History) == 0 {
		return Move{}, false
	}
	return in.History[len(in.History)-1], true
}

func (in Input) quarantine(digest string) (Quarantine, bool) {
	q, ok := in.Quarantined[digest]
	return q, ok
}

// deleted reports whether retention deleted b's version tag.
func (in Input) deleted(b Bundle) (Deletion, bool) {
	del, ok := in.Deleted[b.Version]
	return del, ok
}

func bundleOf(m Move) Bundle { return Bundle{Version: m.Version, Digest: m.Digest} }

func describeHold(label string, h Hold) string {
	s := fmt.Sprintf("label %s is held since %s", label, h.At.UTC().Format(time.RFC3339))
	if h.Actor != "" {
		s += " by " + h.Actor
	}
	if h.Reason != "" {
		s += ": " + h.Reason
	}
	return s
}

func describeDeletion(b Bundle, del Deletion) string {
	s := fmt.Sprintf("retention deleted %s (%s) at %s", b.Version, b.Digest, del.At.UTC().Format(time.RFC3339))
	if del.Reason != "" {
		s += " (" + del.Reason + ")"
	}
	return s + "; its version tag is gone"
}

func describeQuarantine(b Bundle, q Quarantine) string {
	s := fmt.Sprintf("%s (%s) is quarantined since %s", b.Version, b.Digest, q.At.UTC().Format(time.RFC3339))
	if q.Label != "" {
		s += " by a failed gate of label " + q.Label
	}
	if q.Reason != "" {
		s += ": " + q.Reason
	}
	return s
}

// Compare orders two bundle versions by semver precedence.
func Compare(a, b string) (int, error) {
	va, err := semver.NewVersion(a)
	if err != nil {
		return 0, fmt.Errorf("version %q is not semver: %w", a, err)
	}
	vb, err := semver.NewVersion(b)
	if err != nil {
		return 0, fmt.Errorf("version %q is not semver: %w", b, err)
	}
	return va.Compare(vb), nil
}

// Early returns the decision reached before any gate evidence is needed
// (hold, noop, quarantine, direction, force, rollback, hold and release), and
// false when the gates decide: then the caller reads the candidate's lock and
// the evidence and calls Decide.
func Early(in Input) (Decision, bool) {
	d := Decision{Soak: SoakResult{Required: in.Gates.Soak, Result: GatePass}}
	head, hasHead := in.head()
	if hasHead {
		d.Previous = bundleOf(head)
	}
	switch in.Mode {
	case ModeHold:
		return hold(in, d, hasHead, head), true
	case ModeRelease:
		return release(in, d, hasHead, head), true
	case ModeRollback:
		return rollback(in, d, hasHead, head), true
	}
	// promote
	if in.Hold != nil {
		d.Outcome, d.Reason = Held, describeHold(in.Label, *in.Hold)+"; release it (mode: release) to promote again"
		d.Target = d.Previous
		return d, true
	}
	if in.Candidate == nil {
		d.Outcome, d.Target = Noop, d.Previous
		d.Reason = "no candidate"
		if in.From != "" {
			d.Reason += " in " + in.From
		}
		if len(in.Skipped) > 0 {
			d.Reason += ": " + skippedText(in.Skipped)
		}
		return d, true
	}
	c := *in.Candidate
	d.Target = c
	if hasHead && head.Digest == c.Digest {
		d.Outcome, d.Reason = Noop, fmt.Sprintf("label %s is already at %s", in.Label, c.Version)
		if len(in.Skipped) > 0 {
			d.Reason += "; " + skippedText(in.Skipped)
		}
		return d, true
	}
	if del, ok := in.deleted(c); ok {
		// force does not bypass this: the bundle's version tag is gone
		if in.Named {
			d.Outcome, d.Refused = Failed, true
			d.Reason = fmt.Sprintf("refusing to move label %s to %s: %s, and a deleted version is never a candidate", in.Label, c.Version, describeDeletion(c, del))
		} else {
			d.Outcome, d.Target = Noop, d.Previous
			d.Reason = fmt.Sprintf("candidate %s", c.Version)
			if in.From != "" {
				d.Reason += " from " + in.From
			}
			d.Reason += " is no longer a candidate: " + describeDeletion(c, del) + " (the stream has moved on; the next run takes its newest value)"
		}
		return d, true
	}
	if q, ok := in.quarantine(c.Digest); ok && !in.Force {
		if in.Named {
			d.Outcome, d.Refused = Failed, true
			d.Reason = "refusing to promote " + describeQuarantine(c, q) + "; force to promote it anyway"
		} else {
			d.Outcome, d.Target = Noop, d.Previous
			d.Reason = "skipping " + describeQuarantine(c, q)
		}
		return d, true
	}
	if hasHead {
		cmp, err := Compare(c.Version, head.Version)
		if err != nil {
			d.Outcome, d.Refused = Failed, true
			d.Reason = fmt.Sprintf("cannot order %s against label %s's %s: %v", c.Version, in.Label, head.Version, err)
			return d, true
		}
		if cmp <= 0 {
			rel := "lower than"
			if cmp == 0 {
				rel = "not higher than"
			}
			msg := fmt.Sprintf("label %s is at %s; %s is %s that, and a label only moves forward (mode: rollback moves it back)", in.Label, head.Version, c.Version, rel)
			if in.Named {
				d.Outcome, d.Refused = Failed, true
				d.Reason = "refusing to move label " + in.Label + " from " + head.Version + " down to " + c.Version + ": " + msg
			} else {
				d.Outcome, d.Target = Noop, d.Previous
				d.Reason = "nothing newer"
				if in.From != "" {
					d.Reason += " in " + in.From
				}
				d.Reason += ": " + msg
				if len(in.Skipped) > 0 {
					d.Reason += "; " + skippedText(in.Skipped)
				}
			}
			return d, true
		}
	}
	if in.Force {
		d.Outcome, d.Forced = Promoted, true
		d.Reason = "forced: gates bypassed"
		if q, ok := in.quarantine(c.Digest); ok {
			d.Reason += "; " + describeQuarantine(c, q)
		}
		if in.Reason != "" {
			d.Reason += ": " + in.Reason
		}
		d.Move = move(in, c, DecisionPromoted, true, d.Reason)
		return d, true
	}
	return d, false
}

// Decide applies the rules (see the package documentation) to in.
func Decide(in Input) Decision {
	if d, ok := Early(in); ok {
		return d
	}
	d := Decision{Target: *in.Candidate, Soak: EvaluateSoak(in.Gates.Soak, in.Entered, in.Now)}
	if h, ok := in.head(); ok {
		d.Previous = bundleOf(h)
	}
	var checks Result
	d.Gates, checks = EvaluateChecks(in.Gates, in.Lock, in.Evidence)
	signedLine, signed := EvaluateSigned(in.Gates.Signed, in.Signatures)
	if in.Gates.Signed != nil {
		d.Signed = &signedLine
	}
	c := *in.Candidate
	switch {
	case checks == GateFail || signed == GateFail:
		d.Outcome = Failed
		var failed []string
		if checks == GateFail {
			failed = append(failed, describeLines(d.Gates, GateFail, 5))
		}
		if signed == GateFail {
			failed = append(failed, "signature ("+signedLine.Detail+")")
		}
		d.Reason = fmt.Sprintf("gate failed for %s: %s", c.Version, strings.Join(failed, ", "))
		if in.Quarantine {
			if _, already := in.quarantine(c.Digest); !already {
				d.Quarantine = &Quarantine{Reason: d.Reason, Label: in.Label, Actor: in.Actor, At: in.Now}
				d.Reason += "; quarantined: refused everywhere until forced"
			}
		}
	case checks == GatePending || signed == GatePending || d.Soak.Result == GatePending:
		d.Outcome = Pending
		d.ChecksPending = checks == GatePending || signed == GatePending
		var why []string
		if checks == GatePending {
			why = append(why, "checks pending: "+describeLines(d.Gates, GatePending, 5))
		}
		if signed == GatePending {
			why = append(why, "signature "+signedLine.Detail)
		}
		if d.Soak.Result == GatePending {
			if d.Soak.Since.IsZero() {
				why = append(why, "soak: the time the candidate entered "+orDefault(in.From, "the from stream")+" is unknown")
			} else {
				why = append(why, fmt.Sprintf("soaking: %s of %s left", round(d.Soak.Left), round(d.Soak.Required)))
			}
		}
		d.Reason = fmt.Sprintf("%s is not ready: %s", c.Version, strings.Join(why, "; "))
	default:
		d.Outcome = Promoted
		d.Reason = passedText(in, d)
		if in.Reason != "" {
			d.Reason += ": " + in.Reason
		}
		d.Move = move(in, c, DecisionPromoted, false, d.Reason)
	}
	return d
}

func move(in Input, c Bundle, decision string, forced bool, reason string) *Move {
	m := &Move{Version: c.Version, Digest: c.Digest, At: in.Now, Actor: in.Actor, Run: in.Run,
		Reason: reason, Decision: decision, Forced: forced}
	if h, ok := in.head(); ok {
		m.PreviousVersion, m.PreviousDigest = h.Version, h.Digest
	}
	return m
}

func passedText(in Input, d Decision) string {
	var parts []string
	if in.Gates.NeedChecks() {
		parts = append(parts, checksText(in.Gates, d.Gates))
	}
	if in.Gates.Soak > 0 {
		parts = append(parts, fmt.Sprintf("soaked %s (%s required)", round(d.Soak.Elapsed), round(in.Gates.Soak)))
	}
	if d.Signed != nil {
		parts = append(parts, d.Signed.Detail)
	}
	if len(parts) == 0 {
		parts = append(parts, "no gates")
	}
	if in.From != "" {
		parts = append([]string{"from " + in.From}, parts...)
	}
	return strings.Join(parts, "; ")
}

// checksText says what the check gates found, for a decision that passed
// them: "checks build, e2e passed", naming the components that had no check
// source. A gate that checked nothing (every component it covers is a git:
// component, or it covers none) says "no check source", never "passed":
// a reason is read later, in the ledger and in `ladder status --history`,
// as what was verified.
func checksText(g Gates, lines []GateResult) string {
	what := "all checks"
	if !g.AllChecks {
		what = "checks " + strings.Join(g.Checks, ", ")
	}
	checked := false
	var noSource []string
	for _, l := range lines {
		switch l.Result {
		case GatePass:
			checked = true
		case GateNoSource:
			noSource = append(noSource, l.Component)
		}
	}
	switch {
	case !checked && len(noSource) == 0:
		return what + ": no check source, nothing was checked (no component to check)"
	case !checked && len(noSource) == 1:
		return fmt.Sprintf("%s: no check source, nothing was checked (%s is a git: component)", what, noSource[0])
	case !checked:
		return fmt.Sprintf("%s: no check source, nothing was checked (%s are git: components)", what, strings.Join(noSource, ", "))
	case len(noSource) == 1:
		return fmt.Sprintf("%s passed; no check source for %s (a git: component)", what, noSource[0])
	case len(noSource) > 1:
		return fmt.Sprintf("%s passed; no check source for %s (git: components)", what, strings.Join(noSource, ", "))
	}
	return what + " passed"
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func round(d time.Duration) time.Duration { return d.Round(time.Second) }

func skippedText(skipped []Move) string {
	vs := make([]string, len(skipped))
	for i, s := range skipped {
		vs[i] = s.Version
	}
	return "skipped quarantined " + strings.Join(vs, ", ")
}

func hold(in Input, d Decision, hasHead bool, head Move) Decision {
	d.Outcome, d.Target = Held, d.Previous
	if in.Hold != nil {
		d.Reason = describeHold(in.Label, *in.Hold) + " (already)"
		return d
	}
	reason := in.Reason
	if reason == "" {
		reason = "held"
		if in.Actor != "" {
			reason += " by " + in.Actor
		}
	}
	d.SetHold = &Hold{Reason: reason, Actor: in.Actor, At: in.Now}
	d.Reason = "holding label " + in.Label
	if hasHead {
		d.Reason += " at " + head.Version
	}
	d.Reason += ": " + reason
	return d
}

func release(in Input, d Decision, hasHead bool, head Move) Decision {
	d.Outcome, d.Target = Noop, d.Previous
	if in.Hold == nil {
		d.Reason = "label " + in.Label + " is not held"
		return d
	}
	d.ReleaseHold = true
	d.Reason = "released the hold on label " + in.Label + " (" + describeHold(in.Label, *in.Hold) + ")"
	if in.Reason != "" {
		d.Reason += ": " + in.Reason
	}
	return d
}

// Chain is the label's live values, oldest first: every move pushes its
// value, and a rollback pops back to the value it returned to (or, to a
// value never held, past every value higher than it). So two rollbacks in a
// row go two steps back, not back and forth.
func Chain(history []Move) []Move {
	var chain []Move
	for _, m := range history {
		if m.Decision != DecisionRollback {
			chain = append(chain, m)
			continue
		}
		found := -1
		for i := len(chain) - 1; i >= 0; i-- {
			if chain[i].Digest == m.Digest {
				found = i
				break
			}
		}
		if found >= 0 {
			chain = chain[:found+1]
			continue
		}
		for len(chain) > 0 {
			if c, err := Compare(chain[len(chain)-1].Version, m.Version); err == nil && c <= 0 {
				break
			}
			chain = chain[:len(chain)-1]
		}
		chain = append(chain, m)
	}
	return chain
}

// PreviousValue is the value a rollback returns the label to: the one
// before its current value in Chain.
func PreviousValue(history []Move) (Move, bool) {
	c := Chain(history)
	if len(c) < 2 {
		return Move{}, false
	}
	return c[len(c)-2], true
}

func rollback(in Input, d Decision, hasHead bool, head Move) Decision {
	if !hasHead {
		d.Outcome, d.Refused = Failed, true
		d.Reason = "label " + in.Label + " has no value to roll back"
		return d
	}
	var target Bundle
	if in.Candidate != nil {
		target = *in.Candidate
	} else {
		// One request rolls back one step. This workflow run's own rollback
		// already recorded (a rerun keeps GITHUB_RUN_ID): done.
		if head.Decision == DecisionRollback && in.Run != "" && head.Run == in.Run {
			return rolledBack(in, d, head, "by this workflow run")
		}
		// Decided again on a fresher ledger, on which the label has left the
		// value the request saw: a rollback from that value recorded meanwhile
		// (another job's, or this run's own write whose answer was lost)
		// carried the request out; any other move was not this request's
		// to undo.
		if f := in.RollbackFrom; f != nil && f.Digest != head.Digest {
			if head.Decision == DecisionRollback && head.PreviousDigest == f.Digest {
				return rolledBack(in, d, head, describeMove(head))
			}
			d.Outcome, d.Refused = Failed, true
			d.Reason = fmt.Sprintf("refusing to roll back label %s: this run read it at %s, but it has moved to %s meanwhile (%s %s); nothing changed: run the rollback again to roll back %s",
				in.Label, f.Version, head.Version, orDefault(head.Decision, "moved"), describeMove(head), head.Version)
			return d
		}
		prev, ok := PreviousValue(in.History)
		if !ok {
			d.Outcome, d.Refused = Failed, true
			d.Reason = fmt.Sprintf("label %s has no previous value to roll back to (it has only held %s)", in.Label, head.Version)
			return d
		}
		target = bundleOf(prev)
	}
	d.Target = target
	if del, ok := in.deleted(target); ok && target.Digest != head.Digest {
		// force does not bypass this: the version tag is gone; nor is an
		// older value taken instead: that rolls back further than asked
		d.Outcome, d.Refused = Failed, true
		d.Reason = fmt.Sprintf("refusing to roll label %s back from %s to %s: %s; name a version the label held that retention kept (from: VERSION)",
			in.Label, head.Version, target.Version, describeDeletion(target, del))
		return d
	}
	// A rollback goes back to a value the label held, never forward and
	// never somewhere new: that would move a label past its gates under
	// another name. Force allows it, recorded as forced.
	bypass := false
	if in.Candidate != nil && target.Digest != head.Digest {
		held := false
		for _, m := range in.History {
			held = held || m.Digest == target.Digest
		}
		higher := false
		if c, err := Compare(target.Version, head.Version); err == nil && c > 0 {
			higher = true
		}
		if (!held || higher) && !in.Force {
			d.Outcome, d.Refused = Failed, true
			if higher {
				d.Reason = fmt.Sprintf("refusing to roll label %s forward from %s to %s: promote it (its gates apply), or force", in.Label, head.Version, target.Version)
			} else {
				d.Reason = fmt.Sprintf("refusing to roll label %s back to %s: the label never held it; promote it (its gates apply), or force", in.Label, target.Version)
			}
			return d
		}
		bypass = !held || higher
	}
	if q, ok := in.quarantine(target.Digest); ok && !in.Force {
		d.Outcome, d.Refused = Failed, true
		d.Reason = "refusing to roll back to " + describeQuarantine(target, q) + "; force to use it anyway"
		return d
	}
	why := in.Reason
	if why == "" {
		why = "no reason given"
	}
	if target.Digest == head.Digest {
		d.Outcome = Held
		if in.Hold != nil {
			d.Reason = fmt.Sprintf("label %s is already at %s and held (%s)", in.Label, target.Version, describeHold(in.Label, *in.Hold))
			return d
		}
		d.Reason = fmt.Sprintf("label %s is already at %s; holding it there: %s", in.Label, target.Version, why)
		d.SetHold = &Hold{Reason: "rollback to " + target.Version + ": " + why, Actor: in.Actor, At: in.Now}
		return d
	}
	d.Outcome = Held
	d.Reason = fmt.Sprintf("rolled label %s back from %s to %s and held it: %s", in.Label, head.Version, target.Version, why)
	_, quarantined := in.quarantine(target.Digest)
	d.Forced = quarantined || bypass
	d.Move = move(in, target, DecisionRollback, d.Forced, d.Reason)
	d.SetHold = &Hold{Reason: fmt.Sprintf("rolled back from %s to %s: %s", head.Version, target.Version, why), Actor: in.Actor, At: in.Now}
	return d
}

// rolledBack answers a rollback request already carried out by the
// rollback head (by says by whom): nothing more is written. The outputs are
// those of the rollback: the label's value, and the value it left.
func rolledBack(in Input, d Decision, head Move, by string) Decision {
	d.Target = bundleOf(head)
	d.Previous = Bundle{Version: head.PreviousVersion, Digest: head.PreviousDigest}
	d.Forced = head.Forced
	d.Reason = fmt.Sprintf("label %s was already rolled back from %s to %s %s", in.Label, head.PreviousVersion, head.Version, by)
	if in.Hold != nil {
		d.Outcome = Held
		d.Reason += " and is held (" + describeHold(in.Label, *in.Hold) + "); nothing more to do"
		return d
	}
	// the hold was released since: that is someone's decision, not undone here
	d.Outcome = Noop
	d.Reason += "; its hold has been released since, and nothing more is done"
	return d
}

// describeMove says who made a move, when, and in which run.
func describeMove(m Move) string {
	s := "at " + m.At.UTC().Format(time.RFC3339)
	if m.Actor != "" {
		s = "by " + m.Actor + " " + s
	}
	if m.Run != "" {
		s += " in " + m.Run
	}
	return s
}

// Pick chooses the candidate from the from stream: the newest of its live
// values (Chain: a value the stream rolled back is not a candidate) that is
// not quarantined, nor deleted by retention (deleted: by version; such a
// value is passed over without a word: its tag is gone). skipped lists the
// quarantined values passed over, newest first; entered is when the
// candidate first entered the stream (soak counts from there). ok is false
// when the stream has no candidate.
func Pick(stream []Move, quarantined map[string]Quarantine, deleted map[string]Deletion) (cand Move, entered time.Time, skipped []Move, ok bool) {
	chain := Chain(stream)
	seen := map[string]bool{}
	for i := len(chain) - 1; i >= 0; i-- {
		m := chain[i]
		if _, del := deleted[m.Version]; del {
			continue
		}
		if _, q := quarantined[m.Digest]; q {
			if !seen[m.Digest] {
				skipped = append(skipped, m)
				seen[m.Digest] = true
			}
			continue
		}
		return m, Entered(stream, m.Digest), skipped, true
	}
	return Move{}, time.Time{}, skipped, false
}

// Entered is when the bundle with digest first entered stream (zero if never).
func Entered(stream []Move, digest string) time.Time {
	for _, m := range stream {
		if m.Digest == digest {
			return m.At
		}
	}
	return time.Time{}
}
