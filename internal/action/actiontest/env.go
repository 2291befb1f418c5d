// Package actiontest runs ladder's actions in tests as the GitHub Actions
// runner would: the environment built from action.yml (inputs with their
// defaults, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY in temporary files), a
// strict getenv that fails the test on a variable nobody set, and readers
// that parse the output file exactly as the runner does.
//
//	meta := actiontest.LoadActionYAML(t, "../../actions/resolve-channel/action.yml")
//	env := actiontest.Env(t, meta, map[string]string{"channel": "stable"}, nil)
//	r := env.Runner()
//	err := app.ResolveChannel(ctx, r, deps)
//	actiontest.CheckOutputs(t, meta, r.OutputsSet())
//	got := env.Outputs()
package actiontest

import (
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ladder-release/ladder/internal/action"
	"github.com/ladder-release/ladder/internal/testutil/syncbuf"
)

// Token is the value a `${{ github.token }}` (or `${{ secrets.GITHUB_TOKEN }}`)
// default takes in a TestEnv: shaped like an installation token, fake.
const Token = "ghs_actiontest00000000000000000000000000"

// AllowedEnv lists the variables the strict Getenv answers with "" when the
// test did not set them: the standard variables action.Env reads
// (action.EnvVars: GITHUB_API_URL, GITHUB_SERVER_URL, GITHUB_REPOSITORY,
// GITHUB_SHA, GITHUB_REF, GITHUB_ACTOR, GITHUB_RUN_ID, GITHUB_WORKSPACE,
// GITHUB_EVENT_PATH, GITHUB_EVENT_NAME, RUNNER_DEBUG). Any other variable
// the test did not set fails the test when read.
var AllowedEnv = slices.Clone(action.EnvVars)

// TestEnv is the environment of one action step in a test.
type TestEnv struct {
	t    testing.TB
	meta *Metadata

	mu        sync.Mutex
	vars      map[string]string
	inputKeys map[string]string // INPUT_ variable -> declared input name
	stdout    syncbuf.Buffer
}

var (
	tokenExpr  = regexp.MustCompile(`^\$\{\{\s*(github\.token|secrets\.GITHUB_TOKEN)\s*\}\}$`)
	githubExpr = regexp.MustCompile(`^\$\{\{\s*github\.([A-Za-z_]+)\s*\}\}$`)
)

// Env builds the environment the runner would give a step running the action
// described by meta:
//
//   - INPUT_<NAME> (hyphens kept) for every declared input: its value from
//     inputs, else its default (`${{ github.token }}` becomes Token,
//     `${{ github.x }}` the value of GITHUB_X in extra), else "";
//   - GITHUB_OUTPUT and GITHUB_STEP_SUMMARY: empty temporary files;
//   - GITHUB_WORKSPACE and RUNNER_TEMP: temporary directories;
//     GITHUB_ACTIONS and CI: "true";
//   - then every variable of extra, overriding the above (set GITHUB_OUTPUT
//     to "" to run as the CLI).
//
// It fails the test when inputs names an input meta does not declare, or
// extra holds an INPUT_ variable (pass inputs through inputs).
func Env(t testing.TB, meta *Metadata, inputs, extra map[string]string) *TestEnv {
	t.Helper()
	dir := t.TempDir()
	e := &TestEnv{
		t:         t,
		meta:      meta,
		vars:      map[string]string{},
		inputKeys: map[string]string{},
	}
	for _, sub := range []string{"workspace", "runner-temp", "file-commands"} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatalf("actiontest: %v", err)
		}
	}
	output := filepath.Join(dir, "file-commands", "github_output")
	summary := filepath.Join(dir, "file-commands", "step_summary")
	for _, p := range []string{output, summary} {
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatalf("actiontest: %v", err)
		}
	}
	e.vars["GITHUB_OUTPUT"] = output
	e.vars["GITHUB_STEP_SUMMARY"] = summary
	e.vars["GITHUB_WORKSPACE"] = filepath.Join(dir, "workspace")
	e.vars["RUNNER_TEMP"] = filepath.Join(dir, "runner-temp")
	e.vars["GITHUB_ACTIONS"] = "true"
	e.vars["CI"] = "true"
	for k, v := range extra {
		if strings.HasPrefix(k, "INPUT_") {
			t.Errorf("actiontest.Env: extra sets %s; pass inputs through the inputs map", k)
			continue
		}
		e.vars[k] = v
	}

	for _, name := range meta.InputNames() {
		key := action.InputEnvName(name)
		if other, dup := e.inputKeys[key]; dup {
			t.Errorf("%s: inputs %q and %q both become %s", meta.where(), other, name, key)
		}
		e.inputKeys[key] = name
		v, given := inputs[name]
		if !given {
			v = e.evalDefault(name, meta.Inputs[name].Default)
		}
		e.vars[key] = v
	}
	for _, name := range slices.Sorted(maps.Keys(inputs)) {
		if _, ok := meta.Inputs[name]; !ok {
			t.Errorf("actiontest.Env: input %q is not declared in %s (declared: %v)", name, meta.where(), meta.InputNames())
		}
	}
	return e
}

// evalDefault evaluates the few expressions a default may hold.
func (e *TestEnv) evalDefault(name, def string) string {
	if !strings.Contains(def, "${{") {
		return def
	}
	if tokenExpr.MatchString(def) {
		return Token
	}
	if m := githubExpr.FindStringSubmatch(def); m != nil {
		key := "GITHUB_" + strings.ToUpper(m[1])
		if v, ok := e.vars[key]; ok {
			return v
		}
		e.t.Errorf("actiontest.Env: default %q of input %s needs %s in extra, or pass the input", def, name, key)
		return ""
	}
	e.t.Errorf("actiontest.Env: cannot evaluate default %q of input %s; pass the input", def, name)
	return ""
}

// Getenv is the strict getenv to give action.New: it answers the variables
// Env set, the INPUT_ variables of declared inputs, and AllowedEnv (with ""
// when unset); any other variable fails the test, an undeclared INPUT_ one
// with a message naming the input.
func (e *TestEnv) Getenv(key string) string {
	e.mu.Lock()
	v, ok := e.vars[key]
	e.mu.Unlock()
	if ok {
		return v
	}
	if strings.HasPrefix(key, "INPUT_") {
		e.t.Errorf("the code reads %s, but %s declares no such input (declared: %v); inputs are read as INPUT_ + the name upper-cased with hyphens kept",
			key, e.meta.where(), e.meta.InputNames())
		return ""
	}
	if slices.Contains(AllowedEnv, key) {
		return ""
	}
	e.t.Errorf("the code reads environment variable %s, which the test did not set (pass it in extra)", key)
	return ""
}

// Set sets (or overrides) an environment variable after Env; INPUT_
// variables are refused, as in Env.
func (e *TestEnv) Set(key, value string) {
	e.t.Helper()
	if strings.HasPrefix(key, "INPUT_") {
		e.t.Errorf("actiontest: Set(%s): pass inputs through Env's inputs map", key)
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.vars[key] = value
}

// Runner returns an action.Runner reading this environment and writing its
// stdout to a buffer (see Stdout).
func (e *TestEnv) Runner(opts ...action.Option) *action.Runner {
	return action.New(e.Getenv, &e.stdout, opts...)
}

// Stdout returns what the Runner wrote to stdout: workflow commands and logs.
func (e *TestEnv) Stdout() string { return e.stdout.String() }

// OutputPath is the GITHUB_OUTPUT file ("" when the test unset it).
func (e *TestEnv) OutputPath() string { return e.lookup("GITHUB_OUTPUT") }

// SummaryPath is the GITHUB_STEP_SUMMARY file ("" when the test unset it).
func (e *TestEnv) SummaryPath() string { return e.lookup("GITHUB_STEP_SUMMARY") }

// Workspace is GITHUB_WORKSPACE.
func (e *TestEnv) Workspace() string { return e.lookup("GITHUB_WORKSPACE") }

func (e *TestEnv) lookup(key string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.vars[key]
}

// Records parses the GITHUB_OUTPUT file as the runner does (ParseOutputFile)
// and returns its records in order; a malformed file fails the test (call it
// from the test's goroutine).
func (e *TestEnv) Records() []Record {
	e.t.Helper()
	path := e.OutputPath()
	if path == "" {
		return nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		e.t.Fatalf("actiontest: reading GITHUB_OUTPUT: %v", err)
	}
	recs, err := ParseOutputFile(data)
	if err != nil {
		e.t.Fatalf("actiontest: GITHUB_OUTPUT is malformed, the runner would fail the step: %v\n%q", err, data)
	}
	return recs
}

// Outputs returns the outputs as the runner sees them: the records of the
// GITHUB_OUTPUT file, a later record for a name overriding an earlier one.
func (e *TestEnv) Outputs() map[string]string {
	e.t.Helper()
	out := map[string]string{}
	for _, r := range e.Records() {
		out[r.Name] = r.Value
	}
	return out
}

// Summary returns the content of the GITHUB_STEP_SUMMARY file.
func (e *TestEnv) Summary() string {
	e.t.Helper()
	path := e.SummaryPath()
	if path == "" {
		return ""
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return ""
	}
	if err != nil {
		e.t.Fatalf("actiontest: reading GITHUB_STEP_SUMMARY: %v", err)
	}
	return string(data)
}
