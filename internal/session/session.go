// Package session is one run of a ladder command: the runner boundary
// (inputs, outputs, annotations, the step summary), the config, and the
// clients every action and command gathers with (GitHub, git, the registry,
// the ledger), made once per run and shared. app's actions and query's
// commands take a *Run; the decisions they hand values to are elsewhere.
package session

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/ladder-release/ladder/actions"
	"github.com/ladder-release/ladder/internal/action"
	"github.com/ladder-release/ladder/internal/cli"
	"github.com/ladder-release/ladder/internal/config"
	"github.com/ladder-release/ladder/internal/sigclient"
)

// Deps is everything a run takes from the outside world. main fills it
// with the real process; tests fill it with their own.
type Deps struct {
	Getenv func(string) string
	Stdout io.Writer
	Stderr io.Writer
	Now    func() time.Time
	// HTTP is the client for GitHub and registries; nil means a tuned default.
	HTTP *http.Client
	// Sleep waits between retries; nil means a real wait.
	Sleep func(ctx context.Context, d time.Duration) error
	// Signer signs and verifies (S6); nil runs the ladder-sign program.
	Signer sigclient.Signer
	// Commands are commands the binary adds to ladder's own (cmd/ladder adds
	// the demo), so that this package does not link them.
	Commands map[string]Command
}

// Command is a command the binary adds (Deps.Commands). Flags are the flags
// it takes, Bools those of them that are booleans (--keep).
type Command struct {
	Usage string
	Flags []string
	Bools []string
	Run   func(ctx context.Context, c Call) error
}

// Call is one invocation of a Command: its flags (checked against Flags
// before Run) and the process.
type Call struct {
	Deps   Deps
	Getenv func(string) string
	Flag   func(name string) string
	Bool   func(name string) (bool, error)
}

// Run is one invocation of a command: the runner boundary plus what every
// action shares.
type Run struct {
	Name   string
	Deps   Deps
	Getenv func(string) string // the environment, with an action's CLI flags as INPUT_*
	Act    *action.Runner
	Meta   *actions.Metadata // nil for CLI-only commands
	Flags  map[string]string // CLI-only commands' flags
	Args   []string          // positional arguments, for a command that takes them
	// OnClaim, when set, is told the moment build-bundle's claim lands: the
	// replaced bundle (digest, lock digest) and the new one's digest
	OnClaim func(oldDigest, oldLock, newDigest string)

	version string // ladder's, for user agents

	httpOnce sync.Once
	http     *http.Client
	ghOnce   sync.Once
	gh       *github.Client
	ghErr    error

	registryHost string // the product's registry, once a registry client was made
	registryUser string // its registry-username, "" for none

	bg background // work left running (the ledger's compaction), waited for at the end
}

// New builds the environment a command sees (flags are a CLI-only
// command's; an action's inputs are those of its action.yml). For an action, CLI flags
// become INPUT_* values and action.yml defaults fill what neither the runner
// nor a flag set, so the CLI and the runner read inputs through one path.
func New(name string, args []string, d Deps, cmdFlags []cli.Flag, version string) (*Run, error) {
	meta, metaErr := actions.Load(name)
	flagList, bools := cli.FlagNames(cmdFlags)
	isBool := func(flag string) bool { return slices.Contains(bools, flag) }
	if metaErr == nil {
		isBool = func(flag string) bool { return cli.BoolInput(meta, flag) }
	}
	flags, bare, err := cli.ParseFlags(args, isBool)
	if err != nil {
		return nil, cli.Misuse(err)
	}
	r := &Run{Name: name, Deps: d, Getenv: d.Getenv, Flags: flags, version: version}
	if metaErr == nil {
		r.Meta = meta
		overlay := map[string]string{}
		for _, k := range slices.Sorted(maps.Keys(flags)) {
			if _, ok := meta.Inputs[k]; !ok {
				return nil, cli.Misuse(fmt.Errorf("unknown input --%s (inputs: %s)%s", k, strings.Join(meta.InputNames(), ", "), config.Suggest(k, meta.InputNames())))
			}
			v := flags[k]
			overlay[action.InputEnvName(k)] = v
		}
		if len(bare) > 0 {
			return nil, cli.Misuse(cli.NeedsValue(bare[0]))
		}
		for k, in := range meta.Inputs {
			key := action.InputEnvName(k)
			if _, set := overlay[key]; set {
				continue
			}
			if _, present := cli.Lookup(d.Getenv, key); present {
				continue // the runner set it (it sets every declared input)
			}
			overlay[key] = cli.Default(d.Getenv, in.Default)
		}
		r.Getenv = func(k string) string {
			if v, ok := overlay[k]; ok {
				return v
			}
			return d.Getenv(k)
		}
	} else if err := cli.CheckFlags(flags, bare, flagList); err != nil {
		return nil, err
	}
	r.Act = action.New(r.Getenv, d.Stdout)
	return r, nil
}

// Input reads an action input (declared in action.yml).
func (r *Run) Input(name string) string { return r.Act.Input(name) }

// Flag reads a CLI-only command's flag.
func (r *Run) Flag(name, def string) string {
	if v, ok := r.Flags[name]; ok {
		return v
	}
	return def
}

// WorkspacePath resolves a path the user gave relative to GITHUB_WORKSPACE
// (the checkout) when that is set, else relative to the working directory.
func (r *Run) WorkspacePath(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	if ws := r.Getenv("GITHUB_WORKSPACE"); ws != "" {
		return filepath.Join(ws, p)
	}
	return p
}

// LoadConfig reads the config named by the `config` input (or --config).
func (r *Run) LoadConfig() (*config.Config, error) {
	p := r.Input("config")
	if r.Meta == nil {
		p = r.Flag("config", config.DefaultPath)
	}
	if p == "" {
		p = config.DefaultPath
	}
	data, err := os.ReadFile(r.WorkspacePath(p))
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	return config.Parse(p, data)
}

// posError is an error that belongs to a place in the config.
type posError struct {
	pos config.Pos
	err error
}

func (e *posError) Error() string { return e.pos.String() + ": " + e.err.Error() }
func (e *posError) Unwrap() error { return e.err }

// At places err at path in the config (its line and column), when the
// config has that path.
func At(cfg *config.Config, path string, err error) error {
	if err == nil {
		return nil
	}
	if p, ok := cfg.Pos[path]; ok {
		return &posError{pos: p, err: err}
	}
	return err
}

// Fail reports err: in a runner as ::error:: annotations (at the config line
// at fault where there is one), in a terminal as a plain message on stderr.
// An action also writes a step summary saying it failed, and why.
func (r *Run) Fail(err error) {
	if r.Meta != nil {
		r.failureSummary(err)
	}
	if r.Getenv("GITHUB_ACTIONS") != "true" {
		if located(err) {
			// FILE:LINE:COL: field: message, one line per error, nothing
			// before it: what problem matchers and editors read
			fmt.Fprintln(r.Deps.Stderr, err)
			return
		}
		fmt.Fprintf(r.Deps.Stderr, "ladder %s: %v\n", r.Name, err)
		return
	}
	var cerrs config.Errors
	var cerr *config.Error
	var perr *posError
	switch {
	case errors.As(err, &cerrs):
		for _, e := range cerrs {
			r.Act.ErrorAt(annotation(e.Pos), e.Message)
		}
	case errors.As(err, &cerr):
		r.Act.ErrorAt(annotation(cerr.Pos), cerr.Message)
	case errors.As(err, &perr):
		r.Act.ErrorAt(annotation(perr.pos), perr.err.Error())
	default:
		r.Act.Errorf("%s", err.Error())
	}
}

// located says whether err is nothing but errors at places in the config:
// its text is then FILE:LINE:COL: lines only.
func located(err error) bool {
	var cerrs config.Errors
	var cerr *config.Error
	var perr *posError
	switch {
	case errors.As(err, &cerrs):
		return len(cerrs) > 0 && err.Error() == cerrs.Error()
	case errors.As(err, &cerr):
		return err.Error() == cerr.Error()
	case errors.As(err, &perr):
		return err.Error() == perr.Error()
	}
	return false
}

// failureSummary writes the step summary of a failed action: its name and
// the error, as plain text (escaped: the error may quote a branch name, a
// payload or a config value). Outside a runner (no GITHUB_STEP_SUMMARY) it
// does nothing.
func (r *Run) failureSummary(err error) {
	s := r.Act.Summary()
	s.Heading("ladder "+r.Name+": failed", 2)
	s.Paragraph(err.Error())
	if werr := s.Write(); werr != nil {
		fmt.Fprintf(r.Deps.Stderr, "ladder %s: %v\n", r.Name, werr)
	}
}

// Warn reports config warnings: in a runner as ::warning:: annotations, in a
// terminal as FILE:LINE:COL: warning: field: message on stderr.
func (r *Run) Warn(warnings config.Errors) {
	for _, w := range warnings {
		if r.Getenv("GITHUB_ACTIONS") == "true" {
			r.Act.WarningAt(annotation(w.Pos), w.Message)
			continue
		}
		fmt.Fprintf(r.Deps.Stderr, "%s: warning: %s\n", w.Pos, w.Message)
	}
}

func annotation(p config.Pos) action.Annotation {
	return action.Annotation{File: p.File, Line: p.Line, Col: p.Col}
}

// Wait waits for the work the run left running (the ledger's compaction) and
// returns its errors.
func (r *Run) Wait() []error { return r.bg.wait() }

// RunURL is the URL of the workflow run, "" outside a runner.
func (r *Run) RunURL() string { return r.Act.Env().RunURL() }
