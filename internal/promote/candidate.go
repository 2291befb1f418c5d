package promote

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ladder-release/ladder/internal/ledger/record"
)

// Source is what promote-label's candidate is chosen with: the request and
// the names the config gives.
type Source struct {
	Label     string // the label to move
	LabelFrom string // its from in the config (a channel or a label)
	From      string // the from input; "" = LabelFrom (in mode rollback: the previous value)
	Mode      Mode
	Channels  []string // the config's channel names
	Labels    []string // the config's label names
	Config    string   // the config file, for errors
}

// Candidate is where promote-label's candidate comes from.
type Candidate struct {
	Stream  string // the from stream ("channel:NAME" or "label:NAME"), "" when named
	From    string // for reasons: "channel staging", "version 1.2.0"
	Named   bool   // given as a version or digest: a refusal fails the run
	Bundle  *Bundle
	Entered time.Time // when it entered the label's from stream (soak counts from here)
	Skipped []Move    // the quarantined values of the stream passed over
}

// Choose resolves the from input against the ledger doc (README, "Candidates"):
//
//  1. Modes hold and release have no candidate.
//  2. Mode rollback without from: the label's previous value (Decide finds it).
//  3. Without from, the label's from is the source.
//  4. A channel or a label of the config is a stream: its newest live value
//     not quarantined nor deleted by retention (Pick); none is no candidate.
//     A label cannot come from itself; mode rollback takes no stream.
//  5. Otherwise from names a published version (also in its tag form, with
//     _ for +, or with a leading v) or a digest (sha256:...); anything else
//     is an input error naming the config.
//  6. A named version that retention deleted is an input error: its
//     version tag is gone, and a deleted version is never a candidate.
//  7. A named candidate's soak counts from when it entered the label's from
//     stream; one that never did counts from its publication.
func Choose(doc *record.Document, src Source, st State) (Candidate, error) {
	from := src.From
	if src.Mode == ModeHold || src.Mode == ModeRelease {
		return Candidate{}, nil
	}
	if from == "" && src.Mode == ModeRollback {
		return Candidate{From: "the label's previous value"}, nil // Decide finds it
	}
	if from == "" {
		from = src.LabelFrom
	}
	var c Candidate
	if slices.Contains(src.Channels, from) {
		c.Stream, c.From = record.ChannelStream(from), "channel "+from
	} else if slices.Contains(src.Labels, from) {
		if from == src.Label {
			return c, fmt.Errorf("input from: label %s cannot come from itself", from)
		}
		c.Stream, c.From = record.LabelStream(from), "label "+from
	}
	if c.Stream != "" {
		if src.Mode == ModeRollback {
			return c, fmt.Errorf("input from: %q is a stream; with mode rollback, give a version or digest (or nothing: the previous value)", from)
		}
		m, entered, skipped, ok := Pick(Moves(doc.Stream(c.Stream)), st.Quarantined, st.Deleted)
		c.Skipped = skipped
		if ok {
			c.Bundle, c.Entered = &Bundle{Version: m.Version, Digest: m.Digest}, entered
		}
		return c, nil
	}
	var b record.Bundle
	var ok bool
	if strings.HasPrefix(from, "sha256:") {
		b, ok = doc.BundleByDigest(from)
		c.From = "digest " + from
	} else {
		for _, v := range []string{from, strings.ReplaceAll(from, "_", "+"), strings.TrimPrefix(from, "v")} {
			if b, ok = doc.Bundle(v); ok {
				break
			}
		}
		c.From = "version " + b.Version
	}
	if !ok {
		return c, fmt.Errorf("input from: %q is not a channel or label of %s, nor a version or digest the ledger holds", from, src.Config)
	}
	if del, deleted := st.Deleted[b.Version]; deleted {
		s := fmt.Sprintf("input from: %q is version %s (%s), which retention deleted at %s", from, b.Version, b.Digest, del.At.UTC().Format(time.RFC3339))
		if del.Reason != "" {
			s += " (" + del.Reason + ")"
		}
		return c, errors.New(s + "; its version tag is gone, and a deleted version is never a candidate")
	}
	c.Named = true
	c.Bundle = &Bundle{Version: b.Version, Digest: b.Digest, Created: b.Created}
	fromStream := record.ChannelStream(src.LabelFrom)
	if slices.Contains(src.Labels, src.LabelFrom) {
		fromStream = record.LabelStream(src.LabelFrom)
	}
	if c.Entered = Entered(Moves(doc.Stream(fromStream)), b.Digest); c.Entered.IsZero() {
		c.Entered = b.Created
	}
	return c, nil
}

// Moves converts ledger entries to the package's moves.
func Moves(es []record.Entry) []Move {
	out := make([]Move, len(es))
	for i, e := range es {
		out[i] = Move{Version: e.Version, Digest: e.Digest, At: e.At, Actor: e.Actor, Run: e.Run, Reason: e.Reason,
			Decision: e.Decision, Forced: e.Forced, PreviousVersion: e.PreviousVersion, PreviousDigest: e.PreviousDigest}
	}
	return out
}

// State is what a decision reads from the ledger.
type State struct {
	History     []Move // the label's stream
	Hold        *Hold
	Quarantined map[string]Quarantine // digest -> quarantine in force (a released one is not)
	Deleted     map[string]Deletion   // version -> retention's deletion
}

// StateOf reads label's state from the ledger doc.
func StateOf(doc *record.Document, label string) State {
	st := State{History: Moves(doc.Stream(record.LabelStream(label)))}
	if h, ok := doc.Held(label); ok {
		st.Hold = &Hold{Reason: h.Reason, Actor: h.Actor, At: h.At}
	}
	st.Quarantined = map[string]Quarantine{}
	for digest := range doc.Quarantines {
		if q, ok := doc.Quarantined(digest); ok {
			st.Quarantined[digest] = Quarantine{Reason: q.Reason, Label: q.Label, Actor: q.Actor, At: q.At}
		}
	}
	st.Deleted = make(map[string]Deletion, len(doc.Deletions))
	for _, del := range doc.Deletions {
		st.Deleted[del.Version] = Deletion{Digest: del.Digest, At: del.At, Reason: del.Reason}
	}
	return st
}

// Set puts the ledger's state into a decision's input.
func (st State) Set(in *Input) {
	in.History, in.Hold, in.Quarantined, in.Deleted = st.History, st.Hold, st.Quarantined, st.Deleted
}

// Fill puts the candidate and the ledger's state of a request's first read
// into in, and, for a rollback to the previous value, the value that read
// sees as the one to roll back from (Input.RollbackFrom), however often the
// request is decided again.
func Fill(in *Input, c Candidate, st State) {
	in.Candidate, in.Named, in.From, in.Skipped, in.Entered = c.Bundle, c.Named, c.From, c.Skipped, c.Entered
	st.Set(in)
	if n := len(st.History); in.Mode == ModeRollback && c.Bundle == nil && n > 0 {
		in.RollbackFrom = &Bundle{Version: st.History[n-1].Version, Digest: st.History[n-1].Digest}
	}
}

// NeedsHistory says whether a candidate chosen on the ledger's state (a
// document with History, whose older items live in segments) must be
// chosen again on the whole ledger, because the state alone cannot decide:
//
//  1. Choose failed: from may name a bundle only the history holds.
//  2. A rollback: the label's older moves, in the history, may show it
//     held the target.
//  3. No candidate in a stream: every value of it the state holds is
//     quarantined or deleted, and the history may hold a live one.
//  4. A named candidate whose soak counts from its publication: its entry
//     into the label's from stream (sourceStream) may be in the history.
//
// A document without segments is the whole ledger: never.
func NeedsHistory(doc *record.Document, src Source, c Candidate, chooseErr error, sourceStream string) bool {
	h := doc.History
	if h == nil || h.Segments == 0 {
		return false
	}
	switch {
	case chooseErr != nil:
		return true
	case src.Mode == ModeRollback && h.Entries[record.LabelStream(src.Label)] > 0:
		return true
	case c.Stream != "" && c.Bundle == nil && h.Entries[c.Stream] > 0:
		return true
	case c.Named && c.Bundle != nil && c.Entered.Equal(c.Bundle.Created) && h.Entries[sourceStream] > 0:
		return true
	}
	return false
}
