package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// yaml.v3 reports a syntax error as "yaml: line N: problem" and keeps the
// position it knows to itself. N is not always where the problem is: for
// the parser's problems it is the 0-based line where the enclosing block
// mapping, sequence or flow collection started (a key indented one space too
// far on line 14 is reported at the "line 11" of its mapping), and it has no
// column at all. So the locator below finds the line itself: the shortest
// prefix of the file, cut at a line end, that fails with the same problem
// ends on the line at fault. Then it reads that line for the column, the
// field the line belongs to (from the indentation of the lines above) and a
// hint for the common mistakes: a tab used for indentation, an unquoted
// value that starts with a YAML indicator (semver: >=1.0.0), a key indented
// wrongly, a flow collection not closed.

// syntaxError is a located YAML syntax error.
type syntaxError struct {
	line, col int // 1-based
	field     string
	problem   string // yaml.v3's text, without "yaml: line N: "
	hint      string
}

// locateSyntaxError turns a yaml.v3 decoding error about data into a syntaxError.
func locateSyntaxError(data []byte, err error) syntaxError {
	problem, reported := yamlProblem(err.Error())
	src := splitSource(data)
	n := len(src.lines)
	line := reported
	if n == 0 {
		return syntaxError{line: 1, col: 1, field: rootField, problem: problem}
	}
	// The problem is never before the reported line: that is the (0-based)
	// line of the problem itself or of the start of its context, or for the
	// scanner's problems the 1-based line of the problem.
	lo := min(max(reported, 1), n)
	if failsWith(src.prefix(n), problem) {
		hi := n
		for lo < hi {
			mid := lo + (hi-lo)/2
			if failsWith(src.prefix(mid), problem) {
				hi = mid
			} else {
				lo = mid + 1
			}
		}
		line = lo
	} else if parserProblems[problem] {
		line++ // as reported: a 0-based line
	}
	line = min(max(line, 1), n)
	return src.locate(line, problem)
}

var yamlPrefixRe = regexp.MustCompile(`^yaml: (?:line ([0-9]+): )?`)

// yamlProblem splits a yaml.v3 error message into its problem and the line
// it reports (0 when none).
func yamlProblem(msg string) (string, int) {
	m := yamlPrefixRe.FindStringSubmatch(msg)
	if m == nil {
		return msg, 0
	}
	line, _ := strconv.Atoi(m[1])
	return msg[len(m[0]):], line
}

// failsWith says whether decoding data as document does (at most two
// documents) fails with problem.
func failsWith(data []byte, problem string) (fails bool) {
	defer func() {
		if recover() != nil {
			fails = false
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for range 2 {
		var n yaml.Node
		if err := dec.Decode(&n); err != nil {
			if errors.Is(err, io.EOF) {
				return false
			}
			p, _ := yamlProblem(err.Error())
			return p == problem
		}
	}
	return false
}

// source is a file cut into lines.
type source struct {
	data  []byte
	ends  []int // ends[i]: offset just past line i+1's line break (or the end of data)
	lines []srcLine
}

func splitSource(data []byte) *source {
	s := &source{data: data}
	for start := 0; start < len(data); {
		end := bytes.IndexByte(data[start:], '\n')
		if end < 0 {
			end = len(data)
		} else {
			end += start + 1
		}
		text := strings.TrimRight(string(data[start:end]), "\r\n")
		if start == 0 {
			text = strings.TrimPrefix(text, "\ufeff") // yaml.v3 does not count a BOM
		}
		s.ends = append(s.ends, end)
		s.lines = append(s.lines, parseLine(text))
		start = end
	}
	return s
}

// prefix returns lines 1..k.
func (s *source) prefix(k int) []byte { return s.data[:s.ends[k-1]] }

// srcLine is one line as the indentation walk sees it.
type srcLine struct {
	text    string
	indent  int  // leading blanks (a tab counts as one)
	blank   bool // empty or a comment
	dashes  int  // leading "- " indicators
	content int  // byte offset of what follows the indentation and dashes
	key     string
	keyEnd  int    // byte offset just past the key's ':'; 0 when there is no key
	value   string // after the key's ':', trimmed, without a comment
	valueAt int    // byte offset of value
}

// keyRe matches a block mapping key and its ':' at the start of a line's content.
var keyRe = regexp.MustCompile(`^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s#'"\[\]{},&*!|>%@` + "`" + `?:-](?:[^:#]|:\S)*?|-\S(?:[^:#]|:\S)*?)[ \t]*:(?:[ \t]|$)`)

func parseLine(text string) srcLine {
	l := srcLine{text: text}
	i := 0
	for i < len(text) && (text[i] == ' ' || text[i] == '\t') {
		i++
	}
	l.indent = i
	if i == len(text) || text[i] == '#' {
		l.blank = true
		return l
	}
	for i < len(text) && text[i] == '-' && (i+1 == len(text) || text[i+1] == ' ' || text[i+1] == '\t') {
		l.dashes++
		i++
		for i < len(text) && (text[i] == ' ' || text[i] == '\t') {
			i++
		}
	}
	l.content = i
	if m := keyRe.FindStringSubmatchIndex(text[i:]); m != nil {
		l.key = unquoteKey(text[i+m[2] : i+m[3]])
		l.keyEnd = i + m[1]
		v := text[l.keyEnd:]
		lead := len(v) - len(strings.TrimLeft(v, " \t"))
		l.valueAt = l.keyEnd + lead
		l.value = stripComment(strings.TrimSpace(v))
	}
	return l
}

func unquoteKey(k string) string {
	switch {
	case len(k) >= 2 && k[0] == '"':
		if s, err := strconv.Unquote(k); err == nil {
			return s
		}
		return k[1 : len(k)-1]
	case len(k) >= 2 && k[0] == '\'':
		return strings.ReplaceAll(k[1:len(k)-1], "''", "'")
	}
	return strings.TrimSpace(k)
}

// stripComment drops a trailing comment from an unquoted value.
func stripComment(v string) string {
	if v == "" || v[0] == '"' || v[0] == '\'' {
		return v
	}
	if strings.HasPrefix(v, "#") {
		return ""
	}
	if i := strings.Index(v, " #"); i >= 0 {
		v = v[:i]
	}
	if i := strings.Index(v, "\t#"); i >= 0 {
		v = v[:i]
	}
	return strings.TrimSpace(v)
}

// container says whether the line's key holds a block below it (nothing
// after the ':' but perhaps an anchor, a tag or a block scalar header).
func (l srcLine) container() bool {
	return l.key != "" && (l.value == "" || containerValueRe.MatchString(l.value))
}

var containerValueRe = regexp.MustCompile(`^(?:&\S+|!\S*|[|>][-+0-9]*)(?:[ \t]+(?:&\S+|!\S*))*$`)

// col turns a byte offset in line k into a 1-based column, counted in
// characters as yaml.v3 counts them.
func (s *source) col(k, off int) int {
	t := s.lines[k-1].text
	off = min(max(off, 0), len(t))
	return utf8.RuneCountInString(t[:off]) + 1
}

// firstChar is the offset of the first non-blank character of line k (0 for a blank line).
func (s *source) firstChar(k int) int {
	l := s.lines[k-1]
	if l.indent >= len(l.text) {
		return 0
	}
	return l.indent
}

// problems about where a line starts: the indentation is the usual cause.
var indentationProblems = map[string]bool{
	"did not find expected key":                              true,
	"did not find expected '-' indicator":                    true,
	"block sequence entries are not allowed in this context": true,
	"mapping values are not allowed in this context":         true,
}

// flowProblems are the problems of a flow collection not closed, with the
// character that opens it (0: either).
var flowProblems = map[string]byte{
	"did not find expected ',' or ']'":   '[',
	"did not find expected ',' or '}'":   '{',
	"did not find expected node content": 0,
}

// locate reads line k for the column, field and hint of problem.
func (s *source) locate(k int, problem string) syntaxError {
	l := s.lines[k-1]
	e := syntaxError{line: k, col: s.col(k, s.firstChar(k)), problem: problem}
	field := func(line, off int, own bool) string {
		path := s.ancestors(line)
		if own {
			path += s.own(line, off)
		}
		path = strings.TrimPrefix(path, ".")
		if path == "" {
			return rootField
		}
		return path
	}
	// A tab among the leading blanks: YAML indents with spaces only.
	if i := strings.IndexByte(l.text[:l.indent], '\t'); i >= 0 {
		e.col = s.col(k, i)
		e.field = field(k, len(l.text), true)
		e.hint = "a tab is used for indentation (YAML needs spaces)"
		return e
	}
	if open, ok := flowProblems[problem]; ok {
		if bl, off, ok := s.unclosed(k, open); ok {
			e.line, e.col = bl, s.col(bl, off)
			e.field = field(bl, off, true)
			e.hint = fmt.Sprintf("check that this '%c' is closed and that its items are separated by ','", s.lines[bl-1].text[off])
			return e
		}
	}
	if !indentationProblems[problem] || problem == "mapping values are not allowed in this context" {
		if off, key, value, ok := indicatorValue(l); ok {
			e.col = s.col(k, off)
			e.field = field(k, off, true)
			e.hint = quoteHint(key, value)
			return e
		}
	}
	if problem == "found unexpected end of stream" {
		if off, ok := unclosedQuote(l.text); ok {
			e.col = s.col(k, off)
			e.field = field(k, off, true)
			e.hint = "this quoted value is not closed"
			return e
		}
	}
	if strings.Contains(problem, "control characters") || strings.Contains(problem, "UTF-8") {
		for i, r := range l.text {
			if r == utf8.RuneError || (r < 0x20 && r != '\t') || r == 0x7f {
				e.col = s.col(k, i)
				break
			}
		}
		e.field = field(k, 0, false)
		return e
	}
	if problem == "mapping values are not allowed in this context" {
		// key: a: b (a value holding ": ") or a line indented under a key
		// that already has a value
		if l.key != "" && l.value != "" && l.value[0] != '"' && l.value[0] != '\'' && l.value[0] != '[' && l.value[0] != '{' &&
			(strings.Contains(l.value, ": ") || strings.HasSuffix(l.value, ":")) {
			e.col = s.col(k, l.valueAt)
			e.field = field(k, l.valueAt, true)
			e.hint = fmt.Sprintf("quote the value: %s: %s", short(l.key), quoted(l.value))
			return e
		}
	}
	e.field = field(k, 0, false)
	if indentationProblems[problem] {
		e.hint = "check the indentation"
	}
	return e
}

// indicatorValue finds, on line l, an unquoted value that starts with a
// character YAML reads as an indicator (>, |, !, @, `, %) or with a
// comparison (<, =), as a semver range does: it returns the value's offset,
// its key (if any) and its text.
func indicatorValue(l srcLine) (off int, key, value string, ok bool) {
	t := l.text
	key = l.key
	// the block value after "key:" (or after the dashes)
	start := l.content
	if l.keyEnd > 0 {
		start = l.valueAt
	}
	// (a line with neither is a directive or goes on from the line above)
	if (l.keyEnd > 0 || l.dashes > 0) && start < len(t) && suspicious(stripComment(t[start:])) {
		return start, key, stripComment(t[start:]), true
	}
	// values inside a flow collection on this line
	depth, k := 0, ""
	tok := strings.Builder{}
	for i := start; i < len(t); i++ {
		c := t[i]
		switch {
		case quoteAt(t, i):
			i = takeQuoted(t, i, &tok)
		case c == '#' && i > 0 && (t[i-1] == ' ' || t[i-1] == '\t'):
			return 0, "", "", false
		case c == '{' || c == '[':
			depth++
			tok.Reset()
		case c == '}' || c == ']':
			depth--
			tok.Reset()
		case c == ',':
			k = ""
			tok.Reset()
		case c == ':' && (i+1 == len(t) || strings.IndexByte(" \t,[]{}", t[i+1]) >= 0):
			k = tok.String()
			tok.Reset()
		case c == ' ' || c == '\t':
			if tok.Len() > 0 {
				tok.WriteByte(c)
			}
		default:
			if depth > 0 && tok.Len() == 0 {
				end := i
				for end < len(t) && strings.IndexByte(",]}", t[end]) < 0 {
					end++
				}
				if v := stripComment(strings.TrimSpace(t[i:end])); suspicious(v) {
					return i, unquoteKey(k), v, true
				}
			}
			tok.WriteByte(c)
		}
	}
	return 0, "", "", false
}

var (
	blockHeaderRe = regexp.MustCompile(`^[|>](?:[1-9][-+]?|[-+][1-9]?)?$`)
	tagRe         = regexp.MustCompile(`^!(?:!|[A-Za-z][\w-]*!)?[A-Za-z][\w.-]*(?:[ \t]|$)|^!<`)
)

// suspicious says whether an unquoted value starts with a character that
// YAML does not read as the start of a plain string.
func suspicious(v string) bool {
	if v == "" {
		return false
	}
	switch v[0] {
	case '<', '=', '@', '`', '%':
		return true
	case '>', '|':
		return !blockHeaderRe.MatchString(v)
	case '!':
		return !tagRe.MatchString(v)
	}
	return false
}

func quoteHint(key, value string) string {
	what := "value"
	if key == "semver" || strings.HasSuffix(key, ".semver") {
		what = "range"
	}
	if key == "" {
		return fmt.Sprintf("quote the %s: %s", what, quoted(value))
	}
	return fmt.Sprintf("quote the %s: %s: %s", what, short(key), quoted(value))
}

// quoted renders v as a YAML double-quoted string.
func quoted(v string) string {
	v = short(v)
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(v) + `"`
}

// quoteEnd returns the offset just past the quoted scalar starting at t[i],
// and whether it is closed on this line (if not, the offset is len(t)).
func quoteEnd(t string, i int) (int, bool) {
	q := t[i]
	for j := i + 1; j < len(t); j++ {
		switch {
		case q == '"' && t[j] == '\\':
			j++
		case t[j] == q && q == '\'' && j+1 < len(t) && t[j+1] == '\'':
			j++
		case t[j] == q:
			return j + 1, true
		}
	}
	return len(t), false
}

// quoteAt says whether t[i] is a quote that opens a quoted scalar.
func quoteAt(t string, i int) bool {
	return (t[i] == '"' || t[i] == '\'') && quoteStart(t, i)
}

// takeQuoted writes the quoted scalar opening at i to tok, quotes and all,
// and returns the offset of its last byte.
func takeQuoted(t string, i int, tok *strings.Builder) int {
	j, _ := quoteEnd(t, i)
	tok.WriteString(t[i:j])
	return j - 1
}

// quoteStart says whether a quote at t[i] starts a quoted scalar (rather
// than being part of a plain one, as in it's).
func quoteStart(t string, i int) bool {
	j := i - 1
	for j >= 0 && (t[j] == ' ' || t[j] == '\t') {
		j--
	}
	return j < 0 || strings.IndexByte(":[{,-?", t[j]) >= 0
}

// unclosedQuote finds a quoted scalar that starts on line t and is not closed there.
func unclosedQuote(t string) (int, bool) {
	for i := 0; i < len(t); i++ {
		c := t[i]
		if c == '#' && (i == 0 || t[i-1] == ' ' || t[i-1] == '\t') {
			return 0, false
		}
		if quoteAt(t, i) {
			j, closed := quoteEnd(t, i)
			if !closed {
				return i, true
			}
			i = j - 1
		}
	}
	return 0, false
}

// unclosed finds the innermost flow collection opened with open and still
// open at the end of line k: its line and offset.
func (s *source) unclosed(k int, open byte) (line, off int, ok bool) {
	type mark struct {
		c         byte
		line, off int
	}
	var stack []mark
	for n := 1; n <= k; n++ {
		t := s.lines[n-1].text
		for i := 0; i < len(t); i++ {
			c := t[i]
			switch {
			case c == '#' && (i == 0 || t[i-1] == ' ' || t[i-1] == '\t'):
				i = len(t)
			case quoteAt(t, i):
				j, _ := quoteEnd(t, i)
				i = j - 1
			case c == '[' || c == '{':
				stack = append(stack, mark{c, n, i})
			case c == ']' || c == '}':
				// a closer that does not match is itself the mistake:
				// the collection it meant to close stays open
				if len(stack) > 0 && stack[len(stack)-1].c == c-2 {
					stack = stack[:len(stack)-1]
				}
			}
		}
	}
	for i := len(stack) - 1; i >= 0; i-- {
		if open == 0 || stack[i].c == open {
			return stack[i].line, stack[i].off, true
		}
	}
	return 0, 0, false
}

// ancestors returns the dotted path of the block the line k sits in, read
// from the indentation of the lines above it: each less indented line is the
// key (or the list item) it hangs under.
func (s *source) ancestors(k int) string {
	var rev []string // innermost first
	cur := s.lines[k-1]
	t, dash := cur.indent, cur.dashes > 0
	for j := k - 1; j >= 1; j-- {
		l := s.lines[j-1]
		if l.blank || l.indent > t {
			continue
		}
		if l.indent == t {
			if dash && l.dashes == 0 && l.container() {
				// a list at the indentation of its key
				rev = append(rev, "."+l.key)
				dash = false
			}
			continue
		}
		if l.dashes > 0 {
			if t > l.content && l.container() {
				rev = append(rev, "."+l.key)
			}
			rev = append(rev, fmt.Sprintf("[%d]", s.itemIndex(j)))
			t, dash = l.indent, true
			continue
		}
		if l.container() {
			rev = append(rev, "."+l.key)
		}
		t, dash = l.indent, false
	}
	var b strings.Builder
	for i := len(rev) - 1; i >= 0; i-- {
		b.WriteString(rev[i])
	}
	return b.String()
}

// itemIndex counts the list items before the one on line k, at its indentation.
func (s *source) itemIndex(k int) int {
	at, n := s.lines[k-1].indent, 0
	for j := k - 1; j >= 1; j-- {
		l := s.lines[j-1]
		if l.blank || l.indent > at {
			continue
		}
		if l.indent < at || l.dashes == 0 {
			break
		}
		n++
	}
	return n
}

// own returns the path within line k up to offset off: its list item, its
// key, and the keys and items of the flow collections open at off.
func (s *source) own(k, off int) string {
	l := s.lines[k-1]
	var b strings.Builder
	if l.dashes > 0 {
		fmt.Fprintf(&b, "[%d]", s.itemIndex(k))
	}
	if l.keyEnd == 0 || off < l.keyEnd {
		return b.String()
	}
	b.WriteString("." + l.key)
	type frame struct {
		seq bool
		key string
		idx int
	}
	var stack []frame
	tok := strings.Builder{}
	t := l.text
	for i := l.keyEnd; i < off && i < len(t); i++ {
		c := t[i]
		switch {
		case quoteAt(t, i):
			i = takeQuoted(t, i, &tok)
		case c == '#' && (t[i-1] == ' ' || t[i-1] == '\t'):
			i = len(t)
		case c == '{' || c == '[':
			stack = append(stack, frame{seq: c == '['})
			tok.Reset()
		case c == '}' || c == ']':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			tok.Reset()
		case c == ',':
			if len(stack) > 0 {
				if top := &stack[len(stack)-1]; top.seq {
					top.idx++
				} else {
					top.key = ""
				}
			}
			tok.Reset()
		case c == ':' && (i+1 == len(t) || strings.IndexByte(" \t,[]{}", t[i+1]) >= 0):
			if len(stack) > 0 && !stack[len(stack)-1].seq {
				stack[len(stack)-1].key = unquoteKey(tok.String())
			}
			tok.Reset()
		default:
			tok.WriteByte(c)
		}
	}
	for _, f := range stack {
		switch {
		case f.seq:
			fmt.Fprintf(&b, "[%d]", f.idx)
		case f.key != "":
			b.WriteString("." + f.key)
		}
	}
	return b.String()
}
