package actiontest_test

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ladder-release/ladder/internal/action/actiontest"
)

const resolveChannel = "../../../actions/resolve-channel/action.yml"

// recorder is a testing.TB that records failures instead of failing, to
// test that actiontest fails tests when it should.
type recorder struct {
	testing.TB
	mu       sync.Mutex
	failures []string
}

type fatal struct{}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failures = append(r.failures, fmt.Sprintf(format, args...))
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	panic(fatal{})
}

func (r *recorder) failed(t *testing.T, want ...string) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.failures) != len(want) {
		t.Fatalf("%d failures %q, want %d containing %q", len(r.failures), r.failures, len(want), want)
	}
	for i, w := range want {
		if !strings.Contains(r.failures[i], w) {
			t.Errorf("failure %q does not contain %q", r.failures[i], w)
		}
	}
	r.failures = nil
}

// catchFatal runs f, absorbing a recorder's Fatalf.
func catchFatal(f func()) {
	defer func() {
		if v := recover(); v != nil {
			if _, ok := v.(fatal); !ok {
				panic(v)
			}
		}
	}()
	f()
}

func TestLoadResolveChannel(t *testing.T) {
	meta := actiontest.LoadActionYAML(t, resolveChannel)
	if meta.Name != "ladder resolve-channel" || meta.Runs.Using != "docker" || !slices.Equal(meta.Runs.Args, []string{"resolve-channel"}) {
		t.Errorf("metadata: %+v", meta)
	}
	if in := meta.Inputs["channel"]; !in.Required || in.Description == "" {
		t.Errorf("input channel: %+v", in)
	}
	for name, def := range map[string]string{
		"lock-file": "ladder-lock.json", "config": ".github/ladder.yaml",
		"token": "${{ github.token }}", "dry-run": "false", "registry-username": "",
	} {
		if got := meta.Inputs[name].Default; got != def {
			t.Errorf("input %s default = %q, want %q", name, got, def)
		}
	}
	for _, name := range []string{"lock", "lock-file", "lock-digest", "id", "version", "changed", "versions", "labels", "annotations"} {
		if _, ok := meta.Outputs[name]; !ok {
			t.Errorf("output %s not declared", name)
		}
	}
}

func TestEnvAgainstResolveChannel(t *testing.T) {
	meta := actiontest.LoadActionYAML(t, resolveChannel)
	env := actiontest.Env(t, meta,
		map[string]string{"channel": "stable", "dry-run": "true"},
		map[string]string{"GITHUB_REPOSITORY": "octo/app"})
	r := env.Runner()

	token := r.SecretInput("token")
	if token != actiontest.Token || len(token) != 40 {
		t.Errorf("token = %q, want %q", token, actiontest.Token)
	}
	if got := r.Input("channel"); got != "stable" {
		t.Errorf("channel = %q", got)
	}
	if got := r.Input("lock-file"); got != "ladder-lock.json" {
		t.Errorf("lock-file = %q, want the default", got)
	}
	if got := r.Input("registry-password"); got != "" {
		t.Errorf("registry-password = %q", got)
	}
	if dry, err := r.BoolInput("dry-run"); !dry || err != nil {
		t.Errorf("dry-run = %v, %v", dry, err)
	}
	if e := r.Env(); e.Repository != "octo/app" || e.APIURL != "https://api.github.com" || e.Workspace == "" {
		t.Errorf("Env() = %+v", e)
	}
	if err := r.SetOutput("lock-file", "ladder-lock.json"); err != nil {
		t.Fatal(err)
	}
	if err := r.SetOutput("labels", "org.opencontainers.image.version=1.0.0\norg.opencontainers.image.revision=abc"); err != nil {
		t.Fatal(err)
	}
	if err := r.SetOutput("changed", "true"); err != nil {
		t.Fatal(err)
	}
	if err := r.Summary().Heading("stable", 2).Table([]string{"a"}, [][]string{{"1"}}).Write(); err != nil {
		t.Fatal(err)
	}

	actiontest.CheckOutputs(t, meta, r.OutputsSet())
	actiontest.CheckInputs(t, meta, r.InputsRead())
	want := map[string]string{
		"lock-file": "ladder-lock.json",
		"labels":    "org.opencontainers.image.version=1.0.0\norg.opencontainers.image.revision=abc",
		"changed":   "true",
	}
	if got := env.Outputs(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Outputs() = %q, want %q", got, want)
	}
	if got, want := env.Summary(), "## stable\n\n| a |\n| --- |\n| 1 |\n\n"; got != want {
		t.Errorf("Summary() = %q, want %q", got, want)
	}
	if got, want := env.Stdout(), "::add-mask::"+actiontest.Token+"\n"; got != want {
		t.Errorf("Stdout() = %q, want %q", got, want)
	}
}

func TestEnvIsStrict(t *testing.T) {
	meta := actiontest.LoadActionYAML(t, resolveChannel)

	rec := &recorder{TB: t}
	actiontest.Env(rec, meta, map[string]string{"chanel": "stable", "lock_file": "x"}, map[string]string{"INPUT_CHANNEL": "x"})
	rec.failed(t, "INPUT_CHANNEL", `"chanel" is not declared`, `"lock_file" is not declared`)

	env := actiontest.Env(rec, meta, nil, map[string]string{"HOME": "/home/x"})
	r := env.Runner()
	r.Input("lock_file") // INPUT_LOCK_FILE: the runner sets INPUT_LOCK-FILE
	rec.failed(t, "INPUT_LOCK_FILE")
	r.Input("Lock-File") // same variable as lock-file, but not the declared name
	rec.failed(t)
	actiontest.CheckInputs(rec, meta, r.InputsRead())
	rec.failed(t, `input "Lock-File" was read`, `input "lock_file" was read`)

	if got := env.Getenv("HOME"); got != "/home/x" {
		t.Errorf("HOME = %q", got)
	}
	env.Getenv("DOCKER_CONFIG")
	rec.failed(t, "DOCKER_CONFIG")
	env.Set("DOCKER_CONFIG", "/tmp/docker")
	if got := env.Getenv("DOCKER_CONFIG"); got != "/tmp/docker" {
		t.Errorf("DOCKER_CONFIG = %q", got)
	}
	env.Getenv("GITHUB_SHA") // allowed, unset
	r.Debugf("quiet")        // reads RUNNER_DEBUG: allowed
	rec.failed(t)

	if err := r.SetOutput("lok", "x"); err != nil {
		t.Fatal(err)
	}
	actiontest.CheckOutputs(rec, meta, r.OutputsSet())
	rec.failed(t, `output "lok" was set`)
}

func TestEnvDefaults(t *testing.T) {
	meta := &actiontest.Metadata{Path: "inline", Inputs: map[string]actiontest.Input{
		"token":  {Description: "d", Default: "${{ secrets.GITHUB_TOKEN }}"},
		"repo":   {Description: "d", Default: "${{ github.repository }}"},
		"sha":    {Description: "d", Default: "${{github.sha}}"},
		"weird":  {Description: "d", Default: "${{ inputs.other }}"},
		"plain":  {Description: "d", Default: "x"},
		"nodef":  {Description: "d"},
		"spaced": {Description: "d", Default: "s"},
	}}
	rec := &recorder{TB: t}
	env := actiontest.Env(rec, meta, map[string]string{"spaced": "given"}, map[string]string{"GITHUB_REPOSITORY": "octo/app"})
	rec.failed(t, "GITHUB_SHA in extra", `"${{ inputs.other }}"`)
	for key, want := range map[string]string{
		"INPUT_TOKEN": actiontest.Token, "INPUT_REPO": "octo/app", "INPUT_PLAIN": "x",
		"INPUT_NODEF": "", "INPUT_SPACED": "given", "GITHUB_ACTIONS": "true",
	} {
		if got := env.Getenv(key); got != want {
			t.Errorf("%s = %q, want %q", key, got, want)
		}
	}
	rec.failed(t)

	// GITHUB_OUTPUT unset: the CLI; outputs go to stdout.
	env = actiontest.Env(t, meta, map[string]string{"weird": "w"}, map[string]string{"GITHUB_OUTPUT": "", "GITHUB_REPOSITORY": "o/r", "GITHUB_SHA": "s"})
	r := env.Runner()
	if err := r.SetOutput("x", "1"); err != nil {
		t.Fatal(err)
	}
	if got := env.Outputs(); len(got) != 0 {
		t.Errorf("Outputs() = %q", got)
	}
	if got := env.Stdout(); got != "x=1\n" {
		t.Errorf("Stdout() = %q", got)
	}
}

func TestOutputsFailsOnMalformedFile(t *testing.T) {
	meta := &actiontest.Metadata{}
	rec := &recorder{TB: t}
	env := actiontest.Env(rec, meta, nil, nil)
	if err := os.WriteFile(env.OutputPath(), []byte("out<<EOF\nvalue\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	catchFatal(func() { env.Outputs() })
	rec.failed(t, "matching delimiter not found")
}

// TestReadOutputs: the outputs of a GITHUB_OUTPUT file on disk, a later
// record overriding an earlier one; a malformed or missing file is an error.
func TestReadOutputs(t *testing.T) {
	dir := t.TempDir()
	good, bad := dir+"/good", dir+"/bad"
	if err := os.WriteFile(good, []byte("a=1\nb<<EOF\nx\nEOF\na=2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte("a<<EOF\nv\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := actiontest.ReadOutputs(good); err != nil || len(got) != 2 || got["a"] != "2" || got["b"] != "x" {
		t.Errorf("ReadOutputs = %q, %v; want a=2 b=x", got, err)
	}
	for _, p := range []string{bad, dir + "/missing"} {
		if got, err := actiontest.ReadOutputs(p); err == nil {
			t.Errorf("ReadOutputs(%s) = %q, want an error", p, got)
		}
	}
}

func TestParseOutputFile(t *testing.T) {
	type rec struct{ Name, Value string } // the fields of actiontest.Record
	for _, tc := range []struct {
		name, file string
		want       []rec
		err        string
	}{
		{"empty file", "", nil, ""},
		{"name=value", "a=1\nb=x=y\n", []rec{{"a", "1"}, {"b", "x=y"}}, ""},
		{"= before <<", "a=b<<c\n", []rec{{"a", "b<<c"}}, ""},
		{"<< before =", "a<<E=\nv\nE=\n", []rec{{"a", "v"}}, ""},
		{"empty value", "a=\nb<<E\n\nE\nc<<E\nE\n", []rec{{"a", ""}, {"b", ""}, {"c", ""}}, ""},
		{"blank lines skipped", "\n\na=1\n\n\nb=2", []rec{{"a", "1"}, {"b", "2"}}, ""},
		{"heredoc", "a<<EOF\nl1\nl2\nEOF\n", []rec{{"a", "l1\nl2"}}, ""},
		{"heredoc keeps blank lines", "a<<EOF\n\nl1\n\nEOF\n", []rec{{"a", "\nl1\n"}}, ""},
		{"CR is content on Linux", "a<<EOF\nx\r\nEOF\r\nEOF\n", []rec{{"a", "x\r\nEOF\r"}}, ""},
		{"CR in the delimiter", "a<<EOF\r\nx\r\nEOF\r\n", []rec{{"a", "x\r"}}, ""},
		{"delimiter must be the whole line", "a<<EOF\n EOF\nEOF \nEOF\n", []rec{{"a", " EOF\nEOF "}}, ""},
		{"last delimiter without LF", "a<<EOF\nv\nEOF", []rec{{"a", "v"}}, ""},
		{"BOM skipped", "\ufeffa=1\n", []rec{{"a", "1"}}, ""},
		{"duplicate names kept in order", "a=1\na=2\n", []rec{{"a", "1"}, {"a", "2"}}, ""},
		{"no delimiter", "a<<EOF\nv\n", nil, "matching delimiter not found"},
		{"value line without LF", "a<<EOF\nv", nil, "EOF marker missing new line"},
		{"neither form", "a\n", nil, "invalid format"},
		{"empty delimiter", "a<<\nv\n\n", nil, "delimiter must not be empty"},
		{"empty heredoc name", "<<EOF\nv\nEOF\n", nil, "name must not be empty"},
		{"empty name", "=v\n", nil, "name must not be empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			records, err := actiontest.ParseOutputFile([]byte(tc.file))
			var got []rec
			for _, r := range records {
				got = append(got, rec{r.Name, r.Value})
			}
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Errorf("error = %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil || !slices.Equal(got, tc.want) {
				t.Errorf("ParseOutputFile(%q) = %q, %v; want %q", tc.file, got, err, tc.want)
			}
		})
	}
}

func TestParseMetadataStrictAndValid(t *testing.T) {
	for _, tc := range []struct{ yaml, err string }{
		{"name: x\ndescription: d\nruns: {using: docker, image: Dockerfile}\ninputs:\n  a:\n    description: d\n    defualt: x\n", "defualt"},
		{"name: x\ndescription: d\nruns: {using: docker}\ninputs:\n  a: {required: false}\n", "inputs.a.description"},
		{"name: x\ndescription: d\nruns: {using: docker}\noutputs:\n  1x: {description: d}\n", "outputs.1x"},
		{"description: d\nruns: {using: docker}\n", "name: missing"},
		{"name: x\ndescription: d\n", "runs.using"},
	} {
		if _, err := actiontest.ParseMetadata([]byte(tc.yaml)); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("ParseMetadata(%q) error = %v, want one containing %q", tc.yaml, err, tc.err)
		}
	}
}
