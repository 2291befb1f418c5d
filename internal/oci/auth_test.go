package oci_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ladder-release/ladder/internal/oci"
	"github.com/ladder-release/ladder/internal/testutil/registry"
	"github.com/ladder-release/ladder/internal/testutil/regproxy"
)

// anonymousClient has no credentials (TestMain empties the keychain).
func anonymousClient(t *testing.T) *oci.Client {
	t.Helper()
	c, err := oci.New(oci.WithInsecure(), oci.WithClock(&oci.Recorder{}))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestAnonymousClientDoesNotPing: without credentials, a registry that asks
// for none is never pinged: a publish is its blob and manifest requests only.
func TestAnonymousClientDoesNotPing(t *testing.T) {
	t.Parallel()
	eachRegistry(t, func(t *testing.T, ctx context.Context, reg target) {
		p, repo := proxiedRepo(t, reg.host, "acme/elemental")
		c := anonymousClient(t)
		d := mustPush(t, c, repo)
		if err := c.Tag(ctx, repo, d, "1.4.1"); err != nil {
			t.Fatal(err)
		}
		if got, err := c.Head(ctx, repo+":1.4.1"); err != nil || got.Digest != d {
			t.Fatalf("head: %v %s, want %s", err, got.Digest, d)
		}
		s := p.Stats()
		if s.ByKind[regproxy.Ping] != 0 {
			t.Errorf("%d pings:\n%s", s.ByKind[regproxy.Ping], strings.Join(p.Requests(), "\n"))
		}
		if s.ByKind[regproxy.ManifestPut] != 2 || s.ByKind[regproxy.ManifestHead] != 1 {
			t.Errorf("requests: %s", s)
		}
	})
}

// TestOnePingPerRegistry: with credentials the registry is pinged first (a
// registry may hide a private repository from anonymous requests behind a
// 404), but once per registry, however many transports (pull, push) start at
// the same time.
func TestOnePingPerRegistry(t *testing.T) {
	t.Parallel()
	eachRegistry(t, func(t *testing.T, ctx context.Context, reg target) {
		p, repo := proxiedRepo(t, reg.host, "acme/elemental")
		c, _ := newClient(t) // WithAuth
		var wg sync.WaitGroup
		errs := make([]error, 3)
		wg.Add(3)
		go func() { defer wg.Done(); _, errs[0] = c.PushBundle(ctx, repo, testBundle()) }()
		go func() { defer wg.Done(); _, errs[1] = c.Tags(ctx, repo) }()
		go func() { defer wg.Done(); _, errs[2] = c.Head(ctx, repo+":none") }()
		wg.Wait()
		if errs[0] != nil || errs[1] != nil {
			t.Fatal(errs)
		}
		if n := p.Stats().ByKind[regproxy.Ping]; n != 1 {
			t.Errorf("%d pings, want 1:\n%s", n, strings.Join(p.Requests(), "\n"))
		}
	})
}

// TestUploadSessionOpensWithTheHead: each blob's upload session is opened
// while its HEAD is out, so a push of new blobs takes three round trips
// (HEAD and POST, PUT, the manifest). A blob the registry holds is not sent
// again: the POST asks to mount it from the repository itself, which the
// CNCF registry answers with 201; elsewhere the session is cancelled.
func TestUploadSessionOpensWithTheHead(t *testing.T) {
	t.Parallel()
	eachRegistry(t, func(t *testing.T, ctx context.Context, reg target) {
		p, repo := proxiedRepo(t, reg.host, "acme/elemental")
		p.SetLatency(100 * time.Millisecond) // so that requests sent together overlap (RoundTrips), even on a loaded machine
		c, _ := newClient(t)
		b := testBundle()
		b.Files = b.Files[1:] // the notes only: the lock is the config alone
		if _, err := c.PushBundle(ctx, repo, b); err != nil {
			t.Fatal(err)
		}
		p.Reset() // the ping and the token
		b.Files[0].Data = []byte("# elemental 1.4.2\n")
		b.Config = []byte(strings.Replace(lockJSON, "1.4.1", "1.4.2", 1) + " ")
		if _, err := c.PushBundle(ctx, repo, b); err != nil {
			t.Fatal(err)
		}
		s := p.Stats()
		if s.ByKind[regproxy.BlobHead] != 2 || s.ByKind[regproxy.UploadPost] != 2 || s.ByKind[regproxy.UploadPut] != 2 ||
			s.ByKind[regproxy.UploadOther] != 0 || s.BlobBytesUp != bundleBlobBytes(b) {
			t.Errorf("push of new blobs: %s\n%s", s, strings.Join(p.Requests(), "\n"))
		}
		if n := p.RoundTrips(); n != 3 {
			t.Errorf("push of new blobs: %d round trips, want 3\n%s", n, strings.Join(p.Requests(), "\n"))
		}
		p.Reset()
		if _, err := c.PushBundle(ctx, repo, b); err != nil {
			t.Fatal(err)
		}
		s = p.Stats()
		cancelled := 2 // the sessions opened for nothing
		if reg.kind == "distribution" {
			cancelled = 0 // mounted from the repository itself: 201, no session
		}
		if s.ByKind[regproxy.BlobHead] != 2 || s.ByKind[regproxy.UploadPost] != 2 || s.ByKind[regproxy.UploadPut] != 0 ||
			s.ByKind[regproxy.UploadOther] != cancelled || s.BlobBytesUp != 0 {
			t.Errorf("push of held blobs: %s\n%s", s, strings.Join(p.Requests(), "\n"))
		}
	})
}

// TestIsLoopbackRepository: the one rule for which registries a client made
// WithInsecure reaches over plain http (the app asks it too).
func TestIsLoopbackRepository(t *testing.T) {
	t.Parallel()
	for repo, want := range map[string]bool{
		"127.0.0.1:5000/acme/rel": true, "localhost/acme/rel": true, "registry.localhost:5000/acme": true,
		"[::1]:5000/acme": true, "127.1.2.3/acme": true,
		"ghcr.io/acme/rel": false, "127.example.com/acme": false, "10.0.0.1:5000/acme": false, "localhost.example.com/a": false,
	} {
		if got := oci.IsLoopbackRepository(repo); got != want {
			t.Errorf("IsLoopbackRepository(%q) = %v, want %v", repo, got, want)
		}
	}
}

// TestTokenAuthRegistry: the CNCF registry behind the Docker token protocol,
// as ghcr.io and Docker Hub are.
func TestTokenAuthRegistry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ta := registry.DistributionWithTokenAuth(t, map[string]string{"alice": "s3cret"})
	p := regproxy.Start(t, ta.Host)
	repo := p.Host() + "/acme/elemental"

	// With credentials: one ping, then a token with push for the publish.
	c, _ := newClient(t, oci.WithAuth("alice", "s3cret"))
	d := mustPush(t, c, repo)
	if err := c.Tag(ctx, repo, d, "1.4.1"); err != nil {
		t.Fatal(err)
	}
	if n := p.Stats().ByKind[regproxy.Ping]; n != 1 {
		t.Errorf("with credentials: %d pings, want 1", n)
	}
	reqs := ta.TokenRequests()
	if len(reqs) != 1 || reqs[0].User != "alice" || len(reqs[0].Scopes) != 1 || !strings.Contains(reqs[0].Scopes[0], "push") {
		t.Errorf("with credentials, token requests: %+v", reqs)
	}

	// Anonymous: no ping; the first refused request brings the challenge, a
	// pull token is fetched once for requests refused at the same time, and
	// every request succeeds.
	p.Reset()
	ta.ResetTokenRequests()
	anon := anonymousClient(t)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := anon.Head(ctx, repo+":1.4.1")
			if err == nil && got.Digest != d {
				err = fmt.Errorf("head: %s, want %s", got.Digest, d)
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if tags, err := anon.Tags(ctx, repo); err != nil || len(tags) != 1 {
		t.Fatalf("tags: %v %v", tags, err)
	}
	s := p.Stats()
	if s.ByKind[regproxy.Ping] != 0 {
		t.Errorf("anonymous: %d pings:\n%s", s.ByKind[regproxy.Ping], strings.Join(p.Requests(), "\n"))
	}
	reqs = ta.TokenRequests()
	if len(reqs) != 1 || reqs[0].User != "" || reqs[0].Status != 200 || len(reqs[0].Scopes) != 1 || reqs[0].Scopes[0] != "repository:acme/elemental:pull" {
		t.Errorf("anonymous, token requests: %+v", reqs)
	}
	// 4 HEADs refused at once, then sent again, and the tag list: no more
	if s.ByKind[regproxy.ManifestHead] > 8 || s.ByKind[regproxy.TagsList] != 1 {
		t.Errorf("anonymous requests: %s", s)
	}

	// Anonymous push: refused, with the registry's word for it.
	_, err := anonymousClient(t).PushBundle(ctx, repo, testBundle())
	mustContain(t, err, "UNAUTHORIZED")
}

// TestTokensAreMasked: SPEC section 7 masks derived secrets before their
// first use: every token the registry's token service issues goes to
// WithMask, with credentials and anonymously.
func TestTokensAreMasked(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ta := registry.DistributionWithTokenAuth(t, map[string]string{"alice": "s3cret"})
	repo := ta.Host + "/acme/masked"
	var mu sync.Mutex
	var masked []string
	mask := oci.WithMask(func(s string) { mu.Lock(); masked = append(masked, s); mu.Unlock() })

	c, _ := newClient(t, oci.WithAuth("alice", "s3cret"), mask)
	mustPush(t, c, repo)
	anon, err := oci.New(oci.WithInsecure(), mask)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := anon.Tags(ctx, repo); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(masked) < 2 {
		t.Fatalf("%d tokens masked, want the push token and the anonymous pull token", len(masked))
	}
	for _, s := range masked {
		if strings.Count(s, ".") != 2 { // the test token service issues JWTs
			t.Errorf("masked %q, not a token", s)
		}
	}
}
