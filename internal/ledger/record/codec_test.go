package record

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ladder-release/ladder/internal/testutil/fixture"
	"github.com/ladder-release/ladder/internal/testutil/golden"
)

// example is a small ledger with every section used.
func example(t *testing.T) *Document {
	t.Helper()
	d := published(t, "elemental", ChannelStream("stable"), "1.0.0", "1.0.1", "1.1.0")
	if err := d.Append(LabelStream("current"), Entry{Version: "1.0.0", At: fixture.T0, Actor: "octocat",
		Run: "https://github.com/acme/app/actions/runs/7", Reason: "gates passed", Decision: "promoted"}); err != nil {
		t.Fatal(err)
	}
	if err := d.Append(LabelStream("current"), Entry{Version: "1.1.0", At: fixture.T0.Add(24 * time.Hour), Actor: "octocat",
		Reason: "hotfix", Decision: "promoted", Forced: true}); err != nil {
		t.Fatal(err)
	}
	if err := d.Hold("current", Hold{Reason: "rollback after \"bad\" upgrade", Actor: "octocat", At: fixture.T0.Add(25 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := d.Quarantine(fixture.Digest("1.0.1"), Quarantine{Reason: "e2e failed", Label: "current", Actor: "ci", At: fixture.T0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := d.RecordDeletion(Deletion{Version: "1.0.1", At: fixture.T0.Add(48 * time.Hour), Reason: "retention: keep 2"}); err != nil {
		t.Fatal(err)
	}
	d.Revision = 12
	return d
}

func TestMarshalGolden(t *testing.T) {
	t.Parallel()
	got := example(t).Marshal()
	golden.Compare(t, filepath.Join("testdata", "ledger.json"), got)
	if !json.Valid(got) {
		t.Error("Marshal is not valid JSON")
	}
}

func TestMarshalDeterministic(t *testing.T) {
	t.Parallel()
	a := example(t)
	first := a.Marshal()
	for i := 0; i < 20; i++ { // map iteration order varies between runs
		if got := example(t).Marshal(); !bytes.Equal(got, first) {
			t.Fatal("two equal documents marshal differently")
		}
	}
	// Times are written in UTC whatever their location.
	b := example(t)
	b.Streams["label:current"][0].At = b.Streams["label:current"][0].At.In(time.FixedZone("CET", 3600))
	if !bytes.Equal(b.Marshal(), first) {
		t.Error("a time's location changes the output")
	}
	empty := NewDocument("app").Marshal()
	want := "{\n  \"schema\": 2,\n  \"product\": \"app\",\n  \"bundles\": [],\n  \"streams\": {},\n  \"holds\": {},\n  \"quarantines\": {},\n  \"deletions\": []\n}\n"
	if string(empty) != want {
		t.Errorf("empty document:\n%s\nwant\n%s", empty, want)
	}
}

// fill sets every field of v (a pointer to a struct) to a non-zero value,
// so that a field the encoder forgets shows in a round trip.
func fill(v reflect.Value, seed string) {
	v = v.Elem()
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		if !f.CanSet() {
			continue
		}
		name := v.Type().Field(i).Name
		switch f.Kind() {
		case reflect.String:
			f.SetString(seed + "-" + name + " \"quoted\" \\ \n\t\x01 <&> é \u2028")
		case reflect.Bool:
			f.SetBool(true)
		case reflect.Int:
			f.SetInt(7)
		case reflect.Slice:
			if f.Type() == reflect.TypeOf([]string(nil)) {
				f.Set(reflect.ValueOf([]string{seed + "-" + name + " \"quoted\" \\ \n\t\x01 é", "sha-eeeeeee"}))
			}
		case reflect.Struct:
			if f.Type() == reflect.TypeOf(time.Time{}) {
				f.Set(reflect.ValueOf(time.Date(2026, 1, 2, 3, 4, 5, 600000000+i, time.UTC)))
			}
		}
	}
}

func TestRoundTripEveryField(t *testing.T) {
	t.Parallel()
	var b Bundle
	var e Entry
	var h Hold
	var q Quarantine
	var del Deletion
	var ret Retirement
	var ev RetireEvent
	for _, p := range []any{&b, &e, &h, &q, &del, &ret, &ev} {
		fill(reflect.ValueOf(p), "x")
	}
	b.Digest = fixture.Digest("b")
	// one line, and a digest: the ledger holds nothing else there (Validate)
	b.Version, b.LockDigest = `x-Version "quoted" \ <&> é`, fixture.Digest("lock")
	e.Version, e.Digest = b.Version, b.Digest
	del.Version, del.Digest = b.Version, b.Digest
	ret.Version, ret.Digest, ret.Notified = b.Version, b.Digest, ret.Notify[:1]
	ev.Stream, ev.Action = "label:current", ActionUndo
	ret.Reason, ev.Reason = `end of "life" \ <&> é`, `undo "it" \ é` // one line: the ledger holds nothing else there (OneLine)
	d := &Document{Schema: Schema, Product: "app", Revision: 7, Bundles: []Bundle{b},
		Streams:     map[string][]Entry{"label:current": {e}},
		Holds:       map[string]Hold{"current": h},
		Quarantines: map[string]Quarantine{b.Digest: q},
		Deletions:   []Deletion{del},
		Retirements: map[string]Retirement{"label:current": ret},
		RetireLog:   []RetireEvent{ev}}

	data := d.Marshal()
	got, err := Parse(data)
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	got.idx, d.idx = nil, nil
	got.sizeHint, d.sizeHint = 0, 0
	if !reflect.DeepEqual(got, d) {
		t.Errorf("round trip lost something:\n got %+v\nwant %+v", got, d)
	}
	// encoding/json reads it the same way.
	var std Document
	if err := json.Unmarshal(data, &std); err != nil || !reflect.DeepEqual(&std, d) {
		t.Errorf("encoding/json reads it differently: %v", err)
	}
	// And the invalid UTF-8 case: replaced, still valid JSON.
	b2 := Bundle{Version: "1.0.0", Digest: fixture.Digest("z"), Actor: "bad\xffbyte"}
	d2 := NewDocument("app")
	if err := d2.AddBundle(b2); err != nil {
		t.Fatal(err)
	}
	got2, err := Parse(d2.Marshal())
	if err != nil || got2.Bundles[0].Actor != "bad\ufffdbyte" {
		t.Errorf("invalid UTF-8: %v, %q", err, got2.Bundles[0].Actor)
	}
}

func TestParseRefuses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		doc    string
		schema bool // a *SchemaError
		says   string
	}{
		{"newer schema", `{"schema": 3, "product": "app"}`, true,
			"ledger schema 3 is newer than this ladder understands (2); upgrade ladder"},
		{"newer schema with fields this ladder does not know", `{"schema": 4, "product": "app", "bundles": {"new": "shape"}, "signatures": []}`, true,
			"ledger schema 4 is newer than this ladder understands (2); upgrade ladder"},
		{"no schema", `{"product": "app"}`, true, "ledger schema 0 is not valid"},
		{"unknown field", `{"schema": 1, "product": "app", "bundels": []}`, false, `unknown field "bundels"`},
		{"wrong type", `{"schema": 1, "product": "app", "bundles": [{"version": 1}]}`, false, "bundles[0].version (offset 56): want a string, found a number"},
		{"not JSON", `schema: 1`, false, "invalid character"},
		{"trailing data", `{"schema": 1, "product": "app"} {}`, false, "data after the document"},
		{"dangling stream entry", `{"schema": 1, "product": "app", "streams": {"channel:dev": [{"version": "1.0.0", "digest": "sha256:` +
			strings.Repeat("a", 64) + `", "at": "2026-11-22T01:15:00Z"}]}}`, false, `"1.0.0" was never published`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tc.doc))
			var se *SchemaError
			if err == nil || !strings.Contains(err.Error(), tc.says) || errors.As(err, &se) != tc.schema {
				t.Fatalf("got %v, want an error saying %s (schema error: %v)", err, tc.says, tc.schema)
			}
		})
	}
}

// FuzzParse: whatever the input, Parse does not panic; what it accepts,
// encoding/json reads the same way, and it survives Marshal and Parse again
// unchanged.
func FuzzParse(f *testing.F) {
	golden, err := os.ReadFile(filepath.Join("testdata", "ledger.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(golden)
	f.Add([]byte(`{"schema":1,"product":"a","bundles":null,"streams":{"label:x":null}}`))
	f.Add([]byte(`{"schema":1,"product":"a\u00e9\ud83d\ude00\n","holds":{"x":{"at":"2026-01-02T03:04:05.5+01:00"}}}`))
	f.Add([]byte(`{"schema":2}`))
	f.Add([]byte(`{"schema":1,"product":"a","bundles":[{"version":"1","digest":"sha256:` + strings.Repeat("a", 64) + `","tags":["x","sha-e",null]},{"version":"2","digest":"sha256:` + strings.Repeat("b", 64) + `","tags":[]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Parse(data)
		if err != nil {
			return
		}
		var std Document
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&std); err != nil {
			// encoding/json matches keys case-insensitively and accepts
			// what this decoder refuses only in that direction.
			t.Fatalf("Parse accepted what encoding/json refuses (%v): %q", err, data)
		}
		d.idx, d.sizeHint = nil, 0
		if !reflect.DeepEqual(normalize(&std), normalize(d)) {
			t.Fatalf("Parse and encoding/json disagree on %q:\n%+v\n%+v", data, d, &std)
		}
		again, err := Parse(d.Marshal())
		if err != nil {
			t.Fatalf("Marshal output does not parse: %v", err)
		}
		if !bytes.Equal(again.Marshal(), d.Marshal()) {
			t.Fatalf("Marshal is not stable for %q", data)
		}
	})
}

// normalize makes two equal documents DeepEqual: times in UTC, empty and nil
// the same.
func normalize(d *Document) *Document {
	c := d.Clone()
	c.idx, c.sizeHint = nil, 0
	utc := func(t *time.Time) { *t = t.UTC() }
	if len(c.Bundles) == 0 {
		c.Bundles = nil
	}
	for i := range c.Bundles {
		utc(&c.Bundles[i].Created)
	}
	for k, es := range c.Streams {
		if len(es) == 0 {
			c.Streams[k] = nil
		}
		for i := range es {
			utc(&es[i].At)
		}
	}
	if len(c.Streams) == 0 {
		c.Streams = nil
	}
	for k, h := range c.Holds {
		utc(&h.At)
		c.Holds[k] = h
	}
	if len(c.Holds) == 0 {
		c.Holds = nil
	}
	for k, q := range c.Quarantines {
		utc(&q.At)
		utc(&q.Released)
		c.Quarantines[k] = q
	}
	if len(c.Quarantines) == 0 {
		c.Quarantines = nil
	}
	if len(c.Deletions) == 0 {
		c.Deletions = nil
	}
	for i := range c.Deletions {
		utc(&c.Deletions[i].At)
	}
	for k, r := range c.Retirements {
		utc(&r.At)
		c.Retirements[k] = r
	}
	if len(c.Retirements) == 0 {
		c.Retirements = nil
	}
	c.RetireLog = slices.Clone(c.RetireLog)
	for i := range c.RetireLog {
		utc(&c.RetireLog[i].At)
	}
	if len(c.RetireLog) == 0 {
		c.RetireLog = nil
	}
	return c
}

// TestBundleTags: a bundle's view tags (the optional tags field, schema 1)
// are read and written back as they were; a document without them, as every
// ledger written before the field, reads and writes as before; a tags field
// of the wrong shape is refused naming where it is.
func TestBundleTags(t *testing.T) {
	t.Parallel()
	d := fixture.Digest("1.0.0")
	doc := func(tags string) string {
		return `{"schema": 1, "product": "app", "bundles": [{"version": "1.0.0", "digest": "` + d + `"` + tags + `}]}`
	}
	for _, tc := range []struct {
		name  string
		doc   string
		want  []string // the tags read
		line  string   // the bundle's line in Marshal's output
		fails string
	}{
		{"views written by a publish", doc(`, "tags": ["b366a24-c116a45", "sha-eeeeeee", "nightly"]`), []string{"b366a24-c116a45", "sha-eeeeeee", "nightly"},
			`{"version":"1.0.0","digest":"` + d + `","tags":["b366a24-c116a45","sha-eeeeeee","nightly"]}`, ""},
		{"a bundle recorded before the field", doc(``), nil,
			`{"version":"1.0.0","digest":"` + d + `"}`, ""},
		{"null is none", doc(`, "tags": null`), nil,
			`{"version":"1.0.0","digest":"` + d + `"}`, ""},
		{"an empty list is none, and is left out", doc(`, "tags": []`), []string{},
			`{"version":"1.0.0","digest":"` + d + `"}`, ""},
		{"a tag with characters to escape", doc(`, "tags": ["a\"b\\c\u2028"]`), []string{"a\"b\\c\u2028"},
			`{"version":"1.0.0","digest":"` + d + `","tags":["a\"b\\c\u2028"]}`, ""},
		{"not a list", doc(`, "tags": "sha-eeeeeee"`), nil, "", "bundles[0].tags (offset 158): want an array, found a string"},
		{"not a string", doc(`, "tags": ["x", 7]`), nil, "", "bundles[0].tags[1] (offset 164): want a string, found a number"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Parse([]byte(tc.doc))
			if tc.fails != "" {
				if err == nil || !strings.Contains(err.Error(), tc.fails) {
					t.Fatalf("got %v, want an error saying %s", err, tc.fails)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if b := got.Bundles[0]; !reflect.DeepEqual(b.Tags, tc.want) {
				t.Errorf("tags %#v, want %#v", b.Tags, tc.want)
			}
			var std Document // encoding/json reads the same
			if err := json.Unmarshal([]byte(tc.doc), &std); err != nil || !reflect.DeepEqual(std.Bundles[0].Tags, tc.want) {
				t.Errorf("encoding/json reads tags %#v (%v), want %#v", std.Bundles[0].Tags, err, tc.want)
			}
			out := got.Marshal()
			if !strings.Contains(string(out), "\n    "+tc.line+"\n") {
				t.Errorf("Marshal wrote\n%s\nwant the bundle's line %s", out, tc.line)
			}
			again, err := Parse(out)
			if err != nil || !bytes.Equal(again.Marshal(), out) {
				t.Errorf("Marshal's output does not read back the same (%v)", err)
			}
		})
	}
}

// TestRevisionCodec: the revision goes through Marshal and Parse (and reads
// the same with encoding/json); a document without one reads as 0 and is
// written as before; a negative or non-integer one is refused.
func TestRevisionCodec(t *testing.T) {
	d := NewDocument("app")
	mustAdd(t, d, "1.0.0")
	d.Revision = 1<<53 + 1 // past float64's integers: read as an integer
	data := d.Marshal()
	got, err := Parse(data)
	if err != nil || got.Revision != d.Revision {
		t.Fatalf("round trip: %v, revision %d, want %d\n%s", err, got.Revision, d.Revision, data)
	}
	var std Document
	if err := json.Unmarshal(data, &std); err != nil || std.Revision != d.Revision {
		t.Errorf("encoding/json: %v, revision %d", err, std.Revision)
	}
	if c := got.Clone(); c.Revision != d.Revision {
		t.Errorf("Clone lost the revision: %d", c.Revision)
	}

	legacy := []byte("{\n  \"schema\": 1,\n  \"product\": \"app\",\n  \"bundles\": [],\n  \"streams\": {},\n  \"holds\": {},\n  \"quarantines\": {},\n  \"deletions\": []\n}\n")
	old, err := Parse(legacy)
	if err != nil || old.Revision != 0 {
		t.Fatalf("a document from before revisions: %v, revision %d", err, old.Revision)
	}
	if !bytes.Equal(old.Marshal(), legacy) {
		t.Errorf("revision 0 is not written as before:\n%s", old.Marshal())
	}

	for doc, says := range map[string]string{
		`{"schema": 1, "product": "app", "revision": -1}`:                   "revision: -1, must not be negative",
		`{"schema": 1, "product": "app", "revision": 1.5}`:                  "want an integer, found 1.5",
		`{"schema": 1, "product": "app", "revision": 1e3}`:                  "want an integer, found 1e3",
		`{"schema": 1, "product": "app", "revision": 01}`:                   "want an integer, found 01",
		`{"schema": 1, "product": "app", "revision": "2"}`:                  "want a number",
		`{"schema": 1, "product": "app", "revision": 99999999999999999999}`: "want an integer",
	} {
		if _, err := Parse([]byte(doc)); err == nil || !strings.Contains(err.Error(), says) {
			t.Errorf("Parse(%s) = %v, want an error saying %s", doc, err, says)
		}
	}
}
