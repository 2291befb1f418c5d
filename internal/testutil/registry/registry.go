// Package registry starts OCI registries for tests, on 127.0.0.1 only:
// go-containerregistry's in-process registry, and the real CNCF distribution
// registry, built by the test set-up itself and cached between runs.
//
// Every server is stopped by t.Cleanup.
package registry

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	ggcr "github.com/google/go-containerregistry/pkg/registry"
)

// DistributionVersion is the CNCF distribution release Distribution builds.
const DistributionVersion = "v3.1.2"

// DistributionModule is the package Distribution installs.
const DistributionModule = "github.com/distribution/distribution/v3/cmd/registry"

// SkipEnv, set to 1, makes Distribution skip the test instead of building and
// starting the real registry.
const SkipEnv = "LADDER_SKIP_DISTRIBUTION"

// InProcess starts go-containerregistry's registry (with the OCI 1.1
// referrers API) on an httptest server bound to 127.0.0.1 and returns its
// host:port. The server is closed when the test ends.
func InProcess(t testing.TB) (host string) {
	t.Helper()
	return InProcessWith(t, ggcr.WithReferrersSupport(true))
}

// InProcessWith is InProcess with explicit go-containerregistry options (for
// example, without referrers support). The request log is discarded unless an
// option sets a logger.
func InProcessWith(t testing.TB, opts ...ggcr.Option) (host string) {
	t.Helper()
	quiet := ggcr.Logger(log.New(io.Discard, "", 0))
	h := ggcr.New(append([]ggcr.Option{quiet}, opts...)...)
	srv := httptest.NewUnstartedServer(h)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("registry: listening on 127.0.0.1: %v", err)
	}
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return ln.Addr().String()
}

// Distribution starts the real CNCF distribution registry (DistributionVersion)
// as a subprocess listening on 127.0.0.1, with filesystem storage in a
// temporary directory and deletes enabled, and returns its host:port. The
// binary is built once with `go install` into the user cache directory
// (ladder-test/bin) and reused; concurrent test processes share one build
// through a file lock. The process is killed when the test ends. With
// LADDER_SKIP_DISTRIBUTION=1 the test is skipped.
func Distribution(t testing.TB) (host string) {
	t.Helper()
	if os.Getenv(SkipEnv) == "1" {
		t.Skipf("%s=1: skipping the test against the CNCF distribution registry", SkipEnv)
	}
	bin, err := distributionBinary(t)
	if err != nil {
		t.Fatalf("registry: building the distribution registry: %v", err)
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ { // a free port can be taken between probe and use
		host, lastErr = startDistribution(t, bin)
		if lastErr == nil {
			return host
		}
	}
	t.Fatalf("registry: starting the distribution registry: %v", lastErr)
	return ""
}

// BinDir is where Distribution keeps the registry binary.
func BinDir() (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no user cache directory: %w", err)
	}
	return filepath.Join(cache, "ladder-test", "bin"), nil
}

var buildMu sync.Mutex // serialises builds within one process (flock is per open file)

func distributionBinary(t testing.TB) (string, error) {
	t.Helper()
	dir, err := BinDir()
	if err != nil {
		return "", err
	}
	final := filepath.Join(dir, "distribution-registry-"+DistributionVersion)
	if isExecutable(final) {
		return final, nil
	}
	buildMu.Lock()
	defer buildMu.Unlock()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	lock, err := os.OpenFile(filepath.Join(dir, ".build.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", fmt.Errorf("locking %s: %w", lock.Name(), err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN) //nolint:errcheck
	// Another process may have built it while we waited for the lock.
	if isExecutable(final) {
		return final, nil
	}

	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("the go command is needed to build the registry: %w", err)
	}
	gobin, err := os.MkdirTemp(dir, "build-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(gobin)
	msg := fmt.Sprintf("building the CNCF distribution registry %s into %s: the first build takes about 90 s, later runs reuse it", DistributionVersion, dir)
	t.Log(msg)
	fmt.Fprintln(os.Stderr, "registry: "+msg) // visible without -v, while the test seems to hang
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goBin, "install", DistributionModule+"@"+DistributionVersion)
	cmd.Dir = gobin // outside any module: `go install pkg@version` ignores the caller's go.mod
	cmd.Env = append(filteredEnv("GOBIN", "GOFLAGS", "GOWORK"), "GOBIN="+gobin, "GOFLAGS=-buildvcs=false", "GOWORK=off")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go install %s@%s: %v\n%s", DistributionModule, DistributionVersion, err, out.String())
	}
	if err := os.Rename(filepath.Join(gobin, "registry"), final); err != nil {
		return "", err
	}
	t.Logf("built the distribution registry in %s", time.Since(start).Round(time.Second))
	return final, nil
}

func filteredEnv(drop ...string) []string {
	var env []string
next:
	for _, kv := range os.Environ() {
		for _, d := range drop {
			if strings.HasPrefix(kv, d+"=") {
				continue next
			}
		}
		env = append(env, kv)
	}
	return env
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// syncBuffer is a bytes.Buffer safe for the subprocess's writers and the test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func startDistribution(t testing.TB, bin string) (string, error) {
	port, err := freePort()
	if err != nil {
		return "", err
	}
	host := fmt.Sprintf("127.0.0.1:%d", port)
	dir := t.TempDir()
	storage := filepath.Join(dir, "storage")
	if err := os.MkdirAll(storage, 0o755); err != nil {
		return "", err
	}
	secret := make([]byte, 16)
	if _, err := rand.Read(secret); err != nil {
		return "", err
	}
	config := fmt.Sprintf(`version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %q
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: %q
  secret: %q
`, storage, host, hex.EncodeToString(secret))
	cfgPath := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfgPath, []byte(config), 0o600); err != nil {
		return "", err
	}

	cmd := exec.Command(bin, "serve", cfgPath)
	cmd.Env = append(filteredEnv("OTEL_TRACES_EXPORTER"), "OTEL_TRACES_EXPORTER=none")
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return "", err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		_ = cmd.Process.Kill()
		<-exited
	}

	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case err := <-exited:
			exited <- err // for stop, should anyone call it
			return "", fmt.Errorf("the registry exited before answering (%v):\n%s", err, out.String())
		default:
		}
		resp, err := client.Get("http://" + host + "/v2/")
		if err == nil {
			io.Copy(io.Discard, resp.Body) //nolint:errcheck
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
			err = errors.New(resp.Status)
		}
		if time.Now().After(deadline) {
			stop()
			return "", fmt.Errorf("no answer from http://%s/v2/ within 30 s (%v):\n%s", host, err, out.String())
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			if s := out.String(); s != "" {
				t.Logf("distribution registry output:\n%s", s)
			}
		}
	})
	return host, nil
}
