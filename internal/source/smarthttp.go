package source

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"github.com/ladder-release/ladder/internal/redact"
)

// GitHTTP lists the refs of the repositories of one git server (for GitHub:
// GITHUB_SERVER_URL, https://github.com by default) over git's smart HTTP
// protocol, version 2, without the git binary. One listing is two requests,
// whatever the number of refs:
//
//	GET  {server}/{owner}/{name}.git/info/refs?service=git-upload-pack   Git-Protocol: version=2
//	POST {server}/{owner}/{name}.git/git-upload-pack                     command=ls-refs, peel, symrefs, ref-prefix ...
//
// The first is the capability advertisement git's own client reads first;
// the second lists only the refs under the prefixes asked for, annotated
// tags peeled. On GitHub neither counts against the REST API's rate limit.
//
// A listing first tries the POST alone, as a stateless v2 client may (git
// http-backend and the GitHub simulator answer it; protocol v2 asks of the
// advertisement only the capabilities, and ls-refs needs none): one request,
// one round trip. When that answer is not a listing (a server that ignores
// Git-Protocol answers a v0 POST with nothing, or with an error), the
// listing is made the long way, and this client goes the long way from then
// on. A server that answers the advertisement in protocol v0 (it ignores
// Git-Protocol, or a proxy dropped the header) has advertised every ref in
// it: the listing then costs that one request.
//
// The token goes as basic auth, user x-access-token, as actions/checkout
// hands it to git; it never appears in an error. Retries (5xx, rate limits,
// dropped connections) are the http.Client's to make. GitHub answers smart
// HTTP only to a User-Agent that starts with "git/", so every request sends
// one.
//
// A GitHTTP is safe for concurrent use.
type GitHTTP struct {
	server string // no trailing slash
	client *http.Client
	token  string
	auth   string // the Authorization header, "" without a token
	ua     string
	// longWay is set once the server did not answer ls-refs without the
	// advertisement: later listings read it first.
	longWay atomic.Bool
}

// GitHTTPOption configures a GitHTTP.
type GitHTTPOption func(*GitHTTP) error

// WithToken authenticates every request with token, as basic auth with user
// x-access-token (a GITHUB_TOKEN, an installation token or a personal access
// token; it needs contents: read on the repositories listed).
func WithToken(token string) GitHTTPOption {
	return func(g *GitHTTP) error {
		token = strings.TrimSpace(token)
		if token == "" {
			return errors.New("WithToken was given an empty token; leave the option out for anonymous requests")
		}
		g.token = token
		g.auth = "Basic " + base64.StdEncoding.EncodeToString([]byte("x-access-token:"+token))
		return nil
	}
}

// WithProduct names the client in the User-Agent after git's own prefix:
// "git/2.0 (product)".
func WithProduct(product string) GitHTTPOption {
	return func(g *GitHTTP) error {
		if strings.TrimSpace(product) == "" || strings.ContainsAny(product, "()\r\n") {
			return fmt.Errorf("WithProduct(%q): want a non-empty name without parentheses or line breaks", product)
		}
		g.ua = "git/2.0 (" + product + ")"
		return nil
	}
}

// NewGitHTTP returns a client of the git server at server, an absolute
// http(s) URL such as https://github.com (a path is kept: repositories are
// under it), whose requests client carries (nil: http.DefaultClient).
func NewGitHTTP(server string, client *http.Client, opts ...GitHTTPOption) (*GitHTTP, error) {
	u, err := url.Parse(strings.TrimSpace(server))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("git server URL %q must be an absolute http(s) URL such as https://github.com", server)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("git server URL %q must not carry a query, fragment or credentials", u.Redacted())
	}
	if client == nil {
		client = http.DefaultClient
	}
	g := &GitHTTP{server: strings.TrimRight(u.String(), "/"), client: client, ua: "git/2.0 (ladder)"}
	for _, o := range opts {
		if err := o(g); err != nil {
			return nil, fmt.Errorf("configuring the git client of %s: %w", g.server, err)
		}
	}
	return g, nil
}

// Ref is one ref a server listed.
type Ref struct {
	Name   string // full name: refs/tags/v1.2.3
	Object string // the object the ref points at: a commit, or an annotated tag
	Peeled string // for an annotated tag, the commit it points at; else ""
}

// Commit is the commit the ref stands for: Peeled, else Object.
func (r Ref) Commit() string {
	if r.Peeled != "" {
		return r.Peeled
	}
	return r.Object
}

// maxAnswer bounds what is read of one answer.
const maxAnswer = 64 << 20

// LsRefs lists the refs of repo ("owner/name") whose full names start with
// one of prefixes ("refs/heads/main", "refs/tags/operator/"), sorted by name.
// Without prefixes it lists every ref. A prefix must be one line of text.
func (g *GitHTTP) LsRefs(ctx context.Context, repo string, prefixes ...string) ([]Ref, error) {
	if owner, name, _ := strings.Cut(repo, "/"); !repoRE.MatchString(repo) || strings.Trim(owner, ".") == "" || strings.Trim(name, ".") == "" {
		return nil, fmt.Errorf("repository %q is not owner/name", repo)
	}
	for _, p := range prefixes {
		if !utf8.ValidString(p) || strings.ContainsAny(p, "\x00\r\n") || len(p) > 4096 {
			return nil, fmt.Errorf("listing refs of %s: ref prefix %q is not one line of text", repo, p)
		}
	}
	base := g.server + "/" + repo + ".git"
	var refs []Ref
	if !g.longWay.Load() {
		var err error
		refs, err = g.lsRefs(ctx, repo, base, nil, prefixes)
		var refused *refusal
		switch {
		case err == nil:
		case ctx.Err() != nil, errors.As(err, &refused):
			return nil, err // the advertisement would get the same answer
		default:
			g.longWay.Store(true)
			refs = nil
		}
	}
	if refs == nil {
		adv, err := g.advertisement(ctx, repo, base)
		if err != nil {
			return nil, err
		}
		if adv.v0 != nil {
			refs = adv.v0
		} else if refs, err = g.lsRefs(ctx, repo, base, adv, prefixes); err != nil {
			return nil, err
		}
	}
	out := refs[:0]
	for _, r := range refs {
		if matchesPrefix(r.Name, prefixes) {
			out = append(out, r)
		}
	}
	byName := func(a, b Ref) int { return strings.Compare(a.Name, b.Name) }
	if !slices.IsSortedFunc(out, byName) { // git answers in order already
		slices.SortFunc(out, byName)
	}
	return out, nil
}

// matchesPrefix filters on the client too: a server may ignore ref-prefix
// (git's does above 65,536 of them), and a v0 advertisement holds every ref.
func matchesPrefix(name string, prefixes []string) bool {
	if len(prefixes) == 0 {
		return true
	}
	for _, p := range prefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// advert is what the first request told: a v2 server's capabilities, or a v0
// server's refs.
type advert struct {
	caps map[string]string // v2: capability -> value ("" when none)
	v0   []Ref             // v0: every ref advertised
}

func (g *GitHTTP) advertisement(ctx context.Context, repo, base string) (*advert, error) {
	p, err := g.exchange(ctx, repo, base+"/info/refs?service=git-upload-pack", nil, "application/x-git-upload-pack-advertisement", "ref advertisement")
	if err != nil {
		return nil, err
	}
	adv, err := parseAdvert(p)
	if err != nil {
		return nil, fmt.Errorf("listing refs of %s at %s: reading the ref advertisement: %w", repo, g.server, err)
	}
	return adv, nil
}

// parseAdvert reads the answer to GET info/refs: an optional
// "# service=git-upload-pack" line and flush (GitHub sends them in v2 too,
// git http-backend only in v0), then either "version 2" and the
// capabilities, or v0's refs (optionally after "version 1"): "OID NAME",
// the first with the capabilities after a NUL, each annotated tag followed
// by "OID NAME^{}", its peeled value.
func parseAdvert(p *pktReader) (*advert, error) {
	kind, line, err := p.next()
	if err != nil {
		return nil, eofIsTruncated(err)
	}
	if kind == pktData && strings.HasPrefix(line, "# service=") {
		if kind, _, err = p.next(); err != nil || kind != pktFlush {
			return nil, errors.New("no flush after the service line")
		}
		if kind, line, err = p.next(); err != nil {
			return nil, eofIsTruncated(err)
		}
	}
	if msg, ok := strings.CutPrefix(line, "ERR "); ok && kind == pktData {
		return nil, fmt.Errorf("the server says: %s", clip(msg))
	}
	if kind == pktData && line == "version 2" {
		caps := map[string]string{}
		for {
			kind, line, err := p.next()
			if err != nil {
				return nil, eofIsTruncated(err)
			}
			if kind == pktFlush {
				break
			}
			if kind != pktData {
				return nil, errors.New("unexpected special packet among the capabilities")
			}
			k, v, _ := strings.Cut(line, "=")
			caps[k] = v
		}
		if _, ok := caps["ls-refs"]; !ok {
			return nil, errors.New("the server speaks protocol v2 but offers no ls-refs command")
		}
		return &advert{caps: caps}, nil
	}
	if kind == pktData && line == "version 1" {
		if kind, line, err = p.next(); err != nil {
			return nil, eofIsTruncated(err)
		}
	}
	// Protocol v0.
	adv := &advert{v0: []Ref{}}
	index := map[string]int{}
	for first := true; kind != pktFlush; first = false {
		if kind != pktData {
			return nil, errors.New("unexpected special packet among the refs")
		}
		text := line
		if first {
			text, _, _ = strings.Cut(text, "\x00")
		}
		oid, name, _ := strings.Cut(text, " ")
		if oid = lowerOID(oid); oid == "" || name == "" {
			return nil, fmt.Errorf("unexpected line %q", clip(text))
		}
		switch {
		case name == "capabilities^{}": // a repository without refs
		case strings.HasSuffix(name, "^{}"):
			if i, ok := index[strings.TrimSuffix(name, "^{}")]; ok {
				adv.v0[i].Peeled = oid
			}
		default:
			index[name] = len(adv.v0)
			adv.v0 = append(adv.v0, Ref{Name: name, Object: oid})
		}
		if kind, line, err = p.next(); err != nil {
			return nil, eofIsTruncated(err)
		}
	}
	return adv, nil
}

// lsRefs sends the ls-refs command; adv is the advertisement read before
// it, nil when there is none (no agent or object-format is sent then).
func (g *GitHTTP) lsRefs(ctx context.Context, repo, base string, adv *advert, prefixes []string) ([]Ref, error) {
	if adv == nil {
		adv = &advert{}
	}
	var w pktWriter
	w.line("command=ls-refs")
	if _, ok := adv.caps["agent"]; ok {
		w.line("agent=" + strings.Map(func(r rune) rune {
			if r <= ' ' || r > '~' {
				return '-'
			}
			return r
		}, g.ua))
	}
	if f := adv.caps["object-format"]; f != "" {
		w.line("object-format=" + f)
	}
	w.delim()
	w.line("peel")
	w.line("symrefs")
	for _, p := range prefixes {
		w.line("ref-prefix " + p)
	}
	w.flush()
	p, err := g.exchange(ctx, repo, base+"/git-upload-pack", w.b, "application/x-git-upload-pack-result", "ls-refs answer")
	if err != nil {
		return nil, err
	}
	refs, err := parseLsRefs(p)
	if err != nil {
		return nil, fmt.Errorf("listing refs of %s at %s: reading the ls-refs answer: %w", repo, g.server, err)
	}
	return refs, nil
}

// parseLsRefs reads ls-refs' answer: "OID NAME" and attributes
// ("peeled:OID", "symref-target:NAME") per line, then a flush.
func parseLsRefs(p *pktReader) ([]Ref, error) {
	refs := make([]Ref, 0, strings.Count(p.s, "\n")) // a ref per line, and the flush
	for {
		kind, line, err := p.next()
		if err != nil {
			return nil, eofIsTruncated(err)
		}
		switch kind {
		case pktFlush:
			return refs, nil
		case pktData:
		default:
			return nil, errors.New("unexpected special packet")
		}
		if msg, ok := strings.CutPrefix(line, "ERR "); ok {
			return nil, fmt.Errorf("the server says: %s", clip(msg))
		}
		text := line
		oid, rest, _ := strings.Cut(text, " ")
		name, attrs, _ := strings.Cut(rest, " ")
		r := Ref{Name: name, Object: lowerOID(oid)}
		if r.Object == "" || name == "" {
			return nil, fmt.Errorf("unexpected line %q", clip(text))
		}
		for attrs != "" {
			var attr string
			attr, attrs, _ = strings.Cut(attrs, " ")
			if v, ok := strings.CutPrefix(attr, "peeled:"); ok {
				if r.Peeled = lowerOID(v); r.Peeled == "" {
					return nil, fmt.Errorf("unexpected line %q", clip(text))
				}
			}
		}
		refs = append(refs, r)
	}
}

// lowerOID is s in lower case if it is an object id (40 or 64 hex digits),
// else "".
func lowerOID(s string) string {
	if len(s) != 40 && len(s) != 64 {
		return ""
	}
	upper := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f':
		case 'A' <= c && c <= 'F':
			upper = true
		default:
			return ""
		}
	}
	if upper {
		return strings.ToLower(s)
	}
	return s
}

func eofIsTruncated(err error) error {
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("the answer ends before its flush packet: %w", io.ErrUnexpectedEOF)
	}
	return err
}

// exchange is one request of the protocol and its whole answer: a GET of
// url when body is nil, else a POST of the request body; the answer must be
// of Content-Type wantType. what names the answer in an error.
func (g *GitHTTP) exchange(ctx context.Context, repo, url string, body []byte, wantType, what string) (*pktReader, error) {
	method, reader := http.MethodGet, io.Reader(nil)
	if body != nil {
		method, reader = http.MethodPost, bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, reader)
	if err != nil {
		return nil, g.wrap(repo, err)
	}
	g.setHeaders(req)
	if body != nil {
		req.Header.Set("Content-Type", "application/x-git-upload-pack-request")
		req.Header.Set("Accept", wantType)
	}
	resp, err := g.client.Do(req)
	if err != nil {
		return nil, g.wrap(repo, err)
	}
	defer drain(resp)
	if err := g.check(repo, req, resp, wantType); err != nil {
		return nil, err
	}
	p, err := readAnswer(resp.Body, resp.ContentLength)
	if err != nil {
		return nil, g.wrap(repo, fmt.Errorf("reading the %s: %w", what, err))
	}
	return p, nil
}

func (g *GitHTTP) setHeaders(req *http.Request) {
	req.Header.Set("Git-Protocol", "version=2")
	req.Header.Set("User-Agent", g.ua)
	req.Header.Set("Pragma", "no-cache")
	if g.auth != "" {
		req.Header.Set("Authorization", g.auth)
	}
}

// check turns an answer that is not what git's protocol expects into an
// error that says what is wrong.
func (g *GitHTTP) check(repo string, req *http.Request, resp *http.Response, wantType string) error {
	if resp.StatusCode == http.StatusOK {
		ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
		if ct != wantType {
			return fmt.Errorf("listing refs of %s: %s does not speak git's smart HTTP protocol (%s %s answered Content-Type %q, not %s): is the server URL right?",
				repo, g.server, req.Method, req.URL.Path, resp.Header.Get("Content-Type"), wantType)
		}
		return nil
	}
	said := g.serverMessage(resp)
	status := fmt.Sprintf("%d%s", resp.StatusCode, said)
	switch resp.StatusCode {
	case http.StatusUnauthorized:
		if g.auth == "" {
			return &refusal{fmt.Errorf("listing refs of %s: %s asks for credentials (%s) and no token was given: give a token with contents: read on %s", repo, g.server, status, repo)}
		}
		return &refusal{fmt.Errorf("listing refs of %s: %s refused the token (%s): it is not a valid token, or it has expired", repo, g.server, status)}
	case http.StatusForbidden:
		return &refusal{fmt.Errorf("listing refs of %s: %s refused the token access to repository %s (%s): the token needs contents: read on it", repo, g.server, repo, status)}
	case http.StatusNotFound:
		if g.auth == "" {
			return &refusal{fmt.Errorf("listing refs of %s: repository %s not found at %s (%s): it does not exist, or it is private and no token was given", repo, repo, g.server, status)}
		}
		return &refusal{fmt.Errorf("listing refs of %s: repository %s not found at %s or the token cannot read it (%s): the token needs contents: read on it", repo, repo, g.server, status)}
	}
	return fmt.Errorf("listing refs of %s: %s %s at %s: %s%s", repo, req.Method, req.URL.Path, g.server, resp.Status, said)
}

// refusal is a server's 401, 403 or 404: the token or the repository, which
// no other way of asking changes.
type refusal struct{ err error }

func (r *refusal) Error() string { return r.err.Error() }

// serverMessage is the start of a plain-text error body, as git would print
// it after "remote:", the token removed; "" when there is none.
func (g *GitHTTP) serverMessage(resp *http.Response) string {
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if ct != "text/plain" && ct != "application/json" {
		return ""
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	msg := strings.TrimSpace(strings.ToValidUTF8(string(b), "?"))
	msg, _, _ = strings.Cut(msg, "\n")
	msg = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, msg)
	if msg == "" {
		return ""
	}
	return ": " + g.scrub(clip(msg))
}

// wrap names the repository and server of a failed request. The error
// keeps its chain (a cancelled context stays errors.Is-able) unless its text
// held the token, which is then removed.
func (g *GitHTTP) wrap(repo string, err error) error {
	if msg := err.Error(); g.scrub(msg) != msg {
		return fmt.Errorf("listing refs of %s at %s: %s", repo, g.server, g.scrub(msg))
	}
	return fmt.Errorf("listing refs of %s at %s: %w", repo, g.server, err)
}

func (g *GitHTTP) scrub(s string) string {
	if g.token == "" {
		return s
	}
	return redact.Secrets(s, redact.Mark, g.token, strings.TrimPrefix(g.auth, "Basic "))
}

// clip shortens what a server said to 200 bytes, whole characters.
func clip(s string) string {
	if len(s) > 200 {
		return strings.ToValidUTF8(s[:200], "") + "..."
	}
	return s
}

func drain(resp *http.Response) {
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) //nolint:errcheck // best effort, to reuse the connection
	resp.Body.Close()
}
