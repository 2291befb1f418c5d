package workspace

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRead: matches are read relative to the workspace; a link out of it is
// refused naming the link, a pattern matching no file is refused, a directory
// or a dangling link is no file.
func TestRead(t *testing.T) {
	t.Parallel()
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret"), []byte("s"), 0o644); err != nil {
		t.Fatal(err)
	}
	ws := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(ws, "a.txt"), []byte("a"), 0o644))
	must(os.Mkdir(filepath.Join(ws, "dir"), 0o755))
	must(os.Symlink(filepath.Join(outside, "secret"), filepath.Join(ws, "out.txt")))
	must(os.Symlink(outside, filepath.Join(ws, "linked")))
	must(os.Symlink(filepath.Join(ws, "none"), filepath.Join(ws, "dangling")))
	for _, c := range []struct {
		name, pattern string
		want, wantErr string
	}{
		{"a regular file", "a.txt", "a.txt=a", ""},
		{"a directory and a dangling link are no file", "d*", "", `pattern "d*" matched no file`},
		{"a link to a file outside", "out.txt", "", "out.txt is a symbolic link to " + filepath.Join(outside, "secret") + ", outside the workspace"},
		{"a glob through a linked directory", "linked/*", "", `linked is a symbolic link to ` + outside + `, outside the workspace (pattern "linked/*" matched linked/secret through it)`},
		{"no match", "none.txt", "", `pattern "none.txt" matched no file`},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			files, err := Read(ws, []string{c.pattern})
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, c.wantErr)
				}
				return
			}
			var got []string
			for _, f := range files {
				got = append(got, f.Path+"="+string(f.Data))
			}
			if err != nil || strings.Join(got, ",") != c.want {
				t.Errorf("%v, %v; want %s", got, err, c.want)
			}
		})
	}
}
