package publish

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ladder-release/ladder/internal/ledger/record"
	"github.com/ladder-release/ladder/internal/testutil/fixture"
)

func TestRedo(t *testing.T) {
	const runA, runB = "https://github.com/acme/app/actions/runs/1", "https://github.com/acme/app/actions/runs/2"
	d := record.NewDocument("p")
	for i, b := range []record.Bundle{
		{Version: "1.0.0", Channel: "dev"}, {Version: "1.0.1", Channel: "dev"}, {Version: "1.0.2", Channel: "dev"},
		{Version: "1.0.3", Channel: "dev"}, {Version: "2.0.0", Channel: "staging"}, {Version: "1.0.4", Channel: "dev"},
	} {
		b.Digest = "sha256:" + sha("m", i)
		if err := d.AddBundle(b); err != nil {
			t.Fatal(err)
		}
	}
	// recorded deleted, by which run; 1.0.4 is not deleted
	for _, del := range []record.Deletion{{Version: "1.0.3", Run: runA}, {Version: "1.0.0", Run: runB}, {Version: "1.0.1"}, {Version: "2.0.0", Run: runA}, {Version: "1.0.2", Run: runA}} {
		del.At = fixture.T0
		if err := d.RecordDeletion(del); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name, ch, own, run string
		sweep              bool
		want               string
	}{
		{name: "own recorded deleted: its tags go again", ch: "dev", own: "1.0.0", run: runA, want: "1.0.0"},
		{name: "own not deleted: nothing", ch: "dev", own: "1.0.4", run: runA, want: ""},
		{name: "without sweep, this run's earlier deletions are not redone", ch: "dev", own: "", run: runA, want: ""},
		{name: "sweep: this run's deletions in the channel, by version, and own's", ch: "dev", own: "1.0.1", run: runA, sweep: true, want: "1.0.1 1.0.2 1.0.3"},
		{name: "sweep: own's once when this run also recorded it", ch: "dev", own: "1.0.2", run: runA, sweep: true, want: "1.0.2 1.0.3"},
		{name: "sweep: another run's deletions stay as they are", ch: "dev", own: "", run: runB, sweep: true, want: "1.0.0"},
		{name: "sweep outside a workflow run: only own's, not the deletions without a run", ch: "dev", own: "1.0.3", run: "", sweep: true, want: "1.0.3"},
		{name: "another channel's deletions are not this channel's to redo", ch: "staging", own: "1.0.3", run: runA, sweep: true, want: "2.0.0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, b := range Redo(d, tc.ch, tc.own, tc.run, tc.sweep) {
				got = append(got, b.Version)
			}
			if strings.Join(got, " ") != tc.want {
				t.Errorf("Redo = %v, want %q", got, tc.want)
			}
		})
	}
	t.Run("a deletion recorded twice (a ledger edited by hand) is redone once", func(t *testing.T) {
		twice := d.Clone()
		twice.Deletions = append(twice.Deletions, record.Deletion{Version: "1.0.2", Run: runA, At: fixture.T0})
		if got := Redo(twice, "dev", "1.0.2", runA, false); len(got) != 1 {
			t.Errorf("Redo = %v, want 1.0.2 once", got)
		}
	})
}

func TestRecordDeletion(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(t *testing.T, l *ledger) // what happened since 0.0.1 was chosen (0.0.2 is a victim still)
		want   bool
	}{
		{name: "still a victim: recorded", change: func(*testing.T, *ledger) {}, want: true},
		{name: "a label moved onto it since: not recorded", want: false, change: func(t *testing.T, l *ledger) {
			if err := l.doc.Append(record.LabelStream("testing"), record.Entry{Version: "0.0.1", At: fixture.T0}); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "another job recorded it since: not recorded again", want: false, change: func(t *testing.T, l *ledger) {
			if err := l.doc.RecordDeletion(record.Deletion{Version: "0.0.1", At: fixture.T0, Reason: "theirs"}); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newLedger(t)
			for i := 1; i <= 4; i++ { // keep 2: 0.0.1 and 0.0.2 are victims
				l.publish(req("dev", bump, lockAt(i, time.Duration(i)*time.Second)))
			}
			tc.change(t, l)
			before := len(l.doc.Deletions)
			recorded, err := RecordDeletion(l.doc, "dev", 2, record.Deletion{Version: "0.0.1", At: fixture.T0, Reason: "retention keep 2 of channel dev"})
			if recorded != tc.want {
				t.Fatalf("RecordDeletion = %v, %v; want %v", recorded, err, tc.want)
			}
			if !tc.want {
				if !errors.Is(err, record.ErrNoChange) || len(l.doc.Deletions) != before {
					t.Errorf("err = %v, deletions %d -> %d: want ErrNoChange and nothing recorded", err, before, len(l.doc.Deletions))
				}
				return
			}
			if err != nil || !l.doc.Deleted("0.0.1") || l.doc.Deletions[before].Reason != "retention keep 2 of channel dev" {
				t.Errorf("err = %v, deletions %+v: want 0.0.1 recorded", err, l.doc.Deletions)
			}
		})
	}
}
