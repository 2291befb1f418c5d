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

// Case is one row of a parse table: what is given (inputs or flags, by
// name), and the value wanted, or the error wanted (see Check).
type Case[T any] struct {
	Name    string
	In      map[string]string
	Want    T
	WantErr string
}

// Row is a Case written as one call, its fields in order.
func Row[T any](name string, in map[string]string, want T, wantErr string) Case[T] {
	return Case[T]{Name: name, In: in, Want: want, WantErr: wantErr}
}

// Table checks every case of a parse table, a subtest each: parse(t, In)
// gives Want, or a usage error saying WantErr (Check).
func Table[T any](t *testing.T, parse func(*testing.T, map[string]string) (T, error), cases ...Case[T]) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			got, err := parse(t, c.In)
			Check(t, got, err, c.Want, c.WantErr)
		})
	}
}

// Pure is a Table parse for a function of the map alone (flags).
func Pure[T any](parse func(map[string]string) (T, error)) func(*testing.T, map[string]string) (T, error) {
	return func(_ *testing.T, in map[string]string) (T, error) { return parse(in) }
}
