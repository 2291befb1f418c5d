package registry

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Names DistributionWithTokenAuth configures: the registry checks the token's
// aud claim against TokenService and its iss claim against TokenIssuer.
const (
	TokenService = "ladder-test-registry"
	TokenIssuer  = "ladder-test-token-server"
)

// TokenLifetime is how long the tokens the token server issues are valid
// (their exp claim, and expires_in in the answer).
const TokenLifetime = 5 * time.Minute

// TokenAuth is a CNCF distribution registry that demands the Docker token
// authentication protocol, as ghcr.io and Docker Hub do, and the token server
// (the "realm") that issues its tokens. Both listen on 127.0.0.1 over plain
// HTTP and stop when the test ends.
//
// A request to the registry without a valid token is answered 401 with
//
//	WWW-Authenticate: Bearer realm="<Realm>",service="<Service>",scope="repository:NAME:ACTIONS"
//
// The client then GETs Realm?service=...&scope=... (scope may repeat, and one
// value may hold several space-separated scopes), with HTTP basic credentials
// or anonymously, and receives {"token": "...", "access_token": "...",
// "expires_in": ..., "issued_at": "..."}; it retries the registry request
// with "Authorization: Bearer <token>".
//
// The token server grants an anonymous caller pull on repositories only (and
// nothing once SetAnonymousPull(false) is called); a caller whose basic
// credentials match users gets every action asked for; wrong credentials get
// 401. A token asked for with fewer rights than requested is still issued,
// with the rights granted, as Docker Hub does: the registry then refuses the
// request (401, insufficient_scope).
type TokenAuth struct {
	// Host is the registry's host:port.
	Host string
	// Realm is the token server's URL, as the registry's challenges name it.
	Realm string
	// Service is the service name in the challenges and the tokens' audience.
	Service string
	// Issuer is the tokens' iss claim.
	Issuer string

	users map[string]string
	key   *ecdsa.PrivateKey
	x5c   string // base64 (standard, padded) DER of the self-signed certificate

	mu         sync.Mutex
	requests   []TokenRequest
	anonDenied bool
}

// TokenRequest is one request the token server received.
type TokenRequest struct {
	// Method is the HTTP method (the protocol uses GET; anything else is
	// answered 404, as registries without the OAuth2 POST flow do).
	Method string
	// User is the basic-auth user name sent, "" for an anonymous request.
	User string
	// Service is the service query parameter.
	Service string
	// Scopes are the scope query parameters, in order, as sent (one value may
	// hold several space-separated scopes).
	Scopes []string
	// Granted is the access the issued token carries; nil when no token was
	// issued.
	Granted []Access
	// Status is the HTTP status the token server answered.
	Status int
}

// Access is one resource's actions in a token's "access" claim (distribution's
// token.ResourceActions).
type Access struct {
	Type    string   `json:"type"`
	Name    string   `json:"name"`
	Actions []string `json:"actions"`
}

// DistributionWithTokenAuth starts a token server and the CNCF distribution
// registry (DistributionVersion, the binary Distribution uses) configured with
// `auth: token:` to trust the token server's tokens. users maps user names to
// passwords. The token signing key (ECDSA P-256) and its self-signed
// certificate are generated for each call. With LADDER_SKIP_DISTRIBUTION=1 the
// test is skipped.
func DistributionWithTokenAuth(t testing.TB, users map[string]string) *TokenAuth {
	t.Helper()
	if os.Getenv(SkipEnv) == "1" {
		t.Skipf("%s=1: skipping the test against the CNCF distribution registry", SkipEnv)
	}
	ta, bundle, err := startTokenServer(t, users)
	if err != nil {
		t.Fatalf("registry: starting the token server: %v", err)
	}
	bin, err := distributionBinary(t)
	if err != nil {
		t.Fatalf("registry: building the distribution registry: %v", err)
	}
	// Keys and their meaning: registry/auth/token/accesscontroller.go
	// (checkOptions, newAccessController) in distribution v3.1.2.
	auth := fmt.Sprintf(`auth:
  token:
    realm: %q
    service: %q
    issuer: %q
    rootcertbundle: %q
    signingalgorithms:
      - ES256
`, ta.Realm, ta.Service, ta.Issuer, bundle)
	opts := distOptions{
		extraConfig: auth,
		logLevel:    "info", // token rejections are logged at info; shown only if the test fails
		readyStatus: http.StatusUnauthorized,
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ { // a free port can be taken between probe and use
		var s *DistributionServer
		if s, lastErr = startDistribution(t, bin, opts); lastErr == nil {
			ta.Host = s.Host
			return ta
		}
	}
	t.Fatalf("registry: starting the distribution registry with token auth: %v", lastErr)
	return nil
}

// startTokenServer generates the signing key, writes its certificate to
// bundle (in a temporary directory) and starts the token server, on
// 127.0.0.1, stopped by t.Cleanup. Host is left empty.
func startTokenServer(t testing.TB, users map[string]string) (ta *TokenAuth, bundle string, err error) {
	ta = &TokenAuth{Service: TokenService, Issuer: TokenIssuer, users: make(map[string]string, len(users))}
	for u, p := range users {
		ta.users[u] = p
	}
	certPEM, err := ta.newSigningKey()
	if err != nil {
		return nil, "", fmt.Errorf("generating the token signing key: %w", err)
	}
	bundle = filepath.Join(t.TempDir(), "token-root.pem")
	if err := os.WriteFile(bundle, certPEM, 0o600); err != nil {
		return nil, "", err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", fmt.Errorf("listening on 127.0.0.1: %w", err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(ta.serveToken))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	ta.Realm = "http://" + ln.Addr().String() + "/token"
	return ta, bundle, nil
}

// TokenRequests returns a copy of the requests the token server has received,
// in order. A request is recorded before it is answered, so a client's
// completed requests are all there; a request a client abandoned (a cancelled
// context) may still be recorded later, when the server gets to it.
func (ta *TokenAuth) TokenRequests() []TokenRequest {
	ta.mu.Lock()
	defer ta.mu.Unlock()
	out := make([]TokenRequest, len(ta.requests))
	for i, r := range ta.requests {
		r.Scopes = slices.Clone(r.Scopes)
		if r.Granted != nil {
			g := make([]Access, len(r.Granted))
			for j, a := range r.Granted {
				a.Actions = slices.Clone(a.Actions)
				g[j] = a
			}
			r.Granted = g
		}
		out[i] = r
	}
	return out
}

// ResetTokenRequests forgets the requests recorded so far.
func (ta *TokenAuth) ResetTokenRequests() {
	ta.mu.Lock()
	defer ta.mu.Unlock()
	ta.requests = nil
}

// SetAnonymousPull sets whether anonymous callers are granted pull (the
// default) or nothing, like a private package on ghcr.io. Tokens already
// issued keep their rights until they expire.
func (ta *TokenAuth) SetAnonymousPull(allowed bool) {
	ta.mu.Lock()
	defer ta.mu.Unlock()
	ta.anonDenied = !allowed
}

// Token issues a token for user (no password check; "" for an anonymous
// token) carrying exactly access, signed like the token server's. It is for
// tests that talk to the registry without the challenge round trip.
func (ta *TokenAuth) Token(user string, access ...Access) (string, error) {
	return ta.sign(user, access, time.Now())
}

// newSigningKey generates the token signing key and a self-signed CA
// certificate for it, and returns the certificate in PEM (the registry's
// rootcertbundle).
func (ta *TokenAuth) newSigningKey() ([]byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: TokenIssuer},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(7 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	ta.key = key
	ta.x5c = base64.StdEncoding.EncodeToString(der)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), nil
}

// sign returns a JWT (JWS compact serialization, ES256) that distribution
// v3.1.2's token access controller accepts:
//
//   - the header's x5c holds the signing certificate, which is the
//     rootcertbundle's (self-signed) certificate: Token.VerifySigningKey ->
//     verifyCertChain verifies that chain against the bundle and takes the
//     signing key from it (registry/auth/token/token.go);
//   - alg ES256 is among the configured signingalgorithms;
//   - iss is the configured issuer, aud the configured service, exp and nbf
//     bracket now (Token.Verify);
//   - access lists the granted actions per resource (ClaimSet.accessSet).
func (ta *TokenAuth) sign(user string, access []Access, now time.Time) (string, error) {
	header, err := json.Marshal(struct {
		Alg string   `json:"alg"`
		Typ string   `json:"typ"`
		X5c []string `json:"x5c"`
	}{"ES256", "JWT", []string{ta.x5c}})
	if err != nil {
		return "", err
	}
	jti := make([]byte, 16)
	if _, err := rand.Read(jti); err != nil {
		return "", err
	}
	if access == nil {
		access = []Access{} // "access": [] rather than null
	}
	claims, err := json.Marshal(struct {
		Issuer     string   `json:"iss"`
		Subject    string   `json:"sub"`
		Audience   string   `json:"aud"`
		Expiration int64    `json:"exp"`
		NotBefore  int64    `json:"nbf"`
		IssuedAt   int64    `json:"iat"`
		JWTID      string   `json:"jti"`
		Access     []Access `json:"access"`
	}{ta.Issuer, user, ta.Service, now.Add(TokenLifetime).Unix(), now.Unix(), now.Unix(), hex.EncodeToString(jti), access})
	if err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	signingInput := enc.EncodeToString(header) + "." + enc.EncodeToString(claims)
	digest := sha256.Sum256([]byte(signingInput))
	r, s, err := ecdsa.Sign(rand.Reader, ta.key, digest[:])
	if err != nil {
		return "", err
	}
	sig := make([]byte, 64) // RFC 7518 section 3.4: R and S, 32 bytes each, big-endian
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return signingInput + "." + enc.EncodeToString(sig), nil
}

// serveToken is the realm: GET ?service=...&scope=...[&scope=...], with
// optional basic credentials.
func (ta *TokenAuth) serveToken(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	rec := TokenRequest{Method: r.Method, Service: q.Get("service"), Scopes: q["scope"]}
	user, pass, hasBasic := r.BasicAuth()
	rec.User = user
	// record runs before the answer is written: once a client has its answer,
	// TokenRequests includes the request.
	record := func() {
		ta.mu.Lock()
		ta.requests = append(ta.requests, rec)
		ta.mu.Unlock()
	}
	fail := func(status int, code, msg string) {
		rec.Status = status
		record()
		w.Header().Set("Content-Type", "application/json")
		if status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Basic realm="ladder test token server"`)
		}
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]any{ //nolint:errcheck
			"errors": []map[string]string{{"code": code, "message": msg}},
		})
	}

	if r.Method != http.MethodGet {
		fail(http.StatusNotFound, "UNSUPPORTED", "only GET is served (no OAuth2 POST flow)")
		return
	}
	if r.Header.Get("Authorization") != "" && !hasBasic {
		fail(http.StatusUnauthorized, "UNAUTHORIZED", "only basic credentials are accepted")
		return
	}
	if hasBasic {
		want, known := ta.users[user]
		if !known || want != pass {
			fail(http.StatusUnauthorized, "UNAUTHORIZED", "incorrect username or password")
			return
		}
	}
	if rec.Service != ta.Service {
		fail(http.StatusBadRequest, "DENIED", fmt.Sprintf("unknown service %q", rec.Service))
		return
	}

	var asked []Access
	for _, param := range rec.Scopes {
		for _, scope := range strings.Fields(param) {
			a, ok := parseScope(scope)
			if !ok {
				fail(http.StatusBadRequest, "DENIED", fmt.Sprintf("malformed scope %q", scope))
				return
			}
			asked = append(asked, a)
		}
	}
	ta.mu.Lock()
	anonDenied := ta.anonDenied
	ta.mu.Unlock()
	granted := []Access{}
	for _, a := range asked {
		actions := a.Actions
		if !hasBasic {
			actions = nil
			if a.Type == "repository" && (slices.Contains(a.Actions, "pull") || slices.Contains(a.Actions, "*")) && !anonDenied {
				actions = []string{"pull"}
			}
		}
		granted = mergeAccess(granted, Access{Type: a.Type, Name: a.Name, Actions: actions})
	}

	now := time.Now()
	tok, err := ta.sign(user, granted, now)
	if err != nil {
		fail(http.StatusInternalServerError, "UNKNOWN", err.Error())
		return
	}
	rec.Granted, rec.Status = granted, http.StatusOK
	record()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{ //nolint:errcheck
		"token":        tok,
		"access_token": tok,
		"expires_in":   int(TokenLifetime / time.Second),
		"issued_at":    now.UTC().Format(time.RFC3339),
	})
}

// parseScope parses TYPE:NAME:ACTIONS; NAME may contain colons (a registry
// host with a port), so the type ends at the first colon and the actions
// start after the last.
func parseScope(s string) (Access, bool) {
	typ, rest, ok := strings.Cut(s, ":")
	if !ok {
		return Access{}, false
	}
	i := strings.LastIndex(rest, ":")
	if i <= 0 || typ == "" {
		return Access{}, false
	}
	a := Access{Type: typ, Name: rest[:i]}
	for _, act := range strings.Split(rest[i+1:], ",") {
		if act != "" && !slices.Contains(a.Actions, act) {
			a.Actions = append(a.Actions, act)
		}
	}
	return a, true
}

// mergeAccess adds a's actions to the entry for the same resource in list (or
// appends a); a resource granted nothing is left out.
func mergeAccess(list []Access, a Access) []Access {
	if len(a.Actions) == 0 {
		return list
	}
	for i := range list {
		if list[i].Type == a.Type && list[i].Name == a.Name {
			for _, act := range a.Actions {
				if !slices.Contains(list[i].Actions, act) {
					list[i].Actions = append(list[i].Actions, act)
				}
			}
			return list
		}
	}
	return append(list, Access{Type: a.Type, Name: a.Name, Actions: slices.Clone(a.Actions)})
}
