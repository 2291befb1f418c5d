// Package errtest checks a test case's error. It imports no ladder package,
// so any package's own tests can use it.
package errtest

import (
	"strings"
	"testing"
)

// Failed checks a case's error: with want set, err must say it (else the
// test fails now) and Failed returns true, the case is done; with want
// empty, err must be nil, and Failed returns false.
func Failed(t testing.TB, err error, want string) bool {
	t.Helper()
	if want != "" {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("err = %v, want it to say %q", err, want)
		}
		return true
	}
	if err != nil {
		t.Fatal(err)
	}
	return false
}
