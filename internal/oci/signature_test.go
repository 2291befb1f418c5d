package oci_test

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/ladder-release/ladder/internal/oci"
)

// TestAttachSignature: a Sigstore bundle becomes a referrer of the bundle
// it signs, shaped as cosign writes one (artifactType and layer of the
// bundle media type, the empty config), through the referrers API on the
// in-process registry and the referrers tag on the CNCF registry (which has
// no referrers API); Signatures finds it, and only it, in 3 requests.
func TestAttachSignature(t *testing.T) {
	eachRegistry(t, func(t *testing.T, reg target) {
		ctx := context.Background()
		p := reg.proxied(t)
		repo := p.Host() + "/acme/signed"
		c, _ := newClient(t)
		subject, err := c.PushBundle(ctx, repo, testBundle())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Attach(ctx, repo+"@"+subject, []byte(lockJSON), nil); err != nil { // another kind of referrer
			t.Fatal(err)
		}
		sigJSON := []byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}`)
		p.Reset()
		sig, err := c.AttachSignature(ctx, repo+"@"+subject, sigJSON, map[string]string{"dev.sigstore.bundle.content": "dsse-envelope"})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("AttachSignature: %d requests: %v", len(p.Requests()), p.Requests())
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
		// distribution: the referrers API's 404 then the tag: one more.
		if want := map[string]int{"ggcr": 3, "distribution": 4}[reg.kind]; len(reads) > want {
			t.Errorf("Signatures sent %d requests, want at most %d: %v", len(reads), want, reads)
		}

		none, err := fresh.Signatures(ctx, repo, sig) // the signature itself is signed by nothing
		if err != nil || len(none) != 0 {
			t.Errorf("Signatures of an unsigned manifest = %v, %v", none, err)
		}
	})
}
