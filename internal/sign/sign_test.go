package sign_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/ladder-release/ladder/internal/attest"
	"github.com/ladder-release/ladder/internal/sigclient"
	"github.com/ladder-release/ladder/internal/sign"
	"github.com/ladder-release/ladder/internal/testutil/sigstoretest"
)

const (
	digest = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	other  = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
)

var promotion = attest.Promotion{Label: "current", From: "testing", Version: "1.2.3", LockDigest: "sha256:abc",
	Gates: []attest.Gate{{Gate: "checks", Component: "cli", Check: "e2e", Result: "pass"}}, Actor: "octocat", Run: "https://github.com/acme/app/actions/runs/1"}

func keylessBundle(t *testing.T, s *sigstoretest.Sigstore, subject string) []byte {
	t.Helper()
	ctx := context.Background()
	tok, err := sigclient.IDToken(ctx, func(k string) string { return s.Env()[k] }, nil, "sigstore")
	if err != nil {
		t.Fatal(err)
	}
	signed, err := sign.Sign(ctx, attest.SignRequest{
		Subject: attest.Subject{Name: "registry.example/acme/app", Digest: subject}, Predicate: promotion,
		Keyless: &attest.Keyless{FulcioURL: s.FulcioURL, RekorURL: s.RekorURL, IDToken: tok, TrustedRootJSON: s.TrustedRoot(t)},
	}, sign.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if signed.Identity.Subject != s.Identity() || signed.Identity.Issuer != s.Issuer {
		t.Errorf("Sign says the signer is %+v, want %s from %s", signed.Identity, s.Identity(), s.Issuer)
	}
	return signed.Bundle
}

func TestKeylessSignatureVerifies(t *testing.T) {
	s := sigstoretest.Start(t)
	b := keylessBundle(t, s, digest)
	if got := [3]int64{s.OIDCRequests.Load(), s.FulcioRequests.Load(), s.RekorRequests.Load()}; got != [3]int64{1, 1, 1} {
		t.Errorf("requests (oidc, fulcio, rekor) = %v, want one each", got)
	}
	var parsed struct {
		MediaType            string `json:"mediaType"`
		VerificationMaterial struct {
			Certificate *struct{} `json:"certificate"`
			TlogEntries []struct {
				InclusionProof *struct{} `json:"inclusionProof"`
			} `json:"tlogEntries"`
		} `json:"verificationMaterial"`
		DsseEnvelope struct {
			PayloadType string `json:"payloadType"`
		} `json:"dsseEnvelope"`
	}
	if err := json.Unmarshal(b, &parsed); err != nil {
		t.Fatal(err)
	}
	if parsed.MediaType != attest.BundleMediaType || parsed.DsseEnvelope.PayloadType != attest.PayloadType ||
		parsed.VerificationMaterial.Certificate == nil || len(parsed.VerificationMaterial.TlogEntries) != 1 || parsed.VerificationMaterial.TlogEntries[0].InclusionProof == nil {
		t.Errorf("bundle shape: %s", b)
	}
	root := s.TrustedRoot(t)
	elsewhere := sigstoretest.Start(t)
	good := attest.Policy{Issuer: sigstoretest.GitHubIssuer, Identity: "^https://github.com/acme/release/\\.github/workflows/promote\\.yml@refs/heads/main$"}
	_, pub := sigstoretest.KeyPair(t)
	tampered := strings.Replace(string(b), `"payload":"eyJf`, `"payload":"eyAg`, 1) // {"_ becomes {  : same length, signature broken
	for _, tc := range []struct {
		name     string
		bundle   []byte
		digest   string
		policy   attest.Policy
		root     []byte
		mismatch string // "" = verifies
	}{
		{name: "the signing workflow's identity and issuer verify", bundle: b, digest: digest, policy: good, root: root},
		{name: "another identity is a mismatch", bundle: b, digest: digest, policy: attest.Policy{Issuer: good.Issuer, Identity: "^https://github.com/acme/other/"}, root: root, mismatch: "san value"},
		{name: "another issuer is a mismatch", bundle: b, digest: digest, policy: attest.Policy{Issuer: "https://accounts.example", Identity: good.Identity}, root: root, mismatch: "issuer"},
		{name: "another bundle's digest is a mismatch", bundle: b, digest: other, policy: good, root: root, mismatch: "digest"},
		{name: "a certificate from another Fulcio is a mismatch", bundle: b, digest: digest, policy: good, root: elsewhere.TrustedRoot(t), mismatch: "transparency log"},
		{name: "a tampered envelope is a mismatch", bundle: []byte(tampered), digest: digest, policy: good, root: root, mismatch: "signature"},
		{name: "a keyless bundle does not satisfy a key gate", bundle: b, digest: digest, policy: attest.Policy{PublicKeyPEM: string(pub)}, root: root, mismatch: "key"},
		{name: "not a bundle is a mismatch", bundle: []byte(`{"hello":1}`), digest: digest, policy: good, root: root, mismatch: "bundle"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, err := sign.Verify(context.Background(), attest.VerifyRequest{Bundle: tc.bundle, Digest: tc.digest, Policy: tc.policy, TrustedRootJSON: tc.root})
			if tc.mismatch == "" {
				if err != nil {
					t.Fatal(err)
				}
				if id.Subject != s.Identity() || id.Issuer != sigstoretest.GitHubIssuer {
					t.Errorf("identity = %+v, want %s from %s", id, s.Identity(), sigstoretest.GitHubIssuer)
				}
				return
			}
			if !attest.IsMismatch(err) || !strings.Contains(strings.ToLower(err.Error()), tc.mismatch) {
				t.Errorf("err = %v, want a mismatch about %q", err, tc.mismatch)
			}
		})
	}
}

func TestKeySignatureVerifies(t *testing.T) {
	priv, pub := sigstoretest.KeyPair(t)
	_, otherPub := sigstoretest.KeyPair(t)
	ctx := context.Background()
	signed, err := sign.Sign(ctx, attest.SignRequest{Subject: attest.Subject{Name: "r/a", Digest: digest}, Predicate: promotion, Key: &attest.Key{PrivateKeyPEM: priv}}, sign.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b := signed.Bundle
	for _, tc := range []struct {
		name     string
		digest   string
		policy   attest.Policy
		mismatch bool
	}{
		{name: "the configured public key verifies", digest: digest, policy: attest.Policy{PublicKeyPEM: string(pub)}},
		{name: "another key is a mismatch", digest: digest, policy: attest.Policy{PublicKeyPEM: string(otherPub)}, mismatch: true},
		{name: "another digest is a mismatch", digest: other, policy: attest.Policy{PublicKeyPEM: string(pub)}, mismatch: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, err := sign.Verify(ctx, attest.VerifyRequest{Bundle: b, Digest: tc.digest, Policy: tc.policy})
			if tc.mismatch {
				if !attest.IsMismatch(err) {
					t.Errorf("err = %v, want a mismatch", err)
				}
				return
			}
			if err != nil || !strings.HasPrefix(id.Key, "sha256:") {
				t.Errorf("Verify = %+v, %v", id, err)
			}
		})
	}
}

func TestSignRefuses(t *testing.T) {
	priv, _ := sigstoretest.KeyPair(t)
	rsaPEM := []byte("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n")
	for _, tc := range []struct {
		name string
		req  attest.SignRequest
		want string
	}{
		{name: "a bad subject digest", req: attest.SignRequest{Subject: attest.Subject{Name: "r", Digest: "sha256:xyz"}, Predicate: promotion, Key: &attest.Key{PrivateKeyPEM: priv}}, want: "digest"},
		{name: "neither keyless nor key", req: attest.SignRequest{Subject: attest.Subject{Name: "r", Digest: digest}, Predicate: promotion}, want: "exactly one"},
		{name: "a private key that is not PEM", req: attest.SignRequest{Subject: attest.Subject{Name: "r", Digest: digest}, Predicate: promotion, Key: &attest.Key{PrivateKeyPEM: []byte("secret")}}, want: "not PEM"},
		{name: "an RSA key", req: attest.SignRequest{Subject: attest.Subject{Name: "r", Digest: digest}, Predicate: promotion, Key: &attest.Key{PrivateKeyPEM: rsaPEM}}, want: "RSA PRIVATE KEY"},
		{name: "keyless without a token", req: attest.SignRequest{Subject: attest.Subject{Name: "r", Digest: digest}, Predicate: promotion, Keyless: &attest.Keyless{FulcioURL: "http://127.0.0.1:1", RekorURL: "http://127.0.0.1:1"}}, want: "OIDC token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := sign.Sign(context.Background(), tc.req, sign.Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestFulcioRefusesATokenForAnotherAudience(t *testing.T) {
	s := sigstoretest.Start(t)
	tok, err := sigclient.IDToken(context.Background(), func(k string) string { return s.Env()[k] }, http.DefaultClient, "not-sigstore")
	if err != nil {
		t.Fatal(err)
	}
	_, err = sign.Sign(context.Background(), attest.SignRequest{Subject: attest.Subject{Name: "r", Digest: digest}, Predicate: promotion,
		Keyless: &attest.Keyless{FulcioURL: s.FulcioURL, RekorURL: s.RekorURL, IDToken: tok}}, sign.Options{})
	if err == nil || s.RekorRequests.Load() != 0 {
		t.Errorf("err = %v, rekor requests %d: want Fulcio's refusal and nothing logged", err, s.RekorRequests.Load())
	}
}
