package record

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/Masterminds/semver/v3"
	"github.com/ladder-release/ladder/internal/testutil/fixture"
)

var smallLimits = Limits{High: 6 << 10, KeepBundles: 3, KeepEntries: 2, KeepDeletions: 2, KeepPerChannel: 2, MinMove: 4, SegmentItems: 10}

// ledgerOp is one write of a simulated ledger's life: it changes d (the
// whole ledger or a state) as an action would, deciding on what d shows.
type ledgerOp func(d *Document) error

func releaseOf(i int) string { return fmt.Sprintf("1.%d.0", i) }

func devOf(i int) string { return fmt.Sprintf("1.%d.1-dev.%d", i/7, 1000+i) }

// life is 120 writes touching every kind of item: publishes into dev and
// stable, promotions of beta (from dev) and prod (from stable), holds, a
// quarantine in force on an old bundle, one released, retention deleting
// dev beyond 5, and (write 100) a rollback of prod to a release long gone
// cold.
func life() []ledgerOp {
	var ops []ledgerOp
	for i := 0; i < 120; i++ {
		i := i
		at := fixture.T0.Add(time.Duration(i) * time.Hour)
		ops = append(ops, func(d *Document) error {
			ch, v := "dev", devOf(i)
			if i%7 == 6 {
				ch, v = "stable", releaseOf(i/7)
			}
			b := bundle(v)
			b.Channel, b.Resolved, b.Tags = ch, at, []string{"sha-" + v}
			if err := d.AddBundle(b); err != nil {
				return err
			}
			if err := d.Append(ChannelStream(ch), Entry{Version: v, At: at, Decision: "published", Claim: fmt.Sprint("c", i)}); err != nil {
				return err
			}
			switch {
			case i%3 == 0 && i < 112:
				if err := d.Append(LabelStream("beta"), Entry{Version: v, At: at, Decision: "promoted", Signature: fixture.Digest("sig", i)}); err != nil {
					return err
				}
			case ch == "stable" && i != 97:
				if err := d.Append(LabelStream("prod"), Entry{Version: v, At: at, Decision: "promoted", Forced: i == 13}); err != nil {
					return err
				}
			}
			switch i {
			case 20:
				if err := d.Quarantine(fixture.Digest(devOf(1)), Quarantine{Reason: "CVE", At: at}); err != nil {
					return err
				}
			case 25:
				if err := d.Quarantine(fixture.Digest(devOf(4)), Quarantine{Reason: "flaky", At: at}); err != nil {
					return err
				}
			case 30:
				if err := d.ReleaseQuarantine(fixture.Digest(devOf(4)), at); err != nil {
					return err
				}
			case 40:
				if err := d.Hold("prod", Hold{Reason: "freeze", At: at}); err != nil {
					return err
				}
			case 112: // beta's last move was at 111: its retirement lives in the state
				if err := d.Retire(LabelStream("beta"), Retirement{At: at, Actor: "carol", Reason: "end of life"}); err != nil {
					return err
				}
			case 100: // a rollback to a release long in the segments
				if err := d.Append(LabelStream("prod"), Entry{Version: releaseOf(2), At: at, Decision: "rollback", Forced: true}); err != nil {
					return err
				}
			}
			if i >= 3 { // retention of dev, keep 5
				for _, x := range victims(d, "dev", 5) {
					if err := d.RecordDeletion(Deletion{Version: x, At: at, Reason: "retention"}); err != nil {
						return err
					}
				}
			}
			return nil
		})
	}
	return ops
}

// victims is retention's choice (as publish.RetentionVictims makes it): the
// bundles of ch not deleted beyond the newest keep that no head holds.
func victims(d *Document, ch string, keep int) []string {
	held := map[string]bool{}
	for _, s := range d.StreamNames() {
		h, _ := d.Head(s)
		held[h.Version], held[h.PreviousVersion] = true, true
	}
	var live []string
	for _, b := range d.Bundles {
		if b.Channel == ch && !d.Deleted(b.Version) {
			live = append(live, b.Version)
		}
	}
	var out []string
	for _, v := range live[:max(0, len(live)-keep)] {
		if !held[v] {
			out = append(out, v)
		}
	}
	return out
}

// TestSplitMergeLife lives the same ledger twice: whole (one document, as
// schema 1 kept it) and as a state split after every write (its segments
// through the codec). After every write the state merged with its segments
// is the whole ledger, byte for byte; the decisions taken on the state
// (retention's victims, the version rule's highest release) are those taken
// on the whole; the state stays bounded; segments are only ever added.
func TestSplitMergeLife(t *testing.T) {
	t.Parallel()
	whole := NewDocument("app")
	state := NewDocument("app")
	var segs []*Document
	var segBytes [][]byte
	escalated := 0
	for i, op := range life() {
		if err := op(whole); err != nil {
			t.Fatalf("write %d on the whole ledger: %v", i, err)
		}
		before := len(state.Bundles)
		work := state.Clone()
		err := op(work)
		if state.History != nil && (errors.Is(err, ErrNotFound) || err == nil && work.NeedsHistory(before)) {
			escalated++
			w, merr := Merge(state, segs)
			if merr != nil {
				t.Fatalf("write %d: %v", i, merr)
			}
			if err = op(w); err == nil {
				work = Cut(w, state.History, smallLimits)
			}
		}
		if err != nil {
			t.Fatalf("write %d on the state: %v", i, err)
		}
		whole.Revision++
		work.Revision = whole.Revision
		st, added := Split(work, smallLimits)
		if err := st.Validate(); err != nil {
			t.Fatalf("write %d: the state is not valid: %v", i, err)
		}
		// through the codec, as a store writes and reads them
		parsed, err := Parse(st.Marshal())
		if err != nil {
			t.Fatalf("write %d: the state does not parse back: %v", i, err)
		}
		state = parsed
		for _, s := range added {
			data := s.Marshal()
			if len(data) > 1<<20 {
				t.Fatalf("segment %d is %d bytes", s.Segment(), len(data))
			}
			p, err := ParseSegment(data, "app", len(segs)+1)
			if err != nil {
				t.Fatalf("write %d: segment %d: %v", i, len(segs)+1, err)
			}
			segs, segBytes = append(segs, p), append(segBytes, data)
		}
		if state.EstimatedSize() > 2*smallLimits.High {
			t.Errorf("write %d: the state is %d bytes (estimated), over twice High", i, state.EstimatedSize())
		}
		merged, err := Merge(state, segs)
		if err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
		if got, want := merged.Marshal(), whole.Marshal(); !bytes.Equal(got, want) {
			t.Fatalf("write %d: the state and its segments are not the whole ledger:\n%s\nwant\n%s", i, got, want)
		}
		if got, want := victims(state, "dev", 5), victims(whole, "dev", 5); !slices.Equal(got, want) {
			t.Fatalf("write %d: retention on the state would delete %v, on the whole ledger %v", i, got, want)
		}
		if got, want := highestRelease(state.Versions()), highestRelease(whole.Versions()); got != want {
			t.Fatalf("write %d: the state's highest release is %s, the whole ledger's %s", i, got, want)
		}
		if _, ok := state.Bundle(releaseOf(2)); i == 100 && !ok { // the rollback pinned the cold release prod went back to
			t.Error("the state does not hold the bundle prod's head is")
		}
		for _, s := range state.StreamNames() { // the writes check the graph of the stream they move
			if _, err := state.Graph(s); err != nil {
				t.Fatalf("write %d: the graph of %s on the state: %v", i, s, err)
			}
		}
		if state.BundleCount() != len(whole.Bundles) {
			t.Fatalf("write %d: the state counts %d bundles, the ledger has %d", i, state.BundleCount(), len(whole.Bundles))
		}
	}
	for i, s := range segs { // never rewritten: what was written is what is there
		if !bytes.Equal(s.Marshal(), segBytes[i]) {
			t.Errorf("segment %d changed", i+1)
		}
	}
	if len(segs) < 10 || escalated == 0 {
		t.Errorf("%d segments, %d writes on the whole ledger: the life did not exercise the layout", len(segs), escalated)
	}
}

func highestRelease(versions []string) string {
	var top *semver.Version
	for _, v := range versions {
		if sv, err := semver.StrictNewVersion(v); err == nil && sv.Prerelease() == "" && (top == nil || sv.GreaterThan(top)) {
			top = sv
		}
	}
	if top == nil {
		return ""
	}
	return top.Original()
}

// TestSplitMigratesASingleDocument: a schema-1 ledger (no history) splits
// into a state and segments that merge back into it.
func TestSplitMigratesASingleDocument(t *testing.T) {
	t.Parallel()
	whole := NewDocument("app")
	for i, op := range life() {
		if err := op(whole); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	whole.Schema, whole.Revision = SchemaSingle, 120
	v1, err := Parse(whole.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	st, segs := Split(v1, smallLimits)
	if st.History == nil || len(segs) < 10 {
		t.Fatalf("no split: history %v, %d segments", st.History, len(segs))
	}
	for _, s := range segs {
		if n := len(s.Bundles) + len(s.Deletions) + len(s.Quarantines) + countEntries(s); n > smallLimits.SegmentItems {
			t.Errorf("segment %d holds %d items", s.Segment(), n)
		}
	}
	merged, err := Merge(st, segs)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(merged.Marshal(), whole.Marshal()) {
		t.Error("the migrated ledger is not the ledger")
	}
}

func countEntries(d *Document) int {
	n := 0
	for _, es := range d.Streams {
		n += len(es)
	}
	return n
}

func TestMayHold(t *testing.T) {
	t.Parallel()
	h := &History{Segments: 1, Bundles: 3, Highest: map[string]Highest{
		"dev":    {Version: "1.2.1-dev.5", Release: ""},
		"stable": {Version: "1.2.0", Release: "1.2.0"},
	}}
	for _, tc := range []struct {
		version string
		want    bool
	}{
		{"1.2.1-dev.6", false},
		{"1.3.0", false},
		{"1.2.1-dev.5", true}, // the highest itself
		{"1.2.0", true},
		{"1.1.9", true},
		{"1.2.1-dev.4", true},
		{"1.2.1-dev.0006", true}, // not strict semver
		{"not-semver", true},
	} {
		if got := h.MayHold(tc.version); got != tc.want {
			t.Errorf("MayHold(%s) = %v, want %v", tc.version, got, tc.want)
		}
	}
	if (&History{}).MayHold("1.0.0") || (*History)(nil).MayHold("1.0.0") {
		t.Error("no segments hold anything")
	}
	u := &History{Segments: 1, Bundles: 1, Unsorted: true, Highest: map[string]Highest{"dev": {Version: "1.0.0"}}}
	if !u.MayHold("9.0.0") {
		t.Error("segments holding a version that is not semver may hold anything")
	}
}

// TestVersionsOfAState: the version rule sees the highest version and
// release of every channel in segments.
func TestVersionsOfAState(t *testing.T) {
	t.Parallel()
	d := NewDocument("app")
	mustAdd(t, d, "1.3.0-dev.1")
	d.History = &History{Segments: 1, Bundles: 2, Highest: map[string]Highest{"dev": {Version: "1.2.1-dev.9", Release: "1.2.0"}}}
	if got, want := d.Versions(), []string{"1.2.1-dev.9", "1.2.0", "1.3.0-dev.1"}; !slices.Equal(got, want) {
		t.Errorf("Versions = %v, want %v", got, want)
	}
	if got, want := d.VersionsIn("dev"), []string{"1.2.1-dev.9", "1.2.0", "1.3.0-dev.1"}; !slices.Equal(got, want) {
		t.Errorf("VersionsIn(dev) = %v, want %v", got, want)
	}
	if got := d.VersionsIn("stable"); len(got) != 0 {
		t.Errorf("VersionsIn(stable) = %v", got)
	}
}

func TestMergeRefusesAMismatch(t *testing.T) {
	t.Parallel()
	whole := NewDocument("app")
	for i, op := range life()[:60] {
		if err := op(whole); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	st, segs := Split(whole, smallLimits)
	if len(segs) < 2 {
		t.Fatalf("%d segments", len(segs))
	}
	if _, err := Merge(st, segs[:len(segs)-1]); err == nil {
		t.Error("a missing segment merged")
	}
	swapped := append([]*Document{segs[1], segs[0]}, segs[2:]...)
	if _, err := Merge(st, swapped); err == nil {
		t.Error("segments out of order merged")
	}
	if _, err := ParseSegment(segs[0].Marshal(), "other", 1); err == nil {
		t.Error("another product's segment parsed")
	}
	if _, err := ParseSegment(segs[0].Marshal(), "app", 2); err == nil {
		t.Error("segment 1 parsed as segment 2")
	}
	if _, err := Parse(segs[0].Marshal()); err == nil {
		t.Error("a segment parsed as a ledger")
	}
	newer := bytes.Replace(segs[0].Marshal(), []byte(`"schema": 2`), []byte(`"schema": 3`), 1)
	var se *SchemaError
	if _, err := ParseSegment(newer, "app", 1); !errors.As(err, &se) {
		t.Errorf("a newer segment: %v, want a SchemaError", err)
	}
}

// TestSplitSegmentsStayUnderOneMB: segments are bounded by bytes as well as
// by items, so entries with long reasons (a promote-label reason, a forced
// promotion's explanation) never make a file on the ledger branch pass
// 1 MB (SPEC section 6), and the state plus its segments is still the ledger.
func TestSplitSegmentsStayUnderOneMB(t *testing.T) {
	t.Parallel()
	whole := NewDocument("app")
	long := strings.Repeat("the gate said so; ", 400) // 7.2 KB
	for i := range 400 {
		v := devOf(i)
		b := bundle(v)
		b.Channel = "dev"
		if err := whole.AddBundle(b); err != nil {
			t.Fatal(err)
		}
		if err := whole.Append(ChannelStream("dev"), Entry{Version: v, At: fixture.T0.Add(time.Duration(i) * time.Minute), Decision: "published", Reason: long}); err != nil {
			t.Fatal(err)
		}
	}
	lim := DefaultLimits // 800 items a segment: 400 entries of 7 KB are 2.9 MB
	st, segs := Split(whole, lim)
	if len(segs) < 4 {
		t.Fatalf("%d segments for 2.9 MB of entries; want them cut by bytes", len(segs))
	}
	for _, s := range segs {
		if n := len(s.Marshal()); n > MaxSegmentBytes+64<<10 || n > 1<<20 {
			t.Errorf("segment %d is %d bytes, over %d", s.Segment(), n, MaxSegmentBytes)
		}
	}
	merged, err := Merge(st, segs)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(merged.Marshal(), whole.Marshal()) {
		t.Error("the state and its segments are not the ledger")
	}
}
