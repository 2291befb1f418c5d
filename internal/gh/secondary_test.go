package gh_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/ladder-release/ladder/internal/gh"
	"github.com/ladder-release/ladder/internal/ghsim"
)

func (e *env) dispatch() error {
	_, _, err := e.c.REST().Repositories.Dispatch(context.Background(), owner, name, github.DispatchRequestOptions{EventType: "x"})
	return err
}

// TestSecondaryLimitWaitedOut: the simulator's secondary limit on content
// creation refuses a write with retry-after; the client waits exactly that
// long (on the clock it shares with the simulator) and sends the write once
// more, which lands: one write, not two.
func TestSecondaryLimitWaitedOut(t *testing.T) {
	e := setup(t, []ghsim.Option{ghsim.WithSecondaryLimit(2)})
	for i := 0; i < 2; i++ {
		if err := e.dispatch(); err != nil {
			t.Fatal(err)
		}
	}
	e.clock.Advance(20 * time.Second)
	if err := e.dispatch(); err != nil {
		t.Fatal(err)
	}
	var statuses []int
	for _, r := range e.sim.Requests() {
		statuses = append(statuses, r.Status)
	}
	if want := []int{204, 204, 403, 204}; !slices.Equal(statuses, want) {
		t.Errorf("answers %v, want %v", statuses, want)
	}
	if n := len(e.sim.Dispatches(repo)); n != 3 {
		t.Errorf("%d dispatches received, want 3", n)
	}
	e.check(t, secs(40), 4)
}

// TestSecondaryLimitErrors: a secondary limit that outlasts the retries, or
// asks for a wait longer than ladder makes, fails with an error that names
// GitHub's secondary rate limit and the wait.
func TestSecondaryLimitErrors(t *testing.T) {
	const msg = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
	secondary := func(retryAfter string, times int) ghsim.Fault {
		return ghsim.Fault{Method: "POST", Path: "/repos/acme/app/dispatches", Status: 403, Times: times, Message: msg,
			Header: map[string]string{"Retry-After": retryAfter, "X-Ratelimit-Remaining": "4321"}}
	}
	t.Run("retries run out", func(t *testing.T) {
		e := setup(t, nil, gh.WithMaxRetries(2))
		e.sim.Inject(secondary("30", 3))
		err := e.dispatch()
		var rl *gh.RateLimitError
		if !errors.As(err, &rl) || !rl.Secondary || rl.Attempts != 3 || rl.RetryAfter != 30*time.Second || rl.MaxWait != 0 {
			t.Fatalf("got %v (%+v)", err, rl)
		}
		want := "POST " + e.sim.URL() + "/repos/acme/app/dispatches: GitHub's secondary rate limit " +
			"(about 80 content-creating requests a minute per token, and few at once) still refused the request after 3 attempt(s) " +
			`(403 "` + msg + `"); GitHub asks to wait 30s before retrying`
		if rl.Error() != want {
			t.Errorf("error\n%s\nwant\n%s", rl.Error(), want)
		}
		e.check(t, secs(30, 30), 3)
	})
	t.Run("a wait longer than MaxSecondaryWait fails at once", func(t *testing.T) {
		e := setup(t, nil)
		e.sim.Inject(secondary("660", 1))
		err := e.dispatch()
		var rl *gh.RateLimitError
		if !errors.As(err, &rl) || rl.MaxWait != gh.MaxSecondaryWait || rl.RetryAfter != 11*time.Minute {
			t.Fatalf("got %v (%+v)", err, rl)
		}
		want := "POST " + e.sim.URL() + "/repos/acme/app/dispatches: GitHub's secondary rate limit " +
			"(about 80 content-creating requests a minute per token, and few at once): GitHub asks to wait 11m0s before retrying, " +
			`longer than the 10m0s ladder waits (403 "` + msg + `")`
		if rl.Error() != want {
			t.Errorf("error\n%s\nwant\n%s", rl.Error(), want)
		}
		e.check(t, secs(), 1)
	})
	t.Run("a wait of MaxSecondaryWait is made", func(t *testing.T) {
		e := setup(t, nil)
		e.sim.Inject(secondary("600", 1))
		if err := e.dispatch(); err != nil {
			t.Fatal(err)
		}
		e.check(t, secs(600), 2)
	})
}
