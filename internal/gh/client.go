// Package gh is ladder's adapter around go-github v60: one client
// constructor with validating options, one retry policy for GitHub (rate
// limits, 5xx, dropped connections; SPEC section 7), conditional GETs that
// save quota, typed errors callers branch on, and GitHub App installation
// tokens.
//
// Every request made through Client.REST() (or Client.HTTPClient()) goes
// through, outermost first: the token, an ETag cache, the retry policy, then
// the base transport.
//
// The retry policy, per request:
//   - a 403 or 429 with retry-after waits that many seconds;
//   - else a 403 or 429 with x-ratelimit-remaining: 0 waits until
//     x-ratelimit-reset plus ResetMargin;
//   - else a 429, or a 403 whose message says it is a (secondary) rate
//     limit, waits SecondaryBackoff (60 s), then twice as long each time,
//     up to SecondaryBackoffCap (10 min);
//   - a 5xx (not 501) or a dropped, reset or refused connection waits
//     ServerBackoff (1 s), then twice as long each time, up to
//     ServerBackoffCap;
//   - anything else, notably a 403 that is not a rate limit ("Resource not
//     accessible by integration") and other 4xx, is returned at once.
//
// A rate limit is a secondary one (GitHub's limit on content creation, 80
// writes a minute per token, or on concurrency) unless the answer says
// x-ratelimit-remaining: 0; decideLimit holds these rules. At most
// MaxRetries retries are made (all causes together); a wait longer than
// MaxWait (MaxSecondaryWait for a secondary limit) is not attempted. A
// request still rate limited then fails with a *RateLimitError naming the
// limit and the wait; a 5xx is returned as GitHub's answer (see AsAPIError).
// Request bodies are replayed; a cancelled context ends a wait at once.
package gh

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/go-github/v60/github"
	"github.com/ladder-release/ladder/internal/clock"
)

// DefaultAPIURL is GitHub.com's API.
const DefaultAPIURL = "https://api.github.com/"

// Client is a GitHub REST client with ladder's policy.
type Client struct {
	rest   *github.Client
	http   *http.Client
	bare   *http.Client // the same chain without the token (App JWT requests)
	apiURL *url.URL
	clock  clock.Clock
	ua     string
	mask   func(secret string) // told every secret the client derives, before it is used
}

// REST returns the go-github client.
func (c *Client) REST() *github.Client { return c.rest }

// HTTPClient returns an http.Client with the same token, cache and retry
// policy, for requests go-github does not model.
func (c *Client) HTTPClient() *http.Client { return c.http }

// Clock returns the clock the client waits with.
func (c *Client) Clock() clock.Clock { return c.clock }

type settings struct {
	apiURL     *url.URL
	token      string
	httpClient *http.Client
	clock      clock.Clock
	maxRetries int
	userAgent  string
	mask       func(secret string)
	set        map[string]string // option -> value given, to reject conflicts
}

// Option configures New.
type Option func(*settings) error

func (s *settings) once(name, value string) error {
	if prev, ok := s.set[name]; ok && prev != value {
		return fmt.Errorf("%s was given twice, with different values", name)
	}
	s.set[name] = value
	return nil
}

// WithAPIURL sets the API base URL, as the runner sets GITHUB_API_URL:
// https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise
// Server. The URL is used as given (no /api/v3 is added); a trailing slash is.
func WithAPIURL(raw string) Option {
	return func(s *settings) error {
		u, err := url.Parse(strings.TrimSpace(raw))
		if err != nil {
			return fmt.Errorf("API URL %q: %w", raw, err)
		}
		if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return fmt.Errorf("API URL %q must be an absolute http(s) URL such as https://api.github.com", raw)
		}
		if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return fmt.Errorf("API URL %q must not carry a query, fragment or credentials", raw)
		}
		if !strings.HasSuffix(u.Path, "/") {
			u.Path += "/"
			u.RawPath = ""
		}
		if err := s.once("WithAPIURL", u.String()); err != nil {
			return err
		}
		s.apiURL = u
		return nil
	}
}

// WithToken authenticates every request with token (a GITHUB_TOKEN, a
// personal access token or an installation token).
func WithToken(token string) Option {
	return func(s *settings) error {
		token = strings.TrimSpace(token)
		if token == "" {
			return errors.New("WithToken was given an empty token; leave the option out for anonymous requests")
		}
		if err := s.once("WithToken", token); err != nil {
			return err
		}
		s.token = token
		return nil
	}
}

// WithHTTPClient sets the client whose Transport (nil: the default) carries
// the requests; its Jar and CheckRedirect are kept. A Timeout is refused
// while retries are on: it would cut rate-limit waits short (use a context
// deadline instead).
func WithHTTPClient(hc *http.Client) Option {
	return nonNil("WithHTTPClient", "client", hc == nil, func(s *settings) error {
		s.httpClient = hc
		return s.once("WithHTTPClient", fmt.Sprintf("%p", hc))
	})
}

// nonNil is an option that applies set, refused when its value is nil.
func nonNil(option, what string, isNil bool, set func(*settings) error) Option {
	return func(s *settings) error {
		if isNil {
			return fmt.Errorf("%s was given a nil %s", option, what)
		}
		return set(s)
	}
}

// WithMask is told every secret the client derives (a GitHub App's JWT)
// before the secret is first sent, so a runner can mask it (::add-mask::).
func WithMask(mask func(secret string)) Option {
	return nonNil("WithMask", "function", mask == nil, func(s *settings) error {
		s.mask = mask
		return nil
	})
}

// WithClock sets the clock the retry policy reads and waits with (default
// clock.System(); tests use a clock.Fake).
func WithClock(c clock.Clock) Option {
	return nonNil("WithClock", "clock", c == nil, func(s *settings) error {
		s.clock = c
		return s.once("WithClock", fmt.Sprintf("%p", c))
	})
}

// WithMaxRetries sets how many times one request may be retried (default
// DefaultMaxRetries; 0 disables retries).
func WithMaxRetries(n int) Option {
	return func(s *settings) error {
		if n < 0 {
			return fmt.Errorf("WithMaxRetries(%d): the number of retries must be 0 or more", n)
		}
		if err := s.once("WithMaxRetries", fmt.Sprint(n)); err != nil {
			return err
		}
		s.maxRetries = n
		return nil
	}
}

// WithUserAgent sets the User-Agent header (default "ladder").
func WithUserAgent(ua string) Option {
	return func(s *settings) error {
		if strings.TrimSpace(ua) == "" {
			return errors.New("WithUserAgent was given an empty user agent")
		}
		if err := s.once("WithUserAgent", ua); err != nil {
			return err
		}
		s.userAgent = ua
		return nil
	}
}

// New builds a Client: defaults first (GitHub.com, no token, the system
// clock, DefaultMaxRetries), then the options; an invalid or conflicting
// option fails with a sentence saying why.
func New(opts ...Option) (*Client, error) {
	def, _ := url.Parse(DefaultAPIURL)
	s := &settings{apiURL: def, clock: clock.System(), maxRetries: DefaultMaxRetries,
		userAgent: "ladder", set: map[string]string{}}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(s); err != nil {
			return nil, fmt.Errorf("configuring the GitHub client: %w", err)
		}
	}
	base := http.DefaultTransport
	var jar http.CookieJar
	var checkRedirect func(*http.Request, []*http.Request) error
	if hc := s.httpClient; hc != nil {
		if hc.Timeout > 0 && s.maxRetries > 0 {
			return nil, errors.New("configuring the GitHub client: the http.Client given to WithHTTPClient has a Timeout, " +
				"which would cut rate-limit waits short; use a context deadline, or WithMaxRetries(0)")
		}
		if hc.Transport != nil {
			base = hc.Transport
		}
		jar, checkRedirect = hc.Jar, hc.CheckRedirect
	}

	chain := newETagCache(&retryTransport{next: base, clock: s.clock, maxRetries: s.maxRetries})
	bare := &http.Client{Transport: chain, Jar: jar, CheckRedirect: checkRedirect}
	authed := bare
	if s.token != "" {
		authed = &http.Client{Transport: &tokenTransport{token: s.token, next: chain}, Jar: jar, CheckRedirect: checkRedirect}
	}
	rest := newREST(authed, s.apiURL, s.userAgent)
	return &Client{rest: rest, http: authed, bare: bare, apiURL: s.apiURL, clock: s.clock, ua: s.userAgent, mask: s.mask}, nil
}

func newREST(hc *http.Client, api *url.URL, ua string) *github.Client {
	rest := github.NewClient(hc)
	base := *api
	rest.BaseURL = &base
	up := *api
	switch {
	case strings.HasSuffix(up.Path, "/api/v3/"):
		up.Path = strings.TrimSuffix(up.Path, "/api/v3/") + "/api/uploads/"
	case up.Host == "api.github.com":
		up.Host = "uploads.github.com"
	}
	up.RawPath = ""
	rest.UploadURL = &up
	rest.UserAgent = ua
	return rest
}

// tokenTransport sets the Authorization header.
type tokenTransport struct {
	token string
	next  http.RoundTripper
}

func (t *tokenTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", "Bearer "+t.token)
	return t.next.RoundTrip(r)
}

// ServerURL derives a GitHub server's URL from its API's:
// https://api.github.com -> https://github.com, https://HOST/api/v3 ->
// https://HOST (Enterprise Server), https://api.SUB.ghe.com ->
// https://SUB.ghe.com (Enterprise Cloud with data residency); any other URL
// is taken to serve both (the simulator).
func ServerURL(api string) string {
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
