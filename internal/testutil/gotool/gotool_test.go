package gotool

import (
	"os"
	"path/filepath"
	"testing"
)

func TestInstallReusesWhatIsThere(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	dir, err := Dir()
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(dir, 0o755)
	fake := filepath.Join(dir, "tool-v1.0.0")
	if err := os.WriteFile(fake, []byte("#!/bin/true\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := Install(t, "example.com/x/cmd/tool", "v1.0.0")
	if err != nil || got != fake {
		t.Fatalf("Install = %q, %v; want the cached %q", got, err, fake)
	}
	t.Setenv("PATH", "") // no go: an install that is needed must fail clearly
	if _, err := Install(t, "example.com/x/cmd/other", "v1.0.0"); err == nil {
		t.Error("an install without the go command succeeded")
	}
}

// TestBuildModuleOncePerContent: a module is built once, reused while its
// files are unchanged, and built again under another name when one changes.
func TestBuildModuleOncePerContent(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	src := t.TempDir()
	write := func(name, data string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(src, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/hello\n\ngo 1.24\n")
	write("main.go", "package main\n\nfunc main() { println(1) }\n")
	first, err := BuildModule(t, src, "hello")
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(first)
	if err != nil || fi.Mode()&0o111 == 0 {
		t.Fatalf("no program at %s: %v", first, err)
	}
	again, err := BuildModule(t, src, "hello")
	if err != nil || again != first {
		t.Fatalf("second BuildModule = %q, %v; want the cached %q", again, err, first)
	}
	if fi2, _ := os.Stat(again); !fi2.ModTime().Equal(fi.ModTime()) {
		t.Error("the cached program was rebuilt")
	}
	write("main.go", "package main\n\nfunc main() { println(2) }\n")
	changed, err := BuildModule(t, src, "hello")
	if err != nil {
		t.Fatal(err)
	}
	if changed == first {
		t.Errorf("an edited module reuses the old program %s", first)
	}
}
