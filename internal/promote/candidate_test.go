package promote

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/ladder-release/ladder/internal/ledger/record"
	"github.com/ladder-release/ladder/internal/testutil/errtest"
)

var b5 = Bundle{Version: "1.4.0+b.1", Digest: dg('5')}

// ledgerDoc: bundles 1.0.0 .. 1.3.0 entered channel staging a day apart
// (1.0.0 three days ago), 1.4.0+b.1 published but never in a stream; label
// testing (from staging) at 1.1.0 since 20 hours ago.
func ledgerDoc(t *testing.T) *record.Document {
	t.Helper()
	doc := record.NewDocument("p")
	for i, b := range []Bundle{b1, b2, b3, b4, b5} {
		if err := doc.AddBundle(record.Bundle{Version: b.Version, Digest: b.Digest, Channel: "staging", Created: t0.Add(time.Duration(i-4) * 24 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	for i, b := range []Bundle{b1, b2, b3, b4} {
		if err := doc.Append("channel:staging", record.Entry{Version: b.Version, At: t0.Add(time.Duration(i-3) * 24 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := doc.Append("label:testing", record.Entry{Version: b2.Version, At: t0.Add(-20 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	return doc
}

// state: 1.3.0 quarantined.
func state() State {
	return State{Quarantined: map[string]Quarantine{b4.Digest: {Reason: "gate failed", Label: "testing", At: t0}}, Deleted: map[string]Deletion{}}
}

func source(label, labelFrom, from string, mode Mode) Source {
	return Source{Label: label, LabelFrom: labelFrom, From: from, Mode: mode,
		Channels: []string{"dev", "staging"}, Labels: []string{"testing", "stable"}, Config: "ladder.yaml"}
}

func daysAgo(n int) time.Time { return t0.Add(time.Duration(-n) * 24 * time.Hour) }

func TestChoose(t *testing.T) {
	t.Parallel()
	skipped4 := []Move{{Version: b4.Version, Digest: b4.Digest, At: daysAgo(0), PreviousVersion: b3.Version, PreviousDigest: b3.Digest}}
	for _, tc := range []struct {
		name    string
		src     Source
		state   func(*State)
		want    Candidate
		wantErr string
	}{
		{name: "1 mode hold has no candidate", src: source("testing", "staging", "", ModeHold)},
		{name: "1 mode release has no candidate", src: source("testing", "staging", "", ModeRelease)},
		{name: "2 rollback without from: the previous value", src: source("testing", "staging", "", ModeRollback),
			want: Candidate{From: "the label's previous value"}},
		{name: "3+4 without from, the label's from: the newest value of channel staging not quarantined", src: source("testing", "staging", "", ModePromote),
			want: Candidate{Stream: "channel:staging", From: "channel staging", Bundle: &Bundle{Version: b3.Version, Digest: b3.Digest}, Entered: daysAgo(1), Skipped: skipped4}},
		{name: "4 from a label: its stream", src: source("stable", "testing", "", ModePromote),
			want: Candidate{Stream: "label:testing", From: "label testing", Bundle: &Bundle{Version: b2.Version, Digest: b2.Digest}, Entered: t0.Add(-20 * time.Hour)}},
		{name: "4 a deleted value of the stream is passed over without a word", src: source("testing", "staging", "", ModePromote),
			state: func(st *State) { st.Deleted[b3.Version] = Deletion{Digest: b3.Digest, At: t0} },
			want:  Candidate{Stream: "channel:staging", From: "channel staging", Bundle: &Bundle{Version: b2.Version, Digest: b2.Digest}, Entered: daysAgo(2), Skipped: skipped4}},
		{name: "4 an empty stream has no candidate", src: source("testing", "staging", "dev", ModePromote),
			want: Candidate{Stream: "channel:dev", From: "channel dev"}},
		{name: "4 a label cannot come from itself", src: source("testing", "staging", "testing", ModePromote),
			wantErr: "input from: label testing cannot come from itself"},
		{name: "4 rollback takes no stream", src: source("testing", "staging", "staging", ModeRollback),
			wantErr: `input from: "staging" is a stream; with mode rollback`},
		{name: "5+7 a version, soak from when it entered the label's from", src: source("testing", "staging", "1.1.0", ModePromote),
			want: Candidate{From: "version 1.1.0", Named: true, Bundle: &Bundle{Version: b2.Version, Digest: b2.Digest, Created: daysAgo(3)}, Entered: daysAgo(2)}},
		{name: "5+7 a version in its tag form (_ for +), never in the from stream: soak from its publication", src: source("testing", "staging", "1.4.0_b.1", ModePromote),
			want: Candidate{From: "version 1.4.0+b.1", Named: true, Bundle: &Bundle{Version: b5.Version, Digest: b5.Digest, Created: t0}, Entered: t0}},
		{name: "5 a version with a leading v; a quarantined one is Decide's to refuse", src: source("testing", "staging", "v1.3.0", ModePromote),
			want: Candidate{From: "version 1.3.0", Named: true, Bundle: &Bundle{Version: b4.Version, Digest: b4.Digest, Created: daysAgo(1)}, Entered: daysAgo(0)}},
		{name: "5+7 a digest, soak from when it entered the label's from, a label", src: source("stable", "testing", b2.Digest, ModeRollback),
			want: Candidate{From: "digest " + b2.Digest, Named: true, Bundle: &Bundle{Version: b2.Version, Digest: b2.Digest, Created: daysAgo(3)}, Entered: t0.Add(-20 * time.Hour)}},
		{name: "5 anything else is an input error naming the config", src: source("testing", "staging", "2.0.0", ModePromote),
			wantErr: `input from: "2.0.0" is not a channel or label of ladder.yaml, nor a version or digest the ledger holds`},
		{name: "6 a named version retention deleted is an input error", src: source("testing", "staging", "1.0.0", ModePromote),
			state: func(st *State) {
				st.Deleted[b1.Version] = Deletion{Digest: b1.Digest, At: t0, Reason: "retention keep 2"}
			},
			wantErr: `input from: "1.0.0" is version 1.0.0 (` + b1.Digest + `), which retention deleted at 2026-11-22T01:15:00Z (retention keep 2); its version tag is gone`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := state()
			if tc.state != nil {
				tc.state(&st)
			}
			got, err := Choose(ledgerDoc(t), tc.src, st)
			if errtest.Failed(t, err, tc.wantErr) {
				return
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Choose =\n %+v\nwant\n %+v", got, tc.want)
			}
		})
	}
}

func TestStateOf(t *testing.T) {
	t.Parallel()
	doc := ledgerDoc(t)
	hold := record.Hold{Reason: "incident", Actor: "octocat", At: t0}
	if err := doc.Hold("testing", hold); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{b3.Digest, b4.Digest} {
		if err := doc.Quarantine(d, record.Quarantine{Reason: "gate failed", Label: "testing", Actor: "bot", At: t0}); err != nil {
			t.Fatal(err)
		}
	}
	if err := doc.ReleaseQuarantine(b3.Digest, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := doc.RecordDeletion(record.Deletion{Version: b1.Version, At: t0, Reason: "retention keep 3"}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		label string
		want  State
	}{
		{name: "the label's history, its hold, the quarantines in force (not a released one), the deletions", label: "testing",
			want: State{
				History:     []Move{{Version: b2.Version, Digest: b2.Digest, At: t0.Add(-20 * time.Hour)}},
				Hold:        &Hold{Reason: "incident", Actor: "octocat", At: t0},
				Quarantined: map[string]Quarantine{b4.Digest: {Reason: "gate failed", Label: "testing", Actor: "bot", At: t0}},
				Deleted:     map[string]Deletion{b1.Version: {Digest: b1.Digest, At: t0, Reason: "retention keep 3"}},
			}},
		{name: "another label: no history, no hold; quarantines and deletions are everyone's", label: "stable",
			want: State{
				History:     []Move{},
				Quarantined: map[string]Quarantine{b4.Digest: {Reason: "gate failed", Label: "testing", Actor: "bot", At: t0}},
				Deleted:     map[string]Deletion{b1.Version: {Digest: b1.Digest, At: t0, Reason: "retention keep 3"}},
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := StateOf(doc, tc.label); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("StateOf =\n %+v\nwant\n %+v", got, tc.want)
			}
		})
	}
}

func TestFill(t *testing.T) {
	t.Parallel()
	history := []Move{mv(b1, nil, DecisionPromoted, t0.Add(-48*time.Hour)), mv(b2, &b1, DecisionPromoted, t0.Add(-24*time.Hour))}
	named := Candidate{From: "version 1.0.0", Named: true, Bundle: &Bundle{Version: b1.Version, Digest: b1.Digest}, Entered: t0}
	for _, tc := range []struct {
		name         string
		mode         Mode
		c            Candidate
		history      []Move
		rollbackFrom *Bundle
	}{
		{name: "a rollback to the previous value goes back from the value the first read sees", mode: ModeRollback,
			c: Candidate{From: "the label's previous value"}, history: history, rollbackFrom: &Bundle{Version: b2.Version, Digest: b2.Digest}},
		{name: "a rollback to a named candidate has no rollback-from", mode: ModeRollback, c: named, history: history},
		{name: "a rollback of a label with no history has none", mode: ModeRollback, c: Candidate{From: "the label's previous value"}},
		{name: "a promotion has none", mode: ModePromote, history: history},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := Input{Label: "testing", Mode: tc.mode}
			st := State{History: tc.history, Hold: &Hold{Reason: "r", At: t0}, Quarantined: map[string]Quarantine{}, Deleted: map[string]Deletion{}}
			Fill(&in, tc.c, st)
			if !reflect.DeepEqual(in.RollbackFrom, tc.rollbackFrom) {
				t.Errorf("RollbackFrom = %+v, want %+v", in.RollbackFrom, tc.rollbackFrom)
			}
			if in.Candidate != tc.c.Bundle || in.Named != tc.c.Named || in.From != tc.c.From || !in.Entered.Equal(tc.c.Entered) {
				t.Errorf("candidate not filled in: %+v", in)
			}
			if !reflect.DeepEqual(in.History, st.History) || in.Hold != st.Hold {
				t.Errorf("state not filled in: %+v", in)
			}
		})
	}
}

func TestNeedsHistory(t *testing.T) {
	t.Parallel()
	created := time.Date(2026, 11, 22, 1, 0, 0, 0, time.UTC)
	withHistory := func(entries map[string]int) *record.Document {
		d := record.NewDocument("app")
		d.History = &record.History{Segments: 2, Entries: entries}
		return d
	}
	named := Candidate{Named: true, Bundle: &Bundle{Version: "1.0.0", Digest: "sha256:a", Created: created}, Entered: created}
	for _, tc := range []struct {
		name   string
		doc    *record.Document
		src    Source
		cand   Candidate
		err    error
		source string
		want   bool
	}{
		{name: "no history: the whole ledger", doc: record.NewDocument("app"), err: errors.New("not found")},
		{name: "history without segments", doc: func() *record.Document { d := withHistory(nil); d.History.Segments = 0; return d }(), err: errors.New("not found")},
		{name: "1 choose failed", doc: withHistory(nil), err: errors.New("not found"), want: true},
		{name: "2 rollback, the label has older moves", doc: withHistory(map[string]int{"label:current": 3}), src: Source{Label: "current", Mode: ModeRollback}, want: true},
		{name: "2 rollback, the label's moves all in the state", doc: withHistory(map[string]int{"channel:dev": 3}), src: Source{Label: "current", Mode: ModeRollback}},
		{name: "3 no candidate, the stream has older values", doc: withHistory(map[string]int{"channel:dev": 9}), cand: Candidate{Stream: "channel:dev"}, want: true},
		{name: "3 no candidate, the stream all in the state", doc: withHistory(map[string]int{"label:qa": 9}), cand: Candidate{Stream: "channel:dev"}},
		{name: "a candidate in the stream", doc: withHistory(map[string]int{"channel:dev": 9}), cand: Candidate{Stream: "channel:dev", Bundle: &Bundle{Version: "1.0.0"}}},
		{name: "4 named, soak from publication, the from stream has older entries", doc: withHistory(map[string]int{"channel:dev": 9}), cand: named, source: "channel:dev", want: true},
		{name: "4 named, entered later than published", doc: withHistory(map[string]int{"channel:dev": 9}), cand: Candidate{Named: true, Bundle: named.Bundle, Entered: created.Add(time.Hour)}, source: "channel:dev"},
		{name: "4 named, the from stream all in the state", doc: withHistory(map[string]int{"label:qa": 9}), cand: named, source: "channel:dev"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := NeedsHistory(tc.doc, tc.src, tc.cand, tc.err, tc.source); got != tc.want {
				t.Errorf("NeedsHistory = %v, want %v", got, tc.want)
			}
		})
	}
}
