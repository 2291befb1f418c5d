package session

import "testing"

// TestGitServerURL: where `repo:` components are listed over git's smart
// HTTP: GITHUB_SERVER_URL when set, else derived from GITHUB_API_URL (see
// gh.TestServerURL), else github.com.
func TestGitServerURL(t *testing.T) {
	for _, c := range []struct {
		name        string
		server, api string
		want        string
	}{
		{"GITHUB_SERVER_URL wins", "https://ghes.example.com", "https://api.github.com", "https://ghes.example.com"},
		{"neither: github.com", "", "", "https://github.com"},
		{"derived from GITHUB_API_URL", "", "https://ghes.example.com/api/v3", "https://ghes.example.com"},
	} {
		t.Run(c.name, func(t *testing.T) {
			env := map[string]string{"GITHUB_SERVER_URL": c.server, "GITHUB_API_URL": c.api}
			r := &Run{Getenv: func(k string) string { return env[k] }}
			if got := r.GitServerURL(); got != c.want {
				t.Errorf("server %q, API %q: %q, want %q", c.server, c.api, got, c.want)
			}
		})
	}
}
