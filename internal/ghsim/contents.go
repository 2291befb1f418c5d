package ghsim

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"sort"
	"strings"
	"time"
)

// maxInlineContent is the size above which the contents API answers a file
// with "content": "" and "encoding": "none" (GitHub: 1 MB).
const maxInlineContent = 1 << 20

// base64Lines encodes b as GitHub does: standard base64, a newline every 60
// characters.
func base64Lines(b []byte) string {
	s := base64.StdEncoding.EncodeToString(b)
	var sb strings.Builder
	for len(s) > 60 {
		sb.WriteString(s[:60])
		sb.WriteByte('\n')
		s = s[60:]
	}
	sb.WriteString(s)
	if sb.Len() > 0 {
		sb.WriteByte('\n')
	}
	return sb.String()
}

func wantsRaw(r *http.Request) bool {
	a := r.Header.Get("Accept")
	return strings.Contains(a, "vnd.github.raw") || strings.Contains(a, "vnd.github.v3.raw")
}

// rawResponse answers 200 with body as it is, of mediaType, its ETag the
// quoted sha: a blob, a file or a commit sha asked for in a raw media type.
func rawResponse(body []byte, mediaType, sha string) *response {
	resp := &response{status: http.StatusOK, body: body}
	resp.setHeader("Content-Type", mediaType+"; charset=utf-8")
	resp.setHeader("ETag", `"`+sha+`"`)
	return resp
}

func (c *call) contentLinks(r *repo, cm *commit, ref, p, kind, sha string) map[string]any {
	self := c.repoURL(r) + "/contents/" + (&url.URL{Path: p}).EscapedPath() + "?ref=" + url.QueryEscape(ref)
	git := c.repoURL(r) + "/git/" + kind + "/" + sha
	view := "blob"
	if kind == "trees" {
		view = "tree"
	}
	html := c.host + "/" + r.fullName() + "/" + view + "/" + ref + "/" + p
	m := map[string]any{"url": self, "git_url": git, "html_url": html,
		"_links": map[string]string{"self": self, "git": git, "html": html}, "download_url": nil}
	if kind == "blobs" {
		m["download_url"] = c.host + "/raw/" + r.fullName() + "/" + cm.sha + "/" + p
	}
	return m
}

// fileJSON describes path at cm; with content, the content is included.
func (c *call) fileJSON(r *repo, cm *commit, ref, p string, withContent bool) map[string]any {
	sha := cm.tree[p]
	data := r.blobs[sha]
	m := c.contentLinks(r, cm, ref, p, "blobs", sha)
	m["type"], m["name"], m["path"], m["sha"], m["size"] = "file", path.Base(p), p, sha, len(data)
	if withContent {
		if len(data) > maxInlineContent {
			m["content"], m["encoding"] = "", "none"
		} else {
			m["content"], m["encoding"] = base64Lines(data), "base64"
		}
	}
	return m
}

func (c *call) getContents() *response {
	r, e := c.repo(levelRead)
	if e != nil {
		return e
	}
	ref := c.query.Get("ref")
	if ref == "" {
		ref = r.defaultBranch
	}
	cm := r.resolve(ref)
	if cm == nil {
		return apiError(http.StatusNotFound, "No commit found for the ref "+ref)
	}
	p := strings.Trim(c.params["path"], "/")
	if _, ok := cm.tree[p]; ok && p != "" && c.stale {
		if cm = r.beforeChange(cm, p); cm == nil {
			// The file came with the root commit (an orphan branch made
			// through the git data API): a replica that has not seen it has
			// not seen the branch either.
			return apiError(http.StatusNotFound, "No commit found for the ref "+ref)
		}
	}
	if _, ok := cm.tree[p]; ok && p != "" {
		if wantsRaw(c.r) {
			return rawResponse(append([]byte(nil), r.blobs[cm.tree[p]]...), "application/vnd.github.raw", cm.tree[p])
		}
		return jsonResponse(http.StatusOK, c.fileJSON(r, cm, ref, p, true))
	}
	// A directory: its immediate children.
	prefix := ""
	if p != "" {
		prefix = p + "/"
	}
	dirs := map[string]bool{}
	var files []string
	for fp := range cm.tree {
		rest, ok := strings.CutPrefix(fp, prefix)
		if !ok {
			continue
		}
		if d, _, sub := strings.Cut(rest, "/"); sub {
			dirs[d] = true
		} else {
			files = append(files, fp)
		}
	}
	if len(dirs) == 0 && len(files) == 0 && p != "" {
		return errNotFound()
	}
	var out []map[string]any
	for d := range dirs {
		dp := prefix + d
		sha := gitHash("tree", []byte(cm.treeSHA+"\x00"+dp))
		m := c.contentLinks(r, cm, ref, dp, "trees", sha)
		m["type"], m["name"], m["path"], m["sha"], m["size"] = "dir", d, dp, sha, 0
		out = append(out, m)
	}
	for _, fp := range files {
		out = append(out, c.fileJSON(r, cm, ref, fp, false))
	}
	sort.Slice(out, func(i, j int) bool { return out[i]["path"].(string) < out[j]["path"].(string) })
	if out == nil {
		out = []map[string]any{}
	}
	return jsonResponse(http.StatusOK, out)
}

// beforeChange is the newest first-parent ancestor of cm where path differs
// from cm (missing, or another blob): what a replica that has not seen the
// file's last change holds. nil when path is in cm and came with the root
// commit (nothing before it); cm itself when path never changed otherwise.
func (r *repo) beforeChange(cm *commit, p string) *commit {
	cur, had := cm.tree[p]
	for c := cm; ; {
		if len(c.parents) == 0 {
			if had {
				return nil
			}
			break
		}
		parent := r.commits[c.parents[0]]
		if parent == nil {
			break
		}
		if b, ok := parent.tree[p]; ok != had || b != cur {
			return parent
		}
		c = parent
	}
	return cm
}

type signatureIn struct {
	Name  string     `json:"name"`
	Email string     `json:"email"`
	Date  *time.Time `json:"date"` // ISO 8601; the time of the write when absent
}

func (in *signatureIn) signature() Signature {
	s := Signature{Name: in.Name, Email: in.Email}
	if in.Date != nil {
		s.Date = in.Date.UTC()
	}
	return s
}

// fileWrite is the part of the body PUT and DELETE on the contents API share.
type fileWrite struct {
	Message   *string      `json:"message"`
	SHA       string       `json:"sha"`
	Branch    string       `json:"branch"`
	Author    *signatureIn `json:"author"`
	Committer *signatureIn `json:"committer"`
}

// writeFile is the shared part of PUT and DELETE on the contents API: the
// branch (in.Branch, the default branch when empty, is set to it), the blob
// sha precondition, and the commit writing data at p (nil deletes p). The
// caller has checked in.Message is set. existed tells whether p was there.
func (c *call) writeFile(r *repo, in *fileWrite, p string, data []byte, mustExist bool) (cm *commit, existed bool, resp *response) {
	if in.Branch == "" {
		in.Branch = r.defaultBranch
	}
	head := r.commits[r.branches[in.Branch]]
	if head == nil {
		return nil, false, apiError(http.StatusNotFound, fmt.Sprintf("Branch %s not found", in.Branch))
	}
	cur, exists := head.tree[p]
	switch {
	case !exists && mustExist:
		return nil, false, errNotFound()
	case exists && in.SHA == "":
		return nil, false, validationError("Invalid request.\n\n\"sha\" wasn't supplied.")
	case (exists && in.SHA != cur) || (!exists && in.SHA != ""):
		return nil, false, apiError(http.StatusConflict, fmt.Sprintf("%s does not match %s", p, in.SHA))
	}
	aut, com := c.signatures(in.Author, in.Committer)
	return c.s.newCommit(r, in.Branch, *in.Message, map[string][]byte{p: data}, aut, com), exists, nil
}

func (c *call) signatures(author, committer *signatureIn) (Signature, Signature) {
	com := simUser
	if c.ident != nil && c.ident.login != "" {
		com = Signature{Name: c.ident.login, Email: c.ident.login + "@users.noreply.github.com"}
	}
	if committer != nil && committer.Name != "" {
		com = committer.signature()
	}
	aut := com
	if author != nil && author.Name != "" {
		aut = author.signature()
	}
	return aut, com
}

func (c *call) putContents() *response {
	r, e := c.repo(levelWrite)
	if e != nil {
		return e
	}
	var in struct {
		fileWrite
		Content *string `json:"content"`
	}
	// A ledger of thousands of bundles is a PUT of megabytes of base64: take
	// the content out of the body before decoding the rest, so the
	// simulator's own JSON work does not dwarf its client's in benchmarks.
	b64content, rest, fast := splitContent(c.body)
	if fast {
		saved := c.body
		c.body = rest
		e := c.decode(&in)
		c.body = saved
		if e != nil {
			return e
		}
		in.Content = &b64content
	} else if e := c.decode(&in); e != nil {
		return e
	}
	p := c.params["path"]
	if in.Message == nil {
		return validationError("Invalid request.\n\n\"message\" wasn't supplied.")
	}
	if in.Content == nil {
		return validationError("Invalid request.\n\n\"content\" wasn't supplied.")
	}
	b64 := *in.Content
	if strings.ContainsAny(b64, "\r\n") {
		b64 = strings.NewReplacer("\n", "", "\r", "").Replace(b64)
	}
	data, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return validationError("content is not valid Base64")
	}
	if strings.Contains(p, "..") || strings.HasSuffix(p, "/") {
		return validationError("path is not valid")
	}
	cm, existed, resp := c.writeFile(r, &in.fileWrite, p, data, false)
	if resp != nil {
		return resp
	}
	content := c.fileJSON(r, cm, in.Branch, p, false)
	status := http.StatusCreated
	if existed {
		status = http.StatusOK
	}
	return jsonResponse(status, map[string]any{"content": content, "commit": c.gitCommitJSON(r, cm)})
}

func (c *call) deleteContents() *response {
	var in fileWrite
	r, e := c.writeRepo(&in)
	if e != nil {
		return e
	}
	if in.Message == nil {
		return validationError("Invalid request.\n\n\"message\" wasn't supplied.")
	}
	cm, _, resp := c.writeFile(r, &in, c.params["path"], nil, true)
	if resp != nil {
		return resp
	}
	return jsonResponse(http.StatusOK, map[string]any{"content": nil, "commit": c.gitCommitJSON(r, cm)})
}

func (c *call) getBlob() *response {
	r, e := c.repo(levelRead)
	if e != nil {
		return e
	}
	sha := c.params["sha"]
	data, ok := r.blobs[sha]
	if !ok {
		return errNotFound()
	}
	if wantsRaw(c.r) {
		return rawResponse(append([]byte(nil), data...), "application/vnd.github.raw", sha)
	}
	return jsonResponse(http.StatusOK, map[string]any{
		"sha": sha, "node_id": "B_" + sha, "size": len(data), "url": c.repoURL(r) + "/git/blobs/" + sha,
		"content": base64Lines(data), "encoding": "base64",
	})
}

// splitContent finds a top-level `"content":"..."` member holding only
// base64 characters (no escapes) and returns its value and the body with the
// value emptied. Anything unusual (escapes, the key twice) is left to the
// full JSON decoder (fast is false).
func splitContent(body []byte) (content string, rest []byte, fast bool) {
	key := []byte(`"content":"`)
	i := bytes.Index(body, key)
	if i < 0 || bytes.Index(body[i+len(key):], key) >= 0 {
		return "", nil, false
	}
	start := i + len(key)
	end := bytes.IndexByte(body[start:], '"')
	if end < 0 {
		return "", nil, false
	}
	value := body[start : start+end]
	if bytes.IndexByte(value, '\\') >= 0 {
		return "", nil, false
	}
	rest = make([]byte, 0, len(body)-len(value))
	rest = append(rest, body[:start]...)
	rest = append(rest, body[start+end:]...)
	return string(value), rest, true
}
