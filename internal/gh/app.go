package gh

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
)

// InstallationToken is a GitHub App installation access token.
type InstallationToken struct {
	Token     string
	ExpiresAt time.Time
	// Permissions is what GitHub granted the token, permission -> level
	// ("contents" -> "write"), as its answer lists them.
	Permissions map[string]string
}

// InstallationToken authenticates as GitHub App appID with its private key
// (PEM, PKCS#1 or PKCS#8), finds the app's installation on repo
// ("owner/name") and returns a new installation token for it (valid one
// hour). Use it with New(WithToken(tok.Token), ...).
func (c *Client) InstallationToken(ctx context.Context, appID int64, privateKeyPEM []byte, repo string) (*InstallationToken, error) {
	owner, name, ok := strings.Cut(repo, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return nil, fmt.Errorf("GitHub App token: repository %q is not owner/name", repo)
	}
	key, err := parseRSAKey(privateKeyPEM)
	if err != nil {
		return nil, fmt.Errorf("GitHub App %d: %w", appID, err)
	}
	jwt, err := appJWT(appID, key, c.clock.Now())
	if err != nil {
		return nil, fmt.Errorf("GitHub App %d: signing a JWT: %w", appID, err)
	}
	if c.mask != nil {
		c.mask(jwt)
	}
	app := newREST(c.bare, c.apiURL, c.ua).WithAuthToken(jwt)
	inst, _, err := app.Apps.FindRepositoryInstallation(ctx, owner, name)
	if err != nil {
		return nil, fmt.Errorf("GitHub App %d: finding its installation on %s: %w", appID, repo, err)
	}
	tok, _, err := app.Apps.CreateInstallationToken(ctx, inst.GetID(), nil)
	if err != nil {
		return nil, fmt.Errorf("GitHub App %d: creating a token for installation %d: %w", appID, inst.GetID(), err)
	}
	if tok.GetToken() == "" {
		return nil, fmt.Errorf("GitHub App %d: installation %d returned an empty token", appID, inst.GetID())
	}
	return &InstallationToken{Token: tok.GetToken(), ExpiresAt: tok.GetExpiresAt().Time, Permissions: permissionLevels(tok.Permissions)}, nil
}

// permissionLevels flattens go-github's struct of permissions (one pointer
// field per permission, named by its JSON key) into permission -> level.
func permissionLevels(p *github.InstallationPermissions) map[string]string {
	out := map[string]string{}
	if p == nil {
		return out
	}
	data, err := json.Marshal(p)
	if err == nil {
		_ = json.Unmarshal(data, &out) // every field is a string; a failure leaves what was read
	}
	return out
}

func parseRSAKey(b []byte) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, errors.New("the private key is not PEM")
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parsing the private key: %w", err)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("the private key is not an RSA key")
	}
	return rk, nil
}

// appJWT signs the RS256 JWT GitHub Apps authenticate with: issued a minute
// in the past (clock drift), expiring in nine minutes (GitHub allows ten).
func appJWT(appID int64, key *rsa.PrivateKey, now time.Time) (string, error) {
	enc := base64.RawURLEncoding
	header, _ := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT"})
	claims, _ := json.Marshal(map[string]any{
		"iat": now.Add(-time.Minute).Unix(),
		"exp": now.Add(9 * time.Minute).Unix(),
		"iss": strconv.FormatInt(appID, 10),
	})
	signing := enc.EncodeToString(header) + "." + enc.EncodeToString(claims)
	digest := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:])
	if err != nil {
		return "", err
	}
	return signing + "." + enc.EncodeToString(sig), nil
}
