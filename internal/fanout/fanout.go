// Package fanout is ladder's one bounded fan-out: n calls, at most limit at
// once, cancelled on the first error.
package fanout

import (
	"context"

	"golang.org/x/sync/errgroup"
)

// Each runs fn(ctx, 0) ... fn(ctx, n-1) at the same time, at
// most limit at once (at least one). The first error cancels the ctx the
// other calls were given, the calls not started yet do not start, and it is
// the error returned. fn may write to its own index of a slice sized n
// without a lock.
func Each(ctx context.Context, n, limit int, fn func(ctx context.Context, i int) error) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(limit, 1))
	for i := range n {
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err // an earlier call failed, or ctx is done
			}
			return fn(gctx, i)
		})
	}
	return g.Wait()
}
