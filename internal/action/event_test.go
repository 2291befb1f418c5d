package action_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ladder-release/ladder/internal/action"
)

// TestEnvEvent: the event's payload is read as delivered, absent outside a
// runner, and refused when missing or over GitHub's 25 MB.
func TestEnvEvent(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	small := filepath.Join(dir, "event.json")
	big := filepath.Join(dir, "big.json")
	if err := os.WriteFile(small, []byte(`{"ref":"refs/heads/main"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(big, make([]byte, 25<<20+1), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, path, want, wantErr string
	}{
		{"no GITHUB_EVENT_PATH: no payload", "", "", ""},
		{"read as delivered", small, `{"ref":"refs/heads/main"}`, ""},
		{"missing file", filepath.Join(dir, "none.json"), "", "GITHUB_EVENT_PATH"},
		{"over 25 MB", big, "", "over 25 MB"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			name, payload, err := action.Env{EventName: "push", EventPath: c.path}.Event()
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error %v, want one naming %q", err, c.wantErr)
				}
				return
			}
			if err != nil || name != "push" || string(payload) != c.want {
				t.Errorf("%q, %q, %v; want push, %q", name, payload, err, c.want)
			}
		})
	}
}
