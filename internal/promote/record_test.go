package promote

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/ladder-release/ladder/internal/ledger/record"
	"github.com/ladder-release/ladder/internal/testutil/errtest"
)

func TestApply(t *testing.T) {
	t.Parallel()
	move := &Move{Version: b3.Version, Digest: b3.Digest, At: t0, Actor: "octocat", Decision: DecisionPromoted, Forced: true, Reason: "hotfix",
		PreviousVersion: b2.Version, PreviousDigest: b2.Digest}
	for _, tc := range []struct {
		name    string
		setup   func(*record.Document)
		dec     Decision
		check   func(*testing.T, *record.Document)
		wantErr string
	}{
		{name: "a move is appended to the label's stream, named by the claim", dec: Decision{Move: move},
			check: func(t *testing.T, d *record.Document) {
				h, _ := d.Head("label:testing")
				want := record.Entry{Version: b3.Version, Digest: b3.Digest, At: t0, Actor: "octocat", Decision: DecisionPromoted, Forced: true, Reason: "hotfix",
					PreviousVersion: b2.Version, PreviousDigest: b2.Digest, Claim: "c1"}
				if !reflect.DeepEqual(h, want) {
					t.Errorf("head = %+v, want %+v", h, want)
				}
			}},
		{name: "a move to a version the ledger does not hold is refused", dec: Decision{Move: &Move{Version: "9.9.9", At: t0}},
			wantErr: `label:testing: version "9.9.9"`},
		{name: "a quarantine is recorded on the target", dec: Decision{Target: b4, Quarantine: &Quarantine{Reason: "gate failed", Label: "testing", At: t0}},
			check: func(t *testing.T, d *record.Document) {
				if q, ok := d.Quarantined(b4.Digest); !ok || q.Reason != "gate failed" {
					t.Errorf("quarantine = %+v, %v", q, ok)
				}
			}},
		{name: "a quarantine already in force is no error",
			setup: func(d *record.Document) { _ = d.Quarantine(b4.Digest, record.Quarantine{Reason: "before", At: t0}) },
			dec:   Decision{Target: b4, Quarantine: &Quarantine{Reason: "gate failed", At: t0}},
			check: func(t *testing.T, d *record.Document) {
				if q, _ := d.Quarantined(b4.Digest); q.Reason != "before" {
					t.Errorf("quarantine = %+v, want the one before", q)
				}
			}},
		{name: "a rollback moves and holds", dec: Decision{Move: &Move{Version: b1.Version, At: t0, Decision: DecisionRollback}, SetHold: &Hold{Reason: "rolled back", At: t0}},
			check: func(t *testing.T, d *record.Document) {
				if h, _ := d.Head("label:testing"); h.Version != b1.Version {
					t.Errorf("head = %s, want %s", h.Version, b1.Version)
				}
				if h, ok := d.Held("testing"); !ok || h.Reason != "rolled back" {
					t.Errorf("hold = %+v, %v", h, ok)
				}
			}},
		{name: "a release lifts the hold",
			setup: func(d *record.Document) { _ = d.Hold("testing", record.Hold{Reason: "r", At: t0}) },
			dec:   Decision{ReleaseHold: true},
			check: func(t *testing.T, d *record.Document) {
				if _, ok := d.Held("testing"); ok {
					t.Error("still held")
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := ledgerDoc(t)
			if tc.setup != nil {
				tc.setup(d)
			}
			err := Apply(d, "testing", "channel:staging", tc.dec, "c1")
			if errtest.Failed(t, err, tc.wantErr) {
				return
			}
			tc.check(t, d)
		})
	}
}

// rollbackInput asks to roll label testing (at 1.1.0, from 1.0.0) back to
// its previous value, as Fill leaves it after the first read.
func rollbackInput(t *testing.T, d *record.Document) Input {
	in := Input{Label: "testing", Mode: ModeRollback, Actor: "octocat", Now: t0}
	Fill(&in, Candidate{From: "the label's previous value"}, StateOf(d, "testing"))
	return in
}

func TestRecorder(t *testing.T) {
	t.Parallel()
	labelAt110 := func(t *testing.T) *record.Document {
		d := ledgerDoc(t)
		// label testing at 1.1.0, from 1.0.0
		d.Streams["label:testing"] = nil
		for i, b := range []Bundle{b1, b2} {
			if err := d.Append("label:testing", record.Entry{Version: b.Version, At: t0.Add(time.Duration(i-2) * time.Hour)}); err != nil {
				t.Fatal(err)
			}
		}
		return d
	}
	t.Run("a write decides on the fresh ledger and records the decision with its claim", func(t *testing.T) {
		t.Parallel()
		d := labelAt110(t)
		w := &Recorder{Input: rollbackInput(t, d), Source: "channel:staging", Claim: "c1"}
		dec, err := w.Record(d)
		if err != nil || dec.Move == nil || dec.Move.Version != b1.Version || dec.SetHold == nil {
			t.Fatalf("Record = %+v, %v; want a rollback to %s, held", dec, err, b1.Version)
		}
		if h, _ := d.Head("label:testing"); h.Version != b1.Version || h.Claim != "c1" {
			t.Errorf("head = %+v, want %s claimed by c1", h, b1.Version)
		}
	})
	t.Run("a lost answer: the attempt finds its claim and answers with the decision that landed, not a second step back", func(t *testing.T) {
		t.Parallel()
		d := labelAt110(t)
		w := &Recorder{Input: rollbackInput(t, d), Source: "channel:staging", Claim: "c1"}
		first, err := w.Record(d)
		if err != nil {
			t.Fatal(err)
		}
		landed := d.Clone()
		again, err := w.Record(landed)
		if !errors.Is(err, record.ErrNoChange) || !reflect.DeepEqual(again, first) {
			t.Errorf("Record again = %+v, %v; want the first decision and ErrNoChange", again, err)
		}
		if h, _ := landed.Head("label:testing"); h.Version != b1.Version {
			t.Errorf("head = %s, want %s (one step back)", h.Version, b1.Version)
		}
	})
	t.Run("a conflict: the attempt that did not land decides again on the newer ledger", func(t *testing.T) {
		t.Parallel()
		d := labelAt110(t)
		w := &Recorder{Input: rollbackInput(t, d), Source: "channel:staging", Claim: "c1"}
		if _, err := w.Record(d.Clone()); err != nil { // written on a copy: lost in a conflict
			t.Fatal(err)
		}
		// meanwhile another job promoted 1.2.0: the rollback from 1.1.0 is refused
		if err := d.Append("label:testing", record.Entry{Version: b3.Version, At: t0}); err != nil {
			t.Fatal(err)
		}
		dec, err := w.Record(d)
		if !errors.Is(err, record.ErrNoChange) || !dec.Refused {
			t.Errorf("Record = %+v, %v; want a refusal that writes nothing", dec, err)
		}
	})
	t.Run("a decision that writes nothing changes nothing", func(t *testing.T) {
		t.Parallel()
		d := labelAt110(t)
		in := Input{Label: "testing", Mode: ModePromote, Now: t0}
		Fill(&in, Candidate{From: "channel staging", Bundle: &Bundle{Version: b2.Version, Digest: b2.Digest}}, StateOf(d, "testing"))
		w := &Recorder{Input: in, Source: "channel:staging", Claim: "c1"}
		dec, err := w.Record(d)
		if !errors.Is(err, record.ErrNoChange) || dec.Outcome != Noop {
			t.Errorf("Record = %+v, %v; want a noop and ErrNoChange", dec, err)
		}
	})
}

func TestDescribeWrite(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		dec  Decision
		want string
	}{
		{name: "a forced promotion from the label's value", dec: Decision{Previous: b2, Move: &Move{Version: b3.Version, Digest: b3.Digest, Decision: DecisionPromoted, Forced: true}},
			want: "promoted label testing to 1.2.0 (" + b3.Digest + ") from 1.1.0, forced"},
		{name: "a rollback and its hold", dec: Decision{Previous: b2, Move: &Move{Version: b1.Version, Digest: b1.Digest, Decision: DecisionRollback}, SetHold: &Hold{}},
			want: "rollback label testing to 1.0.0 (" + b1.Digest + ") from 1.1.0; hold label testing"},
		{name: "a quarantine", dec: Decision{Target: b4, Quarantine: &Quarantine{}},
			want: "quarantine 1.3.0 (" + b4.Digest + "): gate of label testing failed"},
		{name: "a release", dec: Decision{ReleaseHold: true}, want: "release the hold on label testing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := DescribeWrite("testing", tc.dec); got != tc.want {
				t.Errorf("DescribeWrite =\n %s\nwant\n %s", got, tc.want)
			}
		})
	}
}
