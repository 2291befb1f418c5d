package oci_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/ladder-release/ladder/internal/oci"
	"github.com/ladder-release/ladder/internal/testutil/regproxy"
)

// TestAttachSignature: a Sigstore bundle becomes a referrer of the bundle
// it signs, shaped as cosign writes one (artifactType and layer of the
// bundle media type, the empty config), through the referrers API on the
// in-process registry and the referrers tag on the CNCF registry (which has
// no referrers API); Signatures finds it, and only it, in 2 requests.
func TestAttachSignature(t *testing.T) {
	t.Parallel()
	eachRegistry(t, func(t *testing.T, ctx context.Context, reg target) {
		p, repo := proxiedRepo(t, reg.host, "acme/signed")
		c, subject := pushed(t, repo)
		if _, err := c.Attach(ctx, repo+"@"+subject, []byte(lockJSON), nil); err != nil { // another kind of referrer
			t.Fatal(err)
		}
		sigJSON := []byte(sigstoreJSON)
		p.Reset()
		sig, err := c.AttachSignature(ctx, repo+"@"+subject, sigJSON, map[string]string{"dev.sigstore.bundle.content": "dsse-envelope"})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("AttachSignature: %d requests: %v", len(p.Requests()), p.Requests())
		// The subject is in c's cache, and c knows the registry's referrers
		// API (the lock's Attach asked): the blobs in a single POST each
		// (distribution answers 202 and takes the content in a PUT), the
		// manifest PUT; distribution's referrers tag: read, write, read back.
		if want := map[string]int{"ggcr": 3, "distribution": 8}[reg.kind]; len(p.Requests()) > want {
			t.Errorf("AttachSignature sent %d requests, want at most %d: %v", len(p.Requests()), want, p.Requests())
		}
		tags, err := c.Tags(ctx, repo)
		if err != nil {
			t.Fatal(err)
		}
		fallback := strings.Replace(subject, ":", "-", 1)
		if want := reg.kind == "distribution"; slices.Contains(tags, fallback) != want {
			t.Errorf("tags %v: referrers tag %s present %v, want %v", tags, fallback, !want, want)
		}
		b, _, err := c.ReadBundle(ctx, repo+"@"+sig)
		if err != nil {
			t.Fatal(err)
		}
		if b.ArtifactType != oci.SignatureMediaType || string(b.Config) != "{}" || b.ConfigMediaType != oci.MediaTypeEmptyJSON ||
			len(b.Files) != 1 || b.Files[0].MediaType != oci.SignatureMediaType || b.Subject == nil || b.Subject.Digest != subject {
			t.Errorf("signature manifest: %+v", b)
		}

		fresh, _ := newClient(t)
		p.Reset()
		sigs, err := fresh.Signatures(ctx, repo, subject)
		if err != nil {
			t.Fatal(err)
		}
		if len(sigs) != 1 || sigs[0].Digest != sig || !bytes.Equal(sigs[0].Bundle, sigJSON) {
			t.Errorf("Signatures = %+v, want the one signature %s", sigs, sig)
		}
		var reads []string
		for _, r := range p.Requests() {
			if !strings.HasSuffix(r, " /v2/") { // the ping of a fresh client
				reads = append(reads, r)
			}
		}
		// The referrers list (distribution: the API's 404, then the tag's
		// index, which carries the signature's manifest), the manifest
		// (ggcr), which carries the bundle: 2 on both.
		t.Logf("Signatures: %d requests: %v", len(reads), reads)
		if want := 2; len(reads) > want {
			t.Errorf("Signatures sent %d requests, want at most %d: %v", len(reads), want, reads)
		}

		none, err := fresh.Signatures(ctx, repo, sig) // the signature itself is signed by nothing
		if err != nil || len(none) != 0 {
			t.Errorf("Signatures of an unsigned manifest = %v, %v", none, err)
		}
	})
}

// subjectAcking is go-containerregistry's registry answering a manifest PUT
// that has a subject with OCI-Subject, as distribution-spec 1.1 asks of a
// registry with the referrers API (go-containerregistry's does not).
type subjectAcking struct{ next http.Handler }

func (s subjectAcking) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/manifests/") {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		var m struct {
			Subject *struct{ Digest string } `json:"subject"`
		}
		if json.Unmarshal(body, &m) == nil && m.Subject != nil {
			w.Header().Set("OCI-Subject", m.Subject.Digest)
		}
	}
	s.next.ServeHTTP(w, r)
}

// TestAttachSignatureTrustsOCISubject: on a registry that acknowledges the
// subject, a client that knows nothing of the registry yet attaches a
// signature in 3 requests (the two single-POST blobs, the manifest PUT; the
// subject is in its cache), without asking about the referrers API.
func TestAttachSignatureTrustsOCISubject(t *testing.T) {
	t.Parallel()
	p, repo := proxiedRepo(t, serve(t, subjectAcking{referrersRegistry()}), "acme/signed")
	ctx := context.Background()
	c, subject := pushed(t, repo)
	p.Reset()
	sig, err := c.AttachSignature(ctx, repo+"@"+subject, []byte(sigstoreJSON), nil)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []regproxy.Kind
	for _, r := range p.Requests() {
		method, path, _ := strings.Cut(r, " ")
		kinds = append(kinds, regproxy.Classify(method, path))
	}
	slices.Sort(kinds)
	if want := []regproxy.Kind{regproxy.ManifestPut, regproxy.UploadPost, regproxy.UploadPost}; !slices.Equal(kinds, want) {
		t.Errorf("AttachSignature sent %v, want %v", p.Requests(), want)
	}
	sigs, err := c.Signatures(ctx, repo, subject)
	if err != nil || len(sigs) != 1 || sigs[0].Digest != sig {
		t.Errorf("Signatures = %+v, %v; want %s", sigs, err, sig)
	}
}

// TestSignaturesReadsCosignsToo: a signature without the bundle embedded
// (as cosign attaches one) is read all the same, from its blob: one request
// more than ladder's.
func TestSignaturesReadsCosignsToo(t *testing.T) {
	t.Parallel()
	eachRegistry(t, func(t *testing.T, ctx context.Context, reg target) {
		p, repo := proxiedRepo(t, reg.host, "acme/cosigned")
		c, subject := pushed(t, repo)
		sigJSON := []byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","cosign":true}`)
		sig, err := c.AttachSignatureAsCosign(ctx, repo+"@"+subject, sigJSON)
		if err != nil {
			t.Fatal(err)
		}
		fresh, _ := newClient(t)
		p.Reset()
		sigs, err := fresh.Signatures(ctx, repo, subject)
		if err != nil || len(sigs) != 1 || sigs[0].Digest != sig || !bytes.Equal(sigs[0].Bundle, sigJSON) {
			t.Fatalf("Signatures = %+v, %v; want %s", sigs, err, sig)
		}
		var blobs int
		for _, r := range p.Requests() {
			if strings.Contains(r, "/blobs/") {
				blobs++
			}
		}
		if blobs != 1 {
			t.Errorf("Signatures read %d blobs, want the bundle's: %v", blobs, p.Requests())
		}
	})
}
