package sign_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ladder-release/ladder/internal/attest"
	"github.com/ladder-release/ladder/internal/oci"
	"github.com/ladder-release/ladder/internal/sign"
	"github.com/ladder-release/ladder/internal/testutil/gotool"
	"github.com/ladder-release/ladder/internal/testutil/registry"
	"github.com/ladder-release/ladder/internal/testutil/sigstoretest"
)

// TestCosignVerifiesLaddersSignature: the real cosign (v2.6.1, built once
// into the test tool cache) accepts ladder's signatures, attached as ladder
// attaches them, on both kinds of registry (the referrers API, and the
// referrers tag on the CNCF registry): a key-mode one with the public key
// (and refuses it with another key), a keyless one (certificate from the
// Fulcio stand-in, entry in the Rekor stand-in) offline against the
// stand-ins' trusted root with the signing workflow's identity and issuer
// (and refuses it for another identity). The stand-in Fulcio logs no
// certificate to a CT log, so cosign is told --insecure-ignore-sct, as
// ladder's own check skips SCTs when the trusted root names no CT log.
// LADDER_SKIP_COSIGN=1 skips it (its first build takes minutes).
func TestCosignVerifiesLaddersSignature(t *testing.T) {
	if os.Getenv("LADDER_SKIP_COSIGN") == "1" {
		t.Skip("LADDER_SKIP_COSIGN=1")
	}
	cosign, err := gotool.Install(t, "github.com/sigstore/cosign/v2/cmd/cosign", "v2.6.1")
	if err != nil {
		t.Fatal(err)
	}
	priv, pub := sigstoretest.KeyPair(t)
	_, otherPub := sigstoretest.KeyPair(t)
	s := sigstoretest.Start(t)
	dir := t.TempDir()
	pubPath, otherPath, rootPath, sigstoreRoot := filepath.Join(dir, "ladder.pub"), filepath.Join(dir, "other.pub"), filepath.Join(dir, "trusted_root.json"), filepath.Join(dir, "sigstore_root.json")
	// cosign wants a trusted root with --new-bundle-format; a key signature
	// without a transparency log needs nothing from it.
	for p, data := range map[string][]byte{pubPath: pub, otherPath: otherPub, sigstoreRoot: s.TrustedRoot(t),
		rootPath: []byte(`{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}`)} {
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cosignVerify := func(ref string, args ...string) (string, error) {
		args = append(append([]string{"verify-attestation", "--new-bundle-format", "--type", attest.PredicateType}, args...),
			"--allow-insecure-registry", "--allow-http-registry", ref)
		cmd := exec.Command(cosign, args...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "DOCKER_CONFIG=" + dir, "SIGSTORE_NO_CACHE=true", "TUF_ROOT=" + dir}
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	for _, reg := range []struct{ kind, host string }{{"ggcr", registry.InProcess(t)}, {"distribution", registry.Distribution(t)}} {
		ctx := context.Background()
		c, err := oci.New(oci.WithInsecure(), oci.WithAuth("ladder", "test"))
		if err != nil {
			t.Fatal(err)
		}
		for _, mode := range []string{"key", "keyless"} {
			t.Run(reg.kind+"/"+mode, func(t *testing.T) {
				repo := reg.host + "/acme/app-" + mode
				subject, err := c.PushBundle(ctx, repo, oci.Bundle{Config: []byte(`{"schema":1}`), Files: []oci.File{{Path: "a.txt", Data: []byte("a")}}})
				if err != nil {
					t.Fatal(err)
				}
				var bundle []byte
				var good, bad []string
				if mode == "key" {
					signed, err := sign.Sign(ctx, attest.SignRequest{Subject: attest.Subject{Name: repo, Digest: subject}, Predicate: promotion, Key: &attest.Key{PrivateKeyPEM: priv}}, sign.Options{})
					if err != nil {
						t.Fatal(err)
					}
					bundle = signed.Bundle
					good = []string{"--key", pubPath, "--insecure-ignore-tlog=true", "--trusted-root", rootPath}
					bad = []string{"--key", otherPath, "--insecure-ignore-tlog=true", "--trusted-root", rootPath}
				} else {
					bundle = keylessBundle(t, s, subject)
					keyless := []string{"--trusted-root", sigstoreRoot, "--certificate-oidc-issuer", sigstoretest.GitHubIssuer, "--insecure-ignore-sct=true"}
					good = append(slices.Clone(keyless), "--certificate-identity", s.Identity())
					bad = append(slices.Clone(keyless), "--certificate-identity", "https://github.com/evil/fork/.github/workflows/promote.yml@refs/heads/main")
				}
				if _, err := c.AttachSignature(ctx, repo+"@"+subject, bundle, nil); err != nil {
					t.Fatal(err)
				}
				out, err := cosignVerify(repo+"@"+subject, good...)
				if err != nil {
					t.Fatalf("cosign verify-attestation refuses ladder's signature: %v\n%s", err, out)
				}
				if !strings.Contains(out, `"payloadType":"application/vnd.in-toto+json"`) {
					t.Errorf("cosign printed no in-toto envelope:\n%s", out)
				}
				if out, err := cosignVerify(repo+"@"+subject, bad...); err == nil {
					t.Errorf("cosign accepts ladder's signature with %v:\n%s", bad, out)
				}
			})
		}
	}
}
