package cascade

import (
	"fmt"
	"strings"
)

// Check is a repository cascade dispatches to, and what it dispatches with.
type Check struct {
	Repo string
	Own  bool  // the workflow's own repository
	App  int64 // the GitHub App dispatching, 0 for a token
	// Installation: the token dispatching is an installation token
	// (InstallationToken), whose permissions GitHub does not describe.
	Installation bool
}

// Answer is GitHub's answer to one request about a target, as plain values.
type Answer struct {
	Failed      bool   // the request failed; Status says how (0: no HTTP answer)
	Status      int    // the HTTP status of the failure
	RateLimited bool   // the failure is a rate limit (a 403 that says nothing about access)
	Message     string // GitHub's message in the failure
	Push        bool   // token check: the repository's permissions.push
	Contents    string // App check: the contents permission its installation token grants ("": none)
}

// Access is what an answer says of a target.
type Access int

const (
	// Granted: the target takes a dispatch.
	Granted Access = iota
	// Refused: it does not; the *AccessError names what it lacks.
	Refused
	// Unauthorized: the credentials are not valid (401): the run stops.
	Unauthorized
	// Failed: the check itself failed: the run stops with GitHub's error.
	Failed
)

// TokenAccess classifies the answer to GET /repos/{owner}/{repo} with a
// token:
//
//  1. 404, or a 403 that is not a rate limit: refused, the token cannot see
//     the repository (GitHub's words of a 403 are kept: SAML enforcement).
//  2. 401: the token is not valid.
//  3. Any other failure: the check failed.
//  4. permissions.push false: refused, contents: write is missing; except
//     for an installation token (ghs_..., the workflow's GITHUB_TOKEN among
//     them), whose permissions GitHub does not describe in that answer, so
//     only the repository's visibility is checked.
//  5. Otherwise granted.
func TokenAccess(t Check, a Answer) (Access, *AccessError) {
	switch {
	case a.Failed && (a.Status == 404 || a.Status == 403 && !a.RateLimited):
		e := &AccessError{repo: t.Repo, own: t.Own, hidden: true}
		if a.Status == 403 {
			e.github = a.Message
		}
		return Refused, e
	case a.Failed && a.Status == 401:
		return Unauthorized, nil
	case a.Failed:
		return Failed, nil
	case !a.Push && !t.Installation:
		return Refused, &AccessError{repo: t.Repo, own: t.Own}
	}
	return Granted, nil
}

// AppAccess classifies the answer to minting a GitHub App's installation
// token for the target repository:
//
//  1. 404: refused, the App is not installed there.
//  2. 401: the App's credentials are not valid.
//  3. Any other failure: the check failed.
//  4. A token without contents: write: refused, naming the level granted.
//  5. Otherwise granted.
func AppAccess(t Check, a Answer) (Access, *AccessError) {
	switch {
	case a.Failed && a.Status == 404:
		return Refused, &AccessError{repo: t.Repo, app: t.App, notInstalled: true}
	case a.Failed && a.Status == 401:
		return Unauthorized, nil
	case a.Failed:
		return Failed, nil
	case a.Contents != "write":
		level := a.Contents
		if level == "" {
			level = "none"
		}
		return Refused, &AccessError{repo: t.Repo, app: t.App, level: level}
	}
	return Granted, nil
}

// DispatchAccess classifies the answer to a repository_dispatch itself: a
// 403 that is not a rate limit, or a 404 (the repository cannot be seen, or
// the App is not installed on it), is refused with the same words as the
// checks; any other failure failed.
func DispatchAccess(t Check, a Answer) (Access, *AccessError) {
	switch {
	case !a.Failed:
		return Granted, nil
	case a.Status == 403 && !a.RateLimited, a.Status == 404:
		missing := a.Status == 404
		return Refused, &AccessError{repo: t.Repo, own: t.Own, app: t.App, hidden: missing, notInstalled: missing && t.App != 0}
	}
	return Failed, nil
}

// InstallationToken reports a GitHub App installation token by its
// documented prefix (ghs_); the workflow's GITHUB_TOKEN is one.
func InstallationToken(tok string) bool { return strings.HasPrefix(tok, "ghs_") }

// AccessError says, by name, which permission a target lacks and what to
// do, instead of GitHub's "Resource not accessible by integration".
type AccessError struct {
	repo         string
	own          bool  // the workflow's own repository
	app          int64 // the GitHub App, 0 for a token
	hidden       bool  // the token cannot see the repository at all
	notInstalled bool  // the App is not installed on it
	level        string
	github       string // GitHub's own words, when they add something
}

func (e *AccessError) Error() string {
	if e.app != 0 {
		if e.notInstalled {
			return fmt.Sprintf("GitHub App %d cannot dispatch to %s: it is not installed on that repository; install it there with Contents: read and write (repository_dispatch needs contents: write)", e.app, e.repo)
		}
		grants := "its installation token lacks contents: write"
		if e.level != "" {
			grants = "its installation grants contents: " + e.level
		}
		return fmt.Sprintf("GitHub App %d cannot dispatch to %s: %s, and repository_dispatch needs contents: write; set the App's Repository permissions > Contents to Read and write, then approve the new permissions on the installation", e.app, e.repo, grants)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "token cannot dispatch to %s: ", e.repo)
	if e.github != "" {
		fmt.Fprintf(&b, "GitHub answers %q; ", e.github)
	}
	if e.hidden {
		b.WriteString("the repository does not exist or this token cannot see it, and repository_dispatch needs contents: write on it; ")
	} else {
		b.WriteString("it needs contents: write on that repository; ")
	}
	if e.own {
		b.WriteString("give the job `permissions: contents: write` (the GITHUB_TOKEN may be read-only), or pass a token with contents: write")
	} else {
		fmt.Fprintf(&b, "the workflow's GITHUB_TOKEN only reaches its own repository; pass app-id and app-private-key (a GitHub App installed on %s) or a token with contents: write", e.repo)
	}
	return b.String()
}
