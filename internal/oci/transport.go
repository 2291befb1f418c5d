package oci

import (
	"errors"
	"fmt"
	"net/http"
)

// The registry client's transport is a stack with one concern per
// RoundTripper (as go-containerregistry's transport package composes its
// own), put together in one place, New:
//
//	go-containerregistry's auth -> schemeTransport -> userAgentTransport -> retryTransport -> base
//
// The scheme check refuses before anything is sent; the user agent is set
// once, not on every retry; the retry policy replays what it may.

// schemeTransport refuses plain http except to a loopback registry of a
// client made WithInsecure, and fails the https ping of such a registry at
// once (go-containerregistry then pings over http).
type schemeTransport struct {
	next     http.RoundTripper
	insecure bool
}

// errHTTPSSkipped fails go-containerregistry's https ping of a loopback
// registry at once when the client is WithInsecure (it then pings over http).
var errHTTPSSkipped = errors.New("https not tried: WithInsecure reaches loopback registries over plain http")

// RoundTrip implements http.RoundTripper.
func (t *schemeTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme == "https" && t.insecure && isLoopback(req.URL.Hostname()) {
		closeBody(req)
		return nil, errHTTPSSkipped
	}
	if req.URL.Scheme == "http" && !(t.insecure && isLoopback(req.URL.Hostname())) {
		closeBody(req)
		if isLoopback(req.URL.Hostname()) {
			return nil, fmt.Errorf("plain http to %s refused: the client was not made WithInsecure", req.URL.Host)
		}
		return nil, fmt.Errorf("plain http to %s refused: only loopback registries may be reached without TLS", req.URL.Host)
	}
	return t.next.RoundTrip(req)
}

// userAgentTransport puts ladder's user agent in front of the caller's.
type userAgentTransport struct {
	next      http.RoundTripper
	userAgent string
}

// RoundTrip implements http.RoundTripper.
func (t *userAgentTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.userAgent != "" {
		ua := t.userAgent
		if prev := req.Header.Get("User-Agent"); prev != "" {
			ua += " " + prev
		}
		req = req.Clone(req.Context())
		req.Header.Set("User-Agent", ua)
	}
	return t.next.RoundTrip(req)
}

// transportStack composes the client's transport: scheme check, user agent,
// retries, then base.
func transportStack(base http.RoundTripper, insecure bool, userAgent string, r *retryTransport) http.RoundTripper {
	r.next = base
	return &schemeTransport{insecure: insecure, next: &userAgentTransport{userAgent: userAgent, next: r}}
}
