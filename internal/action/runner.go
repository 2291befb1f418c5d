// Package action is ladder's runner boundary: it reads inputs, writes outputs,
// masks secrets, issues workflow commands and writes the step summary, the way
// the GitHub Actions runner expects, and nothing untrusted can change the
// meaning of what it writes.
//
// Nothing here reads the process environment: the caller passes a [Getenv]
// (os.Getenv in production, a map in tests; see package actiontest).
//
// Two guarantees are the point of the package:
//
//   - An output value can never forge a GITHUB_OUTPUT record: every record is
//     written as a heredoc whose delimiter is random per record and checked not
//     to occur in the name or value (sethvargo/go-githubactions uses one fixed
//     delimiter and never checks it).
//   - Text passed to a workflow command (annotations, debug, masks, groups) is
//     escaped as the toolkit does, so it can never end the command line and
//     start another; plain log text that looks like a command is printed
//     between ::stop-commands:: markers.
package action

import (
	"crypto/rand"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
)

// Getenv looks up an environment variable, as os.Getenv does.
type Getenv func(string) string

// Runner talks to the GitHub Actions runner (or, outside one, to a terminal).
// It is safe for concurrent use.
type Runner struct {
	getenv Getenv
	stdout io.Writer
	random io.Reader

	mu         sync.Mutex
	err        error // first error writing to stdout
	inputsRead map[string]bool
	outputsSet map[string]bool
}

// Option configures a Runner.
type Option func(*Runner)

// WithRandom sets the source of randomness for output delimiters and
// stop-commands tokens (crypto/rand by default). Tests use it to force a
// delimiter collision; nil keeps the default.
func WithRandom(r io.Reader) Option {
	return func(rn *Runner) {
		if r != nil {
			rn.random = r
		}
	}
}

// New returns a Runner reading its environment through getenv and writing
// workflow commands and logs to stdout.
func New(getenv Getenv, stdout io.Writer, opts ...Option) *Runner {
	if getenv == nil {
		panic("action.New: nil getenv")
	}
	if stdout == nil {
		panic("action.New: nil stdout")
	}
	r := &Runner{
		getenv:     getenv,
		stdout:     stdout,
		random:     rand.Reader,
		inputsRead: map[string]bool{},
		outputsSet: map[string]bool{},
	}
	for _, opt := range opts {
		if opt != nil {
			opt(r)
		}
	}
	return r
}

// Getenv reads an environment variable through the Runner's getenv.
func (r *Runner) Getenv(key string) string { return r.getenv(key) }

// Err returns the first error met writing to stdout (workflow commands,
// masks, logs), or nil. Commands do not return errors one by one; check Err
// before exiting.
func (r *Runner) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// InputEnvName is the environment variable the runner sets for an input:
// INPUT_ and the name upper-cased with spaces replaced by underscores; hyphens
// are kept (lock-file -> INPUT_LOCK-FILE).
func InputEnvName(name string) string {
	return "INPUT_" + strings.ToUpper(strings.ReplaceAll(name, " ", "_"))
}

// Input returns the value of an input, trimmed of surrounding white space,
// or "" when it is not set.
func (r *Runner) Input(name string) string {
	r.mu.Lock()
	r.inputsRead[name] = true
	r.mu.Unlock()
	return strings.TrimSpace(r.getenv(InputEnvName(name)))
}

// SecretInput returns the value of an input after masking it (see AddMask),
// so the value is masked before its first use.
func (r *Runner) SecretInput(name string) string {
	v := r.Input(name)
	r.AddMask(v)
	return v
}

// BoolInput parses an input as the toolkit's getBooleanInput does: true,
// True and TRUE are true; false, False and FALSE are false; anything else,
// the empty string included, is an error naming the input and the value.
// (In a runner the default from action.yml is always set; a CLI caller must
// supply defaults itself.)
func (r *Runner) BoolInput(name string) (bool, error) { return ParseBool(name, r.Input(name)) }

// ParseBool is BoolInput on a value already read: v is input name's value.
func ParseBool(name, v string) (bool, error) {
	switch v {
	case "true", "True", "TRUE":
		return true, nil
	case "false", "False", "FALSE":
		return false, nil
	}
	return false, fmt.Errorf("input %s: %q is not a boolean (want one of true, True, TRUE, false, False, FALSE)", name, v)
}

// DurationInput parses an input with time.ParseDuration ("90s", "5m",
// "1h30m"). An empty input is zero, so the caller can apply its own default;
// a negative duration is an error.
func (r *Runner) DurationInput(name string) (time.Duration, error) {
	return ParseDuration(name, r.Input(name))
}

// ParseDuration is DurationInput on a value already read.
func ParseDuration(name, v string) (time.Duration, error) {
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("input %s: %q is not a duration (like 90s, 5m or 1h30m): %w", name, v, err)
	}
	if d < 0 {
		return 0, fmt.Errorf("input %s: %q is negative", name, v)
	}
	return d, nil
}

// InputsRead returns the names of the inputs the code asked for, sorted.
func (r *Runner) InputsRead() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Sorted(maps.Keys(r.inputsRead))
}

// OutputsSet returns the names of the outputs set so far, sorted.
func (r *Runner) OutputsSet() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Sorted(maps.Keys(r.outputsSet))
}

// write sends one block of text to stdout in a single Write call, keeping the
// first error for Err.
func (r *Runner) write(s string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, err := io.WriteString(r.stdout, s)
	if err != nil {
		err = fmt.Errorf("writing to stdout: %w", err)
		if r.err == nil {
			r.err = err
		}
	}
	return err
}

// token returns a fresh random UUID-like string (version 4 layout).
func (r *Runner) token() (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(r.random, b[:]); err != nil {
		return "", fmt.Errorf("reading randomness: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]), nil
}
