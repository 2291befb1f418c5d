package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ladder-release/ladder/internal/attest"
	"github.com/ladder-release/ladder/internal/bundle"
	"github.com/ladder-release/ladder/internal/config"
	"github.com/ladder-release/ladder/internal/oci"
	"github.com/ladder-release/ladder/internal/promote"
	"github.com/ladder-release/ladder/internal/session"
	"github.com/ladder-release/ladder/internal/sigclient"
)

// Signing (S6, SPEC section 4 "Signing"). The cryptography lives in
// internal/sign, linked only into the ladder-sign program (Deps.Signer: nil
// runs it from beside the ladder binary); this file gathers what it needs
// and what the signed gate reads:
//   - a promotion of a label with `sign: true` signs the bundle after its
//     gates passed and before the ledger records the move: the in-toto
//     statement (subject the bundle, predicate the promotion record) in a
//     Sigstore bundle, attached as an OCI referrer; the move records the
//     referrer's digest. A signing failure fails the run with nothing
//     recorded and the label unmoved.
//   - the signed gate lists the candidate's signature referrers and
//     verifies each against the gate's policy; none is pending, only
//     others (invalid, another identity, another key) is failed; a registry
//     error or an unreadable trusted root is an error, never a verdict.

// signed is a signature this run made and attached.
type signed struct {
	digest   string // the referrer's digest
	identity attest.Identity
}

// signPromotion signs dec's target as label's promotion and attaches the
// signature to it.
func (r *run) signPromotion(ctx context.Context, cfg *config.Config, reg *oci.Client, label config.Label, in promote.Input, dec promote.Decision, lockDigest string) (signed, error) {
	fail := func(err error) (signed, error) {
		return signed{}, fmt.Errorf("signing %s for label %s (nothing recorded, the label did not move): %w", dec.Target.Version, label.Name, err)
	}
	if cfg.Signing == nil {
		return fail(session.At(cfg, "labels."+label.Name+".sign", errors.New("sign: true needs a signing: section (keyless: {} or key: {private-key: env:NAME})")))
	}
	// the attach's first read goes out while the signature is made
	subject := cfg.Registry + "@" + dec.Target.Digest
	prefetched := make(chan struct{})
	go func() {
		defer close(prefetched)
		reg.PrefetchSubject(ctx, subject)
	}()
	defer func() { <-prefetched }()
	req := attest.SignRequest{
		Subject:   attest.Subject{Name: cfg.Registry, Digest: dec.Target.Digest},
		Predicate: promote.Attestation(cfg.Product, label.Name, in, dec, lockDigest),
	}
	if k := cfg.Signing.Keyless; k != nil {
		tok, err := sigclient.IDToken(ctx, r.Getenv, r.HTTPClient(), "sigstore")
		if err != nil {
			return fail(err)
		}
		req.Keyless = &attest.Keyless{FulcioURL: k.FulcioURL, RekorURL: k.RekorURL, IDToken: tok}
		if k.TrustedRoot != "" {
			if req.Keyless.TrustedRootJSON, err = r.ReadConfigFile(cfg, "signing.keyless.trusted-root", k.TrustedRoot); err != nil {
				return fail(err)
			}
		}
	} else {
		key := r.Getenv(cfg.Signing.Key.PrivateKeyEnv)
		if key == "" {
			return fail(session.At(cfg, "signing.key.private-key", fmt.Errorf("the environment variable %s is empty: set it from a secret (env: %s: ${{ secrets.NAME }})", cfg.Signing.Key.PrivateKeyEnv, cfg.Signing.Key.PrivateKeyEnv)))
		}
		req.Key = &attest.Key{PrivateKeyPEM: []byte(key)}
	}
	sg, err := r.Signer()
	if err != nil {
		return fail(err)
	}
	out, err := sg.Sign(ctx, req)
	if err != nil {
		return fail(err)
	}
	if k := cfg.Signing.Key; k != nil && k.PublicKey != "" {
		// a key pair that does not match is found now, not by the next gate
		pub, err := r.ReadConfigFile(cfg, "signing.key.public-key", k.PublicKey)
		if err != nil {
			return fail(err)
		}
		if _, err := sg.Verify(ctx, attest.VerifyRequest{Bundle: out.Bundle, Digest: dec.Target.Digest, Policy: attest.Policy{PublicKeyPEM: string(pub)}}); err != nil {
			return fail(session.At(cfg, "signing.key.public-key", fmt.Errorf("the signature does not verify with %s (is it the private key's pair?): %w", k.PublicKey, err)))
		}
	}
	ann := map[string]string{
		"dev.sigstore.bundle.content":       "dsse-envelope",
		"dev.sigstore.bundle.predicateType": attest.PredicateType,
		bundle.OCICreated:                   in.Now.UTC().Format("2006-01-02T15:04:05Z"),
	}
	<-prefetched
	digest, err := reg.AttachSignature(ctx, subject, out.Bundle, ann)
	if err != nil {
		return fail(err)
	}
	return signed{digest: digest, identity: out.Identity}, nil
}

// signatureEvidence reads the candidate's signatures and verifies each
// against the label's signed gate.
func (r *run) signatureEvidence(ctx context.Context, cfg *config.Config, reg *oci.Client, label config.Label, digest string) ([]promote.Signature, error) {
	g := label.Gates.Signed
	field := "labels." + label.Name + ".gates.signed"
	policy := attest.Policy{Issuer: g.Issuer, Identity: g.Identity}
	var root []byte
	if g.Key != "" {
		pub, err := r.ReadConfigFile(cfg, field+".key", g.Key)
		if err != nil {
			return nil, err
		}
		policy = attest.Policy{PublicKeyPEM: string(pub)}
	} else if cfg.Signing != nil && cfg.Signing.Keyless != nil && cfg.Signing.Keyless.TrustedRoot != "" {
		var err error
		if root, err = r.ReadConfigFile(cfg, "signing.keyless.trusted-root", cfg.Signing.Keyless.TrustedRoot); err != nil {
			return nil, err
		}
	}
	if err := policy.Check(); err != nil {
		return nil, session.At(cfg, field, err)
	}
	sigs, err := reg.Signatures(ctx, cfg.Registry, digest)
	if err != nil {
		return nil, fmt.Errorf("reading the signatures of %s: %w", digest, err)
	}
	if len(sigs) == 0 {
		return nil, nil
	}
	sg, err := r.Signer()
	if err != nil {
		return nil, err
	}
	out := make([]promote.Signature, 0, len(sigs))
	for _, s := range sigs {
		id, err := sg.Verify(ctx, attest.VerifyRequest{Bundle: s.Bundle, Digest: digest, Policy: policy, TrustedRootJSON: root})
		var m *attest.Mismatch
		switch {
		case errors.As(err, &m):
			out = append(out, promote.Signature{Digest: s.Digest, Mismatch: strings.TrimSpace(m.Reason)})
		case err != nil:
			return nil, fmt.Errorf("verifying signature %s of %s: %w", s.Digest, digest, err)
		default:
			out = append(out, promote.Signature{Digest: s.Digest, Identity: id.String()})
		}
	}
	return out, nil
}

// signedGate is gates.signed as the decision reads it.
func signedGate(g *config.SignedGate) *promote.SignedGate {
	if g == nil {
		return nil
	}
	return &promote.SignedGate{Issuer: g.Issuer, Identity: g.Identity, Key: g.Key}
}
