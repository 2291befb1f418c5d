package cli

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/ladder-release/ladder/internal/config"
)

// A mistake in how ladder was called (an unknown command, flag or input, a
// flag without its value, a required input missing, a malformed value) is a
// usage error, and ladder exits 2 for it, whatever the command.

// usageError is a mistake in how ladder was called, not in what it found.
// Its text is the mistake's own.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// Misuse marks err (nil stays nil) as a usage error.
func Misuse(err error) error {
	if err == nil || IsUsage(err) {
		return err
	}
	return &usageError{err: err}
}

// IsUsage says whether err is, or wraps, a usage error.
func IsUsage(err error) bool {
	var u *usageError
	return errors.As(err, &u)
}

// CheckFlags refuses a flag not in allowed, naming the first (sorted) one,
// then a flag given without a value that is not a boolean (bare).
func CheckFlags(flags map[string]string, bare, allowed []string) error {
	for _, k := range slices.Sorted(maps.Keys(flags)) {
		if !slices.Contains(allowed, k) {
			if len(allowed) == 0 {
				return Misuse(fmt.Errorf("unknown flag --%s (this command takes none)", k))
			}
			return Misuse(fmt.Errorf("unknown flag --%s (flags: --%s)%s", k, strings.Join(allowed, ", --"), config.Suggest(k, allowed)))
		}
	}
	if len(bare) > 0 {
		return Misuse(NeedsValue(bare[0]))
	}
	return nil
}

// FlagBool reads a boolean flag (absent: false), spelled as YAML 1.2's core
// schema and the runner's inputs spell booleans.
func FlagBool(flags map[string]string, name string) (bool, error) {
	v, ok := flags[name]
	if !ok {
		return false, nil
	}
	switch v {
	case "true", "True", "TRUE":
		return true, nil
	case "false", "False", "FALSE":
		return false, nil
	default:
		return false, Misuse(fmt.Errorf("--%s: %q is not a boolean", name, v))
	}
}
