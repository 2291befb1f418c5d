// Package attest is the pure part of signing (SPEC section 4, "Signing"):
// the in-toto statement ladder signs when a label with `sign: true` moves
// (the bundle as subject, the promotion record as predicate), the policy a
// `signed` gate verifies against, and the requests the signer adapter
// (internal/sign, which holds the cryptography) is handed. It does no I/O.
package attest

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Media and statement types.
const (
	// BundleMediaType is the Sigstore bundle's media type, and the
	// artifactType of the OCI referrer that carries it (as cosign writes it).
	BundleMediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"
	// StatementType is the in-toto statement version ladder writes.
	StatementType = "https://in-toto.io/Statement/v1"
	// PayloadType is the DSSE payload type of an in-toto statement.
	PayloadType = "application/vnd.in-toto+json"
	// PredicateType names ladder's promotion record (cosign verify-attestation --type).
	PredicateType = "https://ladder-release.github.io/attestations/promotion/v1"
)

// Promotion is the predicate: what was promoted, from where, on what
// evidence, by whom.
type Promotion struct {
	Product    string `json:"product,omitempty"`
	Label      string `json:"label"`
	From       string `json:"from"`
	Version    string `json:"version"`
	LockDigest string `json:"lockDigest"`
	Gates      []Gate `json:"gates"`
	Forced     bool   `json:"forced,omitempty"`
	Actor      string `json:"actor,omitempty"`
	Run        string `json:"run,omitempty"` // the workflow run's URL
}

// Gate is one line of gate evidence.
type Gate struct {
	Gate      string `json:"gate"` // checks, soak, signed
	Component string `json:"component,omitempty"`
	Commit    string `json:"commit,omitempty"`
	Check     string `json:"check,omitempty"`
	Result    string `json:"result"`
	Detail    string `json:"detail,omitempty"`
}

// Subject is what is signed: a manifest in a repository.
type Subject struct {
	Name   string `json:"name"`   // the repository, e.g. ghcr.io/acme/app
	Digest string `json:"digest"` // sha256:<64 hex>
}

var digestRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// CheckDigest accepts sha256:<64 lowercase hex>.
func CheckDigest(d string) error {
	if !digestRE.MatchString(d) {
		return fmt.Errorf("digest %q is not sha256:<64 lowercase hex>", d)
	}
	return nil
}

type statement struct {
	Type          string          `json:"_type"`
	Subject       []subjectJSON   `json:"subject"`
	PredicateType string          `json:"predicateType"`
	Predicate     json.RawMessage `json:"predicate"`
}

type subjectJSON struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"`
}

// Statement is the in-toto statement (v1) ladder signs: the subject with
// its sha256, the promotion as predicate.
func Statement(s Subject, p Promotion) ([]byte, error) {
	if err := CheckDigest(s.Digest); err != nil {
		return nil, fmt.Errorf("subject: %w", err)
	}
	if s.Name == "" {
		return nil, errors.New("subject: no name")
	}
	if p.Label == "" {
		return nil, errors.New("promotion: no label")
	}
	if p.Gates == nil {
		p.Gates = []Gate{}
	}
	pred, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	return json.Marshal(statement{
		Type:          StatementType,
		Subject:       []subjectJSON{{Name: s.Name, Digest: map[string]string{"sha256": strings.TrimPrefix(s.Digest, "sha256:")}}},
		PredicateType: PredicateType,
		Predicate:     pred,
	})
}

// ReadStatement parses a statement ladder wrote and checks that its subject
// is digest: the promotion it records, or an error saying what differs.
func ReadStatement(data []byte, digest string) (Promotion, error) {
	var st statement
	if err := json.Unmarshal(data, &st); err != nil {
		return Promotion{}, fmt.Errorf("the statement is not JSON: %w", err)
	}
	if st.Type != StatementType {
		return Promotion{}, fmt.Errorf("the statement's _type is %q, not %q", st.Type, StatementType)
	}
	if st.PredicateType != PredicateType {
		return Promotion{}, fmt.Errorf("the statement's predicateType is %q, not ladder's promotion record", st.PredicateType)
	}
	want := strings.TrimPrefix(digest, "sha256:")
	found := false
	for _, s := range st.Subject {
		if s.Digest["sha256"] == want {
			found = true
		}
	}
	if !found {
		return Promotion{}, fmt.Errorf("the statement's subject is not %s", digest)
	}
	var p Promotion
	if err := json.Unmarshal(st.Predicate, &p); err != nil {
		return Promotion{}, fmt.Errorf("the statement's predicate: %w", err)
	}
	return p, nil
}

// Policy is what a `signed` gate accepts: a certificate issued by Issuer
// (exactly) to an identity matching the Identity regular expression
// (keyless), or a signature by PublicKeyPEM (key).
type Policy struct {
	Issuer       string `json:"issuer,omitempty"`
	Identity     string `json:"identity,omitempty"`
	PublicKeyPEM string `json:"publicKey,omitempty"`
}

// Keyless reports whether the policy names an issuer and identity.
func (p Policy) Keyless() bool { return p.PublicKeyPEM == "" }

// Check validates the policy: either issuer and identity (a valid regular
// expression), or a key, not both.
func (p Policy) Check() error {
	switch {
	case p.PublicKeyPEM != "" && (p.Issuer != "" || p.Identity != ""):
		return errors.New("a signed gate takes either issuer and identity, or key, not both")
	case p.PublicKeyPEM != "":
		if !strings.Contains(p.PublicKeyPEM, "-----BEGIN PUBLIC KEY-----") {
			return errors.New("the key is not a PEM public key (-----BEGIN PUBLIC KEY-----)")
		}
		return nil
	case p.Issuer == "" || p.Identity == "":
		return errors.New("a signed gate needs both issuer and identity (or key)")
	}
	if _, err := regexp.Compile(p.Identity); err != nil {
		return fmt.Errorf("identity %q is not a valid regular expression: %v", p.Identity, err)
	}
	return nil
}

// Identity is who signed, as verification established it.
type Identity struct {
	Issuer  string `json:"issuer,omitempty"`  // the OIDC issuer (keyless)
	Subject string `json:"subject,omitempty"` // the certificate's identity (keyless)
	Key     string `json:"key,omitempty"`     // "sha256:<hex>" of the public key (key)
}

// String is how the step summary names the signer.
func (id Identity) String() string {
	if id.Subject != "" {
		return id.Subject + " (issuer " + id.Issuer + ")"
	}
	if id.Key != "" {
		return "key " + id.Key
	}
	return "(unknown)"
}

// Signed is a signature made: the Sigstore bundle (JSON) and who signed it.
type Signed struct {
	Bundle   json.RawMessage `json:"bundle"`
	Identity Identity        `json:"identity"`
}

// Keyless is how a keyless signature is made: the workflow's OIDC token
// exchanged at Fulcio for a certificate, the signature logged in Rekor.
type Keyless struct {
	FulcioURL       string `json:"fulcioURL"`
	RekorURL        string `json:"rekorURL"`
	IDToken         string `json:"idToken"`
	TrustedRootJSON []byte `json:"trustedRoot,omitempty"` // to check the new bundle; none: not checked
}

// Key is how a key signature is made: an ECDSA P-256 private key (PEM).
type Key struct {
	PrivateKeyPEM []byte `json:"privateKey"`
}

// SignRequest is one signature to make: exactly one of Keyless and Key.
type SignRequest struct {
	Subject   Subject   `json:"subject"`
	Predicate Promotion `json:"predicate"`
	Keyless   *Keyless  `json:"keyless,omitempty"`
	Key       *Key      `json:"key,omitempty"`
}

// Check validates the request before any network call.
func (r SignRequest) Check() error {
	if err := CheckDigest(r.Subject.Digest); err != nil {
		return fmt.Errorf("subject: %w", err)
	}
	switch {
	case (r.Keyless == nil) == (r.Key == nil):
		return errors.New("a signature is keyless or by key: exactly one")
	case r.Keyless != nil && r.Keyless.IDToken == "":
		return errors.New("keyless signing needs an OIDC token")
	case r.Keyless != nil && (r.Keyless.FulcioURL == "" || r.Keyless.RekorURL == ""):
		return errors.New("keyless signing needs a Fulcio and a Rekor URL")
	case r.Key != nil && len(r.Key.PrivateKeyPEM) == 0:
		return errors.New("key signing needs a private key")
	}
	return nil
}

// VerifyRequest is one bundle to verify against a policy, for the manifest
// digest it must be about.
type VerifyRequest struct {
	Bundle          []byte `json:"bundle"`
	Digest          string `json:"digest"`
	Policy          Policy `json:"policy"`
	TrustedRootJSON []byte `json:"trustedRoot,omitempty"` // keyless; none: Sigstore's public-good root
}

// Mismatch is a verification that ran and said no: a bad signature, an
// untrusted certificate, another identity, another subject. A signed gate
// reads it as failed; any other error (the trusted root cannot be read) is
// an error, never a verdict.
type Mismatch struct{ Reason string }

func (m *Mismatch) Error() string { return m.Reason }

// IsMismatch reports whether err is (or wraps) a Mismatch.
func IsMismatch(err error) bool {
	var m *Mismatch
	return errors.As(err, &m)
}
