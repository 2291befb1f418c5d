// Package sigstoretest starts, on 127.0.0.1, stand-ins for what keyless
// signing talks to, answering as the real services do: a GitHub Actions OIDC
// token endpoint (ACTIONS_ID_TOKEN_REQUEST_URL), a Fulcio
// (POST /api/v2/signingCert: checks the token's signature, audience and
// expiry and the proof of possession, then issues a code-signing certificate
// with the workflow's identity and the issuer extension, as Fulcio does for a
// GitHub token) and a Rekor (POST /api/v1/log/entries: canonicalises the
// proposed entry with rekor's own types, appends it to an RFC 6962 Merkle
// tree and answers with the signed entry timestamp and an inclusion proof
// under a signed checkpoint). TrustedRoot names the three keys, as Sigstore's
// trusted_root.json does. No signed certificate timestamps: the trusted root
// lists no CT log.
package sigstoretest

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cyberphone/json-canonicalization/go/src/webpki.org/jsoncanonicalizer"
	"github.com/go-openapi/runtime"
	"github.com/sigstore/rekor/pkg/generated/models"
	"github.com/sigstore/rekor/pkg/types"
	_ "github.com/sigstore/rekor/pkg/types/dsse/v0.0.1" // the entry kind ladder logs
	rekorutil "github.com/sigstore/rekor/pkg/util"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
)

// GitHubIssuer is the issuer of GitHub Actions OIDC tokens.
const GitHubIssuer = "https://token.actions.githubusercontent.com"

// Sigstore is the three stand-ins.
type Sigstore struct {
	// OIDCURL is ACTIONS_ID_TOKEN_REQUEST_URL (it carries a query, as
	// GitHub's does), OIDCToken ACTIONS_ID_TOKEN_REQUEST_TOKEN.
	OIDCURL, OIDCToken  string
	FulcioURL, RekorURL string
	// Issuer and Workflow are what the next tokens say: the `iss` claim and
	// `job_workflow_ref` (owner/repo/.github/workflows/f.yml@ref); Fulcio
	// makes the identity https://github.com/<Workflow>.
	Issuer, Workflow string
	// Delay is added to every Fulcio and Rekor answer (SPEC section 9: 20 ms).
	Delay time.Duration

	OIDCRequests, FulcioRequests, RekorRequests atomic.Int64

	oidcKey, caKey, rekorKey *ecdsa.PrivateKey
	caCert                   *x509.Certificate
	start                    time.Time

	mu     sync.Mutex
	leaves [][]byte // leaf hashes
}

// Start starts the stand-ins; they stop with the test.
func Start(t testing.TB) *Sigstore {
	t.Helper()
	s := &Sigstore{Issuer: GitHubIssuer, Workflow: "acme/release/.github/workflows/promote.yml@refs/heads/main", OIDCToken: "request-token-" + randHex(8), start: time.Now().Add(-time.Hour)}
	var err error
	for _, k := range []**ecdsa.PrivateKey{&s.oidcKey, &s.caKey, &s.rekorKey} {
		if *k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			t.Fatal(err)
		}
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sigstore", Organization: []string{"sigstore.dev"}},
		NotBefore: s.start, NotAfter: time.Now().Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, s.caKey.Public(), s.caKey)
	if err != nil {
		t.Fatal(err)
	}
	if s.caCert, err = x509.ParseCertificate(der); err != nil {
		t.Fatal(err)
	}
	oidc := httptest.NewServer(http.HandlerFunc(s.serveOIDC))
	fulcio := httptest.NewServer(http.HandlerFunc(s.serveFulcio))
	rekor := httptest.NewServer(http.HandlerFunc(s.serveRekor))
	t.Cleanup(func() { oidc.Close(); fulcio.Close(); rekor.Close() })
	s.OIDCURL = oidc.URL + "/token?api-version=2.0"
	s.FulcioURL, s.RekorURL = fulcio.URL, rekor.URL
	return s
}

// Identity is the certificate identity the next signature gets.
func (s *Sigstore) Identity() string { return "https://github.com/" + s.Workflow }

// Env is the environment a job with `permissions: id-token: write` has.
func (s *Sigstore) Env() map[string]string {
	return map[string]string{"ACTIONS_ID_TOKEN_REQUEST_URL": s.OIDCURL, "ACTIONS_ID_TOKEN_REQUEST_TOKEN": s.OIDCToken}
}

// TrustedRoot is the trusted_root.json naming the stand-ins' Fulcio and Rekor.
func (s *Sigstore) TrustedRoot(t testing.TB) []byte {
	t.Helper()
	logID := s.logID()
	tr, err := root.NewTrustedRoot(root.TrustedRootMediaType01,
		[]root.CertificateAuthority{&root.FulcioCertificateAuthority{Root: s.caCert, ValidityPeriodStart: s.start, URI: s.FulcioURL}},
		map[string]*root.TransparencyLog{},
		nil,
		map[string]*root.TransparencyLog{hex.EncodeToString(logID): {
			BaseURL: s.RekorURL, ID: logID, ValidityPeriodStart: s.start, HashFunc: crypto.SHA256,
			PublicKey: s.rekorKey.Public(), SignatureHashFunc: crypto.SHA256,
		}})
	if err != nil {
		t.Fatal(err)
	}
	data, err := tr.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func (s *Sigstore) logID() []byte {
	der, _ := x509.MarshalPKIXPublicKey(s.rekorKey.Public())
	sum := sha256.Sum256(der)
	return sum[:]
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) //nolint:errcheck
	return hex.EncodeToString(b)
}

func b64url(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// serveOIDC answers GitHub's token request: GET with the request token as
// bearer and the audience as a query parameter, {"value": JWT}.
func (s *Sigstore) serveOIDC(w http.ResponseWriter, r *http.Request) {
	s.OIDCRequests.Add(1)
	if r.Method != http.MethodGet || r.Header.Get("Authorization") != "bearer "+s.OIDCToken && r.Header.Get("Authorization") != "Bearer "+s.OIDCToken {
		http.Error(w, `{"message":"Unauthorized"}`, http.StatusUnauthorized)
		return
	}
	aud := r.URL.Query().Get("audience")
	if aud == "" {
		aud = "https://github.com/acme"
	}
	now := time.Now()
	ref := s.Workflow
	claims := map[string]any{
		"iss": s.Issuer, "aud": aud, "iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
		"sub": "repo:" + strings.SplitN(ref, "/.github/", 2)[0] + ":ref:refs/heads/main", "job_workflow_ref": ref,
		"repository": strings.SplitN(ref, "/.github/", 2)[0], "event_name": "workflow_dispatch",
	}
	head, _ := json.Marshal(map[string]string{"alg": "ES256", "typ": "JWT", "kid": "standin"})
	body, _ := json.Marshal(claims)
	signing := b64url(head) + "." + b64url(body)
	sum := sha256.Sum256([]byte(signing))
	rr, ss, err := ecdsa.Sign(rand.Reader, s.oidcKey, sum[:])
	if err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	sig := make([]byte, 64)
	rr.FillBytes(sig[:32])
	ss.FillBytes(sig[32:])
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"count": 1, "value": signing + "." + b64url(sig)}) //nolint:errcheck
}

// verifyToken checks the JWT as Fulcio does: signature by the issuer's key,
// audience sigstore, not expired. It returns the claims.
func (s *Sigstore) verifyToken(tok string) (map[string]any, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("not a JWT")
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || len(sig) != 64 {
		return nil, fmt.Errorf("bad signature encoding")
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if !ecdsa.Verify(&s.oidcKey.PublicKey, sum[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		return nil, fmt.Errorf("the token's signature does not verify")
	}
	body, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, err
	}
	var c map[string]any
	if err := json.Unmarshal(body, &c); err != nil {
		return nil, err
	}
	if c["aud"] != "sigstore" {
		return nil, fmt.Errorf("audience %v is not sigstore", c["aud"])
	}
	if exp, _ := c["exp"].(float64); time.Unix(int64(exp), 0).Before(time.Now()) {
		return nil, fmt.Errorf("the token expired")
	}
	return c, nil
}

// apiError answers as Fulcio and Rekor answer an error: {"code", "message"}.
func apiError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]any{"code": code, "message": msg}) //nolint:errcheck
}

// accept counts a request to Fulcio or Rekor (in n), waits the Delay, and
// answers 404 to anything but a POST to path.
func (s *Sigstore) accept(w http.ResponseWriter, r *http.Request, n *atomic.Int64, path string) bool {
	n.Add(1)
	time.Sleep(s.Delay)
	if r.Method != http.MethodPost || r.URL.Path != path {
		apiError(w, http.StatusNotFound, "not found")
		return false
	}
	return true
}

var (
	oidIssuerV1 = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 1}
	oidIssuerV2 = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 8}
)

// serveFulcio answers POST /api/v2/signingCert.
func (s *Sigstore) serveFulcio(w http.ResponseWriter, r *http.Request) {
	if !s.accept(w, r, &s.FulcioRequests, "/api/v2/signingCert") {
		return
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		apiError(w, http.StatusUnauthorized, "no bearer token")
		return
	}
	claims, err := s.verifyToken(tok)
	if err != nil {
		apiError(w, http.StatusUnauthorized, "There was an error processing the identity token: "+err.Error())
		return
	}
	var req struct {
		PublicKeyRequest struct {
			PublicKey struct {
				Algorithm, Content string
			}
			ProofOfPossession string
		}
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		apiError(w, http.StatusBadRequest, err.Error())
		return
	}
	pub, err := cryptoutils.UnmarshalPEMToPublicKey([]byte(req.PublicKeyRequest.PublicKey.Content))
	if err != nil {
		apiError(w, http.StatusBadRequest, "The public key supplied in the request could not be parsed")
		return
	}
	pop, err := base64.StdEncoding.DecodeString(req.PublicKeyRequest.ProofOfPossession)
	if err != nil {
		apiError(w, http.StatusBadRequest, "bad proof of possession encoding")
		return
	}
	ec, ok := pub.(*ecdsa.PublicKey)
	sub, _ := claims["sub"].(string)
	sum := sha256.Sum256([]byte(sub))
	if !ok || !ecdsa.VerifyASN1(ec, sum[:], pop) {
		apiError(w, http.StatusBadRequest, "The signature supplied in the request could not be verified")
		return
	}
	ref, _ := claims["job_workflow_ref"].(string)
	san, err := url.Parse("https://github.com/" + ref)
	if err != nil || ref == "" {
		apiError(w, http.StatusBadRequest, "no job_workflow_ref claim")
		return
	}
	iss, _ := claims["iss"].(string)
	issV2, _ := asn1.MarshalWithParams(iss, "utf8")
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(now.UnixNano()), NotBefore: now.Add(-time.Minute), NotAfter: now.Add(10 * time.Minute),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		URIs:            []*url.URL{san},
		ExtraExtensions: []pkix.Extension{{Id: oidIssuerV1, Value: []byte(iss)}, {Id: oidIssuerV2, Value: issV2}},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, s.caCert, pub, s.caKey)
	if err != nil {
		apiError(w, http.StatusInternalServerError, err.Error())
		return
	}
	leaf := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.caCert.Raw})
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"signedCertificateEmbeddedSct": map[string]any{"chain": map[string]any{"certificates": []string{string(leaf), string(ca)}}}}) //nolint:errcheck
}

// serveRekor answers POST /api/v1/log/entries.
func (s *Sigstore) serveRekor(w http.ResponseWriter, r *http.Request) {
	if !s.accept(w, r, &s.RekorRequests, "/api/v1/log/entries") {
		return
	}
	data, err := io.ReadAll(r.Body)
	if err != nil {
		apiError(w, http.StatusBadRequest, err.Error())
		return
	}
	pe, err := models.UnmarshalProposedEntry(bytes.NewReader(data), runtime.JSONConsumer())
	if err != nil {
		apiError(w, http.StatusBadRequest, err.Error())
		return
	}
	ctx := context.Background()
	entry, err := types.CreateVersionedEntry(pe)
	if err != nil {
		apiError(w, http.StatusBadRequest, err.Error())
		return
	}
	body, err := types.CanonicalizeEntry(ctx, entry)
	if err != nil {
		apiError(w, http.StatusBadRequest, err.Error())
		return
	}
	leaf := sha256.Sum256(append([]byte{0}, body...))
	s.mu.Lock()
	s.leaves = append(s.leaves, leaf[:])
	leaves := append([][]byte(nil), s.leaves...)
	s.mu.Unlock()
	index := int64(len(leaves) - 1)
	rootHash := mth(leaves)
	var hashes []string
	for _, h := range path(int(index), leaves) {
		hashes = append(hashes, hex.EncodeToString(h))
	}
	signer, err := signature.LoadECDSASignerVerifier(s.rekorKey, crypto.SHA256)
	if err != nil {
		apiError(w, 500, err.Error())
		return
	}
	cp, err := rekorutil.CreateAndSignCheckpoint(ctx, "rekor.standin", 1, uint64(len(leaves)), rootHash, signer)
	if err != nil {
		apiError(w, 500, err.Error())
		return
	}
	logID := hex.EncodeToString(s.logID())
	integrated := time.Now().Unix()
	b64body := base64.StdEncoding.EncodeToString(body)
	payload, _ := json.Marshal(map[string]any{"body": b64body, "integratedTime": integrated, "logIndex": index, "logID": logID})
	canon, err := jsoncanonicalizer.Transform(payload)
	if err != nil {
		apiError(w, 500, err.Error())
		return
	}
	set, err := signer.SignMessage(bytes.NewReader(canon))
	if err != nil {
		apiError(w, 500, err.Error())
		return
	}
	uuid := hex.EncodeToString(leaf[:])
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("ETag", uuid)
	w.Header().Set("Location", "/api/v1/log/entries/"+uuid)
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(map[string]any{uuid: map[string]any{ //nolint:errcheck
		"body": b64body, "integratedTime": integrated, "logID": logID, "logIndex": index,
		"verification": map[string]any{
			"signedEntryTimestamp": base64.StdEncoding.EncodeToString(set),
			"inclusionProof": map[string]any{"checkpoint": string(cp), "hashes": hashes, "logIndex": index,
				"rootHash": hex.EncodeToString(rootHash), "treeSize": len(leaves)},
		},
	}})
}

// mth is RFC 6962's Merkle tree hash of leaf hashes.
func mth(leaves [][]byte) []byte {
	if len(leaves) == 1 {
		return leaves[0]
	}
	k := split(len(leaves))
	return node(mth(leaves[:k]), mth(leaves[k:]))
}

// path is RFC 6962's audit path of leaf m.
func path(m int, leaves [][]byte) [][]byte {
	if len(leaves) <= 1 {
		return nil
	}
	k := split(len(leaves))
	if m < k {
		return append(path(m, leaves[:k]), mth(leaves[k:]))
	}
	return append(path(m-k, leaves[k:]), mth(leaves[:k]))
}

// split is the largest power of two smaller than n.
func split(n int) int {
	k := 1
	for k*2 < n {
		k *= 2
	}
	return k
}

func node(l, r []byte) []byte {
	h := sha256.New()
	h.Write([]byte{1})
	h.Write(l)
	h.Write(r)
	return h.Sum(nil)
}

// KeyPair returns a new ECDSA P-256 private key (PKCS#8 PEM) and its public
// key (PKIX PEM), as signing.key's private-key and public-key hold them.
func KeyPair(t testing.TB) (priv, pub []byte) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p8, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := x509.MarshalPKIXPublicKey(k.Public())
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8}), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pk})
}
