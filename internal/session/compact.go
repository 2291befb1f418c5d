package session

import (
	"context"
	"sync"

	"github.com/ladder-release/ladder/internal/ledger"
)

// A ledger write that would also add history segments writes the state
// alone (one PUT), and leaves the split to the store's Compact (SPEC section
// 6: a write costs what it changes). compactingStore runs that Compact in
// the background after each write, while the action goes on with the
// registry (tags, convergence), and the run waits for it before it exits
// (background.wait): the split's commit is off the action's critical path.
// A Compact that loses a race to another writer writes nothing; a later
// write splits.

type compacter interface {
	Compact(ctx context.Context) error
}

// compactingStore is a ledger.Store whose successful writes start a
// background Compact.
type compactingStore struct {
	ledger.Store
	c  compacter
	bg *background
}

func (s compactingStore) Update(ctx context.Context, msg ledger.Message, fn func(*ledger.Document) error) (*ledger.Document, error) {
	doc, err := s.Store.Update(ctx, msg, fn)
	if err == nil {
		s.bg.start(func() error { return s.c.Compact(ctx) })
	}
	return doc, err
}

// background is the work a run leaves running while it goes on: started
// with start, waited for (and its errors collected) by wait.
type background struct {
	wg   sync.WaitGroup
	mu   sync.Mutex
	errs []error
}

func (b *background) start(f func() error) {
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		if err := f(); err != nil {
			b.mu.Lock()
			b.errs = append(b.errs, err)
			b.mu.Unlock()
		}
	}()
}

// wait waits for everything started and returns the errors, in no order.
func (b *background) wait() []error {
	b.wg.Wait()
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.errs
}
