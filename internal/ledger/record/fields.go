package record

import (
	"strconv"
	"time"
)

// The record types' JSON, one table of fields per type: a field's name, how
// Marshal writes it and how the strict decoder reads it. A table's order is
// the order Marshal writes the fields in; the decoder takes them in any
// order, and an unknown or repeated key is an error.
//
// Omitted fields follow the struct tags (omitempty, omitzero); interned ones
// are values that repeat from record to record (actor, channel, decision...).

// fieldKind is the JSON type of a field, and which accessor it has.
type fieldKind uint8

const (
	kindString  fieldKind = iota // str
	kindTime                     // time, as RFC 3339 in UTC
	kindStrings                  // strs, an array of strings, left out when empty
	kindBool                     // flag, left out when false
	kindInt                      // num
	kindCustom                   // write and read
)

// field is one field of the record type T.
type field[T any] struct {
	name   string
	kind   fieldKind
	omit   bool // left out when zero (a string or a time)
	intern bool // read interned (a string)
	str    func(*T) *string
	time   func(*T) *time.Time
	strs   func(*T) *[]string
	flag   func(*T) *bool
	num    func(*T) *int
	write  func(obj, *T) obj
	read   func(*decoder, *T) error
}

// text is a string field that is always written.
func text[T any](name string, get func(*T) *string) field[T] {
	return field[T]{name: name, kind: kindString, str: get}
}

// textOmit is a string field left out when empty.
func textOmit[T any](name string, get func(*T) *string) field[T] {
	return field[T]{name: name, kind: kindString, str: get, omit: true}
}

// interned is a string field left out when empty, whose values repeat.
func interned[T any](name string, get func(*T) *string) field[T] {
	return field[T]{name: name, kind: kindString, str: get, omit: true, intern: true}
}

// instant is a time field that is always written.
func instant[T any](name string, get func(*T) *time.Time) field[T] {
	return field[T]{name: name, kind: kindTime, time: get}
}

// instantOmit is a time field left out when zero.
func instantOmit[T any](name string, get func(*T) *time.Time) field[T] {
	return field[T]{name: name, kind: kindTime, time: get, omit: true}
}

// list is an array of strings, left out when empty; its values repeat.
func list[T any](name string, get func(*T) *[]string) field[T] {
	return field[T]{name: name, kind: kindStrings, strs: get}
}

// flag is a boolean, left out when false.
func flag[T any](name string, get func(*T) *bool) field[T] {
	return field[T]{name: name, kind: kindBool, flag: get}
}

// count is an integer that is always written.
func count[T any](name string, get func(*T) *int) field[T] {
	return field[T]{name: name, kind: kindInt, num: get}
}

// custom is a field of another shape: write writes it (key and value, or
// nothing), read reads its value.
func custom[T any](name string, write func(obj, *T) obj, read func(*decoder, *T) error) field[T] {
	return field[T]{name: name, kind: kindCustom, write: write, read: read}
}

var bundleFields = []field[Bundle]{
	text("version", func(x *Bundle) *string { return &x.Version }),
	text("digest", func(x *Bundle) *string { return &x.Digest }),
	textOmit("lockDigest", func(x *Bundle) *string { return &x.LockDigest }),
	interned("id", func(x *Bundle) *string { return &x.ID }),
	interned("channel", func(x *Bundle) *string { return &x.Channel }),
	instantOmit("created", func(x *Bundle) *time.Time { return &x.Created }),
	instantOmit("resolved", func(x *Bundle) *time.Time { return &x.Resolved }),
	interned("actor", func(x *Bundle) *string { return &x.Actor }),
	textOmit("run", func(x *Bundle) *string { return &x.Run }),
	interned("artifactType", func(x *Bundle) *string { return &x.ArtifactType }),
	interned("mode", func(x *Bundle) *string { return &x.Mode }),
	list("tags", func(x *Bundle) *[]string { return &x.Tags }),
}

var entryFields = []field[Entry]{
	text("version", func(x *Entry) *string { return &x.Version }),
	text("digest", func(x *Entry) *string { return &x.Digest }),
	instant("at", func(x *Entry) *time.Time { return &x.At }),
	interned("actor", func(x *Entry) *string { return &x.Actor }),
	textOmit("run", func(x *Entry) *string { return &x.Run }),
	interned("reason", func(x *Entry) *string { return &x.Reason }),
	interned("decision", func(x *Entry) *string { return &x.Decision }),
	flag("forced", func(x *Entry) *bool { return &x.Forced }),
	textOmit("previousVersion", func(x *Entry) *string { return &x.PreviousVersion }),
	textOmit("previousDigest", func(x *Entry) *string { return &x.PreviousDigest }),
	textOmit("claim", func(x *Entry) *string { return &x.Claim }),
	textOmit("signature", func(x *Entry) *string { return &x.Signature }),
}

var holdFields = []field[Hold]{
	textOmit("reason", func(x *Hold) *string { return &x.Reason }),
	textOmit("actor", func(x *Hold) *string { return &x.Actor }),
	instant("at", func(x *Hold) *time.Time { return &x.At }),
}

var quarantineFields = []field[Quarantine]{
	textOmit("reason", func(x *Quarantine) *string { return &x.Reason }),
	textOmit("label", func(x *Quarantine) *string { return &x.Label }),
	textOmit("actor", func(x *Quarantine) *string { return &x.Actor }),
	instant("at", func(x *Quarantine) *time.Time { return &x.At }),
	instantOmit("released", func(x *Quarantine) *time.Time { return &x.Released }),
}

var deletionFields = []field[Deletion]{
	text("version", func(x *Deletion) *string { return &x.Version }),
	text("digest", func(x *Deletion) *string { return &x.Digest }),
	instant("at", func(x *Deletion) *time.Time { return &x.At }),
	textOmit("reason", func(x *Deletion) *string { return &x.Reason }),
	textOmit("run", func(x *Deletion) *string { return &x.Run }),
}

var retirementFields = []field[Retirement]{
	text("version", func(x *Retirement) *string { return &x.Version }),
	text("digest", func(x *Retirement) *string { return &x.Digest }),
	instant("at", func(x *Retirement) *time.Time { return &x.At }),
	textOmit("actor", func(x *Retirement) *string { return &x.Actor }),
	textOmit("run", func(x *Retirement) *string { return &x.Run }),
	text("reason", func(x *Retirement) *string { return &x.Reason }),
	list("notify", func(x *Retirement) *[]string { return &x.Notify }),
	list("notified", func(x *Retirement) *[]string { return &x.Notified }),
}

var retireEventFields = []field[RetireEvent]{
	text("stream", func(x *RetireEvent) *string { return &x.Stream }),
	text("action", func(x *RetireEvent) *string { return &x.Action }),
	textOmit("version", func(x *RetireEvent) *string { return &x.Version }),
	textOmit("digest", func(x *RetireEvent) *string { return &x.Digest }),
	instant("at", func(x *RetireEvent) *time.Time { return &x.At }),
	textOmit("actor", func(x *RetireEvent) *string { return &x.Actor }),
	textOmit("run", func(x *RetireEvent) *string { return &x.Run }),
	textOmit("reason", func(x *RetireEvent) *string { return &x.Reason }),
}

var highestFields = []field[Highest]{
	text("version", func(x *Highest) *string { return &x.Version }),
	textOmit("release", func(x *Highest) *string { return &x.Release }),
}

var historyFields = []field[History]{
	count("segments", func(x *History) *int { return &x.Segments }),
	count("bundles", func(x *History) *int { return &x.Bundles }),
	custom("entries", func(o obj, x *History) obj {
		return inlineMap(o, "entries", x.Entries, func(b []byte, n int) []byte { return strconv.AppendInt(b, int64(n), 10) })
	}, func(d *decoder, x *History) error {
		return readMap(d, &x.Entries, func(n *int) error {
			v, err := d.int()
			*n = v
			return err
		})
	}),
	count("deletions", func(x *History) *int { return &x.Deletions }),
	count("pinned", func(x *History) *int { return &x.Pinned }),
	count("pinnedDeletions", func(x *History) *int { return &x.PinnedDeletions }),
	custom("highest", func(o obj, x *History) obj {
		return inlineMap(o, "highest", x.Highest, func(b []byte, h Highest) []byte { return appendRecord(b, &h, highestFields) })
	}, func(d *decoder, x *History) error {
		return readMap(d, &x.Highest, func(h *Highest) error { return readRecord(d, h, highestFields) })
	}),
	flag("unsorted", func(x *History) *bool { return &x.Unsorted }),
	list("retained", func(x *History) *[]string { return &x.Retained }),
}

// appendRecord writes x as one JSON object on one line, its fields in the
// table's order.
func appendRecord[T any](b []byte, x *T, fields []field[T]) []byte {
	o := openObj(b)
	for i := range fields {
		f := &fields[i]
		switch f.kind {
		case kindString:
			if v := *f.str(x); v != "" || !f.omit {
				o.str(f.name, v)
			}
		case kindTime:
			if t := f.time(x); !f.omit || !t.IsZero() {
				o.time(f.name, *t)
			}
		case kindStrings:
			o.strings(f.name, *f.strs(x))
		case kindBool:
			if *f.flag(x) {
				o.key(f.name)
				o.b = append(o.b, "true"...)
			}
		case kindInt:
			o.int(f.name, *f.num(x))
		case kindCustom:
			o = f.write(o, x)
		}
	}
	return o.close()
}

// readRecord reads the object at pos into x: each key one of the table's
// fields, at most once.
func readRecord[T any](d *decoder, x *T, fields []field[T]) error {
	next := 0
	return d.object(func(key string) error {
		f := lookup(fields, key, &next)
		if f == nil {
			return d.unknown(key)
		}
		switch f.kind {
		case kindString:
			if f.intern {
				return d.internStr(f.str(x))
			}
			return d.str(f.str(x))
		case kindTime:
			return d.time(f.time(x))
		case kindStrings:
			return d.strings(f.strs(x))
		case kindBool:
			return d.bool(f.flag(x))
		case kindInt:
			n, err := d.int()
			*f.num(x) = n
			return err
		}
		return f.read(d, x)
	})
}

// lookup finds the field named key, trying first the ones after the field
// found last (*next): Marshal writes the fields in the table's order.
func lookup[T any](fields []field[T], key string, next *int) *field[T] {
	j := *next
	for range fields {
		if j == len(fields) {
			j = 0
		}
		if fields[j].name == key {
			*next = j + 1
			return &fields[j]
		}
		j++
	}
	return nil
}

// readList reads an array of records, appending them to *dst; null or []
// leave it as it is.
func readList[T any](d *decoder, dst *[]T, fields []field[T]) error {
	return d.array(func() error {
		*dst = append(*dst, *new(T))
		return readRecord(d, &(*dst)[len(*dst)-1], fields)
	})
}

// readMap reads an object whose keys are data into *dst, made on its first
// key, each value by value.
func readMap[V any](d *decoder, dst *map[string]V, value func(*V) error) error {
	return d.mapOf(func(k string) error {
		var v V
		err := value(&v)
		if *dst == nil {
			*dst = map[string]V{}
		}
		(*dst)[k] = v
		return err
	})
}

// appendRecords writes xs as a JSON array, one record a line at indent.
func appendRecords[T any](b []byte, xs []T, fields []field[T], indent int) []byte {
	b = append(b, '[')
	for i := range xs {
		b = listItem(b, i, indent)
		b = appendRecord(b, &xs[i], fields)
	}
	return closeList(b, len(xs), indent-2, ']')
}

// appendRecordMap writes m as a JSON object, its keys sorted, one record a
// line.
func appendRecordMap[T any](b []byte, m map[string]T, fields []field[T]) []byte {
	b = append(b, '{')
	for i, k := range sortedKeys(m) {
		b = listItem(b, i, 4)
		b = appendString(b, k)
		b = append(b, ": "...)
		x := m[k]
		b = appendRecord(b, &x, fields)
	}
	return closeList(b, len(m), 2, '}')
}
