package ledger

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Hostile or corrupt ledgers in the state + history layout: each gives a
// clear error naming the file and the field, and changes nothing.

// TestHugeSegmentCountRefused: a state claiming far more segments than any
// ledger holds is an error naming the missing segment, not an allocation of
// a slice of that many (which kills the process).
func TestHugeSegmentCountRefused(t *testing.T) {
	ctx := context.Background()
	state := []byte(`{"schema": 2, "product": "app", "revision": 3, "history": {"segments": 1000000000000, "bundles": 0, "deletions": 0, "pinned": 0, "pinnedDeletions": 0}}`)
	path := filepath.Join(t.TempDir(), "ledger.json")
	if err := os.WriteFile(path, state, 0o644); err != nil {
		t.Fatal(err)
	}
	fs, _ := File(path, "app")
	srv, c := sim(t)
	srv.Commit(repo, Branch, "create the ledger branch")
	srv.PutFile(repo, Branch, "app.json", state, "hostile")
	for name, s := range map[string]Store{"file": fs, "github": ghStore(t, c)} {
		t.Run(name, func(t *testing.T) {
			var err error
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Fatalf("ReadAll panicked: %v", r)
					}
				}()
				_, err = s.ReadAll(ctx)
			}()
			t.Log(err)
			if err == nil || !strings.Contains(err.Error(), "000001.json") {
				t.Errorf("ReadAll: %v, want an error naming the missing segment 000001.json", err)
			}
		})
	}
	if got, _ := os.ReadFile(path); string(got) != string(state) {
		t.Error("the state was changed")
	}
}
