package ledger

import (
	"github.com/ladder-release/ladder/internal/clock"
	"github.com/ladder-release/ladder/internal/ledger/record"

	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// FileStore keeps the ledger in a local file (`ledger: file:PATH`): local
// runs and the demo. An Update holds an exclusive flock on PATH.lock from
// before it reads to after it writes, so writers in any number of goroutines
// and processes on one machine take turns and none is lost (the lock is the
// compare-and-swap: there is never a conflict to retry). The file is
// replaced by writing a temporary file in the same directory and renaming it,
// so a reader never sees half a document and needs no lock. Not for network
// file systems whose flock is advisory across hosts.
//
// Layout (record.History): PATH holds the state; the segments, written once
// each, are PATH.history/000001.json, ... in the same directory. A write that
// adds segments writes them first, then the state that counts them, so a
// reader without the lock never finds a state whose segments are missing (a
// stop between the two leaves a segment no state counts, written again by
// the next split). A schema-1 ledger (everything in PATH) is read as it is
// and migrated by the first write.
//
// Reads are monotonic per store, as with GitHubStore; but a local file has no
// lagging replica to wait for, so a revision older than one the store has
// seen means the file was replaced by an older copy, and fails at once with
// ErrStaleRead.
type FileStore struct {
	path    string
	product string
	set     settings

	mu    sync.Mutex
	cache *fileCache // the last document read or written, with its bytes
	mark  watermark
}

type fileCache struct {
	data []byte
	doc  *Document
}

// File returns the store for `ledger: file:PATH`.
func File(path, product string, opts ...Option) (*FileStore, error) {
	if err := validProduct(product); err != nil {
		return nil, err
	}
	if path == "" {
		return nil, errors.New("ledger: file needs a path")
	}
	s, err := newSettings(opts)
	if err != nil {
		return nil, err
	}
	return &FileStore{path: path, product: product, set: s}, nil
}

// Path is the ledger file.
func (s *FileStore) Path() string { return s.path }

// Read returns the ledger in the file, or an empty one when there is none.
func (s *FileStore) Read(ctx context.Context) (*Document, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return s.loadFresh()
}

// Update applies fn under the file's lock and writes the result.
func (s *FileStore) Update(ctx context.Context, msg Message, fn func(*Document) error) (*Document, error) {
	release, err := s.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	doc, err := s.loadFresh()
	if err != nil {
		return nil, err
	}
	c, skip, err := plan(ctx, doc, fn, s.set.limits, func(_ context.Context, st *Document) (*Document, error) {
		return s.merge(st)
	})
	if err != nil || skip {
		if err != nil {
			return nil, err
		}
		return c.doc, nil
	}
	for _, seg := range c.segs {
		if err := os.MkdirAll(s.historyDir(), 0o755); err != nil {
			return nil, fmt.Errorf("writing the ledger (%s): %w", msg.Summary(), err)
		}
		if err := writeFile(s.segmentPath(seg.Segment()), seg.Marshal()); err != nil {
			return nil, fmt.Errorf("writing the ledger (%s): segment %d: %w", msg.Summary(), seg.Segment(), err)
		}
	}
	data := c.state.Marshal()
	if err := writeFile(s.path, data); err != nil {
		return nil, fmt.Errorf("writing the ledger (%s): %w", msg.Summary(), err)
	}
	s.remember(data, c.state)
	s.mark.saw(c.state.Revision)
	return c.doc, nil
}

// ReadAll returns the whole ledger: the state and its segments merged.
func (s *FileStore) ReadAll(ctx context.Context) (*Document, error) {
	st, err := s.Read(ctx)
	if err != nil {
		return nil, err
	}
	return s.merge(st)
}

func (s *FileStore) historyDir() string { return s.path + ".history" }

func (s *FileStore) segmentPath(n int) string {
	return filepath.Join(s.historyDir(), record.SegmentName(n))
}

// merge reads the segments state st counts and merges them with it.
func (s *FileStore) merge(st *Document) (*Document, error) {
	if st.History == nil || st.History.Segments == 0 {
		return st, nil
	}
	// appended as read, not made for the count the state claims: a corrupt
	// count fails at its first missing segment
	n := st.History.Segments
	segs := make([]*Document, 0, min(n, 1024))
	for i := 1; i <= n; i++ {
		p := s.segmentPath(i)
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("reading the ledger's history (%s counts %d segments): %w", s.path, n, err)
		}
		seg, err := record.ParseSegment(data, s.product, i)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		segs = append(segs, seg)
	}
	doc, err := record.Merge(st, segs)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.path, err)
	}
	return doc, nil
}

// loadFresh is load, refusing a revision older than the store has seen.
func (s *FileStore) loadFresh() (*Document, error) {
	floor := s.mark.get()
	doc, err := s.load()
	if err != nil {
		return nil, err
	}
	if doc.Revision < floor {
		return nil, &staleError{msg: fmt.Sprintf("the ledger file %s holds revision %d, older than revision %d this run already saw: "+
			"it was replaced by an older copy during the run; rerun", s.path, doc.Revision, floor)}
	}
	s.mark.saw(doc.Revision)
	return doc, nil
}

// load reads and parses the file; bytes equal to the last ones seen reuse
// the parsed document.
func (s *FileStore) load() (*Document, error) {
	data, err := os.ReadFile(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return NewDocument(s.product), nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the ledger: %w", err)
	}
	s.mu.Lock()
	c := s.cache
	s.mu.Unlock()
	if c != nil && bytes.Equal(c.data, data) {
		return c.doc.Clone(), nil
	}
	doc, err := record.ParseOwned(data) // data is only ever compared again, never changed
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.path, err)
	}
	if err := checkProduct(doc, s.product, s.path); err != nil {
		return nil, err
	}
	s.remember(data, doc)
	return doc, nil
}

func (s *FileStore) remember(data []byte, doc *Document) {
	c := &fileCache{data: data, doc: doc.Clone()}
	s.mu.Lock()
	s.cache = c
	s.mu.Unlock()
}

// lock takes the exclusive lock on PATH.lock, polling while another holder
// has it, until ctx ends.
func (s *FileStore) lock(ctx context.Context) (func(), error) {
	if err := os.MkdirAll(filepath.Dir(s.path), 0o755); err != nil {
		return nil, fmt.Errorf("ledger directory: %w", err)
	}
	f, err := os.OpenFile(s.path+".lock", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("ledger lock: %w", err)
	}
	wait := 500 * time.Microsecond
	for {
		busy, err := tryLock(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("locking %s.lock: %w", s.path, err)
		}
		if !busy {
			break
		}
		if err := clock.System().Sleep(ctx, wait); err != nil {
			f.Close()
			return nil, fmt.Errorf("waiting for the ledger lock %s.lock: %w", s.path, err)
		}
		wait = min(wait*2, 20*time.Millisecond)
	}
	return func() {
		unlock(f) //nolint:errcheck // closing releases it anyway
		f.Close()
	}, nil
}

// writeFile replaces the file at path: a temporary file in the same
// directory, synced, then renamed over it.
func writeFile(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) //nolint:errcheck // gone after the rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync() //nolint:errcheck // best effort: the rename is durable on most file systems
		d.Close()
	}
	return nil
}
