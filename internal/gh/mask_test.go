package gh_test

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"

	"github.com/ladder-release/ladder/internal/gh"
	"github.com/ladder-release/ladder/internal/ghsim"
)

// TestInstallationTokenMasksTheJWT: SPEC section 7 masks derived secrets
// before their first use: the App's JWT goes to WithMask before it is sent.
func TestInstallationTokenMasksTheJWT(t *testing.T) {
	sim := ghsim.NewServer(t)
	sim.CreateRepo(repo)
	key := sim.InstallApp(t, 42, 6, map[string]string{repo: "write"})
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	var masked []string
	c, err := gh.New(gh.WithAPIURL(sim.URL()), gh.WithMask(func(s string) { masked = append(masked, s) }))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := c.InstallationToken(context.Background(), 42, pemKey, repo)
	if err != nil {
		t.Fatal(err)
	}
	if len(masked) != 1 {
		t.Fatalf("masked %d secrets, want the JWT", len(masked))
	}
	parts := strings.Split(masked[0], ".")
	var header struct{ Alg string }
	if len(parts) != 3 {
		t.Fatalf("masked %q, not a JWT", masked[0])
	}
	if b, err := base64.RawURLEncoding.DecodeString(parts[0]); err != nil || json.Unmarshal(b, &header) != nil || header.Alg != "RS256" {
		t.Errorf("masked %q: header %s", masked[0], header.Alg)
	}
	if masked[0] == tok.Token {
		t.Error("the installation token, not the JWT, was masked (the caller masks the token it gets)")
	}
	if _, err := gh.New(gh.WithMask(nil)); err == nil {
		t.Error("WithMask(nil) accepted")
	}
}
