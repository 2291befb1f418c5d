// Package parsetest checks one case of a parse table (ladder's inputs and
// flags): no error and the wanted value, or a usage error saying wantErr.
package parsetest

import (
	"reflect"
	"strings"
	"testing"

	"github.com/ladder-release/ladder/internal/cli"
)

// Check checks one case of a parse table: no error and the want value, or an
// error that is a usage error (exit 2) and says wantErr.
func Check[T any](t testing.TB, got T, err error, want T, wantErr string) {
	t.Helper()
	switch {
	case wantErr == "" && err != nil:
		t.Fatalf("error %v", err)
	case wantErr == "" && !reflect.DeepEqual(got, want):
		t.Errorf("got %+v, want %+v", got, want)
	case wantErr != "" && err == nil:
		t.Fatalf("no error, want %q", wantErr)
	case wantErr != "" && !strings.Contains(err.Error(), wantErr):
		t.Errorf("error %q, want %q", err, wantErr)
	case wantErr != "" && !cli.IsUsage(err):
		t.Errorf("error %q is not a usage error (exit 2)", err)
	}
}
