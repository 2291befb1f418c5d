package ghsim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// repo looks up the request's repository and checks the caller holds at
// least level on it: unknown or invisible -> 404, visible but not enough ->
// 403, as GitHub answers an installation token.
func (c *call) repo(level int) (*repo, *response) {
	r := c.s.repos[strings.ToLower(c.params["owner"]+"/"+c.params["repo"])]
	if r == nil {
		return nil, errNotFound()
	}
	l := c.ident.level(r.fullName())
	if l < levelRead {
		return nil, errNotFound()
	}
	if l < level {
		return nil, errForbidden()
	}
	return r, nil
}

// decode parses the JSON request body into v.
func (c *call) decode(v any) *response {
	if len(c.body) == 0 {
		return apiError(http.StatusBadRequest, "Problems parsing JSON")
	}
	if err := json.Unmarshal(c.body, v); err != nil {
		return apiError(http.StatusBadRequest, "Problems parsing JSON")
	}
	return nil
}

// writeRepo starts every endpoint that writes from a JSON body: the
// repository, which the caller must be able to write, then the body decoded
// into in.
func (c *call) writeRepo(in any) (*repo, *response) {
	r, e := c.repo(levelWrite)
	if e != nil {
		return nil, e
	}
	if e := c.decode(in); e != nil {
		return nil, e
	}
	return r, nil
}

// refCommit starts the endpoints under .../commits/{ref}: the readable
// repository and the commit ref names.
func (c *call) refCommit() (*repo, *commit, *response) {
	r, e := c.repo(levelRead)
	if e != nil {
		return nil, nil, e
	}
	cm := r.resolve(c.params["ref"])
	if cm == nil {
		return nil, nil, noCommit(c.params["ref"])
	}
	return r, cm, nil
}

// refParam is the {ref} of a git/ref(s) path as a full ref name.
func (c *call) refParam() string { return "refs/" + strings.TrimPrefix(c.params["ref"], "refs/") }

func (c *call) repoURL(r *repo) string { return c.api + "/repos/" + r.fullName() }

func (c *call) ownerJSON(r *repo) map[string]any {
	return map[string]any{"login": r.owner, "id": len(r.owner) + 1, "node_id": "U_" + r.owner,
		"type": "Organization", "url": c.api + "/users/" + r.owner, "html_url": c.host + "/" + r.owner, "site_admin": false}
}

func (c *call) repoJSON(r *repo) map[string]any {
	l := c.ident.level(r.fullName())
	return map[string]any{
		"id": r.id, "node_id": fmt.Sprintf("R_%d", r.id), "name": r.name, "full_name": r.fullName(),
		"private": false, "visibility": "public", "fork": false, "archived": false, "disabled": false,
		"owner": c.ownerJSON(r), "html_url": c.host + "/" + r.fullName(), "url": c.repoURL(r),
		"default_branch": r.defaultBranch,
		"permissions": map[string]bool{"admin": l >= levelAdmin, "maintain": l >= 4, "push": l >= levelWrite,
			"triage": l >= 2, "pull": l >= levelRead},
	}
}

func sigJSON(s Signature) map[string]any {
	return map[string]any{"name": s.Name, "email": s.Email, "date": ts(s.Date)}
}

func (c *call) parentsJSON(r *repo, cm *commit) []map[string]any {
	ps := []map[string]any{}
	for _, p := range cm.parents {
		ps = append(ps, map[string]any{"sha": p, "url": c.repoURL(r) + "/commits/" + p,
			"html_url": c.host + "/" + r.fullName() + "/commit/" + p})
	}
	return ps
}

var unsigned = map[string]any{"verified": false, "reason": "unsigned", "signature": nil, "payload": nil}

// commitJSON is a RepositoryCommit as GET /repos/{o}/{r}/commits/{ref} has it.
func (c *call) commitJSON(r *repo, cm *commit) map[string]any {
	return map[string]any{
		"sha": cm.sha, "node_id": "C_" + cm.sha, "url": c.repoURL(r) + "/commits/" + cm.sha,
		"html_url": c.host + "/" + r.fullName() + "/commit/" + cm.sha,
		"commit": map[string]any{
			"message": cm.message, "author": sigJSON(cm.author), "committer": sigJSON(cm.committer),
			"tree":          map[string]any{"sha": cm.treeSHA, "url": c.repoURL(r) + "/git/trees/" + cm.treeSHA},
			"url":           c.repoURL(r) + "/git/commits/" + cm.sha,
			"comment_count": 0, "verification": unsigned,
		},
		"author": nil, "committer": nil,
		"parents": c.parentsJSON(r, cm),
		"stats":   map[string]int{"additions": 0, "deletions": 0, "total": 0},
		"files":   []any{},
	}
}

// gitCommitJSON is a git commit as the contents API returns it.
func (c *call) gitCommitJSON(r *repo, cm *commit) map[string]any {
	return map[string]any{
		"sha": cm.sha, "node_id": "C_" + cm.sha, "url": c.repoURL(r) + "/git/commits/" + cm.sha,
		"html_url": c.host + "/" + r.fullName() + "/commit/" + cm.sha,
		"author":   sigJSON(cm.author), "committer": sigJSON(cm.committer), "message": cm.message,
		"tree":         map[string]any{"sha": cm.treeSHA, "url": c.repoURL(r) + "/git/trees/" + cm.treeSHA},
		"parents":      c.parentsJSON(r, cm),
		"verification": unsigned,
	}
}

// paginate applies per_page (default 30, at most 100) and page to n items,
// returning the bounds of the page and setting GitHub's Link header.
func (c *call) paginate(resp *response, n int) (lo, hi int) {
	perPage, err := strconv.Atoi(c.query.Get("per_page"))
	if err != nil || perPage < 1 {
		perPage = 30
	}
	if perPage > 100 {
		perPage = 100
	}
	page, err := strconv.Atoi(c.query.Get("page"))
	if err != nil || page < 1 {
		page = 1
	}
	last := (n + perPage - 1) / perPage
	if last < 1 {
		last = 1
	}
	lo = min((page-1)*perPage, n)
	hi = min(lo+perPage, n)
	link := func(p int, rel string) string {
		q := c.r.URL.Query()
		q.Set("page", strconv.Itoa(p))
		return fmt.Sprintf(`<%s%s?%s>; rel="%s"`, c.host, c.r.URL.EscapedPath(), q.Encode(), rel)
	}
	var links []string
	if page > 1 {
		links = append(links, link(min(page-1, last), "prev"))
	}
	if page < last {
		links = append(links, link(page+1, "next"), link(last, "last"))
	}
	if page > 1 {
		links = append(links, link(1, "first"))
	}
	if len(links) > 0 {
		resp.setHeader("Link", strings.Join(links, ", "))
	}
	return lo, hi
}

// page renders the page of items the query asks for (see paginate) with f:
// the response, carrying the Link header, and the page's items.
func page[T, U any](c *call, items []T, f func(T) U) (*response, []U) {
	resp := &response{status: http.StatusOK}
	lo, hi := c.paginate(resp, len(items))
	out := make([]U, 0, hi-lo)
	for _, it := range items[lo:hi] {
		out = append(out, f(it))
	}
	return resp, out
}

func (c *call) rateLimit() *response {
	key := bearer(c.r.Header.Get("Authorization"))
	w := c.s.window(key)
	rate := map[string]any{"limit": c.s.limit, "used": w.used, "remaining": max(c.s.limit-w.used, 0),
		"reset": w.reset.Unix(), "resource": "core"}
	other := func(limit int, resource string) map[string]any {
		return map[string]any{"limit": limit, "used": 0, "remaining": limit,
			"reset": c.s.now().Add(time.Hour).Unix(), "resource": resource}
	}
	return jsonResponse(http.StatusOK, map[string]any{
		"resources": map[string]any{"core": rate, "search": other(30, "search"), "graphql": other(5000, "graphql"),
			"integration_manifest": other(5000, "integration_manifest"), "code_search": other(10, "code_search")},
		"rate": rate,
	})
}

func (c *call) getRepo() *response {
	r, e := c.repo(levelRead)
	if e != nil {
		return e
	}
	return jsonResponse(http.StatusOK, c.repoJSON(r))
}

func (c *call) branchJSON(r *repo, name string) map[string]any {
	return map[string]any{
		"name": name, "commit": c.commitJSON(r, r.commits[r.branches[name]]), "protected": false,
		"protection": map[string]any{"enabled": false, "required_status_checks": map[string]any{
			"enforcement_level": "off", "contexts": []string{}, "checks": []any{}}},
		"protection_url": c.repoURL(r) + "/branches/" + name + "/protection",
		"_links":         map[string]string{"self": c.repoURL(r) + "/branches/" + name, "html": c.host + "/" + r.fullName() + "/tree/" + name},
	}
}

func (c *call) listBranches() *response {
	r, e := c.repo(levelRead)
	if e != nil {
		return e
	}
	names := make([]string, 0, len(r.branches))
	for b := range r.branches {
		names = append(names, b)
	}
	sort.Strings(names)
	return withJSON(page(c, names, func(b string) map[string]any {
		return map[string]any{"name": b, "protected": false,
			"commit": map[string]string{"sha": r.branches[b], "url": c.repoURL(r) + "/commits/" + r.branches[b]}}
	}))
}

func withJSON(resp *response, v any) *response {
	j := jsonResponse(resp.status, v)
	j.header = resp.header
	return j
}

func (c *call) getBranch() *response {
	r, e := c.repo(levelRead)
	if e != nil {
		return e
	}
	if _, ok := r.branches[c.params["branch"]]; !ok {
		return apiError(http.StatusNotFound, "Branch not found")
	}
	return jsonResponse(http.StatusOK, c.branchJSON(r, c.params["branch"]))
}

func noCommit(ref string) *response {
	return validationError("No commit found for SHA: " + ref)
}

func (c *call) getCommit() *response {
	r, cm, e := c.refCommit()
	if e != nil {
		return e
	}
	if a := c.r.Header.Get("Accept"); strings.Contains(a, "vnd.github.sha") || strings.Contains(a, "vnd.github.v3.sha") {
		return rawResponse([]byte(cm.sha), "application/vnd.github.sha", cm.sha)
	}
	return jsonResponse(http.StatusOK, c.commitJSON(r, cm))
}

// tagNamesDesc lists tag names, highest first.
func tagNamesDesc(r *repo) []string {
	names := make([]string, 0, len(r.tags))
	for t := range r.tags {
		names = append(names, t)
	}
	sort.Sort(sort.Reverse(sort.StringSlice(names)))
	return names
}

func (c *call) listTags() *response {
	r, e := c.repo(levelRead)
	if e != nil {
		return e
	}
	return withJSON(page(c, tagNamesDesc(r), func(t string) tagJSON {
		sha := r.peel(r.tags[t])
		return tagJSON{
			Name:       t,
			Commit:     tagCommitJSON{SHA: sha, URL: c.repoURL(r) + "/commits/" + sha},
			ZipballURL: c.repoURL(r) + "/zipball/refs/tags/" + t,
			TarballURL: c.repoURL(r) + "/tarball/refs/tags/" + t,
			NodeID:     "REF_" + t,
		}
	}))
}

// tagJSON is one entry of GET /repos/{owner}/{repo}/tags, in GitHub's key
// order (a struct: the tags list is the simulator's hottest answer).
type tagJSON struct {
	Name       string        `json:"name"`
	Commit     tagCommitJSON `json:"commit"`
	ZipballURL string        `json:"zipball_url"`
	TarballURL string        `json:"tarball_url"`
	NodeID     string        `json:"node_id"`
}

type tagCommitJSON struct {
	SHA string `json:"sha"`
	URL string `json:"url"`
}

type refEntry struct{ ref, sha, typ string }

func allRefs(r *repo) []refEntry {
	var out []refEntry
	for b, sha := range r.branches {
		out = append(out, refEntry{"refs/heads/" + b, sha, "commit"})
	}
	for t, sha := range r.tags {
		typ := "commit"
		if r.tagObjs[sha] != nil {
			typ = "tag"
		}
		out = append(out, refEntry{"refs/tags/" + t, sha, typ})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ref < out[j].ref })
	return out
}

func (c *call) refJSON(r *repo, e refEntry) map[string]any {
	kind := "commits"
	if e.typ == "tag" {
		kind = "tags"
	}
	return map[string]any{"ref": e.ref, "node_id": "REF_" + e.ref, "url": c.repoURL(r) + "/git/" + e.ref,
		"object": map[string]string{"type": e.typ, "sha": e.sha, "url": c.repoURL(r) + "/git/" + kind + "/" + e.sha}}
}

func (c *call) getRef() *response {
	r, e := c.repo(levelRead)
	if e != nil {
		return e
	}
	want := c.refParam()
	for _, ref := range allRefs(r) {
		if ref.ref == want {
			return jsonResponse(http.StatusOK, c.refJSON(r, ref))
		}
	}
	return errNotFound()
}

func (c *call) matchingRefs() *response {
	r, e := c.repo(levelRead)
	if e != nil {
		return e
	}
	prefix := c.refParam()
	var refs []refEntry
	for _, ref := range allRefs(r) {
		if strings.HasPrefix(ref.ref, prefix) {
			refs = append(refs, ref)
		}
	}
	return withJSON(page(c, refs, func(ref refEntry) map[string]any { return c.refJSON(r, ref) }))
}

// setRef points ref (refs/heads/X or refs/tags/X) at sha.
func setRef(r *repo, ref, sha string) {
	if b, ok := strings.CutPrefix(ref, "refs/heads/"); ok {
		r.branches[b] = sha
	} else if t, ok := strings.CutPrefix(ref, "refs/tags/"); ok {
		r.setTag(t, sha)
	}
}

func lookupRef(r *repo, ref string) (refEntry, bool) {
	for _, e := range allRefs(r) {
		if e.ref == ref {
			return e, true
		}
	}
	return refEntry{}, false
}

func (c *call) createRef() *response {
	var in struct {
		Ref string `json:"ref"`
		SHA string `json:"sha"`
	}
	r, e := c.writeRepo(&in)
	if e != nil {
		return e
	}
	if !strings.HasPrefix(in.Ref, "refs/") || strings.Count(in.Ref, "/") < 2 {
		return validationError("Reference name must start with 'refs/' and have at least two slashes.")
	}
	if !strings.HasPrefix(in.Ref, "refs/heads/") && !strings.HasPrefix(in.Ref, "refs/tags/") {
		return validationError("Reference name must start with 'refs/heads/' or 'refs/tags/' in this simulator.")
	}
	if r.commits[in.SHA] == nil && (r.tagObjs[in.SHA] == nil || !strings.HasPrefix(in.Ref, "refs/tags/")) {
		return validationError("Object does not exist")
	}
	if _, ok := lookupRef(r, in.Ref); ok {
		return validationError("Reference already exists")
	}
	setRef(r, in.Ref, in.SHA)
	ref, _ := lookupRef(r, in.Ref)
	return jsonResponse(http.StatusCreated, c.refJSON(r, ref))
}

func (c *call) isAncestor(r *repo, anc, sha string) bool {
	seen := map[string]bool{}
	stack := []string{sha}
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if s == anc {
			return true
		}
		if seen[s] {
			continue
		}
		seen[s] = true
		if cm := r.commits[s]; cm != nil {
			stack = append(stack, cm.parents...)
		}
	}
	return false
}

func (c *call) updateRef() *response {
	var in struct {
		SHA   string `json:"sha"`
		Force bool   `json:"force"`
	}
	r, e := c.writeRepo(&in)
	if e != nil {
		return e
	}
	name := c.refParam()
	cur, ok := lookupRef(r, name)
	if !ok {
		return validationError("Reference does not exist")
	}
	if r.commits[in.SHA] == nil && r.tagObjs[in.SHA] == nil {
		return validationError("Object does not exist")
	}
	if !in.Force && !c.isAncestor(r, cur.sha, in.SHA) {
		return validationError("Update is not a fast forward")
	}
	setRef(r, name, in.SHA)
	ref, _ := lookupRef(r, name)
	return jsonResponse(http.StatusOK, c.refJSON(r, ref))
}

func (c *call) deleteRef() *response {
	r, e := c.repo(levelWrite)
	if e != nil {
		return e
	}
	name := c.refParam()
	if _, ok := lookupRef(r, name); !ok {
		return validationError("Reference does not exist")
	}
	if b, ok := strings.CutPrefix(name, "refs/heads/"); ok {
		delete(r.branches, b)
	} else {
		r.deleteTag(strings.TrimPrefix(name, "refs/tags/"))
	}
	return &response{status: http.StatusNoContent}
}

// Git data: trees and commits written directly, as a client does to make a
// commit the contents API cannot (an orphan branch's first commit, several
// files at once). Trees are flat in the simulator (path -> blob) and keep
// no file modes: every blob is answered as mode 100644.

var fullSHA = regexp.MustCompile(`^[0-9a-f]{40}$`)

// treeEntryIn is one entry of POST git/trees. SHA is absent, null or a
// string: absent or null together with no content deletes the path.
type treeEntryIn struct {
	Path    *string         `json:"path"`
	Mode    string          `json:"mode"`
	Type    string          `json:"type"`
	SHA     json.RawMessage `json:"sha"`
	Content *string         `json:"content"`
}

// treeModes maps each mode GitHub accepts to its object type.
var treeModes = map[string]string{"100644": "blob", "100755": "blob", "120000": "blob", "040000": "tree", "160000": "commit"}

// validTreePath is a relative path without empty, "." or ".." segments.
func validTreePath(p string) bool {
	if p == "" {
		return false
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return false
		}
	}
	return true
}

// removeTreePath drops p and everything under p/ from tree, and any file
// standing where one of p's parent directories goes; whether p was there
// (as a file or a directory).
func removeTreePath(tree map[string]string, p string) bool {
	found := false
	if _, ok := tree[p]; ok {
		delete(tree, p)
		found = true
	}
	for q := range tree {
		if strings.HasPrefix(q, p+"/") {
			delete(tree, q)
			found = true
		}
	}
	for dir := path.Dir(p); dir != "."; dir = path.Dir(dir) {
		delete(tree, dir)
	}
	return found
}

func (c *call) createTree() *response {
	var in struct {
		BaseTree *string        `json:"base_tree"`
		Tree     *[]treeEntryIn `json:"tree"`
	}
	r, e := c.writeRepo(&in)
	if e != nil {
		return e
	}
	if in.Tree == nil {
		return validationError("Invalid request.\n\n\"tree\" wasn't supplied.")
	}
	tree := map[string]string{}
	if in.BaseTree != nil && *in.BaseTree != "" {
		base, ok := r.trees[*in.BaseTree]
		if !ok {
			return validationError("base_tree is not a valid tree oid")
		}
		for k, v := range base {
			tree[k] = v
		}
	}
	for i, ent := range *in.Tree {
		if ent.Path == nil {
			return validationError(fmt.Sprintf("Invalid request.\n\n\"path\" wasn't supplied for tree entry %d.", i))
		}
		p := *ent.Path
		if !validTreePath(p) {
			return validationError(fmt.Sprintf("tree.path %q is not a valid path", p))
		}
		typ, ok := treeModes[ent.Mode]
		if !ok {
			return validationError(fmt.Sprintf("Invalid request.\n\nFor 'items', %q is not a valid tree.mode: use 100644, 100755, 040000, 160000 or 120000.", ent.Mode))
		}
		if ent.Type != "" && ent.Type != typ {
			return validationError(fmt.Sprintf("tree.type %q does not match tree.mode %s (%s)", ent.Type, ent.Mode, typ))
		}
		if typ == "commit" {
			return validationError("tree entries of type commit (submodules) are not supported by this simulator")
		}
		var sha *string
		if len(ent.SHA) > 0 && string(ent.SHA) != "null" {
			var v string
			if err := json.Unmarshal(ent.SHA, &v); err != nil {
				return validationError(fmt.Sprintf("Invalid request.\n\nFor 'items', tree.sha of %q is not a string or null.", p))
			}
			sha = &v
		}
		switch {
		case sha != nil && ent.Content != nil:
			return validationError(fmt.Sprintf("tree entry %q: use either tree.sha or content, not both", p))
		case sha == nil && ent.Content == nil:
			if !removeTreePath(tree, p) {
				return validationError(fmt.Sprintf("tree.path %q cannot be deleted: it does not exist", p))
			}
		case ent.Content != nil:
			if typ != "blob" {
				return validationError(fmt.Sprintf("tree entry %q: content is for blobs, not a %s", p, typ))
			}
			data := []byte(*ent.Content)
			b := gitHash("blob", data)
			r.blobs[b] = data
			removeTreePath(tree, p)
			tree[p] = b
		case typ == "blob":
			if _, ok := r.blobs[*sha]; !ok {
				return validationError(fmt.Sprintf("tree.sha %s is not a valid blob", *sha))
			}
			removeTreePath(tree, p)
			tree[p] = *sha
		default: // a subtree
			sub, ok := r.trees[*sha]
			if !ok {
				return validationError(fmt.Sprintf("tree.sha %s is not a valid tree", *sha))
			}
			removeTreePath(tree, p)
			for q, b := range sub {
				tree[p+"/"+q] = b
			}
		}
	}
	return jsonResponse(http.StatusCreated, c.treeJSON(r, r.putTree(tree), false))
}

// treeJSON is a tree as GET and POST git/trees answer it: its entries, or
// with recursive every file and directory under it. Directories are named by
// their own trees, which are recorded.
func (c *call) treeJSON(r *repo, sha string, recursive bool) map[string]any {
	tree := r.trees[sha]
	subs := map[string]map[string]string{} // directory -> its tree
	var files []string
	for p, b := range tree {
		if recursive || !strings.Contains(p, "/") {
			files = append(files, p)
		}
		for d := path.Dir(p); d != "."; d = path.Dir(d) {
			if recursive || !strings.Contains(d, "/") {
				if subs[d] == nil {
					subs[d] = map[string]string{}
				}
				subs[d][strings.TrimPrefix(p, d+"/")] = b
			}
		}
	}
	type entry struct {
		path string
		m    map[string]any
	}
	var out []entry
	for _, p := range files {
		b := tree[p]
		out = append(out, entry{p, map[string]any{"path": p, "mode": "100644", "type": "blob", "sha": b,
			"size": len(r.blobs[b]), "url": c.repoURL(r) + "/git/blobs/" + b}})
	}
	for d, sub := range subs {
		ts := r.putTree(sub)
		out = append(out, entry{d, map[string]any{"path": d, "mode": "040000", "type": "tree", "sha": ts,
			"url": c.repoURL(r) + "/git/trees/" + ts}})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path < out[j].path })
	entries := make([]map[string]any, len(out))
	for i, e := range out {
		entries[i] = e.m
	}
	return map[string]any{"sha": sha, "url": c.repoURL(r) + "/git/trees/" + sha, "tree": entries, "truncated": false}
}

// getTree answers GET git/trees/{sha}: sha names a tree, or a commit, branch
// or tag whose tree it is; recursive (any value) lists everything under it.
func (c *call) getTree() *response {
	r, e := c.repo(levelRead)
	if e != nil {
		return e
	}
	sha := c.params["sha"]
	if _, ok := r.trees[sha]; !ok {
		cm := r.resolve(sha)
		if cm == nil {
			return errNotFound()
		}
		sha = cm.treeSHA
	}
	return jsonResponse(http.StatusOK, c.treeJSON(r, sha, c.query.Has("recursive")))
}

func (c *call) createCommit() *response {
	var in struct {
		Message   *string      `json:"message"`
		Tree      *string      `json:"tree"`
		Parents   []string     `json:"parents"`
		Author    *signatureIn `json:"author"`
		Committer *signatureIn `json:"committer"`
	}
	r, e := c.writeRepo(&in)
	if e != nil {
		return e
	}
	if in.Message == nil {
		return validationError("Invalid request.\n\n\"message\" wasn't supplied.")
	}
	if in.Tree == nil {
		return validationError("Invalid request.\n\n\"tree\" wasn't supplied.")
	}
	for _, p := range in.Parents {
		if !fullSHA.MatchString(p) {
			return validationError("Each SHA in the 'parents' parameter must be exactly 40 characters and contain only [0-9a-f].")
		}
		if r.commits[p] == nil {
			return validationError("Parent SHA does not exist or is not a commit object")
		}
	}
	tree, ok := r.trees[*in.Tree]
	if !ok {
		return validationError("Tree SHA does not exist")
	}
	// The author is the caller unless given; the committer is the author
	// unless given.
	aut, _ := c.signatures(nil, nil)
	if in.Author != nil && in.Author.Name != "" {
		aut = in.Author.signature()
	}
	com := aut
	if in.Committer != nil && in.Committer.Name != "" {
		com = in.Committer.signature()
	}
	cm := c.s.storeCommit(r, *in.Message, append([]string(nil), in.Parents...), tree, aut, com)
	return jsonResponse(http.StatusCreated, c.gitCommitJSON(r, cm))
}

// objectAt finds the repository the caller may read and, in it, the object
// (of objects) the path's sha names, or answers 404.
func objectAt[T any](c *call, objects func(*repo) map[string]*T) (*repo, *T, *response) {
	r, e := c.repo(levelRead)
	if e != nil {
		return nil, nil, e
	}
	o := objects(r)[c.params["sha"]]
	if o == nil {
		return nil, nil, errNotFound()
	}
	return r, o, nil
}

func (c *call) getGitCommit() *response {
	r, cm, e := objectAt(c, func(r *repo) map[string]*commit { return r.commits })
	if e != nil {
		return e
	}
	return jsonResponse(http.StatusOK, c.gitCommitJSON(r, cm))
}

func (c *call) getTagObject() *response {
	r, t, e := objectAt(c, func(r *repo) map[string]*tagObject { return r.tagObjs })
	if e != nil {
		return e
	}
	return jsonResponse(http.StatusOK, map[string]any{
		"node_id": "TAG_" + t.sha, "tag": t.tag, "sha": t.sha, "url": c.repoURL(r) + "/git/tags/" + t.sha,
		"message": t.message, "tagger": sigJSON(t.tagger),
		"object":       map[string]string{"type": t.objectType, "sha": t.object, "url": c.repoURL(r) + "/git/commits/" + t.object},
		"verification": unsigned,
	})
}

func (c *call) checkRunJSON(r *repo, cr *checkRun) map[string]any {
	var conclusion, completed any
	if cr.status == "completed" {
		conclusion, completed = cr.conclusion, ts(cr.completedAt)
	}
	return map[string]any{
		"id": cr.id, "node_id": fmt.Sprintf("CR_%d", cr.id), "head_sha": cr.headSHA, "external_id": cr.externalID,
		"url":      fmt.Sprintf("%s/check-runs/%d", c.repoURL(r), cr.id),
		"html_url": fmt.Sprintf("%s/%s/runs/%d", c.host, r.fullName(), cr.id), "details_url": cr.detailsURL,
		"status": cr.status, "conclusion": conclusion, "started_at": ts(cr.startedAt), "completed_at": completed,
		"name": cr.name,
		"output": map[string]any{"title": cr.outputTitle, "summary": cr.outputSummary, "text": nil,
			"annotations_count": 0, "annotations_url": fmt.Sprintf("%s/check-runs/%d/annotations", c.repoURL(r), cr.id)},
		"check_suite":   map[string]any{"id": cr.id + 1},
		"app":           map[string]any{"id": 1, "slug": "ghsim", "name": "ghsim"},
		"pull_requests": []any{},
	}
}

func (c *call) listCheckRuns() *response {
	r, cm, e := c.refCommit()
	if e != nil {
		return e
	}
	name, status := c.query.Get("check_name"), c.query.Get("status")
	latest := c.query.Get("filter") != "all"
	newest := map[string]int64{}
	for _, cr := range r.checkRuns {
		if cr.headSHA == cm.sha && cr.id > newest[cr.name] {
			newest[cr.name] = cr.id
		}
	}
	var runs []*checkRun
	for i := len(r.checkRuns) - 1; i >= 0; i-- {
		cr := r.checkRuns[i]
		if cr.headSHA != cm.sha || (name != "" && cr.name != name) || (status != "" && cr.status != status) {
			continue
		}
		if latest && newest[cr.name] != cr.id {
			continue
		}
		runs = append(runs, cr)
	}
	resp, out := page(c, runs, func(cr *checkRun) map[string]any { return c.checkRunJSON(r, cr) })
	return withJSON(resp, map[string]any{"total_count": len(runs), "check_runs": out})
}

func (c *call) createCheckRun() *response {
	var in struct {
		Name       string `json:"name"`
		HeadSHA    string `json:"head_sha"`
		Status     string `json:"status"`
		Conclusion string `json:"conclusion"`
		DetailsURL string `json:"details_url"`
		ExternalID string `json:"external_id"`
		Output     *struct {
			Title   string `json:"title"`
			Summary string `json:"summary"`
		} `json:"output"`
	}
	r, e := c.writeRepo(&in)
	if e != nil {
		return e
	}
	if in.Name == "" || in.HeadSHA == "" {
		return validationError("Invalid request.\n\n\"name\" and \"head_sha\" are required.")
	}
	cm := r.commits[in.HeadSHA]
	if cm == nil {
		return validationError("No commit found for SHA: " + in.HeadSHA)
	}
	status := in.Status
	if status == "" {
		status = "queued"
		if in.Conclusion != "" {
			status = "completed"
		}
	}
	if status == "completed" && in.Conclusion == "" {
		return validationError("Invalid request.\n\n\"conclusion\" is required when status is completed.")
	}
	cr := c.s.addCheckRun(r, cm.sha, in.Name, status, in.Conclusion)
	cr.detailsURL, cr.externalID = in.DetailsURL, in.ExternalID
	if in.Output != nil {
		cr.outputTitle, cr.outputSummary = in.Output.Title, in.Output.Summary
	}
	return jsonResponse(http.StatusCreated, c.checkRunJSON(r, cr))
}

func (c *call) statusJSON(r *repo, st *commitStatus) map[string]any {
	return map[string]any{
		"url": c.repoURL(r) + "/statuses/" + st.sha, "id": st.id, "node_id": fmt.Sprintf("SC_%d", st.id),
		"state": st.state, "description": st.description, "target_url": st.url, "context": st.context,
		"created_at": ts(st.created), "updated_at": ts(st.created), "avatar_url": nil,
		"creator": map[string]any{"login": "ghsim", "id": 1, "type": "User"},
	}
}

func (c *call) combinedStatus() *response {
	r, cm, e := c.refCommit()
	if e != nil {
		return e
	}
	latest := map[string]*commitStatus{}
	for _, st := range r.statuses {
		if st.sha == cm.sha {
			latest[st.context] = st // later entries win
		}
	}
	var list []*commitStatus
	for _, st := range latest {
		list = append(list, st)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].context < list[j].context })
	state := "success"
	if len(list) == 0 {
		state = "pending"
	}
	for _, st := range list {
		switch st.state {
		case "error", "failure":
			state = "failure"
		case "pending":
			if state != "failure" {
				state = "pending"
			}
		}
	}
	resp, out := page(c, list, func(st *commitStatus) map[string]any { return c.statusJSON(r, st) })
	return withJSON(resp, map[string]any{
		"state": state, "statuses": out, "sha": cm.sha, "total_count": len(list),
		"repository": c.repoJSON(r), "commit_url": c.repoURL(r) + "/commits/" + cm.sha,
		"url": c.repoURL(r) + "/commits/" + cm.sha + "/status",
	})
}

func (c *call) listStatuses() *response {
	r, cm, e := c.refCommit()
	if e != nil {
		return e
	}
	var list []*commitStatus
	for i := len(r.statuses) - 1; i >= 0; i-- {
		if r.statuses[i].sha == cm.sha {
			list = append(list, r.statuses[i])
		}
	}
	return withJSON(page(c, list, func(st *commitStatus) map[string]any { return c.statusJSON(r, st) }))
}

func (c *call) createStatus() *response {
	var in struct {
		State       string `json:"state"`
		TargetURL   string `json:"target_url"`
		Description string `json:"description"`
		Context     string `json:"context"`
	}
	r, e := c.writeRepo(&in)
	if e != nil {
		return e
	}
	switch in.State {
	case "error", "failure", "pending", "success":
	default:
		return validationError(fmt.Sprintf("Validation Failed: state %q is not one of error, failure, pending, success", in.State))
	}
	cm := r.resolve(c.params["sha"])
	if cm == nil {
		return noCommit(c.params["sha"])
	}
	st := c.s.addStatus(r, cm.sha, in.Context, in.State, in.Description, in.TargetURL)
	return jsonResponse(http.StatusCreated, c.statusJSON(r, st))
}

// GitHub's limits on repository_dispatch.
const (
	maxEventType     = 100
	maxPayloadKeys   = 10
	maxPayloadBytes  = 64 << 10
	payloadTooLarge  = "client_payload is too large: it must be under 64 KB."
	eventTypeMissing = "Invalid request.\n\n\"event_type\" wasn't supplied."
)

func (c *call) dispatch() *response {
	var in struct {
		EventType     *string         `json:"event_type"`
		ClientPayload json.RawMessage `json:"client_payload"`
	}
	r, e := c.writeRepo(&in)
	if e != nil {
		return e
	}
	if in.EventType == nil {
		return validationError(eventTypeMissing)
	}
	if n := utf8.RuneCountInString(*in.EventType); n == 0 {
		return validationError("Invalid request.\n\nFor 'properties/event_type', \"\" is too short (minimum is 1 characters).")
	} else if n > maxEventType {
		return validationError(fmt.Sprintf("Invalid request.\n\nFor 'properties/event_type', the value is too long (maximum is %d characters).", maxEventType))
	}
	var payload json.RawMessage
	if len(in.ClientPayload) > 0 && string(in.ClientPayload) != "null" {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(in.ClientPayload, &obj); err != nil {
			return validationError("Invalid request.\n\nFor 'properties/client_payload', the value is not an object.")
		}
		if len(obj) > maxPayloadKeys {
			return validationError(fmt.Sprintf("Invalid request.\n\nNo more than %d properties are allowed; %d were supplied.", maxPayloadKeys, len(obj)))
		}
		if len(in.ClientPayload) > maxPayloadBytes {
			return validationError(payloadTooLarge)
		}
		payload = append(json.RawMessage(nil), in.ClientPayload...)
	}
	r.dispatches = append(r.dispatches, Dispatch{EventType: *in.EventType, ClientPayload: payload, Time: c.s.now()})
	return &response{status: http.StatusNoContent}
}
