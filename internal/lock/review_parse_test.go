package lock

import (
	"strings"
	"testing"
)

// Review finding (issue 11, points 5 and 9; the lead decides). A lock file
// with a key twice: encoding/json keeps the last one, so the commit a
// reviewer reads in the lock (the first) is not the commit build-bundle
// publishes (the second). Issue 11 refuses duplicate keys in the ledger; the
// lock is the other JSON document one job hands the next.
func TestReviewParseRefusesADuplicateKey(t *testing.T) {
	t.Parallel()
	l := sample()
	data := string(l.JSON())
	first := l.Components[0].Commit
	dup := strings.Replace(data, `"commit": "`+first+`"`, `"commit": "`+first+`", "commit": "`+sha('f')+`"`, 1)
	if dup == data {
		t.Fatal("setup: the first commit was not found")
	}
	got, err := Parse([]byte(dup))
	if err == nil {
		t.Fatalf("Parse took a lock whose commit appears twice (%s, then %s): it publishes %s", first, sha('f'), got.Components[0].Commit)
	}
	if want := `lock.components[0]: key "commit" appears twice`; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not say %q", err, want)
	}
	if _, err := Parse(l.JSON()); err != nil {
		t.Errorf("the lock without the duplicate: %v", err)
	}
}
