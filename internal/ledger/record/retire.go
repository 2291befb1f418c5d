package record

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"
)

// Retirement is a channel or label ended with `ladder retire` (SPEC section
// 4, CLI only; story S6): frozen at its final value (Version, Digest: the
// stream's head when it was retired), kept, announced. Document.Retirements
// holds the ones in force, by stream key; Document.RetireLog every retire
// and undo.
type Retirement struct {
	Version string    `json:"version"`
	Digest  string    `json:"digest"`
	At      time.Time `json:"at"`
	Actor   string    `json:"actor,omitempty"`
	Run     string    `json:"run,omitempty"` // URL of the workflow run
	Reason  string    `json:"reason"`
	// Notify are the cascade.repos targets (owner/name) told of the end of
	// life by one dispatch each with "eol": true; Notified those whose
	// dispatch went out. A retire run that stopped before telling them all
	// is finished by running retire again: it sends only the ones not
	// notified.
	Notify   []string `json:"notify,omitempty"`
	Notified []string `json:"notified,omitempty"`
}

// Pending are the targets of Notify not yet Notified, in Notify's order.
func (r Retirement) Pending() []string {
	var out []string
	for _, t := range r.Notify {
		if !slices.Contains(r.Notified, t) {
			out = append(out, t)
		}
	}
	return out
}

// Retire-log actions.
const (
	ActionRetire = "retire"
	ActionUndo   = "undo"
)

// RetireEvent is one retire or undo of a stream, oldest first in
// Document.RetireLog: who, when, why, from which run, at which value.
type RetireEvent struct {
	Stream  string    `json:"stream"`
	Action  string    `json:"action"` // ActionRetire or ActionUndo
	Version string    `json:"version,omitempty"`
	Digest  string    `json:"digest,omitempty"`
	At      time.Time `json:"at"`
	Actor   string    `json:"actor,omitempty"`
	Run     string    `json:"run,omitempty"`
	Reason  string    `json:"reason,omitempty"`
}

// Sentinels of retirement.
var (
	// ErrRetired: the stream is retired; nothing moves it.
	ErrRetired = errors.New("retired")
	// ErrNotRetired: an undo of a stream that is not retired.
	ErrNotRetired = errors.New("not retired")
)

// Retired returns the retirement in force for stream.
func (d *Document) Retired(stream string) (Retirement, bool) {
	r, ok := d.Retirements[stream]
	return r, ok
}

// Retire records that stream is retired at its head. r.Version and r.Digest
// default to the head and must name it when set; r.At and r.Reason must be
// set. A stream that never held a bundle has nothing to freeze
// (ErrNotFound); one already retired is ErrRetired. The retire-log gains the
// event.
func (d *Document) Retire(stream string, r Retirement) error {
	if _, _, err := ParseStream(stream); err != nil {
		return err
	}
	if have, ok := d.Retired(stream); ok {
		return fmt.Errorf("%s was already retired at %s (%s): %w", stream, stamp(have.At), have.Reason, ErrRetired)
	}
	head, ok := d.Head(stream)
	if !ok {
		return fmt.Errorf("%s has never held a bundle: there is no final value to keep: %w", stream, ErrNotFound)
	}
	switch {
	case r.Version == "" && r.Digest == "":
		r.Version, r.Digest = head.Version, head.Digest
	case r.Version != head.Version || r.Digest != head.Digest:
		return fmt.Errorf("%s: retiring at %s (%s), but its head is %s (%s)", stream, r.Version, r.Digest, head.Version, head.Digest)
	}
	if r.At.IsZero() {
		return fmt.Errorf("retirement of %s: at: must be set", stream)
	}
	if r.Reason == "" {
		return fmt.Errorf("retirement of %s: reason: must be set", stream)
	}
	r.Notified = nil
	if d.Retirements == nil {
		d.Retirements = map[string]Retirement{}
	}
	d.Retirements[stream] = r
	d.RetireLog = append(d.RetireLog, RetireEvent{Stream: stream, Action: ActionRetire, Version: r.Version, Digest: r.Digest,
		At: r.At, Actor: r.Actor, Run: r.Run, Reason: r.Reason})
	return nil
}

// Unretire ends the retirement of stream (ladder retire --undo): the
// retire-log gains ev as an undo of the retired value. ev.At and ev.Reason
// must be set; a stream not retired is ErrNotRetired.
func (d *Document) Unretire(stream string, ev RetireEvent) error {
	r, ok := d.Retired(stream)
	if !ok {
		return fmt.Errorf("%s is not retired: %w", stream, ErrNotRetired)
	}
	if ev.At.IsZero() {
		return fmt.Errorf("undoing the retirement of %s: at: must be set", stream)
	}
	if ev.Reason == "" {
		return fmt.Errorf("undoing the retirement of %s: reason: must be set", stream)
	}
	ev.Stream, ev.Action, ev.Version, ev.Digest = stream, ActionUndo, r.Version, r.Digest
	delete(d.Retirements, stream)
	d.RetireLog = append(d.RetireLog, ev)
	return nil
}

// MarkNotified records that the end-of-life dispatch to target went out.
// A target not in the retirement's Notify is an error; one already
// notified changes nothing (ErrNoChange).
func (d *Document) MarkNotified(stream, target string) error {
	r, ok := d.Retired(stream)
	if !ok {
		return fmt.Errorf("%s is not retired: %w", stream, ErrNotRetired)
	}
	if !slices.Contains(r.Notify, target) {
		return fmt.Errorf("%s: %s is not one of the targets its retirement notifies (%v)", stream, target, r.Notify)
	}
	if slices.Contains(r.Notified, target) {
		return fmt.Errorf("%s: %s was already notified: %w", stream, target, ErrNoChange)
	}
	r.Notified = append(slices.Clone(r.Notified), target)
	d.Retirements[stream] = r
	return nil
}

// validateRetirements adds the problems of the retirements and the
// retire-log, in sorted stream order.
func (d *Document) validateRetirements(seen map[string]int, add func(format string, args ...any)) {
	for _, s := range slices.Sorted(maps.Keys(d.Retirements)) {
		r := d.Retirements[s]
		where := fmt.Sprintf("retirements[%q]", s)
		if _, _, err := ParseStream(s); err != nil {
			add("retirements: %v", err)
			continue
		}
		d.validateRef(seen, add, where, r.Version, r.Digest)
		if r.At.IsZero() {
			add("%s.at: must be set", where)
		}
		if r.Reason == "" {
			add("%s.reason: must be set", where)
		} else if err := OneLine(r.Reason); err != nil {
			add("%s.reason: %v", where, err)
		}
		for _, n := range r.Notified {
			if !slices.Contains(r.Notify, n) {
				add("%s.notified: %q is not in notify", where, n)
			}
		}
	}
	for i, ev := range d.RetireLog {
		where := fmt.Sprintf("retireLog[%d]", i)
		if _, _, err := ParseStream(ev.Stream); err != nil {
			add("%s.stream: %v", where, err)
		}
		if ev.Action != ActionRetire && ev.Action != ActionUndo {
			add("%s.action: %q, want %s or %s", where, ev.Action, ActionRetire, ActionUndo)
		}
		if ev.At.IsZero() {
			add("%s.at: must be set", where)
		}
		if err := OneLine(ev.Reason); err != nil {
			add("%s.reason: %v", where, err)
		}
	}
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// MaxReason bounds a retirement's reason, in bytes: it is repeated in
// outputs, summaries and the catalog's deprecation message.
const MaxReason = 1024

// OneLine checks text recorded as a reason: one line (no control
// characters, no line or paragraph separators) of at most MaxReason bytes.
// The ledger holds nothing else there, whoever wrote it.
func OneLine(text string) error {
	if len(text) > MaxReason {
		return fmt.Errorf("%d bytes, more than %d: say it in one line", len(text), MaxReason)
	}
	for i, c := range text {
		if c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == '\u2028' || c == '\u2029' {
			return fmt.Errorf("control character %U at byte %d: one line of text, please", c, i)
		}
	}
	return nil
}
