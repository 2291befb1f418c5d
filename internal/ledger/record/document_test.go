package record

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ladder-release/ladder/internal/testutil/fixture"
)

func bundle(version string) Bundle {
	return Bundle{Version: version, Digest: fixture.Digest(version), LockDigest: fixture.Digest("lock", version),
		ID: "b366a24-c116a45", Channel: "dev", Created: fixture.T0, Actor: "octocat",
		Run: "https://github.com/acme/app/actions/runs/1", ArtifactType: "application/vnd.ladder.bundle.v1+json", Mode: ModeArtifact}
}

func mustAdd(t *testing.T, d *Document, versions ...string) {
	t.Helper()
	for _, v := range versions {
		if err := d.AddBundle(bundle(v)); err != nil {
			t.Fatal(err)
		}
	}
}

func mustAppend(t *testing.T, d *Document, stream string, versions ...string) {
	t.Helper()
	for i, v := range versions {
		if err := d.Append(stream, Entry{Version: v, At: fixture.T0.Add(time.Duration(i) * time.Minute), Decision: "promoted"}); err != nil {
			t.Fatal(err)
		}
	}
}

// published is a ledger of product whose stream published versions, in
// order.
func published(t *testing.T, product, stream string, versions ...string) *Document {
	t.Helper()
	d := NewDocument(product)
	mustAdd(t, d, versions...)
	mustAppend(t, d, stream, versions...)
	return d
}

func TestAddBundle(t *testing.T) {
	t.Parallel()
	d := NewDocument("app")
	mustAdd(t, d, "1.0.0", "1.0.1")

	t.Run("same version, same digest", func(t *testing.T) {
		t.Parallel()
		err := d.AddBundle(bundle("1.0.0"))
		if !errors.Is(err, ErrAlreadyPublished) {
			t.Fatalf("got %v, want ErrAlreadyPublished", err)
		}
		if len(d.Bundles) != 2 {
			t.Errorf("%d bundles, want 2", len(d.Bundles))
		}
	})
	t.Run("same version, another digest: the tag never moves", func(t *testing.T) {
		t.Parallel()
		b := bundle("1.0.0")
		b.Digest = fixture.Digest("other")
		err := d.AddBundle(b)
		if !errors.Is(err, ErrVersionTaken) {
			t.Fatalf("got %v, want ErrVersionTaken", err)
		}
		for _, want := range []string{"1.0.0", fixture.Digest("1.0.0"), fixture.Digest("other")} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not name %s", err, want)
			}
		}
		if got, _ := d.Bundle("1.0.0"); got.Digest != fixture.Digest("1.0.0") {
			t.Errorf("1.0.0 moved to %s", got.Digest)
		}
	})
	for _, tc := range []struct {
		name string
		b    Bundle
		want string
	}{
		{"no version", Bundle{Digest: fixture.Digest("x")}, "version: must not be empty"},
		{"bad digest", Bundle{Version: "2.0.0", Digest: "latest"}, `"latest" is not an OCI digest`},
		{"bad mode", Bundle{Version: "2.0.0", Digest: fixture.Digest("x"), Mode: "tarball"}, `mode "tarball"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := d.AddBundle(tc.b)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error saying %s", err, tc.want)
			}
		})
	}
}

func TestLookups(t *testing.T) {
	t.Parallel()
	d := NewDocument("app")
	mustAdd(t, d, "1.0.0", "1.1.0", "2.0.0")
	img := Bundle{Version: "2.0.0-stable", Digest: fixture.Digest("2.0.0"), Channel: "stable", Mode: ModeImage}
	if err := d.AddBundle(img); err != nil { // an image tagged under a second version
		t.Fatal(err)
	}

	if b, ok := d.Bundle("1.1.0"); !ok || b.Digest != fixture.Digest("1.1.0") {
		t.Errorf("Bundle(1.1.0) = %v, %v", b, ok)
	}
	if _, ok := d.Bundle("9.9.9"); ok {
		t.Error("Bundle(9.9.9) found")
	}
	if b, ok := d.BundleByDigest(fixture.Digest("2.0.0")); !ok || b.Version != "2.0.0" {
		t.Errorf("BundleByDigest gives %v, %v; want the first bundle with the digest", b, ok)
	}
	if got := d.Versions(); !reflect.DeepEqual(got, []string{"1.0.0", "1.1.0", "2.0.0", "2.0.0-stable"}) {
		t.Errorf("Versions() = %v", got)
	}
	if got := d.VersionsIn("stable"); !reflect.DeepEqual(got, []string{"2.0.0-stable"}) {
		t.Errorf("VersionsIn(stable) = %v", got)
	}

	// A document whose Bundles grew behind the methods' back is re-indexed.
	d.Bundles = append(d.Bundles, bundle("3.0.0"))
	if _, ok := d.Bundle("3.0.0"); !ok {
		t.Error("a bundle appended directly is not found")
	}
}

func TestAppend(t *testing.T) {
	t.Parallel()
	d := NewDocument("app")
	mustAdd(t, d, "1.0.0", "1.1.0")
	s := LabelStream("current")

	if _, ok := d.Head(s); ok {
		t.Fatal("empty stream has a head")
	}
	mustAppend(t, d, s, "1.0.0")
	if err := d.Append(s, Entry{Version: "1.1.0", At: fixture.T0.Add(time.Hour), Actor: "octocat", Reason: "gates passed"}); err != nil {
		t.Fatal(err)
	}
	h, _ := d.Head(s)
	if h.Version != "1.1.0" || h.Digest != fixture.Digest("1.1.0") || h.PreviousVersion != "1.0.0" || h.PreviousDigest != fixture.Digest("1.0.0") {
		t.Errorf("head %+v: want 1.1.0 with its digest, previous 1.0.0 with its digest", h)
	}

	for _, tc := range []struct {
		name   string
		stream string
		e      Entry
		is     error
		says   string
	}{
		{"already there", s, Entry{Version: "1.1.0", At: fixture.T0}, ErrNoChange, "already at 1.1.0"},
		{"unpublished version", s, Entry{Version: "9.9.9", At: fixture.T0}, ErrNotFound, `"9.9.9"`},
		{"digest of another bundle", s, Entry{Version: "1.0.0", Digest: fixture.Digest("1.1.0"), At: fixture.T0}, nil, "not " + fixture.Digest("1.1.0")},
		{"no time", s, Entry{Version: "1.0.0"}, nil, "at: must be set"},
		{"bad stream key", "current", Entry{Version: "1.0.0", At: fixture.T0}, nil, "want channel:NAME or label:NAME"},
		{"bad stream kind", "branch:main", Entry{Version: "1.0.0", At: fixture.T0}, nil, "want channel:NAME or label:NAME"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := d.Append(tc.stream, tc.e)
			if err == nil || !strings.Contains(err.Error(), tc.says) || (tc.is != nil && !errors.Is(err, tc.is)) {
				t.Fatalf("got %v, want %v saying %s", err, tc.is, tc.says)
			}
		})
	}
	if n := len(d.Stream(s)); n != 2 {
		t.Errorf("%d entries after refused appends, want 2", n)
	}
}

func TestQuarantine(t *testing.T) {
	t.Parallel()
	d := NewDocument("app")
	mustAdd(t, d, "1.0.0", "1.1.0")
	bad := fixture.Digest("1.1.0")
	if err := d.Quarantine(bad, Quarantine{Reason: "e2e failed", Label: "current", Actor: "ci", At: fixture.T0}); err != nil {
		t.Fatal(err)
	}
	if !d.IsQuarantined(bad) || d.IsQuarantined(fixture.Digest("1.0.0")) {
		t.Fatal("IsQuarantined wrong")
	}
	if err := d.Quarantine(bad, Quarantine{At: fixture.T0}); !errors.Is(err, ErrNoChange) {
		t.Errorf("quarantining twice: %v, want ErrNoChange", err)
	}
	if err := d.Quarantine(fixture.Digest("nothing"), Quarantine{At: fixture.T0}); !errors.Is(err, ErrNotFound) {
		t.Errorf("quarantining an unknown digest: %v, want ErrNotFound", err)
	}

	err := d.Append(LabelStream("testing"), Entry{Version: "1.1.0", At: fixture.T0})
	if !errors.Is(err, ErrQuarantined) || !strings.Contains(err.Error(), "e2e failed") {
		t.Fatalf("appending a quarantined bundle: %v, want ErrQuarantined with the reason", err)
	}
	if err := d.Append(LabelStream("testing"), Entry{Version: "1.1.0", At: fixture.T0, Forced: true}); err != nil {
		t.Fatalf("a forced entry is refused: %v", err)
	}

	if err := d.ReleaseQuarantine(bad, fixture.T0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if d.IsQuarantined(bad) {
		t.Error("still quarantined after release")
	}
	if q := d.Quarantines[bad]; q.Reason != "e2e failed" || !q.Released.Equal(fixture.T0.Add(time.Hour)) {
		t.Errorf("released quarantine record %+v: the record stays, with the release time", q)
	}
	if err := d.ReleaseQuarantine(bad, fixture.T0); !errors.Is(err, ErrNoChange) {
		t.Errorf("releasing twice: %v, want ErrNoChange", err)
	}
}

func TestHolds(t *testing.T) {
	t.Parallel()
	d := NewDocument("app")
	if err := d.Hold("current", Hold{Reason: "rollback", Actor: "octocat", At: fixture.T0}); err != nil {
		t.Fatal(err)
	}
	if h, ok := d.Held("current"); !ok || h.Reason != "rollback" {
		t.Errorf("Held = %+v, %v", h, ok)
	}
	if err := d.Hold("", Hold{At: fixture.T0}); err == nil {
		t.Error("a hold without a label is accepted")
	}
	if !d.Release("current") || d.Release("current") {
		t.Error("Release should report true once, then false")
	}
}

func TestRecordDeletion(t *testing.T) {
	t.Parallel()
	d := published(t, "app", ChannelStream("dev"), "1.0.0", "1.1.0")

	if err := d.RecordDeletion(Deletion{Version: "1.1.0", At: fixture.T0}); err == nil || !strings.Contains(err.Error(), "channel:dev still holds 1.1.0") {
		t.Fatalf("deleting a head: %v", err)
	}
	mustAppend(t, d, LabelStream("current"), "1.0.0", "1.1.0")
	if err := d.RecordDeletion(Deletion{Version: "1.0.0", At: fixture.T0}); err == nil || !strings.Contains(err.Error(), "current-previous") {
		t.Fatalf("deleting a label's previous value: %v", err)
	}
	mustAdd(t, d, "1.2.0")
	mustAppend(t, d, LabelStream("current"), "1.2.0")
	if err := d.RecordDeletion(Deletion{Version: "1.0.0", Digest: fixture.Digest("x"), At: fixture.T0}); err == nil {
		t.Error("a deletion with the wrong digest is accepted")
	}
	if err := d.RecordDeletion(Deletion{Version: "1.0.0", At: fixture.T0, Reason: "retention keep 1"}); err != nil {
		t.Fatal(err)
	}
	if !d.Deleted("1.0.0") || d.Deleted("1.1.0") {
		t.Error("Deleted wrong")
	}
	if err := d.RecordDeletion(Deletion{Version: "1.0.0", At: fixture.T0}); !errors.Is(err, ErrNoChange) {
		t.Errorf("deleting twice: %v, want ErrNoChange", err)
	}
	// The version stays taken.
	b := bundle("1.0.0")
	b.Digest = fixture.Digest("new content")
	if err := d.AddBundle(b); !errors.Is(err, ErrVersionTaken) {
		t.Errorf("republishing a deleted version: %v, want ErrVersionTaken", err)
	}
}

// TestGraphStoryS4 is seeds/003 through the ledger: every merge publishes a
// bundle into stage; production jumps from A to D.
func TestGraphStoryS4(t *testing.T) {
	t.Parallel()
	d := published(t, "hive", ChannelStream("stage"), "A", "B", "C", "D")
	mustAppend(t, d, LabelStream("production"), "A", "D")

	prod, err := d.Graph(LabelStream("production"))
	if err != nil {
		t.Fatal(err)
	}
	e, _ := prod.Entry("D")
	if e.Replaces != "A" || !reflect.DeepEqual(e.Skips, []string{"B", "C"}) || e.Digest != fixture.Digest("D") {
		t.Errorf("production D: %+v, want replaces A, skips [B C]", e)
	}
	stage, err := d.Graph(ChannelStream("stage"))
	if err != nil {
		t.Fatal(err)
	}
	if e, _ := stage.Entry("D"); e.Replaces != "C" || len(e.Skips) != 0 {
		t.Errorf("stage D: %+v, want replaces C, skips []", e)
	}
	if g, err := d.Graph(LabelStream("nothing")); err != nil || len(g.Entries) != 0 {
		t.Errorf("graph of an empty stream: %v, %v", g, err)
	}
}

func TestValidateDocument(t *testing.T) {
	t.Parallel()
	d := published(t, "app", ChannelStream("dev"), "1.0.0")
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := d.Clone()
	bad.Bundles = append(bad.Bundles, Bundle{Version: "1.0.0", Digest: fixture.Digest("dup")})
	bad.Streams["channel:dev"] = append(bad.Streams["channel:dev"], Entry{Version: "7.0.0", Digest: fixture.Digest("7"), At: fixture.T0})
	bad.Streams["nonsense"] = nil
	bad.Quarantines = map[string]Quarantine{fixture.Digest("unknown"): {At: fixture.T0}}
	bad.Deletions = []Deletion{{Version: "1.0.0", Digest: fixture.Digest("wrong"), At: fixture.T0}}
	err := bad.Validate()
	if err == nil {
		t.Fatal("invalid document accepted")
	}
	for _, want := range []string{
		"bundles[1].version: 1.0.0 was already published by bundles[0]",
		`streams["channel:dev"][1].version: "7.0.0" was never published`,
		`stream "nonsense"`,
		"quarantines[",
		"deletions[0].digest",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q:\n%v", want, err)
		}
	}
	if d.Validate() != nil {
		t.Error("Clone shares state with the original")
	}
}

// TestValidateIsDeterministic: a ledger with several faults in maps gives
// the same error, in a stable order, every time (map iteration is random).
func TestValidateIsDeterministic(t *testing.T) {
	t.Parallel()
	d := NewDocument("elemental")
	mustAdd(t, d, "1.0.0")
	d.Quarantines = map[string]Quarantine{}
	for i := range 8 {
		d.Quarantines[fixture.Digest("gone", i)] = Quarantine{At: fixture.T0}
	}
	first := d.Validate()
	if first == nil {
		t.Fatal("quarantines of unknown bundles were accepted")
	}
	for range 20 {
		if got := d.Validate(); got.Error() != first.Error() {
			t.Fatalf("Validate gave\n%v\nthen\n%v", first, got)
		}
	}
}
