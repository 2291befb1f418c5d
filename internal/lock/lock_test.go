package lock

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ladder-release/ladder/internal/testutil/golden"
)

func sha(c byte) string { return strings.Repeat(string(c), 40) }

func sample() Lock {
	return Lock{
		Schema:  Schema,
		Product: "elemental",
		Channel: "staging",
		Components: []Entry{
			{Name: "cli", Repo: "rancher/elemental-cli", Ref: "refs/tags/v0.2.1", Version: "0.2.1", Commit: "b366a24" + strings.Repeat("0", 33)},
			{Name: "toolkit", Repo: "rancher/elemental-toolkit", Ref: "refs/heads/main", Version: "main", Commit: "c116a45" + strings.Repeat("1", 33)},
			{Name: "os", Git: "https://git.example.com/os.git", Ref: "refs/tags/v1.0.2", Version: "1.0.2", Commit: "a123c56" + strings.Repeat("2", 33)},
		},
		Created: time.Date(2026, 11, 22, 1, 15, 0, 0, time.UTC),
	}
}

func TestGolden(t *testing.T) {
	t.Parallel()
	l := sample()
	golden.Compare(t, filepath.Join("testdata", "lock.json"), l.JSON())
	golden.Compare(t, filepath.Join("testdata", "lock.canonical.json"), l.Canonical())
	golden.Compare(t, filepath.Join("testdata", "lock.digest"), []byte(l.Digest()+"\n"))
	if got, want := l.CompositeID(), "b366a24-c116a45-a123c56"; got != want {
		t.Errorf("CompositeID = %q, want %q", got, want)
	}
}

func TestCanonicalKeysSortedAndNoTimestamp(t *testing.T) {
	t.Parallel()
	c := string(sample().Canonical())
	if strings.Contains(c, "created") || strings.Contains(c, "staging") {
		t.Errorf("canonical JSON must exclude the timestamp and channel: %s", c)
	}
	// keys of an entry in lexical order
	i := strings.Index(c, `"commit"`)
	j := strings.Index(c, `"name"`)
	k := strings.Index(c, `"version"`)
	if !(i >= 0 && i < j && j < k) {
		t.Errorf("entry keys not in lexical order: %s", c)
	}
	if strings.ContainsAny(c, " \n") {
		t.Errorf("canonical JSON has whitespace: %q", c)
	}
}

func TestDigestIgnoresTimestampAndChannel(t *testing.T) {
	t.Parallel()
	a, b := sample(), sample()
	b.Created = b.Created.Add(time.Hour)
	b.Channel = "dev"
	if a.Digest() != b.Digest() {
		t.Error("digest changed with the timestamp or channel")
	}
	b.Components[1].Commit = sha('d')
	if a.Digest() == b.Digest() {
		t.Error("digest did not change with a commit")
	}
	c := sample()
	c.Components[0], c.Components[1] = c.Components[1], c.Components[0]
	if a.Digest() == c.Digest() {
		t.Error("digest did not change with component order")
	}
}

func TestHTMLNotEscaped(t *testing.T) {
	t.Parallel()
	l := sample()
	l.Components[2].Git = "https://h/x?a=1&b=<2>"
	if !strings.Contains(string(l.Canonical()), "a=1&b=<2>") {
		t.Errorf("canonical JSON escaped HTML: %s", l.Canonical())
	}
}

func TestCompositeIDFallback(t *testing.T) {
	t.Parallel()
	l := Lock{Schema: Schema, Product: "p"}
	// 16 components: 16*7 + 15 = 127 characters, still fits.
	for i := 0; i < 16; i++ {
		l.Components = append(l.Components, Entry{Name: string(rune('a' + i)), Repo: "o/r", Ref: "r", Commit: sha("0123456789abcdef"[i])})
	}
	if id := l.CompositeID(); len(id) != 127 || strings.HasPrefix(id, "id-") {
		t.Fatalf("16 components: id %q (len %d), want the joined form of 127 characters", id, len(id))
	}
	l.Components = append(l.Components, Entry{Name: "q", Repo: "o/r", Ref: "r", Commit: sha('f')})
	id := l.CompositeID()
	want := "id-" + strings.TrimPrefix(l.Digest(), "sha256:")[:12]
	if id != want {
		t.Fatalf("17 components: id %q, want %q", id, want)
	}
}

func TestParseRoundTripAndErrors(t *testing.T) {
	t.Parallel()
	l := sample()
	got, err := Parse(l.JSON())
	if err != nil {
		t.Fatal(err)
	}
	if got.Digest() != l.Digest() || !got.Created.Equal(l.Created) {
		t.Errorf("round trip changed the lock")
	}
	cases := map[string]struct{ in, want string }{
		"not json":      {`{`, "lock: unexpected EOF"},
		"unknown field": {`{"schema":1,"product":"p","components":[],"extra":1}`, `unknown field "extra"`},
		"newer schema":  {`{"schema":2,"product":"p","components":[]}`, "lock: schema: got 2, this ladder reads 1"},
		"no product":    {`{"schema":1,"components":[]}`, "lock: product: must not be empty"},
		"no components": {`{"schema":1,"product":"p","components":[]}`, "lock: components: must not be empty"},
		"short commit":  {`{"schema":1,"product":"p","components":[{"name":"a","repo":"o/r","ref":"main","version":"main","commit":"abc"}]}`, `lock: components[0].commit (a): "abc" is not a full 40-hex`},
		"repo and git":  {`{"schema":1,"product":"p","components":[{"name":"a","repo":"o/r","git":"x","ref":"main","version":"main","commit":"` + sha('a') + `"}]}`, "lock: components[0] (a): exactly one of repo and git"},
		"duplicate":     {`{"schema":1,"product":"p","components":[{"name":"a","repo":"o/r","ref":"m","version":"m","commit":"` + sha('a') + `"},{"name":"a","repo":"o/r","ref":"m","version":"m","commit":"` + sha('a') + `"}]}`, `lock: components[1].name: "a" appears twice`},
		"no ref":        {`{"schema":1,"product":"p","components":[{"name":"a","repo":"o/r","ref":"","version":"m","commit":"` + sha('a') + `"}]}`, "lock: components[0].ref (a): must not be empty"},
		"trailing":      {`{"schema":1,"product":"p","components":[]} {}`, "trailing data"},
	}
	// a repo goes into GitHub API paths: nothing but owner/name passes
	for _, repo := range []string{"o/r/commits/x/check-runs#", "o/../../evil/fork", "o/r?x=1", "o", "o/..", "-o/r", "o/r/"} {
		cases["repo "+repo] = struct{ in, want string }{`{"schema":1,"product":"p","components":[{"name":"a","repo":` + strconv.Quote(repo) + `,"ref":"m","version":"m","commit":"` + sha('a') + `"}]}`,
			`lock: components[0].repo (a): ` + strconv.Quote(repo) + ` is not a GitHub owner/name`}
	}
	for _, repo := range []string{"o/r", "rancher/elemental-cli", "a-b/c.d_e"} { // the control
		if _, err := Parse([]byte(`{"schema":1,"product":"p","components":[{"name":"a","repo":` + strconv.Quote(repo) + `,"ref":"m","version":"m","commit":"` + sha('a') + `"}]}`)); err != nil {
			t.Errorf("repo %q: %v", repo, err)
		}
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(c.in))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Parse error = %v, want it to contain %q", err, c.want)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add(sample().JSON())
	f.Add([]byte(`{"schema":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := Parse(data)
		if err != nil {
			return
		}
		// whatever parses must print and parse back to the same digest
		again, err := Parse(l.JSON())
		if err != nil {
			t.Fatalf("re-parse of a valid lock failed: %v", err)
		}
		if again.Digest() != l.Digest() {
			t.Fatal("digest changed across a round trip")
		}
	})
}
