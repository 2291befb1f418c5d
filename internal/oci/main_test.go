package oci_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
)

// TestMain keeps this machine's registry credentials out of every test of
// the package (both oci and oci_test: one test binary). oci.New without
// WithAuth uses authn.DefaultKeychain, which reads $HOME/.docker/config.json
// or $DOCKER_CONFIG/config.json (and may run their credsStore helper), else
// podman's $REGISTRY_AUTH_FILE or $XDG_RUNTIME_DIR/containers/auth.json.
// DOCKER_CONFIG points at a directory holding an empty config.json: the
// keychain loads that file and no other (~/.docker is only used when
// DOCKER_CONFIG is unset), and never reaches the podman files, so a
// REGISTRY_AUTH_FILE set on this machine is not read either. REGISTRY_* is
// not touched: the CNCF registry child process reads those variables as its
// own configuration. XDG_RUNTIME_DIR points at the same directory, which
// holds no containers/auth.json. HOME and XDG_CACHE_HOME are left alone
// (gotool caches the tools it builds under the user cache directory).
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ladder-oci-test-config-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "TestMain:", err)
		os.Exit(2)
	}
	code := 2
	if err := hermetic(dir); err != nil {
		fmt.Fprintln(os.Stderr, "TestMain:", err)
	} else {
		code = m.Run()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

func hermetic(dir string) error {
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte("{}\n"), 0o600); err != nil {
		return err
	}
	if err := os.Setenv("DOCKER_CONFIG", dir); err != nil {
		return err
	}
	return os.Setenv("XDG_RUNTIME_DIR", dir)
}

// TestKeychainIsHermetic: the keychain of a client without WithAuth reads
// $DOCKER_CONFIG/config.json, and nothing else, when that file exists (the
// control: credentials put there are found), and TestMain's is empty. Without
// TestMain, DOCKER_CONFIG is unset (or the host's) and this fails.
func TestKeychainIsHermetic(t *testing.T) {
	dir := os.Getenv("DOCKER_CONFIG")
	if dir == "" || !strings.Contains(filepath.Base(dir), "ladder-oci-test-config-") {
		t.Fatalf("DOCKER_CONFIG = %q, not TestMain's directory", dir)
	}
	if c := resolve(t, "registry.example"); *c != (authn.AuthConfig{}) {
		t.Errorf("TestMain's DOCKER_CONFIG yields credentials %+v", c)
	}
	if got := os.Getenv("XDG_RUNTIME_DIR"); got != dir {
		t.Errorf("XDG_RUNTIME_DIR = %q, want TestMain's %q", got, dir)
	}

	// Control: the keychain does take its credentials from $DOCKER_CONFIG.
	other := t.TempDir()
	cfg := `{"auths": {"registry.example": {"auth": "aG9zdDpzM2NyZXQ="}}}` // host:s3cret
	if err := os.WriteFile(filepath.Join(other, "config.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DOCKER_CONFIG", other)
	if c := resolve(t, "registry.example"); c.Username != "host" || c.Password != "s3cret" {
		t.Fatalf("control: the keychain did not read $DOCKER_CONFIG/config.json (got %+v)", c)
	}
}

func resolve(t *testing.T, registry string) *authn.AuthConfig {
	t.Helper()
	reg, err := name.NewRegistry(registry)
	if err != nil {
		t.Fatal(err)
	}
	a, err := authn.DefaultKeychain.Resolve(reg)
	if err != nil {
		t.Fatal(err)
	}
	c, err := a.Authorization()
	if err != nil {
		t.Fatal(err)
	}
	return c
}
