// Package app holds one file per action: each gathers inputs and remote state,
// hands plain values to a pure domain function, applies the result and writes
// outputs. This file is the dispatch: the same binary is the action (reading
// INPUT_* as the runner sets them) and the CLI (`ladder NAME --input value`).
package app

import (
	"context"
	"fmt"
	"io"
	"maps"
	"runtime/debug"
	"slices"
	"time"

	"github.com/ladder-release/ladder/actions"
	"github.com/ladder-release/ladder/internal/cli"
	"github.com/ladder-release/ladder/internal/config"
	"github.com/ladder-release/ladder/internal/query"
	"github.com/ladder-release/ladder/internal/session"
)

// Version is the ladder version, set at build time with -ldflags.
var Version = "dev"

// external adapts a binary's Command to the dispatch.
func external(c Command) command {
	cmd := command{usage: c.Usage, run: func(ctx context.Context, r *run) error {
		return c.Run(ctx, Call{Deps: r.Deps, Getenv: r.Getenv, Flag: func(n string) string { return r.Flag(n, "") },
			Bool: func(n string) (bool, error) { return cli.FlagBool(r.Flags, n) }})
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

// Deps is everything the app takes from the outside world (session.Deps).
type Deps = session.Deps

// Command is a command the binary adds (Deps.Commands), and Call one
// invocation of it (session.Command, session.Call).
type (
	Command = session.Command
	Call    = session.Call
)

// run is one invocation of a command: the session (the runner boundary, the
// config, the clients) with the actions' steps as methods.
type run struct{ *session.Run }

// start is an action's first step: its credentials (masked before anything
// reads them), its inputs (parse), then the config.
func start[T any](r *run, parse func(get func(string) string) (T, error)) (session.Secrets, T, *config.Config, error) {
	var in T
	sec, err := r.Secrets()
	if err != nil {
		return sec, in, nil, err
	}
	if in, err = parse(r.Input); err != nil {
		return sec, in, nil, err
	}
	cfg, err := r.LoadConfig()
	return sec, in, cfg, err
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
	"status": {run: onSession(query.Status), usage: "every channel and label: version, since when, gates, holds (--json, --history NAME)", flags: []cli.Flag{
		configFlag,
		{Name: "history", Value: "NAME", Doc: "one label's or channel's history, newest first (needs a ledger)"},
		{Name: "json", Value: "", Doc: "print JSON instead of a table"},
	}},
	"catalog": {run: onSession(query.Catalog), usage: "print the export.olm OLM file-based catalog generated from the ledger (--format json|yaml)", flags: []cli.Flag{
		configFlag,
		{Name: "format", Value: "json|yaml", Doc: "the catalog's format (default json)"},
	}},
	"diff": {run: onSession(query.Diff), args: true, usage: "what bundle B brings over bundle A, per component: ladder diff A B (versions, digests, channels or labels; --json)", flags: []cli.Flag{
		configFlag,
		{Name: "json", Value: "", Doc: "print JSON (build-bundle's changes output) instead of a table"},
	}},
}

// onSession adapts a command that needs only the session (query's) to the
// dispatch.
func onSession(f func(context.Context, *session.Run) error) func(context.Context, *run) error {
	return func(ctx context.Context, r *run) error { return f(ctx, r.Run) }
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
	s, err := session.New(name, rest, d, cmd.flags, Version)
	if err != nil {
		fmt.Fprintf(d.Stderr, "ladder %s: %v\n", name, err)
		return ExitUsage
	}
	r := &run{s}
	r.Args = positional
	err = cmd.run(ctx, r)
	for _, e := range r.Wait() {
		// the ledger is whole without it: a later write splits the state
		r.Act.Infof("ladder: note: the ledger's history was not moved into segments this time (a later write does it): %v", e)
	}
	if err != nil {
		r.Fail(r.ExplainRegistryRefusal(err))
		if cli.IsUsage(err) {
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

func validate(ctx context.Context, r *run) error {
	cfg, err := r.LoadConfig()
	if err != nil {
		return err
	}
	errs, warnings := config.Lint(cfg)
	r.Warn(warnings)
	if len(errs) > 0 {
		return errs
	}
	fmt.Fprintf(r.Deps.Stdout, "%s: ok (%d components, %d channels, %d labels)\n", cfg.File, len(cfg.Components), len(cfg.Channels), len(cfg.Labels))
	return nil
}

func schema(ctx context.Context, r *run) error {
	_, err := r.Deps.Stdout.Write(config.Schema())
	return err
}

func printVersion(ctx context.Context, r *run) error {
	bi, ok := readBuildInfo()
	if !ok {
		bi = nil
	}
	fmt.Fprintln(r.Deps.Stdout, cli.VersionLine(Version, bi))
	return nil
}

// readBuildInfo is debug.ReadBuildInfo; tests replace it.
var readBuildInfo = debug.ReadBuildInfo
