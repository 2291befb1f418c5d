package app

import (
	"bytes"
	"crypto/rand"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Round trips on the registry (issue 13 point 6), counted by the proxy as
// the longest chain of requests each sent after the one before it was
// answered (regproxy.RoundTrips), with 100 ms added to every request so that
// requests sent together overlap even on a loaded machine (a goroutine that
// starts one request late must not look like a round trip of its own).
// Counts, not times: the benchmarks in bench/ hold the times.

const roundTripLatency = 100 * time.Millisecond

// promote-label's registry work (gates off): the two tag writes (<label>
// and <label>-previous: a manifest GET and PUT each) and the two locks that
// "What changed" compares go out together: 2 round trips, not 6.
func TestPromoteLabelRoundTrips(t *testing.T) {
	w, proxy := proxiedWorld(t)
	clk := newClock()
	w.writeConfig(t, w.promoteConfig("file:ledger.json", "  testing: {from: dev}\n", ""))
	publishDev(t, w, clk, "1.0.1")
	promoteWant(t, w, clk, map[string]string{"label": "testing"}, 0, "promoted")
	publishDev(t, w, clk, "1.0.2")

	proxy.SetLatency(roundTripLatency)
	proxy.Reset()
	res := promoteWant(t, w, clk, map[string]string{"label": "testing"}, 0, "promoted")
	n, all := proxy.RoundTrips(), proxy.Requests()
	t.Logf("promote-label: %d round trips, %d requests:\n%s", n, len(all), bytes.Join(toBytes(all), []byte("\n")))
	if n != 2 {
		t.Errorf("promote-label took %d round trips on the registry, want 2", n)
	}
	seen := map[string]bool{}
	for _, l := range all {
		if seen[l] {
			t.Errorf("sent twice: %s (reads of one digest are shared)", l)
		}
		seen[l] = true
	}
	if res.outputs["previous-version"] != "1.0.1" || w.tagDigest(t, "testing-previous") == "" {
		t.Errorf("outputs %v: testing-previous not written", res.outputs)
	}
}

// build-bundle of a new file into a channel with a bundle before it: the
// blobs (HEAD and upload session at once, then the PUT), the manifest, the
// tags, and the replaced bundle's lock read meanwhile: at most 4 round
// trips (the floor is 3: blobs, manifest, tags).
func TestBuildBundleRoundTrips(t *testing.T) {
	w, proxy := proxiedWorld(t)
	clk := newClock()
	w.writeConfig(t, w.promoteConfig("file:ledger.json", "  testing: {from: dev}\n", ""))
	newFile := func() {
		data := make([]byte, 1<<20)
		rand.Read(data)
		if err := os.WriteFile(filepath.Join(w.ws, "payload.bin"), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	build := func(version string) result {
		t.Helper()
		res := w.runAt(t, clk, "build-bundle", map[string]string{"channel": "dev", "version": version, "force": "true", "lock-file": "none.json", "files": "payload.bin"})
		if res.code != 0 || res.outputs["published"] != "true" {
			t.Fatalf("build-bundle %s: exit %d %v\n%s", version, res.code, res.outputs, res.stdout)
		}
		return res
	}
	newFile()
	build("1.0.1")
	newFile()

	proxy.SetLatency(roundTripLatency)
	proxy.Reset()
	res := build("1.0.2")
	n, all := proxy.RoundTrips(), proxy.Requests()
	t.Logf("build-bundle: %d round trips, %d requests:\n%s", n, len(all), bytes.Join(toBytes(all), []byte("\n")))
	if n > 4 {
		t.Errorf("build-bundle took %d round trips on the registry, want at most 4", n)
	}
	if res.outputs["replaces"] != "1.0.1" || res.outputs["changes"] == "{}" {
		t.Errorf("outputs %v: want 1.0.2 replacing 1.0.1, with what changed", res.outputs)
	}
}

func toBytes(ss []string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}
