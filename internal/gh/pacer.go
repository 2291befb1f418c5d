package gh

import (
	"context"
	"errors"
	"time"

	"github.com/ladder-release/ladder/internal/cascade"
	"github.com/ladder-release/ladder/internal/clock"
)

// Pacer spaces mutating requests (a dispatch, an installation token) Gap
// apart on Clock: GitHub asks integrations to send POST, PATCH, PUT and
// DELETE requests one at a time, at least a second apart, or meet its
// secondary rate limit. The zero Pacer with a Clock lets the first request go.
type Pacer struct {
	Clock clock.Clock
	Gap   time.Duration
	last  time.Time
	any   bool
}

// Wait waits until Gap has passed since the last request Sent.
func (p *Pacer) Wait(ctx context.Context) error {
	if !p.any {
		return nil
	}
	if d := p.Gap - p.Clock.Now().Sub(p.last); d > 0 {
		return p.Clock.Sleep(ctx, d)
	}
	return nil
}

// Sent records that a mutating request (and its retries) is over.
func (p *Pacer) Sent() {
	p.last, p.any = p.Clock.Now(), true
}

// IsRateLimit says whether err is GitHub's rate limit (primary or secondary).
func IsRateLimit(err error) bool {
	var rl *RateLimitError
	return errors.As(err, &rl)
}

// Answer is GitHub's answer to a request (err: how it failed), as package
// cascade classifies it.
func Answer(err error) cascade.Answer {
	if err == nil {
		return cascade.Answer{}
	}
	a := cascade.Answer{Failed: true, RateLimited: IsRateLimit(err)}
	if e, ok := AsAPIError(err); ok {
		a.Status, a.Message = e.Status, e.Message
	}
	return a
}
