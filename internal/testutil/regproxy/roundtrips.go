package regproxy

import (
	"sort"
	"time"
)

// span is when the proxy received a request and when it finished answering.
type span struct {
	start, end time.Time
	kind       Kind
}

// RoundTrips is the number of round trips on the critical path of the
// requests since the last Reset: the longest chain of requests each of which
// arrived after the one before it had been answered. Requests a client sends
// at once (before any of them is answered) are one round trip; a request
// sent after reading another's answer is one more. It counts requests, not
// time, so it does not depend on the machine's speed, provided the latency
// (SetLatency) is longer than the time a client takes to send requests it
// means to send together: with 20 ms per request, a client's goroutines
// start within a fraction of that.
//
// With kinds, only requests of those kinds are counted (the others are left
// out of every chain).
func (p *Proxy) RoundTrips(kinds ...Kind) int {
	p.mu.Lock()
	spans := append([]span(nil), p.spans...)
	p.mu.Unlock()
	if len(kinds) > 0 {
		keep := map[Kind]bool{}
		for _, k := range kinds {
			keep[k] = true
		}
		n := 0
		for _, s := range spans {
			if keep[s.kind] {
				spans[n] = s
				n++
			}
		}
		spans = spans[:n]
	}
	return criticalPath(spans)
}

// criticalPath is the depth of the deepest request: 1 for a request that
// arrived before any answer, else 1 + the deepest request answered before it
// arrived. Requests still unanswered have no end and count as answered last.
func criticalPath(spans []span) int {
	sort.Slice(spans, func(i, j int) bool { return spans[i].start.Before(spans[j].start) })
	depth := make([]int, len(spans))
	deepest := 0
	for i, s := range spans {
		depth[i] = 1
		for j := 0; j < i; j++ {
			if e := spans[j].end; !e.IsZero() && !e.After(s.start) && depth[j]+1 > depth[i] {
				depth[i] = depth[j] + 1
			}
		}
		deepest = max(deepest, depth[i])
	}
	return deepest
}

// begin records a request's arrival; the returned func records its end.
func (p *Proxy) begin(kind Kind) func() {
	p.mu.Lock()
	i := len(p.spans)
	p.spans = append(p.spans, span{start: time.Now(), kind: kind})
	gen := p.gen
	p.mu.Unlock()
	return func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.gen == gen && i < len(p.spans) {
			p.spans[i].end = time.Now()
		}
	}
}
