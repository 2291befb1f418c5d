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
	"github.com/ladder-release/ladder/internal/retry"
)

// Store reads and updates one product's ledger.
type Store interface {
	// Read returns the ledger, or an empty document for the product when
	// none exists yet. The document is the caller's to modify. Reads never
	// go back: Read (and Update's own read) answers at least the highest
	// Revision this store has read or written, or fails with ErrStaleRead.
	Read(ctx context.Context) (*Document, error)
	// Update loads the ledger, applies fn and writes the result with
	// compare-and-swap. When another writer got there first, it reloads
	// and applies fn again to the fresh document, so fn must compute its
	// change from the document it is given (claim "the next version" there,
	// not before). fn returning ErrNoChange (or an error wrapping it) skips
	// the write: Update then returns the document and no error. Any other
	// error from fn is returned as is, and nothing is written. The document
	// is validated before it is written.
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
}

func defaults() settings {
	return settings{maxAttempts: DefaultMaxAttempts, backoff: DefaultBackoff, backoffCap: DefaultBackoffCap,
		staleWait: DefaultStaleReadWait, clock: clock.System(), jitter: retry.EqualJitter}
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
