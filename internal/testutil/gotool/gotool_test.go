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
