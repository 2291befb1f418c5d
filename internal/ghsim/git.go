package ghsim

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// The simulator also plays GITHUB_SERVER_URL for git: it serves every
// repository's refs over git's smart HTTP protocol at ServerURL() +
// "/{owner}/{repo}.git", as GitHub does, so that git itself and ladder's
// own client can list them:
//
//   - GET .../info/refs?service=git-upload-pack: with "Git-Protocol:
//     version=2", the v2 capability advertisement (after the "# service="
//     line and flush GitHub sends); without, protocol v0's advertisement of
//     every ref, annotated tags followed by their peeled "^{}" line.
//   - POST .../git-upload-pack, protocol v2 only: the ls-refs command with
//     its peel, symrefs, unborn and ref-prefix arguments. Fetching objects is
//     not simulated (answered 400).
//
// Like GitHub: a User-Agent that does not start with "git/" is refused; the
// token is taken as basic auth (password, or user with an empty or
// x-oauth-basic password); on a server with tokens, no or a bad token is
// answered 401 with a Basic challenge, a repository the token cannot read
// 404 "Repository not found.". These requests are logged and counted under
// RouteGitInfoRefs and RouteGitUploadPack (Request.Git is true), take the
// latency and faults like any other, and, as on GitHub, do not count
// against the REST API's rate limit.

// Route names of git's smart HTTP requests (Request.Route, Counts).
const (
	RouteGitInfoRefs   = "GET /{owner}/{repo}.git/info/refs"
	RouteGitUploadPack = "POST /{owner}/{repo}.git/git-upload-pack"
)

// ServerURL is the web and git base URL, as GITHUB_SERVER_URL would hold it:
// http://127.0.0.1:PORT, without the API prefix.
func (s *Server) ServerURL() string {
	if s.ln == nil {
		panic("ghsim: ServerURL called before Start")
	}
	return "http://" + s.ln.Addr().String()
}

// gitRoute recognises a smart HTTP request: its route name and repository.
func gitRoute(method, escapedPath string) (route, fullName string, ok bool) {
	var rest string
	switch {
	case method == http.MethodGet || method == http.MethodHead:
		rest, ok = strings.CutSuffix(escapedPath, ".git/info/refs")
		route = RouteGitInfoRefs
	case method == http.MethodPost:
		rest, ok = strings.CutSuffix(escapedPath, ".git/git-upload-pack")
		route = RouteGitUploadPack
	}
	if !ok {
		return "", "", false
	}
	parts := strings.Split(strings.TrimPrefix(rest, "/"), "/")
	if len(parts) != 2 || !strings.HasPrefix(rest, "/") {
		return "", "", false
	}
	owner, err1 := url.PathUnescape(parts[0])
	name, err2 := url.PathUnescape(parts[1])
	if err1 != nil || err2 != nil || !repoNameRE.MatchString(owner+"/"+name) {
		return "", "", false
	}
	return route, owner + "/" + name, true
}

func isGitRoute(route string) bool { return route == RouteGitInfoRefs || route == RouteGitUploadPack }

func gitText(status int, msg string) *response {
	resp := &response{status: status, body: []byte(msg + "\n")}
	resp.setHeader("Content-Type", "text/plain; charset=utf-8")
	return resp
}

// handleGit answers a smart HTTP request.
func (s *Server) handleGit(r *http.Request, route, fullName string, body []byte) *response {
	if !strings.HasPrefix(r.Header.Get("User-Agent"), "git/") {
		return gitText(http.StatusForbidden, `ghsim: git's smart HTTP is answered only to a User-Agent starting with "git/", as on GitHub`)
	}
	v2 := strings.Contains(r.Header.Get("Git-Protocol"), "version=2")
	var req lsRefsRequest
	switch {
	case route == RouteGitInfoRefs:
		switch svc := r.URL.Query().Get("service"); svc {
		case "git-upload-pack":
		case "git-receive-pack":
			return gitText(http.StatusForbidden, "ghsim: pushing over git is not simulated")
		default:
			return gitText(http.StatusBadRequest, fmt.Sprintf("ghsim: only git's smart protocol is simulated (service=git-upload-pack), not service=%q", svc))
		}
	case r.Header.Get("Content-Type") != "application/x-git-upload-pack-request":
		return gitText(http.StatusUnsupportedMediaType, fmt.Sprintf("ghsim: Content-Type %q is not application/x-git-upload-pack-request", r.Header.Get("Content-Type")))
	case !v2:
		return gitText(http.StatusBadRequest, "ghsim: only protocol v2's ls-refs is simulated (send Git-Protocol: version=2); fetching objects is not")
	default:
		var err error
		if req, err = parseLsRefs(body); err != nil {
			return gitText(http.StatusBadRequest, "ghsim: "+err.Error())
		}
	}

	s.mu.Lock()
	var id *identity
	if s.enforce {
		token := basicToken(r.Header.Get("Authorization"))
		id = s.tokens[token]
		if token == "" || id == nil || (!id.expires.IsZero() && !s.now().Before(id.expires)) {
			s.mu.Unlock()
			resp := gitText(http.StatusUnauthorized, "Invalid username or token. Password authentication is not supported for Git operations.")
			resp.setHeader("WWW-Authenticate", `Basic realm="GitHub"`)
			return resp
		}
	}
	rp := s.repos[strings.ToLower(fullName)]
	if rp == nil || id.level(rp.fullName()) < levelRead {
		s.mu.Unlock()
		return gitText(http.StatusNotFound, "Repository not found.")
	}
	defaultBranch := rp.defaultBranch
	s.mu.Unlock()
	heads, tags := s.gitRefs(rp, req.prefixes)

	var resp *response
	if route == RouteGitInfoRefs {
		resp = &response{status: http.StatusOK, body: advertisement(v2, defaultBranch, heads, tags)}
		resp.setHeader("Content-Type", "application/x-git-upload-pack-advertisement")
	} else {
		resp = &response{status: http.StatusOK, body: req.answer(heads, tags)}
		resp.setHeader("Content-Type", "application/x-git-upload-pack-result")
	}
	resp.setHeader("Cache-Control", "no-cache")
	return resp
}

// basicToken is the token of a Basic Authorization header: the password, or
// the user when the password is empty or x-oauth-basic.
func basicToken(h string) string {
	scheme, enc, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "basic") {
		return ""
	}
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(enc))
	if err != nil {
		return ""
	}
	user, pass, _ := strings.Cut(string(b), ":")
	if pass == "" || pass == "x-oauth-basic" {
		return user
	}
	return pass
}

// gitRef is one advertised ref: its name is dir + short ("refs/tags/" +
// "v1.2.3"; "" + "HEAD").
type gitRef struct {
	dir, short, oid, peeled, symref string
}

func (g gitRef) name() string { return g.dir + g.short }

// prefixMatch reports whether dir+short starts with one of prefixes (every
// ref when there are none), without building the name.
func prefixMatch(prefixes []string, dir, short string) bool {
	if len(prefixes) == 0 {
		return true
	}
	for _, p := range prefixes {
		if len(p) <= len(dir) {
			if strings.HasPrefix(dir, p) {
				return true
			}
		} else if strings.HasPrefix(p, dir) && strings.HasPrefix(short, p[len(dir):]) {
			return true
		}
	}
	return false
}

// gitRefs lists, in git's order (by name), HEAD (when the default branch
// exists) and the branches, then the tags, whose names start with one of
// prefixes. It holds s.mu only to copy the branches and take the tags'
// sorted list, and a single tag prefix is a range of that list, not a copy:
// concurrent listings of 2,000 tags do not queue on the lock.
func (s *Server) gitRefs(r *repo, prefixes []string) (heads, tags []gitRef) {
	s.mu.Lock()
	if sha, ok := r.branches[r.defaultBranch]; ok && prefixMatch(prefixes, "", "HEAD") {
		heads = append(heads, gitRef{short: "HEAD", oid: sha, symref: "refs/heads/" + r.defaultBranch})
	}
	start := len(heads)
	for b, sha := range r.branches {
		if prefixMatch(prefixes, "refs/heads/", b) {
			heads = append(heads, gitRef{dir: "refs/heads/", short: b, oid: sha})
		}
	}
	all := r.sortedTagRefs()
	s.mu.Unlock()
	slices.SortFunc(heads[start:], func(a, b gitRef) int { return strings.Compare(a.short, b.short) })
	var tagPrefixes []string
	for _, p := range prefixes {
		if prefixMatch([]string{p}, "refs/tags/", "") {
			return heads, all // refs/tags/ or shorter: every tag
		}
		if t, ok := strings.CutPrefix(p, "refs/tags/"); ok {
			tagPrefixes = append(tagPrefixes, t)
		}
	}
	switch {
	case len(prefixes) == 0:
		return heads, all
	case len(tagPrefixes) == 1:
		p := tagPrefixes[0]
		lo, _ := slices.BinarySearchFunc(all, p, func(g gitRef, p string) int { return strings.Compare(g.short, p) })
		hi := lo
		for hi < len(all) && strings.HasPrefix(all[hi].short, p) {
			hi++
		}
		return heads, all[lo:hi:hi]
	}
	for _, t := range all {
		if prefixMatch(prefixes, "refs/tags/", t.short) {
			tags = append(tags, t)
		}
	}
	return heads, tags
}

// pkt appends the pkt-line of parts, concatenated.
func pkt(b []byte, parts ...string) []byte {
	n := 4
	for _, p := range parts {
		n += len(p)
	}
	const hex = "0123456789abcdef"
	b = append(b, hex[n>>12&0xf], hex[n>>8&0xf], hex[n>>4&0xf], hex[n&0xf])
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// advertisement is the answer to GET info/refs, refs sorted.
func advertisement(v2 bool, defaultBranch string, heads, tags []gitRef) []byte {
	b := pkt(nil, "# service=git-upload-pack\n")
	b = append(b, "0000"...)
	if v2 {
		for _, c := range []string{"version 2", "agent=git/github-ghsim", "ls-refs=unborn", "fetch=shallow wait-for-done filter", "server-option", "object-format=sha1"} {
			b = pkt(b, c, "\n")
		}
		return append(b, "0000"...)
	}
	caps := "multi_ack thin-pack side-band side-band-64k ofs-delta shallow no-progress include-tag multi_ack_detailed allow-tip-sha1-in-want allow-reachable-sha1-in-want no-done symref=HEAD:refs/heads/" +
		defaultBranch + " filter object-format=sha1 agent=git/github-ghsim"
	refs := slices.Concat(heads, tags)
	if len(refs) == 0 {
		b = pkt(b, strings.Repeat("0", 40), " capabilities^{}\x00", caps, "\n")
	}
	for i, ref := range refs {
		if i == 0 {
			b = pkt(b, ref.oid, " ", ref.name(), "\x00", caps, "\n")
		} else {
			b = pkt(b, ref.oid, " ", ref.dir, ref.short, "\n")
		}
		if ref.peeled != "" {
			b = pkt(b, ref.peeled, " ", ref.dir, ref.short, "^{}\n")
		}
	}
	return append(b, "0000"...)
}

// lsRefsRequest is protocol v2's ls-refs command and its arguments.
type lsRefsRequest struct {
	peel, symrefs bool
	prefixes      []string
}

// parseLsRefs reads an ls-refs request body.
func parseLsRefs(body []byte) (lsRefsRequest, error) {
	var req lsRefsRequest
	lines, err := readPkts(body)
	if err != nil {
		return req, err
	}
	if len(lines) == 0 || lines[0] == nil {
		return req, fmt.Errorf("no command in the request")
	}
	if cmd := string(lines[0]); cmd != "command=ls-refs" {
		return req, fmt.Errorf("%s is not simulated (only command=ls-refs is)", cmd)
	}
	i := 1
	for ; i < len(lines) && lines[i] != nil; i++ { // capabilities: agent, object-format...
		if f, ok := strings.CutPrefix(string(lines[i]), "object-format="); ok && f != "sha1" {
			return req, fmt.Errorf("object-format %s is not this repository's (sha1)", f)
		}
	}
	if i < len(lines) { // the delimiter, then the arguments
		for _, l := range lines[i+1:] {
			switch arg := string(l); {
			case l == nil:
				return req, fmt.Errorf("a second delimiter packet")
			case arg == "peel":
				req.peel = true
			case arg == "symrefs":
				req.symrefs = true
			case arg == "unborn":
			case strings.HasPrefix(arg, "ref-prefix "):
				req.prefixes = append(req.prefixes, strings.TrimPrefix(arg, "ref-prefix "))
			default:
				return req, fmt.Errorf("unexpected line: %q", arg)
			}
		}
	}
	return req, nil
}

// answer is ls-refs' answer: one line per ref (sorted), then a flush.
func (req lsRefsRequest) answer(heads, tags []gitRef) []byte {
	b := make([]byte, 0, (len(heads)+len(tags))*100+4)
	for _, refs := range [][]gitRef{heads, tags} {
		for _, ref := range refs {
			symref, peeled := "", ""
			if req.symrefs && ref.symref != "" {
				symref = " symref-target:" + ref.symref
			}
			if req.peel && ref.peeled != "" {
				peeled = " peeled:" + ref.peeled
			}
			b = pkt(b, ref.oid, " ", ref.dir, ref.short, symref, peeled, "\n")
		}
	}
	return append(b, "0000"...)
}

// readPkts splits a v2 request into its data lines (trailing LF removed) and
// delimiters (nil); it must end with a flush packet, which ends it.
func readPkts(body []byte) ([][]byte, error) {
	var lines [][]byte
	for {
		if len(body) < 4 {
			return nil, fmt.Errorf("the request ends before its flush packet")
		}
		n, err := strconv.ParseUint(string(body[:4]), 16, 16)
		if err != nil {
			return nil, fmt.Errorf("bad pkt-line length %q", body[:4])
		}
		switch {
		case n == 0:
			return lines, nil
		case n == 1:
			lines = append(lines, nil)
			body = body[4:]
			continue
		case n < 4 || int(n) > len(body):
			return nil, fmt.Errorf("bad pkt-line length %d", n)
		}
		lines = append(lines, bytes.TrimSuffix(body[4:n], []byte("\n")))
		body = body[n:]
	}
}

// gitBody reads a request body, gunzipped when git compressed it.
func gitBody(r *http.Request) ([]byte, error) {
	var rd io.Reader = io.LimitReader(r.Body, maxBody)
	if strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip") {
		z, err := gzip.NewReader(rd)
		if err != nil {
			return nil, err
		}
		defer z.Close()
		rd = io.LimitReader(z, maxBody)
	}
	return io.ReadAll(rd)
}
