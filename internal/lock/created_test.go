package lock

import (
	"strings"
	"testing"
	"time"
)

// TestCheckCreated: a lock's created must be there and not ahead of the
// runner's clock by more than the skew allowed; force publishes either.
func TestCheckCreated(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name    string
		created time.Time
		force   bool
		wantErr string
	}{
		{"in the past", now.Add(-time.Hour), false, ""},
		{"now", now, false, ""},
		{"within the skew", now.Add(4 * time.Minute), false, ""},
		{"missing", time.Time{}, false, "created: missing"},
		{"from the future", now.Add(time.Hour), false, "created: 2026-12-07T13:00:00Z is 1h0m0s after this runner's clock (2026-12-07T12:00:00Z)"},
		{"missing, forced", time.Time{}, true, ""},
		{"from the future, forced", now.Add(time.Hour), true, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			l := sample()
			l.Created = c.created
			err := CheckCreated(l, now, c.force)
			switch {
			case c.wantErr == "" && err != nil:
				t.Errorf("error %v", err)
			case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
				t.Errorf("error %v, want %q", err, c.wantErr)
			}
		})
	}
}
