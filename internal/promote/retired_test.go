package promote

import (
	"strings"
	"testing"
	"time"

	"github.com/ladder-release/ladder/internal/ledger/record"
)

func TestRetiredDecision(t *testing.T) {
	t.Parallel()
	at := t0.Add(-24 * time.Hour)
	retired := func(streams ...string) *record.Document {
		d := ledgerDoc(t)
		for _, s := range streams {
			if err := d.Retire(s, record.Retirement{At: at, Actor: "carol", Reason: "end of the 1.x line"}); err != nil {
				t.Fatal(err)
			}
		}
		return d
	}
	for _, tc := range []struct {
		name       string
		doc        *record.Document
		mode       Mode
		fromStream string
		ok         bool
		why        string
	}{
		{name: "nothing retired", doc: retired(), mode: ModePromote, fromStream: "channel:staging"},
		{name: "the label retired", doc: retired("label:testing"), mode: ModePromote, fromStream: "channel:staging",
			ok: true, why: "label testing was retired at 2026-11-21T01:15:00Z (end of the 1.x line); it stays at 1.1.0: nothing written"},
		{name: "the label retired, any mode", doc: retired("label:testing"), mode: ModeRelease, ok: true},
		{name: "its from retired", doc: retired("channel:staging"), mode: ModePromote, fromStream: "channel:staging",
			ok: true, why: "label testing promotes from channel staging was retired"},
		{name: "its from retired, a rollback is not refused", doc: retired("channel:staging"), mode: ModeRollback, fromStream: "channel:staging"},
		{name: "from names a version: no from stream", doc: retired("channel:staging"), mode: ModePromote},
		{name: "another stream retired", doc: retired("channel:staging"), mode: ModePromote, fromStream: "label:beta"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dec, ok := RetiredDecision(tc.doc, "testing", tc.mode, tc.fromStream)
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v (%+v)", ok, tc.ok, dec)
			}
			if !ok {
				return
			}
			if dec.Outcome != Retired || dec.Writes() || !strings.Contains(dec.Reason, tc.why) {
				t.Errorf("decision %+v, want retired, nothing written, reason with %q", dec, tc.why)
			}
			if h, _ := tc.doc.Head(record.LabelStream("testing")); dec.Target.Version != h.Version {
				t.Errorf("target %s, want the label's head %s", dec.Target.Version, h.Version)
			}
		})
	}
}

// TestRecorderAnswersARetirementThatLandedMeanwhile: a retirement recorded
// between promote-label's first read and its write is answered Retired by
// the write, which writes nothing.
func TestRecorderAnswersARetirementThatLandedMeanwhile(t *testing.T) {
	t.Parallel()
	d := ledgerDoc(t)
	in := Input{Label: "testing", Mode: ModePromote, Now: t0, Candidate: &b3}
	if err := d.Retire(record.ChannelStream("staging"), record.Retirement{At: t0, Reason: "eol"}); err != nil {
		t.Fatal(err)
	}
	rec := &Recorder{Input: in, Source: "channel:staging", FromStream: "channel:staging", Claim: "c1"}
	before := string(d.Marshal())
	dec, err := rec.Record(d)
	if dec.Outcome != Retired || err == nil || string(d.Marshal()) != before {
		t.Errorf("Record on a ledger whose from is retired: %+v, %v; want Retired, record.ErrNoChange, nothing changed", dec, err)
	}
}
