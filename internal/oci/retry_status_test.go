package oci

import (
	"net"
	"net/http"
	"testing"
)

// TestRetryEveryServerError: SPEC section 7 retries 5xx: every server error
// but 501 and 505 (which a retry would meet again) is retried, as 408 and 429 are.
func TestRetryEveryServerError(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		code  int
		retry bool
	}{{500, true}, {507, true}, {520, true}, {599, true}, {408, true}, {429, true}, {501, false}, {505, false}, {404, false}, {409, false}} {
		s := &scripted{script: []func(http.ResponseWriter){status(c.code)}}
		rt, rec, u := newTestTransport(t, s)
		req, _ := http.NewRequest(http.MethodGet, u+"/v2/x/tags/list", nil)
		resp, err := rt.RoundTrip(req)
		if err != nil {
			t.Fatalf("%d: %v", c.code, err)
		}
		resp.Body.Close()
		if got := len(rec.waits) == 1 && resp.StatusCode == http.StatusOK; got != c.retry {
			t.Errorf("%d: retried %v (waits %v, final status %d), want %v", c.code, got, rec.waits, resp.StatusCode, c.retry)
		}
	}
}

// TestRetryRefusedConnection: a registry that refuses connections (it is
// restarting) is asked again, and the retries are counted.
func TestRetryRefusedConnection(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	rec := &recorder{}
	c, err := New(WithInsecure(), WithClock(rec), WithRetries(2))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/v2/", nil)
	if _, err := c.rt.RoundTrip(req); err == nil {
		t.Fatal("no error from a closed port")
	}
	if len(rec.waits) != 2 {
		t.Errorf("%d waits, want 2 (a refused connection is retried)", len(rec.waits))
	}
}
