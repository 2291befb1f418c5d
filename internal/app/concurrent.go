package app

import (
	"context"
	"errors"
	"sync"
)

// eachConcurrently runs fn(0) ... fn(n-1) at the same time, at most limit at
// once, and joins their errors in index order. Once ctx is done, the calls
// not started yet fail with ctx's error. fn may write to its own index of a
// slice sized n without a lock.
func eachConcurrently(ctx context.Context, n, limit int, fn func(i int) error) error {
	errs := make([]error, n)
	sem := make(chan struct{}, max(limit, 1))
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := ctx.Err(); err != nil {
				errs[i] = err
				return
			}
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				errs[i] = ctx.Err()
				return
			}
			defer func() { <-sem }()
			errs[i] = fn(i)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}
