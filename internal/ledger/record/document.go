// Package record is the ledger's document (SPEC section 6): every bundle
// published, the streams of channels and labels (which bundle held them, from
// when, why), holds, quarantines and retention deletions; its pure methods
// for what the actions do to it; its codec and its validation. It does no
// I/O: the stores that read and write it with compare-and-swap (GitHub, a
// local file, none) are package ledger.
package record

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ladder-release/ladder/internal/graph"
)

// Schema is the version of the document this code reads and writes. A
// document with a higher schema is refused (see SchemaError): an older ladder
// rewriting it would drop what it does not understand.
//
// Schema 2 is the state + history layout (see History): the file a store
// reads on every write holds the hot part of the ledger, and the rest lives
// in append-only segments. A ladder of schema 1 would take the state for the
// whole ledger and rewrite it without its history, so the layout bumped the
// schema: such a ladder refuses it ("newer than this ladder understands").
// Schema 1 documents (one file holding everything) are still read: they are
// migrated on the first write (Cut, Split).
const Schema = 2

// SchemaSingle is the schema of a ledger written as one document (before the
// state + history layout), read and migrated.
const SchemaSingle = 1

// Document is the ledger of one product. Read it through a Store; change it
// through its methods inside Store.Update, which keep the lookup index in
// step (appending to Bundles directly is noticed, editing an element is not).
type Document struct {
	Schema  int    `json:"schema"`
	Product string `json:"product"`
	// Revision counts the writes of the document: every write through
	// Store.Update stores the revision it read plus one (a document written
	// before there was a counter reads as 0). A store refuses to go back to
	// a lower revision than it has already read or written (a stale read).
	//
	// Adding it left Schema at 1. The schema is bumped when an older ladder
	// would misbehave on a newer document: rewrite it without what it does
	// not know, or act on it wrongly. An older ladder can do neither with
	// this field: its reader is strict, so it stops on `unknown field
	// "revision"` and writes nothing, the refusal a newer schema gets, with
	// a less helpful message. A bump would have added a second schema to
	// read (every document written so far) for no safety gained.
	Revision    int64                 `json:"revision,omitempty"`
	Bundles     []Bundle              `json:"bundles"`     // publish order
	Streams     map[string][]Entry    `json:"streams"`     // "channel:NAME" or "label:NAME" -> entries, oldest first
	Holds       map[string]Hold       `json:"holds"`       // label -> hold
	Quarantines map[string]Quarantine `json:"quarantines"` // bundle digest -> quarantine
	Deletions   []Deletion            `json:"deletions"`   // retention, oldest first
	// Retirements are the channels and labels retired now, by stream key;
	// RetireLog every retire and undo, oldest first (retire.go). Both are
	// left out of the JSON when empty, so a ledger that never retired
	// anything reads and writes as before; an older ladder stops on the
	// unknown field and writes nothing (the reason Revision gives for
	// leaving Schema at 1).
	Retirements map[string]Retirement `json:"retirements,omitempty"`
	RetireLog   []RetireEvent         `json:"retireLog,omitempty"`
	// History, set in a state document, says what of the ledger lives in
	// segments rather than here (see History). Nil in a whole document: one
	// read with every segment (Merge), or a ledger too small to have any.
	History *History `json:"history,omitempty"`

	segment  int                   // set in a segment: its number (see Segment)
	coldQuar map[string]Quarantine // set by Merge: the quarantines as the segments have them
	idx      *index
	sizeHint int // length of the last JSON read or written, to size Marshal's buffer
}

// Bundle is one published bundle. Its version tag never moves.
type Bundle struct {
	Version    string    `json:"version"`
	Digest     string    `json:"digest"`               // manifest digest, sha256:...
	LockDigest string    `json:"lockDigest,omitempty"` // sha256 of the lock's canonical JSON
	ID         string    `json:"id,omitempty"`         // composite id
	Channel    string    `json:"channel,omitempty"`    // the channel that published it
	Created    time.Time `json:"created,omitzero"`
	// Resolved is when its lock was resolved (the lock's created): a
	// channel's head moves only to a lock resolved after its own (SPEC
	// section 2, order). Zero in bundles recorded before it was kept.
	Resolved     time.Time `json:"resolved,omitzero"`
	Actor        string    `json:"actor,omitempty"`
	Run          string    `json:"run,omitempty"` // URL of the workflow run
	ArtifactType string    `json:"artifactType,omitempty"`
	Mode         string    `json:"mode,omitempty"` // ModeArtifact or ModeImage
	// Tags are the mutable views the publish wrote besides the version and
	// channel tags (the composite id, sha-…, the extra tags), for retention
	// to delete with the version tag. A bundle recorded before there was
	// this field has none: retention then knows only its composite id (ID).
	//
	// Adding it left Schema at 1, for the reason Revision gives: an older
	// ladder stops on the unknown field and writes nothing.
	Tags []string `json:"tags,omitempty"`
}

// Bundle modes.
const (
	ModeArtifact = "artifact" // an OCI artifact ladder built
	ModeImage    = "image"    // an existing image ladder tagged
)

// Entry is one move of a stream: from At, the channel or label held Version.
type Entry struct {
	Version         string    `json:"version"`
	Digest          string    `json:"digest"`
	At              time.Time `json:"at"`
	Actor           string    `json:"actor,omitempty"`
	Run             string    `json:"run,omitempty"`
	Reason          string    `json:"reason,omitempty"`
	Decision        string    `json:"decision,omitempty"` // e.g. published, promoted, rollback
	Forced          bool      `json:"forced,omitempty"`   // gates or a quarantine were bypassed
	PreviousVersion string    `json:"previousVersion,omitempty"`
	PreviousDigest  string    `json:"previousDigest,omitempty"`
	// Claim is a token the writer chose for this write, so that a writer whose
	// answer was lost (and whose retry met its own write as a conflict) knows
	// the entry for its own, and a rerun or another job never does.
	Claim string `json:"claim,omitempty"`
	// Signature is the digest of the signature (the OCI referrer holding a
	// Sigstore bundle) a label with `sign: true` attached to Digest before
	// this move was recorded.
	Signature string `json:"signature,omitempty"`
}

// Hold stops scheduled promotions of a label (a rollback sets one).
type Hold struct {
	Reason string    `json:"reason,omitempty"`
	Actor  string    `json:"actor,omitempty"`
	At     time.Time `json:"at"`
}

// Quarantine refuses a bundle everywhere until it is released or forced.
type Quarantine struct {
	Reason   string    `json:"reason,omitempty"`
	Label    string    `json:"label,omitempty"` // the label whose gate failed
	Actor    string    `json:"actor,omitempty"`
	At       time.Time `json:"at"`
	Released time.Time `json:"released,omitzero"` // set: no longer in force
}

// Deletion records a version tag that retention deleted from the registry.
// The bundle stays in the ledger: its version is never published again.
type Deletion struct {
	Version string    `json:"version"`
	Digest  string    `json:"digest"`
	At      time.Time `json:"at"`
	Reason  string    `json:"reason,omitempty"`
	Run     string    `json:"run,omitempty"` // the workflow run that recorded it
}

// Sentinels callers branch on (with errors.Is).
var (
	// ErrNoChange, returned by the fn of Store.Update, skips the write.
	// Methods return it (wrapped) when they would change nothing.
	ErrNoChange = errors.New("nothing to change")
	// ErrAlreadyPublished: this version is already published with this digest.
	ErrAlreadyPublished = errors.New("already published")
	// ErrVersionTaken: this version is already published with another digest.
	ErrVersionTaken = errors.New("version already taken by another bundle")
	// ErrNotFound: no such version, digest or stream.
	ErrNotFound = errors.New("not found")
	// ErrQuarantined: the bundle is quarantined and the entry is not forced.
	ErrQuarantined = errors.New("quarantined")
)

// Stream kinds, the prefix of a stream key.
const (
	KindChannel = "channel"
	KindLabel   = "label"
)

// ChannelStream is the stream key of channel name.
func ChannelStream(name string) string { return KindChannel + ":" + name }

// LabelStream is the stream key of label name.
func LabelStream(name string) string { return KindLabel + ":" + name }

// ParseStream splits a stream key into its kind and name.
func ParseStream(key string) (kind, name string, err error) {
	kind, name, ok := strings.Cut(key, ":")
	if !ok || (kind != KindChannel && kind != KindLabel) || name == "" {
		return "", "", fmt.Errorf("stream %q: want channel:NAME or label:NAME", key)
	}
	return kind, name, nil
}

// NewDocument returns an empty ledger for product.
func NewDocument(product string) *Document {
	return &Document{Schema: Schema, Product: product}
}

// index makes lookups by version and digest O(1). It is built on load and
// kept in step by the methods that change the document.
type index struct {
	byVersion map[string]int // version -> position in Bundles
	byDigest  map[string]int // digest -> position of the first bundle with it
	deleted   map[string]int // version -> position in Deletions
	nBundles  int
	nDeleted  int
}

func (d *Document) index() *index {
	if d.idx != nil && d.idx.nBundles == len(d.Bundles) && d.idx.nDeleted == len(d.Deletions) {
		return d.idx
	}
	x := &index{
		byVersion: make(map[string]int, len(d.Bundles)),
		byDigest:  make(map[string]int, len(d.Bundles)),
		deleted:   make(map[string]int, len(d.Deletions)),
	}
	for i, b := range d.Bundles {
		if _, dup := x.byVersion[b.Version]; !dup {
			x.byVersion[b.Version] = i
		}
		if _, dup := x.byDigest[b.Digest]; !dup {
			x.byDigest[b.Digest] = i
		}
	}
	for i, del := range d.Deletions {
		x.deleted[del.Version] = i
	}
	x.nBundles, x.nDeleted = len(d.Bundles), len(d.Deletions)
	d.idx = x
	return x
}

// Clone returns a deep copy (strings are shared: they are immutable).
func (d *Document) Clone() *Document {
	c := &Document{Schema: d.Schema, Product: d.Product, Revision: d.Revision, sizeHint: d.sizeHint, segment: d.segment}
	if d.History != nil {
		c.History = d.History.clone()
	}
	c.Bundles = append([]Bundle(nil), d.Bundles...)
	c.Deletions = append([]Deletion(nil), d.Deletions...)
	if d.Streams != nil {
		c.Streams = make(map[string][]Entry, len(d.Streams))
		for k, es := range d.Streams {
			c.Streams[k] = append([]Entry(nil), es...)
		}
	}
	c.Holds = maps.Clone(d.Holds)
	c.coldQuar = d.coldQuar // never changed
	c.Quarantines = maps.Clone(d.Quarantines)
	c.Retirements = maps.Clone(d.Retirements) // (its slices are replaced, never appended to in place)
	c.RetireLog = append([]RetireEvent(nil), d.RetireLog...)
	if x := d.idx; x != nil && x.nBundles == len(d.Bundles) && x.nDeleted == len(d.Deletions) {
		c.idx = &index{byVersion: maps.Clone(x.byVersion), byDigest: maps.Clone(x.byDigest),
			deleted: maps.Clone(x.deleted), nBundles: x.nBundles, nDeleted: x.nDeleted}
	}
	return c
}

// validDigest checks the OCI digest grammar: algorithm ":" encoded, the
// algorithm [a-z0-9]+ parts joined by one of +._- and the encoded part at
// least 32 of [a-zA-Z0-9=_-]. (Called for every bundle on every load: no regexp.)
func validDigest(s string) bool {
	alg, enc, ok := strings.Cut(s, ":")
	if !ok || alg == "" || len(enc) < 32 {
		return false
	}
	sep := true // at the start, a separator may not come
	for i := 0; i < len(alg); i++ {
		c := alg[i]
		switch {
		case c >= 'a' && c <= 'z' || c >= '0' && c <= '9':
			sep = false
		case c == '+' || c == '.' || c == '_' || c == '-':
			if sep {
				return false
			}
			sep = true
		default:
			return false
		}
	}
	if sep {
		return false
	}
	for i := 0; i < len(enc); i++ {
		c := enc[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '=' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// AddBundle records a published bundle. A version tag never moves: the same
// version with another digest is an error naming both (ErrVersionTaken); the
// same version with the same digest is ErrAlreadyPublished and changes nothing.
func (d *Document) AddBundle(b Bundle) error {
	if b.Version == "" {
		return errors.New("bundle version: must not be empty")
	}
	if !validDigest(b.Digest) {
		return fmt.Errorf("bundle %s: digest %q is not an OCI digest (algorithm:hex)", b.Version, b.Digest)
	}
	if b.Mode != "" && b.Mode != ModeArtifact && b.Mode != ModeImage {
		return fmt.Errorf("bundle %s: mode %q: want %s or %s", b.Version, b.Mode, ModeArtifact, ModeImage)
	}
	x := d.index()
	if i, ok := x.byVersion[b.Version]; ok {
		have := d.Bundles[i]
		if have.Digest == b.Digest {
			return fmt.Errorf("version %s (%s): %w", b.Version, b.Digest, ErrAlreadyPublished)
		}
		return fmt.Errorf("version %s is already published as %s; refusing to publish %s under it (a version tag never moves): %w",
			b.Version, have.Digest, b.Digest, ErrVersionTaken)
	}
	d.Bundles = append(d.Bundles, b)
	x.byVersion[b.Version] = len(d.Bundles) - 1
	if _, ok := x.byDigest[b.Digest]; !ok {
		x.byDigest[b.Digest] = len(d.Bundles) - 1
	}
	x.nBundles = len(d.Bundles)
	return nil
}

// Bundle returns the bundle published as version.
func (d *Document) Bundle(version string) (Bundle, bool) {
	i, ok := d.index().byVersion[version]
	if !ok {
		return Bundle{}, false
	}
	return d.Bundles[i], true
}

// BundleByDigest returns the first bundle published with digest (an image
// tagged under two versions has one digest).
func (d *Document) BundleByDigest(digest string) (Bundle, bool) {
	i, ok := d.index().byDigest[digest]
	if !ok {
		return Bundle{}, false
	}
	return d.Bundles[i], true
}

// Versions lists every published version, in publish order. In a state
// document (History set), the versions in segments are stood for by each
// channel's highest version and highest release there, first: what a
// version rule needs of them (the next release is above the highest one);
// a version the rule gives that a segment may hold is checked against the
// whole ledger (see NeedsHistory).
func (d *Document) Versions() []string {
	out := make([]string, 0, len(d.Bundles))
	if d.History != nil {
		for _, ch := range slices.Sorted(maps.Keys(d.History.Highest)) {
			out = d.History.Highest[ch].append(out)
		}
	}
	for _, b := range d.Bundles {
		out = append(out, b.Version)
	}
	return out
}

// VersionsIn lists the versions channel published, in publish order (in a
// state document, the channel's highest version and release in segments
// first, as Versions).
func (d *Document) VersionsIn(channel string) []string {
	var out []string
	if d.History != nil {
		if h, ok := d.History.Highest[channel]; ok {
			out = h.append(out)
		}
	}
	for _, b := range d.Bundles {
		if b.Channel == channel {
			out = append(out, b.Version)
		}
	}
	return out
}

// Stream returns the entries of stream, oldest first. The slice is the
// document's own: do not modify it.
func (d *Document) Stream(stream string) []Entry { return d.Streams[stream] }

// StreamNames lists the stream keys, sorted.
func (d *Document) StreamNames() []string {
	out := make([]string, 0, len(d.Streams))
	for k := range d.Streams {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Head returns the current entry of stream: the bundle the channel or label
// holds now.
func (d *Document) Head(stream string) (Entry, bool) {
	es := d.Streams[stream]
	if len(es) == 0 {
		return Entry{}, false
	}
	return es[len(es)-1], true
}

// Append records that stream moved to e.Version. The version must be
// published (e.Digest, when set, must be its digest; when empty it is filled
// in); e.At must be set; PreviousVersion and PreviousDigest default to the
// current head. A quarantined bundle is refused (ErrQuarantined) unless
// e.Forced. Moving a stream to the bundle it already holds changes nothing
// (ErrNoChange).
func (d *Document) Append(stream string, e Entry) error {
	if _, _, err := ParseStream(stream); err != nil {
		return err
	}
	b, ok := d.Bundle(e.Version)
	if !ok {
		return fmt.Errorf("%s: version %q: %w: publish the bundle first", stream, e.Version, ErrNotFound)
	}
	if e.Digest == "" {
		e.Digest = b.Digest
	} else if e.Digest != b.Digest {
		return fmt.Errorf("%s: version %s is %s, not %s", stream, e.Version, b.Digest, e.Digest)
	}
	if e.At.IsZero() {
		return fmt.Errorf("%s: entry for %s: at: must be set", stream, e.Version)
	}
	if r, ok := d.Retired(stream); ok {
		return fmt.Errorf("%s was retired at %s (%s): it stays at %s: %w", stream, stamp(r.At), r.Reason, r.Version, ErrRetired)
	}
	if q, ok := d.Quarantined(e.Digest); ok && !e.Forced {
		return fmt.Errorf("%s: %s (%s) was quarantined at %s (%s); force to use it anyway: %w",
			stream, e.Version, e.Digest, q.At.UTC().Format(time.RFC3339), q.Reason, ErrQuarantined)
	}
	head, ok := d.Head(stream)
	if ok && head.Version == e.Version {
		return fmt.Errorf("%s is already at %s: %w", stream, e.Version, ErrNoChange)
	}
	if ok && e.PreviousVersion == "" {
		e.PreviousVersion, e.PreviousDigest = head.Version, head.Digest
	}
	if d.Streams == nil {
		d.Streams = map[string][]Entry{}
	}
	d.Streams[stream] = append(d.Streams[stream], e)
	return nil
}

// Hold records a hold on label (replacing one already there).
func (d *Document) Hold(label string, h Hold) error {
	if label == "" {
		return errors.New("hold: label must not be empty")
	}
	if h.At.IsZero() {
		return fmt.Errorf("hold on %s: at: must be set", label)
	}
	if d.Holds == nil {
		d.Holds = map[string]Hold{}
	}
	d.Holds[label] = h
	return nil
}

// Release lifts the hold on label; it reports whether there was one.
func (d *Document) Release(label string) bool {
	if _, ok := d.Holds[label]; !ok {
		return false
	}
	delete(d.Holds, label)
	return true
}

// Held returns the hold on label.
func (d *Document) Held(label string) (Hold, bool) {
	h, ok := d.Holds[label]
	return h, ok
}

// Quarantine refuses the published bundle with digest everywhere until
// released. Quarantining a bundle already in quarantine changes nothing.
func (d *Document) Quarantine(digest string, q Quarantine) error {
	b, ok := d.BundleByDigest(digest)
	if !ok {
		return fmt.Errorf("quarantine: no bundle has digest %s: %w", digest, ErrNotFound)
	}
	if q.At.IsZero() {
		return fmt.Errorf("quarantine of %s: at: must be set", b.Version)
	}
	if _, in := d.Quarantined(digest); in {
		return fmt.Errorf("%s (%s) is already quarantined: %w", b.Version, digest, ErrNoChange)
	}
	q.Released = time.Time{}
	if d.Quarantines == nil {
		d.Quarantines = map[string]Quarantine{}
	}
	d.Quarantines[digest] = q
	return nil
}

// ReleaseQuarantine ends the quarantine of digest at at; the record stays.
func (d *Document) ReleaseQuarantine(digest string, at time.Time) error {
	q, in := d.Quarantined(digest)
	if !in {
		return fmt.Errorf("%s is not quarantined: %w", digest, ErrNoChange)
	}
	if at.IsZero() {
		return fmt.Errorf("releasing %s: at: must be set", digest)
	}
	q.Released = at
	d.Quarantines[digest] = q
	return nil
}

// IsQuarantined reports whether the bundle with digest is in quarantine.
func (d *Document) IsQuarantined(digest string) bool {
	_, in := d.Quarantined(digest)
	return in
}

// Quarantined returns the quarantine in force for digest.
func (d *Document) Quarantined(digest string) (Quarantine, bool) {
	q, ok := d.Quarantines[digest]
	if !ok || !q.Released.IsZero() {
		return Quarantine{}, false
	}
	return q, true
}

// RecordDeletion records that retention deleted a version tag. The version
// must be published with that digest, and no stream may hold it now (nor a
// label's <label>-previous).
func (d *Document) RecordDeletion(del Deletion) error {
	b, ok := d.Bundle(del.Version)
	if !ok {
		return fmt.Errorf("deletion: version %q: %w", del.Version, ErrNotFound)
	}
	if del.Digest == "" {
		del.Digest = b.Digest
	} else if del.Digest != b.Digest {
		return fmt.Errorf("deletion: version %s is %s, not %s", del.Version, b.Digest, del.Digest)
	}
	if del.At.IsZero() {
		return fmt.Errorf("deletion of %s: at: must be set", del.Version)
	}
	if d.Deleted(del.Version) {
		return fmt.Errorf("version %s was already deleted: %w", del.Version, ErrNoChange)
	}
	for _, s := range d.StreamNames() {
		h, _ := d.Head(s)
		if h.Version == del.Version {
			return fmt.Errorf("deletion: %s still holds %s; retention deletes only what no channel or label points at", s, del.Version)
		}
		if kind, name, _ := ParseStream(s); kind == KindLabel && h.PreviousVersion == del.Version {
			return fmt.Errorf("deletion: %s is still reachable as %s-previous; retention deletes only what no channel or label points at", del.Version, name)
		}
	}
	x := d.index() // before the append: after it, index() would rebuild (every deletion an O(n) pass)
	d.Deletions = append(d.Deletions, del)
	x.deleted[del.Version] = len(d.Deletions) - 1
	x.nDeleted = len(d.Deletions)
	return nil
}

// Deleted reports whether retention deleted version's tag.
func (d *Document) Deleted(version string) bool {
	_, ok := d.index().deleted[version]
	return ok
}

// Graph computes the upgrade graph of stream (see package graph). A stream
// with no entries gives an empty graph.
//
// A channel is its own source (SPEC section 2, upgrade graph): its entries
// skip only bundles the channel itself published, so a channel's graph
// skips nothing of another channel (a channel's superseded locks are never
// published, so in practice it skips nothing at all). A label's entries
// skip every bundle published between two of its moves that it never held:
// the ledger does not record a label's `from`.
func (d *Document) Graph(stream string) (*graph.Graph, error) {
	published, entered := d.graphInputs(stream)
	if kind, name, err := ParseStream(stream); err == nil && kind == KindChannel {
		var own []string // (in a state, the bundles it holds: not VersionsIn's highest of the segments)
		for _, b := range d.Bundles {
			if b.Channel == name {
				own = append(own, b.Version)
			}
		}
		return graph.BuildFrom(stream, published, entered, own)
	}
	return graph.Build(stream, published, entered)
}

// GraphFrom is the upgrade graph of a label's stream whose candidates come
// from the stream source (the label's from, "channel:NAME" or
// "label:NAME"): an entry skips only the bundles that entered the source
// between the two moves (SPEC section 2), never another channel's. No
// source: Graph.
func (d *Document) GraphFrom(stream, source string) (*graph.Graph, error) {
	if source == "" {
		return d.Graph(stream)
	}
	published, entered := d.graphInputs(stream)
	var src []string
	for _, e := range d.Streams[source] {
		src = append(src, e.Version)
	}
	return graph.BuildFrom(stream, published, entered, src)
}

func (d *Document) graphInputs(stream string) ([]graph.Bundle, []string) {
	published := make([]graph.Bundle, len(d.Bundles))
	for i, b := range d.Bundles {
		published[i] = graph.Bundle{Version: b.Version, Digest: b.Digest}
	}
	es := d.Streams[stream]
	entered := make([]string, len(es))
	for i, e := range es {
		entered[i] = e.Version
	}
	return published, entered
}

// Validate checks the document is consistent: the schema, the product,
// every bundle's version (unique) and digest, every stream key and entry
// (published, with the bundle's digest), every hold, quarantine and deletion.
// It returns every problem found.
func (d *Document) Validate() error {
	var errs []error
	add := func(format string, args ...any) {
		if len(errs) < 20 {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	switch {
	case d.Schema == SchemaSingle && d.History != nil:
		add("history: a schema %d ledger has none", SchemaSingle)
	case d.Schema != Schema && d.Schema != SchemaSingle:
		add("schema: %d, want %d", d.Schema, Schema)
	}
	if d.segment != 0 {
		add("segment: %d: a segment is not a ledger", d.segment)
	}
	if d.History != nil {
		if err := d.History.validate(d); err != nil {
			add("%v", err)
		}
	}
	if d.Product == "" {
		add("product: must not be empty")
	}
	if d.Revision < 0 {
		add("revision: %d, must not be negative", d.Revision)
	}
	seen := d.index().byVersion // version -> first bundle with it
	for i, b := range d.Bundles {
		if b.Version == "" {
			add("bundles[%d].version: must not be empty", i)
			continue
		}
		if j := seen[b.Version]; j != i {
			add("bundles[%d].version: %s was already published by bundles[%d]", i, b.Version, j)
		}
		if err := OneLine(b.Version); err != nil {
			add("bundles[%d].version %q: %v", i, b.Version, err)
		}
		if !validDigest(b.Digest) {
			add("bundles[%d].digest (%s): %q is not an OCI digest", i, b.Version, b.Digest)
		}
		if b.LockDigest != "" && !validDigest(b.LockDigest) {
			add("bundles[%d].lockDigest (%s): %q is not a digest (algorithm:hex)", i, b.Version, b.LockDigest)
		}
	}
	for _, s := range d.StreamNames() {
		if _, _, err := ParseStream(s); err != nil {
			add("streams: %v", err)
			continue
		}
		for i, e := range d.Streams[s] {
			d.validateRef(seen, add, fmt.Sprintf("streams[%q][%d]", s, i), e.Version, e.Digest)
		}
	}
	if _, ok := d.Holds[""]; ok {
		add("holds: a hold has no label")
	}
	for _, digest := range slices.Sorted(maps.Keys(d.Quarantines)) { // sorted: one error, whatever the map order
		if _, ok := d.BundleByDigest(digest); !ok {
			add("quarantines[%q]: no bundle has this digest", digest)
		}
	}
	for i, del := range d.Deletions {
		d.validateRef(seen, add, "deletions["+strconv.Itoa(i)+"]", del.Version, del.Digest)
	}
	d.validateRetirements(seen, add)
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("invalid ledger for %q: %w", d.Product, errors.Join(errs...))
}

// validateRef adds the problem of the item at where that names a bundle by
// version and digest (seen: the index of each version's bundle): a version
// never published, or published with another digest.
func (d *Document) validateRef(seen map[string]int, add func(format string, args ...any), where, version, digest string) {
	j, ok := seen[version]
	switch {
	case !ok:
		add("%s.version: %q was never published", where, version)
	case d.Bundles[j].Digest != digest:
		add("%s.digest: %s is %s, not %s", where, version, d.Bundles[j].Digest, digest)
	}
}
