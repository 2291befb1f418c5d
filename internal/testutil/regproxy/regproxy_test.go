package regproxy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ladder-release/ladder/internal/testutil/registry"
)

func do(t *testing.T, method, url string, body []byte) *http.Response {
	return Send(t, method, url, body, "")
}

func TestClassify(t *testing.T) {
	for _, c := range []struct {
		method, path string
		want         Kind
	}{
		{"GET", "/v2/", Ping},
		{"GET", "/v2/a/b/manifests/latest", ManifestGet},
		{"HEAD", "/v2/a/manifests/sha256:00", ManifestHead},
		{"PUT", "/v2/a/manifests/v1", ManifestPut},
		{"DELETE", "/v2/a/manifests/v1", ManifestDelete},
		{"GET", "/v2/a/blobs/sha256:00", BlobGet},
		{"HEAD", "/v2/a/blobs/sha256:00", BlobHead},
		{"POST", "/v2/a/blobs/uploads/", UploadPost},
		{"PATCH", "/v2/a/blobs/uploads/123", UploadPatch},
		{"PUT", "/v2/a/blobs/uploads/123", UploadPut},
		{"GET", "/v2/a/blobs/uploads/123", UploadOther},
		{"GET", "/v2/a/b/tags/list", TagsList},
		{"GET", "/v2/a/referrers/sha256:00", Referrers},
		{"GET", "/token", Other},
	} {
		if got := Classify(c.method, c.path); got != c.want {
			t.Errorf("Classify(%s %s) = %s, want %s", c.method, c.path, got, c.want)
		}
	}
}

func TestCountsAndBytes(t *testing.T) {
	p := Start(t, registry.InProcess(t))
	base := "http://" + p.Host()
	blob := []byte("hello, blob")
	sum := sha256.Sum256(blob)
	digest := "sha256:" + hex.EncodeToString(sum[:])

	do(t, "GET", base+"/v2/", nil)
	resp := do(t, "POST", base+"/v2/x/blobs/uploads/", nil)
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusAccepted || loc == "" {
		t.Fatalf("POST upload: %s, Location %q", resp.Status, loc)
	}
	if !strings.HasPrefix(loc, "http") {
		loc = base + loc
	}
	if resp := do(t, "PUT", loc+"?digest="+digest, blob); resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT upload: %s", resp.Status)
	}
	if resp := do(t, "GET", base+"/v2/x/blobs/"+digest, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("GET blob: %s", resp.Status)
	}
	do(t, "HEAD", base+"/v2/x/blobs/"+digest, nil)

	s := p.Stats()
	if s.Total != 5 || s.ByKind[Ping] != 1 || s.ByKind[UploadPost] != 1 || s.ByKind[UploadPut] != 1 ||
		s.ByKind[BlobGet] != 1 || s.ByKind[BlobHead] != 1 || s.ByMethod["GET"] != 2 || s.Blob() != 4 {
		t.Errorf("stats: %s", s)
	}
	if s.BlobBytesUp != int64(len(blob)) || s.BlobBytesDown != int64(len(blob)) {
		t.Errorf("blob bytes up %d down %d, want %d each", s.BlobBytesUp, s.BlobBytesDown, len(blob))
	}
	if len(p.Requests()) != 5 {
		t.Errorf("requests: %v", p.Requests())
	}
	p.Reset()
	if s := p.Stats(); s.Total != 0 || s.BlobBytesUp != 0 {
		t.Errorf("after Reset: %s", s)
	}
}

func TestFaults(t *testing.T) {
	p := Start(t, registry.InProcess(t))
	url := "http://" + p.Host() + "/v2/"

	p.SetFaults(Faults{Rate: 1, Kinds: []Fault{Fault429}})
	resp := do(t, "GET", url, nil)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "1" {
		t.Errorf("429 fault: %s, Retry-After %q", resp.Status, resp.Header.Get("Retry-After"))
	}

	for _, f := range []Fault{FaultDrop, FaultReset} {
		p.SetFaults(Faults{Rate: 1, Kinds: []Fault{f}})
		tr := &http.Transport{DisableKeepAlives: true}
		if _, err := (&http.Client{Transport: tr}).Get(url); err == nil {
			t.Errorf("%s fault: the request succeeded", f)
		}
	}

	// MaxConsecutive lets the same request through after that many faults.
	p.SetFaults(Faults{Rate: 1, Kinds: []Fault{Fault503}, MaxConsecutive: 2})
	var codes []int
	for i := 0; i < 3; i++ {
		codes = append(codes, do(t, "GET", url, nil).StatusCode)
	}
	if codes[0] != 503 || codes[1] != 503 || codes[2] != 200 {
		t.Errorf("MaxConsecutive 2: statuses %v", codes)
	}

	// A seeded rate gives the same faults for the same sequence of requests.
	seq := func() []int {
		p.SetFaults(Faults{Rate: 0.5, Seed: 42, Kinds: []Fault{Fault500}})
		var out []int
		for i := 0; i < 20; i++ {
			out = append(out, do(t, "GET", url, nil).StatusCode)
		}
		return out
	}
	a, b := seq(), seq()
	n500 := 0
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("seeded faults differ: %v vs %v", a, b)
		}
		if a[i] == 500 {
			n500++
		}
	}
	if n500 == 0 || n500 == 20 {
		t.Errorf("rate 0.5 gave %d faults in 20", n500)
	}
	if got := p.Stats().Faults[Fault500]; got != 2*n500 {
		t.Errorf("fault counter %d, want %d", got, 2*n500)
	}
	p.SetFaults(Faults{})

	// SetLatency: every request waits the latency out before it is handled
	// (the intercept runs first thing in handling), and not at all once it
	// is 0; a wait ended by a cancelled request drops the request.
	var (
		mu     sync.Mutex
		events []string
		goOn   = true
	)
	p.SetSleep(func(_ context.Context, d time.Duration) bool {
		mu.Lock()
		defer mu.Unlock()
		events = append(events, "wait "+d.String())
		return goOn
	})
	p.SetIntercept(func(http.ResponseWriter, *http.Request) bool {
		mu.Lock()
		defer mu.Unlock()
		events = append(events, "handle")
		return false
	})
	p.SetLatency(30 * time.Millisecond)
	do(t, "GET", url, nil)
	do(t, "GET", url, nil)
	p.SetLatency(0)
	do(t, "GET", url, nil)
	p.SetLatency(time.Hour)
	mu.Lock()
	goOn = false
	mu.Unlock()
	do(t, "GET", url, nil)
	mu.Lock()
	got := strings.Join(events, ", ")
	mu.Unlock()
	if want := "wait 30ms, handle, wait 30ms, handle, handle, wait 1h0m0s"; got != want {
		t.Errorf("latency: events %q, want %q", got, want)
	}

	// The real wait takes a cancelled request out of it at once.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if sleep(ctx, time.Hour) {
		t.Error("sleep went on for a cancelled request")
	}
	if !sleep(context.Background(), time.Nanosecond) {
		t.Error("sleep dropped a live request")
	}
}
