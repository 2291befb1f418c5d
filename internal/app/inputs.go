package app

// Every command's inputs are parsed here, by pure functions: an action's from
// get (its inputs by name, as the runner or the CLI set them), a CLI-only
// command's from its flags. None reads the environment, a file or a server;
// inputs_test.go holds a table per command. A mistake in how ladder was called
// (an unknown command, flag or input, a flag without its value, a required
// input missing, a malformed value) is a usageError, and Main exits ExitUsage
// for it, whatever the command.

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/ladder-release/ladder/internal/action"
	"github.com/ladder-release/ladder/internal/cascade"
	"github.com/ladder-release/ladder/internal/cli"
	"github.com/ladder-release/ladder/internal/config"
	"github.com/ladder-release/ladder/internal/promote"
	"github.com/ladder-release/ladder/internal/retire"
)

// requiredInput reads a required input.
func requiredInput(get func(string) string, name string) (string, error) {
	v := get(name)
	if v == "" {
		return "", cli.Misuse(fmt.Errorf("input %s: required, and not set", name))
	}
	return v, nil
}

// boolOf reads a boolean input (true, True, TRUE, false, False, FALSE).
func boolOf(get func(string) string, name string) (bool, error) {
	b, err := action.ParseBool(name, get(name))
	return b, cli.Misuse(err)
}

// resolveInputs are resolve-channel's inputs.
type resolveInputs struct {
	channel  string
	lockFile string
	dryRun   bool
}

func parseResolveInputs(get func(string) string) (resolveInputs, error) {
	var in resolveInputs
	var err error
	if in.channel, err = requiredInput(get, "channel"); err != nil {
		return in, err
	}
	in.lockFile = get("lock-file")
	in.dryRun, err = boolOf(get, "dry-run")
	return in, err
}

func parseBuildInputs(get func(string) string) (buildInputs, error) {
	var in buildInputs
	var err error
	if in.channel, err = requiredInput(get, "channel"); err != nil {
		return in, err
	}
	in.lockFile = get("lock-file")
	in.files = lines(get("files"))
	in.image = get("image")
	in.version = get("version")
	in.extraTags = lines(get("tags"))
	if in.force, err = boolOf(get, "force"); err != nil {
		return in, err
	}
	if in.dryRun, err = boolOf(get, "dry-run"); err != nil {
		return in, err
	}
	if in.version != "" {
		v, err := semver.StrictNewVersion(in.version)
		if err != nil {
			hint := ""
			if rest, ok := strings.CutPrefix(in.version, "v"); ok {
				if _, e := semver.StrictNewVersion(rest); e == nil {
					hint = " (drop the leading v)"
				}
			}
			return in, cli.Misuse(fmt.Errorf("input version: %q is not a semver version%s: %w", in.version, hint, err))
		}
		in.version = v.String()
	}
	for _, t := range in.extraTags {
		if !validTag(t) {
			return in, cli.Misuse(fmt.Errorf("input tags: %q is not a valid OCI tag ([A-Za-z0-9_][A-Za-z0-9._-]{0,127})", t))
		}
	}
	if strings.HasPrefix(in.image, "sha256:") && !isDigest(in.image) {
		return in, cli.Misuse(fmt.Errorf("input image: %q is not a digest: want sha256: and 64 lowercase hex digits (or an image reference such as REGISTRY/REPO:TAG or REPO@sha256:...)", in.image))
	}
	if in.image != "" && len(in.files) > 0 {
		return in, cli.Misuse(errors.New("inputs image and files: an image bundle carries the lock only; give one or the other"))
	}
	return in, nil
}

// modes are promote-label's modes, for suggestions.
var modes = []string{string(promote.ModePromote), string(promote.ModeRollback), string(promote.ModeHold), string(promote.ModeRelease)}

func parsePromoteInputs(get func(string) string) (promoteInputs, error) {
	var in promoteInputs
	var err error
	if in.label, err = requiredInput(get, "label"); err != nil {
		return in, err
	}
	in.from = get("from")
	mode := get("mode")
	if in.mode, err = promote.ParseMode(mode); err != nil {
		return in, cli.Misuse(fmt.Errorf("input mode: %w%s", err, config.Suggest(strings.TrimSpace(mode), modes)))
	}
	in.reason = get("reason")
	if in.force, err = boolOf(get, "force"); err != nil {
		return in, err
	}
	if in.wait, err = action.ParseDuration("wait", get("wait")); err != nil {
		return in, cli.Misuse(err)
	}
	if in.dryRun, err = boolOf(get, "dry-run"); err != nil {
		return in, err
	}
	switch in.mode {
	case promote.ModeHold, promote.ModeRelease:
		if in.from != "" {
			return in, cli.Misuse(fmt.Errorf("input from: not used with mode %s (it holds or releases the label where it is)", in.mode))
		}
		if in.force {
			return in, cli.Misuse(fmt.Errorf("input force: not used with mode %s", in.mode))
		}
	}
	if in.force && in.reason == "" {
		return in, cli.Misuse(errors.New("input reason: required with force: true (the ledger records who bypassed the gates, and why)"))
	}
	return in, nil
}

// parseCascadeInputs parses cascade-branches' inputs but its credentials
// (in.sec, which the caller reads and masks first); it reads
// app-private-key only to check that it comes with app-id.
func parseCascadeInputs(get func(string) string) (cascadeInputs, error) {
	var in cascadeInputs
	var err error
	appID := get("app-id")
	appKey := get("app-private-key")
	in.branch = get("branch")
	in.channel = get("channel")
	in.label = get("label")
	in.eventType = get("event-type")
	in.payload = get("payload")
	depth := get("max-depth")
	if in.dryRun, err = boolOf(get, "dry-run"); err != nil {
		return in, err
	}
	if in.appID, err = parseApp(appID, appKey); err != nil {
		return in, err
	}
	if depth == "" {
		in.maxDepth = cascade.DefaultMaxDepth
	} else if in.maxDepth, err = strconv.Atoi(depth); err != nil || in.maxDepth < 1 || in.maxDepth > cascade.MaxChain {
		return in, cli.Misuse(fmt.Errorf("input max-depth: %q is not a number from 1 to %d", depth, cascade.MaxChain))
	}
	if in.branch != "" {
		if err := cascade.CheckBranch(in.branch); err != nil {
			return in, cli.Misuse(fmt.Errorf("input branch: %w", err))
		}
	}
	if in.channel != "" && in.label != "" {
		return in, cli.Misuse(fmt.Errorf("inputs channel (%q) and label (%q) are both set: a run publishes a channel or moves a label; call cascade-branches once for each", in.channel, in.label))
	}
	if in.eventType != "" {
		if err := cascade.CheckEventType(in.eventType); err != nil {
			return in, cli.Misuse(fmt.Errorf("input event-type: %w", err))
		}
	}
	return in, nil
}

// parseApp reads the app-id and app-private-key inputs: both or neither;
// the id, a positive number (0: no App).
func parseApp(appID, appKey string) (int64, error) {
	switch {
	case appID != "" && appKey == "":
		return 0, cli.Misuse(errors.New("input app-id is set but app-private-key is empty: pass both (the App's id and its private key, PEM) or neither"))
	case appID == "" && appKey != "":
		return 0, cli.Misuse(errors.New("input app-private-key is set but app-id is empty: pass both (the App's id and its private key, PEM) or neither"))
	case appID != "":
		id, err := strconv.ParseInt(appID, 10, 64)
		if err != nil || id <= 0 {
			return 0, cli.Misuse(fmt.Errorf("input app-id: %q is not a GitHub App id (a positive number, shown on the App's settings page)", appID))
		}
		return id, nil
	}
	return 0, nil
}

// retireInputs are retire's inputs (ladder retire --channel C | --label L
// --reason TEXT [--undo]).
type retireInputs struct {
	channel string
	label   string
	reason  string
	undo    bool
	appID   int64
	dryRun  bool
}

// parseRetireInputs parses retire's inputs but its credentials (the caller
// reads and masks them first); it reads app-private-key only to check that
// it comes with app-id.
func parseRetireInputs(get func(string) string) (retireInputs, error) {
	var in retireInputs
	var err error
	in.channel = get("channel")
	in.label = get("label")
	in.reason = get("reason")
	appID, appKey := get("app-id"), get("app-private-key")
	if in.undo, err = boolOf(get, "undo"); err != nil {
		return in, err
	}
	if in.dryRun, err = boolOf(get, "dry-run"); err != nil {
		return in, err
	}
	switch {
	case in.channel != "" && in.label != "":
		return in, cli.Misuse(fmt.Errorf("inputs channel (%q) and label (%q) are both set: retire one at a time", in.channel, in.label))
	case in.channel == "" && in.label == "":
		return in, cli.Misuse(errors.New("input channel or label: required, and neither is set (ladder retire --channel NAME or --label NAME)"))
	}
	if err := retire.CheckReason(in.reason); err != nil {
		return in, cli.Misuse(fmt.Errorf("input reason: %w", err))
	}
	if in.appID, err = parseApp(appID, appKey); err != nil {
		return in, err
	}
	return in, nil
}

// statusOptions are `ladder status`'s flags.
type statusOptions struct {
	json    bool
	history string
}

func parseStatusFlags(flags map[string]string) (statusOptions, error) {
	var o statusOptions
	var err error
	if o.json, err = cli.FlagBool(flags, "json"); err != nil {
		return o, err
	}
	if v, ok := flags["history"]; ok {
		if v == "" || v == "true" {
			return o, cli.Misuse(errors.New("--history needs a label or channel name (--history NAME)"))
		}
		o.history = v
	}
	return o, nil
}

// catalogOptions are `ladder catalog`'s flags.
type catalogOptions struct {
	yaml bool
}

func parseCatalogFlags(flags map[string]string) (catalogOptions, error) {
	var o catalogOptions
	switch f, ok := flags["format"]; {
	case !ok || f == "json":
	case f == "yaml":
		o.yaml = true
	default:
		return o, cli.Misuse(fmt.Errorf("--format %q: want json or yaml", f))
	}
	return o, nil
}
