package app

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-github/v60/github"

	"github.com/ladder-release/ladder/internal/action"
	"github.com/ladder-release/ladder/internal/clock"
	"github.com/ladder-release/ladder/internal/config"
	"github.com/ladder-release/ladder/internal/gh"
	"github.com/ladder-release/ladder/internal/httpx"
	"github.com/ladder-release/ladder/internal/oci"
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

// httpClient is shared by GitHub and registry adapters (Deps.HTTP, or
// httpx's client bounding the requests in flight), logging each request when
// the run has debug logging on.
func (r *run) httpClient() *http.Client {
	r.httpOnce.Do(func() {
		r.http = r.deps.HTTP
		if r.http == nil {
			r.http = httpx.NewClient()
		}
		if r.act.Env().Debug {
			r.http = httpx.WithDebug(r.http, r.act.Debugf)
		}
	})
	return r.http
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
		return gh.ServerURL(api)
	}
	return action.DefaultServerURL
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

// eventPayload reads the event that started the run (action.Env.Event).
func (r *run) eventPayload() (name string, payload []byte, err error) {
	return action.ReadEnv(r.getenv).Event()
}
