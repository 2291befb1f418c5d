// Package registry starts OCI registries for tests, on 127.0.0.1 only:
// go-containerregistry's in-process registry, and the real CNCF distribution
// registry, built by the test set-up itself and cached between runs.
//
// Every server is stopped by t.Cleanup.
package registry

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/ladder-release/ladder/internal/testutil/gotool"
	"github.com/ladder-release/ladder/internal/testutil/syncbuf"
	"io"
	"io/fs"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
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
	return StartDistribution(t).Host
}

// DistributionServer is a running CNCF distribution registry, as Distribution
// starts it, with what a test needs to look at its storage or run the
// registry's own garbage collection on it.
type DistributionServer struct {
	// Host is the registry's host:port.
	Host string
	// Storage is the root directory of its filesystem storage.
	Storage string
	// Config is the path of its configuration file.
	Config string

	bin  string
	stop func()
}

// StartDistribution is Distribution, returning the whole server.
func StartDistribution(t testing.TB) *DistributionServer {
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
		s, err := startDistribution(t, bin, distOptions{})
		if err == nil {
			return s
		}
		lastErr = err
	}
	t.Fatalf("registry: starting the distribution registry: %v", lastErr)
	return nil
}

// Stop kills the registry process (again: nothing). The storage stays.
func (s *DistributionServer) Stop() { s.stop() }

// GarbageCollect stops the registry (distribution's garbage collection is
// stop-the-world: its docs ask for a registry stopped or read-only) and runs
// the same binary as `registry garbage-collect ARGS CONFIG` on its storage,
// for example with "--delete-untagged", which also deletes the manifests no
// tag names. It returns what the command printed: each blob and manifest
// eligible for deletion is named there. A command that fails is an error
// carrying its output.
func (s *DistributionServer) GarbageCollect(args ...string) (string, error) {
	s.Stop()
	cmd := exec.Command(s.bin, append(append([]string{"garbage-collect"}, args...), s.Config)...)
	cmd.Env = append(os.Environ(), "OTEL_TRACES_EXPORTER=none")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("registry garbage-collect %v: %w\n%s", args, err, out)
	}
	return string(out), nil
}

// HasBlob reports whether the storage holds blob digest ("sha256:<hex>"): the
// data file of the filesystem driver's layout
// (docker/registry/v2/blobs/sha256/<2 hex>/<hex>/data), which garbage
// collection removes.
func (s *DistributionServer) HasBlob(digest string) (bool, error) {
	alg, hexPart, ok := strings.Cut(digest, ":")
	if !ok || alg != "sha256" || len(hexPart) != 64 {
		return false, fmt.Errorf("blob %q: want sha256:<64 hex>", digest)
	}
	_, err := os.Stat(filepath.Join(s.Storage, "docker", "registry", "v2", "blobs", "sha256", hexPart[:2], hexPart, "data"))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	}
	return false, err
}

// BinDir is where Distribution keeps the registry binary.
func BinDir() (string, error) { return gotool.Dir() }

func distributionBinary(t testing.TB) (string, error) {
	t.Helper()
	t.Log("the first build of the CNCF distribution registry takes about 90 s; later runs reuse it")
	return gotool.Install(t, DistributionModule, DistributionVersion)
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// distOptions adds to the configuration startDistribution writes. The zero
// value is the plain configuration Distribution uses.
type distOptions struct {
	// extraConfig is YAML appended to the configuration, at the top level
	// (for example an auth: section).
	extraConfig string
	// logLevel replaces the default log level, error.
	logLevel string
	// readyStatus is the status of GET /v2/ that means the registry is up;
	// 0 means 200 OK.
	readyStatus int
}

func startDistribution(t testing.TB, bin string, opts distOptions) (*DistributionServer, error) {
	logLevel := "error"
	if opts.logLevel != "" {
		logLevel = opts.logLevel
	}
	readyStatus := http.StatusOK
	if opts.readyStatus != 0 {
		readyStatus = opts.readyStatus
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	host := fmt.Sprintf("127.0.0.1:%d", port)
	dir := t.TempDir()
	storage := filepath.Join(dir, "storage")
	if err := os.MkdirAll(storage, 0o755); err != nil {
		return nil, err
	}
	secret := make([]byte, 16)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	config := fmt.Sprintf(`version: 0.1
log:
  level: %s
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
  headers:
    X-Ladder-Registry: [%q]
`, logLevel, storage, host, hex.EncodeToString(secret), hex.EncodeToString(secret[:8])) + opts.extraConfig
	cfgPath := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfgPath, []byte(config), 0o600); err != nil {
		return nil, err
	}

	cmd := exec.Command(bin, "serve", cfgPath)
	cmd.Env = append(os.Environ(), "OTEL_TRACES_EXPORTER=none") // the last value of a key wins
	var out syncbuf.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			_ = cmd.Process.Kill()
			<-exited
		})
	}

	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case err := <-exited:
			exited <- err // for stop, should anyone call it
			return nil, fmt.Errorf("the registry exited before answering (%v):\n%s", err, out.String())
		default:
		}
		resp, err := client.Get("http://" + host + "/v2/")
		if err == nil {
			io.Copy(io.Discard, resp.Body) //nolint:errcheck
			resp.Body.Close()
			// The port was free when probed; another test's server may have
			// taken it before this registry bound it (which then exits): only
			// an answer carrying this registry's own header counts.
			if resp.Header.Get("X-Ladder-Registry") != hex.EncodeToString(secret[:8]) {
				err = fmt.Errorf("%s answered, but it is not this registry", host)
			} else if resp.StatusCode == readyStatus {
				break
			} else {
				err = errors.New(resp.Status)
			}
		}
		if time.Now().After(deadline) {
			stop()
			return nil, fmt.Errorf("no answer from http://%s/v2/ within 30 s (%v):\n%s", host, err, out.String())
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
	return &DistributionServer{Host: host, Storage: storage, Config: cfgPath, bin: bin, stop: stop}, nil
}
