// Package inputs parses every action's inputs, by pure functions, from get
// (its inputs by name, as the runner or the CLI set them). None reads the
// environment, a file or a server; inputs_test.go holds a table per action.
// A mistake in how ladder was called (a required input missing, a malformed
// value) is a usage error (cli.Misuse): ladder exits 2 for it, whatever the
// command.
package inputs

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"

	"github.com/ladder-release/ladder/internal/action"
	"github.com/ladder-release/ladder/internal/cascade"
	"github.com/ladder-release/ladder/internal/channel"
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

// Resolve are resolve-channel's inputs.
type Resolve struct {
	Channel  string
	LockFile string
	DryRun   bool
}

// ParseResolve parses resolve-channel's inputs.
func ParseResolve(get func(string) string) (Resolve, error) {
	var in Resolve
	var err error
	if in.Channel, err = requiredInput(get, "channel"); err != nil {
		return in, err
	}
	in.LockFile = get("lock-file")
	in.DryRun, err = boolOf(get, "dry-run")
	return in, err
}

// ParseBuild parses build-bundle's inputs.
func ParseBuild(get func(string) string) (Build, error) {
	var in Build
	var err error
	if in.Channel, err = requiredInput(get, "channel"); err != nil {
		return in, err
	}
	in.LockFile = get("lock-file")
	in.Files = lines(get("files"))
	in.Image = get("image")
	in.Version = get("version")
	in.ExtraTags = lines(get("tags"))
	if in.Force, err = boolOf(get, "force"); err != nil {
		return in, err
	}
	if in.DryRun, err = boolOf(get, "dry-run"); err != nil {
		return in, err
	}
	if in.Version != "" {
		v, err := semver.StrictNewVersion(in.Version)
		if err != nil {
			hint := ""
			if rest, ok := strings.CutPrefix(in.Version, "v"); ok {
				if _, e := semver.StrictNewVersion(rest); e == nil {
					hint = " (drop the leading v)"
				}
			}
			return in, cli.Misuse(fmt.Errorf("input version: %q is not a semver version%s: %w", in.Version, hint, err))
		}
		in.Version = v.String()
	}
	for _, t := range in.ExtraTags {
		if !validTag(t) {
			return in, cli.Misuse(fmt.Errorf("input tags: %q is not a valid OCI tag ([A-Za-z0-9_][A-Za-z0-9._-]{0,127})", t))
		}
	}
	if strings.HasPrefix(in.Image, "sha256:") && !IsDigest(in.Image) {
		return in, cli.Misuse(fmt.Errorf("input image: %q is not a digest: want sha256: and 64 lowercase hex digits (or an image reference such as REGISTRY/REPO:TAG or REPO@sha256:...)", in.Image))
	}
	if in.Image != "" && len(in.Files) > 0 {
		return in, cli.Misuse(errors.New("inputs image and files: an image bundle carries the lock only; give one or the other"))
	}
	return in, nil
}

// modes are promote-label's modes, for suggestions.
var modes = []string{string(promote.ModePromote), string(promote.ModeRollback), string(promote.ModeHold), string(promote.ModeRelease)}

// ParsePromote parses promote-label's inputs.
func ParsePromote(get func(string) string) (Promote, error) {
	var in Promote
	var err error
	if in.Label, err = requiredInput(get, "label"); err != nil {
		return in, err
	}
	in.From = get("from")
	mode := get("mode")
	if in.Mode, err = promote.ParseMode(mode); err != nil {
		return in, cli.Misuse(fmt.Errorf("input mode: %w%s", err, config.Suggest(strings.TrimSpace(mode), modes)))
	}
	in.Reason = get("reason")
	if in.Force, err = boolOf(get, "force"); err != nil {
		return in, err
	}
	if in.Wait, err = action.ParseDuration("wait", get("wait")); err != nil {
		return in, cli.Misuse(err)
	}
	if in.DryRun, err = boolOf(get, "dry-run"); err != nil {
		return in, err
	}
	switch in.Mode {
	case promote.ModeHold, promote.ModeRelease:
		if in.From != "" {
			return in, cli.Misuse(fmt.Errorf("input from: not used with mode %s (it holds or releases the label where it is)", in.Mode))
		}
		if in.Force {
			return in, cli.Misuse(fmt.Errorf("input force: not used with mode %s", in.Mode))
		}
	}
	if in.Force && in.Reason == "" {
		return in, cli.Misuse(errors.New("input reason: required with force: true (the ledger records who bypassed the gates, and why)"))
	}
	return in, nil
}

// ParseCascade parses cascade-branches' inputs but its credentials
// (which the caller reads and masks first); it reads
// app-private-key only to check that it comes with app-id.
func ParseCascade(get func(string) string) (Cascade, error) {
	var in Cascade
	var err error
	appID := get("app-id")
	appKey := get("app-private-key")
	in.Branch = get("branch")
	in.Channel = get("channel")
	in.Label = get("label")
	in.EventType = get("event-type")
	in.Payload = get("payload")
	depth := get("max-depth")
	if in.DryRun, err = boolOf(get, "dry-run"); err != nil {
		return in, err
	}
	if in.AppID, err = parseApp(appID, appKey); err != nil {
		return in, err
	}
	if depth == "" {
		in.MaxDepth = cascade.DefaultMaxDepth
	} else if in.MaxDepth, err = strconv.Atoi(depth); err != nil || in.MaxDepth < 1 || in.MaxDepth > cascade.MaxChain {
		return in, cli.Misuse(fmt.Errorf("input max-depth: %q is not a number from 1 to %d", depth, cascade.MaxChain))
	}
	if in.Branch != "" {
		if err := cascade.CheckBranch(in.Branch); err != nil {
			return in, cli.Misuse(fmt.Errorf("input branch: %w", err))
		}
	}
	if in.Channel != "" && in.Label != "" {
		return in, cli.Misuse(fmt.Errorf("inputs channel (%q) and label (%q) are both set: a run publishes a channel or moves a label; call cascade-branches once for each", in.Channel, in.Label))
	}
	if in.EventType != "" {
		if err := cascade.CheckEventType(in.EventType); err != nil {
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

// Retire are retire's inputs (ladder retire --channel C | --label L
// --reason TEXT [--undo]).
type Retire struct {
	Channel string
	Label   string
	Reason  string
	Undo    bool
	AppID   int64
	DryRun  bool
}

// ParseRetire parses retire's inputs but its credentials (the caller
// reads and masks them first); it reads app-private-key only to check that
// it comes with app-id.
func ParseRetire(get func(string) string) (Retire, error) {
	var in Retire
	var err error
	in.Channel = get("channel")
	in.Label = get("label")
	in.Reason = get("reason")
	appID, appKey := get("app-id"), get("app-private-key")
	if in.Undo, err = boolOf(get, "undo"); err != nil {
		return in, err
	}
	if in.DryRun, err = boolOf(get, "dry-run"); err != nil {
		return in, err
	}
	switch {
	case in.Channel != "" && in.Label != "":
		return in, cli.Misuse(fmt.Errorf("inputs channel (%q) and label (%q) are both set: retire one at a time", in.Channel, in.Label))
	case in.Channel == "" && in.Label == "":
		return in, cli.Misuse(errors.New("input channel or label: required, and neither is set (ladder retire --channel NAME or --label NAME)"))
	}
	if err := retire.CheckReason(in.Reason); err != nil {
		return in, cli.Misuse(fmt.Errorf("input reason: %w", err))
	}
	if in.AppID, err = parseApp(appID, appKey); err != nil {
		return in, err
	}
	return in, nil
}

// Build are build-bundle's inputs.
type Build struct {
	Channel   string
	LockFile  string
	Files     []string
	Image     string
	Version   string
	ExtraTags []string
	Force     bool
	DryRun    bool
}

// Promote are promote-label's inputs.
type Promote struct {
	Label  string
	From   string
	Mode   promote.Mode
	Reason string
	Force  bool
	Wait   time.Duration
	DryRun bool
}

// Cascade are cascade-branches' inputs but its credentials.
type Cascade struct {
	Branch    string
	Channel   string
	Label     string
	EventType string
	Payload   string
	AppID     int64
	MaxDepth  int
	DryRun    bool
}

// lines splits a multi-line input into its non-empty, trimmed lines.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// IsDigest: d is a bare sha256 digest, "sha256:" and 64 lowercase hex digits.
func IsDigest(d string) bool {
	h, ok := strings.CutPrefix(d, "sha256:")
	return ok && len(h) == 64 && strings.Trim(h, "0123456789abcdef") == ""
}

func validTag(t string) bool {
	if len(t) == 0 || len(t) > channel.MaxTag {
		return false
	}
	for i, c := range t {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || (i > 0 && (c == '.' || c == '-'))
		if !ok {
			return false
		}
	}
	return true
}
