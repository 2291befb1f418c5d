package gh

import (
	"net/http"
	"testing"
	"time"
)

// TestDecideLimit: which 403 and 429 answers are a rate limit, which of
// those a secondary one, and how long each asks to wait.
func TestDecideLimit(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	reset := now.Add(30 * time.Second)
	const (
		secondaryMsg = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. " +
			"If you reach out to GitHub Support for help, please include the request ID SIM:7."
		secondaryDoc = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
	)
	hdr := func(kv ...string) http.Header {
		h := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return h
	}
	for _, tc := range []struct {
		name    string
		status  int
		header  http.Header
		message string
		docURL  string
		want    limit
	}{
		{"secondary limit on content creation, as GitHub answers it", 403,
			hdr("Retry-After", "42", "X-Ratelimit-Remaining", "4920", "X-Ratelimit-Reset", "1800003600"), secondaryMsg, secondaryDoc,
			limit{Limited: true, Secondary: true, Given: true, Wait: 42 * time.Second}},
		{"secondary limit answered 429", 429, hdr("Retry-After", "60", "X-Ratelimit-Remaining", "12"), secondaryMsg, secondaryDoc,
			limit{Limited: true, Secondary: true, Given: true, Wait: time.Minute}},
		{"secondary limit without retry-after: back off", 403, hdr("X-Ratelimit-Remaining", "4000"), secondaryMsg, secondaryDoc,
			limit{Limited: true, Secondary: true}},
		{"secondary limit known only by its documentation URL", 403, nil, "", secondaryDoc,
			limit{Limited: true, Secondary: true}},
		{"the old abuse wording", 403, nil, "You have triggered an abuse detection mechanism.", "",
			limit{Limited: true, Secondary: true}},
		{"retry-after as an HTTP date", 403, hdr("Retry-After", now.Add(9*time.Second).UTC().Format(http.TimeFormat)), secondaryMsg, "",
			limit{Limited: true, Secondary: true, Given: true, Wait: 9 * time.Second}},
		{"retry-after of 0", 429, hdr("Retry-After", "0"), "", "",
			limit{Limited: true, Secondary: true, Given: true}},
		{"a 429 with no header and no message", 429, nil, "", "",
			limit{Limited: true, Secondary: true}},
		{"primary limit: remaining 0, wait to the reset and a margin", 403,
			hdr("X-Ratelimit-Remaining", "0", "X-Ratelimit-Reset", "1800000030"), "API rate limit exceeded for installation ID 1.", "",
			limit{Limited: true, Given: true, Wait: 31 * time.Second, Reset: reset}},
		{"primary limit whose reset has passed: the margin", 403,
			hdr("X-Ratelimit-Remaining", "0", "X-Ratelimit-Reset", "1799999990"), "", "",
			limit{Limited: true, Given: true, Wait: ResetMargin, Reset: now.Add(-10 * time.Second)}},
		{"primary limit with retry-after: retry-after wins", 429,
			hdr("Retry-After", "5", "X-Ratelimit-Remaining", "0", "X-Ratelimit-Reset", "1800000030"), "", "",
			limit{Limited: true, Given: true, Wait: 5 * time.Second}},
		{"primary limit without a readable reset: back off", 403, hdr("X-Ratelimit-Remaining", "0"), "", "",
			limit{Limited: true}},
		{"a malformed retry-after is not a wait", 403, hdr("Retry-After", "soon", "X-Ratelimit-Remaining", "10"), secondaryMsg, "",
			limit{Limited: true, Secondary: true}},
		{"a plain refusal", 403, hdr("X-Ratelimit-Remaining", "4999"), "Resource not accessible by integration",
			"https://docs.github.com/rest/repos/repos#create-a-repository-dispatch-event", limit{}},
		{"a refusal without a body", 403, nil, "", "", limit{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := tc.header
			if h == nil {
				h = http.Header{}
			}
			got := decideLimit(tc.status, h, tc.message, tc.docURL, now)
			if got.Limited != tc.want.Limited || got.Secondary != tc.want.Secondary || got.Given != tc.want.Given ||
				got.Wait != tc.want.Wait || !got.Reset.Equal(tc.want.Reset) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestMaxWaitFor(t *testing.T) {
	if got := maxWaitFor(true); got != 10*time.Minute {
		t.Errorf("secondary: %s", got)
	}
	if got := maxWaitFor(false); got != MaxWait {
		t.Errorf("primary: %s", got)
	}
}
