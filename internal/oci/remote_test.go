package oci

import (
	"context"
	"net/http"

	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// RemoteOptions returns options for go-containerregistry's remote package
// (remote.Write, remote.Index...) that go through this client: its
// credentials, its authenticated transport for repo (a *transport.Wrapper, so
// remote adds no retry layer of its own) and remote's own retries switched
// off, so that the client's retry policy is the only one. push asks for push
// and pull access, else pull only.
func (c *Client) RemoteOptions(ctx context.Context, repo string, push bool) ([]remote.Option, error) {
	r, err := parseRepo(repo)
	if err != nil {
		return nil, err
	}
	rt, err := c.transportFor(ctx, r, push, true)
	if err != nil {
		return nil, err
	}
	return remoteOptions(ctx, rt), nil
}

func remoteOptions(ctx context.Context, rt http.RoundTripper) []remote.Option {
	return []remote.Option{
		remote.WithContext(ctx),
		remote.WithTransport(rt),
		remote.WithRetryBackoff(remote.Backoff{Steps: 1}),
		remote.WithRetryPredicate(func(error) bool { return false }),
		remote.WithRetryStatusCodes(),
	}
}
