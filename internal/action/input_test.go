package action_test

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ladder-release/ladder/internal/action"
)

func TestInputEnvName(t *testing.T) {
	t.Parallel()
	wantEach(t, "InputEnvName", action.InputEnvName, map[string]string{
		"channel":           "INPUT_CHANNEL",
		"lock-file":         "INPUT_LOCK-FILE",
		"registry-password": "INPUT_REGISTRY-PASSWORD",
		"dry_run":           "INPUT_DRY_RUN",
		"my input":          "INPUT_MY_INPUT",
	})
}

func TestInput(t *testing.T) {
	t.Parallel()
	r := action.New(mapEnv(t, map[string]string{
		"INPUT_LOCK-FILE": "  out/lock.json \n",
		"INPUT_CHANNEL":   "stable",
		"INPUT_MY_INPUT":  "spaced",
	}, "INPUT_MISSING"), io.Discard)
	wantEach(t, "Input", r.Input, map[string]string{
		"lock-file": "out/lock.json",
		"channel":   "stable",
		"my input":  "spaced",
		"missing":   "",
	})
	if got, want := strings.Join(r.InputsRead(), ","), "channel,lock-file,missing,my input"; got != want {
		t.Errorf("InputsRead() = %s, want %s", got, want)
	}
}

// typedCase is one value of a typed input and what its method gives.
type typedCase[T comparable] struct {
	value   string
	want    T
	wantErr bool
}

// wantTyped reads input with read (the method named method) with each
// case's value set, and checks the result; an error must contain what
// mention says it must, for its value.
func wantTyped[T comparable](t *testing.T, method, input string, read func(*action.Runner, string) (T, error), mention func(value string) []string, cases []typedCase[T]) {
	t.Helper()
	for _, tc := range cases {
		r := action.New(mapEnv(t, map[string]string{action.InputEnvName(input): tc.value}), io.Discard)
		got, err := read(r, input)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("%s(%s=%q) = %v, %v; want %v, error %v", method, input, tc.value, got, err, tc.want, tc.wantErr)
		}
		for _, m := range mention(tc.value) {
			if err != nil && !strings.Contains(err.Error(), m) {
				t.Errorf("error %q does not mention %s", err, m)
			}
		}
	}
}

func TestBoolInput(t *testing.T) {
	t.Parallel()
	// the error names the input and the value
	mention := func(v string) []string { return []string{"dry-run", `"` + strings.TrimSpace(v) + `"`} }
	wantTyped(t, "BoolInput", "dry-run", (*action.Runner).BoolInput, mention, []typedCase[bool]{
		{"true", true, false},
		{"True", true, false},
		{"TRUE", true, false},
		{" true\n", true, false},
		{"false", false, false},
		{"False", false, false},
		{"FALSE", false, false},
		{"", false, true},
		{"yes", false, true},
		{"1", false, true},
		{"tRUE", false, true},
		{"on", false, true},
	})
}

func TestDurationInput(t *testing.T) {
	t.Parallel()
	// the error names the input
	mention := func(string) []string { return []string{"timeout"} }
	wantTyped(t, "DurationInput", "timeout", (*action.Runner).DurationInput, mention, []typedCase[time.Duration]{
		{"", 0, false},
		{"90s", 90 * time.Second, false},
		{"1h30m", 90 * time.Minute, false},
		{"0", 0, false},
		{"10", 0, true},
		{"-5s", 0, true},
		{"soon", 0, true},
	})
}

func TestEnv(t *testing.T) {
	t.Parallel()
	e := action.ReadEnv(mapEnv(t, nil, action.EnvVars...))
	if e.APIURL != "https://api.github.com" || e.ServerURL != "https://github.com" || e.Debug {
		t.Errorf("defaults: %+v", e)
	}
	if e.RunURL() != "" {
		t.Errorf("RunURL() with no repository = %q", e.RunURL())
	}
	if _, _, err := e.OwnerRepo(); err == nil {
		t.Error("OwnerRepo() with no repository: no error")
	}

	vars := map[string]string{
		"GITHUB_API_URL":    "https://ghe.example.com/api/v3/",
		"GITHUB_SERVER_URL": "https://ghe.example.com",
		"GITHUB_REPOSITORY": "octo/app",
		"GITHUB_SHA":        "0123456789abcdef0123456789abcdef01234567",
		"GITHUB_REF":        "refs/heads/main",
		"GITHUB_ACTOR":      "octocat",
		"GITHUB_RUN_ID":     "42",
		"GITHUB_WORKSPACE":  "/github/workspace",
		"GITHUB_EVENT_PATH": "/github/workflow/event.json",
		"GITHUB_EVENT_NAME": "repository_dispatch",
		"RUNNER_DEBUG":      "1",
	}
	r := action.New(mapEnv(t, vars), io.Discard)
	e = r.Env()
	want := action.Env{
		APIURL: "https://ghe.example.com/api/v3", ServerURL: "https://ghe.example.com",
		Repository: "octo/app", SHA: vars["GITHUB_SHA"], Ref: "refs/heads/main", Actor: "octocat",
		RunID: "42", Workspace: "/github/workspace", EventPath: "/github/workflow/event.json",
		EventName: "repository_dispatch", Debug: true,
	}
	if e != want {
		t.Errorf("Env() = %+v\nwant %+v", e, want)
	}
	if owner, repo, err := e.OwnerRepo(); owner != "octo" || repo != "app" || err != nil {
		t.Errorf("OwnerRepo() = %q, %q, %v", owner, repo, err)
	}
	if got, want := e.RunURL(), "https://ghe.example.com/octo/app/actions/runs/42"; got != want {
		t.Errorf("RunURL() = %q, want %q", got, want)
	}
	if len(action.EnvVars) != len(vars) {
		t.Errorf("EnvVars lists %d variables, the test sets %d", len(action.EnvVars), len(vars))
	}
}

// TestEnvEvent: the event's payload is read as delivered, absent outside a
// runner, and refused when missing or over GitHub's 25 MB.
func TestEnvEvent(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	small := filepath.Join(dir, "event.json")
	big := filepath.Join(dir, "big.json")
	if err := os.WriteFile(small, []byte(`{"ref":"refs/heads/main"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(big, make([]byte, 25<<20+1), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, path, want, wantErr string
	}{
		{"no GITHUB_EVENT_PATH: no payload", "", "", ""},
		{"read as delivered", small, `{"ref":"refs/heads/main"}`, ""},
		{"missing file", filepath.Join(dir, "none.json"), "", "GITHUB_EVENT_PATH"},
		{"over 25 MB", big, "", "over 25 MB"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			name, payload, err := action.Env{EventName: "push", EventPath: c.path}.Event()
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error %v, want one naming %q", err, c.wantErr)
				}
				return
			}
			if err != nil || name != "push" || string(payload) != c.want {
				t.Errorf("%q, %q, %v; want push, %q", name, payload, err, c.want)
			}
		})
	}
}
