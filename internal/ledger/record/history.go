package record

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/Masterminds/semver/v3"
)

// The state + history layout (schema 2).
//
// A ledger lives for years (SPEC section 6): 100,000 bundles are some 120 MB
// of JSON, too much to read and rewrite on every publish. So a store keeps
// two kinds of file:
//
//   - the state: a Document with its History set, small and bounded, read
//     and rewritten by every write (one compare-and-swap, as before). It
//     holds the hot part of the ledger: every stream's newest entries (its
//     head among them), the newest bundles and deletions, every hold, every
//     quarantine in force, and the older bundles (and their deletions) the
//     rest refers to (pinned: see History.Pinned).
//   - segments: numbered, append-only files each holding a slice of the
//     older items, written once (with the state, in one commit) and never
//     again.
//
// The whole ledger is the segments in order followed by the state (Merge).
// The actions' decisions run on the state (Store.Update gives fn the state);
// the few that could need an item only a segment holds are run again on the
// whole ledger (NeedsHistory, and an fn failing with ErrNotFound): see
// package ledger. Readers of the whole history (status, catalog, diff,
// graph) read the whole ledger.
//
// Cuts: the segments hold a prefix of the ledger's publish order of bundles
// (the first History.Bundles), of each stream's entries (History.Entries)
// and of the deletions (History.Deletions), so order survives the split. The
// state holds the rest, after the copies it pins of older bundles it refers
// to. A released quarantine moves to a segment; the state's copy of a
// quarantine overrides a segment's.
//
// When a write leaves the state over Limits.High (an estimate of its JSON),
// Split moves its oldest items (all but the newest Limits.Keep* of each
// list) into new segments of at most Limits.SegmentItems items each: with
// the defaults, a state of at most some 20 KB whatever the ledger's size,
// and segments of a few tens of KB (migrating a big schema-1 ledger writes
// them of up to 800 items, under 1 MB).

// History is what of the ledger a state document leaves to segments.
type History struct {
	// Segments is the number of segment files: 1 to Segments.
	Segments int `json:"segments"`
	// Bundles is how many bundles, the first of the publish order, the
	// segments hold; Entries, per stream, how many of its first entries;
	// Deletions, how many of the first deletions.
	Bundles   int            `json:"bundles"`
	Entries   map[string]int `json:"entries,omitempty"`
	Deletions int            `json:"deletions"`
	// Pinned: the state's first Pinned bundles are copies of bundles the
	// segments hold, kept because the state refers to them (an entry of a
	// stream, a label's previous value, a quarantine, a deletion), or
	// because retention may still delete them (every bundle not deleted of a
	// channel that retention deleted from, the newest Limits.KeepPerChannel
	// of any other channel). PinnedDeletions: likewise, the deletions of
	// pinned bundles.
	Pinned          int `json:"pinned"`
	PinnedDeletions int `json:"pinnedDeletions"`
	// Highest is, per channel, its highest version and highest release
	// (no prerelease) among the bundles in segments: what a version rule
	// needs of them (see Document.Versions).
	Highest map[string]Highest `json:"highest,omitempty"`
	// Unsorted: a bundle in segments has a version that is not semver, so
	// any version may be held there.
	Unsorted bool `json:"unsorted,omitempty"`
	// Retained lists, sorted, the channels with a retention deletion in
	// the segments.
	Retained []string `json:"retained,omitempty"`
}

// Highest is a channel's highest version and release in segments.
type Highest struct {
	Version string `json:"version"`
	Release string `json:"release,omitempty"`
}

func (x Highest) append(out []string) []string {
	out = append(out, x.Version)
	if x.Release != "" && x.Release != x.Version {
		out = append(out, x.Release)
	}
	return out
}

func (h *History) clone() *History {
	c := *h
	c.Entries = maps.Clone(h.Entries)
	c.Highest = maps.Clone(h.Highest)
	c.Retained = slices.Clone(h.Retained)
	return &c
}

func (h *History) validate(d *Document) error {
	switch {
	case h.Segments < 0 || h.Bundles < 0 || h.Deletions < 0:
		return fmt.Errorf("history: segments %d, bundles %d, deletions %d: must not be negative", h.Segments, h.Bundles, h.Deletions)
	case h.Pinned < 0 || h.Pinned > len(d.Bundles) || h.Pinned > h.Bundles:
		return fmt.Errorf("history.pinned: %d, want 0 to %d", h.Pinned, min(len(d.Bundles), h.Bundles))
	case h.PinnedDeletions < 0 || h.PinnedDeletions > len(d.Deletions) || h.PinnedDeletions > h.Deletions:
		return fmt.Errorf("history.pinnedDeletions: %d, want 0 to %d", h.PinnedDeletions, min(len(d.Deletions), h.Deletions))
	case h.Segments == 0 && (h.Bundles > 0 || h.Deletions > 0):
		return errors.New("history: items in segments, but no segment")
	}
	for s, n := range h.Entries {
		if n < 0 {
			return fmt.Errorf("history.entries[%q]: %d, must not be negative", s, n)
		}
		if n > 0 && h.Segments == 0 {
			return errors.New("history: items in segments, but no segment")
		}
	}
	return nil
}

// MayHold reports whether a segment may hold version: it is not above every
// channel's highest version there (or is not semver, or the segments hold
// one that is not).
func (h *History) MayHold(version string) bool {
	if h == nil || h.Bundles == 0 {
		return false
	}
	if h.Unsorted {
		return true
	}
	v, err := semver.StrictNewVersion(version)
	if err != nil {
		return true
	}
	for _, x := range h.Highest {
		top, err := semver.StrictNewVersion(x.Version)
		if err != nil || !v.GreaterThan(top) {
			return true
		}
	}
	return false
}

// NeedsHistory reports whether the state d, changed by an update from a
// state of before bundles, added a bundle whose version a segment may hold:
// version uniqueness (AddBundle) is then decided on the whole ledger.
// Versions only grow in the usual course (a channel's head moves only up,
// SPEC section 2), so this is rare: a forced publish of an older version, a
// bump that the state's highest versions send onto one a segment holds.
func (d *Document) NeedsHistory(before int) bool {
	if d.History == nil {
		return false
	}
	for _, b := range d.Bundles[min(before, len(d.Bundles)):] {
		if d.History.MayHold(b.Version) {
			return true
		}
	}
	return false
}

// BundleCount is the number of bundles of the ledger: in a state document,
// those of its segments besides its own (its pinned copies counted once).
func (d *Document) BundleCount() int {
	if d.History == nil {
		return len(d.Bundles)
	}
	return d.History.Bundles + len(d.Bundles) - d.History.Pinned
}

// Segment returns the number of a segment document (0 for a ledger).
func (d *Document) Segment() int { return d.segment }

// Limits bound the state of a ledger (see Split).
type Limits struct {
	// High: a state whose estimated JSON is over High bytes is split.
	High int
	// A split keeps the newest KeepBundles bundles, KeepEntries entries of
	// each stream and KeepDeletions deletions in the state, besides the
	// pinned ones, and at least KeepPerChannel bundles not deleted of every
	// channel.
	KeepBundles, KeepEntries, KeepDeletions, KeepPerChannel int
	// MinMove: a split moving fewer items writes nothing (the state is
	// over High with what it must keep).
	MinMove int
	// SegmentItems bounds the items of one segment, SegmentBytes its
	// JSON (0: MaxSegmentBytes), so that no file on the ledger branch grows
	// past 1 MB (SPEC section 6) whatever its items hold.
	SegmentItems, SegmentBytes int
}

// MaxSegmentBytes is the default bound of a segment's JSON: under GitHub's
// 1 MB inline limit of the contents API, with room for the indentation and
// the document's own fields.
const MaxSegmentBytes = 768 << 10

// DefaultLimits keep a state of at most some 20 KB whatever the size of the
// ledger (with a few channels and labels), and segments well under 1 MB.
var DefaultLimits = Limits{High: 24 << 10, KeepBundles: 8, KeepEntries: 4, KeepDeletions: 4, KeepPerChannel: 4,
	MinMove: 16, SegmentItems: 800}

// Estimated JSON sizes of the items, for Limits.High.
const (
	sizeBundle, sizeEntry, sizeDeletion, sizeQuarantine, sizeHold, sizeStream = 460, 380, 230, 220, 120, 60
)

// EstimatedSize is about the length of d's JSON (no marshalling).
func (d *Document) EstimatedSize() int {
	n := 400 + len(d.Bundles)*sizeBundle + len(d.Deletions)*sizeDeletion + len(d.Quarantines)*sizeQuarantine + len(d.Holds)*sizeHold
	for _, es := range d.Streams {
		n += sizeStream + len(es)*sizeEntry
	}
	return n
}

// Cut is the state of the whole ledger whole (as Merge returns it, with an
// update applied) under history h, moving nothing: the items after h's
// cuts, and the older bundles and deletions the state refers to, pinned
// again. A nil h is a ledger with no segments: the state is whole.
func Cut(whole *Document, h *History, lim Limits) *Document {
	if h == nil {
		return whole
	}
	h = h.clone()
	st := &Document{Schema: whole.Schema, Product: whole.Product, Revision: whole.Revision, Holds: whole.Holds, History: h,
		Retirements: whole.Retirements, RetireLog: whole.RetireLog}
	st.Streams = make(map[string][]Entry, len(whole.Streams))
	for s, es := range whole.Streams {
		st.Streams[s] = es[min(h.Entries[s], len(es)):]
	}
	st.Quarantines = map[string]Quarantine{}
	for k, q := range whole.Quarantines {
		if c, cold := whole.coldQuar[k]; !cold || c != q {
			st.Quarantines[k] = q
		}
	}
	nb, nd := min(h.Bundles, len(whole.Bundles)), min(h.Deletions, len(whole.Deletions))
	st.arrange(whole.Bundles[:nb], whole.Bundles[nb:], whole.Deletions[:nd], whole.Deletions[nd:], lim.KeepPerChannel)
	return st
}

// arrange sets st's bundles and deletions: the pinned ones of cold (older
// than the cuts, in order), then hot; likewise the deletions.
func (st *Document) arrange(cold, hot []Bundle, coldDels, hotDels []Deletion, keepPerChannel int) {
	h := st.History
	refs := map[string]bool{}
	for s, es := range st.Streams {
		kind, _, _ := ParseStream(s)
		for i, e := range es {
			refs[e.Version] = true
			if i == len(es)-1 && kind == KindLabel && e.PreviousVersion != "" {
				refs[e.PreviousVersion] = true
			}
		}
	}
	for _, del := range hotDels {
		refs[del.Version] = true
	}
	hotDigest := map[string]bool{}
	for _, b := range hot {
		hotDigest[b.Digest] = true
	}
	quarDigest := map[string]bool{}
	for k := range st.Quarantines {
		if !hotDigest[k] {
			quarDigest[k] = true
		}
	}
	deleted := map[string]bool{}
	channelOf := map[string]string{}
	for _, b := range cold {
		channelOf[b.Version] = b.Channel
	}
	for _, b := range hot {
		channelOf[b.Version] = b.Channel
	}
	retained := map[string]bool{}
	for _, c := range h.Retained {
		retained[c] = true
	}
	for _, ds := range [][]Deletion{coldDels, hotDels} {
		for _, del := range ds {
			deleted[del.Version] = true
			retained[channelOf[del.Version]] = true
		}
	}
	// the newest bundles not deleted of each channel, hot ones first
	live := map[string]int{}
	for _, b := range hot {
		if !deleted[b.Version] {
			live[b.Channel]++
		}
	}
	pin := make([]bool, len(cold))
	for i := len(cold) - 1; i >= 0; i-- {
		b := cold[i]
		if refs[b.Version] {
			pin[i] = true
		}
		if !deleted[b.Version] && (retained[b.Channel] || live[b.Channel] < keepPerChannel) {
			pin[i] = true
			live[b.Channel]++
		}
	}
	// a quarantine needs the first bundle of its digest: walk forward
	for i, b := range cold {
		if quarDigest[b.Digest] {
			pin[i] = true
			delete(quarDigest, b.Digest)
		}
	}
	bundles := make([]Bundle, 0, len(hot)+8)
	kept := map[string]bool{}
	for i, b := range cold {
		if pin[i] {
			bundles = append(bundles, b)
			kept[b.Version] = true
		}
	}
	h.Pinned = len(bundles)
	bundles = append(bundles, hot...)
	for _, b := range hot {
		kept[b.Version] = true
	}
	dels := make([]Deletion, 0, len(hotDels)+4)
	for _, del := range coldDels {
		if kept[del.Version] {
			dels = append(dels, del)
		}
	}
	h.PinnedDeletions = len(dels)
	dels = append(dels, hotDels...)
	st.Bundles, st.Deletions = bundles, dels
	st.idx = nil
}

// Split returns the state st unchanged while its estimated JSON is within
// lim.High. Over it, it moves the oldest items into new segments (numbered
// after st.History.Segments) and returns the state that remains and the
// segments, in order. A schema-1 ledger (no History) is a state with no
// segments yet: its first split is its migration. st is not changed.
func Split(st *Document, lim Limits) (*Document, []*Document) {
	if st.EstimatedSize() <= lim.High {
		return st, nil
	}
	h := &History{}
	if st.History != nil {
		h = st.History.clone()
	}
	pb, pd := min(h.Pinned, len(st.Bundles)), min(h.PinnedDeletions, len(st.Deletions))
	tail, tailDels := st.Bundles[pb:], st.Deletions[pd:]
	mb, md := max(0, len(tail)-lim.KeepBundles), max(0, len(tailDels)-lim.KeepDeletions)
	moved := mb + md
	streams := make(map[string][]Entry, len(st.Streams))
	me := map[string]int{}
	for s, es := range st.Streams {
		n := max(0, len(es)-max(lim.KeepEntries, 1))
		me[s], streams[s] = n, es[n:]
		moved += n
	}
	quar := map[string]Quarantine{}
	var coldQuar []string
	for _, k := range slices.Sorted(maps.Keys(st.Quarantines)) {
		if q := st.Quarantines[k]; !q.Released.IsZero() {
			coldQuar = append(coldQuar, k)
		} else {
			quar[k] = q
		}
	}
	moved += len(coldQuar)
	if moved < max(lim.MinMove, 1) {
		return st, nil
	}

	// the segments: the moved items in order, lim.SegmentItems at a time
	var segs []*Document
	var cur *Document
	n, size := 0, 0
	segBytes := lim.SegmentBytes
	if segBytes <= 0 {
		segBytes = MaxSegmentBytes
	}
	// next is the segment an item of JSON length itemSize goes into: the
	// current one, or a new one when it is full by items or by bytes (an
	// item larger than a whole segment gets one of its own)
	next := func(itemSize int) *Document {
		itemSize += 16 // its key, indentation, separators
		if cur == nil || n >= max(lim.SegmentItems, 1) || n > 0 && size+itemSize > segBytes {
			h.Segments++
			cur = &Document{Schema: Schema, Product: st.Product, segment: h.Segments}
			segs = append(segs, cur)
			n, size = 0, 0
		}
		n++
		size += itemSize
		return cur
	}
	for _, b := range tail[:mb] {
		s := next(len(appendBundle(nil, &b)))
		s.Bundles = append(s.Bundles, b)
		h.note(b)
	}
	for _, k := range slices.Sorted(maps.Keys(me)) {
		for _, e := range st.Streams[k][:me[k]] {
			s := next(len(k) + len(appendEntry(nil, &e)))
			if s.Streams == nil {
				s.Streams = map[string][]Entry{}
			}
			s.Streams[k] = append(s.Streams[k], e)
		}
		if me[k] > 0 {
			if h.Entries == nil {
				h.Entries = map[string]int{}
			}
			h.Entries[k] += me[k]
		}
	}
	channelOf := map[string]string{}
	for _, b := range st.Bundles {
		channelOf[b.Version] = b.Channel
	}
	for _, del := range tailDels[:md] {
		s := next(len(appendDeletion(nil, del)))
		s.Deletions = append(s.Deletions, del)
		if c := channelOf[del.Version]; !slices.Contains(h.Retained, c) {
			h.Retained = append(h.Retained, c)
			slices.Sort(h.Retained)
		}
	}
	for _, k := range coldQuar {
		s := next(len(k) + len(appendQuarantine(nil, st.Quarantines[k])))
		if s.Quarantines == nil {
			s.Quarantines = map[string]Quarantine{}
		}
		s.Quarantines[k] = st.Quarantines[k]
	}
	h.Bundles += mb
	h.Deletions += md

	out := &Document{Schema: st.Schema, Product: st.Product, Revision: st.Revision, Holds: st.Holds, Streams: streams,
		Retirements: st.Retirements, RetireLog: st.RetireLog,
		Quarantines: quar, History: h}
	cold := append(slices.Clone(st.Bundles[:pb]), tail[:mb]...)
	coldDels := append(slices.Clone(st.Deletions[:pd]), tailDels[:md]...)
	out.arrange(cold, tail[mb:], coldDels, tailDels[md:], lim.KeepPerChannel)
	return out, segs
}

// note counts b, moved to a segment, in the highest versions.
func (h *History) note(b Bundle) {
	v, err := semver.StrictNewVersion(b.Version)
	if err != nil {
		h.Unsorted = true
		return
	}
	if h.Highest == nil {
		h.Highest = map[string]Highest{}
	}
	x := h.Highest[b.Channel]
	if top, err := semver.StrictNewVersion(x.Version); err != nil || v.GreaterThan(top) {
		x.Version = b.Version
	}
	if top, err := semver.StrictNewVersion(x.Release); v.Prerelease() == "" && (err != nil || v.GreaterThan(top)) {
		x.Release = b.Version
	}
	h.Highest[b.Channel] = x
}

// Merge is the whole ledger of state st and its segments segs (numbers 1 to
// st.History.Segments, in order): the segments' items in order, then the
// state's (its pinned copies left out); a quarantine of the state overrides
// a segment's. The result has no History; it is validated.
func Merge(st *Document, segs []*Document) (*Document, error) {
	h := st.History
	if h == nil {
		if len(segs) > 0 {
			return nil, errors.New("merging the ledger: segments, but the state has no history")
		}
		return st, nil
	}
	if len(segs) != h.Segments {
		return nil, fmt.Errorf("merging the ledger: the state counts %d segments, found %d", h.Segments, len(segs))
	}
	w := &Document{Schema: st.Schema, Product: st.Product, Revision: st.Revision, Holds: st.Holds,
		Retirements: st.Retirements, RetireLog: st.RetireLog,
		Streams: map[string][]Entry{}, Quarantines: map[string]Quarantine{}}
	nb, nd := 0, 0
	for _, s := range segs {
		nb += len(s.Bundles)
		nd += len(s.Deletions)
	}
	w.Bundles = make([]Bundle, 0, nb+len(st.Bundles))
	w.Deletions = make([]Deletion, 0, nd+len(st.Deletions))
	for i, s := range segs {
		if s.segment != i+1 {
			return nil, fmt.Errorf("merging the ledger: segment %d is numbered %d", i+1, s.segment)
		}
		w.Bundles = append(w.Bundles, s.Bundles...)
		w.Deletions = append(w.Deletions, s.Deletions...)
		for k, es := range s.Streams {
			w.Streams[k] = append(w.Streams[k], es...)
		}
		maps.Copy(w.Quarantines, s.Quarantines)
	}
	if len(w.Bundles) != h.Bundles || len(w.Deletions) != h.Deletions {
		return nil, fmt.Errorf("merging the ledger: the segments hold %d bundles and %d deletions, the state counts %d and %d",
			len(w.Bundles), len(w.Deletions), h.Bundles, h.Deletions)
	}
	for k, n := range h.Entries {
		if len(w.Streams[k]) != n {
			return nil, fmt.Errorf("merging the ledger: the segments hold %d entries of %s, the state counts %d", len(w.Streams[k]), k, n)
		}
	}
	w.coldQuar = maps.Clone(w.Quarantines)
	maps.Copy(w.Quarantines, st.Quarantines)
	w.Bundles = append(w.Bundles, st.Bundles[h.Pinned:]...)
	w.Deletions = append(w.Deletions, st.Deletions[h.PinnedDeletions:]...)
	for k, es := range st.Streams {
		w.Streams[k] = append(w.Streams[k], es...)
	}
	w.index()
	if err := w.Validate(); err != nil {
		return nil, fmt.Errorf("merging the ledger: %w", err)
	}
	return w, nil
}

// ParseSegment reads segment number n of product's ledger (see Split).
func ParseSegment(data []byte, product string, n int) (*Document, error) {
	d, err := decodeDocument(string(data))
	if err != nil {
		var de *decodeError
		if schema, ok := probeSchema(data, d, err); ok && schema > Schema && !(errors.As(err, &de) && de.duplicate) {
			return nil, &SchemaError{Found: schema, Known: Schema}
		}
		return nil, fmt.Errorf("reading ledger segment %d: %w", n, err)
	}
	switch {
	case d.Schema != Schema:
		if d.Schema > Schema {
			return nil, &SchemaError{Found: d.Schema, Known: Schema}
		}
		return nil, fmt.Errorf("ledger segment %d: schema %d, want %d", n, d.Schema, Schema)
	case d.segment != n:
		return nil, fmt.Errorf("ledger segment %d: it says it is segment %d", n, d.segment)
	case d.Product != product:
		return nil, fmt.Errorf("ledger segment %d is of product %q, not %q", n, d.Product, product)
	case d.History != nil:
		return nil, fmt.Errorf("ledger segment %d: a segment has no history", n)
	}
	for i, b := range d.Bundles {
		if b.Version == "" || !validDigest(b.Digest) {
			return nil, fmt.Errorf("ledger segment %d: bundles[%d]: version %q, digest %q: want a version and an OCI digest", n, i, b.Version, b.Digest)
		}
	}
	return d, nil
}

// SegmentName is the file name of segment n: 000001.json.
func SegmentName(n int) string {
	s := strconv.Itoa(n)
	for len(s) < 6 {
		s = "0" + s
	}
	return s + ".json"
}

func appendHistory(b []byte, h *History) []byte {
	o := openObj(b)
	o.int("segments", h.Segments)
	o.int("bundles", h.Bundles)
	inlineMap(&o, "entries", h.Entries, func(b []byte, n int) []byte { return strconv.AppendInt(b, int64(n), 10) })
	o.int("deletions", h.Deletions)
	o.int("pinned", h.Pinned)
	o.int("pinnedDeletions", h.PinnedDeletions)
	inlineMap(&o, "highest", h.Highest, func(b []byte, x Highest) []byte {
		v := openObj(b)
		v.str("version", x.Version)
		v.strOmit("release", x.Release)
		return v.close()
	})
	if h.Unsorted {
		o.key("unsorted")
		o.b = append(o.b, "true"...)
	}
	o.strings("retained", h.Retained)
	return o.close()
}

func (o *obj) int(k string, v int) { o.key(k); o.b = strconv.AppendInt(o.b, int64(v), 10) }

// inlineMap writes m under k as one JSON object on one line, its keys
// sorted, each value by value; nothing when m is empty.
func inlineMap[V any](o *obj, k string, m map[string]V, value func([]byte, V) []byte) {
	if len(m) == 0 {
		return
	}
	o.key(k)
	o.b = append(o.b, '{')
	for i, key := range slices.Sorted(maps.Keys(m)) {
		if i > 0 {
			o.b = append(o.b, ',')
		}
		o.b = appendString(o.b, key)
		o.b = append(o.b, ':')
		o.b = value(o.b, m[key])
	}
	o.b = append(o.b, '}')
}
