package retire

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ladder-release/ladder/internal/ledger/record"
	"github.com/ladder-release/ladder/internal/testutil/fixture"
)

const run9 = "https://github.com/acme/app/actions/runs/9"

// doc: channel stable at 1.1.0, label current at 1.0.0; channel dev never
// published; label old retired by run 7 with acme/iso told and acme/mirror
// not yet.
func doc(t *testing.T) *record.Document {
	t.Helper()
	d := record.NewDocument("elemental")
	for _, v := range []string{"1.0.0", "1.1.0"} {
		if err := d.AddBundle(record.Bundle{Version: v, Digest: fixture.Digest(v), Channel: "stable"}); err != nil {
			t.Fatal(err)
		}
		if err := d.Append(record.ChannelStream("stable"), record.Entry{Version: v, At: fixture.T0}); err != nil {
			t.Fatal(err)
		}
	}
	for _, l := range []string{"current", "old", "told"} {
		if err := d.Append(record.LabelStream(l), record.Entry{Version: "1.0.0", At: fixture.T0}); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Retire(record.LabelStream("old"), record.Retirement{At: fixture.T0, Actor: "hubot", Run: "https://github.com/acme/app/actions/runs/7", Reason: "superseded by 2.x",
		Notify: []string{"acme/iso", "acme/mirror"}}); err != nil {
		t.Fatal(err)
	}
	if err := d.MarkNotified(record.LabelStream("old"), "acme/iso"); err != nil {
		t.Fatal(err)
	}
	if err := d.Retire(record.LabelStream("told"), record.Retirement{At: fixture.T0, Run: "https://github.com/acme/app/actions/runs/7", Reason: "gone"}); err != nil {
		t.Fatal(err)
	}
	return d
}

// TestDecide: one case per rule (see the package comment).
func TestDecide(t *testing.T) {
	t.Parallel()
	now := fixture.T0.Add(48 * time.Hour)
	req := func(stream string, f func(*Request)) Request {
		r := Request{Stream: stream, Reason: "end of life", Actor: "octocat", Run: run9, Now: now, Notify: []string{"acme/iso", "acme/iso", "acme/mirror"}}
		if f != nil {
			f(&r)
		}
		return r
	}
	for _, tc := range []struct {
		name    string
		req     Request
		kind    Kind
		pending []string
		refused string // a *RefusedError saying this
		err     string // another error saying this
	}{
		{name: "retire a channel: frozen at its head, every target pending once", req: req("channel:stable", nil), kind: Retire, pending: []string{"acme/iso", "acme/mirror"}},
		{name: "retire a label", req: req("label:current", nil), kind: Retire, pending: []string{"acme/iso", "acme/mirror"}},
		{name: "retire, no target", req: req("label:current", func(r *Request) { r.Notify = nil }), kind: Retire},
		{name: "never held a bundle", req: req("channel:dev", nil), refused: "channel dev has never held a bundle"},
		{name: "already retired, all told: refused", req: req("label:told", nil), refused: "label told was already retired at 2026-11-22T01:15:00Z by someone: gone (ladder retire --undo reverses it)"},
		{name: "already retired, some not told: finish those", req: req("label:old", nil), kind: Finish, pending: []string{"acme/mirror"}},
		{name: "already retired by this very run: finish (tags)", req: req("label:told", func(r *Request) { r.Run = "https://github.com/acme/app/actions/runs/7" }), kind: Finish},
		{name: "outside Actions, no run: not taken for the same run", req: req("label:told", func(r *Request) { r.Run = "" }), refused: "already retired"},
		{name: "already retired, all told, the registry does not show it: finish (tags, catalog)", req: req("label:told", func(r *Request) { r.Run, r.Unshown = "", true }), kind: Finish},
		{name: "undo of what the registry does not show: undo", req: req("label:told", func(r *Request) { r.Undo, r.Unshown = true, true }), kind: Undo},
		{name: "not retired, the registry does not show it: retire", req: req("label:current", func(r *Request) { r.Notify, r.Unshown = nil, true }), kind: Retire},
		{name: "undo", req: req("label:told", func(r *Request) { r.Undo = true }), kind: Undo},
		{name: "undo of what is not retired", req: req("channel:stable", func(r *Request) { r.Undo = true }), refused: "channel stable is not retired: nothing to undo"},
		{name: "no reason", req: req("channel:stable", func(r *Request) { r.Reason = " " }), err: "reason: required"},
		{name: "a reason with a newline", req: req("channel:stable", func(r *Request) { r.Reason = "a\nb" }), err: "reason: control character U+000A at byte 1"},
		{name: "undo without a reason", req: req("label:told", func(r *Request) { r.Undo, r.Reason = true, "" }), err: "reason: required"},
		{name: "not a stream key", req: req("stable", nil), err: "want channel:NAME or label:NAME"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := doc(t)
			before := string(d.Marshal())
			dec, err := Decide(d, tc.req)
			if string(d.Marshal()) != before {
				t.Fatal("Decide changed the document")
			}
			var refused *RefusedError
			switch {
			case tc.refused != "":
				if !errors.As(err, &refused) || !strings.Contains(err.Error(), tc.refused) {
					t.Fatalf("got %v, want a refusal saying %q", err, tc.refused)
				}
				return
			case tc.err != "":
				if err == nil || errors.As(err, &refused) || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got %v, want an error saying %q", err, tc.err)
				}
				return
			case err != nil:
				t.Fatal(err)
			}
			if dec.Kind != tc.kind || !reflect.DeepEqual(dec.Pending, tc.pending) {
				t.Errorf("decision %v pending %v, want %v pending %v", dec.Kind, dec.Pending, tc.kind, tc.pending)
			}

			// Apply records exactly that
			applied, err := Apply(d, tc.req)
			switch tc.kind {
			case Finish:
				if !errors.Is(err, record.ErrNoChange) || string(d.Marshal()) != before {
					t.Errorf("finish recorded something: %v", err)
				}
			case Retire:
				head, _ := d.Head(tc.req.Stream)
				r, in := d.Retired(tc.req.Stream)
				if err != nil || !in || r.Version != head.Version || r.Digest != head.Digest || r.Actor != "octocat" || r.Run != run9 ||
					r.Reason != "end of life" || !r.At.Equal(now) || !reflect.DeepEqual(r.Pending(), tc.pending) || applied.Kind != Retire {
					t.Errorf("retire recorded %+v (%v)", r, err)
				}
			case Undo:
				last := d.RetireLog[len(d.RetireLog)-1]
				if _, in := d.Retired(tc.req.Stream); err != nil || in || last.Action != record.ActionUndo || last.Actor != "octocat" || last.Reason != "end of life" || last.Run != run9 {
					t.Errorf("undo recorded %+v (%v)", last, err)
				}
			}
			if err := d.Validate(); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestNotified: the dispatches that went out are recorded once; a retire
// after them all is refused.
func TestNotified(t *testing.T) {
	t.Parallel()
	d := doc(t)
	if err := Notified(d, "label:old", []string{"acme/iso"}); !errors.Is(err, record.ErrNoChange) {
		t.Errorf("already told: %v", err)
	}
	if err := Notified(d, "label:old", []string{"acme/iso", "acme/mirror"}); err != nil {
		t.Fatal(err)
	}
	if _, err := Decide(d, Request{Stream: "label:old", Reason: "again", Run: run9, Now: fixture.T0}); err == nil {
		t.Error("a retire after every target was told is not refused")
	}
	if err := Notified(d, "label:old", []string{"acme/other"}); err == nil {
		t.Error("a target the retirement does not notify was recorded")
	}
}

func TestBlocked(t *testing.T) {
	t.Parallel()
	d := doc(t)
	if why, ok := Blocked(d, "label:old"); !ok || why != "label old was retired at 2026-11-22T01:15:00Z (superseded by 2.x); it stays at 1.0.0" {
		t.Errorf("%q %v", why, ok)
	}
	if _, ok := Blocked(d, "channel:stable"); ok {
		t.Error("a stream not retired is blocked")
	}
}

func TestCheckReason(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		reason string
		ok     bool
	}{
		{"Fedora 41 reached end of life", true},
		{"fin de vie: remplacé par 2.x ✓", true},
		{"", false},
		{"   ", false},
		{"a\tb", false},
		{"a\rb", false},
		{"ansi \x1b[31mred", false},
		{"del \x7f", false},
		{"c1 \u0085", false},
		{"line \u2028 separator", false},
		{strings.Repeat("x", 1024), true},
		{strings.Repeat("x", 1025), false},
	} {
		if err := CheckReason(tc.reason); (err == nil) != tc.ok {
			t.Errorf("%q: %v", tc.reason, err)
		}
	}
}
