package action

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// Default endpoints, used when GITHUB_API_URL or GITHUB_SERVER_URL is unset
// (outside a runner). On GitHub Enterprise Server the runner sets both.
const (
	DefaultAPIURL    = "https://api.github.com"
	DefaultServerURL = "https://github.com"
)

// EnvVars lists the standard variables Env reads, in the order of its fields.
var EnvVars = []string{
	"GITHUB_API_URL", "GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_SHA",
	"GITHUB_REF", "GITHUB_ACTOR", "GITHUB_RUN_ID", "GITHUB_WORKSPACE",
	"GITHUB_EVENT_PATH", "GITHUB_EVENT_NAME", "RUNNER_DEBUG",
}

// Env holds the standard variables the runner sets for every step.
type Env struct {
	APIURL     string // GITHUB_API_URL, no trailing slash; default DefaultAPIURL
	ServerURL  string // GITHUB_SERVER_URL, no trailing slash; default DefaultServerURL
	Repository string // GITHUB_REPOSITORY, owner/name
	SHA        string // GITHUB_SHA
	Ref        string // GITHUB_REF, e.g. refs/heads/main
	Actor      string // GITHUB_ACTOR
	RunID      string // GITHUB_RUN_ID
	Workspace  string // GITHUB_WORKSPACE
	EventPath  string // GITHUB_EVENT_PATH, the webhook payload (JSON)
	EventName  string // GITHUB_EVENT_NAME
	Debug      bool   // RUNNER_DEBUG == "1"
}

// ReadEnv reads the standard variables through getenv, applying defaults.
func ReadEnv(getenv Getenv) Env {
	orDefault := func(key, def string) string {
		if v := strings.TrimRight(strings.TrimSpace(getenv(key)), "/"); v != "" {
			return v
		}
		return def
	}
	return Env{
		APIURL:     orDefault("GITHUB_API_URL", DefaultAPIURL),
		ServerURL:  orDefault("GITHUB_SERVER_URL", DefaultServerURL),
		Repository: getenv("GITHUB_REPOSITORY"),
		SHA:        getenv("GITHUB_SHA"),
		Ref:        getenv("GITHUB_REF"),
		Actor:      getenv("GITHUB_ACTOR"),
		RunID:      getenv("GITHUB_RUN_ID"),
		Workspace:  getenv("GITHUB_WORKSPACE"),
		EventPath:  getenv("GITHUB_EVENT_PATH"),
		EventName:  getenv("GITHUB_EVENT_NAME"),
		Debug:      getenv("RUNNER_DEBUG") == "1",
	}
}

// Env reads the standard variables through the Runner's getenv.
func (r *Runner) Env() Env { return ReadEnv(r.getenv) }

// OwnerRepo splits Repository into owner and name.
func (e Env) OwnerRepo() (owner, repo string, err error) {
	owner, repo, ok := strings.Cut(e.Repository, "/")
	if !ok || owner == "" || repo == "" || strings.Contains(repo, "/") {
		return "", "", fmt.Errorf("GITHUB_REPOSITORY %q: want owner/name", e.Repository)
	}
	return owner, repo, nil
}

// RunURL is the web address of the workflow run, or "" when Repository or
// RunID is unset.
func (e Env) RunURL() string {
	if e.Repository == "" || e.RunID == "" {
		return ""
	}
	return e.ServerURL + "/" + e.Repository + "/actions/runs/" + e.RunID
}

// maxEventBytes bounds the event payload read: GitHub caps a webhook
// payload at 25 MB.
const maxEventBytes = 25 << 20

// Event reads the event that started the run: its name (EventName) and the
// payload at EventPath, exactly as GitHub delivered it. The payload is nil
// when EventPath is unset (outside a runner). It is untrusted: parse it,
// never interpret it.
func (e Env) Event() (name string, payload []byte, err error) {
	name, path := e.EventName, e.EventPath
	if path == "" {
		return name, nil, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return name, nil, fmt.Errorf("reading the event payload (GITHUB_EVENT_PATH): %w", err)
	}
	defer f.Close()
	payload, err = io.ReadAll(io.LimitReader(f, maxEventBytes+1))
	if err != nil {
		return name, nil, fmt.Errorf("reading the event payload %s: %w", path, err)
	}
	if len(payload) > maxEventBytes {
		return name, nil, fmt.Errorf("the event payload %s is over %d MB, GitHub's limit for a webhook payload", path, maxEventBytes>>20)
	}
	return name, payload, nil
}
