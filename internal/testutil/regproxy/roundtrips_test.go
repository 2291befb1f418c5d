package regproxy

import (
	"sync"
	"testing"
	"time"

	"github.com/ladder-release/ladder/internal/testutil/registry"
)

// Two requests sent at once, then one after both answers, then a Reset:
// two round trips, then none.
func TestRoundTrips(t *testing.T) {
	p := Start(t, registry.InProcess(t))
	p.SetLatency(20 * time.Millisecond)
	base := "http://" + p.Host() + "/v2/"
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() { defer wg.Done(); do(t, "GET", base, nil) }()
	}
	wg.Wait()
	if n := p.RoundTrips(); n != 1 {
		t.Errorf("two requests at once: %d round trips, want 1", n)
	}
	do(t, "HEAD", base+"acme/app/manifests/latest", nil)
	if n := p.RoundTrips(); n != 2 {
		t.Errorf("then one more: %d round trips, want 2", n)
	}
	if n := p.RoundTrips(ManifestHead); n != 1 {
		t.Errorf("the manifest HEADs alone: %d round trips, want 1", n)
	}
	p.Reset()
	if n := p.RoundTrips(); n != 0 {
		t.Errorf("after Reset: %d round trips, want 0", n)
	}
}

func TestCriticalPath(t *testing.T) {
	at := func(ms int) time.Time { return time.Unix(0, 0).Add(time.Duration(ms) * time.Millisecond) }
	for _, tc := range []struct {
		name  string
		spans [][2]int // start, end in ms; end 0: unanswered
		want  int
	}{
		{"none", nil, 0},
		{"overlapping", [][2]int{{0, 20}, {1, 21}, {19, 40}}, 1},
		{"chain", [][2]int{{0, 20}, {21, 41}, {42, 62}}, 3},
		{"a chain beside a long request", [][2]int{{0, 100}, {0, 20}, {21, 41}}, 2},
		{"after two at once", [][2]int{{0, 20}, {1, 22}, {23, 43}, {44, 0}}, 3},
	} {
		var spans []span
		for _, s := range tc.spans {
			sp := span{start: at(s[0])}
			if s[1] != 0 {
				sp.end = at(s[1])
			}
			spans = append(spans, sp)
		}
		if got := criticalPath(spans); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
}
