package app

import "testing"

// TestGitServerURL: where `repo:` components are listed over git's smart
// HTTP: GITHUB_SERVER_URL when set, else derived from GITHUB_API_URL, else
// github.com.
func TestGitServerURL(t *testing.T) {
	for _, c := range []struct {
		name        string
		server, api string
		want        string
	}{
		{"GITHUB_SERVER_URL wins", "https://ghes.example.com", "https://api.github.com", "https://ghes.example.com"},
		{"neither: github.com", "", "", "https://github.com"},
		{"github.com's API", "", "https://api.github.com", "https://github.com"},
		{"github.com's API, trailing slash", "", "https://api.github.com/", "https://github.com"},
		{"Enterprise Server", "", "https://ghes.example.com/api/v3", "https://ghes.example.com"},
		{"Enterprise Server under a path", "", "https://example.com/github/api/v3/", "https://example.com/github"},
		{"Enterprise Cloud with data residency", "", "https://api.acme.ghe.com", "https://acme.ghe.com"},
		{"anything else serves both (the simulator)", "", "http://127.0.0.1:8080", "http://127.0.0.1:8080"},
	} {
		t.Run(c.name, func(t *testing.T) {
			env := map[string]string{"GITHUB_SERVER_URL": c.server, "GITHUB_API_URL": c.api}
			r := &run{getenv: func(k string) string { return env[k] }}
			if got := r.gitServerURL(); got != c.want {
				t.Errorf("server %q, API %q: %q, want %q", c.server, c.api, got, c.want)
			}
		})
	}
}
