package oci_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ladder-release/ladder/internal/oci"
	"github.com/ladder-release/ladder/internal/testutil/registry"
	"github.com/ladder-release/ladder/internal/testutil/regproxy"
)

// eachRegistry runs fn against go-containerregistry's in-process registry
// and against the real CNCF distribution registry.
func eachRegistry(t *testing.T, fn func(t *testing.T, reg target)) {
	t.Helper()
	t.Run("ggcr", func(t *testing.T) {
		t.Parallel()
		fn(t, target{kind: "ggcr", host: registry.InProcess(t)})
	})
	t.Run("distribution", func(t *testing.T) {
		t.Parallel()
		fn(t, target{kind: "distribution", host: registry.Distribution(t)})
	})
}

type target struct {
	kind string // "ggcr" (has the referrers API) or "distribution" (has not)
	host string
}

// proxied puts a counting proxy in front of the registry.
func (r target) proxied(t *testing.T) *regproxy.Proxy {
	return regproxy.Start(t, r.host)
}

// fakeSleeper is a clock that records the waits of the retry policy
// instead of waiting; its time is the system's (registries date Retry-After
// by theirs).
type fakeSleeper struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *fakeSleeper) Sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *fakeSleeper) Now() time.Time { return time.Now() }

func (s *fakeSleeper) Waits() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.waits)
}

func newClient(t *testing.T, opts ...oci.Option) (*oci.Client, *fakeSleeper) {
	t.Helper()
	s := &fakeSleeper{}
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
