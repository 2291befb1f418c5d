// Package golden compares test output with files under testdata/, the one
// way ladder's tests keep outputs a person reads (summaries, status tables,
// catalogs, canonical JSON). `go test -run TestX -update` rewrites the files.
package golden

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// Compare fails t, with a line diff, unless got equals the contents of the
// file at path. With -update it writes got to path (creating its directory)
// instead. A missing file fails too, showing everything got would add.
func Compare(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		t.Errorf("golden file %s is missing (go test -run '%s' -update writes it); it would hold (+):\n%s",
			path, t.Name(), Diff(nil, got))
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from golden file %s (go test -run '%s' -update rewrites it); -want +got:\n%s",
			path, t.Name(), Diff(want, got))
	}
}

// context is how many equal lines Diff shows around a change.
const context = 3

// Diff returns a line diff of want and got: lines only in want start with
// "-", lines only in got with "+", equal lines near a change with " ";
// longer runs of equal lines are elided. A difference only in the final
// newline shows as a line marked "\ no newline at end".
func Diff(want, got []byte) string {
	a, b := lines(want), lines(got)
	// lcs[i][j]: length of the longest common subsequence of a[i:] and b[j:].
	lcs := make([][]int, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	type line struct {
		op   byte
		text string
	}
	var ops []line
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			ops = append(ops, line{' ', a[i]})
			i, j = i+1, j+1
		case i < len(a) && (j == len(b) || lcs[i+1][j] >= lcs[i][j+1]):
			ops = append(ops, line{'-', a[i]})
			i++
		default:
			ops = append(ops, line{'+', b[j]})
			j++
		}
	}
	show := make([]bool, len(ops)) // a change, or within context of one
	for k, op := range ops {
		if op.op != ' ' {
			for n := max(0, k-context); n <= min(len(ops)-1, k+context); n++ {
				show[n] = true
			}
		}
	}
	var sb strings.Builder
	for k, op := range ops {
		if !show[k] {
			if k == 0 || show[k-1] {
				sb.WriteString("  ...\n")
			}
			continue
		}
		sb.WriteByte(op.op)
		sb.WriteByte(' ')
		sb.WriteString(op.text)
		sb.WriteByte('\n')
	}
	return sb.String()
}

// lines splits b into lines; a last line without its newline is marked so
// that a missing final newline shows in the diff.
func lines(b []byte) []string {
	if len(b) == 0 {
		return nil
	}
	s := string(b)
	last := ""
	if !strings.HasSuffix(s, "\n") {
		last = `\ no newline at end`
	} else {
		s = s[:len(s)-1]
	}
	ls := strings.Split(s, "\n")
	if last != "" {
		ls[len(ls)-1] += "  " + last
	}
	return ls
}
