package ledger

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// entryJSON is one valid stream entry of bundle 1.0.0 (bundleJSON).
const (
	bundleJSON = `{"version": "1.0.0", "digest": "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "channel": "dev", "created": "2026-11-22T01:15:00Z"}`
	entryJSON  = `{"version": "1.0.0", "digest": "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "at": "2026-11-22T01:15:00Z"}`
)

// TestParseRefusesDuplicateKeys: a key twice in one object, at any level, is
// refused naming the key and where it is (encoding/json silently keeps the
// last one, so two readers of the same ledger could disagree).
func TestParseRefusesDuplicateKeys(t *testing.T) {
	head := `{"schema": 1, "product": "app", `
	for _, tc := range []struct {
		name string
		doc  string
		says string
	}{
		{"top-level bundles twice", head + `"bundles": [], "bundles": [` + bundleJSON + `]}`,
			`reading the ledger: offset 47: duplicate key "bundles"`},
		{"top-level schema twice", `{"schema": 1, "product": "app", "schema": 1}`,
			`reading the ledger: offset 32: duplicate key "schema"`},
		{"a key twice inside a bundle", head + `"bundles": [` + bundleJSON[:len(bundleJSON)-1] + `, "channel": "stable"}]}`,
			`reading the ledger: bundles[0] (offset 203): duplicate key "channel"`},
		{"a stream twice inside streams", head + `"bundles": [` + bundleJSON + `], "streams": {"channel:dev": [], "channel:dev": [` + entryJSON + `]}}`,
			`reading the ledger: streams (offset 236): duplicate key "channel:dev"`},
		{"a key twice inside a stream entry", head + `"bundles": [` + bundleJSON + `], "streams": {"channel:dev": [` + entryJSON[:len(entryJSON)-1] + `, "at": "2027-01-01T00:00:00Z"}]}}`,
			`reading the ledger: streams.channel:dev[0] (offset 369): duplicate key "at"`},
		{"a label twice inside holds", head + `"holds": {"current": {"reason": "a"}, "current": {"reason": "b"}}}`,
			`reading the ledger: holds (offset 70): duplicate key "current"`},
		{"a key twice inside a hold", head + `"holds": {"current": {"reason": "a", "reason": "b"}}}`,
			`reading the ledger: holds.current (offset 69): duplicate key "reason"`},
		{"the same key spelt with an escape", head + `"\u0062undles": [], "bundles": []}`,
			`reading the ledger: offset 52: duplicate key "bundles"`},
		{"many stream names, one twice", head + `"streams": {` + manyStreams(40) + `, "label:s7": []}}`,
			`duplicate key "label:s7"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.doc))
			if err == nil || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("got %v, want an error saying %s", err, tc.says)
			}
			var se *SchemaError
			if errors.As(err, &se) {
				t.Errorf("a duplicate key read as a schema error: %v", err)
			}
		})
	}
	// a second schema key is not probed as a newer schema: which one counts?
	_, err := Parse([]byte(`{"schema": 1, "product": "app", "schema": 2}`))
	var se *SchemaError
	if errors.As(err, &se) || err == nil || !strings.Contains(err.Error(), `duplicate key "schema"`) {
		t.Errorf("schema 1 then 2: %v", err)
	}
	// distinct keys in many objects still read
	doc := head + `"bundles": [` + bundleJSON + `], "streams": {` + manyStreams(40) + `, "channel:dev": [` + entryJSON + `]}}`
	if _, err := Parse([]byte(doc)); err != nil {
		t.Errorf("distinct keys: %v", err)
	}
}

func manyStreams(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = `"label:s` + itoa(i) + `": []`
	}
	return strings.Join(parts, ", ")
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

const wantObject = ": want a JSON object with schema, product, bundles, streams, holds, quarantines and deletions"

// TestParseRefusesNotAnObject: a ledger that is null, an array, a string...
// says what it is and what a ledger is, rather than reading as an empty
// document (null) or a bare type error.
func TestParseRefusesNotAnObject(t *testing.T) {
	for _, tc := range []struct{ name, doc, is string }{
		{"null", `null`, "null"},
		{"null with blanks", " \n null\n", "null"},
		{"an array", `[]`, "an array"},
		{"a string", `"{\"schema\": 1}"`, "a string"},
		{"a number", `1`, "a number"},
		{"a boolean", `true`, "a boolean"},
		{"empty", ``, "empty"},
		{"blank", "\n", "empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.doc))
			if err == nil || !strings.Contains(err.Error(), "the ledger is "+tc.is+wantObject) {
				t.Fatalf("got %v, want it to say the ledger is %s%s", err, tc.is, wantObject)
			}
		})
	}
}

// TestStoresRefuseNotAnObject: the file store and the GitHub store read
// through the same decoder: a ledger file holding null or a duplicate key is
// refused with that message, the update function never runs, and nothing is
// written.
func TestStoresRefuseNotAnObject(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct{ name, doc, says string }{
		{"null", "null\n", "the ledger is null" + wantObject},
		{"an array", "[]", "the ledger is an array" + wantObject},
		{"a duplicate key", `{"schema": 1, "product": "app", "bundles": [], "bundles": []}`, `duplicate key "bundles"`},
	} {
		t.Run("file "+tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "ledger.json")
			if err := os.WriteFile(path, []byte(tc.doc), 0o644); err != nil {
				t.Fatal(err)
			}
			s, err := File(path, "app")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Read(ctx); err == nil || !strings.Contains(err.Error(), path+": reading the ledger: ") || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("Read: %v", err)
			}
			updateRefused(t, s, says(tc.says))
			if got, _ := os.ReadFile(path); string(got) != tc.doc {
				t.Errorf("the file was rewritten: %q", got)
			}
		})
		t.Run("github "+tc.name, func(t *testing.T) {
			srv, c := sim(t)
			srv.PutFile(repo, Branch, "app.json", []byte(tc.doc), "a broken ledger")
			srv.ResetStats()
			s := ghStore(t, c)
			if _, err := s.Read(ctx); err == nil || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("Read: %v", err)
			}
			updateRefused(t, s, says(tc.says))
			onlyReads(t, srv)
		})
	}
}
