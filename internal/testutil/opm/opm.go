// Package opm lets tests ask operator-registry itself whether a file-based
// catalog is valid: it builds the program in ./checker (a Go module of its
// own, so operator-registry and its Kubernetes dependencies stay out of
// ladder's go.mod) once per machine with gotool.BuildModule, and runs it.
// `checker validate` is the body of `opm validate` (declcfg.LoadFS, then
// declcfg.ConvertToModel, which runs model.Validate); `checker render` is
// `opm render` of a directory (declcfg.LoadFS, then declcfg.WriteJSON).
//
// The first build downloads operator-registry v1.48.0 and its dependencies
// and compiles them: minutes on a busy machine. Set LADDER_SKIP_OPM=1 to
// skip the tests that need it; any other failure to build fails them.
package opm

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/ladder-release/ladder/internal/testutil/gotool"
)

// SkipEnv names the variable that, set to 1, skips the tests that need the
// checker instead of building it.
const SkipEnv = "LADDER_SKIP_OPM"

var (
	once    sync.Once
	path    string
	errPath error
)

// Checker returns the path of the checker program, building it the first
// time. It skips tb when LADDER_SKIP_OPM=1 and fails it when the build fails.
func Checker(tb testing.TB) string {
	tb.Helper()
	if os.Getenv(SkipEnv) == "1" {
		tb.Skipf("%s=1: not building operator-registry's validator", SkipEnv)
	}
	once.Do(func() {
		_, file, _, ok := runtime.Caller(0)
		if !ok {
			errPath = errors.New("opm: cannot locate the checker module")
			return
		}
		path, errPath = gotool.BuildModule(tb, filepath.Join(filepath.Dir(file), "checker"), "opm-checker")
	})
	if errPath != nil {
		tb.Fatalf("building operator-registry's validator (set %s=1 to skip): %v", SkipEnv, errPath)
	}
	return path
}

// Validate writes files (name -> content, e.g. "catalog.json") into a new
// directory and runs operator-registry's validation on it. It returns
// operator-registry's error, nil when the catalog is valid.
func Validate(tb testing.TB, files map[string][]byte) error {
	tb.Helper()
	_, err := run(tb, "validate", files)
	return err
}

// Render loads files as operator-registry does and writes them back as
// `opm render` does (JSON, objects in opm's order).
func Render(tb testing.TB, files map[string][]byte) ([]byte, error) {
	tb.Helper()
	return run(tb, "render", files)
}

func run(tb testing.TB, command string, files map[string][]byte) ([]byte, error) {
	tb.Helper()
	bin := Checker(tb)
	dir := tb.TempDir()
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, command, dir)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return stdout.Bytes(), nil
	case errors.As(err, &exit) && exit.ExitCode() == 1:
		return stdout.Bytes(), errors.New(strings.TrimSpace(stderr.String()))
	default:
		tb.Fatalf("%s %s: %v\n%s", bin, command, err, stderr.String())
		return nil, nil
	}
}
