// Package gotool installs the Go programs the tests and benchmarks run beside
// ladder (the CNCF registry, regctl, actionlint) with `go install
// module@version`, once per machine: into a cache directory, under a file
// lock, so parallel test processes build each tool once.
package gotool

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Dir is where installed tools are kept: the user cache's ladder-test/bin.
func Dir() (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no user cache directory: %w", err)
	}
	return filepath.Join(cache, "ladder-test", "bin"), nil
}

var mu sync.Mutex // serialises installs within one process (flock is per open file)

// Install returns the path of module's program at version, building it with
// `go install` the first time (outside any module, so the caller's go.mod is
// not touched). A first build can take a minute or more: it says so on
// stderr, visible without -v.
func Install(tb testing.TB, module, version string) (string, error) {
	tb.Helper()
	dir, err := Dir()
	if err != nil {
		return "", err
	}
	base := filepath.Base(module)
	final := filepath.Join(dir, base+"-"+version)
	return installOnce(tb, dir, base, final, module+"@"+version, func(ctx context.Context, goBin, gobin string) error {
		// -trimpath, as Program, BuildModule and the image build: the
		// standard library and shared modules compile once for all of them
		// (-s -w only strips the tool's symbols, at link)
		cmd := exec.CommandContext(ctx, goBin, "install", "-trimpath", "-ldflags=-s -w", module+"@"+version)
		cmd.Dir = gobin
		cmd.Env = append(filteredEnv("GOBIN", "GOFLAGS", "GOWORK", "CGO_ENABLED"), "GOBIN="+gobin, "GOFLAGS=-buildvcs=false", "GOWORK=off", "CGO_ENABLED=0")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("go install %s@%s: %v\n%s", module, version, err, out.String())
		}
		return os.Rename(filepath.Join(gobin, base), final)
	})
}

// installOnce puts a program at final, in the tool directory dir, unless it
// is there: under a file lock named after base, so that parallel test
// processes build it once, build writes it (through a temporary directory
// it is given) within 15 minutes.
func installOnce(tb testing.TB, dir, base, final, what string, build func(ctx context.Context, goBin, tmp string) error) (string, error) {
	tb.Helper()
	if isExecutable(final) {
		return final, nil
	}
	mu.Lock()
	defer mu.Unlock()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	lk, err := os.OpenFile(filepath.Join(dir, ".install-"+base+".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", err
	}
	defer lk.Close()
	if err := syscall.Flock(int(lk.Fd()), syscall.LOCK_EX); err != nil {
		return "", fmt.Errorf("locking %s: %w", lk.Name(), err)
	}
	defer syscall.Flock(int(lk.Fd()), syscall.LOCK_UN) //nolint:errcheck
	if isExecutable(final) {                           // another process installed it while we waited
		return final, nil
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("the go command is needed to install %s: %w", what, err)
	}
	tmp, err := os.MkdirTemp(dir, "build-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	msg := fmt.Sprintf("installing %s into %s (once; later runs reuse it)", what, dir)
	tb.Log(msg)
	fmt.Fprintln(os.Stderr, "gotool: "+msg)
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	if err := build(ctx, goBin, tmp); err != nil {
		return "", err
	}
	tb.Logf("installed %s in %s", what, time.Since(start).Round(time.Second))
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

var (
	progMu  sync.Mutex
	progDir string
	progs   = map[string]string{} // name -> path, built in this process
)

// Ladder builds cmd/ladder once per test process (Program).
func Ladder(tb testing.TB, root string) string { return Program(tb, root, "ladder") }

// Program builds the module's cmd/NAME once per test process, as the image
// does (CGO_ENABLED=0, -trimpath), from the module root at root (a path
// relative to the calling package's directory, e.g. "../.."). Call Cleanup
// from TestMain to remove what it built. The programs of one process share
// a directory, as in the image: a ladder built here runs a ladder-sign built
// here (sigclient looks beside its executable). A failed build fails each
// caller.
func Program(tb testing.TB, root, name string) string {
	tb.Helper()
	progMu.Lock()
	defer progMu.Unlock()
	if path, ok := progs[name]; ok {
		return path
	}
	if progDir == "" {
		dir, err := os.MkdirTemp("", "ladder-bin-")
		if err != nil {
			tb.Fatal(err)
		}
		progDir = dir
	}
	path := filepath.Join(progDir, name)
	cmd := exec.Command("go", "build", "-trimpath", "-o", path, "./cmd/"+name)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("go build ./cmd/%s: %v\n%s", name, err, out)
	}
	progs[name] = path
	return path
}

// Cleanup removes what Program built.
func Cleanup() {
	progMu.Lock()
	defer progMu.Unlock()
	if progDir != "" {
		os.RemoveAll(progDir)
	}
}
