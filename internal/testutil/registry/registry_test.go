package registry

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

func ping(t *testing.T, host string) {
	t.Helper()
	resp, err := http.Get("http://" + host + "/v2/")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /v2/: %s", resp.Status)
	}
}

func TestInProcess(t *testing.T) {
	ping(t, InProcess(t))
}

func TestDistribution(t *testing.T) {
	host := Distribution(t)
	ping(t, host)
	// Deletes are enabled: deleting an unknown manifest by digest is a 404, not 405.
	req, _ := http.NewRequest(http.MethodDelete, "http://"+host+"/v2/x/y/manifests/sha256:"+
		"0000000000000000000000000000000000000000000000000000000000000000", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusMethodNotAllowed {
		t.Fatalf("DELETE: %s: deletes are not enabled", resp.Status)
	}
}

// TestDistributionGarbageCollect: the registry's own garbage collection,
// run on the server's storage, reclaims the blobs of a manifest no tag names
// any more (with --delete-untagged) and keeps those of a tagged one.
func TestDistributionGarbageCollect(t *testing.T) {
	s := StartDistribution(t)
	blobs := map[string][]string{} // tag -> its image's config and layer digests
	for _, tag := range []string{"kept", "dropped"} {
		img, err := random.Image(512, 2)
		if err != nil {
			t.Fatal(err)
		}
		ref, err := name.ParseReference(s.Host + "/gc/test:" + tag)
		if err != nil {
			t.Fatal(err)
		}
		if err := remote.Write(ref, img); err != nil {
			t.Fatal(err)
		}
		cfg, _ := img.ConfigName()
		blobs[tag] = append(blobs[tag], cfg.String())
		layers, _ := img.Layers()
		for _, l := range layers {
			d, _ := l.Digest()
			blobs[tag] = append(blobs[tag], d.String())
		}
	}
	req, _ := http.NewRequest(http.MethodDelete, "http://"+s.Host+"/v2/gc/test/manifests/dropped", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("deleting tag dropped: %s", resp.Status)
	}
	out, err := s.GarbageCollect("--delete-untagged")
	if err != nil {
		t.Fatal(err)
	}
	for tag, ds := range blobs {
		for _, d := range ds {
			has, err := s.HasBlob(d)
			if err != nil {
				t.Fatal(err)
			}
			if has != (tag == "kept") {
				t.Errorf("after garbage-collect, blob %s of tag %s is in the storage: %v\n%s", d, tag, has, out)
			}
			if eligible := strings.Contains(out, "blob eligible for deletion: "+d); eligible != (tag == "dropped") {
				t.Errorf("garbage-collect names blob %s of tag %s eligible: %v", d, tag, eligible)
			}
		}
	}
}
