package promote

import (
	"errors"
	"fmt"
	"strings"

	"github.com/ladder-release/ladder/internal/ledger/record"
)

// Recorder writes a request's decision into the ledger inside its
// compare-and-swap: Record is all the closure calls. Each attempt decides
// again on the fresh document (the evidence is the same, the ledger may not
// be), and an attempt that finds its own claim in the label's stream (a
// write whose answer was lost, retried by the store or met as a conflict)
// answers with the decision that landed instead of deciding again on a
// ledger that already holds it (a rollback would go a second step back, a
// promotion would report a noop).
type Recorder struct {
	Input  Input  // as gathered (Fill); the ledger state is read again from each document
	Source string // the label's from stream, which the upgrade graph grows from
	Claim  string // names this request's move in the label's stream
	// Signed is the digest this request signed (sign: true) and Signature
	// the digest of that signature, recorded with the move; a ledger that
	// changed so that the move would go elsewhere is refused (it is not
	// signed).
	Signed, Signature string
	// FromStream is the channel or label the candidates come from, checked
	// for retirement with the label ("" when from names a version): a
	// retirement that lands between the first read and this write is
	// answered Retired, and nothing is written (RetiredDecision).
	FromStream string

	attempted Decision // the last decision written
}

// Record decides on d and carries the decision out on it. It returns the
// decision and record.ErrNoChange when nothing is to be written.
func (w *Recorder) Record(d *record.Document) (Decision, error) {
	if w.attempted.Move != nil && hasClaim(d.Stream(record.LabelStream(w.Input.Label)), w.Claim) {
		return w.attempted, record.ErrNoChange // the last write attempted is the one that landed
	}
	if dec, retired := RetiredDecision(d, w.Input.Label, w.Input.Mode, w.FromStream); retired {
		return dec, record.ErrNoChange
	}
	fresh := w.Input
	if coldRollback(d, fresh) {
		// whether the label held the target is in moves only the ledger's
		// history holds: the store decides again on the whole ledger
		return Decision{}, fmt.Errorf("rolling label %s back to %s: the label's older moves are in the ledger's history: %w",
			fresh.Label, fresh.Candidate.Version, record.ErrNotFound)
	}
	StateOf(d, fresh.Label).Set(&fresh)
	final := Decide(fresh)
	if !final.Writes() {
		return final, record.ErrNoChange
	}
	if w.Signed != "" && final.Move != nil && final.Move.Digest != w.Signed {
		return final, fmt.Errorf("the ledger changed while %s was signed: label %s would now move to %s, which is not signed; rerun", w.Signed, fresh.Label, final.Move.Version)
	}
	w.attempted = final
	return final, apply(d, fresh.Label, w.Source, final, w.Claim, w.Signature)
}

// coldRollback reports whether in is a rollback to a named bundle that the
// label's moves in the state d never held, while the ledger's history holds
// older moves of the label: d cannot tell whether the label held it.
func coldRollback(d *record.Document, in Input) bool {
	stream := record.LabelStream(in.Label)
	if in.Mode != ModeRollback || in.Candidate == nil || d.History == nil || d.History.Entries[stream] == 0 {
		return false
	}
	for _, e := range d.Stream(stream) {
		if e.Digest == in.Candidate.Digest {
			return false
		}
	}
	return true
}

// hasClaim reports whether an entry of stream carries claim.
func hasClaim(stream []record.Entry, claim string) bool {
	for i := len(stream) - 1; i >= 0; i-- {
		if stream[i].Claim == claim {
			return true
		}
	}
	return false
}

// Apply carries a decision on label out on the ledger document d: the
// quarantine, the move (named by claim; the label's upgrade graph, grown
// from stream source, must stay valid), the hold or its release.
func Apply(d *record.Document, label, source string, dec Decision, claim string) error {
	return apply(d, label, source, dec, claim, "")
}

// apply is Apply with the signature recorded with the move.
func apply(d *record.Document, label, source string, dec Decision, claim, signature string) error {
	if q := dec.Quarantine; q != nil {
		err := d.Quarantine(dec.Target.Digest, record.Quarantine{Reason: q.Reason, Label: q.Label, Actor: q.Actor, At: q.At})
		if err != nil && !errors.Is(err, record.ErrNoChange) {
			return err
		}
	}
	if m := dec.Move; m != nil {
		stream := record.LabelStream(label)
		e := record.Entry{Version: m.Version, Digest: m.Digest, At: m.At, Actor: m.Actor, Run: m.Run, Reason: m.Reason,
			Decision: m.Decision, Forced: m.Forced, PreviousVersion: m.PreviousVersion, PreviousDigest: m.PreviousDigest, Claim: claim,
			Signature: signature}
		if err := d.Append(stream, e); err != nil {
			return err
		}
		if _, err := d.GraphFrom(stream, source); err != nil {
			return fmt.Errorf("the upgrade graph of %s would be invalid: %w", stream, err)
		}
	}
	if h := dec.SetHold; h != nil {
		if err := d.Hold(label, record.Hold{Reason: h.Reason, Actor: h.Actor, At: h.At}); err != nil {
			return err
		}
	}
	if dec.ReleaseHold {
		d.Release(label)
	}
	return nil
}

// DescribeWrite is the subject of the ledger commit that records d on label.
func DescribeWrite(label string, d Decision) string {
	var parts []string
	if m := d.Move; m != nil {
		s := fmt.Sprintf("%s label %s to %s (%s)", m.Decision, label, m.Version, m.Digest)
		if d.Previous.Version != "" {
			s += " from " + d.Previous.Version
		}
		if m.Forced {
			s += ", forced"
		}
		parts = append(parts, s)
	}
	if d.Quarantine != nil {
		parts = append(parts, fmt.Sprintf("quarantine %s (%s): gate of label %s failed", d.Target.Version, d.Target.Digest, label))
	}
	if d.SetHold != nil {
		parts = append(parts, "hold label "+label)
	}
	if d.ReleaseHold {
		parts = append(parts, "release the hold on label "+label)
	}
	return strings.Join(parts, "; ")
}
