package app

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/ladder-release/ladder/internal/action"
	"github.com/ladder-release/ladder/internal/clock"
	"github.com/ladder-release/ladder/internal/config"
	"github.com/ladder-release/ladder/internal/gh"
	"github.com/ladder-release/ladder/internal/oci"
	"github.com/ladder-release/ladder/internal/redact"
	"github.com/ladder-release/ladder/internal/source"
)

// secrets are the credentials of a run, masked before anything uses them.
type secrets struct {
	token   string
	regUser string
	regPass string
	appKey  string
}

func (r *run) secrets() (secrets, error) {
	s := secrets{
		token:   r.input("token"),
		regUser: r.input("registry-username"),
		regPass: r.input("registry-password"),
	}
	r.act.AddMask(s.token)
	r.act.AddMask(s.regPass)
	return s, nil
}

// explainRegistryRefusal adds, to a registry's 401 or 403, what to do about
// it: which inputs carry credentials, or that the ones given were refused.
func (r *run) explainRegistryRefusal(err error) error {
	if r.registryHost == "" || !(errors.Is(err, oci.ErrUnauthorized) || errors.Is(err, oci.ErrDenied)) {
		return err
	}
	if r.registryUser == "" {
		return fmt.Errorf("%w; %s asked for credentials and none were given: set the inputs registry-username and registry-password "+
			"(for ghcr.io: ${{ github.actor }} and ${{ secrets.GITHUB_TOKEN }}, with permissions: packages: write)", err, r.registryHost)
	}
	return fmt.Errorf("%w; %s refused registry-username %q: check registry-password, and that this user may push to the product's repository "+
		"(for ghcr.io the workflow needs permissions: packages: write, and the package must grant this repository access)", err, r.registryHost, r.registryUser)
}

// maxInFlight bounds the requests one run has in flight, over every host.
const maxInFlight = 100

// httpClient is shared by GitHub and registry adapters: enough idle
// connections per host that concurrent reads reuse them, and at most
// maxInFlight requests under way at once.
func (r *run) httpClient() *http.Client {
	r.httpOnce.Do(func() {
		defer func() {
			if r.act.Env().Debug {
				next := r.http.Transport
				if next == nil {
					next = http.DefaultTransport
				}
				c := *r.http
				c.Transport = debugTransport{next: next, debug: r.act.Debugf, now: time.Now}
				r.http = &c
			}
		}()
		if r.deps.HTTP != nil {
			r.http = r.deps.HTTP
			return
		}
		t := &http.Transport{
			Proxy:               http.ProxyFromEnvironment,
			DialContext:         (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        256,
			MaxIdleConnsPerHost: maxInFlight,
			IdleConnTimeout:     90 * time.Second,
			TLSHandshakeTimeout: 10 * time.Second,
			ForceAttemptHTTP2:   true,
		}
		r.http = &http.Client{Transport: newLimitTransport(t, maxInFlight)}
	})
	return r.http
}

// debugTransport logs every request and its answer as a debug message
// (shown when the run has debug logging on, RUNNER_DEBUG=1): method, URL
// without its query, status and time. It sits beneath the retry policies, so
// each attempt is a line.
type debugTransport struct {
	next  http.RoundTripper
	debug func(format string, args ...any)
	now   func() time.Time
}

func (t debugTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	start := t.now()
	resp, err := t.next.RoundTrip(req)
	took := t.now().Sub(start).Round(time.Millisecond)
	if err != nil {
		t.debug("%s %s: %v (%s)", req.Method, redact.RequestURL(req.URL), err, took)
	} else {
		t.debug("%s %s: %s (%s)", req.Method, redact.RequestURL(req.URL), resp.Status, took)
	}
	return resp, err
}

// limitTransport holds a slot from sending a request until its response body
// is closed or read to the end.
type limitTransport struct {
	sem  chan struct{}
	next http.RoundTripper
}

func newLimitTransport(next http.RoundTripper, n int) *limitTransport {
	return &limitTransport{sem: make(chan struct{}, n), next: next}
}

func (l *limitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	select {
	case l.sem <- struct{}{}:
	case <-req.Context().Done():
		return nil, req.Context().Err()
	}
	resp, err := l.next.RoundTrip(req)
	if err != nil {
		<-l.sem
		return nil, err
	}
	resp.Body = &releaseBody{ReadCloser: resp.Body, release: func() { <-l.sem }}
	return resp, nil
}

type releaseBody struct {
	io.ReadCloser
	once    sync.Once
	release func()
}

func (b *releaseBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.once.Do(b.release)
	}
	return n, err
}

func (b *releaseBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.release)
	return err
}

// clock is the run's clock, the one the adapters read and wait with:
// Deps.Now, and Deps.Sleep (a real wait when nil).
func (r *run) clock() clock.Clock {
	return clock.Funcs{NowFunc: r.deps.Now, SleepFunc: r.deps.Sleep}
}

// github returns the run's GitHub client (one per run, so its ETag cache
// and connections are shared).
func (r *run) github(sec secrets) (*github.Client, error) {
	r.ghOnce.Do(func() { r.gh, r.ghErr = r.newGitHub(sec) })
	return r.gh, r.ghErr
}

func (r *run) newGitHub(sec secrets) (*github.Client, error) {
	api := r.getenv("GITHUB_API_URL")
	if api == "" {
		api = action.DefaultAPIURL
	}
	opts := []gh.Option{gh.WithAPIURL(api), gh.WithHTTPClient(r.httpClient()), gh.WithClock(r.clock()), gh.WithUserAgent("ladder/" + Version)}
	if sec.token != "" { // without one, GitHub answers anonymously (public repositories)
		opts = append(opts, gh.WithToken(sec.token))
	}
	c, err := gh.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("GitHub client: %w", err)
	}
	return c.REST(), nil
}

// gitServerURL is where `repo:` components are listed over git's smart
// HTTP: GITHUB_SERVER_URL, as actions/checkout uses it. Outside a runner,
// where only GITHUB_API_URL may be set (a GitHub Enterprise Server from the
// command line), the server is derived from the API's URL.
func (r *run) gitServerURL() string {
	if s := strings.TrimSpace(r.getenv("GITHUB_SERVER_URL")); s != "" {
		return s
	}
	if api := strings.TrimSpace(r.getenv("GITHUB_API_URL")); api != "" {
		return serverFromAPI(api)
	}
	return action.DefaultServerURL
}

// serverFromAPI derives a GitHub server's URL from its API's:
// https://api.github.com -> https://github.com, https://HOST/api/v3 ->
// https://HOST (Enterprise Server), https://api.SUB.ghe.com ->
// https://SUB.ghe.com (Enterprise Cloud with data residency); any other URL
// is taken to serve both (the simulator).
func serverFromAPI(api string) string {
	u, err := url.Parse(strings.TrimRight(api, "/"))
	if err != nil || u.Host == "" {
		return api
	}
	u.RawPath = ""
	switch {
	case strings.EqualFold(u.Host, "api.github.com"):
		u.Host, u.Path = "github.com", ""
	case strings.HasSuffix(u.Path, "/api/v3"):
		u.Path = strings.TrimSuffix(u.Path, "/api/v3")
	case strings.HasPrefix(strings.ToLower(u.Host), "api.") && strings.HasSuffix(strings.ToLower(u.Hostname()), ".ghe.com"):
		u.Host = u.Host[len("api."):]
	}
	return u.String()
}

// gitRefs returns a client that lists the refs of `repo:` components over
// git's smart HTTP at gitServerURL, with the token as basic auth (what
// actions/checkout does; a GITHUB_TOKEN with contents: read may), through
// the GitHub retry policy and the run's bounded transport.
func (r *run) gitRefs(sec secrets) (*source.GitHTTP, error) {
	// A client without a token: git takes it as basic auth, which
	// source.GitHTTP sets; only gh's retry policy is wanted here.
	c, err := gh.New(gh.WithHTTPClient(r.httpClient()), gh.WithClock(r.clock()), gh.WithUserAgent("ladder/"+Version))
	if err != nil {
		return nil, fmt.Errorf("git client: %w", err)
	}
	opts := []source.GitHTTPOption{source.WithProduct("ladder/" + Version)}
	if sec.token != "" {
		opts = append(opts, source.WithToken(sec.token))
	}
	g, err := source.NewGitHTTP(r.gitServerURL(), c.HTTPClient(), opts...)
	if err != nil {
		return nil, fmt.Errorf("GITHUB_SERVER_URL: %w", err)
	}
	return g, nil
}

// registry returns a client for the config's registry. A registry on the
// loopback interface (tests, the demo, a local registry) is spoken to over
// plain HTTP; every other over HTTPS.
func (r *run) registry(cfg *config.Config, sec secrets) (*oci.Client, error) {
	opts := []oci.Option{oci.WithBaseTransport(r.httpClient().Transport), oci.WithClock(r.clock()), oci.WithUserAgent("ladder/" + Version),
		oci.WithMask(r.act.AddMask)}
	switch {
	case sec.regUser != "":
		opts = append(opts, oci.WithAuth(sec.regUser, sec.regPass))
	case sec.regPass != "":
		return nil, fmt.Errorf("input registry-password is set but registry-username is empty (for ghcr.io, use ${{ github.actor }})")
	}
	r.registryHost, _, _ = strings.Cut(cfg.Registry, "/")
	r.registryUser = sec.regUser
	if oci.IsLoopbackRepository(cfg.Registry) {
		opts = append(opts, oci.WithInsecure())
	}
	c, err := oci.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("registry client: %w", err)
	}
	return c, nil
}

// maxEventBytes bounds the event payload read: GitHub caps a webhook
// payload at 25 MB.
const maxEventBytes = 25 << 20

// eventPayload reads the event that started the run: its name
// (GITHUB_EVENT_NAME) and the payload at GITHUB_EVENT_PATH, exactly as
// GitHub delivered it. The payload is nil when GITHUB_EVENT_PATH is unset
// (outside a runner). It is untrusted: parse it, never interpret it.
func (r *run) eventPayload() (name string, payload []byte, err error) {
	name = r.getenv("GITHUB_EVENT_NAME")
	path := r.getenv("GITHUB_EVENT_PATH")
	if path == "" {
		return name, nil, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return name, nil, fmt.Errorf("reading the event payload (GITHUB_EVENT_PATH): %w", err)
	}
	defer f.Close()
	payload, err = io.ReadAll(io.LimitReader(f, maxEventBytes+1))
	if err != nil {
		return name, nil, fmt.Errorf("reading the event payload %s: %w", path, err)
	}
	if len(payload) > maxEventBytes {
		return name, nil, fmt.Errorf("the event payload %s is over %d MB, GitHub's limit for a webhook payload", path, maxEventBytes>>20)
	}
	return name, payload, nil
}
