package sigclient_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ladder-release/ladder/internal/testutil/gotool"
	"github.com/ladder-release/ladder/internal/testutil/hermetic"
	"github.com/ladder-release/ladder/internal/testutil/sigstoretest"

	"github.com/ladder-release/ladder/internal/attest"
	"github.com/ladder-release/ladder/internal/sigclient"
)

// TestMain: a hermetic environment (no machine registry credentials), and
// the programs gotool.Program built removed after.
func TestMain(m *testing.M) { os.Exit(hermetic.Run(m, gotool.Cleanup)) }

const digest = "sha256:1111111111111111111111111111111111111111111111111111111111111111"

func TestIDTokenNeedsThePermission(t *testing.T) {
	for _, env := range []map[string]string{
		{},
		{"ACTIONS_ID_TOKEN_REQUEST_URL": "http://127.0.0.1:1/token"},
		{"ACTIONS_ID_TOKEN_REQUEST_TOKEN": "x"},
	} {
		_, err := sigclient.IDToken(context.Background(), func(k string) string { return env[k] }, nil, "sigstore")
		if !errors.Is(err, sigclient.ErrNoIDToken) || !strings.Contains(err.Error(), "permissions: id-token: write") {
			t.Errorf("%v: err = %v", env, err)
		}
	}
}

// TestExecRunsLadderSign: the ladder binary's signer is the ladder-sign
// program (built here as the image builds it): a key signature made by it
// verifies with its pair, and another key's is a Mismatch, not an error.
func TestExecRunsLadderSign(t *testing.T) {
	bin := gotool.Program(t, filepath.Join("..", ".."), "ladder-sign")
	priv, pub := sigstoretest.KeyPair(t)
	_, other := sigstoretest.KeyPair(t)
	e := sigclient.Exec{Path: bin}
	ctx := context.Background()
	signed, err := e.Sign(ctx, attest.SignRequest{Subject: attest.Subject{Name: "r/a", Digest: digest}, Predicate: attest.Promotion{Label: "current"}, Key: &attest.Key{PrivateKeyPEM: priv}})
	if err != nil || !strings.HasPrefix(signed.Identity.Key, "sha256:") {
		t.Fatalf("Sign: %+v, %v", signed.Identity, err)
	}
	id, err := e.Verify(ctx, attest.VerifyRequest{Bundle: signed.Bundle, Digest: digest, Policy: attest.Policy{PublicKeyPEM: string(pub)}})
	if err != nil || id.Key != signed.Identity.Key {
		t.Errorf("Verify with the pair: %+v, %v", id, err)
	}
	if _, err := e.Verify(ctx, attest.VerifyRequest{Bundle: signed.Bundle, Digest: digest, Policy: attest.Policy{PublicKeyPEM: string(other)}}); !attest.IsMismatch(err) {
		t.Errorf("Verify with another key: %v, want a mismatch", err)
	}
	if _, err := e.Sign(ctx, attest.SignRequest{Subject: attest.Subject{Name: "r/a", Digest: digest}, Predicate: attest.Promotion{Label: "current"}, Key: &attest.Key{PrivateKeyPEM: []byte("nope")}}); err == nil || !strings.Contains(err.Error(), "not PEM") {
		t.Errorf("a bad key: %v", err)
	}
}
