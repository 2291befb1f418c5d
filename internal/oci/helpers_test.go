package oci_test

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	ggcr "github.com/google/go-containerregistry/pkg/registry"

	"github.com/ladder-release/ladder/internal/oci"
	"github.com/ladder-release/ladder/internal/testutil/registry"
	"github.com/ladder-release/ladder/internal/testutil/regproxy"
)

// eachRegistry runs fn against go-containerregistry's in-process registry
// and against the real CNCF distribution registry, in parallel, each with the
// subtest's context.
func eachRegistry(t *testing.T, fn func(t *testing.T, ctx context.Context, reg target)) {
	t.Helper()
	t.Run("ggcr", func(t *testing.T) {
		t.Parallel()
		fn(t, t.Context(), target{kind: "ggcr", host: registry.InProcess(t)})
	})
	t.Run("distribution", func(t *testing.T) {
		t.Parallel()
		fn(t, t.Context(), target{kind: "distribution", host: registry.Distribution(t)})
	})
}

type target struct {
	kind string // "ggcr" (has the referrers API) or "distribution" (has not)
	host string
}

// proxiedRepo puts a counting proxy in front of the registry at host and
// names the repository name behind it.
func proxiedRepo(t *testing.T, host, name string) (*regproxy.Proxy, string) {
	p := regproxy.Start(t, host)
	return p, p.Host() + "/" + name
}

// serve serves h (a registry, or a handler in front of one) on loopback and
// returns its host.
func serve(t *testing.T, h http.Handler) string {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// referrersRegistry is go-containerregistry's registry with the referrers
// API, logging nothing.
func referrersRegistry() http.Handler {
	return ggcr.New(ggcr.WithReferrersSupport(true), ggcr.Logger(log.New(io.Discard, "", 0)))
}

// newClient returns a client with credentials, plain http to loopback
// registries, and a clock that records its waits.
func newClient(t *testing.T, opts ...oci.Option) (*oci.Client, *oci.Recorder) {
	t.Helper()
	s := &oci.Recorder{}
	c, err := oci.New(append([]oci.Option{oci.WithInsecure(), oci.WithClock(s), oci.WithAuth("ladder", "test")}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c, s
}

const lockJSON = `{
  "schema": 1,
  "product": "elemental",
  "channel": "dev",
  "components": [
    {"name": "cli", "repo": "rancher/elemental-cli", "ref": "refs/heads/main", "version": "main", "commit": "b366a24b366a24b366a24b366a24b366a24b366"}
  ]
}
`

func testBundle() oci.Bundle {
	return oci.Bundle{
		Config: []byte(lockJSON),
		Files: []oci.File{
			{Path: "ladder-lock.json", Data: []byte(lockJSON), MediaType: oci.LockMediaType},
			{Path: "notes/RELEASE.md", Data: []byte("# elemental 1.4.1\n\nFirst bundle.\n")},
		},
		Annotations: map[string]string{
			"org.opencontainers.image.version": "1.4.1",
			"org.opencontainers.image.created": "2026-11-22T01:15:00Z",
		},
	}
}

// mustPush pushes testBundle to repo with c and returns its digest.
func mustPush(t *testing.T, c *oci.Client, repo string) string {
	t.Helper()
	d, err := c.PushBundle(context.Background(), repo, testBundle())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// pushed returns a new client (newClient) that has pushed testBundle to
// repo, and the bundle's digest.
func pushed(t *testing.T, repo string) (*oci.Client, string) {
	t.Helper()
	c, _ := newClient(t)
	return c, mustPush(t, c, repo)
}

// sigstoreJSON stands for a Sigstore bundle (its content is not read).
const sigstoreJSON = `{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}`

func bundleBlobBytes(b oci.Bundle) int64 {
	n := int64(len(b.Config))
	seen := map[string]bool{string(b.Config): true}
	for _, f := range b.Files {
		if !seen[string(f.Data)] {
			seen[string(f.Data)] = true
			n += int64(len(f.Data))
		}
	}
	return n
}

func mustContain(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want one containing %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not contain %q", err, p)
		}
	}
}
