package registry

import (
	"io"
	"net/http"
	"testing"
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
