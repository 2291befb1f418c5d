package action

import (
	"fmt"
	"strings"
)

// Record is one name/value record of a GITHUB_OUTPUT file.
type Record struct {
	Name, Value string
}

// ParseOutputFile parses a GITHUB_OUTPUT file as the runner does on Linux
// (actions/runner, FileCommandManager.cs, SetOutputFileCommand), returning
// the records in file order (a later record for a name overrides an earlier
// one in the runner). Lines end at LF only (CR is content, as on a Linux
// runner; Docker actions run nowhere else); a leading UTF-8 byte-order mark
// is skipped; empty lines between records are skipped. A record is either
//
//	name=value                     (the first '=' comes before any "<<")
//	name<<DELIMITER                (the first "<<" comes before any '=')
//	value lines...
//	DELIMITER
//
// and the value of a heredoc is everything between the header line's LF and
// the LF before the first line equal to DELIMITER.
//
// Errors, as the runner's: a line that is neither form, an empty delimiter, a
// delimiter never found, a value line with no LF. One check is stricter: an
// empty name is an error (the runner's check tests the line, not the name).
// The runner also decodes the file as UTF-8, turning invalid bytes into
// U+FFFD; this parser keeps bytes as they are.
func ParseOutputFile(data []byte) ([]Record, error) {
	text := strings.TrimPrefix(string(data), "\ufeff")
	var records []Record
	index := 0
	lineNo := 0
	for {
		line, _, ok := readLine(text, &index)
		if !ok {
			return records, nil
		}
		lineNo++
		if line == "" {
			continue
		}
		eq := strings.Index(line, "=")
		hd := strings.Index(line, "<<")
		switch {
		case eq >= 0 && (hd < 0 || eq < hd):
			name, value := line[:eq], line[eq+1:]
			if name == "" {
				return nil, fmt.Errorf("line %d: invalid format %q: name must not be empty", lineNo, line)
			}
			records = append(records, Record{name, value})
		case hd >= 0 && (eq < 0 || hd < eq):
			name, delim := line[:hd], line[hd+2:]
			if name == "" || delim == "" {
				return nil, fmt.Errorf("line %d: invalid format %q: name must not be empty and delimiter must not be empty", lineNo, line)
			}
			start, end := index, index
			for {
				l, newline, ok := readLine(text, &index)
				if !ok {
					return nil, fmt.Errorf("line %d: invalid value of %s: matching delimiter not found %q", lineNo, name, delim)
				}
				lineNo++
				if l == delim {
					break
				}
				if newline == "" {
					return nil, fmt.Errorf("line %d: invalid value of %s: EOF marker missing new line", lineNo, name)
				}
				end = index - len(newline)
			}
			records = append(records, Record{name, text[start:end]})
		default:
			return nil, fmt.Errorf("line %d: invalid format %q", lineNo, line)
		}
	}
}

// readLine returns the line starting at *index and the newline that ended it
// ("" at the end of the text), and moves *index past it; ok is false at the
// end of the text.
func readLine(text string, index *int) (line, newline string, ok bool) {
	if *index >= len(text) {
		return "", "", false
	}
	start := *index
	lf := strings.IndexByte(text[start:], '\n')
	if lf < 0 {
		*index = len(text)
		return text[start:], "", true
	}
	*index = start + lf + 1
	return text[start : start+lf], "\n", true
}

// OutputsOf parses a GITHUB_OUTPUT file (ParseOutputFile) into the outputs
// as the runner sees them: a later record for a name overrides an earlier
// one.
func OutputsOf(data []byte) (map[string]string, error) {
	recs, err := ParseOutputFile(data)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(recs))
	for _, r := range recs {
		out[r.Name] = r.Value
	}
	return out, nil
}
