// Package retire decides `ladder retire` (SPEC section 4, CLI only; story
// S6): whether a channel or label can be retired, or its retirement undone,
// on a ledger document, and what the one ledger write records. It is pure:
// the compare-and-swap closure of the retire command only calls Apply.
//
// The rules, in the order Decide applies them:
//
//  1. Undo: a stream that is retired has its retirement ended (recorded as
//     an undo, with who, when, why); one that is not is refused.
//  2. Finish: a stream already retired whose end-of-life dispatches did not
//     all go out (Retirement.Pending), or that this same workflow run
//     retired (a rerun keeps its run id), or that the registry does not
//     show yet (Request.Unshown), is not retired again: the run sends the
//     dispatches still pending and puts the tags and the catalog right.
//     Nothing is recorded but the dispatches that went out.
//  3. Refused: any other stream already retired ("a second retire is
//     refused, so the announcement is never repeated").
//  4. Refused: a stream that never held a bundle has no final value to keep.
//  5. Retire: the stream is frozen at its head (version and digest), with
//     who, when, why, from which run, and the cascade.repos targets to tell
//     (Notify), none of them told yet.
package retire

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ladder-release/ladder/internal/ledger/record"
)

// Request is one `ladder retire` (or `--undo`).
type Request struct {
	Stream string // record.ChannelStream or record.LabelStream
	Undo   bool
	Reason string
	Actor  string
	Run    string // URL of the workflow run, "" outside Actions
	Now    time.Time
	// Notify are the cascade.repos targets (owner/name) whose `when` names
	// the stream: told once of the end of life.
	Notify []string
	// Unshown: the registry does not show the retirement in force yet (its
	// <name> and <name>-eol tags not on the final value, or the OLM catalog
	// not the ledger's), as the caller found it: a run that stopped after
	// the ledger write. A retire of it finishes it.
	Unshown bool
}

// Kind is what Decide says to do.
type Kind int

const (
	// Retire: record the retirement, write the tags, tell Notify.
	Retire Kind = iota
	// Finish: the retirement is recorded; send what is Pending, put the tags right.
	Finish
	// Undo: end the retirement.
	Undo
)

func (k Kind) String() string { return [...]string{"retire", "finish", "undo"}[k] }

// Decision is what to do with a Request on one ledger document.
type Decision struct {
	Kind Kind
	// Retirement is the retirement recorded (Retire), in force (Finish) or
	// ended (Undo).
	Retirement record.Retirement
	// Pending are the targets still to tell (Retire: all of Notify).
	Pending []string
}

// RefusedError is a request the ledger's state refuses: retiring what is
// retired, undoing what is not, retiring what never held a bundle.
type RefusedError struct{ msg string }

func (e *RefusedError) Error() string { return e.msg }

// Decide applies the rules to doc, which it does not change.
func Decide(doc *record.Document, req Request) (Decision, error) {
	what := describe(req.Stream)
	if err := check(req); err != nil {
		return Decision{}, err
	}
	have, retired := doc.Retired(req.Stream)
	switch {
	case req.Undo && !retired:
		return Decision{}, &RefusedError{fmt.Sprintf("%s is not retired: nothing to undo", what)}
	case req.Undo:
		return Decision{Kind: Undo, Retirement: have}, nil
	case retired && (len(have.Pending()) > 0 || req.Run != "" && have.Run == req.Run || req.Unshown):
		return Decision{Kind: Finish, Retirement: have, Pending: have.Pending()}, nil
	case retired:
		return Decision{}, &RefusedError{fmt.Sprintf("%s was already retired at %s by %s: %s (ladder retire --undo reverses it)",
			what, stamp(have.At), orSomeone(have.Actor), have.Reason)}
	}
	head, ok := doc.Head(req.Stream)
	if !ok {
		return Decision{}, &RefusedError{fmt.Sprintf("%s has never held a bundle: there is no final value to keep (remove it from the config instead)", what)}
	}
	r := record.Retirement{Version: head.Version, Digest: head.Digest, At: req.Now, Actor: req.Actor, Run: req.Run,
		Reason: req.Reason, Notify: unique(req.Notify)}
	return Decision{Kind: Retire, Retirement: r, Pending: r.Notify}, nil
}

// Apply decides again on the fresh ledger d (inside the compare-and-swap)
// and records the decision: the retirement, or its undo. Finish records
// nothing and returns record.ErrNoChange with the decision.
func Apply(d *record.Document, req Request) (Decision, error) {
	dec, err := Decide(d, req)
	if err != nil {
		return dec, err
	}
	switch dec.Kind {
	case Retire:
		return dec, d.Retire(req.Stream, dec.Retirement)
	case Undo:
		return dec, d.Unretire(req.Stream, record.RetireEvent{At: req.Now, Actor: req.Actor, Run: req.Run, Reason: req.Reason})
	}
	return dec, record.ErrNoChange
}

// Notified records, inside the compare-and-swap, that the end-of-life
// dispatches to targets went out. Targets already recorded are left as they
// are; nothing new is record.ErrNoChange.
func Notified(d *record.Document, stream string, targets []string) error {
	changed := false
	for _, t := range targets {
		err := d.MarkNotified(stream, t)
		switch {
		case errors.Is(err, record.ErrNoChange):
		case err != nil:
			return err
		default:
			changed = true
		}
	}
	if !changed {
		return record.ErrNoChange
	}
	return nil
}

// Blocked says why stream may not move, or be built or cascaded from: its
// retirement, with the date and the reason. ok is false when it is not
// retired.
func Blocked(doc *record.Document, stream string) (why string, ok bool) {
	r, ok := doc.Retired(stream)
	if !ok {
		return "", false
	}
	return fmt.Sprintf("%s was retired at %s (%s); it stays at %s", describe(stream), stamp(r.At), r.Reason, r.Version), true
}

// CheckReason checks a retirement's reason: required, one line of
// printable text (it lands in the ledger, the summary and commit messages).
func CheckReason(reason string) error {
	if strings.TrimSpace(reason) == "" {
		return errors.New("required: say why (it is recorded in the ledger with who and when)")
	}
	return record.OneLine(reason)
}

func check(req Request) error {
	if _, _, err := record.ParseStream(req.Stream); err != nil {
		return err
	}
	if err := CheckReason(req.Reason); err != nil {
		return fmt.Errorf("reason: %w", err)
	}
	if req.Now.IsZero() {
		return errors.New("the time of the retirement is not set")
	}
	return nil
}

// describe is "channel stable" for "channel:stable".
func describe(stream string) string {
	kind, name, err := record.ParseStream(stream)
	if err != nil {
		return stream
	}
	return kind + " " + name
}

func orSomeone(actor string) string {
	if actor == "" {
		return "someone"
	}
	return actor
}

func unique(xs []string) []string {
	var out []string
	for _, x := range xs {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
