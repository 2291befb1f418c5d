package httpx

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
)

type okTransport struct{}

func (okTransport) RoundTrip(*http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 200, Status: "200 OK", Body: io.NopCloser(strings.NewReader("body"))}, nil
}

// TestLimitTransportHoldsASlotUntilTheBodyIsDone: a request holds its slot
// until its body is read to the end or closed; a request that finds no slot
// waits, and gives up with its context.
func TestLimitTransportHoldsASlotUntilTheBodyIsDone(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		done func(io.ReadCloser)
	}{
		{"closed", func(b io.ReadCloser) { b.Close() }},
		{"read to the end", func(b io.ReadCloser) { io.ReadAll(b) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			l := NewLimitTransport(okTransport{}, 1)
			req, _ := http.NewRequest("GET", "http://example.test/", nil)
			resp, err := l.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			if _, err := l.RoundTrip(req.WithContext(ctx)); err != context.Canceled {
				t.Fatalf("second request while the first holds the slot: %v, want context.Canceled", err)
			}
			c.done(resp.Body)
			if n := len(l.sem); n != 0 {
				t.Fatalf("after the body was %s, %d slot(s) still held", c.name, n)
			}
		})
	}
}
