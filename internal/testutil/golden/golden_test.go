package golden

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder is a testing.TB that keeps what Compare reports.
type recorder struct {
	testing.TB
	errors []string
	fatal  bool
}

func (r *recorder) Helper()      {}
func (r *recorder) Name() string { return "TestX" }
func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatal(args ...any) {
	r.fatal = true
	r.errors = append(r.errors, fmt.Sprint(args...))
}

func TestCompare(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "summary.md")
	if err := os.WriteFile(existing, []byte("a\nb\nc\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		path   string
		got    string
		report []string // substrings of the one failure; none: no failure
	}{
		{name: "equal", path: existing, got: "a\nb\nc\n"},
		{name: "differs: a line diff, and how to accept", path: existing, got: "a\nB\nc\n",
			report: []string{"differs from golden file " + existing, "go test -run 'TestX' -update", "-want +got", "  a\n- b\n+ B\n  c\n"}},
		{name: "differs only in the final newline", path: existing, got: "a\nb\nc",
			report: []string{"- c\n+ c  \\ no newline at end\n"}},
		{name: "missing: names the file and shows what it would hold", path: filepath.Join(dir, "none.md"), got: "x\ny\n",
			report: []string{"golden file " + filepath.Join(dir, "none.md") + " is missing", "-update writes it", "+ x\n+ y\n"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &recorder{TB: t}
			Compare(r, tc.path, []byte(tc.got))
			if len(tc.report) == 0 {
				if len(r.errors) > 0 {
					t.Fatalf("unexpected failure: %q", r.errors)
				}
				return
			}
			if len(r.errors) != 1 || r.fatal {
				t.Fatalf("want one (non-fatal) failure, got %q (fatal %v)", r.errors, r.fatal)
			}
			for _, s := range tc.report {
				if !strings.Contains(r.errors[0], s) {
					t.Errorf("failure does not contain %q:\n%s", s, r.errors[0])
				}
			}
		})
	}
}

func TestUpdateWritesTheFile(t *testing.T) {
	*update = true
	defer func() { *update = false }()
	path := filepath.Join(t.TempDir(), "new", "dir", "out.txt")
	r := &recorder{TB: t}
	Compare(r, path, []byte("fresh\n"))
	if len(r.errors) > 0 {
		t.Fatalf("-update failed: %q", r.errors)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "fresh\n" {
		t.Fatalf("file = %q, %v; want %q", b, err, "fresh\n")
	}
}

func TestDiff(t *testing.T) {
	long := func(change string) string {
		var b strings.Builder
		for i := 1; i <= 20; i++ {
			if i == 10 && change != "" {
				b.WriteString(change + "\n")
				continue
			}
			fmt.Fprintf(&b, "%d\n", i)
		}
		return b.String()
	}
	for _, tc := range []struct {
		name, want, got, diff string
	}{
		{"equal", "a\n", "a\n", "  ...\n"},
		{"added line", "a\nc\n", "a\nb\nc\n", "  a\n+ b\n  c\n"},
		{"removed line", "a\nb\nc\n", "a\nc\n", "  a\n- b\n  c\n"},
		{"empty want", "", "x\n", "+ x\n"},
		{"empty got", "x\n", "", "- x\n"},
		{"far equal lines are elided", long(""), long("ten"), "  ...\n  7\n  8\n  9\n- 10\n+ ten\n  11\n  12\n  13\n  ...\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Diff([]byte(tc.want), []byte(tc.got)); got != tc.diff {
				t.Errorf("Diff =\n%s\nwant\n%s", got, tc.diff)
			}
		})
	}
}
