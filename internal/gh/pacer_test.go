package gh

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ladder-release/ladder/internal/cascade"
	"github.com/ladder-release/ladder/internal/clock"
)

// TestPacer: the first request goes at once; each later one waits what is
// left of the gap since the last one was sent.
func TestPacer(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake(time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC))
	p := &Pacer{Clock: clk, Gap: time.Second}
	ctx := context.Background()
	step := func(after time.Duration) {
		if err := p.Wait(ctx); err != nil {
			t.Fatal(err)
		}
		p.Sent()
		clk.Advance(after)
	}
	step(0)                      // first: no wait
	step(300 * time.Millisecond) // second: a whole gap
	step(2 * time.Second)        // third: 700 ms left
	step(0)                      // fourth: the gap had passed
	if got, want := clk.Sleeps(), []time.Duration{time.Second, 700 * time.Millisecond}; !slices.Equal(got, want) {
		t.Errorf("sleeps %v, want %v", got, want)
	}
}

// TestAnswer: how a GitHub error is handed to cascade's classification.
func TestAnswer(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		err  error
		want cascade.Answer
	}{
		{"no error", nil, cascade.Answer{}},
		{"an API answer", fmt.Errorf("dispatch: %w", &APIError{Status: 404, Message: "Not Found"}), cascade.Answer{Failed: true, Status: 404, Message: "Not Found"}},
		{"a rate limit", &RateLimitError{Status: 403, Message: "secondary rate limit", Secondary: true}, cascade.Answer{Failed: true, RateLimited: true, Status: 403, Message: "secondary rate limit"}},
		{"no answer at all", errors.New("connection refused"), cascade.Answer{Failed: true}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if got := Answer(c.err); got != c.want {
				t.Errorf("Answer(%v) = %+v, want %+v", c.err, got, c.want)
			}
		})
	}
}
