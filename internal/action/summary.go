package action

import (
	"fmt"
	"strings"
)

// Summary builds markdown for the step summary (GITHUB_STEP_SUMMARY). Text
// given to Heading, Paragraph and Table is plain text, possibly untrusted: it
// is escaped (see EscapeMarkdown) so it renders as written and adds no
// markup, link, image or HTML. Markdown adds trusted markdown as is. Nothing
// is written until Write. The output is deterministic.
type Summary struct {
	r   *Runner
	buf strings.Builder
}

// Summary starts a step summary builder.
func (r *Runner) Summary() *Summary { return &Summary{r: r} }

// Heading adds a heading of the given level (clamped to 1..6), argument
// order as the toolkit's addHeading(text, level).
func (s *Summary) Heading(text string, level int) *Summary {
	level = min(max(level, 1), 6)
	s.buf.WriteString(strings.Repeat("#", level))
	s.buf.WriteByte(' ')
	// In a heading a trailing run of # is a closing sequence: escape them all.
	s.buf.WriteString(strings.ReplaceAll(escapeBlock(text), "#", `\#`))
	s.buf.WriteString("\n\n")
	return s
}

// Paragraph adds a paragraph of plain text; line breaks become <br>.
func (s *Summary) Paragraph(text string) *Summary {
	s.buf.WriteString(escapeBlock(text))
	s.buf.WriteString("\n\n")
	return s
}

// Markdown adds trusted markdown as is, followed by a blank line.
func (s *Summary) Markdown(md string) *Summary {
	s.buf.WriteString(strings.TrimRight(md, "\n"))
	s.buf.WriteString("\n\n")
	return s
}

// Table adds a table. Every cell is plain text: '|' is escaped, line breaks
// become <br>, HTML-sensitive characters become entities and markdown
// punctuation is backslash-escaped. Short rows are padded with empty cells
// (and the header too when a row is longer). Nothing is added when there are
// no columns.
func (s *Summary) Table(header []string, rows [][]string) *Summary {
	width := len(header)
	for _, row := range rows {
		width = max(width, len(row))
	}
	if width == 0 {
		return s
	}
	writeRow := func(cells []string) {
		s.buf.WriteByte('|')
		for i := range width {
			cell := ""
			if i < len(cells) {
				cell = EscapeMarkdown(cells[i])
			}
			s.buf.WriteString(" " + cell + " |")
		}
		s.buf.WriteByte('\n')
	}
	writeRow(header)
	s.buf.WriteString("|" + strings.Repeat(" --- |", width) + "\n")
	for _, row := range rows {
		writeRow(row)
	}
	s.buf.WriteByte('\n')
	return s
}

// Mermaid adds a mermaid diagram as a fenced code block. The fence is longer
// than any run of backticks in src, so src cannot close it early. Line
// endings are normalised to LF.
func (s *Summary) Mermaid(src string) *Summary {
	src = normaliseNewlines(src)
	fence := strings.Repeat("`", max(3, longestRun(src, '`')+1))
	s.buf.WriteString(fence + "mermaid\n")
	s.buf.WriteString(src)
	if !strings.HasSuffix(src, "\n") {
		s.buf.WriteByte('\n')
	}
	s.buf.WriteString(fence + "\n\n")
	return s
}

// String returns the markdown built so far (and not yet written).
func (s *Summary) String() string { return s.buf.String() }

// Write appends the markdown built so far to the GITHUB_STEP_SUMMARY file,
// in one write, and empties the builder. It does nothing when
// GITHUB_STEP_SUMMARY is unset (outside a runner).
func (s *Summary) Write() error {
	if s.buf.Len() == 0 {
		return nil
	}
	path := s.r.getenv("GITHUB_STEP_SUMMARY")
	if path == "" {
		s.buf.Reset()
		return nil
	}
	if err := appendFile(path, s.buf.String()); err != nil {
		return fmt.Errorf("writing step summary: %w", err)
	}
	s.buf.Reset()
	return nil
}

// EscapeMarkdown escapes plain text for use inline in GitHub-flavoured
// markdown (a table cell, a list item, a sentence): & < > " ' become HTML
// entities; \ ` * _ [ ] ~ | $ are backslash-escaped (so no emphasis, code,
// link, image, strike-through, table cell break or math); CRLF, CR and LF
// become <br>.
func EscapeMarkdown(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			b.WriteString("&quot;")
		case '\'':
			b.WriteString("&#39;")
		case '\\', '`', '*', '_', '[', ']', '~', '|', '$':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\r':
			if i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
			b.WriteString("<br>")
		case '\n':
			b.WriteString("<br>")
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// escapeBlock escapes plain text that starts a block (a paragraph or a
// heading's text): EscapeMarkdown, leading blanks dropped (four would make a
// code block), and a leading #, +, -, = or "1." / "1)" escaped so the text
// does not become a heading, list or rule.
func escapeBlock(s string) string {
	s = strings.TrimLeft(EscapeMarkdown(s), " \t")
	if s == "" {
		return s
	}
	switch s[0] {
	case '#', '+', '-', '=':
		return `\` + s
	}
	digits := 0
	for digits < len(s) && s[digits] >= '0' && s[digits] <= '9' {
		digits++
	}
	if digits > 0 && digits < len(s) && (s[digits] == '.' || s[digits] == ')') {
		return s[:digits] + `\` + s[digits:]
	}
	return s
}

func normaliseNewlines(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n")
}

func longestRun(s string, c byte) int {
	longest, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return longest
}
