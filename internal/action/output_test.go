package action_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sethvargo/go-githubactions"

	"github.com/ladder-release/ladder/internal/action"
	"github.com/ladder-release/ladder/internal/action/actiontest"
)

// mapEnv is a getenv over a map that fails the test on a key it was not
// given, except the ones listed in allowed.
func mapEnv(t testing.TB, vars map[string]string, allowed ...string) action.Getenv {
	return func(key string) string {
		if v, ok := vars[key]; ok {
			return v
		}
		for _, a := range allowed {
			if a == key {
				return ""
			}
		}
		t.Errorf("getenv(%q): not set by the test", key)
		return ""
	}
}

// wantEach checks f, named name, on each input of cases: f(in) is want.
func wantEach(t *testing.T, name string, f func(string) string, cases map[string]string) {
	t.Helper()
	for in, want := range cases {
		if got := f(in); got != want {
			t.Errorf("%s(%q) = %q, want %q", name, in, got, want)
		}
	}
}

// outputRunner returns a Runner writing outputs to a fresh file, and a
// function reading the records back as the runner would.
func outputRunner(t testing.TB, opts ...action.Option) (*action.Runner, func() []actiontest.Record) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "github_output")
	r := action.New(mapEnv(t, map[string]string{"GITHUB_OUTPUT": path}), io.Discard, opts...)
	return r, func() []actiontest.Record {
		t.Helper()
		data, err := os.ReadFile(path)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		recs, err := actiontest.ParseOutputFile(data)
		if err != nil {
			t.Fatalf("parsing GITHUB_OUTPUT: %v\n%q", err, data)
		}
		return recs
	}
}

// zeros is an endless source of zero bytes: every token it yields is
// 00000000-0000-4000-8000-000000000000.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

const zeroDelim = "ghadelimiter_00000000-0000-4000-8000-000000000000"

// tricky are values that break naive writers or naive parsers.
var tricky = map[string]string{
	"empty":              "",
	"plain":              "v1.2.3",
	"spaces":             "  padded  ",
	"LF":                 "a\nb",
	"CR":                 "a\rb",
	"CRLF":               "a\r\nb",
	"trailing LF":        "a\n",
	"trailing CRLF":      "a\r\n",
	"leading LF":         "\na",
	"only LF":            "\n",
	"LFs":                "\n\n\n",
	"lone CR":            "\r",
	"heredoc marker":     "x<<y",
	"heredoc only":       "<<",
	"equals":             "a=b",
	"fixed delimiter":    "a\n_GitHubActionsFileCommandDelimeter_\nforged<<_GitHubActionsFileCommandDelimeter_\nevil\n_GitHubActionsFileCommandDelimeter_",
	"toolkit prefix":     "ghadelimiter_\nghadelimiter_",
	"EOF line":           "\nEOF\n",
	"forged name=value":  "x\nforged=evil",
	"forged heredoc":     "x\nforged<<EOF\nevil\nEOF",
	"workflow command":   "x\n::set-output name=forged::evil\n::add-mask::x",
	"NUL":                "a\x00b",
	"unicode":            "ünïcödé ✓ \u2028 \u0085",
	"json":               `{"a":"b","c":["d"]}`,
	"labels":             "org.opencontainers.image.revision=abc\norg.opencontainers.image.version=1.0.0",
	"percent":            "%0A%25",
	"the zero delimiter": zeroDelim, // a value holding the next delimiter
}

func TestSetOutputRoundTrip(t *testing.T) {
	t.Parallel()
	for name, value := range tricky {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r, records := outputRunner(t)
			if err := r.SetOutput("before", "1"); err != nil {
				t.Fatal(err)
			}
			if err := r.SetOutput("out", value); err != nil {
				t.Fatalf("SetOutput(%q): %v", value, err)
			}
			if err := r.SetOutput("after", "2"); err != nil {
				t.Fatal(err)
			}
			want := []actiontest.Record{rec("before", "1"), rec("out", value), rec("after", "2")}
			if got := records(); !equalRecords(got, want) {
				t.Errorf("records = %q, want %q", got, want)
			}
		})
	}
}

func TestSetOutputWithActiontest(t *testing.T) {
	t.Parallel()
	meta := &actiontest.Metadata{Outputs: map[string]actiontest.Output{"lock": {Description: "d"}, "labels": {Description: "d"}}}
	env := actiontest.Env(t, meta, nil, nil)
	r := env.Runner()
	for _, v := range []string{tricky["fixed delimiter"], tricky["labels"]} {
		if err := r.SetOutput("labels", v); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.SetOutput("lock", `{"id":"abc"}`); err != nil {
		t.Fatal(err)
	}
	got := env.Outputs()
	want := map[string]string{"labels": tricky["labels"], "lock": `{"id":"abc"}`}
	if len(got) != len(want) || got["labels"] != want["labels"] || got["lock"] != want["lock"] {
		t.Errorf("Outputs() = %q, want %q", got, want)
	}
	actiontest.CheckOutputs(t, meta, r.OutputsSet())
	if got, want := strings.Join(r.OutputsSet(), ","), "labels,lock"; got != want {
		t.Errorf("OutputsSet() = %s, want %s", got, want)
	}
}

func TestSetOutputRecordFormat(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "out")
	r := action.New(mapEnv(t, map[string]string{"GITHUB_OUTPUT": path}), io.Discard, action.WithRandom(zeros{}))
	if err := r.SetOutput("lock-file", "ladder-lock.json"); err != nil {
		t.Fatal(err)
	}
	if err := r.SetOutput("labels", "a=1\nb=2"); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := "lock-file<<" + zeroDelim + "\nladder-lock.json\n" + zeroDelim + "\n" +
		"labels<<" + zeroDelim + "\na=1\nb=2\n" + zeroDelim + "\n"
	if string(data) != want {
		t.Errorf("file =\n%q\nwant\n%q", data, want)
	}
}

// A value (or name) holding the delimiter drawn makes SetOutput draw another.
func TestSetOutputRedrawsDelimiter(t *testing.T) {
	t.Parallel()
	ones := bytes.Repeat([]byte{0xff}, 16)
	const onesDelim = "ghadelimiter_ffffffff-ffff-4fff-bfff-ffffffffffff"
	for _, tc := range []struct{ name, value string }{
		{"out", "x\n" + zeroDelim + "\nforged<<" + zeroDelim + "\nevil"},
		{"out", zeroDelim},
		{"x" + zeroDelim, "v"}, // names may hold letters, digits, - and _
	} {
		path := filepath.Join(t.TempDir(), "out")
		random := io.MultiReader(bytes.NewReader(make([]byte, 16)), bytes.NewReader(ones))
		r := action.New(mapEnv(t, map[string]string{"GITHUB_OUTPUT": path}), io.Discard, action.WithRandom(random))
		if err := r.SetOutput(tc.name, tc.value); err != nil {
			t.Fatal(err)
		}
		data, _ := os.ReadFile(path)
		want := tc.name + "<<" + onesDelim + "\n" + tc.value + "\n" + onesDelim + "\n"
		if string(data) != want {
			t.Errorf("file =\n%q\nwant\n%q", data, want)
		}
	}

	// A broken random source that always yields the same token: give up
	// with an error rather than write a forgeable record.
	path := filepath.Join(t.TempDir(), "out")
	r := action.New(mapEnv(t, map[string]string{"GITHUB_OUTPUT": path}), io.Discard, action.WithRandom(zeros{}))
	if err := r.SetOutput("out", zeroDelim); err == nil {
		t.Error("SetOutput with a value holding the only possible delimiter: no error")
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("file written after a failed SetOutput (stat: %v)", err)
	}
}

func TestSetOutputRejectsBadNames(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"", "a b", "a=b", "a<<b", "a\n", "a\nforged", "ä", "a.b", "a:b", " a"} {
		r, records := outputRunner(t)
		if err := r.SetOutput(name, "v"); err == nil {
			t.Errorf("SetOutput(%q): no error", name)
		}
		if got := records(); len(got) != 0 {
			t.Errorf("SetOutput(%q) wrote %q", name, got)
		}
		if got := r.OutputsSet(); len(got) != 0 {
			t.Errorf("SetOutput(%q): OutputsSet() = %q", name, got)
		}
	}
}

// Outside a runner, outputs are printed for a person or a script.
func TestSetOutputCLI(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, value, want string }{
		{"id", "abc1234-def5678", "id=abc1234-def5678\n"},
		{"empty", "", "empty=\n"},
		{"labels", "a=1\nb=2", "labels<<EOF\na=1\nb=2\nEOF\n"},
		{"cr", "a\rb", "cr<<EOF\na\rb\nEOF\n"},
		{"eof", "x\nEOF\nEOF1", "eof<<EOF2\nx\nEOF\nEOF1\nEOF2\n"},
		{"EOF", "x\ny", "EOF<<EOF1\nx\ny\nEOF1\n"},
	} {
		var stdout bytes.Buffer
		r := action.New(mapEnv(t, nil, "GITHUB_OUTPUT"), &stdout)
		if err := r.SetOutput(tc.name, tc.value); err != nil {
			t.Fatal(err)
		}
		if stdout.String() != tc.want {
			t.Errorf("SetOutput(%q, %q) printed %q, want %q", tc.name, tc.value, stdout.String(), tc.want)
		}
		// What is printed parses back (heredocs with a delimiter absent
		// from the value).
		recs, err := actiontest.ParseOutputFile(stdout.Bytes())
		if err != nil || len(recs) != 1 || recs[0] != (actiontest.Record{Name: tc.name, Value: tc.value}) {
			t.Errorf("printed output parses to %q, %v", recs, err)
		}
		if got := r.OutputsSet(); len(got) != 1 || got[0] != tc.name {
			t.Errorf("OutputsSet() = %q", got)
		}
	}

	// A value that looks like a workflow command is printed with commands
	// stopped, so a runner reading stdout processes none of it.
	var stdout bytes.Buffer
	r := action.New(mapEnv(t, nil, "GITHUB_OUTPUT"), &stdout, action.WithRandom(zeros{}))
	if err := r.SetOutput("msg", "x\n::add-mask::y"); err != nil {
		t.Fatal(err)
	}
	const tok = "00000000-0000-4000-8000-000000000000"
	want := "::stop-commands::" + tok + "\nmsg<<EOF\nx\n::add-mask::y\nEOF\n::" + tok + "::\n"
	if stdout.String() != want {
		t.Errorf("printed %q, want %q", stdout.String(), want)
	}
}

// sethvargo/go-githubactions writes every output with one fixed delimiter and
// never checks the value: a value holding it forges records. Ours does not.
func TestGoGitHubActionsOutputCanBeForged(t *testing.T) {
	t.Parallel()
	value := "x\n_GitHubActionsFileCommandDelimeter_\nlock=stolen\nforged<<_GitHubActionsFileCommandDelimeter_\nevil"

	path := filepath.Join(t.TempDir(), "theirs")
	theirs := githubactions.New(
		githubactions.WithGetenv(func(k string) string { return map[string]string{"GITHUB_OUTPUT": path}[k] }),
		githubactions.WithWriter(io.Discard),
	)
	theirs.SetOutput("out", value)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := actiontest.ParseOutputFile(data)
	if err != nil {
		t.Fatal(err)
	}
	forged := []actiontest.Record{rec("out", "x"), rec("lock", "stolen"), rec("forged", "evil")}
	if !equalRecords(got, forged) {
		t.Fatalf("go-githubactions: records = %q; expected the forgery %q (has the library changed?)", got, forged)
	}

	r, records := outputRunner(t)
	if err := r.SetOutput("out", value); err != nil {
		t.Fatal(err)
	}
	if got, want := records(), []actiontest.Record{rec("out", value)}; !equalRecords(got, want) {
		t.Errorf("action: records = %q, want %q", got, want)
	}
}

var validName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// FuzzSetOutput: whatever the name and value, the file parses back (as the
// runner parses it) to exactly the records written: same names, same values,
// in order, nothing extra; and a name is refused exactly when it is invalid.
func FuzzSetOutput(f *testing.F) {
	for _, v := range []string{
		"", "v", "\r", "\n", "\r\n", "a\r\nb", "<<", "x<<y", "=", "a=b<<c",
		"_GitHubActionsFileCommandDelimeter_",
		"\n_GitHubActionsFileCommandDelimeter_\n",
		"ghadelimiter_", "\nghadelimiter_\n", "\nEOF\n", "EOF",
		"x\n_GitHubActionsFileCommandDelimeter_\nforged<<_GitHubActionsFileCommandDelimeter_\nevil\n_GitHubActionsFileCommandDelimeter_",
		"\n::set-output name=x::y", "\xff\xfe", "\ufeffx",
	} {
		f.Add("out", v)
	}
	f.Add("", "v")
	f.Add("x<<y", "v")
	f.Add("a=b", "v")
	f.Add("a\nb", "v")
	f.Add("ghadelimiter_", "ghadelimiter_")
	f.Add("EOF", "\nEOF\n")

	// One file per worker process, emptied for each input (t.TempDir per
	// input would cost more than the test itself).
	path := filepath.Join(f.TempDir(), "github_output")
	f.Fuzz(func(t *testing.T, name, value string) {
		if err := os.WriteFile(path, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		r := action.New(mapEnv(t, map[string]string{"GITHUB_OUTPUT": path}), io.Discard)
		records := func() []actiontest.Record {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			recs, err := actiontest.ParseOutputFile(data)
			if err != nil {
				t.Fatalf("parsing GITHUB_OUTPUT: %v\n%q", err, data)
			}
			return recs
		}
		if err := r.SetOutput("before", value); err != nil {
			t.Fatalf("SetOutput(before, %q): %v", value, err)
		}
		err := r.SetOutput(name, value)
		valid := validName.MatchString(name)
		if valid && err != nil {
			t.Fatalf("SetOutput(%q, %q): %v", name, value, err)
		}
		if !valid && err == nil {
			t.Fatalf("SetOutput(%q, ...) accepted an invalid name", name)
		}
		if err := r.SetOutput("after", value+"\n"); err != nil {
			t.Fatalf("SetOutput(after, %q): %v", value+"\n", err)
		}

		want := []actiontest.Record{rec("before", value)}
		if valid {
			want = append(want, actiontest.Record{Name: name, Value: value})
		}
		want = append(want, actiontest.Record{Name: "after", Value: value + "\n"})
		if got := records(); !equalRecords(got, want) {
			t.Fatalf("records = %q, want %q", got, want)
		}
	})
}

func rec(name, value string) actiontest.Record {
	return actiontest.Record{Name: name, Value: value}
}

func equalRecords(a, b []actiontest.Record) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
