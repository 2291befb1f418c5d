package gh

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/ladder-release/ladder/internal/redact"
)

// RateLimitError is returned (wrapped) when GitHub still refuses a request
// for rate limiting after the retries the policy allows, or when the wait it
// asks for is longer than the policy accepts (MaxWait is then set). go-github
// v60 does not classify 429 answers; ladder does.
type RateLimitError struct {
	Status     int       // 403 or 429
	Reset      time.Time // x-ratelimit-reset when x-ratelimit-remaining was 0; else zero
	RetryAfter time.Duration
	// Secondary is true for a secondary (abuse) limit: the answer did not
	// say x-ratelimit-remaining: 0.
	Secondary bool
	// MaxWait is set when the wait asked for was longer than ladder waits
	// (MaxWait or MaxSecondaryWait); it is that bound.
	MaxWait  time.Duration
	Message  string // GitHub's message
	Method   string
	URL      string
	Attempts int // requests sent, the first included
}

func (e *RateLimitError) Error() string {
	kind := "GitHub's rate limit"
	if e.Secondary {
		kind = "GitHub's secondary rate limit (about 80 content-creating requests a minute per token, and few at once)"
	}
	var wait string
	switch {
	case !e.Reset.IsZero():
		wait = "the limit resets at " + e.Reset.UTC().Format(time.RFC3339)
	case e.RetryAfter > 0:
		wait = fmt.Sprintf("GitHub asks to wait %s before retrying", e.RetryAfter)
	}
	answer := fmt.Sprint(e.Status)
	if e.Message != "" {
		answer += fmt.Sprintf(" %q", e.Message)
	}
	if e.MaxWait > 0 {
		return fmt.Sprintf("%s %s: %s: %s, longer than the %s ladder waits (%s)", e.Method, e.URL, kind, wait, e.MaxWait, answer)
	}
	if wait != "" {
		wait = "; " + wait
	}
	return fmt.Sprintf("%s %s: %s still refused the request after %d attempt(s) (%s)%s",
		e.Method, e.URL, kind, e.Attempts, answer, wait)
}

// APIError is a GitHub answer with an error status, for callers that branch
// on it (404, 409, 422...). Get one from any error with AsAPIError.
type APIError struct {
	Status  int
	Message string
	Method  string
	URL     string
}

func (e *APIError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("%s %s: %d %s", e.Method, e.URL, e.Status, http.StatusText(e.Status))
	}
	return fmt.Sprintf("%s %s: %d %s", e.Method, e.URL, e.Status, e.Message)
}

// AsAPIError finds the GitHub answer behind err: an *APIError, a
// *RateLimitError, or one of go-github's error types (*github.ErrorResponse,
// *github.RateLimitError, *github.AbuseRateLimitError).
func AsAPIError(err error) (*APIError, bool) {
	if err == nil {
		return nil, false
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return ae, true
	}
	var rl *RateLimitError
	if errors.As(err, &rl) {
		return &APIError{Status: rl.Status, Message: rl.Message, Method: rl.Method, URL: rl.URL}, true
	}
	from := func(resp *http.Response, msg string) (*APIError, bool) {
		if resp == nil {
			return nil, false
		}
		a := &APIError{Status: resp.StatusCode, Message: msg}
		if resp.Request != nil {
			a.Method, a.URL = resp.Request.Method, redact.RequestURL(resp.Request.URL)
		}
		return a, true
	}
	var er *github.ErrorResponse
	if errors.As(err, &er) {
		msg := er.Message
		var details []string
		for _, e := range er.Errors {
			if d := strings.TrimSpace(strings.Join(nonEmpty(e.Resource, e.Field, e.Code, e.Message), " ")); d != "" {
				details = append(details, d)
			}
		}
		if len(details) > 0 {
			msg += " (" + strings.Join(details, "; ") + ")"
		}
		return from(er.Response, msg)
	}
	var grl *github.RateLimitError
	if errors.As(err, &grl) {
		return from(grl.Response, grl.Message)
	}
	var abuse *github.AbuseRateLimitError
	if errors.As(err, &abuse) {
		return from(abuse.Response, abuse.Message)
	}
	return nil, false
}

// IsStatus reports whether err is a GitHub answer with status.
func IsStatus(err error, status int) bool {
	a, ok := AsAPIError(err)
	return ok && a.Status == status
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
