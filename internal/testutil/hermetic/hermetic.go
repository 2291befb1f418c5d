// Package hermetic keeps a test binary away from the machine's own registry
// credentials and git configuration, so a developer's setup cannot change
// what a test does.
//
// Registry credentials: a registry client without explicit credentials uses
// go-containerregistry's authn.DefaultKeychain, which reads
// $HOME/.docker/config.json or $DOCKER_CONFIG/config.json (and may run their
// credsStore helper), else podman's $REGISTRY_AUTH_FILE or
// $XDG_RUNTIME_DIR/containers/auth.json. DOCKER_CONFIG points at a directory
// holding an empty config.json: the keychain then loads that file and no
// other (~/.docker is only used when DOCKER_CONFIG is unset) and never
// reaches the podman files, so a REGISTRY_AUTH_FILE set on the machine is not
// read either. REGISTRY_* is not touched: the CNCF registry child process
// reads those variables as its own configuration. XDG_RUNTIME_DIR points at
// the same directory, which holds no containers/auth.json. HOME and
// XDG_CACHE_HOME are left alone (internal/testutil/gotool caches the tools it
// builds under the user cache directory).
//
// git: GIT_CONFIG_GLOBAL=/dev/null and GIT_CONFIG_NOSYSTEM=1 make git ignore
// ~/.gitconfig, $XDG_CONFIG_HOME/git/config and /etc/gitconfig (url.insteadOf,
// http.proxy...); internal/source passes both to git.
package hermetic

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
)

const dirPrefix = "ladder-test-config-"

// Setup makes the process environment hermetic; call it from TestMain before
// m.Run, and cleanup after.
func Setup() (cleanup func(), err error) {
	dir, err := os.MkdirTemp("", dirPrefix)
	if err != nil {
		return nil, err
	}
	cleanup = func() { os.RemoveAll(dir) }
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte("{}\n"), 0o600); err != nil {
		cleanup()
		return nil, err
	}
	for k, v := range map[string]string{
		"DOCKER_CONFIG":       dir,
		"XDG_RUNTIME_DIR":     dir,
		"GIT_CONFIG_GLOBAL":   os.DevNull,
		"GIT_CONFIG_NOSYSTEM": "1",
	} {
		if err := os.Setenv(k, v); err != nil {
			cleanup()
			return nil, err
		}
	}
	return cleanup, nil
}

// Run is a TestMain body: m.Run inside Setup's environment, then each of
// after (other cleanups), then Setup's cleanup. It returns the exit code:
// func TestMain(m *testing.M) { os.Exit(hermetic.Run(m)) }.
func Run(m *testing.M, after ...func()) int {
	cleanup, err := Setup()
	if err != nil {
		fmt.Fprintln(os.Stderr, "hermetic.Setup:", err)
		return 2
	}
	defer cleanup()
	code := m.Run()
	for _, f := range after {
		f()
	}
	return code
}

// Check shows that Setup ran and works. Registry credentials: the keychain
// reads $DOCKER_CONFIG/config.json and nothing else when that file exists
// (control: credentials put there are found), and Setup's holds none. git: a
// global config in HOME is not read (control: it is once GIT_CONFIG_GLOBAL is
// unset). It changes the environment only through t.Setenv.
func Check(t *testing.T) {
	t.Helper()
	dir := os.Getenv("DOCKER_CONFIG")
	if !strings.HasPrefix(filepath.Base(dir), dirPrefix) {
		t.Fatalf("DOCKER_CONFIG = %q, not the directory hermetic.Setup made (is it called from TestMain?)", dir)
	}
	if got := os.Getenv("XDG_RUNTIME_DIR"); got != dir {
		t.Errorf("XDG_RUNTIME_DIR = %q, want %q", got, dir)
	}
	if c := keychainAuth(t, "registry.example"); *c != (authn.AuthConfig{}) {
		t.Errorf("Setup's DOCKER_CONFIG yields credentials %+v", c)
	}
	other := t.TempDir()
	cfg := `{"auths": {"registry.example": {"auth": "aG9zdDpzM2NyZXQ="}}}` // host:s3cret
	if err := os.WriteFile(filepath.Join(other, "config.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DOCKER_CONFIG", other)
	if c := keychainAuth(t, "registry.example"); c.Username != "host" || c.Password != "s3cret" {
		t.Fatalf("control: the keychain did not read $DOCKER_CONFIG/config.json (got %+v)", c)
	}

	git, err := exec.LookPath("git")
	if err != nil {
		t.Fatalf("git is needed by the tests (Debian's git package): %v", err)
	}
	home := t.TempDir()
	if err := os.WriteFile(filepath.Join(home, ".gitconfig"), []byte("[user]\n\tname = host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", home)
	userName := func() string {
		cmd := exec.Command(git, "config", "--get", "user.name")
		cmd.Dir = home // no repository: no local config either
		out, _ := cmd.Output()
		return strings.TrimSpace(string(out))
	}
	if got := userName(); got != "" {
		t.Errorf("git read user.name %q from %s", got, filepath.Join(home, ".gitconfig"))
	}
	t.Setenv("GIT_CONFIG_GLOBAL", "") // restored after the test
	os.Unsetenv("GIT_CONFIG_GLOBAL")
	if got := userName(); got != "host" {
		t.Fatalf("control: without GIT_CONFIG_GLOBAL, git read user.name %q, not HOME's \"host\"", got)
	}
}

func keychainAuth(t *testing.T, registry string) *authn.AuthConfig {
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
