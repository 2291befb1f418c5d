package cascade

import (
	"errors"
	"fmt"
	"github.com/ladder-release/ladder/internal/refname"
	"regexp"
	"strings"
	"unicode/utf8"
)

const (
	maxIDLen     = 128
	maxEventType = 100 // characters (GitHub's limit for a repository_dispatch event type)
)

var (
	// repoRe: owner/name as GitHub allows them.
	repoRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$`)
	// shaRe: a full commit id, SHA-1 or SHA-256.
	shaRe = regexp.MustCompile(`^(?:[0-9a-f]{40}|[0-9a-f]{64})$`)
	// idRe: a correlation id.
	idRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]*$`)
	// channelRe: a channel name is an OCI tag.
	channelRe = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$`)
)

// CheckBranch reports whether name is a valid git branch name (what
// `git check-ref-format --branch` accepts, minus a leading "-", and at most
// 255 bytes). Branch names from payloads and inputs are untrusted: they are
// checked before they become targets.
func CheckBranch(name string) error {
	if why := branchProblem(name); why != "" {
		return fmt.Errorf("invalid branch name %s: %s", quote(name), why)
	}
	return nil
}

// IsFullSHA reports whether s is a full commit id (40 or 64 lowercase hex
// digits), the form a cascade payload carries.
func IsFullSHA(s string) bool { return shaProblem(s) == "" }

// CheckEventType reports whether s can be a repository_dispatch event type
// (GitHub: 1 to 100 characters).
func CheckEventType(s string) error {
	if why := eventTypeProblem(s); why != "" {
		return errors.New(why)
	}
	return nil
}

// branchProblem says why s is not a valid branch name, or "" if it is.
func branchProblem(s string) string { return refname.Problem(s) }

// repoProblem says why s is not a GitHub owner/name, or "" if it is.
func repoProblem(s string) string {
	_, name, _ := strings.Cut(s, "/")
	if !repoRe.MatchString(s) || name == "." || name == ".." {
		return `expected owner/name (letters, digits, "-" in the owner; letters, digits, ".", "_", "-" in the name)`
	}
	return ""
}

// shaProblem says why s is not a full commit id, or "" if it is.
func shaProblem(s string) string {
	if !shaRe.MatchString(s) {
		return "expected a full commit SHA (40 or 64 lowercase hex digits)"
	}
	return ""
}

// idProblem says why s is not a valid correlation id, or "" if it is.
func idProblem(s string) string {
	switch {
	case s == "":
		return "empty"
	case len(s) > maxIDLen:
		return fmt.Sprintf("%d characters, at most %d", len(s), maxIDLen)
	case !idRe.MatchString(s):
		return `expected letters, digits, ".", "_", ":", "-", starting with a letter or digit`
	}
	return ""
}

// channelProblem says why s is not a channel name, or "" if it is.
func channelProblem(s string) string { return tagProblem("channel", s) }

// labelProblem says why s is not a label name, or "" if it is: a label is
// an OCI tag too.
func labelProblem(s string) string { return tagProblem("label", s) }

// tagProblem says why s is not a valid name of a kind of thing that is an
// OCI tag (a channel, a label), or "" if it is.
func tagProblem(kind, s string) string {
	if !channelRe.MatchString(s) {
		return "not a valid " + kind + " name (an OCI tag: letters, digits, \"_\", \".\", \"-\", at most 128)"
	}
	return ""
}

// eventTypeProblem says why s cannot be a repository_dispatch event type, or
// "" if it can: GitHub requires 1 to 100 characters.
func eventTypeProblem(s string) string {
	if n := utf8.RuneCountInString(s); n < 1 || n > maxEventType {
		return fmt.Sprintf("event_type is %d characters; GitHub requires 1 to %d", n, maxEventType)
	}
	return ""
}

// quote renders untrusted text for an error message: Go-quoted (so control
// characters and newlines are escaped) and cut to a readable length.
func quote(s string) string {
	const max = 80
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return fmt.Sprintf("%q... (%d bytes)", s[:cut], len(s))
	}
	return fmt.Sprintf("%q", s)
}
