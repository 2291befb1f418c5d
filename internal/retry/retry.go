// Package retry is the arithmetic and the waiting that ladder's retry
// policies share. The policies themselves (what is retried, how often, what
// a server's Retry-After or rate-limit headers mean) stay with their
// adapters: GitHub (internal/gh), registries (internal/oci) and the ledger
// (internal/ledger) each have their own, as their servers differ.
package retry

import (
	"context"
	"math/rand/v2"
	"net/http"
	"time"
)

// Exp is first doubled n times, capped at limit (first when n <= 0).
func Exp(first, limit time.Duration, n int) time.Duration {
	d := first
	for i := 0; i < n && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

// EqualJitter is a random duration between half of d and d: clients that
// failed together spread out, and none retries at once.
func EqualJitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2+1)
}

// Sleep waits for d, or until ctx is done (then it returns ctx.Err()). A
// d <= 0 does not wait.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// URL is how a retry policy names a request's URL in its errors: without
// the query (a registry's upload URL carries state, a signed URL a token)
// and without user information.
func URL(req *http.Request) string {
	u := *req.URL
	u.RawQuery, u.User = "", nil
	return u.String()
}
