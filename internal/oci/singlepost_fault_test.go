package oci_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// singlePostFault answers every single-POST upload (POST with ?digest=)
// with status once armed, and counts those and the plain session POSTs.
type singlePostFault struct {
	next   http.Handler
	armed  atomic.Bool
	status int
	mu     sync.Mutex
	single int
	plain  int
}

func (s *singlePostFault) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.armed.Load() && r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/blobs/uploads/") {
		q := r.URL.Query()
		s.mu.Lock()
		switch {
		case q.Get("digest") != "":
			s.single++
		case q.Get("mount") == "":
			s.plain++
		}
		s.mu.Unlock()
		if q.Get("digest") != "" {
			w.Header().Set("Content-Type", "application/json")
			if s.status == http.StatusTooManyRequests {
				w.Header().Set("Retry-After", "1")
			}
			w.WriteHeader(s.status)
			io.WriteString(w, `{"errors":[{"code":"UNKNOWN","message":"the registry is having a bad day"}]}`)
			return
		}
	}
	s.next.ServeHTTP(w, r)
}

// TestSinglePostFaultsAreNotRefusals: a registry answering the signature's
// single-POST upload with a server error or a rate limit is not a registry
// that does not support it: the POST is retried by the policy, and when it
// keeps failing the attach fails naming the answer, without opening a plain
// session on top (which would double the retries against a registry that is
// down). A 401 is a credentials problem, named as such, with no fallback.
func TestSinglePostFaultsAreNotRefusals(t *testing.T) {
	for _, tc := range []struct {
		status  int
		retried bool
		want    string
	}{
		{http.StatusInternalServerError, true, "500"},
		{http.StatusServiceUnavailable, true, "503"},
		{http.StatusTooManyRequests, true, "429"},
		{http.StatusUnauthorized, false, "asks for credentials"},
	} {
		t.Run(http.StatusText(tc.status), func(t *testing.T) {
			t.Parallel()
			h := &singlePostFault{next: referrersRegistry(), status: tc.status}
			repo := serve(t, h) + "/acme/signed"
			c, _ := newClient(t)
			subject := mustPush(t, c, repo)
			h.armed.Store(true)
			_, err := c.AttachSignature(context.Background(), repo+"@"+subject, []byte(sigstoreJSON), nil)
			h.mu.Lock()
			single, plain := h.single, h.plain
			h.mu.Unlock()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("AttachSignature: %v, want an error naming %s", err, tc.want)
			}
			if plain != 0 {
				t.Errorf("%d plain upload sessions opened after the single POST's %d: a fault taken for a refusal", plain, tc.status)
			}
			if tc.retried && single < 2 {
				t.Errorf("the single POST was sent %d times: not retried", single)
			}
		})
	}
}
