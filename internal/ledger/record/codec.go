package record

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
	"unsafe"
)

// SchemaError is a document this ladder cannot read: its schema is newer (or
// missing). Nothing is written when reading fails with it.
type SchemaError struct {
	Found, Known int
}

func (e *SchemaError) Error() string {
	if e.Found < 1 {
		return fmt.Sprintf("ledger schema %d is not valid (this ladder understands %d)", e.Found, e.Known)
	}
	return fmt.Sprintf("ledger schema %d is newer than this ladder understands (%d); upgrade ladder", e.Found, e.Known)
}

// Parse reads a ledger document: its schema first (a newer one is a
// *SchemaError), then the document, strictly (an unknown field is an error),
// then Validate. The lookup index is built on the way.
func Parse(data []byte) (*Document, error) {
	return parse(data, string(data))
}

// ParseOwned is Parse for a buffer nobody will modify again: the document's
// strings point into it rather than into a copy.
func ParseOwned(data []byte) (*Document, error) {
	if len(data) == 0 {
		return Parse(data)
	}
	return parse(data, unsafe.String(&data[0], len(data)))
}

func parse(data []byte, src string) (*Document, error) {
	d, decErr := decodeDocument(src)
	var de *decodeError
	if errors.As(decErr, &de) && de.duplicate {
		// not probed for its schema: which of two "schema" keys would count?
		return nil, fmt.Errorf("reading the ledger: %w", decErr)
	}
	if schema, ok := probeSchema(data, d, decErr); ok && schema != Schema && schema != SchemaSingle {
		return nil, &SchemaError{Found: schema, Known: Schema}
	}
	if decErr != nil {
		return nil, fmt.Errorf("reading the ledger: %w", decErr)
	}
	d.sizeHint = len(data)
	d.index()
	if err := d.Validate(); err != nil {
		return nil, err
	}
	return d, nil
}

// probeSchema finds the schema of a document, even one the strict decoder
// refused (a newer schema may well have fields this one does not know).
func probeSchema(data []byte, d *Document, decErr error) (int, bool) {
	if decErr == nil {
		return d.Schema, true
	}
	var probe struct {
		Schema *json.Number `json:"schema"`
	}
	if json.Unmarshal(data, &probe) != nil || probe.Schema == nil {
		return 0, false
	}
	n, err := probe.Schema.Int64()
	if err != nil {
		return 0, false
	}
	return int(n), true
}

// Marshal writes the document deterministically: fixed key order, map keys
// sorted, times in UTC, one bundle or entry per line so that a commit's diff
// shows what changed. The result parses back to an equal document.
func (d *Document) Marshal() []byte {
	n := 256 + len(d.Bundles)*500 + len(d.Deletions)*250
	for _, es := range d.Streams {
		n += len(es) * 450
	}
	if d.sizeHint > 0 {
		n = d.sizeHint + 64<<10
	}
	b := make([]byte, 0, n)
	b = append(b, "{\n  \"schema\": "...)
	b = strconv.AppendInt(b, int64(d.Schema), 10)
	b = append(b, ",\n  \"product\": "...)
	b = appendString(b, d.Product)
	if d.Revision != 0 {
		b = append(b, ",\n  \"revision\": "...)
		b = strconv.AppendInt(b, d.Revision, 10)
	}
	if d.segment != 0 {
		b = append(b, ",\n  \"segment\": "...)
		b = strconv.AppendInt(b, int64(d.segment), 10)
	}
	if d.History != nil {
		b = append(b, ",\n  \"history\": "...)
		b = appendHistory(b, d.History)
	}

	b = append(b, ",\n  \"bundles\": ["...)
	for i := range d.Bundles {
		b = listItem(b, i, 4)
		b = appendBundle(b, &d.Bundles[i])
	}
	b = closeList(b, len(d.Bundles), 2, ']')

	b = append(b, ",\n  \"streams\": {"...)
	for i, k := range d.StreamNames() {
		b = listItem(b, i, 4)
		b = appendString(b, k)
		b = append(b, ": ["...)
		es := d.Streams[k]
		for j := range es {
			b = listItem(b, j, 6)
			b = appendEntry(b, &es[j])
		}
		b = closeList(b, len(es), 4, ']')
	}
	b = closeList(b, len(d.Streams), 2, '}')

	b = append(b, ",\n  \"holds\": {"...)
	for i, k := range slices.Sorted(maps.Keys(d.Holds)) {
		b = listItem(b, i, 4)
		b = appendString(b, k)
		b = append(b, ": "...)
		b = appendHold(b, d.Holds[k])
	}
	b = closeList(b, len(d.Holds), 2, '}')

	b = append(b, ",\n  \"quarantines\": {"...)
	for i, k := range slices.Sorted(maps.Keys(d.Quarantines)) {
		b = listItem(b, i, 4)
		b = appendString(b, k)
		b = append(b, ": "...)
		b = appendQuarantine(b, d.Quarantines[k])
	}
	b = closeList(b, len(d.Quarantines), 2, '}')

	b = append(b, ",\n  \"deletions\": ["...)
	for i := range d.Deletions {
		b = listItem(b, i, 4)
		b = appendDeletion(b, d.Deletions[i])
	}
	b = closeList(b, len(d.Deletions), 2, ']')

	// left out when empty (omitempty): a ledger that never retired
	// anything is written as before
	if len(d.Retirements) > 0 {
		b = append(b, ",\n  \"retirements\": {"...)
		for i, k := range slices.Sorted(maps.Keys(d.Retirements)) {
			b = listItem(b, i, 4)
			b = appendString(b, k)
			b = append(b, ": "...)
			b = appendRetirement(b, d.Retirements[k])
		}
		b = closeList(b, len(d.Retirements), 2, '}')
	}
	if len(d.RetireLog) > 0 {
		b = append(b, ",\n  \"retireLog\": ["...)
		for i := range d.RetireLog {
			b = listItem(b, i, 4)
			b = appendRetireEvent(b, d.RetireLog[i])
		}
		b = closeList(b, len(d.RetireLog), 2, ']')
	}
	b = append(b, "\n}\n"...)
	d.sizeHint = len(b)
	return b
}

const spaces = "        "

func listItem(b []byte, i, indent int) []byte {
	if i > 0 {
		b = append(b, ',')
	}
	b = append(b, '\n')
	return append(b, spaces[:indent]...)
}

func closeList(b []byte, n, indent int, close byte) []byte {
	if n > 0 {
		b = append(b, '\n')
		b = append(b, spaces[:indent]...)
	}
	return append(b, close)
}

// obj writes one JSON object on one line; fields with zero values are left
// out, as the struct tags' omitempty and omitzero say.
type obj struct {
	b     []byte
	first bool
}

func openObj(b []byte) obj { return obj{b: append(b, '{'), first: true} }

func (o *obj) key(k string) {
	if !o.first {
		o.b = append(o.b, ',')
	}
	o.first = false
	o.b = append(o.b, '"')
	o.b = append(o.b, k...)
	o.b = append(o.b, "\":"...)
}

func (o *obj) str(k, v string) { o.key(k); o.b = appendString(o.b, v) }

func (o *obj) strOmit(k, v string) {
	if v != "" {
		o.str(k, v)
	}
}

func (o *obj) time(k string, t time.Time) {
	o.key(k)
	o.b = append(o.b, '"')
	o.b = t.UTC().AppendFormat(o.b, time.RFC3339Nano)
	o.b = append(o.b, '"')
}

func (o *obj) timeOmit(k string, t time.Time) {
	if !t.IsZero() {
		o.time(k, t)
	}
}

func (o *obj) close() []byte { return append(o.b, '}') }

func appendBundle(b []byte, x *Bundle) []byte {
	o := openObj(b)
	o.str("version", x.Version)
	o.str("digest", x.Digest)
	o.strOmit("lockDigest", x.LockDigest)
	o.strOmit("id", x.ID)
	o.strOmit("channel", x.Channel)
	o.timeOmit("created", x.Created)
	o.timeOmit("resolved", x.Resolved)
	o.strOmit("actor", x.Actor)
	o.strOmit("run", x.Run)
	o.strOmit("artifactType", x.ArtifactType)
	o.strOmit("mode", x.Mode)
	o.strings("tags", x.Tags)
	return o.close()
}

func appendEntry(b []byte, x *Entry) []byte {
	o := openObj(b)
	o.str("version", x.Version)
	o.str("digest", x.Digest)
	o.time("at", x.At)
	o.strOmit("actor", x.Actor)
	o.strOmit("run", x.Run)
	o.strOmit("reason", x.Reason)
	o.strOmit("decision", x.Decision)
	if x.Forced {
		o.key("forced")
		o.b = append(o.b, "true"...)
	}
	o.strOmit("previousVersion", x.PreviousVersion)
	o.strOmit("previousDigest", x.PreviousDigest)
	o.strOmit("claim", x.Claim)
	o.strOmit("signature", x.Signature)
	return o.close()
}

func appendHold(b []byte, x Hold) []byte {
	o := openObj(b)
	o.strOmit("reason", x.Reason)
	o.strOmit("actor", x.Actor)
	o.time("at", x.At)
	return o.close()
}

func appendQuarantine(b []byte, x Quarantine) []byte {
	o := openObj(b)
	o.strOmit("reason", x.Reason)
	o.strOmit("label", x.Label)
	o.strOmit("actor", x.Actor)
	o.time("at", x.At)
	o.timeOmit("released", x.Released)
	return o.close()
}

func appendDeletion(b []byte, x Deletion) []byte {
	o := openObj(b)
	o.str("version", x.Version)
	o.str("digest", x.Digest)
	o.time("at", x.At)
	o.strOmit("reason", x.Reason)
	o.strOmit("run", x.Run)
	return o.close()
}

func (o *obj) strings(k string, v []string) {
	if len(v) == 0 {
		return
	}
	o.key(k)
	o.b = append(o.b, '[')
	for i, t := range v {
		if i > 0 {
			o.b = append(o.b, ',')
		}
		o.b = appendString(o.b, t)
	}
	o.b = append(o.b, ']')
}

func appendRetirement(b []byte, x Retirement) []byte {
	o := openObj(b)
	o.str("version", x.Version)
	o.str("digest", x.Digest)
	o.time("at", x.At)
	o.strOmit("actor", x.Actor)
	o.strOmit("run", x.Run)
	o.str("reason", x.Reason)
	o.strings("notify", x.Notify)
	o.strings("notified", x.Notified)
	return o.close()
}

func appendRetireEvent(b []byte, x RetireEvent) []byte {
	o := openObj(b)
	o.str("stream", x.Stream)
	o.str("action", x.Action)
	o.strOmit("version", x.Version)
	o.strOmit("digest", x.Digest)
	o.time("at", x.At)
	o.strOmit("actor", x.Actor)
	o.strOmit("run", x.Run)
	o.strOmit("reason", x.Reason)
	return o.close()
}

const hexDigits = "0123456789abcdef"

// appendString writes s as a JSON string: quotes, backslashes and control
// characters escaped, invalid UTF-8 replaced by U+FFFD, U+2028 and U+2029
// escaped (as encoding/json does; HTML characters are left as they are).
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// AppendString appends s to b as a JSON string, as Marshal writes strings.
func AppendString(b []byte, s string) []byte { return appendString(b, s) }
