package session

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/google/go-github/v60/github"

	"github.com/ladder-release/ladder/internal/action"
	"github.com/ladder-release/ladder/internal/changes"
	"github.com/ladder-release/ladder/internal/cli"
	"github.com/ladder-release/ladder/internal/clock"
	"github.com/ladder-release/ladder/internal/config"
	"github.com/ladder-release/ladder/internal/gh"
	"github.com/ladder-release/ladder/internal/httpx"
	"github.com/ladder-release/ladder/internal/ledger"
	"github.com/ladder-release/ladder/internal/lock"
	"github.com/ladder-release/ladder/internal/oci"
	"github.com/ladder-release/ladder/internal/sigclient"
	"github.com/ladder-release/ladder/internal/source"
	"github.com/ladder-release/ladder/internal/status"
)

// Secrets are the credentials of a run, masked before anything uses them.
type Secrets struct {
	Token            string
	RegistryUser     string
	RegistryPassword string
	AppKey           string
}

// Secrets reads an action's token and registry credentials, and masks them.
func (r *Run) Secrets() (Secrets, error) {
	s := Secrets{
		Token:            r.Input("token"),
		RegistryUser:     r.Input("registry-username"),
		RegistryPassword: r.Input("registry-password"),
	}
	r.Act.AddMask(s.Token)
	r.Act.AddMask(s.RegistryPassword)
	return s, nil
}

// ExplainRegistryRefusal adds, to a registry's 401 or 403, what to do about
// it: which inputs carry credentials, or that the ones given were refused.
func (r *Run) ExplainRegistryRefusal(err error) error {
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

// HTTPClient is shared by GitHub and registry adapters (Deps.HTTP, or
// httpx's client bounding the requests in flight), logging each request when
// the run has debug logging on.
func (r *Run) HTTPClient() *http.Client {
	r.httpOnce.Do(func() {
		r.http = r.Deps.HTTP
		if r.http == nil {
			r.http = httpx.NewClient()
		}
		if r.Act.Env().Debug {
			r.http = httpx.WithDebug(r.http, r.Act.Debugf)
		}
	})
	return r.http
}

// Clock is the run's clock, the one the adapters read and wait with:
// Deps.Now, and Deps.Sleep (a real wait when nil).
func (r *Run) Clock() clock.Clock {
	return clock.Funcs{NowFunc: r.Deps.Now, SleepFunc: r.Deps.Sleep}
}

// GitHub returns the run's GitHub client (one per run, so its ETag cache
// and connections are shared).
func (r *Run) GitHub(sec Secrets) (*github.Client, error) {
	r.ghOnce.Do(func() { r.gh, r.ghErr = r.NewGitHub(sec) })
	return r.gh, r.ghErr
}

// NewGitHub makes a GitHub client of its own for sec (GitHub keeps one, for
// the run's own token).
func (r *Run) NewGitHub(sec Secrets) (*github.Client, error) {
	api := r.Getenv("GITHUB_API_URL")
	if api == "" {
		api = action.DefaultAPIURL
	}
	opts := []gh.Option{gh.WithAPIURL(api), gh.WithHTTPClient(r.HTTPClient()), gh.WithClock(r.Clock()), gh.WithUserAgent("ladder/" + r.version)}
	if sec.Token != "" { // without one, GitHub answers anonymously (public repositories)
		opts = append(opts, gh.WithToken(sec.Token))
	}
	c, err := gh.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("GitHub client: %w", err)
	}
	return c.REST(), nil
}

// GitServerURL is where `repo:` components are listed over git's smart
// HTTP: GITHUB_SERVER_URL, as actions/checkout uses it. Outside a runner,
// where only GITHUB_API_URL may be set (a GitHub Enterprise Server from the
// command line), the server is derived from the API's URL.
func (r *Run) GitServerURL() string {
	if s := strings.TrimSpace(r.Getenv("GITHUB_SERVER_URL")); s != "" {
		return s
	}
	if api := strings.TrimSpace(r.Getenv("GITHUB_API_URL")); api != "" {
		return gh.ServerURL(api)
	}
	return action.DefaultServerURL
}

// GitRefs returns a client that lists the refs of `repo:` components over
// git's smart HTTP at gitServerURL, with the token as basic auth (what
// actions/checkout does; a GITHUB_TOKEN with contents: read may), through
// the GitHub retry policy and the run's bounded transport.
func (r *Run) GitRefs(sec Secrets) (*source.GitHTTP, error) {
	// A client without a token: git takes it as basic auth, which
	// source.GitHTTP sets; only gh's retry policy is wanted here.
	c, err := gh.New(gh.WithHTTPClient(r.HTTPClient()), gh.WithClock(r.Clock()), gh.WithUserAgent("ladder/"+r.version))
	if err != nil {
		return nil, fmt.Errorf("git client: %w", err)
	}
	opts := []source.GitHTTPOption{source.WithProduct("ladder/" + r.version)}
	if sec.Token != "" {
		opts = append(opts, source.WithToken(sec.Token))
	}
	g, err := source.NewGitHTTP(r.GitServerURL(), c.HTTPClient(), opts...)
	if err != nil {
		return nil, fmt.Errorf("GITHUB_SERVER_URL: %w", err)
	}
	return g, nil
}

// Registry returns a client for the config's registry. A registry on the
// loopback interface (tests, the demo, a local registry) is spoken to over
// plain HTTP; every other over HTTPS.
func (r *Run) Registry(cfg *config.Config, sec Secrets) (*oci.Client, error) {
	opts := []oci.Option{oci.WithBaseTransport(r.HTTPClient().Transport), oci.WithClock(r.Clock()), oci.WithUserAgent("ladder/" + r.version),
		oci.WithMask(r.Act.AddMask)}
	switch {
	case sec.RegistryUser != "":
		opts = append(opts, oci.WithAuth(sec.RegistryUser, sec.RegistryPassword))
	case sec.RegistryPassword != "":
		return nil, fmt.Errorf("input registry-password is set but registry-username is empty (for ghcr.io, use ${{ github.actor }})")
	}
	r.registryHost, _, _ = strings.Cut(cfg.Registry, "/")
	r.registryUser = sec.RegistryUser
	if oci.IsLoopbackRepository(cfg.Registry) {
		opts = append(opts, oci.WithInsecure())
	}
	c, err := oci.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("registry client: %w", err)
	}
	return c, nil
}

// EventPayload reads the event that started the run (action.Env.Event).
func (r *Run) EventPayload() (name string, payload []byte, err error) {
	return action.ReadEnv(r.Getenv).Event()
}

// LedgerStore opens the config's ledger. The github kind keeps it in the
// workflow's own repository (GITHUB_REPOSITORY).
func (r *Run) LedgerStore(cfg *config.Config, sec Secrets) (ledger.Store, error) {
	t := ledger.Target{Product: cfg.Product, Dir: r.Getenv("GITHUB_WORKSPACE")}
	if cfg.Ledger.Kind == config.LedgerGitHub || cfg.Ledger.Kind == "" {
		t.Repo = r.Getenv("GITHUB_REPOSITORY")
		if t.Repo == "" {
			return nil, At(cfg, "ledger", errors.New("ledger github: GITHUB_REPOSITORY is not set, so there is no repository to keep the ledger in (outside Actions, set it, or use ledger: file:PATH)"))
		}
		c, err := r.GitHub(sec)
		if err != nil {
			return nil, err
		}
		t.Client = c
	}
	s, err := ledger.Open(cfg.Ledger, t, ledger.WithClock(r.Clock()))
	if err != nil {
		return nil, At(cfg, "ledger", err)
	}
	if c, ok := s.(compacter); ok {
		return compactingStore{Store: s, c: c, bg: &r.bg}, nil
	}
	return s, nil
}

// Emit writes what a query command prints (all of it, in every mode) to stdout.
//
// Outside GitHub Actions it is written as is. Inside (GITHUB_ACTIONS=true)
// the runner reads stdout for workflow commands: a line holding "##["
// anywhere (the legacy syntax) or starting with "::" is processed as one.
// Ledger text is untrusted (move reasons come verbatim from promote-label's
// reason input, quarantine reasons name failing check runs, actors and
// versions come from whoever wrote the ledger), so it must not forge a
// command (SPEC section 7):
//
//   - The text modes go through the runner's own guard, action.Runner.Print:
//     when the output holds "::" or "##[" it is fenced between
//     ::stop-commands::TOKEN and ::TOKEN:: (a random token absent from the
//     text), and is otherwise written unchanged.
//   - --json is not fenced: the fence lines would make stdout invalid JSON for
//     `ladder status --json | jq`. Instead the two sequences are escaped inside
//     the JSON strings (see status.JSONDefang); a JSON decoder reads back the
//     same strings and the bytes on stdout never hold "::" or "##[".
func (r *Run) Emit(asJSON bool, out string) error {
	if r.Getenv("GITHUB_ACTIONS") != "true" {
		_, err := io.WriteString(r.Deps.Stdout, out)
		return err
	}
	if asJSON {
		_, err := io.WriteString(r.Deps.Stdout, status.JSONDefang(out))
		return err
	}
	a := action.New(r.Getenv, r.Deps.Stdout)
	a.Print(out)
	return a.Err()
}

// Stores is the registry client and the ledger store of an action that
// reads and writes both (Registry, then LedgerStore).
func (r *Run) Stores(cfg *config.Config, sec Secrets) (*oci.Client, ledger.Store, error) {
	reg, err := r.Registry(cfg, sec)
	if err != nil {
		return nil, nil, err
	}
	store, err := r.LedgerStore(cfg, sec)
	if err != nil {
		return nil, nil, err
	}
	return reg, store, nil
}

// CLISecrets is a CLI-only command's token (GITHUB_TOKEN or GH_TOKEN, as an
// action's default), masked in a runner on stderr: stdout is the command's
// output (a table, JSON, a catalog).
func (r *Run) CLISecrets() Secrets {
	sec := Secrets{Token: cli.Default(r.Getenv, "${{ github.token }}")}
	if r.Getenv("GITHUB_ACTIONS") == "true" {
		action.New(r.Getenv, r.Deps.Stderr).AddMask(sec.Token)
	}
	return sec
}

// ReadLedger reads the config's whole ledger (the state and its history,
// ledger.Store.ReadAll) for a CLI-only command: status, catalog and diff
// show and compute from every bundle and move.
func (r *Run) ReadLedger(ctx context.Context, cfg *config.Config, sec Secrets) (*ledger.Document, error) {
	store, err := r.LedgerStore(cfg, sec)
	if err != nil {
		return nil, err
	}
	doc, err := store.ReadAll(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the ledger: %w", err)
	}
	return doc, nil
}

// WhatChanged compares two locks through GitHub's compare API, with sec's
// token (source.WhatChanged).
func (r *Run) WhatChanged(ctx context.Context, sec Secrets, from, to lock.Lock) changes.Set {
	c, err := r.GitHub(sec)
	return source.WhatChanged(ctx, c, err, from, to)
}

// Signer signs and verifies: Deps.Signer, else the ladder-sign program.
func (r *Run) Signer() (sigclient.Signer, error) {
	if r.Deps.Signer != nil {
		return r.Deps.Signer, nil
	}
	p, err := sigclient.Program()
	if err != nil {
		return nil, err
	}
	return sigclient.Exec{Path: p}, nil
}

// ReadConfigFile reads a workspace-relative file the config names (field
// is where, for the error).
func (r *Run) ReadConfigFile(cfg *config.Config, field, path string) ([]byte, error) {
	data, err := os.ReadFile(r.WorkspacePath(path))
	if err != nil {
		return nil, At(cfg, field, fmt.Errorf("reading %s: %w", path, err))
	}
	return data, nil
}
