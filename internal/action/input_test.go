package action_test

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/ladder-release/ladder/internal/action"
)

func TestInputEnvName(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]string{
		"channel":           "INPUT_CHANNEL",
		"lock-file":         "INPUT_LOCK-FILE",
		"registry-password": "INPUT_REGISTRY-PASSWORD",
		"dry_run":           "INPUT_DRY_RUN",
		"my input":          "INPUT_MY_INPUT",
	} {
		if got := action.InputEnvName(name); got != want {
			t.Errorf("InputEnvName(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestInput(t *testing.T) {
	t.Parallel()
	r := action.New(mapEnv(t, map[string]string{
		"INPUT_LOCK-FILE": "  out/lock.json \n",
		"INPUT_CHANNEL":   "stable",
		"INPUT_MY_INPUT":  "spaced",
	}, "INPUT_MISSING"), io.Discard)
	for name, want := range map[string]string{
		"lock-file": "out/lock.json",
		"channel":   "stable",
		"my input":  "spaced",
		"missing":   "",
	} {
		if got := r.Input(name); got != want {
			t.Errorf("Input(%q) = %q, want %q", name, got, want)
		}
	}
	if got, want := strings.Join(r.InputsRead(), ","), "channel,lock-file,missing,my input"; got != want {
		t.Errorf("InputsRead() = %s, want %s", got, want)
	}
}

func TestBoolInput(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		value   string
		want    bool
		wantErr bool
	}{
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
	} {
		r := action.New(mapEnv(t, map[string]string{"INPUT_DRY-RUN": tc.value}), io.Discard)
		got, err := r.BoolInput("dry-run")
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("BoolInput(dry-run=%q) = %v, %v; want %v, error %v", tc.value, got, err, tc.want, tc.wantErr)
		}
		if err != nil && (!strings.Contains(err.Error(), "dry-run") || !strings.Contains(err.Error(), `"`+strings.TrimSpace(tc.value)+`"`)) {
			t.Errorf("error %q does not name the input and the value", err)
		}
	}
}

func TestDurationInput(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		value   string
		want    time.Duration
		wantErr bool
	}{
		{"", 0, false},
		{"90s", 90 * time.Second, false},
		{"1h30m", 90 * time.Minute, false},
		{"0", 0, false},
		{"10", 0, true},
		{"-5s", 0, true},
		{"soon", 0, true},
	} {
		r := action.New(mapEnv(t, map[string]string{"INPUT_TIMEOUT": tc.value}), io.Discard)
		got, err := r.DurationInput("timeout")
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("DurationInput(timeout=%q) = %v, %v; want %v, error %v", tc.value, got, err, tc.want, tc.wantErr)
		}
		if err != nil && !strings.Contains(err.Error(), "timeout") {
			t.Errorf("error %q does not name the input", err)
		}
	}
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
