package oci

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/ladder-release/ladder/internal/redact"
)

// Authentication.
//
// go-containerregistry starts every transport with a ping (GET /v2/) to learn
// the registry's challenge. ladder asks the registry that question at most
// once per registry and run, and not at all when it has no credentials:
//
//   - No credentials (anonymous): requests go out as they are, like regctl's.
//     A registry that answers without a challenge (a local registry, a public
//     one that needs no token) costs no ping. The first 401 carries the
//     challenge (WWW-Authenticate); go-containerregistry's handshake is then
//     run on it (an anonymous token for the scopes asked) and the request is
//     sent again with it.
//   - Credentials: a ping first, as go-containerregistry does, because some
//     registries answer an anonymous request for a private repository with
//     404 instead of 401 (hiding that it exists), and a "no such tag" that is
//     really "not allowed to look" would be a wrong answer. One ping serves
//     every transport of the registry (pull, push, several scopes).
//
// Either way the handshake itself is go-containerregistry's (basic, or bearer
// with token refresh): it is handed a transport that answers its ping from
// the challenge already known.

// transport returns an authenticated RoundTripper for repo with the given
// actions (pull, or push and pull), plus pull on the extra repositories. It is
// built once and reused; a failure is not remembered.
func (c *Client) transport(ctx context.Context, repo name.Repository, push bool, pullFrom ...name.Repository) (http.RoundTripper, error) {
	return c.transportFor(ctx, repo, push, false, pullFrom...)
}

// transportFor is transport; eager makes the handshake happen now (a ping
// even without credentials) and returns a *transport.Wrapper, as
// go-containerregistry's remote package needs to add no layers of its own.
func (c *Client) transportFor(ctx context.Context, repo name.Repository, push, eager bool, pullFrom ...name.Repository) (http.RoundTripper, error) {
	action := transport.PullScope
	if push {
		action = transport.PushScope
	}
	scopes := []string{repo.Scope(action)}
	for _, r := range pullFrom {
		if r.String() != repo.String() {
			scopes = append(scopes, r.Scope(transport.PullScope))
		}
	}
	key := repo.RegistryStr() + " " + strings.Join(scopes, " ")
	if eager {
		key = "eager " + key
	}
	c.mu.Lock()
	if !push && len(pullFrom) == 0 && !eager { // a push transport can pull too
		if call, ok := c.transports[repo.RegistryStr()+" "+repo.Scope(transport.PushScope)]; ok && call.ok() {
			c.mu.Unlock()
			return call.v, nil
		}
	}
	c.mu.Unlock()
	return shared(ctx, &c.mu, c.transports, key, func() (http.RoundTripper, error) {
		auth := c.opts.auth
		if auth == nil {
			a, err := authn.Resolve(ctx, c.keychain, repo)
			if err != nil {
				return nil, fmt.Errorf("finding credentials for %s: %w", repo.RegistryStr(), err)
			}
			auth = a
		}
		if auth == authn.Anonymous && !eager {
			return &lazyAuth{c: c, reg: repo.Registry, scopes: scopes}, nil
		}
		ch, err := c.ping(ctx, repo.Registry)
		if err != nil {
			return nil, fmt.Errorf("connecting to %s: %w", repo.RegistryStr(), err)
		}
		return c.handshake(ctx, repo.Registry, auth, ch, scopes)
	})
}

// call is one computation shared by concurrent callers (see shared).
type call[T any] struct {
	done chan struct{}
	v    T
	err  error
}

// ok reports whether the call is finished and succeeded (under the lock).
func (c *call[T]) ok() bool {
	select {
	case <-c.done:
		return c.err == nil
	default:
		return false
	}
}

// shared runs f once per key of m: concurrent callers wait for the first
// one and share its result; a success is kept for later callers, a failure
// is not (the next caller tries again).
func shared[T any](ctx context.Context, mu *sync.Mutex, m map[string]*call[T], key string, f func() (T, error)) (T, error) {
	for {
		mu.Lock()
		cl, ok := m[key]
		if !ok {
			cl = &call[T]{done: make(chan struct{})}
			m[key] = cl
		}
		mu.Unlock()
		if !ok {
			cl.v, cl.err = f()
			if cl.err != nil {
				mu.Lock()
				delete(m, key)
				mu.Unlock()
			}
			close(cl.done)
			return cl.v, cl.err
		}
		select {
		case <-cl.done:
		case <-ctx.Done():
			var zero T
			return zero, ctx.Err()
		}
		if cl.err == nil {
			return cl.v, nil
		}
		// the first caller failed: try again
	}
}

// challenge is what a registry answered to an unauthenticated request: its
// status (200: no authentication needed, 401: authenticate) and, for a 401,
// its WWW-Authenticate header.
type challenge struct {
	status       int
	authenticate []string
}

// ping asks the registry for its challenge, once per registry: concurrent
// callers share one GET /v2/. A failure is not remembered.
func (c *Client) ping(ctx context.Context, reg name.Registry) (challenge, error) {
	return shared(ctx, &c.mu, c.pings, reg.RegistryStr(), func() (challenge, error) { return c.pingOnce(ctx, reg) })
}

func (c *Client) pingOnce(ctx context.Context, reg name.Registry) (challenge, error) {
	u := c.scheme(reg) + "://" + reg.RegistryStr() + "/v2/"
	resp, err := c.do(ctx, c.rt, http.MethodGet, u, nil, nil)
	if err != nil {
		if !c.opts.insecure && isLoopback(hostOnly(reg)) {
			err = fmt.Errorf("%w (plain http to a loopback registry is refused: the client was not made WithInsecure)", err)
		}
		return challenge{}, err
	}
	switch resp.StatusCode {
	case http.StatusOK, http.StatusUnauthorized:
		drain(resp)
		return challenge{status: resp.StatusCode, authenticate: resp.Header.Values("WWW-Authenticate")}, nil
	}
	return challenge{}, fmt.Errorf("GET %s: %w", u, statusError(resp))
}

// scheme is the URL scheme for reg: plain http only to a loopback registry
// of a client made WithInsecure (the retry policy refuses anything else).
func (c *Client) scheme(reg name.Registry) string {
	if c.opts.insecure && isLoopback(hostOnly(reg)) {
		return "http"
	}
	return "https"
}

// hostOnly is reg's host name without its port.
func hostOnly(reg name.Registry) string {
	host := reg.RegistryStr()
	if h, _, err := net.SplitHostPort(host); err == nil {
		return h
	}
	return host
}

// handshake runs go-containerregistry's authentication for the scopes on a
// challenge already known (its ping is answered from it, without a request).
func (c *Client) handshake(ctx context.Context, reg name.Registry, auth authn.Authenticator, ch challenge, scopes []string) (http.RoundTripper, error) {
	rt, err := transport.NewWithContext(ctx, reg, auth, &knownChallenge{next: c.rt, reg: reg, scheme: c.scheme(reg), ch: ch, mask: c.opts.mask}, scopes)
	if err != nil {
		var te *transport.Error
		if errors.As(err, &te) && (te.StatusCode == http.StatusUnauthorized || te.StatusCode == http.StatusForbidden) {
			return nil, fmt.Errorf("authenticating to %s: %w: %v", reg.RegistryStr(), ErrUnauthorized, tidyPingError(err))
		}
		return nil, fmt.Errorf("authenticating to %s: %w", reg.RegistryStr(), tidyPingError(err))
	}
	return rt, nil
}

// knownChallenge answers go-containerregistry's ping (GET /v2/ of the
// registry) with a challenge already received, and sends everything else
// (token requests, then the registry requests) on. The tokens a token
// service answers with are handed to mask before go-containerregistry sees
// them.
type knownChallenge struct {
	next   http.RoundTripper
	reg    name.Registry
	scheme string
	ch     challenge
	mask   func(string)
}

func (k *knownChallenge) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet || req.URL.Path != "/v2/" || req.URL.Host != k.reg.RegistryStr() {
		resp, err := k.next.RoundTrip(req)
		if err == nil && k.mask != nil && !strings.HasPrefix(req.URL.Path, "/v2/") && resp.StatusCode == http.StatusOK {
			maskTokens(resp, k.mask)
		}
		return resp, err
	}
	if req.URL.Scheme != k.scheme {
		return k.next.RoundTrip(req) // refused by the retry policy, as a real ping would be
	}
	h := http.Header{}
	for _, v := range k.ch.authenticate {
		h.Add("WWW-Authenticate", v)
	}
	return &http.Response{
		Status: http.StatusText(k.ch.status), StatusCode: k.ch.status, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: h, Body: http.NoBody, ContentLength: 0, Request: req,
	}, nil
}

// maxTokenAnswer bounds the token service's answer read to find its tokens.
const maxTokenAnswer = 1 << 20

// maskTokens reads a token service's JSON answer, hands its tokens to mask,
// and puts the body back for the caller.
func maskTokens(resp *http.Response, mask func(string)) {
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenAnswer))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(data))
	if err != nil {
		return // the caller reports the short body
	}
	var answer struct {
		Token        string `json:"token"`
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	}
	if json.Unmarshal(data, &answer) != nil {
		return
	}
	for _, s := range []string{answer.Token, answer.AccessToken, answer.RefreshToken} {
		if s != "" {
			mask(s)
		}
	}
}

// lazyAuth sends requests without credentials until the registry asks for
// them; then it authenticates (anonymously: a token for the scopes, when the
// challenge is a bearer one) and sends the refused request again.
type lazyAuth struct {
	c      *Client
	reg    name.Registry
	scopes []string

	mu     sync.Mutex
	authed http.RoundTripper // after a challenge
}

func (l *lazyAuth) RoundTrip(req *http.Request) (*http.Response, error) {
	l.mu.Lock()
	authed := l.authed
	l.mu.Unlock()
	if authed != nil {
		return authed.RoundTrip(req)
	}
	if req.URL.Scheme != l.c.scheme(l.reg) && req.URL.Host == l.reg.RegistryStr() {
		req = req.Clone(req.Context())
		req.URL.Scheme = l.c.scheme(l.reg)
	}
	resp, err := l.c.rt.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusUnauthorized || len(resp.Header.Values("WWW-Authenticate")) == 0 {
		return resp, err
	}
	if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
		return resp, nil // cannot be sent again: the caller reports the 401
	}
	ch := challenge{status: http.StatusUnauthorized, authenticate: resp.Header.Values("WWW-Authenticate")}
	drain(resp)
	if authed, err = l.authenticate(req.Context(), ch); err != nil {
		return nil, err
	}
	again := req.Clone(req.Context())
	if req.GetBody != nil {
		body, err := req.GetBody()
		if err != nil {
			return nil, fmt.Errorf("%s %s: replaying the request body: %w", req.Method, redact.RequestURL(req.URL), err)
		}
		again.Body = body
	}
	return authed.RoundTrip(again)
}

// authenticate runs the handshake once; concurrent requests refused at the
// same time wait for it and share it.
func (l *lazyAuth) authenticate(ctx context.Context, ch challenge) (http.RoundTripper, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.authed != nil {
		return l.authed, nil
	}
	rt, err := l.c.handshake(ctx, l.reg, authn.Anonymous, ch, l.scopes)
	if err != nil {
		return nil, err
	}
	l.authed = rt
	return rt, nil
}
