package catalog

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// WriteYAML writes the catalog as YAML, one document per object, each
// after a "---" line, as opm writes YAML catalogs; keys come in the order
// WriteJSON writes them. It is the JSON of each object in block style: a
// string is written plain only when every YAML reader (YAML 1.1 as
// sigs.k8s.io/yaml in opm, and 1.2) reads it back as that string: it starts
// with a letter, holds only letters, digits and . _ / @ + - :, has no "::"
// and does not end in ':', and is not a YAML 1.1 boolean or null
// (yes, no, on, off, y, n, true, false, null in their three spellings).
// Every other string is written double-quoted with JSON's escapes, which
// YAML's double-quoted style reads the same way (and \u escapes for DEL and
// the C1 controls, which JSON leaves raw and YAML does not allow). So "::"
// and "##[" occur only inside double-quoted strings, where a caller may
// escape them as JSON would (\u003a, \u0023) without changing what the YAML
// reads as.
func (c *Catalog) WriteYAML(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	var js bytes.Buffer
	enc := json.NewEncoder(&js)
	enc.SetEscapeHTML(false)
	for _, o := range c.Objects() {
		js.Reset()
		if err := enc.Encode(o); err != nil {
			return err
		}
		y := &yamlWriter{jsonScanner: jsonScanner{b: js.Bytes()}, w: bw}
		if !y.skip('{') {
			return fmt.Errorf("catalog object %T is not a JSON object", o)
		}
		bw.WriteString("---\n")
		if err := y.mapping("", ""); err != nil {
			return fmt.Errorf("catalog object %T: %w", o, err)
		}
	}
	return bw.Flush()
}

// jsonScanner reads the JSON encoding/json wrote, token by token, without
// decoding strings.
type jsonScanner struct {
	b []byte
	i int
}

var errJSON = errors.New("malformed JSON")

func (s *jsonScanner) peek() byte {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
			continue
		}
		return s.b[s.i]
	}
	return 0
}

// expect consumes c, the next non-space byte.
func (s *jsonScanner) expect(c byte) error {
	if !s.skip(c) {
		return errJSON
	}
	return nil
}

// skip consumes c if it is the next non-space byte, and says whether it was.
func (s *jsonScanner) skip(c byte) bool {
	if s.peek() != c {
		return false
	}
	s.i++
	return true
}

// more reads what follows a member or an item: ',' (more follow) or close
// (the end of the object or array).
func (s *jsonScanner) more(close byte) (bool, error) {
	switch {
	case s.skip(','):
		return true, nil
	case s.skip(close):
		return false, nil
	}
	return false, errJSON
}

// str returns the next string with its quotes, as written.
func (s *jsonScanner) str() ([]byte, error) {
	if s.peek() != '"' {
		return nil, errJSON
	}
	start := s.i
	for s.i++; s.i < len(s.b); s.i++ {
		switch s.b[s.i] {
		case '\\':
			s.i++
		case '"':
			s.i++
			return s.b[start:s.i], nil
		}
	}
	return nil, errJSON
}

// literal returns the next number, true, false or null.
func (s *jsonScanner) literal() ([]byte, error) {
	s.peek()
	start := s.i
	for s.i < len(s.b) && strings.IndexByte(",]} \t\n\r", s.b[s.i]) < 0 {
		s.i++
	}
	if s.i == start {
		return nil, errJSON
	}
	return s.b[start:s.i], nil
}

type yamlWriter struct {
	jsonScanner
	w *bufio.Writer
}

// mapping writes the members of the object whose '{' was just read: the
// first key after first, the others after indent.
func (y *yamlWriter) mapping(first, indent string) error {
	prefix := first
	for {
		key, err := y.str()
		if err != nil {
			return err
		}
		y.w.WriteString(prefix)
		y.scalar(key)
		y.w.WriteByte(':')
		prefix = indent
		if err := y.expect(':'); err != nil {
			return err
		}
		if err := y.value(indent); err != nil {
			return err
		}
		if more, err := y.more('}'); err != nil || !more {
			return err
		}
	}
}

// value writes the value after "key:" or "-", at indent.
func (y *yamlWriter) value(indent string) error {
	switch y.peek() {
	case '{':
		y.i++
		if !y.members('}', " {}\n") {
			return nil
		}
		return y.mapping(indent+"  ", indent+"  ")
	case '[':
		y.i++
		if !y.members(']', " []\n") {
			return nil
		}
		return y.sequence(indent + "  ")
	case '"':
		s, err := y.str()
		if err != nil {
			return err
		}
		y.w.WriteByte(' ')
		y.scalar(s)
	default:
		lit, err := y.literal()
		if err != nil {
			return err
		}
		y.w.WriteByte(' ')
		y.w.Write(lit)
	}
	y.w.WriteByte('\n')
	return nil
}

// members follows "key:" or "-" for the object or array just opened: if
// close comes at once, it is read and empty written; else a line break, for
// the members that follow. It says whether members follow.
func (y *yamlWriter) members(close byte, empty string) bool {
	if y.skip(close) {
		y.w.WriteString(empty)
		return false
	}
	y.w.WriteByte('\n')
	return true
}

// sequence writes the items of the array whose '[' was just read, each
// after "-" at indent; an object's first member on the item's line.
func (y *yamlWriter) sequence(indent string) error {
	for {
		if y.skip('{') {
			if y.skip('}') {
				y.w.WriteString(indent + "- {}\n")
			} else if err := y.mapping(indent+"- ", indent+"  "); err != nil {
				return err
			}
		} else {
			y.w.WriteString(indent + "-")
			if err := y.value(indent); err != nil {
				return err
			}
		}
		if more, err := y.more(']'); err != nil || !more {
			return err
		}
	}
}

// scalar writes the JSON string quoted (with its quotes) plain when that
// reads back as the same string everywhere, else double-quoted (see
// WriteYAML).
func (y *yamlWriter) scalar(quoted []byte) {
	inner := quoted[1 : len(quoted)-1]
	if bytes.IndexByte(inner, '\\') < 0 && plainSafe(inner) {
		y.w.Write(inner)
		return
	}
	// JSON leaves DEL and the C1 controls (U+0080-U+009F, in UTF-8 0xC2
	// then 0x80-0x9F) raw; YAML allows neither in a document.
	for i := 0; i < len(quoted); i++ {
		switch c := quoted[i]; {
		case c == 0x7f:
			y.w.WriteString(`\u007f`)
		case c == 0xc2 && i+1 < len(quoted) && quoted[i+1] >= 0x80 && quoted[i+1] <= 0x9f:
			fmt.Fprintf(y.w, `\u%04x`, quoted[i+1])
			i++
		default:
			y.w.WriteByte(c)
		}
	}
}

// yaml11Special are the plain scalars YAML 1.1 reads as booleans or null.
var yaml11Special = map[string]bool{}

func init() {
	for _, w := range []string{"y", "yes", "n", "no", "true", "false", "on", "off", "null"} {
		yaml11Special[w] = true
		yaml11Special[strings.ToUpper(w[:1])+w[1:]] = true
		yaml11Special[strings.ToUpper(w)] = true
	}
}

func plainSafe(s []byte) bool {
	if len(s) == 0 || s[len(s)-1] == ':' || bytes.Contains(s, []byte("::")) {
		return false
	}
	if c := s[0]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("._/@+-:", c) >= 0) {
			return false
		}
	}
	return !yaml11Special[string(s)]
}
