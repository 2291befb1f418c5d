package action

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// DelimiterPrefix starts every GITHUB_OUTPUT heredoc delimiter, as in
// actions/toolkit.
const DelimiterPrefix = "ghadelimiter_"

// maxDelimiterTries bounds the search for a delimiter absent from the record;
// with 122 random bits a second try is already astronomically unlikely.
const maxDelimiterTries = 16

var outputName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// SetOutput sets the output name to value.
//
// Inside a runner (GITHUB_OUTPUT set) it appends the record
//
//	name<<ghadelimiter_UUID
//	value
//	ghadelimiter_UUID
//
// to that file, with a delimiter drawn fresh for each record and redrawn
// until it occurs in neither the name nor the value, so no value (CR, LF,
// "<<", another record, a fixed delimiter) can end the record early: every
// value round-trips exactly. (The runner decodes the file as UTF-8, so
// invalid UTF-8 bytes come out as U+FFFD; the record structure is unaffected.)
//
// Outside a runner (GITHUB_OUTPUT unset: the CLI) it prints name=value to
// stdout, or for a value with CR or LF a heredoc with a deterministic
// delimiter (EOF, EOF1, ...) that does not occur in the value.
//
// The name must match ^[A-Za-z0-9_-]+$.
func (r *Runner) SetOutput(name, value string) error {
	if !outputName.MatchString(name) {
		return fmt.Errorf("output name %q: want letters, digits, '_' and '-' only", name)
	}
	path := r.getenv("GITHUB_OUTPUT")
	if path == "" {
		if err := r.print(cliOutput(name, value)); err != nil {
			return fmt.Errorf("setting output %s: %w", name, err)
		}
		r.markOutput(name)
		return nil
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	record, err := r.outputRecord(name, value)
	if err != nil {
		return fmt.Errorf("setting output %s: %w", name, err)
	}
	if err := appendFile(path, record); err != nil {
		return fmt.Errorf("setting output %s: %w", name, err)
	}
	r.outputsSet[name] = true
	return nil
}

func (r *Runner) markOutput(name string) {
	r.mu.Lock()
	r.outputsSet[name] = true
	r.mu.Unlock()
}

// outputRecord formats one GITHUB_OUTPUT heredoc record.
func (r *Runner) outputRecord(name, value string) (string, error) {
	for range maxDelimiterTries {
		tok, err := r.token()
		if err != nil {
			return "", err
		}
		delim := DelimiterPrefix + tok
		if strings.Contains(name, delim) || strings.Contains(value, delim) {
			continue
		}
		return name + "<<" + delim + "\n" + value + "\n" + delim + "\n", nil
	}
	return "", errors.New("no delimiter absent from the value after repeated tries; is the random source broken?")
}

// cliOutput formats an output for a person or a shell script reading stdout.
func cliOutput(name, value string) string {
	if !strings.ContainsAny(value, "\r\n") {
		return name + "=" + value + "\n"
	}
	delim := "EOF"
	for i := 1; strings.Contains(value, delim) || strings.Contains(name, delim); i++ {
		delim = "EOF" + strconv.Itoa(i)
	}
	return name + "<<" + delim + "\n" + value + "\n" + delim + "\n"
}

// appendFile appends s to the file at path in a single write, as the
// toolkit's file commands do.
func appendFile(path, s string) (err error) {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	_, err = f.WriteString(s)
	return err
}
