package gh

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ladder-release/ladder/internal/clock"
	"github.com/ladder-release/ladder/internal/redact"
	"github.com/ladder-release/ladder/internal/retry"
)

// The retry policy (SPEC section 7), in one place.
const (
	// ResetMargin is added to a wait for x-ratelimit-reset: the header has
	// one-second resolution and clocks drift.
	ResetMargin = time.Second
	// SecondaryBackoff is the first wait on a secondary rate limit that
	// says neither retry-after nor x-ratelimit-remaining: 0; it doubles on
	// each further one, up to SecondaryBackoffCap.
	SecondaryBackoff    = 60 * time.Second
	SecondaryBackoffCap = 10 * time.Minute
	// ServerBackoff is the first wait after a 5xx or a dropped connection;
	// it doubles on each further one, up to ServerBackoffCap.
	ServerBackoff    = time.Second
	ServerBackoffCap = 30 * time.Second
	// MaxWait bounds a wait the primary limit asks for (retry-after, or the
	// time to x-ratelimit-reset; the primary window is one hour). A longer
	// one fails at once with a *RateLimitError.
	MaxWait = time.Hour + 5*time.Minute
	// MaxSecondaryWait bounds a wait a secondary limit asks for with
	// retry-after: no longer than ladder would back off by itself. GitHub's
	// limit on content creation (80 writes a minute per token) asks for at
	// most a minute; a longer wait fails at once with a *RateLimitError.
	MaxSecondaryWait = SecondaryBackoffCap
	// DefaultMaxRetries is how many times one request is retried, all
	// causes together.
	DefaultMaxRetries = 5
)

// retryTransport applies the retry policy to every request.
type retryTransport struct {
	next       http.RoundTripper
	clock      clock.Clock
	maxRetries int
}

type verdict int

const (
	done      verdict = iota // hand the answer back
	serverErr                // 5xx or dropped connection: exponential from 1 s
	limited                  // rate limited, wait given by a header
	secondary                // secondary limit without a wait: exponential from 60 s
)

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	getBody := req.GetBody
	if req.Body != nil && req.Body != http.NoBody && getBody == nil {
		// Buffer a body we could not otherwise replay.
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		getBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	}
	var nServer, nSecondary int
	for attempt := 1; ; attempt++ {
		r := req
		if attempt > 1 || getBody != nil && req.GetBody == nil {
			r = req.Clone(ctx)
			if getBody != nil {
				body, err := getBody()
				if err != nil {
					return nil, err
				}
				r.Body = body
			}
		}
		resp, err := t.next.RoundTrip(r)
		if err != nil && ctx.Err() != nil {
			return nil, ctx.Err()
		}

		v, wait, rle := t.judge(req, resp, err)
		switch v {
		case done:
			return keepWaitsHere(resp), err
		case serverErr:
			wait = retry.Exp(ServerBackoff, ServerBackoffCap, nServer)
			nServer++
		case secondary:
			wait = retry.Exp(SecondaryBackoff, SecondaryBackoffCap, nSecondary)
			nSecondary++
			rle.RetryAfter = wait
		}
		if rle != nil {
			rle.Attempts = attempt
			if bound := maxWaitFor(rle.Secondary); wait > bound {
				rle.MaxWait = bound
				discard(resp)
				return nil, rle
			}
		}
		if attempt > t.maxRetries {
			if rle != nil {
				discard(resp)
				return nil, rle
			}
			return keepWaitsHere(resp), err // the last 5xx answer, or the network error
		}
		discard(resp)
		if err := t.clock.Sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// keepWaitsHere marks an answer saying x-ratelimit-remaining: 0 as cached.
// go-github v60 refuses, by the wall clock and without sending it, every
// call after such an answer until the reset, failing instead of waiting; it
// does not record the rate of an answer marked X-From-Cache, so the wait
// stays this policy's to make (on the 403 the next request gets).
func keepWaitsHere(resp *http.Response) *http.Response {
	if resp != nil && resp.Header.Get("X-Ratelimit-Remaining") == "0" {
		resp.Header.Set("X-From-Cache", "1")
	}
	return resp
}

func discard(resp *http.Response) {
	if resp != nil && resp.Body != nil {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) //nolint:errcheck // best effort, to reuse the connection
		resp.Body.Close()
	}
}

// judge classifies an answer. For limited it returns the wait the headers
// ask for; for limited and secondary a *RateLimitError describing it.
func (t *retryTransport) judge(req *http.Request, resp *http.Response, err error) (verdict, time.Duration, *RateLimitError) {
	if err != nil {
		if retry.Transient(err) {
			return serverErr, 0, nil
		}
		return done, 0, nil
	}
	switch code := resp.StatusCode; {
	case code >= 500 && code != http.StatusNotImplemented:
		return serverErr, 0, nil
	case code == http.StatusForbidden || code == http.StatusTooManyRequests:
		return t.judgeLimit(req, resp)
	}
	return done, 0, nil
}

func (t *retryTransport) judgeLimit(req *http.Request, resp *http.Response) (verdict, time.Duration, *RateLimitError) {
	msg, docURL := peekMessage(resp)
	l := decideLimit(resp.StatusCode, resp.Header, msg, docURL, t.clock.Now())
	if !l.Limited {
		return done, 0, nil // e.g. "Resource not accessible by integration"
	}
	rle := &RateLimitError{Status: resp.StatusCode, Secondary: l.Secondary, Message: msg,
		Method: req.Method, URL: redact.RequestURL(req.URL), Reset: l.Reset}
	if !l.Given {
		return secondary, 0, rle
	}
	if l.Reset.IsZero() {
		rle.RetryAfter = l.Wait
	}
	return limited, l.Wait, rle
}

// limit is what a 403 or 429 answer says about GitHub's rate limits.
type limit struct {
	// Limited: the answer is a rate limit; false: a plain refusal, returned
	// as it is.
	Limited bool
	// Secondary: a secondary limit (content created too fast, too many
	// requests at once...): x-ratelimit-remaining is not 0.
	Secondary bool
	// Given: the answer says how long to wait, Wait; false: back off from
	// SecondaryBackoff.
	Given bool
	Wait  time.Duration
	// Reset is x-ratelimit-reset when the wait runs to it.
	Reset time.Time
}

// decideLimit reads a 403 or 429 answer as GitHub documents it: an answer
// is a rate limit when it is a 429, says x-ratelimit-remaining: 0 or
// retry-after, or its message or documentation URL speaks of a rate limit
// (or of abuse, as GitHub's secondary limit once did); it is a secondary
// limit unless x-ratelimit-remaining is 0. The wait is retry-after when
// given, else until x-ratelimit-reset (plus ResetMargin) when remaining is
// 0, else not given ("wait at least one minute").
func decideLimit(status int, h http.Header, message, docURL string, now time.Time) limit {
	remaining := h.Get("X-Ratelimit-Remaining")
	retryAfter, hasRetryAfter := retry.After(h.Get("Retry-After"), now, math.MaxInt64) // any wait: MaxWait judges it
	lower := strings.ToLower(message + " " + docURL)
	if status != http.StatusTooManyRequests && remaining != "0" && !hasRetryAfter &&
		!strings.Contains(lower, "rate limit") && !strings.Contains(lower, "rate-limit") && !strings.Contains(lower, "abuse") {
		return limit{}
	}
	l := limit{Limited: true, Secondary: remaining != "0"}
	if hasRetryAfter {
		l.Given, l.Wait = true, retryAfter
		return l
	}
	if remaining == "0" {
		if sec, err := strconv.ParseInt(h.Get("X-Ratelimit-Reset"), 10, 64); err == nil {
			l.Reset = time.Unix(sec, 0)
			l.Given, l.Wait = true, max(l.Reset.Sub(now), 0)+ResetMargin
		}
	}
	return l
}

// maxWaitFor is the longest wait ladder makes for a rate limit.
func maxWaitFor(secondary bool) time.Duration {
	if secondary {
		return MaxSecondaryWait
	}
	return MaxWait
}

// peekMessage reads GitHub's error body and puts it back.
func peekMessage(resp *http.Response) (message, docURL string) {
	if resp.Body == nil {
		return "", ""
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	var body struct {
		Message          string `json:"message"`
		DocumentationURL string `json:"documentation_url"`
	}
	if json.Unmarshal(b, &body) != nil {
		return strings.TrimSpace(string(b)), ""
	}
	return body.Message, body.DocumentationURL
}
