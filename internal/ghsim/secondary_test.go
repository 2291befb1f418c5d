package ghsim_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/ladder-release/ladder/internal/clock"
	"github.com/ladder-release/ladder/internal/ghsim"
)

// dispatch sends one content-creating request (POST dispatches) with token
// and returns the answer, its body read.
func dispatch(t *testing.T, s *ghsim.Server, token string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL()+"/repos/"+repo+"/dispatches", strings.NewReader(`{"event_type":"x"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func dispatches(t *testing.T, s *ghsim.Server, token string, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		if resp, body := dispatch(t, s, token); resp.StatusCode != http.StatusNoContent {
			t.Fatalf("write %d: %s %s", i+1, resp.Status, body)
		}
	}
}

// TestSecondaryLimitAnswer: the 81st content-creating request of a token
// within a minute is answered as GitHub answers it, changes nothing, and
// counts against neither limit; reads, and other tokens, go on.
func TestSecondaryLimitAnswer(t *testing.T) {
	clk := clock.NewFake(time.Unix(1_800_000_000, 0))
	s := ghsim.NewServer(t, ghsim.WithNow(clk.Now))
	s.CreateRepo(repo)
	dispatches(t, s, "tok", ghsim.DefaultSecondaryLimit)

	resp, body := dispatch(t, s, "tok")
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("write %d: %s %s, want 403", ghsim.DefaultSecondaryLimit+1, resp.Status, body)
	}
	var msg struct {
		Message          string `json:"message"`
		DocumentationURL string `json:"documentation_url"`
	}
	if err := json.Unmarshal(body, &msg); err != nil {
		t.Fatal(err)
	}
	id := resp.Header.Get("X-GitHub-Request-Id")
	wantMsg := "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. " +
		"If you reach out to GitHub Support for help, please include the request ID " + id + "."
	if id == "" || msg.Message != wantMsg {
		t.Errorf("message %q (request id %q), want %q", msg.Message, id, wantMsg)
	}
	if msg.DocumentationURL != "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits" {
		t.Errorf("documentation_url %q", msg.DocumentationURL)
	}
	for k, want := range map[string]string{
		"Retry-After":           "60",
		"X-Ratelimit-Limit":     "5000",
		"X-Ratelimit-Remaining": fmt.Sprint(5000 - ghsim.DefaultSecondaryLimit), // the refusal is not counted
		"X-Ratelimit-Resource":  "core",
		"Content-Type":          "application/json; charset=utf-8",
	} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	if n := len(s.Dispatches(repo)); n != ghsim.DefaultSecondaryLimit {
		t.Errorf("%d dispatches received, want %d: the refused one changed something", n, ghsim.DefaultSecondaryLimit)
	}

	c := client(t, s, "tok")
	if _, _, err := c.Repositories.Get(context.Background(), "acme", "app"); err != nil {
		t.Errorf("a read under the secondary limit: %v", err)
	}
	dispatches(t, s, "other", 1) // every token has its own minute

	// go-github recognises the answer as a secondary limit, with its wait.
	_, _, err := c.Repositories.Dispatch(context.Background(), "acme", "app", github.DispatchRequestOptions{EventType: "x"})
	var abuse *github.AbuseRateLimitError
	if !errors.As(err, &abuse) || abuse.RetryAfter == nil || *abuse.RetryAfter != time.Minute {
		t.Errorf("go-github: %T %v", err, err)
	}

	// A sliding minute: retry-after counts down, and a request is let
	// through when the oldest of the minute leaves it.
	clk.Advance(59*time.Second + 500*time.Millisecond)
	if resp, _ := dispatch(t, s, "tok"); resp.StatusCode != http.StatusForbidden || resp.Header.Get("Retry-After") != "1" {
		t.Errorf("half a second before the minute: %s, retry-after %q; want 403, 1 (whole seconds, rounded up)",
			resp.Status, resp.Header.Get("Retry-After"))
	}
	clk.Advance(500 * time.Millisecond)
	dispatches(t, s, "tok", ghsim.DefaultSecondaryLimit)
	if resp, _ := dispatch(t, s, "tok"); resp.StatusCode != http.StatusForbidden || resp.Header.Get("Retry-After") != "60" {
		t.Errorf("a minute later, after %d more: %s, retry-after %q", ghsim.DefaultSecondaryLimit, resp.Status, resp.Header.Get("Retry-After"))
	}
}

// TestSecondaryLimitSlides: the wait is until enough of the minute's writes
// have left it, not until a fixed window resets.
func TestSecondaryLimitSlides(t *testing.T) {
	clk := clock.NewFake(time.Unix(1_800_000_000, 0))
	s := ghsim.NewServer(t, ghsim.WithNow(clk.Now), ghsim.WithSecondaryLimit(4))
	s.CreateRepo(repo)
	dispatches(t, s, "tok", 2)
	clk.Advance(20 * time.Second)
	dispatches(t, s, "tok", 2)
	clk.Advance(25 * time.Second)
	if resp, _ := dispatch(t, s, "tok"); resp.StatusCode != http.StatusForbidden || resp.Header.Get("Retry-After") != "15" {
		t.Fatalf("at 45 s: %s, retry-after %q; want 403, 15", resp.Status, resp.Header.Get("Retry-After"))
	}
	clk.Advance(15 * time.Second)
	dispatches(t, s, "tok", 2) // the first two left the minute
	if resp, _ := dispatch(t, s, "tok"); resp.StatusCode != http.StatusForbidden || resp.Header.Get("Retry-After") != "20" {
		t.Fatalf("at 60 s: %s, retry-after %q; want 403, 20", resp.Status, resp.Header.Get("Retry-After"))
	}
}

func TestSecondaryLimitOff(t *testing.T) {
	s := ghsim.NewServer(t, ghsim.WithSecondaryLimit(0))
	s.CreateRepo(repo)
	dispatches(t, s, "tok", 3*ghsim.DefaultSecondaryLimit)
}

// TestSecondaryLimitAfterPrimary: a token out of its hour's quota gets the
// primary limit's answer, not the secondary's.
func TestSecondaryLimitAfterPrimary(t *testing.T) {
	s := ghsim.NewServer(t, ghsim.WithRateLimit(3), ghsim.WithSecondaryLimit(2))
	s.CreateRepo(repo)
	dispatches(t, s, "tok", 2)
	if resp, _ := dispatch(t, s, "tok"); resp.StatusCode != http.StatusForbidden || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("secondary: %s", resp.Status)
	}
	if _, _, err := client(t, s, "tok").Repositories.Get(context.Background(), "acme", "app"); err != nil {
		t.Fatal(err) // the third and last counted request of the hour
	}
	resp, body := dispatch(t, s, "tok")
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("X-Ratelimit-Remaining") != "0" ||
		resp.Header.Get("Retry-After") != "" || !strings.Contains(string(body), "API rate limit exceeded") {
		t.Fatalf("primary: %s %v %s", resp.Status, resp.Header, body)
	}
}

func TestContentCreating(t *testing.T) {
	for _, tc := range []struct {
		r    ghsim.Request
		want bool
	}{
		{ghsim.Request{Method: "PUT", Route: "PUT /repos/{owner}/{repo}/contents/{path...}"}, true},
		{ghsim.Request{Method: "DELETE", Route: "DELETE /repos/{owner}/{repo}/contents/{path...}"}, true},
		{ghsim.Request{Method: "POST", Route: "POST /repos/{owner}/{repo}/git/trees"}, true},
		{ghsim.Request{Method: "POST", Route: "POST /repos/{owner}/{repo}/git/commits"}, true},
		{ghsim.Request{Method: "POST", Route: "POST /repos/{owner}/{repo}/git/refs"}, true},
		{ghsim.Request{Method: "PATCH", Route: "PATCH /repos/{owner}/{repo}/git/refs/{ref...}"}, true},
		{ghsim.Request{Method: "DELETE", Route: "DELETE /repos/{owner}/{repo}/git/refs/{ref...}"}, true},
		{ghsim.Request{Method: "POST", Route: "POST /repos/{owner}/{repo}/dispatches"}, true},
		{ghsim.Request{Method: "POST", Route: "POST /repos/{owner}/{repo}/statuses/{sha}"}, true},
		{ghsim.Request{Method: "POST", Route: "POST /repos/{owner}/{repo}/check-runs"}, true},
		{ghsim.Request{Method: "POST", Route: "POST /repos/{owner}/{repo}/deployments"}, true},
		{ghsim.Request{Method: "POST", Route: "POST /repos/{owner}/{repo}/deployments/{id}/statuses"}, true},
		{ghsim.Request{Method: "GET", Route: "GET /repos/{owner}/{repo}/contents/{path...}"}, false},
		{ghsim.Request{Method: "HEAD", Route: "GET /repos/{owner}/{repo}"}, false},
		{ghsim.Request{Method: "POST", Route: "POST /app/installations/{id}/access_tokens"}, false},
		{ghsim.Request{Method: "POST", Route: ghsim.RouteGitUploadPack, Git: true}, false},
		{ghsim.Request{Method: "POST", Route: ""}, false}, // no such route: a 404
	} {
		if got := tc.r.ContentCreating(); got != tc.want {
			t.Errorf("%s %s: ContentCreating %v, want %v", tc.r.Method, tc.r.Route, got, tc.want)
		}
	}
}
