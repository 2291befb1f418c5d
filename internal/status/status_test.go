package status

import (
	"testing"
	"time"
)

func TestStatusDurations(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		d        time.Duration
		ago, dur string
	}{
		{-time.Second, "in the future", "-1s"},
		{30 * time.Second, "just now", "30s"},
		{90 * time.Minute, "1h30m ago", "1h30m"},
		{24 * time.Hour, "1d ago", "24h"},
		{50*time.Hour + 59*time.Second, "2d2h ago", "50h59s"},
	} {
		if got := statusAgo(tc.d); got != tc.ago {
			t.Errorf("statusAgo(%s) = %q, want %q", tc.d, got, tc.ago)
		}
		if got := statusDuration(tc.d); got != tc.dur {
			t.Errorf("statusDuration(%s) = %q, want %q", tc.d, got, tc.dur)
		}
		if tc.d > 0 {
			if back, err := time.ParseDuration(statusDuration(tc.d)); err != nil || back != tc.d {
				t.Errorf("statusDuration(%s) does not parse back: %v %v", tc.d, back, err)
			}
		}
	}
}
