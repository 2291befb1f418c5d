package ledger

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ladder-release/ladder/internal/testutil/fixture"
)

// The fixtures of the store tests (record's own tests have theirs).

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

// updateRefused runs an Update of s that must fail with an error ok accepts,
// without running its fn.
func updateRefused(t *testing.T, s Store, ok func(error) bool) {
	t.Helper()
	called := false
	_, err := s.Update(context.Background(), Message{What: "publish"}, func(*Document) error { called = true; return nil })
	if !ok(err) {
		t.Fatalf("Update: %v", err)
	}
	if called {
		t.Error("fn ran on a ledger this ladder cannot read")
	}
}

// says is an ok for updateRefused: an error that says what.
func says(what string) func(error) bool {
	return func(err error) bool { return err != nil && strings.Contains(err.Error(), what) }
}

func mustAppend(t *testing.T, d *Document, stream string, versions ...string) {
	t.Helper()
	for i, v := range versions {
		if err := d.Append(stream, Entry{Version: v, At: fixture.T0.Add(time.Duration(i) * time.Minute), Decision: "promoted"}); err != nil {
			t.Fatal(err)
		}
	}
}
