package ledger

import (
	"context"
	"strings"
	"testing"
)

// The fixtures of the store tests (the document's are record's).

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
