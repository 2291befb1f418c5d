package gh_test

import (
	"testing"

	"github.com/ladder-release/ladder/internal/gh"
)

// TestServerURL: a GitHub server's URL derived from its API's.
func TestServerURL(t *testing.T) {
	for _, c := range []struct {
		name, api, want string
	}{
		{"github.com's API", "https://api.github.com", "https://github.com"},
		{"github.com's API, trailing slash", "https://api.github.com/", "https://github.com"},
		{"Enterprise Server", "https://ghes.example.com/api/v3", "https://ghes.example.com"},
		{"Enterprise Server under a path", "https://example.com/github/api/v3/", "https://example.com/github"},
		{"Enterprise Cloud with data residency", "https://api.acme.ghe.com", "https://acme.ghe.com"},
		{"anything else serves both (the simulator)", "http://127.0.0.1:8080", "http://127.0.0.1:8080"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := gh.ServerURL(c.api); got != c.want {
				t.Errorf("API %q: %q, want %q", c.api, got, c.want)
			}
		})
	}
}
