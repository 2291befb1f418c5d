// Package redact is the one place that takes secrets out of text ladder
// prints: error messages, logs and URLs. (Telling a runner to mask a secret
// in its log is action.AddMask; this package changes the text itself.)
package redact

import (
	"net/url"
	"strings"
)

// Mark is what ladder prints in place of a secret.
const Mark = "xxxxx"

// RunnerMark is what a GitHub runner prints in place of a masked secret; the
// demo, which plays the runner, prints it too.
const RunnerMark = "***"

// Secrets returns s with every occurrence of each non-empty secret replaced
// by mark, secret by secret in the order given.
func Secrets(s, mark string, secrets ...string) string {
	for _, secret := range secrets {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, mark)
		}
	}
	return s
}

// URL removes the user information of a scheme://user:password@host URL
// and returns the secrets it held (the password, or the user name alone
// when there is no password: a token used as a user name). A URL without
// "://" (scp-like git@host:path) is returned as it is.
func URL(raw string) (string, []string) {
	i := strings.Index(raw, "://")
	if i < 0 {
		return raw, nil
	}
	rest := raw[i+3:]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	at := strings.LastIndexByte(rest[:end], '@')
	if at < 0 {
		return raw, nil
	}
	userinfo := rest[:at]
	var secrets []string
	if _, pass, ok := strings.Cut(userinfo, ":"); ok {
		if pass != "" {
			secrets = append(secrets, pass)
		}
	} else if userinfo != "" {
		secrets = append(secrets, userinfo)
	}
	return raw[:i+3] + rest[at+1:], secrets
}

// RequestURL is how an error or a log names a request's URL: without the
// query (a registry's upload URL carries state, a signed URL a token) and
// without user information.
func RequestURL(u *url.URL) string {
	c := *u
	c.RawQuery, c.User = "", nil
	return c.String()
}
