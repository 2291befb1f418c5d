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
	// In a heading a trailing run of # is a closing sequence: escape them all
	// (outside code spans, where a backslash would show).
	s.buf.WriteString(escapeBlock(text, true))
	s.buf.WriteString("\n\n")
	return s
}

// Paragraph adds a paragraph of plain text; line breaks become <br>.
func (s *Summary) Paragraph(text string) *Summary {
	s.buf.WriteString(escapeBlock(text, false))
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
// become <br>. A word GitHub would turn into a link (it holds "://", "www."
// or an e-mail address) becomes a code span instead: see linkish.
func EscapeMarkdown(s string) string { return escapeInline(s, false) }

// escapeInline is EscapeMarkdown; hash also escapes # (in a heading).
//
// The text is cut into words at blanks, line breaks and '|' (a cell break
// in a table, even inside a code span, so it never goes into one). A word
// that GitHub would autolink is written as a code span, as is: ladder's
// summaries quote text nobody vetted (a ledger reason, a commit subject, a
// workflow input, an error naming a URL), and an escaped bracket stops a
// markdown link but not GFM's autolinks, which turn bare `https://…`,
// `www.…` and `name@host.tld` into links. A code span is what renders
// readably and safely on GitHub: the URL shows exactly as written (in
// monospace, copyable), and no autolinker runs inside one, neither
// cmark-gfm's at parse time nor GitHub's second pass over the rendered
// HTML, which reads character references decoded (so breaking the "://"
// with an entity such as &#47; would not stop it there), nor one that
// splices in an invisible character, which would break copying the URL.
func escapeInline(s string, hash bool) string {
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	word := 0 // start of the current word
	flush := func(end int) {
		if w := s[word:end]; linkish(w) {
			codeSpan(&b, w)
		} else {
			escapePlain(&b, w, hash)
		}
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case ' ', '\t', '|', '\r', '\n':
			flush(i)
			switch {
			case c == '|':
				b.WriteString(`\|`)
			case c == '\r' && i+1 < len(s) && s[i+1] == '\n':
				i++
				b.WriteString("<br>")
			case c == '\r' || c == '\n':
				b.WriteString("<br>")
			default:
				b.WriteByte(c)
			}
			word = i + 1
		}
	}
	flush(len(s))
	return b.String()
}

// escapePlain escapes a word that is not linkish (see EscapeMarkdown).
func escapePlain(b *strings.Builder, s string, hash bool) {
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
		case '\\', '`', '*', '_', '[', ']', '~', '$':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '#':
			if hash {
				b.WriteByte('\\')
			}
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
}

// linkish reports whether GitHub would make a link of (part of) the word:
// a URL ("://", as in https://, http://, ftp://), an extended www. autolink,
// or an e-mail address (also mailto: and xmpp:), whose domain has a dot
// (so a reference such as ghcr.io/acme/app@sha256:… is not one).
func linkish(w string) bool {
	if strings.Contains(w, "://") {
		return true
	}
	lower := strings.ToLower(w)
	if strings.Contains(lower, "www.") {
		return true
	}
	for i := 0; i < len(w); i++ {
		if w[i] == '@' && domain(w[i+1:]) {
			return true
		}
	}
	return false
}

// domain reports whether s starts with a domain name with a dot inside it.
func domain(s string) bool {
	n := 0
	for n < len(s) {
		c := s[n]
		if c != '-' && c != '_' && c != '.' && (c < '0' || c > '9') && (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') {
			break
		}
		n++
	}
	return strings.Contains(strings.Trim(s[:n], "."), ".")
}

// codeSpan writes w as a code span: its content is shown as is (no escape
// applies inside one), so the fence is one backtick longer than any run of
// backticks in w, and a w that starts or ends with a backtick is padded
// with a space (which the renderer strips).
func codeSpan(b *strings.Builder, w string) {
	fence := strings.Repeat("`", longestRun(w, '`')+1)
	pad := ""
	if strings.HasPrefix(w, "`") || strings.HasSuffix(w, "`") {
		pad = " "
	}
	b.WriteString(fence + pad + w + pad + fence)
}

// escapeBlock escapes plain text that starts a block (a paragraph or a
// heading's text): escapeInline, leading blanks dropped (four would make a
// code block), and a leading #, +, -, = or "1." / "1)" escaped so the text
// does not become a heading, list or rule.
func escapeBlock(s string, hash bool) string {
	s = strings.TrimLeft(escapeInline(s, hash), " \t")
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
