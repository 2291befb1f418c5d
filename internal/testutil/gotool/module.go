package gotool

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// BuildModule builds the main package at the root of the Go module in
// directory src (a module of its own, such as a test helper whose
// dependencies must stay out of ladder's go.mod) into the tool directory,
// once per content: the program is named name-<12 hex digits of the sha256
// of the module's files and the Go version>, so an edit of its go.mod,
// go.sum or source builds it again and every later run reuses it. The build
// is `go build` with GOWORK=off, -mod=readonly (go.sum must be complete) and
// CGO_ENABLED=0; a first build downloads the module's dependencies and can
// take minutes: it says so on stderr.
func BuildModule(tb testing.TB, src, name string) (string, error) {
	tb.Helper()
	dir, err := Dir()
	if err != nil {
		return "", err
	}
	abs, err := filepath.Abs(src)
	if err != nil {
		return "", err
	}
	sum, err := treeSum(abs)
	if err != nil {
		return "", fmt.Errorf("reading module %s: %w", src, err)
	}
	final := filepath.Join(dir, name+"-"+sum)
	return installOnce(tb, dir, name, final, name+" (go build in "+abs+")", func(ctx context.Context, goBin, tmp string) error {
		out := filepath.Join(tmp, name)
		cmd := exec.CommandContext(ctx, goBin, "build", "-trimpath", "-o", out, ".")
		cmd.Dir = abs
		cmd.Env = append(filteredEnv("GOFLAGS", "GOWORK", "CGO_ENABLED"), "GOFLAGS=-buildvcs=false -mod=readonly", "GOWORK=off", "CGO_ENABLED=0")
		var log bytes.Buffer
		cmd.Stdout, cmd.Stderr = &log, &log
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("go build in %s: %v\n%s", abs, err, log.String())
		}
		return os.Rename(out, final)
	})
}

// treeSum hashes the names and contents of the regular files under root, in
// walk (lexical) order, and the Go version.
func treeSum(root string) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n", runtime.Version())
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		fmt.Fprintf(h, "%s %d\n", filepath.ToSlash(rel), len(data))
		h.Write(data)
		return nil
	})
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil))[:12], nil
}
