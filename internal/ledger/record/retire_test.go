package record

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ladder-release/ladder/internal/testutil/fixture"
)

// retiredDoc: channel stable at 1.1.0, label current at 1.0.0, channel dev
// never published.
func retiredDoc(t *testing.T) *Document {
	t.Helper()
	d := published(t, "elemental", ChannelStream("stable"), "1.0.0", "1.1.0")
	mustAppend(t, d, LabelStream("current"), "1.0.0")
	return d
}

// TestRetire: one case per rule of Document.Retire, Unretire and
// MarkNotified.
func TestRetire(t *testing.T) {
	t.Parallel()
	at := fixture.T0.Add(time.Hour)
	ok := Retirement{At: at, Actor: "octocat", Run: "https://github.com/acme/app/actions/runs/9", Reason: "end of life", Notify: []string{"acme/iso", "acme/mirror"}}
	for _, tc := range []struct {
		name   string
		stream string
		r      Retirement
		before func(d *Document)
		is     error
		says   string
	}{
		{name: "a channel, at its head", stream: ChannelStream("stable"), r: ok},
		{name: "a label", stream: LabelStream("current"), r: ok},
		{name: "the head named", stream: ChannelStream("stable"), r: Retirement{Version: "1.1.0", Digest: fixture.Digest("1.1.0"), At: at, Reason: "eol"}},
		{name: "not the head", stream: ChannelStream("stable"), r: Retirement{Version: "1.0.0", Digest: fixture.Digest("1.0.0"), At: at, Reason: "eol"}, says: "but its head is 1.1.0"},
		{name: "never held a bundle", stream: ChannelStream("dev"), r: ok, is: ErrNotFound, says: "has never held a bundle"},
		{name: "no reason", stream: ChannelStream("stable"), r: Retirement{At: at}, says: "reason: must be set"},
		{name: "no time", stream: ChannelStream("stable"), r: Retirement{Reason: "eol"}, says: "at: must be set"},
		{name: "a bad stream key", stream: "stable", r: ok, says: "want channel:NAME or label:NAME"},
		{name: "already retired", stream: ChannelStream("stable"), r: ok, is: ErrRetired, says: "already retired at 2026-11-22T02:15:00Z (end of life)",
			before: func(d *Document) {
				if err := d.Retire(ChannelStream("stable"), ok); err != nil {
					t.Fatal(err)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := retiredDoc(t)
			if tc.before != nil {
				tc.before(d)
			}
			log := len(d.RetireLog)
			err := d.Retire(tc.stream, tc.r)
			if tc.says != "" {
				if err == nil || !strings.Contains(err.Error(), tc.says) || (tc.is != nil && !errors.Is(err, tc.is)) {
					t.Fatalf("got %v, want an error saying %q", err, tc.says)
				}
				if len(d.RetireLog) != log {
					t.Error("a refused retire was logged")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			head, _ := d.Head(tc.stream)
			got, in := d.Retired(tc.stream)
			if !in || got.Version != head.Version || got.Digest != head.Digest || got.Reason != tc.r.Reason || !got.At.Equal(at) {
				t.Errorf("retirement %+v, head %+v", got, head)
			}
			ev := d.RetireLog[len(d.RetireLog)-1]
			if ev.Stream != tc.stream || ev.Action != ActionRetire || ev.Version != head.Version || ev.Reason != tc.r.Reason || ev.Actor != tc.r.Actor || ev.Run != tc.r.Run {
				t.Errorf("log event %+v", ev)
			}
			if err := d.Validate(); err != nil {
				t.Error(err)
			}
		})
	}

	t.Run("a retired stream does not move", func(t *testing.T) {
		t.Parallel()
		d := retiredDoc(t)
		if err := d.Retire(LabelStream("current"), ok); err != nil {
			t.Fatal(err)
		}
		err := d.Append(LabelStream("current"), Entry{Version: "1.1.0", At: at, Decision: "promoted", Forced: true})
		if !errors.Is(err, ErrRetired) || !strings.Contains(err.Error(), "it stays at 1.0.0") {
			t.Errorf("append to a retired label: %v", err)
		}
	})

	t.Run("undo", func(t *testing.T) {
		t.Parallel()
		d := retiredDoc(t)
		if err := d.Unretire(ChannelStream("stable"), RetireEvent{At: at, Reason: "x"}); !errors.Is(err, ErrNotRetired) {
			t.Errorf("undo of a stream not retired: %v", err)
		}
		if err := d.Retire(ChannelStream("stable"), ok); err != nil {
			t.Fatal(err)
		}
		if err := d.Unretire(ChannelStream("stable"), RetireEvent{At: at}); err == nil || !strings.Contains(err.Error(), "reason: must be set") {
			t.Errorf("undo without a reason: %v", err)
		}
		if err := d.Unretire(ChannelStream("stable"), RetireEvent{Reason: "x"}); err == nil || !strings.Contains(err.Error(), "at: must be set") {
			t.Errorf("undo without a time: %v", err)
		}
		if err := d.Unretire(ChannelStream("stable"), RetireEvent{At: at.Add(time.Hour), Actor: "hubot", Reason: "one more release", Action: "bogus", Stream: "bogus"}); err != nil {
			t.Fatal(err)
		}
		if _, in := d.Retired(ChannelStream("stable")); in {
			t.Error("still retired after undo")
		}
		want := []RetireEvent{
			{Stream: "channel:stable", Action: ActionRetire, Version: "1.1.0", Digest: fixture.Digest("1.1.0"), At: at, Actor: "octocat", Run: ok.Run, Reason: "end of life"},
			{Stream: "channel:stable", Action: ActionUndo, Version: "1.1.0", Digest: fixture.Digest("1.1.0"), At: at.Add(time.Hour), Actor: "hubot", Reason: "one more release"},
		}
		if !reflect.DeepEqual(d.RetireLog, want) {
			t.Errorf("log:\n%+v\nwant\n%+v", d.RetireLog, want)
		}
		if err := d.Append(ChannelStream("stable"), Entry{Version: "1.0.0", At: at, Decision: "published"}); err != nil {
			t.Errorf("after undo the stream moves again: %v", err)
		}
	})

	t.Run("notified", func(t *testing.T) {
		t.Parallel()
		d := retiredDoc(t)
		if err := d.MarkNotified(ChannelStream("stable"), "acme/iso"); !errors.Is(err, ErrNotRetired) {
			t.Errorf("not retired: %v", err)
		}
		if err := d.Retire(ChannelStream("stable"), ok); err != nil {
			t.Fatal(err)
		}
		c := d.Clone()
		if err := d.MarkNotified(ChannelStream("stable"), "acme/iso"); err != nil {
			t.Fatal(err)
		}
		if err := d.MarkNotified(ChannelStream("stable"), "acme/iso"); !errors.Is(err, ErrNoChange) {
			t.Errorf("twice: %v", err)
		}
		if err := d.MarkNotified(ChannelStream("stable"), "acme/other"); err == nil || !strings.Contains(err.Error(), "not one of the targets") {
			t.Errorf("a target not notified by the retirement: %v", err)
		}
		r, _ := d.Retired(ChannelStream("stable"))
		if !reflect.DeepEqual(r.Pending(), []string{"acme/mirror"}) {
			t.Errorf("pending %v", r.Pending())
		}
		if r, _ := c.Retired(ChannelStream("stable")); len(r.Notified) != 0 {
			t.Error("Clone shares the notified list")
		}
	})
}

// TestRetirementCodec: a ledger with retirements survives Marshal and Parse;
// one without writes no retirement fields (a ledger that never retired
// anything is written as before); the fields are read strictly and
// validated, with the place named.
func TestRetirementCodec(t *testing.T) {
	t.Parallel()
	d := retiredDoc(t)
	if strings.Contains(string(d.Marshal()), "retire") {
		t.Errorf("a ledger with no retirement writes retirement fields:\n%s", d.Marshal())
	}
	if err := d.Retire(ChannelStream("stable"), Retirement{At: fixture.T0, Reason: "eol \"now\"", Notify: []string{"acme/iso"}}); err != nil {
		t.Fatal(err)
	}
	if err := d.MarkNotified(ChannelStream("stable"), "acme/iso"); err != nil {
		t.Fatal(err)
	}
	data := d.Marshal()
	for _, want := range []string{
		`"retirements": {` + "\n" + `    "channel:stable": {"version":"1.1.0","digest":"` + fixture.Digest("1.1.0") + `","at":"2026-11-22T01:15:00Z","reason":"eol \"now\"","notify":["acme/iso"],"notified":["acme/iso"]}`,
		`"retireLog": [` + "\n" + `    {"stream":"channel:stable","action":"retire","version":"1.1.0"`,
	} {
		if !strings.Contains(string(data), want) {
			t.Errorf("Marshal lacks %s:\n%s", want, data)
		}
	}
	got, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := got.Retired(ChannelStream("stable")); !ok || r.Reason != `eol "now"` || len(got.RetireLog) != 1 {
		t.Errorf("round trip: %+v %+v", r, got.RetireLog)
	}

	sha := fixture.Digest("1.1.0")
	base := `{"schema":1,"product":"a","bundles":[{"version":"1.1.0","digest":"` + sha + `"}],`
	for _, tc := range []struct{ name, doc, says string }{
		{"unknown field", base + `"retirements":{"channel:x":{"version":"1.1.0","digest":"` + sha + `","at":"2026-11-22T01:15:00Z","reason":"r","why":"?"}}}`, `retirements.channel:x.why (offset`},
		{"unknown field says its name", base + `"retirements":{"channel:x":{"version":"1.1.0","digest":"` + sha + `","at":"2026-11-22T01:15:00Z","reason":"r","why":"?"}}}`, `unknown field "why"`},
		{"never published", base + `"retirements":{"channel:x":{"version":"9.9.9","digest":"` + sha + `","at":"2026-11-22T01:15:00Z","reason":"r"}}}`, `retirements["channel:x"].version: "9.9.9" was never published`},
		{"no reason", base + `"retirements":{"channel:x":{"version":"1.1.0","digest":"` + sha + `","at":"2026-11-22T01:15:00Z","reason":""}}}`, `retirements["channel:x"].reason: must be set`},
		{"bad key", base + `"retirements":{"x":{"version":"1.1.0","digest":"` + sha + `","at":"2026-11-22T01:15:00Z","reason":"r"}}}`, `retirements: stream "x"`},
		{"notified not notify", base + `"retirements":{"label:x":{"version":"1.1.0","digest":"` + sha + `","at":"2026-11-22T01:15:00Z","reason":"r","notified":["a/b"]}}}`, `retirements["label:x"].notified: "a/b" is not in notify`},
		{"log action", base + `"retireLog":[{"stream":"label:x","action":"delete","at":"2026-11-22T01:15:00Z"}]}`, `retireLog[0].action: "delete", want retire or undo`},
		{"reason on two lines", base + `"retirements":{"channel:x":{"version":"1.1.0","digest":"` + sha + `","at":"2026-11-22T01:15:00Z","reason":"eol\n::error::forged"}}}`, `retirements["channel:x"].reason: control character U+000A at byte 3`},
		{"reason too long", base + `"retirements":{"channel:x":{"version":"1.1.0","digest":"` + sha + `","at":"2026-11-22T01:15:00Z","reason":"` + strings.Repeat("x", MaxReason+1) + `"}}}`, `retirements["channel:x"].reason: 1025 bytes, more than 1024`},
		{"log reason with an escape", base + `"retireLog":[{"stream":"label:x","action":"undo","at":"2026-11-22T01:15:00Z","reason":"\u001b[31mred"}]}`, `retireLog[0].reason: control character U+001B at byte 0`},
		{"log time", base + `"retireLog":[{"stream":"label:x","action":"undo"}]}`, `retireLog[0].at: must be set`},
		{"log wrong type", base + `"retireLog":[{"stream":"label:x","action":"undo","at":5}]}`, `retireLog[0].at (offset`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := Parse([]byte(tc.doc)); err == nil || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("got %v, want an error saying %s", err, tc.says)
			}
		})
	}
}

// TestValidateRetirementsIsDeterministic: several faulty retirements give
// the same error, in sorted order, every time.
func TestValidateRetirementsIsDeterministic(t *testing.T) {
	t.Parallel()
	d := retiredDoc(t)
	d.Retirements = map[string]Retirement{}
	for _, s := range []string{"channel:a", "channel:b", "label:c", "label:d", "label:e"} {
		d.Retirements[s] = Retirement{Version: "0.0.0-" + s, At: fixture.T0, Reason: "r"}
	}
	first := d.Validate()
	if first == nil || strings.Index(first.Error(), "channel:a") > strings.Index(first.Error(), "label:e") {
		t.Fatalf("not in sorted order: %v", first)
	}
	for range 20 {
		if got := d.Validate(); got.Error() != first.Error() {
			t.Fatalf("Validate gave\n%v\nthen\n%v", first, got)
		}
	}
}
