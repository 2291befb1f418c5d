package converge

import (
	"reflect"
	"strings"
	"testing"

	"github.com/ladder-release/ladder/internal/ledger/record"
)

func digest(c string) string { return "sha256:" + strings.Repeat(c, 64) }

var (
	dA   = digest("a") // bundle 1.0.0, in the ledger read
	dB   = digest("b") // bundle 1.1.0, in the ledger read
	dNew = digest("c") // another job's bundle 1.2.0, not in the read yet
	dX   = digest("d") // a manifest pushed by hand
	dY   = digest("e") // another digest the read does not hold
)

// read is a ledger read holding 1.0.0 (dA) and 1.1.0 (dB).
func read(t *testing.T) *record.Document {
	t.Helper()
	doc := record.NewDocument("p")
	for _, b := range []record.Bundle{{Version: "1.0.0", Digest: dA, Channel: "dev"}, {Version: "1.1.0", Digest: dB, Channel: "dev"}} {
		if err := doc.AddBundle(b); err != nil {
			t.Fatal(err)
		}
	}
	return doc
}

func TestRound(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		want map[string]string
		st   State
		plan Plan
	}{
		{
			name: "1 ask first: unknown tags are read, nothing else decided",
			want: map[string]string{"dev": dB, "dev-previous": dA, "beta": dB},
			st:   State{Have: map[string]string{"dev": dX}, Deferrals: 5},
			plan: Plan{Read: []string{"beta", "dev-previous"}},
		},
		{
			name: "2 agree: a tag on the ledger's digest is left alone",
			want: map[string]string{"dev": dB},
			st:   State{Have: map[string]string{"dev": dB}},
			plan: Plan{},
		},
		{
			name: "3 absent: a tag that does not exist is written",
			want: map[string]string{"dev": dB},
			st:   State{Have: map[string]string{"dev": ""}},
			plan: Plan{Write: []string{"dev"}},
		},
		{
			name: "3 ours: a tag on a bundle the read holds is written (moved forward or back to the ledger)",
			want: map[string]string{"dev": dB, "dev-previous": dA},
			st:   State{Have: map[string]string{"dev": dA, "dev-previous": dB}, Deferrals: 3},
			plan: Plan{Write: []string{"dev", "dev-previous"}},
		},
		{
			name: "4 early: a digest the read does not hold is deferred, not inspected, in the first two deferring rounds",
			want: map[string]string{"dev": dB, "beta": dA},
			st:   State{Have: map[string]string{"dev": dNew, "beta": ""}, Deferrals: 1},
			plan: Plan{Write: []string{"beta"}, Defer: []string{"dev"}},
		},
		{
			name: "5 inspect: after two deferring rounds, each unknown digest's manifest is read once, and nothing else decided",
			want: map[string]string{"a": dA, "b": dA, "c": dB, "d": dB},
			st:   State{Have: map[string]string{"a": dNew, "b": dNew, "c": dX, "d": ""}, Deferrals: 2},
			plan: Plan{Inspect: []Inspect{{Tag: "a", Digest: dNew}, {Tag: "c", Digest: dX}}},
		},
		{
			name: "6 stale read: a bundle of this product the read does not hold is deferred, the first one named",
			want: map[string]string{"dev": dB, "dev-previous": dA, "z": dA},
			st: State{Have: map[string]string{"dev": dNew, "dev-previous": dY, "z": ""}, Deferrals: 2,
				Versions: map[string][]string{dNew: {"1.2.0"}, dY: {"1.1.0", "1.3.0"}}},
			plan: Plan{Write: []string{"z"}, Defer: []string{"dev", "dev-previous"}, Stale: &Stale{Tag: "dev", Digest: dNew, Version: "1.2.0"}},
		},
		{
			name: "7 foreign: a manifest that is no bundle of this product is overwritten",
			want: map[string]string{"dev": dB},
			st:   State{Have: map[string]string{"dev": dX}, Deferrals: 2, Versions: map[string][]string{dX: nil}},
			plan: Plan{Write: []string{"dev"}},
		},
		{
			name: "7 foreign: a bundle whose versions the read all holds is overwritten",
			want: map[string]string{"dev": dB},
			st:   State{Have: map[string]string{"dev": dY}, Deferrals: 4, Versions: map[string][]string{dY: {"1.0.0"}}},
			plan: Plan{Write: []string{"dev"}},
		},
		{
			name: "8 nothing implied: settled",
			want: nil,
			st:   State{Have: map[string]string{}},
			plan: Plan{},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := Round(read(t), tc.want, tc.st)
			if !reflect.DeepEqual(got, tc.plan) {
				t.Errorf("Round =\n %+v\nwant\n %+v", got, tc.plan)
			}
		})
	}
}

func TestStop(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name            string
		plan            Plan
		settled         bool
		before, deferrs int
	}{
		{name: "8 a round that writes and defers nothing ends convergence", plan: Plan{}, settled: true, before: 2, deferrs: 0},
		{name: "8 a round that writes goes on, its count starts again", plan: Plan{Write: []string{"dev"}}, before: 3, deferrs: 0},
		{name: "8 a round that defers goes on, one more deferring round", plan: Plan{Defer: []string{"dev"}}, before: 1, deferrs: 2},
		{name: "8 a round that writes and defers counts as deferring", plan: Plan{Write: []string{"a"}, Defer: []string{"b"}}, before: 0, deferrs: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := tc.plan.Settled(); got != tc.settled {
				t.Errorf("Settled = %v, want %v", got, tc.settled)
			}
			if got := tc.plan.Deferrals(tc.before); got != tc.deferrs {
				t.Errorf("Deferrals(%d) = %d, want %d", tc.before, got, tc.deferrs)
			}
		})
	}
}

// TestRoundsReachAgreement plays rounds against a registry and a ledger
// whose reads catch up: a stale read never moves another job's newer tag
// back, and the rounds end once the read holds it.
func TestRoundsReachAgreement(t *testing.T) {
	t.Parallel()
	registry := map[string]string{"dev": dNew}
	stale := read(t)
	fresh := read(t)
	if err := fresh.AddBundle(record.Bundle{Version: "1.2.0", Digest: dNew, Channel: "dev"}); err != nil {
		t.Fatal(err)
	}
	st := State{Have: map[string]string{}, Versions: map[string][]string{}}
	for round := 0; round < 10; round++ {
		doc, want := stale, map[string]string{"dev": dB}
		if round >= 4 {
			doc, want = fresh, map[string]string{"dev": dNew}
		}
		p := Round(doc, want, st)
		for ; len(p.Read) > 0 || len(p.Inspect) > 0; p = Round(doc, want, st) {
			for _, tag := range p.Read {
				st.Have[tag] = registry[tag]
			}
			for _, m := range p.Inspect {
				st.Versions[m.Digest] = []string{"1.2.0"}
			}
		}
		for _, tag := range p.Defer {
			delete(st.Have, tag)
		}
		for _, tag := range p.Write {
			registry[tag], st.Have[tag] = want[tag], want[tag]
		}
		if registry["dev"] != dNew {
			t.Fatalf("round %d moved dev back to %s", round, registry["dev"])
		}
		if p.Settled() {
			if round != 4 {
				t.Errorf("settled in round %d, want 4 (the first fresh read)", round)
			}
			return
		}
		if round < 4 && p.Stale == nil && st.Deferrals >= 2 {
			t.Errorf("round %d: no stale tag named on a read behind the registry", round)
		}
		st.Deferrals = p.Deferrals(st.Deferrals)
	}
	t.Fatal("never settled")
}
