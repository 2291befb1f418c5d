package oci

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/ladder-release/ladder/internal/clock"
	"github.com/ladder-release/ladder/internal/redact"
	"github.com/ladder-release/ladder/internal/retry"
)

// retryTransport is ladder's one retry policy for registries. It sits beneath
// go-containerregistry's authenticating transport, so it sees every request:
// pings, token fetches, manifests, blobs.
//
// It retries, with exponential backoff (base × 2^attempt, capped, with
// jitter), responses 408, 429, 500, 502, 503 and 504, and dropped connections
// (EOF, unexpected EOF, connection reset, broken pipe). A Retry-After header
// (seconds or an HTTP date) replaces the backoff; one longer than maxWait is
// not waited for and the request fails saying so.
//
// Only what is safe is retried: a request whose body can be replayed (no
// body, or GetBody set, as for the []byte bodies this package sends) and that
// is not a PATCH (a chunk appended at an offset is not idempotent). A POST to
// /blobs/uploads/ only opens an upload session, so replaying it leaves at
// worst an abandoned session. Anything else that fails is returned at once,
// with an error naming the request and why it was not retried.
//
// When the retries run out on an error status, the last response is turned
// into an error naming the request, the status, the registry's message and
// the number of attempts.
type retryTransport struct {
	next      http.RoundTripper
	retries   int
	clock     clock.Clock
	base, max time.Duration // backoff
	maxWait   time.Duration // longest Retry-After honoured
}

// RoundTrip implements http.RoundTripper.
func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	replayable := req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
	safe := replayable && req.Method != http.MethodPatch
	what := req.Method + " " + redact.RequestURL(req.URL)

	for attempt := 0; ; attempt++ {
		r := req
		if attempt > 0 && req.GetBody != nil {
			body, err := req.GetBody()
			if err != nil {
				return nil, fmt.Errorf("%s: replaying the request body: %w", what, err)
			}
			r = req.Clone(req.Context())
			r.Body = body
		}
		resp, err := t.next.RoundTrip(r)
		retry, cause := t.shouldRetry(req.Context(), resp, err)
		if !retry {
			return resp, err
		}
		if !safe {
			why := "its body cannot be replayed"
			if req.Method == http.MethodPatch {
				why = "a chunk upload (PATCH) is not idempotent"
			}
			if err != nil {
				return nil, fmt.Errorf("%s: %w (not retried: %s)", what, err, why)
			}
			return resp, nil // the caller reports the status
		}
		wait := t.backoff(attempt)
		if resp != nil {
			if ra, ok := t.retryAfter(resp); ok {
				if ra > t.maxWait {
					return nil, t.giveUp(what, resp, attempt+1,
						fmt.Sprintf("the registry asks to retry after %s, longer than the %s ladder waits", ra, t.maxWait))
				}
				wait = ra
			}
		}
		if attempt >= t.retries {
			if err != nil {
				return nil, fmt.Errorf("%s: %w (gave up after %d attempts)", what, err, attempt+1)
			}
			return nil, t.giveUp(what, resp, attempt+1, "")
		}
		if resp != nil {
			drain(resp)
		}
		if serr := t.clock.Sleep(req.Context(), wait); serr != nil {
			if err == nil {
				err = errors.New(cause)
			}
			return nil, fmt.Errorf("%s: %w (waiting to retry: %v)", what, err, serr)
		}
	}
}

// shouldRetry classifies one attempt's outcome.
func (t *retryTransport) shouldRetry(ctx context.Context, resp *http.Response, err error) (bool, string) {
	if err != nil {
		if ctx.Err() != nil {
			return false, ""
		}
		return retry.Transient(err), err.Error()
	}
	return retry.TransientStatus(resp.StatusCode), resp.Status
}

// backoff is base × 2^attempt, capped at max, then between half of that and
// all of it, so that concurrent jobs spread out.
func (t *retryTransport) backoff(attempt int) time.Duration {
	return retry.EqualJitter(retry.Exp(t.base, t.max, attempt))
}

// retryAfter reads Retry-After: delay-seconds (at most a day) or an HTTP
// date.
func (t *retryTransport) retryAfter(resp *http.Response) (time.Duration, bool) {
	return retry.After(resp.Header.Get("Retry-After"), t.clock.Now(), 24*time.Hour)
}

// giveUp turns the last error response into an error.
func (t *retryTransport) giveUp(what string, resp *http.Response, attempts int, why string) error {
	msg := registryMessage(resp)
	drain(resp)
	s := fmt.Sprintf("%s: %s", what, resp.Status)
	if msg != "" {
		s += ": " + msg
	}
	if why != "" {
		return fmt.Errorf("%s (%s)", s, why)
	}
	return fmt.Errorf("%s (gave up after %d attempts)", s, attempts)
}

// registryMessage is the registry's error text, from its JSON error body.
func registryMessage(resp *http.Response) string {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	s := strings.TrimSpace(string(b))
	if i := strings.Index(s, `"message":"`); i >= 0 {
		rest := s[i+len(`"message":"`):]
		if j := strings.Index(rest, `"`); j >= 0 {
			return rest[:j]
		}
	}
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

func drain(resp *http.Response) {
	if resp == nil || resp.Body == nil {
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}
