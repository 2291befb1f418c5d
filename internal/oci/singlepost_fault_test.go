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
// with status and the registry's error body once armed, and counts those
// and the plain session POSTs.
type singlePostFault struct {
	next   http.Handler
	armed  atomic.Bool
	status int
	body   string
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
			io.WriteString(w, s.body)
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
			h := &singlePostFault{next: referrersRegistry(), status: tc.status, body: `{"errors":[{"code":"UNKNOWN","message":"the registry is having a bad day"}]}`}
			repo := serve(t, h) + "/acme/signed"
			c, subject := pushed(t, repo)
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

// TestAttachSignatureWithoutSinglePost: a registry that refuses the
// single-POST upload outright still gets the signature, through the plain
// session (POST, then PUT).
func TestAttachSignatureWithoutSinglePost(t *testing.T) {
	ctx := context.Background()
	// A 400, as a registry that does not support the single POST may answer.
	h := &singlePostFault{next: referrersRegistry(), status: http.StatusBadRequest, body: `{"errors":[{"code":"UNSUPPORTED","message":"single POST uploads are not supported"}]}`}
	h.armed.Store(true)
	repo := serve(t, h) + "/acme/signed"
	c, subject := pushed(t, repo)
	sig, err := c.AttachSignature(ctx, repo+"@"+subject, []byte(sigstoreJSON), nil)
	if err != nil {
		t.Fatalf("AttachSignature on a registry without single-POST uploads: %v", err)
	}
	sigs, err := c.Signatures(ctx, repo, subject)
	if err != nil || len(sigs) != 1 || sigs[0].Digest != sig {
		t.Errorf("Signatures = %+v, %v; want %s", sigs, err, sig)
	}
}
