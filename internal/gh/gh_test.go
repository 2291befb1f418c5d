package gh_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/ladder-release/ladder/internal/clock"
	"github.com/ladder-release/ladder/internal/gh"
	"github.com/ladder-release/ladder/internal/ghsim"
)

const (
	owner = "acme"
	name  = "app"
	repo  = owner + "/" + name
)

var start = time.Unix(1_800_000_000, 0)

type env struct {
	sim   *ghsim.Server
	clock *clock.Fake
	c     *gh.Client
}

// setup starts a simulator sharing a fake clock with a client, which uses a
// fresh transport (no pooled connection) per test.
func setup(t *testing.T, simOpts []ghsim.Option, opts ...gh.Option) *env {
	t.Helper()
	clock := clock.NewFake(start)
	sim := ghsim.NewServer(t, append(simOpts, ghsim.WithNow(clock.Now))...)
	sim.CreateRepo(repo)
	base := []gh.Option{gh.WithAPIURL(sim.URL()), gh.WithToken("tok"), gh.WithClock(clock),
		gh.WithHTTPClient(&http.Client{Transport: &http.Transport{}})}
	c, err := gh.New(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return &env{sim: sim, clock: clock, c: c}
}

func secs(ss ...int) []time.Duration {
	out := []time.Duration{}
	for _, s := range ss {
		out = append(out, time.Duration(s)*time.Second)
	}
	return out
}

// check asserts the waits the policy asked for and the requests the
// simulator saw.
func (e *env) check(t *testing.T, wantSleeps []time.Duration, wantRequests int) {
	t.Helper()
	got := e.clock.Sleeps()
	if got == nil {
		got = []time.Duration{}
	}
	if !reflect.DeepEqual(got, wantSleeps) {
		t.Errorf("sleeps %v, want %v", got, wantSleeps)
	}
	if n := len(e.sim.Requests()); n != wantRequests {
		t.Errorf("the simulator saw %d requests, want %d: %+v", n, wantRequests, e.sim.Requests())
	}
	if n := e.sim.PendingFaults(); n != 0 {
		t.Errorf("%d injected faults were not used", n)
	}
}

func (e *env) getRepo(t *testing.T) error {
	t.Helper()
	r, _, err := e.c.REST().Repositories.Get(context.Background(), owner, name)
	if err == nil && r.GetFullName() != repo {
		t.Fatalf("got repository %q", r.GetFullName())
	}
	return err
}

func TestRetryPolicy(t *testing.T) {
	reset := fmt.Sprint(start.Add(30 * time.Second).Unix())
	secondaryMsg := "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
	for _, tc := range []struct {
		name     string
		faults   []ghsim.Fault
		sleeps   []time.Duration
		requests int
	}{
		{"primary limit: 403, remaining 0, reset", []ghsim.Fault{{Status: 403,
			Message: "API rate limit exceeded for installation ID 1.",
			Header:  map[string]string{"X-Ratelimit-Remaining": "0", "X-Ratelimit-Reset": reset}}}, secs(31), 2},
		{"429 with remaining 0 waits for the reset", []ghsim.Fault{{Status: 429,
			Header: map[string]string{"X-Ratelimit-Remaining": "0", "X-Ratelimit-Reset": reset}}}, secs(31), 2},
		{"429 with retry-after", []ghsim.Fault{{Status: 429, Header: map[string]string{"Retry-After": "3"}}}, secs(3), 2},
		{"429 with retry-after and remaining 0: retry-after wins", []ghsim.Fault{{Status: 429,
			Header: map[string]string{"Retry-After": "5", "X-Ratelimit-Remaining": "0", "X-Ratelimit-Reset": reset}}}, secs(5), 2},
		{"secondary 403 with retry-after", []ghsim.Fault{{Status: 403, Message: secondaryMsg,
			Header: map[string]string{"Retry-After": "7"}}}, secs(7), 2},
		{"secondary 403 without headers: 60 s then exponential", []ghsim.Fault{{Status: 403, Message: secondaryMsg, Times: 3}},
			secs(60, 120, 240), 4},
		{"429 without headers backs off like a secondary limit", []ghsim.Fault{{Status: 429, Times: 2}}, secs(60, 120), 3},
		{"500 then success", []ghsim.Fault{{Status: 500}}, secs(1), 2},
		{"502 three times then success", []ghsim.Fault{{Status: 502, Times: 3}}, secs(1, 2, 4), 4},
		{"503 and a dropped connection share the backoff", []ghsim.Fault{{Drop: true}, {Status: 503}}, secs(1, 2), 3},
		{"dropped connection then success", []ghsim.Fault{{Drop: true}}, secs(1), 2},
		{"retry-after as an HTTP date", []ghsim.Fault{{Status: 429,
			Header: map[string]string{"Retry-After": start.Add(9 * time.Second).UTC().Format(http.TimeFormat)}}}, secs(9), 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t, nil)
			for _, f := range tc.faults {
				f.Method, f.Path = "GET", "/repos/acme/app"
				e.sim.Inject(f)
			}
			if err := e.getRepo(t); err != nil {
				t.Fatal(err)
			}
			e.check(t, tc.sleeps, tc.requests)
		})
	}
}

func TestSecondaryBackoffIsCapped(t *testing.T) {
	e := setup(t, nil, gh.WithMaxRetries(6))
	e.sim.Inject(ghsim.Fault{Status: 403, Message: "You have exceeded a secondary rate limit", Times: 6})
	if err := e.getRepo(t); err != nil {
		t.Fatal(err)
	}
	e.check(t, secs(60, 120, 240, 480, 600, 600), 7)
}

func TestRetriesExhausted(t *testing.T) {
	t.Run("secondary limit", func(t *testing.T) {
		e := setup(t, nil, gh.WithMaxRetries(2))
		e.sim.Inject(ghsim.Fault{Status: 403, Message: "You have exceeded a secondary rate limit", Times: 3})
		err := e.getRepo(t)
		var rl *gh.RateLimitError
		if !errors.As(err, &rl) {
			t.Fatalf("want *gh.RateLimitError, got %T %v", err, err)
		}
		if !rl.Secondary || rl.Status != 403 || rl.Attempts != 3 || rl.Method != "GET" ||
			!strings.HasSuffix(rl.URL, "/repos/acme/app") || !strings.Contains(rl.Message, "secondary rate limit") {
			t.Errorf("%+v", rl)
		}
		if a, ok := gh.AsAPIError(err); !ok || a.Status != 403 {
			t.Errorf("AsAPIError: %+v", a)
		}
		e.check(t, secs(60, 120), 3)
	})
	t.Run("primary limit, 429", func(t *testing.T) {
		e := setup(t, nil, gh.WithMaxRetries(1))
		reset := start.Add(10 * time.Second)
		e.sim.Inject(ghsim.Fault{Status: 429, Times: 2,
			Header: map[string]string{"X-Ratelimit-Remaining": "0", "X-Ratelimit-Reset": fmt.Sprint(reset.Unix())}})
		err := e.getRepo(t)
		var rl *gh.RateLimitError
		if !errors.As(err, &rl) || rl.Secondary || rl.Status != 429 || !rl.Reset.Equal(reset) {
			t.Fatalf("got %v (%+v)", err, rl)
		}
		e.check(t, secs(11), 2)
	})
	t.Run("5xx", func(t *testing.T) {
		e := setup(t, nil, gh.WithMaxRetries(2))
		e.sim.Inject(ghsim.Fault{Status: 502, Times: 3})
		err := e.getRepo(t)
		if a, ok := gh.AsAPIError(err); !ok || a.Status != 502 || a.Method != "GET" {
			t.Fatalf("want a 502 APIError, got %v", err)
		}
		e.check(t, secs(1, 2), 3)
	})
	t.Run("a wait beyond MaxWait fails at once", func(t *testing.T) {
		e := setup(t, nil)
		e.sim.Inject(ghsim.Fault{Status: 429, Header: map[string]string{"Retry-After": "7200"}})
		var rl *gh.RateLimitError
		if err := e.getRepo(t); !errors.As(err, &rl) || rl.RetryAfter != 2*time.Hour {
			t.Fatalf("got %v", err)
		}
		e.check(t, secs(), 1)
	})
	t.Run("no retries", func(t *testing.T) {
		e := setup(t, nil, gh.WithMaxRetries(0))
		e.sim.Inject(ghsim.Fault{Status: 500})
		if !gh.IsStatus(e.getRepo(t), 500) {
			t.Fatal("want 500")
		}
		e.check(t, secs(), 1)
	})
}

func TestNotRetried(t *testing.T) {
	t.Run("404", func(t *testing.T) {
		e := setup(t, nil)
		_, _, err := e.c.REST().Repositories.Get(context.Background(), owner, "missing")
		a, ok := gh.AsAPIError(err)
		if !ok || a.Status != 404 || a.Message != "Not Found" || !gh.IsStatus(err, http.StatusNotFound) {
			t.Fatalf("got %v", err)
		}
		e.check(t, secs(), 1)
	})
	t.Run("403 that is not a rate limit", func(t *testing.T) {
		clock := clock.NewFake(start)
		sim := ghsim.NewServer(t, ghsim.WithNow(clock.Now))
		sim.CreateRepo(repo)
		sim.AddToken("reader", map[string]string{repo: "read"})
		c, err := gh.New(gh.WithAPIURL(sim.URL()), gh.WithToken("reader"), gh.WithClock(clock))
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = c.REST().Repositories.Dispatch(context.Background(), owner, name, github.DispatchRequestOptions{EventType: "x"})
		a, ok := gh.AsAPIError(err)
		if !ok || a.Status != 403 || a.Message != "Resource not accessible by integration" || a.Method != "POST" {
			t.Fatalf("got %v", err)
		}
		var rl *gh.RateLimitError
		if errors.As(err, &rl) {
			t.Error("a plain 403 is not a rate limit")
		}
		(&env{sim: sim, clock: clock}).check(t, secs(), 1)
	})
	t.Run("422", func(t *testing.T) {
		e := setup(t, nil)
		_, _, err := e.c.REST().Repositories.Dispatch(context.Background(), owner, name, github.DispatchRequestOptions{})
		if !gh.IsStatus(err, 422) {
			t.Fatalf("got %v", err)
		}
		e.check(t, secs(), 1)
	})
}

func TestBodiesAreReplayed(t *testing.T) {
	e := setup(t, nil)
	ctx := context.Background()
	e.sim.PutFile(repo, "main", "ledger.json", []byte("v1"), "seed")
	e.sim.ResetStats()
	fc, _, _, err := e.c.REST().Repositories.GetContents(ctx, owner, name, "ledger.json", nil)
	if err != nil {
		t.Fatal(err)
	}
	e.sim.Inject(ghsim.Fault{Method: "PUT", Path: "/repos/acme/app/contents/ledger.json", Status: 502})
	e.sim.Inject(ghsim.Fault{Method: "PUT", Path: "/repos/acme/app/contents/ledger.json", Drop: true})
	_, _, err = e.c.REST().Repositories.UpdateFile(ctx, owner, name, "ledger.json", &github.RepositoryContentFileOptions{
		Message: github.String("write v2"), Content: []byte("v2"), SHA: fc.SHA})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := e.sim.File(repo, "main", "ledger.json"); string(got) != "v2" {
		t.Fatalf("file %q", got)
	}
	if h := e.sim.History(repo, "main"); h[0].Message != "write v2" || h[1].Message != "seed" {
		t.Fatalf("history %+v", h[:2])
	}
	e.check(t, secs(1, 2), 4)

	e.sim.Inject(ghsim.Fault{Method: "POST", Path: "/repos/acme/app/dispatches", Status: 500})
	payload := json.RawMessage(`{"correlation_id":"c-1","chain":[{"repo":"acme/app"}]}`)
	if _, _, err := e.c.REST().Repositories.Dispatch(ctx, owner, name, github.DispatchRequestOptions{
		EventType: "ladder-cascade", ClientPayload: &payload}); err != nil {
		t.Fatal(err)
	}
	d := e.sim.Dispatches(repo)
	if len(d) != 1 || string(d[0].ClientPayload) != string(payload) {
		t.Fatalf("dispatches %+v", d)
	}
}

func TestETagCache(t *testing.T) {
	e := setup(t, []ghsim.Option{ghsim.WithRateLimit(100)})
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if err := e.getRepo(t); err != nil {
			t.Fatal(err)
		}
	}
	var statuses []int
	for _, r := range e.sim.Requests() {
		statuses = append(statuses, r.Status)
	}
	if fmt.Sprint(statuses) != "[200 304 304]" {
		t.Fatalf("statuses %v", statuses)
	}
	rl, _, err := e.c.REST().RateLimit.Get(ctx)
	if err != nil || rl.Core.Remaining != 99 {
		t.Fatalf("304s were counted: %v %+v", err, rl.Core)
	}
	// A change is seen at once.
	e.sim.Commit(repo, "main", "moved")
	b, _, err := e.c.REST().Repositories.GetBranch(ctx, owner, name, "main", 0)
	if err != nil {
		t.Fatal(err)
	}
	head, _ := e.sim.Head(repo, "main")
	b2, _, err := e.c.REST().Repositories.GetBranch(ctx, owner, name, "main", 0)
	if err != nil || b.GetCommit().GetSHA() != head || b2.GetCommit().GetSHA() != head {
		t.Fatalf("branch %v", err)
	}
	e.sim.Commit(repo, "main", "moved again")
	b3, _, err := e.c.REST().Repositories.GetBranch(ctx, owner, name, "main", 0)
	if head2, _ := e.sim.Head(repo, "main"); err != nil || b3.GetCommit().GetSHA() != head2 {
		t.Fatalf("stale cache: %v", err)
	}
	e.check(t, secs(), 7)
}

func TestPrimaryLimitReachedWaitsForTheWindow(t *testing.T) {
	// The simulator's own limit, on the shared fake clock: the second
	// answer says remaining 0, after which go-github alone would refuse the
	// third request without sending it; ladder sends it, gets the 403,
	// waits for the reset (the window opened at start) and succeeds.
	e := setup(t, []ghsim.Option{ghsim.WithRateLimit(2)})
	for page := 1; page <= 3; page++ { // distinct URLs: no ETag revalidation
		_, resp, err := e.c.REST().Repositories.GetCommit(context.Background(), owner, name, "main", &github.ListOptions{Page: page})
		if err != nil {
			t.Fatalf("request %d: %v", page, err)
		}
		if page == 2 && resp.Rate.Remaining != 0 {
			t.Fatalf("remaining %d", resp.Rate.Remaining)
		}
	}
	var statuses []int
	for _, r := range e.sim.Requests() {
		statuses = append(statuses, r.Status)
	}
	if fmt.Sprint(statuses) != "[200 200 403 200]" {
		t.Errorf("statuses %v", statuses)
	}
	e.check(t, secs(3601), 4)
}

// observedClock is the system clock, except that Sleep first records the
// wait asked for and reports it on waiting.
type observedClock struct {
	clock.Clock
	mu      sync.Mutex
	sleeps  []time.Duration
	waiting chan time.Duration
}

func (c *observedClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.sleeps = append(c.sleeps, d)
	c.mu.Unlock()
	select {
	case c.waiting <- d:
	default: // a further wait: recorded, reported by the test
	}
	return c.Clock.Sleep(ctx, d)
}

func (c *observedClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

func TestContextCancelledDuringWait(t *testing.T) {
	sim := ghsim.NewServer(t)
	sim.CreateRepo(repo)
	// The primary limit (remaining 0): a secondary one would not be waited
	// out for an hour (MaxSecondaryWait).
	sim.Inject(ghsim.Fault{Status: 429, Header: map[string]string{"Retry-After": "3600", "X-Ratelimit-Remaining": "0"}})
	clock := &observedClock{Clock: clock.System(), waiting: make(chan time.Duration, 1)}
	c, err := gh.New(gh.WithAPIURL(sim.URL()), gh.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, _, err := c.REST().Repositories.Get(ctx, owner, name)
		done <- err
	}()
	// Cancel once the policy is in the hour-long wait the 429 asked for:
	// only the cancellation can end it, so the call returning at all shows
	// the wait honours ctx.
	if d := <-clock.waiting; d != time.Hour {
		t.Errorf("the policy waits %s, want 1h (Retry-After: 3600)", d)
	}
	cancel()
	err = <-done
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("want context.Canceled, got %v", err)
	}
	if got := clock.Sleeps(); !reflect.DeepEqual(got, []time.Duration{time.Hour}) {
		t.Errorf("sleeps %v, want only the cancelled 1h wait", got)
	}
	if n := len(sim.Requests()); n != 1 {
		t.Errorf("the simulator saw %d requests, want 1 (no retry after the cancellation): %+v", n, sim.Requests())
	}
}

func TestEnterpriseServer(t *testing.T) {
	for _, suffix := range []string{"", "/"} {
		clock := clock.NewFake(start)
		sim := ghsim.NewServer(t, ghsim.WithPrefix("/api/v3"), ghsim.WithNow(clock.Now))
		sim.CreateRepo(repo)
		sim.Inject(ghsim.Fault{Status: 502})
		c, err := gh.New(gh.WithAPIURL(sim.URL()+suffix), gh.WithClock(clock))
		if err != nil {
			t.Fatal(err)
		}
		if got := c.REST().BaseURL.String(); got != sim.URL()+"/" {
			t.Errorf("BaseURL %s", got)
		}
		if got := c.REST().UploadURL.String(); !strings.HasSuffix(got, "/api/uploads/") {
			t.Errorf("UploadURL %s", got)
		}
		r, _, err := c.REST().Repositories.Get(context.Background(), owner, name)
		if err != nil || r.GetFullName() != repo {
			t.Fatalf("GHES: %v", err)
		}
		(&env{sim: sim, clock: clock}).check(t, secs(1), 2)
	}
}

func TestOptions(t *testing.T) {
	c, err := gh.New()
	if err != nil {
		t.Fatal(err)
	}
	if c.REST().BaseURL.String() != "https://api.github.com/" || c.REST().UploadURL.String() != "https://uploads.github.com/" ||
		c.REST().UserAgent != "ladder" {
		t.Errorf("defaults: %s %s %s", c.REST().BaseURL, c.REST().UploadURL, c.REST().UserAgent)
	}
	c, err = gh.New(gh.WithAPIURL("https://api.github.com"), gh.WithUserAgent("ladder/1.0"))
	if err != nil || c.REST().BaseURL.String() != "https://api.github.com/" || c.REST().UserAgent != "ladder/1.0" {
		t.Errorf("github.com: %v", err)
	}
	c, err = gh.New(gh.WithAPIURL("https://ghe.example.com/api/v3"))
	if err != nil || c.REST().BaseURL.String() != "https://ghe.example.com/api/v3/" ||
		c.REST().UploadURL.String() != "https://ghe.example.com/api/uploads/" {
		t.Errorf("GHES: %v %s", err, c.REST().BaseURL)
	}
	for _, tc := range []struct {
		opts []gh.Option
		want string
	}{
		{[]gh.Option{gh.WithAPIURL("ftp://x")}, "absolute http(s) URL"},
		{[]gh.Option{gh.WithAPIURL("api.github.com")}, "absolute http(s) URL"},
		{[]gh.Option{gh.WithAPIURL("https://x/?a=b")}, "query"},
		{[]gh.Option{gh.WithMaxRetries(-1)}, "0 or more"},
		{[]gh.Option{gh.WithToken("")}, "empty token"},
		{[]gh.Option{gh.WithToken("a"), gh.WithToken("b")}, "WithToken was given twice"},
		{[]gh.Option{gh.WithAPIURL("https://a"), gh.WithAPIURL("https://b")}, "WithAPIURL was given twice"},
		{[]gh.Option{gh.WithHTTPClient(nil)}, "nil client"},
		{[]gh.Option{gh.WithClock(nil)}, "nil clock"},
		{[]gh.Option{gh.WithUserAgent(" ")}, "empty user agent"},
		{[]gh.Option{gh.WithHTTPClient(&http.Client{Timeout: time.Second})}, "Timeout"},
	} {
		if _, err := gh.New(tc.opts...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("want an error containing %q, got %v", tc.want, err)
		}
	}
	if _, err := gh.New(gh.WithToken("a"), gh.WithToken("a")); err != nil {
		t.Errorf("the same option twice with the same value: %v", err)
	}
	if _, err := gh.New(gh.WithHTTPClient(&http.Client{Timeout: time.Second}), gh.WithMaxRetries(0)); err != nil {
		t.Errorf("a Timeout without retries: %v", err)
	}
}

func TestInstallationToken(t *testing.T) {
	sim := ghsim.NewServer(t)
	sim.CreateRepo(repo)
	sim.CreateRepo("acme/other")
	key := sim.InstallApp(t, 99, 5, map[string]string{repo: "write"})
	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	pkcs8 := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})

	c, err := gh.New(gh.WithAPIURL(sim.URL()))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, pemKey := range [][]byte{pkcs1, pkcs8} {
		tok, err := c.InstallationToken(ctx, 99, pemKey, repo)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(tok.Token, "ghs_") || time.Until(tok.ExpiresAt) < 50*time.Minute {
			t.Fatalf("%+v", tok)
		}
		if tok.Permissions["contents"] != "write" || tok.Permissions["metadata"] != "read" || len(tok.Permissions) != 2 {
			t.Errorf("granted permissions: %v", tok.Permissions)
		}
		ic, err := gh.New(gh.WithAPIURL(sim.URL()), gh.WithToken(tok.Token))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := ic.REST().Repositories.Dispatch(ctx, owner, name, github.DispatchRequestOptions{EventType: "go"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.InstallationToken(ctx, 99, pkcs1, "acme/other"); !gh.IsStatus(err, 404) {
		t.Errorf("no installation on the repo: %v", err)
	}
	if _, err := c.InstallationToken(ctx, 99, []byte("junk"), repo); err == nil || !strings.Contains(err.Error(), "not PEM") {
		t.Errorf("bad key: %v", err)
	}
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	wrong := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(other)})
	if _, err := c.InstallationToken(ctx, 99, wrong, repo); !gh.IsStatus(err, 401) {
		t.Errorf("wrong key: %v", err)
	}
}
