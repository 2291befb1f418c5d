// Package refname is the one place that knows what git accepts as a branch
// or tag name (git check-ref-format), for the config parser and for branch
// names that arrive in untrusted payloads. Pure.
package refname

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// MaxLen is the longest name accepted, in bytes (GitHub refuses longer ones).
const MaxLen = 255

// Problem says why s is not a valid branch or tag name, or "" if it is: the
// rules of `git check-ref-format`, plus no leading "-" (it would read as an
// option), valid UTF-8 and at most MaxLen bytes.
func Problem(s string) string {
	switch {
	case s == "":
		return "empty"
	case len(s) > MaxLen:
		return fmt.Sprintf("%d bytes, at most %d", len(s), MaxLen)
	case !utf8.ValidString(s):
		return "not valid UTF-8"
	case s == "@" || s == "HEAD":
		return fmt.Sprintf("%q is reserved", s)
	case strings.HasPrefix(s, "-"):
		return `starts with "-"`
	case strings.HasPrefix(s, "/"), strings.HasSuffix(s, "/"), strings.Contains(s, "//"):
		return "has an empty path component"
	case strings.HasPrefix(s, "."), strings.Contains(s, "/."):
		return `a path component starts with "."`
	case strings.Contains(s, ".."):
		return `contains ".."`
	case strings.Contains(s, "@{"):
		return `contains "@{"`
	case strings.HasSuffix(s, "."):
		return `ends with "."`
	case strings.HasSuffix(s, ".lock"), strings.Contains(s, ".lock/"):
		return `a path component ends with ".lock"`
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f {
			return "contains a space or control character"
		}
		if strings.ContainsRune(`~^:?*[\`, r) {
			return fmt.Sprintf("contains %q", string(r))
		}
	}
	return ""
}
