// Package app holds one file per action: each gathers inputs and remote state,
// hands plain values to a pure domain function, applies the result and writes
// outputs. This file is the dispatch: the same binary is the action (reading
// INPUT_* as the runner sets them) and the CLI (`ladder NAME --input value`).
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
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

// Version is the ladder version, set at build time with -ldflags.
var Version = "dev"

// Deps is everything the app takes from the outside world. main fills it
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

// external adapts a binary's Command to the dispatch.
func external(c Command) command {
	cmd := command{usage: c.Usage, run: func(ctx context.Context, r *run) error {
		return c.Run(ctx, Call{Deps: r.deps, Getenv: r.getenv, Flag: func(n string) string { return r.flag(n, "") },
			Bool: func(n string) (bool, error) { return flagBool(r.flags, n) }})
	}}
	for _, f := range c.Flags {
		doc := cli.Flag{Name: f, Value: "VALUE"}
		if slices.Contains(c.Bools, f) {
			doc.Value = ""
		}
		cmd.flags = append(cmd.flags, doc)
	}
	return cmd
}

// Exit codes.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
)

type command struct {
	run   func(ctx context.Context, r *run) error
	usage string
	// flags are a CLI-only command's flags, checked before run; an
	// action's inputs are those of its action.yml.
	flags []cli.Flag
	args  bool // takes positional arguments (ladder diff A B)
}

var configFlag = cli.Flag{Name: "config", Value: "PATH", Doc: "the config file (default " + config.DefaultPath + ")"}

var commands = map[string]command{
	"resolve-channel":  {run: resolveChannel, usage: "resolve a channel to a lock"},
	"build-bundle":     {run: buildBundle, usage: "publish a lock as a bundle, claimed in the ledger"},
	"cascade-branches": {run: cascadeBranches, usage: "dispatch the next hops of a branch or repository cascade"},
	"promote-label":    {run: promoteLabel, usage: "move a label to a bundle once its gates pass; roll back, hold, release"},
	"retire":           {run: retireCommand, usage: "end a channel or label in one step (--channel C | --label L --reason TEXT; --undo reverses it)"},
	"validate":         {run: validate, usage: "check a config file (--config PATH)", flags: []cli.Flag{configFlag}},
	"schema":           {run: schema, usage: "print the config's JSON Schema"},
	"version":          {run: printVersion, usage: "print ladder's version"},
	"status": {run: statusCommand, usage: "every channel and label: version, since when, gates, holds (--json, --history NAME)", flags: []cli.Flag{
		configFlag,
		{Name: "history", Value: "NAME", Doc: "one label's or channel's history, newest first (needs a ledger)"},
		{Name: "json", Value: "", Doc: "print JSON instead of a table"},
	}},
	"catalog": {run: catalogCommand, usage: "print the export.olm OLM file-based catalog generated from the ledger (--format json|yaml)", flags: []cli.Flag{
		configFlag,
		{Name: "format", Value: "json|yaml", Doc: "the catalog's format (default json)"},
	}},
	"diff": {run: diffCommand, args: true, usage: "what bundle B brings over bundle A, per component: ladder diff A B (versions, digests, channels or labels; --json)", flags: []cli.Flag{
		configFlag,
		{Name: "json", Value: "", Doc: "print JSON (build-bundle's changes output) instead of a table"},
	}},
}

// Main runs one command and returns the process exit code.
func Main(ctx context.Context, args []string, d Deps) int {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Stdout == nil {
		d.Stdout = io.Discard
	}
	if d.Stderr == nil {
		d.Stderr = io.Discard
	}
	if d.Getenv == nil {
		d.Getenv = func(string) string { return "" }
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || (args[0] == "help" && len(args) == 1) {
		usage(d.Stdout, d.Commands)
		if len(args) == 0 {
			return ExitUsage
		}
		return ExitOK
	}
	name, helping := args[0], false
	if name == "help" { // ladder help NAME
		name, helping = args[1], true
	}
	cmd, ok := lookupCommand(name, d.Commands)
	if !ok {
		fmt.Fprintf(d.Stderr, "ladder: unknown command %q%s\n", name, config.Suggest(name, commandNames(d.Commands)))
		usage(d.Stderr, d.Commands)
		return ExitUsage
	}
	if helping || cli.WantsHelp(args[1:]) {
		if err := help(d.Stdout, name, cmd); err != nil {
			fmt.Fprintf(d.Stderr, "ladder %s: %v\n", name, err)
			return ExitFailure
		}
		return ExitOK
	}
	rest, positional := args[1:], []string(nil)
	if cmd.args {
		positional, rest = cli.SplitPositional(rest)
	}
	r, err := newRun(name, rest, d, cmd)
	if err != nil {
		fmt.Fprintf(d.Stderr, "ladder %s: %v\n", name, err)
		return ExitUsage
	}
	r.args = positional
	err = cmd.run(ctx, r)
	for _, e := range r.bg.wait() {
		// the ledger is whole without it: a later write splits the state
		r.act.Infof("ladder: note: the ledger's history was not moved into segments this time (a later write does it): %v", e)
	}
	if err != nil {
		r.fail(r.explainRegistryRefusal(err))
		if isUsage(err) {
			return ExitUsage
		}
		return ExitFailure
	}
	return ExitOK
}

// lookupCommand finds a command: ladder's own, else one the binary added.
func lookupCommand(name string, extra map[string]Command) (command, bool) {
	if cmd, ok := commands[name]; ok {
		return cmd, true
	}
	if ext, ok := extra[name]; ok {
		return external(ext), true
	}
	return command{}, false
}

func commandNames(extra map[string]Command) []string {
	names := slices.Collect(maps.Keys(commands))
	for n := range extra {
		if _, own := commands[n]; !own {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}

// usage lists ladder's commands and those the binary added.
func usage(w io.Writer, extra map[string]Command) {
	all := map[string]string{}
	for n, c := range commands {
		all[n] = c.usage
	}
	for n, c := range extra {
		if _, own := all[n]; !own {
			all[n] = c.Usage
		}
	}
	cli.Usage(w, all)
}

// help prints what `ladder NAME --help` prints: an action's from its
// action.yml, a CLI-only command's from its entry.
func help(w io.Writer, name string, cmd command) error {
	if meta, err := actions.Load(name); err == nil {
		cli.ActionHelp(w, name, meta)
	} else {
		usageName := name
		if cmd.args {
			usageName += " A B" // ladder diff's two bundles
		}
		cli.CommandHelp(w, usageName, cmd.usage, cmd.flags)
	}
	return nil
}

// needsValue is the error about a flag given without a value.
func needsValue(name string) error { return cli.NeedsValue(name) }

// cliDefault turns an action.yml default into what the CLI uses.
func cliDefault(getenv func(string) string, def string) string { return cli.Default(getenv, def) }

// run is one invocation: the runner boundary plus what every action shares.
type run struct {
	name   string
	deps   Deps
	getenv func(string) string
	act    *action.Runner
	meta   *actions.Metadata // nil for CLI-only commands
	flags  map[string]string // CLI-only commands' flags
	args   []string          // positional arguments, for a command that takes them
	// onClaim, when set, is told the moment build-bundle's claim lands: the
	// replaced bundle (digest, lock digest) and the new one's digest
	onClaim func(oldDigest, oldLock, newDigest string)

	httpOnce sync.Once
	http     *http.Client
	ghOnce   sync.Once
	gh       *github.Client
	ghErr    error

	registryHost string // the product's registry, once a registry client was made
	registryUser string // its registry-username, "" for none

	bg background // work left running (the ledger's compaction), waited for at the end
}

// newRun builds the environment a command sees. For an action, CLI flags
// become INPUT_* values and action.yml defaults fill what neither the runner
// nor a flag set, so the CLI and the runner read inputs through one path.
func newRun(name string, args []string, d Deps, cmd command) (*run, error) {
	meta, metaErr := actions.Load(name)
	flagList, bools := cli.FlagNames(cmd.flags)
	isBool := func(flag string) bool { return slices.Contains(bools, flag) }
	if metaErr == nil {
		isBool = func(flag string) bool { return cli.BoolInput(meta, flag) }
	}
	flags, bare, err := cli.ParseFlags(args, isBool)
	if err != nil {
		return nil, misuse(err)
	}
	r := &run{name: name, deps: d, getenv: d.Getenv, flags: flags}
	if metaErr == nil {
		r.meta = meta
		overlay := map[string]string{}
		for _, k := range slices.Sorted(maps.Keys(flags)) {
			if _, ok := meta.Inputs[k]; !ok {
				return nil, misuse(fmt.Errorf("unknown input --%s (inputs: %s)%s", k, strings.Join(meta.InputNames(), ", "), config.Suggest(k, meta.InputNames())))
			}
			v := flags[k]
			overlay[action.InputEnvName(k)] = v
		}
		if len(bare) > 0 {
			return nil, misuse(needsValue(bare[0]))
		}
		for k, in := range meta.Inputs {
			key := action.InputEnvName(k)
			if _, set := overlay[key]; set {
				continue
			}
			if _, present := cli.Lookup(d.Getenv, key); present {
				continue // the runner set it (it sets every declared input)
			}
			overlay[key] = cliDefault(d.Getenv, in.Default)
		}
		r.getenv = func(k string) string {
			if v, ok := overlay[k]; ok {
				return v
			}
			return d.Getenv(k)
		}
	} else if err := checkFlags(flags, bare, flagList); err != nil {
		return nil, err
	}
	r.act = action.New(r.getenv, d.Stdout)
	return r, nil
}

// input reads an action input (declared in action.yml).
func (r *run) input(name string) string { return r.act.Input(name) }

// flag reads a CLI-only command's flag.
func (r *run) flag(name, def string) string {
	if v, ok := r.flags[name]; ok {
		return v
	}
	return def
}

// workspacePath resolves a path the user gave relative to GITHUB_WORKSPACE
// (the checkout) when that is set, else relative to the working directory.
func (r *run) workspacePath(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	if ws := r.getenv("GITHUB_WORKSPACE"); ws != "" {
		return filepath.Join(ws, p)
	}
	return p
}

// loadConfig reads the config named by the `config` input (or --config).
func (r *run) loadConfig() (*config.Config, error) {
	p := r.input("config")
	if r.meta == nil {
		p = r.flag("config", config.DefaultPath)
	}
	if p == "" {
		p = config.DefaultPath
	}
	data, err := os.ReadFile(r.workspacePath(p))
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

func at(cfg *config.Config, path string, err error) error {
	if err == nil {
		return nil
	}
	if p, ok := cfg.Pos[path]; ok {
		return &posError{pos: p, err: err}
	}
	return err
}

// fail reports err: in a runner as ::error:: annotations (at the config line
// at fault where there is one), in a terminal as a plain message on stderr.
// An action also writes a step summary saying it failed, and why.
func (r *run) fail(err error) {
	if r.meta != nil {
		r.failureSummary(err)
	}
	if r.getenv("GITHUB_ACTIONS") != "true" {
		if located(err) {
			// FILE:LINE:COL: field: message, one line per error, nothing
			// before it: what problem matchers and editors read
			fmt.Fprintln(r.deps.Stderr, err)
			return
		}
		fmt.Fprintf(r.deps.Stderr, "ladder %s: %v\n", r.name, err)
		return
	}
	var cerrs config.Errors
	var cerr *config.Error
	var perr *posError
	switch {
	case errors.As(err, &cerrs):
		for _, e := range cerrs {
			r.act.ErrorAt(annotation(e.Pos), e.Message)
		}
	case errors.As(err, &cerr):
		r.act.ErrorAt(annotation(cerr.Pos), cerr.Message)
	case errors.As(err, &perr):
		r.act.ErrorAt(annotation(perr.pos), perr.err.Error())
	default:
		r.act.Errorf("%s", err.Error())
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
func (r *run) failureSummary(err error) {
	s := r.act.Summary()
	s.Heading("ladder "+r.name+": failed", 2)
	s.Paragraph(err.Error())
	if werr := s.Write(); werr != nil {
		fmt.Fprintf(r.deps.Stderr, "ladder %s: %v\n", r.name, werr)
	}
}

// warn reports config warnings: in a runner as ::warning:: annotations, in a
// terminal as FILE:LINE:COL: warning: field: message on stderr.
func (r *run) warn(warnings config.Errors) {
	for _, w := range warnings {
		if r.getenv("GITHUB_ACTIONS") == "true" {
			r.act.WarningAt(annotation(w.Pos), w.Message)
			continue
		}
		fmt.Fprintf(r.deps.Stderr, "%s: warning: %s\n", w.Pos, w.Message)
	}
}

func annotation(p config.Pos) action.Annotation {
	return action.Annotation{File: p.File, Line: p.Line, Col: p.Col}
}

func validate(ctx context.Context, r *run) error {
	cfg, err := r.loadConfig()
	if err != nil {
		return err
	}
	errs, warnings := config.Lint(cfg)
	r.warn(warnings)
	if len(errs) > 0 {
		return errs
	}
	fmt.Fprintf(r.deps.Stdout, "%s: ok (%d components, %d channels, %d labels)\n", cfg.File, len(cfg.Components), len(cfg.Channels), len(cfg.Labels))
	return nil
}

func schema(ctx context.Context, r *run) error {
	_, err := r.deps.Stdout.Write(config.Schema())
	return err
}

func printVersion(ctx context.Context, r *run) error {
	bi, ok := readBuildInfo()
	if !ok {
		bi = nil
	}
	fmt.Fprintln(r.deps.Stdout, cli.VersionLine(Version, bi))
	return nil
}

// readBuildInfo is debug.ReadBuildInfo; tests replace it.
var readBuildInfo = debug.ReadBuildInfo
