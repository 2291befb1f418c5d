package record

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// decoder reads a ledger document: strict JSON for exactly this shape
// (unknown fields are errors, as with encoding/json's DisallowUnknownFields;
// so is a key twice in one object, which encoding/json reads as the last),
// several times faster than encoding/json and with a fraction of the
// allocations, because a ledger of 10,000 bundles is read on every cold
// publish (SPEC section 9).
//
// Strings without escapes are slices of one copy of the input, so reading
// allocates the input once rather than once per field; values that repeat
// (actor, channel, artifact type, decision, reason...) are interned.
type step struct {
	key   string
	index int // for an array element; -1 for a key
}

type decoder struct {
	src    string
	pos    int
	path   []step // where we are, for errors: bundles[3].version
	intern map[string]string
}

// decodeError says where the document is wrong.
type decodeError struct {
	path   string
	offset int
	msg    string
	// duplicate: a key appears twice in one object. Such a document is
	// refused as it is, before its schema is probed: readers disagree on
	// which of the two counts (encoding/json silently keeps the last).
	duplicate bool
}

func (e *decodeError) Error() string {
	if e.path == "" {
		return fmt.Sprintf("offset %d: %s", e.offset, e.msg)
	}
	return fmt.Sprintf("%s (offset %d): %s", e.path, e.offset, e.msg)
}

// documentFields is what a ledger document holds, for the message about a
// document that is not an object.
const documentFields = "schema, product, bundles, streams, holds, quarantines and deletions"

func decodeDocument(src string) (*Document, error) {
	d := &decoder{src: src, intern: make(map[string]string, 64)}
	doc := &Document{}
	d.ws()
	// The document itself must be an object: null (which object() reads as
	// an empty one everywhere else), an array, a string... is not a ledger.
	if d.peek() != '{' {
		what := d.what()
		if strings.HasPrefix(what, "invalid character") {
			return nil, d.fail("%s: want a JSON object with %s", what, documentFields)
		}
		if what == "the end of the document" {
			what = "empty"
		}
		return nil, d.fail("the ledger is %s: want a JSON object with %s", what, documentFields)
	}
	if err := d.object(func(key string) error {
		switch key {
		case "schema":
			n, err := d.int()
			doc.Schema = n
			return err
		case "product":
			return d.str(&doc.Product)
		case "revision":
			n, err := d.number(64)
			doc.Revision = n
			return err
		case "bundles":
			return d.bundles(doc)
		case "streams":
			return d.streams(doc)
		case "holds":
			return d.mapOf(func(k string) error {
				var h Hold
				err := d.hold(&h)
				if doc.Holds == nil {
					doc.Holds = map[string]Hold{}
				}
				doc.Holds[k] = h
				return err
			})
		case "quarantines":
			return d.mapOf(func(k string) error {
				var q Quarantine
				err := d.quarantine(&q)
				if doc.Quarantines == nil {
					doc.Quarantines = map[string]Quarantine{}
				}
				doc.Quarantines[k] = q
				return err
			})
		case "deletions":
			return d.array(func() error {
				doc.Deletions = append(doc.Deletions, Deletion{})
				return d.deletion(&doc.Deletions[len(doc.Deletions)-1])
			})
		case "retirements":
			return d.mapOf(func(k string) error {
				var r Retirement
				err := d.retirement(&r)
				if doc.Retirements == nil {
					doc.Retirements = map[string]Retirement{}
				}
				doc.Retirements[k] = r
				return err
			})
		case "retireLog":
			return d.array(func() error {
				doc.RetireLog = append(doc.RetireLog, RetireEvent{})
				return d.retireEvent(&doc.RetireLog[len(doc.RetireLog)-1])
			})
		case "history":
			doc.History = &History{}
			return d.history(doc.History)
		case "segment":
			n, err := d.int()
			doc.segment = n
			return err
		}
		return d.unknown(key)
	}); err != nil {
		return nil, err
	}
	d.ws()
	if d.pos < len(d.src) {
		return nil, d.fail("data after the document")
	}
	return doc, nil
}

func (d *decoder) bundles(doc *Document) error {
	if d.null() {
		return nil
	}
	doc.Bundles = make([]Bundle, 0, d.countItems()+1024)
	return d.array(func() error {
		doc.Bundles = append(doc.Bundles, Bundle{})
		b := &doc.Bundles[len(doc.Bundles)-1]
		return d.object(func(key string) error {
			switch key {
			case "version":
				return d.str(&b.Version)
			case "digest":
				return d.str(&b.Digest)
			case "lockDigest":
				return d.str(&b.LockDigest)
			case "id":
				return d.internStr(&b.ID)
			case "channel":
				return d.internStr(&b.Channel)
			case "created":
				return d.time(&b.Created)
			case "resolved":
				return d.time(&b.Resolved)
			case "actor":
				return d.internStr(&b.Actor)
			case "run":
				return d.str(&b.Run)
			case "artifactType":
				return d.internStr(&b.ArtifactType)
			case "mode":
				return d.internStr(&b.Mode)
			case "tags":
				return d.strings(&b.Tags)
			}
			return d.unknown(key)
		})
	})
}

// strings reads an array of strings as encoding/json does: null leaves nil,
// [] an empty slice. Tags repeat across bundles (sha-…, extra tags): interned.
func (d *decoder) history(h *History) error {
	return d.object(func(key string) error {
		switch key {
		case "segments":
			n, err := d.int()
			h.Segments = n
			return err
		case "bundles":
			n, err := d.int()
			h.Bundles = n
			return err
		case "entries":
			return d.mapOf(func(k string) error {
				n, err := d.int()
				if h.Entries == nil {
					h.Entries = map[string]int{}
				}
				h.Entries[k] = n
				return err
			})
		case "deletions":
			n, err := d.int()
			h.Deletions = n
			return err
		case "pinned":
			n, err := d.int()
			h.Pinned = n
			return err
		case "pinnedDeletions":
			n, err := d.int()
			h.PinnedDeletions = n
			return err
		case "highest":
			return d.mapOf(func(k string) error {
				var x Highest
				err := d.object(func(key string) error {
					switch key {
					case "version":
						return d.str(&x.Version)
					case "release":
						return d.str(&x.Release)
					}
					return d.unknown(key)
				})
				if h.Highest == nil {
					h.Highest = map[string]Highest{}
				}
				h.Highest[k] = x
				return err
			})
		case "unsorted":
			return d.bool(&h.Unsorted)
		case "retained":
			return d.strings(&h.Retained)
		}
		return d.unknown(key)
	})
}

func (d *decoder) strings(dst *[]string) error {
	if d.null() {
		*dst = nil
		return nil
	}
	out := []string{}
	err := d.array(func() error {
		out = append(out, "")
		return d.internStr(&out[len(out)-1])
	})
	*dst = out
	return err
}

func (d *decoder) streams(doc *Document) error {
	return d.mapOf(func(name string) error {
		if doc.Streams == nil {
			doc.Streams = map[string][]Entry{}
		}
		if d.null() {
			doc.Streams[name] = nil
			return nil
		}
		es := make([]Entry, 0, d.countItems()+64)
		err := d.array(func() error {
			es = append(es, Entry{})
			return d.entry(&es[len(es)-1])
		})
		doc.Streams[name] = es
		return err
	})
}

func (d *decoder) entry(e *Entry) error {
	return d.object(func(key string) error {
		switch key {
		case "version":
			return d.str(&e.Version)
		case "digest":
			return d.str(&e.Digest)
		case "at":
			return d.time(&e.At)
		case "actor":
			return d.internStr(&e.Actor)
		case "run":
			return d.str(&e.Run)
		case "reason":
			return d.internStr(&e.Reason)
		case "decision":
			return d.internStr(&e.Decision)
		case "forced":
			return d.bool(&e.Forced)
		case "previousVersion":
			return d.str(&e.PreviousVersion)
		case "previousDigest":
			return d.str(&e.PreviousDigest)
		case "claim":
			return d.str(&e.Claim)
		case "signature":
			return d.str(&e.Signature)
		}
		return d.unknown(key)
	})
}

func (d *decoder) hold(h *Hold) error {
	return d.object(func(key string) error {
		switch key {
		case "reason":
			return d.str(&h.Reason)
		case "actor":
			return d.str(&h.Actor)
		case "at":
			return d.time(&h.At)
		}
		return d.unknown(key)
	})
}

func (d *decoder) quarantine(q *Quarantine) error {
	return d.object(func(key string) error {
		switch key {
		case "reason":
			return d.str(&q.Reason)
		case "label":
			return d.str(&q.Label)
		case "actor":
			return d.str(&q.Actor)
		case "at":
			return d.time(&q.At)
		case "released":
			return d.time(&q.Released)
		}
		return d.unknown(key)
	})
}

func (d *decoder) deletion(x *Deletion) error {
	return d.object(func(key string) error {
		switch key {
		case "version":
			return d.str(&x.Version)
		case "digest":
			return d.str(&x.Digest)
		case "at":
			return d.time(&x.At)
		case "reason":
			return d.str(&x.Reason)
		case "run":
			return d.str(&x.Run)
		}
		return d.unknown(key)
	})
}

func (d *decoder) retirement(r *Retirement) error {
	return d.object(func(key string) error {
		switch key {
		case "version":
			return d.str(&r.Version)
		case "digest":
			return d.str(&r.Digest)
		case "at":
			return d.time(&r.At)
		case "actor":
			return d.str(&r.Actor)
		case "run":
			return d.str(&r.Run)
		case "reason":
			return d.str(&r.Reason)
		case "notify":
			return d.strings(&r.Notify)
		case "notified":
			return d.strings(&r.Notified)
		}
		return d.unknown(key)
	})
}

func (d *decoder) retireEvent(ev *RetireEvent) error {
	return d.object(func(key string) error {
		switch key {
		case "stream":
			return d.str(&ev.Stream)
		case "action":
			return d.str(&ev.Action)
		case "version":
			return d.str(&ev.Version)
		case "digest":
			return d.str(&ev.Digest)
		case "at":
			return d.time(&ev.At)
		case "actor":
			return d.str(&ev.Actor)
		case "run":
			return d.str(&ev.Run)
		case "reason":
			return d.str(&ev.Reason)
		}
		return d.unknown(key)
	})
}

// --- the JSON layer ---

func (d *decoder) fail(format string, args ...any) error {
	p := ""
	for _, s := range d.path {
		switch {
		case s.index >= 0:
			p += "[" + strconv.Itoa(s.index) + "]"
		case p == "":
			p = s.key
		default:
			p += "." + s.key
		}
	}
	return &decodeError{path: p, offset: d.pos, msg: fmt.Sprintf(format, args...)}
}

func (d *decoder) unknown(key string) error {
	return d.fail("unknown field %q", key)
}

func (d *decoder) ws() {
	for d.pos < len(d.src) {
		switch d.src[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

func (d *decoder) peek() byte {
	d.ws()
	if d.pos >= len(d.src) {
		return 0
	}
	return d.src[d.pos]
}

// what names the value at pos, for type errors.
func (d *decoder) what() string {
	switch c := d.peek(); {
	case c == 0:
		return "the end of the document"
	case c == '{':
		return "an object"
	case c == '[':
		return "an array"
	case c == '"':
		return "a string"
	case c == 't' || c == 'f':
		return "a boolean"
	case c == 'n':
		return "null"
	case c == '-' || (c >= '0' && c <= '9'):
		return "a number"
	}
	return fmt.Sprintf("invalid character %q", d.src[d.pos])
}

// null consumes a null literal if there is one.
func (d *decoder) null() bool {
	if d.peek() == 'n' && len(d.src)-d.pos >= 4 && d.src[d.pos:d.pos+4] == "null" {
		d.pos += 4
		return true
	}
	return false
}

// object calls field for each key, with pos at its value; null is an empty object.
func (d *decoder) object(field func(key string) error) error {
	if d.null() {
		return nil
	}
	if d.peek() != '{' {
		return d.fail("want an object, found %s", d.what())
	}
	d.pos++
	if d.peek() == '}' {
		d.pos++
		return nil
	}
	var seen keySet
	for {
		if d.peek() != '"' {
			return d.fail("want a field name, found %s", d.what())
		}
		start := d.pos
		key, err := d.rawString()
		if err != nil {
			return err
		}
		if !seen.add(key) {
			d.pos = start
			dup := d.fail("duplicate key %q: a key appears once in an object (JSON readers disagree on which copy counts)", key).(*decodeError)
			dup.duplicate = true
			return dup
		}
		if d.peek() != ':' {
			return d.fail("want ':' after %q", key)
		}
		d.pos++
		d.path = append(d.path, step{key: key, index: -1})
		if err := field(key); err != nil {
			return err
		}
		d.path = d.path[:len(d.path)-1]
		switch d.peek() {
		case ',':
			d.pos++
		case '}':
			d.pos++
			return nil
		default:
			return d.fail("want ',' or '}' after a field, found %s", d.what())
		}
	}
}

// keySet is the keys of one object seen so far: a few in place (the fields
// of a bundle or an entry, compared without allocating), a map beyond that
// (the streams, holds and quarantines of a large ledger).
type keySet struct {
	small [16]string
	n     int
	big   map[string]struct{}
}

// add records key, and reports false when it was there already.
func (s *keySet) add(key string) bool {
	if s.big != nil {
		if _, ok := s.big[key]; ok {
			return false
		}
		s.big[key] = struct{}{}
		return true
	}
	for _, k := range s.small[:s.n] {
		if k == key {
			return false
		}
	}
	if s.n < len(s.small) {
		s.small[s.n] = key
		s.n++
		return true
	}
	s.big = make(map[string]struct{}, 2*len(s.small))
	for _, k := range s.small {
		s.big[k] = struct{}{}
	}
	s.big[key] = struct{}{}
	return true
}

// mapOf is object for maps: the key is data, interned.
func (d *decoder) mapOf(value func(key string) error) error {
	return d.object(func(key string) error { return value(key) })
}

// array calls item for each element; null is an empty array.
func (d *decoder) array(item func() error) error {
	if d.null() {
		return nil
	}
	if d.peek() != '[' {
		return d.fail("want an array, found %s", d.what())
	}
	d.pos++
	if d.peek() == ']' {
		d.pos++
		return nil
	}
	for i := 0; ; i++ {
		d.path = append(d.path, step{index: i})
		if err := item(); err != nil {
			return err
		}
		d.path = d.path[:len(d.path)-1]
		switch d.peek() {
		case ',':
			d.pos++
		case ']':
			d.pos++
			return nil
		default:
			return d.fail("want ',' or ']' after an element, found %s", d.what())
		}
	}
}

// countItems estimates the elements of the array at pos by counting the
// lines until its end (Marshal writes one per line); it only sizes a slice.
func (d *decoder) countItems() int {
	n := 0
	depth := 0
	for i := d.pos; i < len(d.src); i++ {
		switch d.src[i] {
		case '\n':
			n++
		case '[':
			depth++
		case ']':
			depth--
			if depth <= 0 {
				return n
			}
		}
	}
	return n
}

func (d *decoder) str(dst *string) error {
	if d.null() {
		return nil
	}
	if d.peek() != '"' {
		return d.fail("want a string, found %s", d.what())
	}
	s, err := d.rawString()
	*dst = s
	return err
}

func (d *decoder) internStr(dst *string) error {
	if err := d.str(dst); err != nil {
		return err
	}
	if len(*dst) > 128 {
		return nil
	}
	if s, ok := d.intern[*dst]; ok {
		*dst = s
		return nil
	}
	if len(d.intern) < 4096 {
		s := string([]byte(*dst)) // its own copy, not a slice of the input
		d.intern[s] = s
		*dst = s
	}
	return nil
}

// rawString reads the string at pos (at its opening quote).
func (d *decoder) rawString() (string, error) {
	start := d.pos + 1
	for i := start; i < len(d.src); i++ {
		c := d.src[i]
		switch {
		case c == '"':
			d.pos = i + 1
			return d.src[start:i], nil
		case c == '\\' || c >= utf8.RuneSelf:
			return d.slowString(start)
		case c < 0x20:
			d.pos = i
			return "", d.fail("control character %#x in a string", c)
		}
	}
	d.pos = len(d.src)
	return "", d.fail("unterminated string")
}

// slowString decodes a string with escapes or non-ASCII text.
func (d *decoder) slowString(start int) (string, error) {
	var b []byte
	i := start
	for i < len(d.src) {
		c := d.src[i]
		switch {
		case c == '"':
			d.pos = i + 1
			return string(b), nil
		case c < 0x20:
			d.pos = i
			return "", d.fail("control character %#x in a string", c)
		case c == '\\':
			if i+1 >= len(d.src) {
				d.pos = i
				return "", d.fail("unterminated escape")
			}
			e := d.src[i+1]
			i += 2
			switch e {
			case '"', '\\', '/':
				b = append(b, e)
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				r, ok := hex4(d.src, i)
				if !ok {
					d.pos = i
					return "", d.fail("invalid \\u escape")
				}
				i += 4
				if utf16.IsSurrogate(r) {
					r2, ok := rune(0), false
					if i+6 <= len(d.src) && d.src[i] == '\\' && d.src[i+1] == 'u' {
						r2, ok = hex4(d.src, i+2)
					}
					if dec := utf16.DecodeRune(r, r2); ok && dec != utf8.RuneError {
						r = dec
						i += 6
					} else {
						r = utf8.RuneError
					}
				}
				b = utf8.AppendRune(b, r)
			default:
				d.pos = i - 1
				return "", d.fail("invalid escape \\%c", e)
			}
		case c < utf8.RuneSelf:
			b = append(b, c)
			i++
		default:
			r, size := utf8.DecodeRuneInString(d.src[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, "\ufffd"...)
			} else {
				b = append(b, d.src[i:i+size]...)
			}
			i += size
		}
	}
	d.pos = len(d.src)
	return "", d.fail("unterminated string")
}

func hex4(s string, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[i : i+4]) {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

func (d *decoder) int() (int, error) {
	n, err := d.number(strconv.IntSize)
	return int(n), err
}

// number reads an integer that fits in bits bits, as encoding/json reads
// one into an int of that size: JSON's grammar (no '+', no leading zero),
// and no fraction or exponent.
func (d *decoder) number(bits int) (int64, error) {
	if d.null() {
		return 0, nil
	}
	c := d.peek()
	if c != '-' && (c < '0' || c > '9') {
		return 0, d.fail("want a number, found %s", d.what())
	}
	start := d.pos
	for d.pos < len(d.src) && (d.src[d.pos] == '-' || d.src[d.pos] == '+' || d.src[d.pos] == '.' ||
		d.src[d.pos] == 'e' || d.src[d.pos] == 'E' || (d.src[d.pos] >= '0' && d.src[d.pos] <= '9')) {
		d.pos++
	}
	s := d.src[start:d.pos]
	digits := strings.TrimPrefix(s, "-")
	if digits == "" || digits[0] == '+' || (len(digits) > 1 && digits[0] == '0') {
		return 0, d.fail("want an integer, found %s", s)
	}
	n, err := strconv.ParseInt(s, 10, bits)
	if err != nil {
		return 0, d.fail("want an integer, found %s", s)
	}
	return n, nil
}

func (d *decoder) bool(dst *bool) error {
	if d.null() {
		return nil
	}
	switch {
	case len(d.src)-d.pos >= 4 && d.src[d.pos:d.pos+4] == "true":
		d.pos += 4
		*dst = true
	case len(d.src)-d.pos >= 5 && d.src[d.pos:d.pos+5] == "false":
		d.pos += 5
		*dst = false
	default:
		return d.fail("want true or false, found %s", d.what())
	}
	return nil
}

var errTime = errors.New("not an RFC 3339 time")

func (d *decoder) time(dst *time.Time) error {
	if d.null() {
		return nil
	}
	if d.peek() != '"' {
		return d.fail("want an RFC 3339 time, found %s", d.what())
	}
	s, err := d.rawString()
	if err != nil {
		return err
	}
	t, err := parseTime(s)
	if err != nil {
		return d.fail("want an RFC 3339 time, found %q", s)
	}
	*dst = t
	return nil
}

// parseTime reads what Marshal writes (UTC, "2006-01-02T15:04:05.999999999Z")
// quickly, and anything else RFC 3339 through time.Parse.
func parseTime(s string) (time.Time, error) {
	if len(s) >= 20 && s[len(s)-1] == 'Z' && s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' && s[16] == ':' {
		num := func(a, b int) (int, bool) {
			n := 0
			for _, c := range []byte(s[a:b]) {
				if c < '0' || c > '9' {
					return 0, false
				}
				n = n*10 + int(c-'0')
			}
			return n, true
		}
		y, ok1 := num(0, 4)
		mo, ok2 := num(5, 7)
		dd, ok3 := num(8, 10)
		h, ok4 := num(11, 13)
		mi, ok5 := num(14, 16)
		se, ok6 := num(17, 19)
		ns, okNS := 0, true
		if rest := s[19 : len(s)-1]; rest != "" {
			if rest[0] != '.' || len(rest) < 2 || len(rest) > 10 {
				okNS = false
			} else {
				ns, okNS = num(20, len(s)-1)
				for i := len(rest) - 1; i < 9; i++ {
					ns *= 10
				}
			}
		}
		if ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && okNS && mo >= 1 && mo <= 12 && dd >= 1 && dd <= 31 &&
			h < 24 && mi < 60 && se < 60 {
			t := time.Date(y, time.Month(mo), dd, h, mi, se, ns, time.UTC)
			if t.Day() == dd { // not normalised (Feb 30)
				return t, nil
			}
		}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, errTime
	}
	return t, nil
}
