// Package oci is ladder's adapter to OCI registries, on go-containerregistry.
//
// It publishes bundles (an OCI 1.1 image manifest whose config blob is the
// lock and whose layers are the user's files, titled as ORAS does), moves tags
// by manifest GET and PUT only, attaches locks to images (referrers API, or
// the referrers tag scheme where the registry has none) and deletes tags.
//
// Every request goes through one retry policy (see retryTransport) placed
// beneath go-containerregistry's authenticating transport; go-containerregistry's
// own retries are switched off, so there is exactly one policy, and it honours
// Retry-After. Blobs the registry already holds are never uploaded again, and
// nothing here downloads a blob it does not need.
//
// A Client is safe for concurrent use.
package oci

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"

	"github.com/ladder-release/ladder/internal/bundle"
	"github.com/ladder-release/ladder/internal/clock"
)

// Media types and annotation keys ladder writes.
const (
	// LockMediaType is the media type of the lock: a bundle's config blob,
	// and the artifactType of a lock attached to an image (bundle is the one
	// place that defines it).
	LockMediaType = bundle.LockMediaType
	// BundleArtifactType is the default artifactType of a bundle.
	BundleArtifactType = bundle.ArtifactType
	// DefaultFileMediaType is a file layer's media type when none is given
	// (the one ORAS uses for files).
	DefaultFileMediaType = "application/vnd.oci.image.layer.v1.tar"
	// LockFileName is the title of the lock layer of an attached lock.
	LockFileName = "ladder-lock.json"

	MediaTypeImageManifest  = "application/vnd.oci.image.manifest.v1+json"
	MediaTypeImageIndex     = "application/vnd.oci.image.index.v1+json"
	MediaTypeDockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
	MediaTypeDockerList     = "application/vnd.docker.distribution.manifest.list.v2+json"
	MediaTypeEmptyJSON      = "application/vnd.oci.empty.v1+json"
)

// ErrNotFound is returned (wrapped) when a tag, manifest, blob or repository
// does not exist.
var ErrNotFound = errors.New("not found")

// ErrUnauthorized (a 401) and ErrDenied (a 403) are wrapped by errors of
// requests the registry refused: no credentials, or not these.
var (
	ErrUnauthorized = errors.New("the registry asks for credentials")
	ErrDenied       = errors.New("the registry denied access")
)

// Option configures a Client; New rejects invalid ones.
type Option func(*options) error

type options struct {
	auth          authn.Authenticator
	insecure      bool
	clock         clock.Clock
	retries       int
	userAgent     string
	forceFallback bool
	base          http.RoundTripper
	mask          func(secret string)
}

// WithAuth uses these credentials for every registry (else the Docker config
// keychain, authn.DefaultKeychain, is used).
func WithAuth(username, password string) Option {
	return func(o *options) error {
		if username == "" {
			return errors.New("oci: WithAuth: the username must not be empty")
		}
		if password == "" {
			return errors.New("oci: WithAuth: the password must not be empty")
		}
		o.auth = authn.FromConfig(authn.AuthConfig{Username: username, Password: password})
		return nil
	}
}

// WithInsecure allows plain http to loopback registries (127.0.0.0/8,
// localhost, ::1), as tests and `ladder demo` use. Without it, and for any
// other host in any case, plain http is refused.
func WithInsecure() Option {
	return func(o *options) error { o.insecure = true; return nil }
}

// WithClock sets the clock the retry policy reads Retry-After dates with
// and waits with (default clock.System(); tests record the waits instead).
func WithClock(c clock.Clock) Option {
	return required("WithClock", "clock", c == nil, func(o *options) { o.clock = c })
}

// required is an option that sets a value (set), refused when it is nil.
func required(option, what string, isNil bool, set func(*options)) Option {
	return func(o *options) error {
		if isNil {
			return fmt.Errorf("oci: %s: nil %s", option, what)
		}
		set(o)
		return nil
	}
}

// WithRetries sets how many times a failed request is retried (default 5; 0
// turns retries off).
func WithRetries(n int) Option {
	return func(o *options) error {
		if n < 0 || n > 100 {
			return fmt.Errorf("oci: WithRetries: %d is not between 0 and 100", n)
		}
		o.retries = n
		return nil
	}
}

// WithUserAgent prefixes the User-Agent of every request.
func WithUserAgent(ua string) Option {
	return func(o *options) error {
		if strings.TrimSpace(ua) == "" {
			return errors.New("oci: WithUserAgent: empty user agent")
		}
		if strings.ContainsAny(ua, "\r\n\x00") {
			return fmt.Errorf("oci: WithUserAgent: %q contains a control character", ua)
		}
		o.userAgent = ua
		return nil
	}
}

// WithReferrersTagFallback makes Attach and Referrers use the referrers tag
// scheme (tag sha256-<hex> holding an index of referrers) even where the
// registry has the referrers API.
func WithReferrersTagFallback() Option {
	return func(o *options) error { o.forceFallback = true; return nil }
}

// WithMask is told every token a registry's token service issues, before
// the token is first sent, so a runner can mask it (::add-mask::).
func WithMask(mask func(secret string)) Option {
	return required("WithMask", "function", mask == nil, func(o *options) { o.mask = mask })
}

// WithBaseTransport replaces the network transport beneath the retry policy
// (default: defaultTransport, go-containerregistry's remote.DefaultTransport
// settings).
func WithBaseTransport(rt http.RoundTripper) Option {
	return required("WithBaseTransport", "transport", rt == nil, func(o *options) { o.base = rt })
}

// Client talks to OCI registries.
type Client struct {
	opts     options
	keychain authn.Keychain
	rt       http.RoundTripper
	pageSize int // tags per page asked for; 0: go-containerregistry's default (1000)

	mu         sync.Mutex
	transports map[string]*call[http.RoundTripper] // authenticated, by registry + scopes (see auth.go)
	pings      map[string]*call[challenge]         // registry → its challenge
	referrers  map[string]bool                     // registry → has the referrers API
	manifests  map[string]rawManifest              // repo@digest → bytes, bounded
	configs    map[string][]byte                   // repo@digest → config blob bytes, bounded
	// reads in flight, shared by concurrent readers of one repo@digest
	manifestReads map[string]*call[rawManifest]
	configReads   map[string]*call[[]byte]
	fallbacks     map[string]*sync.Mutex // repo:tag of referrers tags being updated
}

// New returns a Client.
func New(opts ...Option) (*Client, error) {
	o := options{clock: clock.System(), retries: 5}
	for _, opt := range opts {
		if opt == nil {
			return nil, errors.New("oci: nil option")
		}
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	if o.base == nil {
		o.base = defaultTransport()
	}
	c := &Client{
		opts:          o,
		transports:    map[string]*call[http.RoundTripper]{},
		pings:         map[string]*call[challenge]{},
		referrers:     map[string]bool{},
		manifests:     map[string]rawManifest{},
		configs:       map[string][]byte{},
		manifestReads: map[string]*call[rawManifest]{},
		configReads:   map[string]*call[[]byte]{},
		fallbacks:     map[string]*sync.Mutex{},
	}
	if o.auth == nil {
		c.keychain = authn.DefaultKeychain
	}
	c.rt = transportStack(o.base, o.insecure, o.userAgent, &retryTransport{
		retries: o.retries,
		clock:   o.clock,
		base:    500 * time.Millisecond,
		max:     30 * time.Second,
		maxWait: 2 * time.Minute,
	})
	return c, nil
}

// tidyPingError drops, from go-containerregistry's ping error, the https
// attempt that a WithInsecure client skips on purpose, and the doubled
// request name ("Get URL: GET URL: ...").
func tidyPingError(err error) error {
	msg := err.Error()
	skipped := errHTTPSSkipped.Error() + "; "
	i := strings.Index(msg, skipped)
	if i < 0 {
		return err
	}
	msg = msg[i+len(skipped):]
	if _, rest, ok := strings.Cut(msg, `": `); ok && strings.HasPrefix(msg, `Get "`) && strings.HasPrefix(rest, "GET ") {
		msg = rest
	}
	return errors.New(msg)
}

// parseRepo parses "host/path" (no tag or digest).
func parseRepo(repo string) (name.Repository, error) {
	if strings.ContainsAny(repo, "@") {
		return name.Repository{}, fmt.Errorf("%q is a reference, not a repository", repo)
	}
	r, err := name.NewRepository(repo)
	if err != nil {
		return name.Repository{}, err
	}
	return r, nil
}

// check validates a name in a repository before any request is sent.
type check func(name.Repository) error

func digestCheck(digest string) check {
	return func(name.Repository) error { return checkDigest(digest) }
}

func tagCheck(tag string) check {
	return func(r name.Repository) error { return checkTag(r, tag) }
}

// openRepo parses repo, runs checks on it in order, and returns the
// transport that reads it (with push, writes it too).
func (c *Client) openRepo(ctx context.Context, repo string, push bool, checks ...check) (name.Repository, http.RoundTripper, error) {
	r, err := parseRepo(repo)
	if err != nil {
		return name.Repository{}, nil, err
	}
	for _, check := range checks {
		if err := check(r); err != nil {
			return name.Repository{}, nil, err
		}
	}
	rt, err := c.transport(ctx, r, push)
	if err != nil {
		return name.Repository{}, nil, err
	}
	return r, rt, nil
}

// IsLoopbackRepository reports whether a repository's registry ("host[:port]/path")
// is on this machine: the registries WithInsecure lets a client reach over
// plain http.
func IsLoopbackRepository(repo string) bool {
	host, _, _ := strings.Cut(repo, "/")
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return isLoopback(host)
}

// isLoopback reports whether host (no port) is a loopback name or address.
func isLoopback(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// defaultTransport is a transport with go-containerregistry's
// remote.DefaultTransport settings, made here so that the release binary
// does not link the remote package (and, through it, the testing package).
func defaultTransport() *http.Transport {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   50, // usually two hosts: split MaxIdleConns between them
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: 1 * time.Second,
	}
}

// wrapErr prefixes *err, when there is one, with what the call was doing
// (defer wrapErr(&err, "listing tags of %q", repo)): the context every
// exported call of the Client gives its errors.
func wrapErr(err *error, format string, args ...any) {
	if *err != nil {
		*err = fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), *err)
	}
}
