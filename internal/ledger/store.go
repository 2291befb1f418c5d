package ledger

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/ladder-release/ladder/internal/clock"
	"github.com/ladder-release/ladder/internal/config"
	"github.com/ladder-release/ladder/internal/ledger/record"
	"github.com/ladder-release/ladder/internal/retry"
)

// Store reads and updates one product's ledger.
type Store interface {
	// Read returns the ledger, or an empty document for the product when
	// none exists yet. The document is the caller's to modify. Reads never
	// go back: Read (and Update's own read) answers at least the highest
	// Revision this store has read or written, or fails with ErrStaleRead.
	//
	// In the state + history layout (see record.History) the document is
	// the state: the hot part of the ledger, which is what the actions
	// decide on. ReadAll has every item.
	Read(ctx context.Context) (*Document, error)
	// ReadAll returns the whole ledger, the state and every segment merged
	// (one more read, of every segment, when there are any): for readers of
	// the whole history (status, catalog, diff, graph). It is monotonic as
	// Read is.
	ReadAll(ctx context.Context) (*Document, error)
	// Update loads the ledger, applies fn and writes the result with
	// compare-and-swap. When another writer got there first, it reloads
	// and applies fn again to the fresh document, so fn must compute its
	// change from the document it is given (claim "the next version" there,
	// not before). fn returning ErrNoChange (or an error wrapping it) skips
	// the write: Update then returns the document and no error. Any other
	// error from fn is returned as is, and nothing is written. The document
	// is validated before it is written.
	//
	// fn is given the state (see Read). When what fn did may depend on an
	// item only the segments hold (it failed with ErrNotFound, or published
	// a version a segment may hold: record.Document.NeedsHistory), fn is
	// applied again to the whole ledger, and the state cut from it is
	// written. A write that makes the state too big (record.Split) adds
	// segments in the same commit. Update returns the document fn changed.
	Update(ctx context.Context, msg Message, fn func(*Document) error) (*Document, error)
}

// Message says what an update does, by whom, from which run. It becomes the
// commit message of the ledger's write:
//
//	ladder: publish dev 1.4.1-dev.20261122T011500.b366a24
//
//	actor: octocat
//	run: https://github.com/acme/app/actions/runs/42
type Message struct {
	What  string
	Actor string
	Run   string // URL of the workflow run
	// Describe, when set, says what happened instead of What, asked when the
	// write is made: after fn, which may have decided afresh on the ledger it
	// was given.
	Describe func() string
}

// Summary is what happened: Describe's answer when set, else What.
func (m Message) Summary() string {
	if m.Describe != nil {
		return m.Describe()
	}
	return m.What
}

// String is the commit message; empty fields are left out.
func (m Message) String() string {
	what := strings.TrimSpace(m.Summary())
	if what == "" {
		what = "update"
	}
	s := "ladder: " + what
	var trailer []string
	if m.Actor != "" {
		trailer = append(trailer, "actor: "+m.Actor)
	}
	if m.Run != "" {
		trailer = append(trailer, "run: "+m.Run)
	}
	if len(trailer) > 0 {
		s += "\n\n" + strings.Join(trailer, "\n")
	}
	return s
}

// ErrConflict is returned (wrapped) when the ledger kept changing under an
// Update for every attempt the retry policy allows.
var ErrConflict = errors.New("the ledger kept changing under this update")

// ErrStaleRead is returned (wrapped) when the ledger answered an older
// revision than this store had already read or written, and kept doing so for
// as long as the store waits for it to catch up.
var ErrStaleRead = errors.New("stale ledger read")

// Defaults of the compare-and-swap retry policy.
const (
	DefaultMaxAttempts = 15
	DefaultBackoff     = 200 * time.Millisecond
	DefaultBackoffCap  = 5 * time.Second
)

// DefaultStaleReadWait is how long, in all, a store waits for a stale read to
// catch up: it reads again after staleReadFirst, then after twice that, and
// so on up to staleReadCap between reads (100ms, 200ms, 400ms, 800ms, then
// every second: 9 reads over 5s).
const (
	DefaultStaleReadWait = 5 * time.Second
	staleReadFirst       = 100 * time.Millisecond
	staleReadCap         = time.Second
)

type settings struct {
	maxAttempts int
	backoff     time.Duration
	backoffCap  time.Duration
	staleWait   time.Duration
	clock       clock.Clock
	jitter      func(time.Duration) time.Duration
	limits      record.Limits
	deferSplit  bool
}

func defaults() settings {
	return settings{maxAttempts: DefaultMaxAttempts, backoff: DefaultBackoff, backoffCap: DefaultBackoffCap,
		staleWait: DefaultStaleReadWait, clock: clock.System(), jitter: retry.EqualJitter, limits: record.DefaultLimits, deferSplit: true}
}

// WithDeferredSplit says whether a github store writes the state alone when
// a write would also add history segments, leaving the split to Compact
// (default true: the write stays one PUT, and the split's commit goes out
// off the caller's critical path). A state over deferCap times the limits'
// High is split at once whatever this says, and so is a ledger's first
// write and its migration.
func WithDeferredSplit(on bool) Option {
	return func(s *settings) error {
		s.deferSplit = on
		return nil
	}
}

// deferCap bounds, in multiples of Limits.High, the state a deferred split
// leaves behind (for a Compact that never comes, or loses every race).
const deferCap = 4

// WithLimits sets how big the state grows before a write moves its oldest
// items into a segment (default record.DefaultLimits; tests make it small).
func WithLimits(l record.Limits) Option {
	return func(s *settings) error {
		if l.High < 1 || l.SegmentItems < 1 || l.KeepEntries < 1 {
			return fmt.Errorf("WithLimits: high %d, segment items %d, keep entries %d: want each at least 1", l.High, l.SegmentItems, l.KeepEntries)
		}
		s.limits = l
		return nil
	}
}

// Option configures a Store.
type Option func(*settings) error

// WithClock sets how the store waits between attempts (tests pass a fake).
func WithClock(c clock.Clock) Option {
	return func(s *settings) error {
		if c == nil {
			return errors.New("WithClock was given a nil clock")
		}
		s.clock = c
		return nil
	}
}

// WithMaxAttempts bounds how many times an Update loads, applies and writes
// before giving up with ErrConflict (default DefaultMaxAttempts).
func WithMaxAttempts(n int) Option {
	return func(s *settings) error {
		if n < 1 {
			return fmt.Errorf("WithMaxAttempts(%d): at least one attempt is needed", n)
		}
		s.maxAttempts = n
		return nil
	}
}

// WithBackoff sets the wait after the first conflict, doubled after each
// further one up to limit; each wait is jittered between half and all of it.
func WithBackoff(first, limit time.Duration) Option {
	return func(s *settings) error {
		if first < 0 || limit < first {
			return fmt.Errorf("WithBackoff(%s, %s): want 0 <= first <= limit", first, limit)
		}
		s.backoff, s.backoffCap = first, limit
		return nil
	}
}

// WithJitter replaces the jitter applied to each wait (tests make it
// deterministic).
func WithJitter(jitter func(time.Duration) time.Duration) Option {
	return func(s *settings) error {
		if jitter == nil {
			return errors.New("WithJitter was given a nil function")
		}
		s.jitter = jitter
		return nil
	}
}

// WithStaleReadWait bounds how long, in all, a store reads the ledger again
// while it answers an older revision than the store has already seen
// (default DefaultStaleReadWait; 0 fails at the first stale read).
func WithStaleReadWait(total time.Duration) Option {
	return func(s *settings) error {
		if total < 0 {
			return fmt.Errorf("WithStaleReadWait(%s): want 0 or more", total)
		}
		s.staleWait = total
		return nil
	}
}

func newSettings(opts []Option) (settings, error) {
	s := defaults()
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&s); err != nil {
			return s, fmt.Errorf("configuring the ledger: %w", err)
		}
	}
	return s, nil
}

// wait is the pause before attempt n+1 (n >= 1 conflicts so far).
func (s settings) wait(n int) time.Duration {
	return s.jitter(retry.Exp(s.backoff, s.backoffCap, n-1))
}

// staleReadWait is the pause before the read after the n-th stale one (n >=
// 1), given how long the store has waited already; 0 means give up.
func (s settings) staleReadWait(n int, waited time.Duration) time.Duration {
	return min(retry.Exp(staleReadFirst, staleReadCap, n-1), s.staleWait-waited)
}

// watermark is the highest revision of the ledger a store has read or
// written: what a later read must not go below (monotonic reads per store).
// A read compares against the mark as it was when the read began, so a read
// racing a write of the same store in another goroutine is not taken for a
// stale one.
type watermark struct {
	mu  sync.Mutex
	rev int64
}

func (w *watermark) get() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.rev
}

func (w *watermark) saw(rev int64) {
	w.mu.Lock()
	w.rev = max(w.rev, rev)
	w.mu.Unlock()
}

// staleError is ErrStaleRead with what was read and where.
type staleError struct{ msg string }

func (e *staleError) Error() string { return e.msg }
func (e *staleError) Unwrap() error { return ErrStaleRead }

// apply runs fn on doc and prepares the write: it reports skip when fn said
// ErrNoChange, counts the write (the revision read plus one, whatever fn did
// to it) and validates what is to be written.
func apply(doc *Document, fn func(*Document) error) (skip bool, err error) {
	rev := doc.Revision
	if err := fn(doc); err != nil {
		if errors.Is(err, ErrNoChange) {
			return true, nil
		}
		return false, err
	}
	doc.Schema = Schema
	doc.Revision = rev + 1
	if err := doc.Validate(); err != nil {
		return false, fmt.Errorf("refusing to write the ledger: %w", err)
	}
	return false, nil
}

// change is what an Update writes.
type change struct {
	doc   *Document   // what fn changed (the state, or the whole ledger): Update returns it
	state *Document   // the state to write
	segs  []*Document // the segments it adds, in order: none in the common case
	// unsplit is the state before the split that made state and segs (the
	// same as state when segs is empty): a store that defers the split
	// writes it, and moves its oldest items into segments later (Compact).
	unsplit *Document
}

// plan applies fn to loaded, the state read (the store's to change), and
// lays out the write: the state, and the segments a split adds. When fn may
// have needed what only segments hold (it failed with ErrNotFound, or added
// a bundle whose version a segment may hold), fn is applied again to the
// whole ledger, which readAll gives for the revision loaded (or errConflict
// when it has moved on), and the state is cut from that. skip: fn said
// ErrNoChange.
func plan(ctx context.Context, loaded *Document, fn func(*Document) error, lim record.Limits,
	readAll func(ctx context.Context, state *Document) (*Document, error)) (c change, skip bool, err error) {
	h := loaded.History
	var orig *Document
	if h != nil && h.Segments > 0 {
		orig = loaded.Clone()
	}
	before := len(loaded.Bundles)
	work := loaded
	skip, err = apply(work, fn)
	if orig != nil && (errors.Is(err, ErrNotFound) || err == nil && !skip && work.NeedsHistory(before)) {
		if work, err = readAll(ctx, orig); err != nil {
			return change{}, false, err
		}
		if skip, err = apply(work, fn); err != nil || skip {
			return change{doc: work}, skip, err
		}
		unsplit := record.Cut(work, h, lim)
		st, segs := record.Split(unsplit, lim)
		return finish(work, unsplit, st, segs)
	}
	if err != nil || skip {
		return change{doc: work}, skip, err
	}
	st, segs := record.Split(work, lim)
	return finish(work, work, st, segs)
}

func finish(doc, unsplit, st *Document, segs []*Document) (change, bool, error) {
	for _, d := range []*Document{unsplit, st} {
		if d != doc {
			if err := d.Validate(); err != nil {
				return change{}, false, fmt.Errorf("refusing to write the ledger's state: %w", err)
			}
		}
	}
	return change{doc: doc, state: st, segs: segs, unsplit: unsplit}, false, nil
}

// checkProduct refuses a document that belongs to another product.
func checkProduct(doc *Document, product, where string) error {
	if doc.Product != product {
		return fmt.Errorf("%s is the ledger of product %q, not %q", where, doc.Product, product)
	}
	return nil
}

func validProduct(product string) error {
	switch {
	case product == "":
		return errors.New("ledger: the product name must not be empty")
	case strings.ContainsAny(product, `/\`) || product == "." || product == ".." || strings.ContainsAny(product, "\x00\n"):
		return fmt.Errorf("ledger: product %q cannot name a file", product)
	}
	return nil
}

// Target is what Open needs besides the config's ledger value.
type Target struct {
	Product string
	// Client and Repo (owner/name, GITHUB_REPOSITORY) locate a github ledger.
	Client *github.Client
	Repo   string
	// Dir resolves a relative file:PATH (the workspace); "" leaves it relative
	// to the working directory.
	Dir string
}

// Open returns the store the config's `ledger:` value names: github (the
// default, also for an empty Kind), file:PATH or none.
func Open(l config.Ledger, t Target, opts ...Option) (Store, error) {
	switch l.Kind {
	case config.LedgerGitHub, "":
		if t.Client == nil || t.Repo == "" {
			return nil, errors.New("ledger: github needs a GitHub client and the repository (owner/name) to keep the ledger in")
		}
		return GitHub(t.Client, t.Repo, t.Product, opts...)
	case config.LedgerFile:
		if l.Path == "" {
			return nil, errors.New("ledger: file needs a path (ledger: file:PATH)")
		}
		p := l.Path
		if !filepath.IsAbs(p) && t.Dir != "" {
			p = filepath.Join(t.Dir, p)
		}
		return File(p, t.Product, opts...)
	case config.LedgerNone:
		return None(t.Product)
	}
	return nil, fmt.Errorf("ledger: unknown kind %q (want github, file:PATH or none)", l.Kind)
}
