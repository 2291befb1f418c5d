// Package mermaid escapes text for mermaid diagrams in step summaries. Pure:
// it imports only the standard library.
package mermaid

import (
	"fmt"
	"strings"
)

// Text escapes s for a quoted mermaid label (a node's ["..."] or an edge's
// |"..."|): letters, digits, spaces and plain punctuation stay; anything
// else (quotes, pipes, brackets, angle brackets, backticks, line breaks,
// non-ASCII) becomes a #NN; entity code, so ledger or payload text cannot
// close the label, add a statement (a click with a link), open a tag, or end
// the code fence.
func Text(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9',
			strings.ContainsRune(" /@._-+,=!():", r):
			b.WriteRune(r)
		default:
			fmt.Fprintf(&b, "#%d;", r)
		}
	}
	return b.String()
}
