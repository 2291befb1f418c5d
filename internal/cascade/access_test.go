package cascade

import (
	"strings"
	"testing"
)

func TestAccess(t *testing.T) {
	t.Parallel()
	other := Check{Repo: "acme/other"}
	own := Check{Repo: "acme/app", Own: true}
	ghs := Check{Repo: "acme/other", Installation: true}
	app := Check{Repo: "acme/other", App: 42}
	failed := func(status int) Answer { return Answer{Failed: true, Status: status} }
	for _, tc := range []struct {
		name     string
		classify func(Check, Answer) (Access, *AccessError)
		check    Check
		answer   Answer
		access   Access
		says     []string // the refusal's words, in order
		not      string   // words the refusal does not say
	}{
		// token
		{name: "token 1: 404, the token cannot see the repository", classify: TokenAccess, check: other, answer: failed(404), access: Refused,
			says: []string{"token cannot dispatch to acme/other: the repository does not exist or this token cannot see it", "contents: write",
				"the workflow's GITHUB_TOKEN only reaches its own repository; pass app-id and app-private-key (a GitHub App installed on acme/other)"}},
		{name: "token 1: a 404's words add nothing", classify: TokenAccess, check: other,
			answer: Answer{Failed: true, Status: 404, Message: "Not Found"}, access: Refused, not: "GitHub answers"},
		{name: "token 1: a 403 keeps GitHub's words", classify: TokenAccess, check: other,
			answer: Answer{Failed: true, Status: 403, Message: "Resource protected by organization SAML enforcement"}, access: Refused,
			says: []string{`GitHub answers "Resource protected by organization SAML enforcement"; the repository does not exist or this token cannot see it`}},
		{name: "token 1: the own repository says to give the job contents: write", classify: TokenAccess, check: own, answer: failed(404), access: Refused,
			says: []string{"token cannot dispatch to acme/app", "give the job `permissions: contents: write`"}},
		{name: "token 2: 401, the token is not valid", classify: TokenAccess, check: other, answer: failed(401), access: Unauthorized},
		{name: "token 3: a rate-limited 403 is no refusal: the check failed", classify: TokenAccess, check: other,
			answer: Answer{Failed: true, Status: 403, RateLimited: true}, access: Failed},
		{name: "token 3: a 500 failed", classify: TokenAccess, check: other, answer: failed(500), access: Failed},
		{name: "token 3: no HTTP answer failed", classify: TokenAccess, check: other, answer: failed(0), access: Failed},
		{name: "token 4: no push permission: contents: write is missing", classify: TokenAccess, check: own, answer: Answer{}, access: Refused,
			says: []string{"token cannot dispatch to acme/app: it needs contents: write on that repository; give the job"}},
		{name: "token 4: an installation token's answer carries no permissions: visible is enough", classify: TokenAccess, check: ghs, answer: Answer{}, access: Granted},
		{name: "token 5: push granted", classify: TokenAccess, check: other, answer: Answer{Push: true}, access: Granted},
		// GitHub App
		{name: "app 1: 404, the App is not installed", classify: AppAccess, check: app, answer: failed(404), access: Refused,
			says: []string{"GitHub App 42 cannot dispatch to acme/other: it is not installed on that repository; install it there with Contents: read and write"}},
		{name: "app 2: 401, the App's key is not valid", classify: AppAccess, check: app, answer: failed(401), access: Unauthorized},
		{name: "app 3: a 403 failed", classify: AppAccess, check: app, answer: failed(403), access: Failed},
		{name: "app 4: contents: read is named", classify: AppAccess, check: app, answer: Answer{Contents: "read"}, access: Refused,
			says: []string{"GitHub App 42 cannot dispatch to acme/other: its installation grants contents: read, and repository_dispatch needs contents: write"}},
		{name: "app 4: no contents permission is none", classify: AppAccess, check: app, answer: Answer{}, access: Refused,
			says: []string{"its installation grants contents: none"}},
		{name: "app 5: contents: write granted", classify: AppAccess, check: app, answer: Answer{Contents: "write"}, access: Granted},
		// the dispatch itself
		{name: "dispatch: sent", classify: DispatchAccess, check: other, answer: Answer{}, access: Granted},
		{name: "dispatch: a 403 with a token, contents: write missing", classify: DispatchAccess, check: own, answer: failed(403), access: Refused,
			says: []string{"token cannot dispatch to acme/app: it needs contents: write on that repository"}},
		{name: "dispatch: a 404 with a token, the repository cannot be seen", classify: DispatchAccess, check: other, answer: failed(404), access: Refused,
			says: []string{"the repository does not exist or this token cannot see it"}},
		{name: "dispatch: a 404 with an App, not installed", classify: DispatchAccess, check: app, answer: failed(404), access: Refused,
			says: []string{"GitHub App 42 cannot dispatch to acme/other: it is not installed on that repository"}},
		{name: "dispatch: a 403 with an App, contents: write missing", classify: DispatchAccess, check: app, answer: failed(403), access: Refused,
			says: []string{"GitHub App 42 cannot dispatch to acme/other: its installation token lacks contents: write"}},
		{name: "dispatch: a rate-limited 403 failed", classify: DispatchAccess, check: other, answer: Answer{Failed: true, Status: 403, RateLimited: true}, access: Failed},
		{name: "dispatch: a 422 failed", classify: DispatchAccess, check: other, answer: failed(422), access: Failed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			access, refusal := tc.classify(tc.check, tc.answer)
			if access != tc.access {
				t.Fatalf("access = %d, want %d (refusal %v)", access, tc.access, refusal)
			}
			if (refusal != nil) != (access == Refused) {
				t.Fatalf("refusal = %v with access %d: a refusal comes with Refused only", refusal, access)
			}
			if refusal == nil {
				return
			}
			msg, at := refusal.Error(), 0
			if tc.not != "" && strings.Contains(msg, tc.not) {
				t.Errorf("refusal %q says %q", msg, tc.not)
			}
			for _, s := range tc.says {
				i := strings.Index(msg[at:], s)
				if i < 0 {
					t.Fatalf("refusal %q does not say %q (after what it said before)", msg, s)
				}
				at += i + len(s)
			}
		})
	}
}

func TestInstallationToken(t *testing.T) {
	t.Parallel()
	for tok, want := range map[string]bool{"ghs_abc": true, "ghp_abc": false, "github_pat_abc": false, "": false} {
		if got := InstallationToken(tok); got != want {
			t.Errorf("InstallationToken(%q) = %v, want %v", tok, got, want)
		}
	}
}
