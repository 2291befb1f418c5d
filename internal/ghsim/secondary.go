package ghsim

import (
	"fmt"
	"net/http"
	"time"
)

// GitHub's secondary rate limit on content creation. GitHub documents that
// "in general, no more than 80 content-generating requests per minute and no
// more than 500 content-generating requests per hour are allowed", and that
// a request over a secondary limit is answered 403 (or 429) with a message
// saying so and, when GitHub knows the wait, a retry-after header in seconds;
// the x-ratelimit-* headers keep describing the primary limit, so
// x-ratelimit-remaining is not 0.
//
// The simulator enforces the per-minute ceiling per token (per caller on an
// open server), over a sliding minute of its clock (WithNow): the request
// that would be the 81st content-creating request within 60 seconds is
// refused, 403, with
//
//	{"message": "You have exceeded a secondary rate limit. Please wait a few
//	  minutes before you try again. If you reach out to GitHub Support for
//	  help, please include the request ID SIM:N.",
//	 "documentation_url": SecondaryDocsURL}
//
// and retry-after: the whole seconds until the oldest request of that minute
// leaves it (at least 1). A refused request changes nothing and is not
// counted, against either limit; the primary limit is checked first. The
// hourly ceiling, the concurrency and CPU-time limits are not modelled.
const (
	// DefaultSecondaryLimit is GitHub's content-creating requests a minute.
	DefaultSecondaryLimit = 80
	// SecondaryMessage starts the message of a secondary-limit answer.
	SecondaryMessage = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
	// SecondaryDocsURL is the documentation_url of a secondary-limit answer
	// (go-github v60 recognises one by its "secondary-rate-limits" suffix).
	SecondaryDocsURL = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"

	secondaryWindow = time.Minute
)

// WithSecondaryLimit sets how many content-creating requests (see
// Request.ContentCreating) each token may make in any minute of the
// simulator's clock (default DefaultSecondaryLimit; 0 or less: no limit).
func WithSecondaryLimit(perMinute int) Option {
	return func(s *Server) { s.secondary = perMinute }
}

// ContentCreating reports whether the request is one GitHub counts against
// its content-creation limit: an API request that writes (POST, PUT, PATCH
// or DELETE: files, git blobs, trees, commits and refs, statuses, check
// runs, dispatches, deployments and their statuses). A GitHub App's
// installation token request and git's smart HTTP are not.
func (r Request) ContentCreating() bool {
	return !r.Git && contentRoutes[r.Route]
}

// contentRoutes names every content-creating route.
var contentRoutes = map[string]bool{}

func init() {
	for _, rt := range routes {
		if contentCreating(rt) {
			contentRoutes[rt.name] = true
		}
	}
}

func contentCreating(rt *route) bool {
	if rt.auth != authToken {
		return false
	}
	switch rt.method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}

// secondaryLimit counts a content-creating request of key against its
// minute, or answers it as GitHub answers a request over the secondary
// limit; callers hold s.mu.
func (s *Server) secondaryLimit(key string) *response {
	if s.secondary <= 0 {
		return nil
	}
	now := s.now()
	recent := s.writes[key]
	for len(recent) > 0 && !now.Before(recent[0].Add(secondaryWindow)) {
		recent = recent[1:]
	}
	if len(recent) < s.secondary {
		s.writes[key] = append(recent, now)
		return nil
	}
	s.writes[key] = recent
	wait := recent[len(recent)-s.secondary].Add(secondaryWindow).Sub(now)
	secs := max(int64((wait+time.Second-1)/time.Second), 1)
	id := fmt.Sprintf("SIM:%d", s.reqID.Add(1))
	resp := jsonResponse(http.StatusForbidden, map[string]any{
		"message": SecondaryMessage + " If you reach out to GitHub Support for help, please include the request ID " +
			id + ".",
		"documentation_url": SecondaryDocsURL,
	})
	resp.setHeader("Retry-After", fmt.Sprint(secs))
	resp.setHeader("X-GitHub-Request-Id", id)
	return resp
}
