// Package sign is ladder's adapter to sigstore-go: it signs a promotion as a
// Sigstore bundle (v0.3) holding a DSSE envelope of the in-toto statement
// internal/attest builds, keyless (the workflow's OIDC token, a Fulcio
// certificate, a Rekor entry) or with a key pair (GHES, air-gapped), and it
// verifies such a bundle against a `signed` gate's policy. Only
// cmd/ladder-sign links it: sigstore-go more than triples the binary and
// its package initialisation costs ~20 ms, which every action would pay.
package sign

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore-go/pkg/root"
	sgsign "github.com/sigstore/sigstore-go/pkg/sign"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/ladder-release/ladder/internal/attest"
)

// Options are the network settings of a Sigstore client.
type Options struct {
	// Transport for Fulcio requests (nil: http.DefaultTransport). Rekor's
	// generated client keeps its own.
	Transport http.RoundTripper
	// Timeout of each request (0: 30 s).
	Timeout time.Duration
}

// Sign makes the signature req asks for and returns the Sigstore bundle
// (JSON) and who signed it.
func Sign(ctx context.Context, req attest.SignRequest, o Options) (attest.Signed, error) {
	b, err := sign(ctx, req, o)
	if err != nil {
		return attest.Signed{}, err
	}
	var id attest.Identity
	if c := b.GetVerificationMaterial().GetCertificate(); c != nil {
		cert, err := x509.ParseCertificate(c.GetRawBytes())
		if err != nil {
			return attest.Signed{}, fmt.Errorf("the signing certificate: %w", err)
		}
		sum, err := certificate.SummarizeCertificate(cert)
		if err != nil {
			return attest.Signed{}, fmt.Errorf("the signing certificate: %w", err)
		}
		id.Issuer, id.Subject = sum.Extensions.Issuer, sum.SubjectAlternativeName
	} else {
		kp, err := NewKeypair(req.Key.PrivateKeyPEM)
		if err != nil {
			return attest.Signed{}, err
		}
		der, _ := x509.MarshalPKIXPublicKey(kp.priv.Public())
		s := sha256.Sum256(der)
		id.Key = "sha256:" + hex.EncodeToString(s[:])
	}
	data, err := b.MarshalJSON()
	if err != nil {
		return attest.Signed{}, err
	}
	return attest.Signed{Bundle: data, Identity: id}, nil
}

func sign(ctx context.Context, req attest.SignRequest, o Options) (*bundle.Bundle, error) {
	if err := req.Check(); err != nil {
		return nil, err
	}
	stmt, err := attest.Statement(req.Subject, req.Predicate)
	if err != nil {
		return nil, err
	}
	content := &sgsign.DSSEData{Data: stmt, PayloadType: attest.PayloadType}
	opts := sgsign.BundleOptions{Context: ctx}
	var keypair sgsign.Keypair
	if k := req.Keyless; k != nil {
		if keypair, err = sgsign.NewEphemeralKeypair(nil); err != nil {
			return nil, err
		}
		opts.CertificateProvider = sgsign.NewFulcio(&sgsign.FulcioOptions{BaseURL: strings.TrimSuffix(k.FulcioURL, "/"), Transport: o.Transport, Timeout: o.Timeout, Retries: 1})
		opts.CertificateProviderOptions = &sgsign.CertificateProviderOptions{IDToken: k.IDToken}
		opts.TransparencyLogs = []sgsign.Transparency{sgsign.NewRekor(&sgsign.RekorOptions{BaseURL: strings.TrimSuffix(k.RekorURL, "/"), Timeout: o.Timeout, Retries: 1})}
		if len(k.TrustedRootJSON) > 0 {
			tr, err := root.NewTrustedRootFromJSON(k.TrustedRootJSON)
			if err != nil {
				return nil, fmt.Errorf("reading the trusted root: %w", err)
			}
			opts.TrustedRoot = tr
		}
	} else {
		if keypair, err = NewKeypair(req.Key.PrivateKeyPEM); err != nil {
			return nil, err
		}
	}
	pb, err := sgsign.Bundle(content, keypair, opts)
	if err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	b, err := bundle.NewBundle(pb)
	if err != nil {
		return nil, fmt.Errorf("the signed bundle: %w", err)
	}
	return b, nil
}

// Keypair is an ECDSA P-256 key pair given as a PEM private key (PKCS#8 or
// SEC 1), the kind `cosign generate-key-pair` (after decryption) and
// `openssl ecparam -name prime256v1 -genkey` make.
type Keypair struct {
	priv *ecdsa.PrivateKey
	hint []byte
}

// NewKeypair reads a PEM private key; it must be ECDSA P-256.
func NewKeypair(privPEM []byte) (*Keypair, error) {
	block, _ := pem.Decode(privPEM)
	if block == nil {
		return nil, errors.New("the private key is not PEM")
	}
	var key any
	var err error
	switch block.Type {
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("the private key is a PEM %q block; ladder reads an unencrypted \"PRIVATE KEY\" or \"EC PRIVATE KEY\"", block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the private key: %w", err)
	}
	ec, ok := key.(*ecdsa.PrivateKey)
	if !ok || ec.Curve != elliptic.P256() {
		return nil, errors.New("the private key is not ECDSA P-256")
	}
	der, err := x509.MarshalPKIXPublicKey(ec.Public())
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(der)
	return &Keypair{priv: ec, hint: []byte(base64.StdEncoding.EncodeToString(sum[:]))}, nil
}

// GetHashAlgorithm implements sign.Keypair.
func (k *Keypair) GetHashAlgorithm() protocommon.HashAlgorithm {
	return protocommon.HashAlgorithm_SHA2_256
}

// GetHint implements sign.Keypair.
func (k *Keypair) GetHint() []byte { return k.hint }

// GetKeyAlgorithm implements sign.Keypair.
func (k *Keypair) GetKeyAlgorithm() string { return "ECDSA" }

// GetPublicKeyPem implements sign.Keypair.
func (k *Keypair) GetPublicKeyPem() (string, error) {
	b, err := cryptoutils.MarshalPublicKeyToPEM(k.priv.Public())
	return string(b), err
}

// SignData implements sign.Keypair.
func (k *Keypair) SignData(_ context.Context, data []byte) ([]byte, []byte, error) {
	digest := sha256.Sum256(data)
	sig, err := k.priv.Sign(rand.Reader, digest[:], crypto.SHA256)
	return sig, digest[:], err
}

// Verify checks a bundle against a policy for the manifest digest. A
// verification that says no is an *attest.Mismatch; an error reading the
// trusted root is a plain error.
func Verify(_ context.Context, req attest.VerifyRequest) (attest.Identity, error) {
	if err := req.Policy.Check(); err != nil {
		return attest.Identity{}, err
	}
	if err := attest.CheckDigest(req.Digest); err != nil {
		return attest.Identity{}, err
	}
	mismatch := func(format string, a ...any) error { return &attest.Mismatch{Reason: fmt.Sprintf(format, a...)} }
	var b bundle.Bundle
	if err := b.UnmarshalJSON(req.Bundle); err != nil {
		return attest.Identity{}, mismatch("not a valid Sigstore bundle: %v", err)
	}
	if !b.MinVersion("v0.3") {
		return attest.Identity{}, mismatch("the Sigstore bundle is older than v0.3")
	}
	digest, _ := hex.DecodeString(strings.TrimPrefix(req.Digest, "sha256:"))
	var (
		material root.TrustedMaterial
		vopts    []verify.VerifierOption
		popts    []verify.PolicyOption
		id       attest.Identity
	)
	if req.Policy.Keyless() {
		var tr *root.TrustedRoot
		var err error
		if len(req.TrustedRootJSON) > 0 {
			tr, err = root.NewTrustedRootFromJSON(req.TrustedRootJSON)
		} else {
			tr, err = root.FetchTrustedRoot()
		}
		if err != nil {
			return attest.Identity{}, fmt.Errorf("reading the trusted root: %w", err)
		}
		material = tr
		vopts = append(vopts, verify.WithTransparencyLog(1), verify.WithIntegratedTimestamps(1))
		if len(tr.CTLogs()) > 0 {
			vopts = append(vopts, verify.WithSignedCertificateTimestamps(1))
		}
		ci, err := verify.NewShortCertificateIdentity(req.Policy.Issuer, "", "", req.Policy.Identity)
		if err != nil {
			return attest.Identity{}, err
		}
		popts = append(popts, verify.WithCertificateIdentity(ci))
	} else {
		block, _ := pem.Decode([]byte(req.Policy.PublicKeyPEM))
		if block == nil {
			return attest.Identity{}, errors.New("the gate's public key is not PEM")
		}
		pub, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return attest.Identity{}, fmt.Errorf("reading the gate's public key: %w", err)
		}
		v, err := signature.LoadVerifier(pub, crypto.SHA256)
		if err != nil {
			return attest.Identity{}, fmt.Errorf("the gate's public key: %w", err)
		}
		key := root.NewExpiringKey(v, time.Time{}, time.Time{})
		material = root.NewTrustedPublicKeyMaterial(func(string) (root.TimeConstrainedVerifier, error) { return key, nil })
		vopts = append(vopts, verify.WithCurrentTime())
		popts = append(popts, verify.WithKey())
		sum := sha256.Sum256(block.Bytes)
		id.Key = "sha256:" + hex.EncodeToString(sum[:])
	}
	verifier, err := verify.NewVerifier(material, vopts...)
	if err != nil {
		return attest.Identity{}, err
	}
	res, err := verifier.Verify(&b, verify.NewPolicy(verify.WithArtifactDigest("sha256", digest), popts...))
	if err != nil {
		return attest.Identity{}, mismatch("%v", err)
	}
	env := b.GetDsseEnvelope()
	if env == nil {
		return attest.Identity{}, mismatch("the bundle holds no DSSE envelope")
	}
	if env.PayloadType != attest.PayloadType {
		return attest.Identity{}, mismatch("the envelope's payload type is %q, not an in-toto statement", env.PayloadType)
	}
	if _, err := attest.ReadStatement(env.Payload, req.Digest); err != nil {
		return attest.Identity{}, mismatch("%v", err)
	}
	if res.Signature != nil && res.Signature.Certificate != nil {
		id.Issuer = res.Signature.Certificate.Issuer
		id.Subject = res.Signature.Certificate.SubjectAlternativeName
	}
	return id, nil
}
