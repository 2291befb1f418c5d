package sign_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ladder-release/ladder/internal/attest"
	"github.com/ladder-release/ladder/internal/oci"
	"github.com/ladder-release/ladder/internal/sign"
	"github.com/ladder-release/ladder/internal/testutil/gotool"
	"github.com/ladder-release/ladder/internal/testutil/registry"
)

// TestCosignVerifiesLaddersSignature: the real cosign (v2.6.1, built once
// into the test tool cache) accepts ladder's key-mode signature, attached as
// ladder attaches it, on both kinds of registry (the referrers API, and the
// referrers tag on the CNCF registry), and refuses it with another key.
// LADDER_SKIP_COSIGN=1 skips it (its first build takes minutes).
func TestCosignVerifiesLaddersSignature(t *testing.T) {
	if os.Getenv("LADDER_SKIP_COSIGN") == "1" {
		t.Skip("LADDER_SKIP_COSIGN=1")
	}
	cosign, err := gotool.Install(t, "github.com/sigstore/cosign/v2/cmd/cosign", "v2.6.1")
	if err != nil {
		t.Fatal(err)
	}
	priv, pub := keyPair(t)
	_, otherPub := keyPair(t)
	dir := t.TempDir()
	pubPath, otherPath, rootPath := filepath.Join(dir, "ladder.pub"), filepath.Join(dir, "other.pub"), filepath.Join(dir, "trusted_root.json")
	// cosign wants a trusted root with --new-bundle-format; a key signature
	// without a transparency log needs nothing from it.
	for p, data := range map[string][]byte{pubPath: pub, otherPath: otherPub,
		rootPath: []byte(`{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}`)} {
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, reg := range []struct{ kind, host string }{{"ggcr", registry.InProcess(t)}, {"distribution", registry.Distribution(t)}} {
		t.Run(reg.kind, func(t *testing.T) {
			ctx := context.Background()
			c, err := oci.New(oci.WithInsecure(), oci.WithAuth("ladder", "test"))
			if err != nil {
				t.Fatal(err)
			}
			repo := reg.host + "/acme/app"
			subject, err := c.PushBundle(ctx, repo, oci.Bundle{Config: []byte(`{"schema":1}`), Files: []oci.File{{Path: "a.txt", Data: []byte("a")}}})
			if err != nil {
				t.Fatal(err)
			}
			signed, err := sign.Sign(ctx, attest.SignRequest{Subject: attest.Subject{Name: repo, Digest: subject}, Predicate: promotion, Key: &attest.Key{PrivateKeyPEM: priv}}, sign.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.AttachSignature(ctx, repo+"@"+subject, signed.Bundle, nil); err != nil {
				t.Fatal(err)
			}
			verify := func(key string) (string, error) {
				cmd := exec.Command(cosign, "verify-attestation", "--new-bundle-format", "--key", key, "--type", attest.PredicateType,
					"--insecure-ignore-tlog=true", "--trusted-root", rootPath, "--allow-insecure-registry", "--allow-http-registry", repo+"@"+subject)
				cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "DOCKER_CONFIG=" + dir, "SIGSTORE_NO_CACHE=true", "TUF_ROOT=" + dir}
				out, err := cmd.CombinedOutput()
				return string(out), err
			}
			out, err := verify(pubPath)
			if err != nil {
				t.Fatalf("cosign verify-attestation refuses ladder's signature: %v\n%s", err, out)
			}
			if !strings.Contains(out, `"payloadType":"application/vnd.in-toto+json"`) {
				t.Errorf("cosign printed no in-toto envelope:\n%s", out)
			}
			if out, err := verify(otherPath); err == nil {
				t.Errorf("cosign accepts ladder's signature with another key:\n%s", out)
			}
		})
	}
}
