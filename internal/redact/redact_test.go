package redact

import (
	"net/url"
	"reflect"
	"testing"
)

func TestSecrets(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, in, mark string
		secrets        []string
		want           string
	}{
		{"every occurrence", "token abc and abc again", Mark, []string{"abc"}, "token xxxxx and xxxxx again"},
		{"several secrets", "user pw / basic cHc=", Mark, []string{"pw", "cHc="}, "user xxxxx / basic xxxxx"},
		{"in the order given", "abcd", Mark, []string{"abc", "bcd"}, "xxxxxd"},
		{"empty secrets are skipped", "text", Mark, []string{"", ""}, "text"},
		{"no secrets", "text", Mark, nil, "text"},
		{"the runner's mark", "gh_tok failed", RunnerMark, []string{"gh_tok"}, "*** failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := Secrets(tc.in, tc.mark, tc.secrets...); got != tc.want {
				t.Errorf("Secrets(%q, %q, %q) = %q, want %q", tc.in, tc.mark, tc.secrets, got, tc.want)
			}
		})
	}
}

func TestURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, in, out string
		secrets       []string
	}{
		{"user and password: the password", "https://user:pw@example.com/x.git", "https://example.com/x.git", []string{"pw"}},
		{"a token as user name", "https://ghp_token@example.com/x.git", "https://example.com/x.git", []string{"ghp_token"}},
		{"empty password: nothing secret", "https://user:@example.com/x.git", "https://example.com/x.git", nil},
		{"no user information", "https://example.com/x.git", "https://example.com/x.git", nil},
		{"@ in the path is not user information", "https://example.com/a@b.git", "https://example.com/a@b.git", nil},
		{"@ in the query is not user information", "https://example.com/x?u=a@b", "https://example.com/x?u=a@b", nil},
		{"scp-like URL unchanged", "git@github.com:acme/os.git", "git@github.com:acme/os.git", nil},
		{"ssh user", "ssh://git@example.com/os.git", "ssh://example.com/os.git", []string{"git"}},
		{"last @ ends the user information", "https://a@b:c@example.com/", "https://example.com/", []string{"c"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out, secrets := URL(tc.in)
			if out != tc.out || !reflect.DeepEqual(secrets, tc.secrets) {
				t.Errorf("URL(%q) = %q, %q; want %q, %q", tc.in, out, secrets, tc.out, tc.secrets)
			}
		})
	}
}

func TestRequestURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, in, want string }{
		{"query and user information go", "https://user:pw@ghcr.io/v2/a/b/blobs/uploads/x?_state=secret&digest=sha256:1", "https://ghcr.io/v2/a/b/blobs/uploads/x"},
		{"fragment stays", "https://ghcr.io/v2/x#frag", "https://ghcr.io/v2/x#frag"},
		{"plain URL unchanged", "https://api.github.com/repos/a/b", "https://api.github.com/repos/a/b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			u, err := url.Parse(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := RequestURL(u); got != tc.want {
				t.Errorf("RequestURL(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if u.String() != tc.in {
				t.Errorf("RequestURL changed its argument: %q", u)
			}
		})
	}
}
