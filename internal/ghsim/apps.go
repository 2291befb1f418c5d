package ghsim

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// appFromJWT checks the request's bearer JWT as GitHub does for App
// authentication (RS256, iss = the app id, exp in the future and at most 10
// minutes ahead) and returns the app; callers hold s.mu.
func (c *call) appFromJWT() (*app, *response) {
	tok := bearer(c.r.Header.Get("Authorization"))
	bad := func(msg string) (*app, *response) { return nil, apiError(http.StatusUnauthorized, msg) }
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return bad("A JSON web token could not be decoded")
	}
	var header struct {
		Alg string `json:"alg"`
	}
	var claims struct {
		Iss json.RawMessage `json:"iss"`
		Iat json.Number     `json:"iat"`
		Exp json.Number     `json:"exp"`
	}
	hb, err1 := base64.RawURLEncoding.DecodeString(parts[0])
	cb, err2 := base64.RawURLEncoding.DecodeString(parts[1])
	sig, err3 := base64.RawURLEncoding.DecodeString(parts[2])
	if err1 != nil || err2 != nil || err3 != nil || json.Unmarshal(hb, &header) != nil || json.Unmarshal(cb, &claims) != nil {
		return bad("A JSON web token could not be decoded")
	}
	if header.Alg != "RS256" {
		return bad("A JSON web token could not be decoded")
	}
	iss := strings.Trim(string(claims.Iss), `"`)
	appID, err := strconv.ParseInt(iss, 10, 64)
	if err != nil {
		return bad("'Issuer' claim ('iss') must be an Integer")
	}
	a := c.s.apps[appID]
	if a == nil {
		return bad("Integration not found")
	}
	if a.key != nil {
		pub, ok := a.key.(*rsa.PublicKey)
		digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
		if !ok || rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig) != nil {
			return bad("A JSON web token could not be decoded")
		}
	}
	now := c.s.now()
	exp, err := claims.Exp.Int64()
	if err != nil || !time.Unix(exp, 0).After(now) {
		return bad("'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires.")
	}
	if time.Unix(exp, 0).After(now.Add(10*time.Minute + time.Minute)) {
		return bad("'Expiration time' claim ('exp') is too far in the future")
	}
	if iat, err := claims.Iat.Int64(); err != nil || time.Unix(iat, 0).After(now.Add(time.Minute)) {
		return bad("'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued.")
	}
	return a, nil
}

func levelName(l int) string {
	switch {
	case l >= levelAdmin:
		return "admin"
	case l >= levelWrite:
		return "write"
	case l >= levelRead:
		return "read"
	}
	return "none"
}

func maxLevel(perms map[string]int) int {
	m := 0
	for _, l := range perms {
		m = max(m, l)
	}
	return m
}

// createInstallationToken answers POST /app/installations/{id}/access_tokens.
func (c *call) createInstallationToken() *response {
	a, e := c.appFromJWT()
	if e != nil {
		return e
	}
	id, _ := strconv.ParseInt(c.params["id"], 10, 64)
	inst := c.s.installations[id]
	if inst == nil || inst.appID != a.id {
		return errNotFound()
	}
	tok := "ghs_" + randomString(36)
	expires := c.s.now().Add(time.Hour).UTC().Truncate(time.Second)
	c.s.tokens[tok] = &identity{login: fmt.Sprintf("app-%d[bot]", a.id), perms: inst.perms, expires: expires, installation: id}
	selection := "selected"
	if _, all := inst.perms["*"]; all {
		selection = "all"
	}
	return jsonResponse(http.StatusCreated, map[string]any{
		"token": tok, "expires_at": ts(expires), "repository_selection": selection,
		"permissions": map[string]string{"contents": levelName(maxLevel(inst.perms)), "metadata": "read"},
	})
}

// getRepoInstallation answers GET /repos/{owner}/{repo}/installation for the
// app the JWT names.
func (c *call) getRepoInstallation() *response {
	a, e := c.appFromJWT()
	if e != nil {
		return e
	}
	r := c.s.repos[strings.ToLower(c.params["owner"]+"/"+c.params["repo"])]
	if r == nil {
		return errNotFound()
	}
	var found *installation
	for _, inst := range c.s.installations {
		id := &identity{perms: inst.perms}
		if inst.appID == a.id && id.level(r.fullName()) >= levelRead && (found == nil || inst.id < found.id) {
			found = inst
		}
	}
	if found == nil {
		return errNotFound()
	}
	return jsonResponse(http.StatusOK, map[string]any{
		"id": found.id, "app_id": a.id, "target_type": "Organization",
		"account":              map[string]any{"login": r.owner, "type": "Organization"},
		"access_tokens_url":    fmt.Sprintf("%s/app/installations/%d/access_tokens", c.api, found.id),
		"repository_selection": "selected",
		"permissions":          map[string]string{"contents": levelName(maxLevel(found.perms)), "metadata": "read"},
	})
}
