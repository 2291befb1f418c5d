package ghsim

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // git object names are SHA-1
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"math/big"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
)

// Signature is a commit's or tag's author, committer or tagger.
type Signature struct {
	Name  string
	Email string
	Date  time.Time
}

// CommitInfo describes one commit, for inspection.
type CommitInfo struct {
	SHA       string
	Message   string
	Parents   []string
	Author    Signature
	Committer Signature
}

// Dispatch is one repository_dispatch event the simulator received.
type Dispatch struct {
	EventType     string
	ClientPayload json.RawMessage // nil when the request had none
	Time          time.Time
}

type repo struct {
	owner, name   string
	id            int64
	defaultBranch string
	commits       map[string]*commit
	branches      map[string]string     // branch -> commit
	tags          map[string]string     // tag name -> commit or tag object; change through setTag, deleteTag
	tagRefs       []gitRef              // nil until sortedTagRefs; never changed in place
	tagObjs       map[string]*tagObject // tag object sha -> object
	blobs         map[string][]byte
	// archive is the last tarball served and the commit it is of: an
	// archive of a commit never changes, and GitHub serves archives from a
	// cache (codeload) too
	archiveSHA  string
	archive     []byte
	trees       map[string]map[string]string // tree sha -> path -> blob sha (never changed once stored)
	checkRuns   []*checkRun
	statuses    []*commitStatus
	dispatches  []Dispatch
	deployments []*deployment
}

func (r *repo) fullName() string { return r.owner + "/" + r.name }

func (r *repo) setTag(name, sha string) {
	r.tags[name] = sha
	r.tagRefs = nil
}

func (r *repo) deleteTag(name string) {
	delete(r.tags, name)
	r.tagRefs = nil
}

// sortedTagRefs is the tags as git advertises them, sorted by name, peeled;
// built once per state of the tags (git keeps its refs sorted too). Callers
// hold s.mu, and may keep and read the slice after releasing it: it is never
// changed, only replaced.
func (r *repo) sortedTagRefs() []gitRef {
	if r.tagRefs == nil {
		r.tagRefs = make([]gitRef, 0, len(r.tags))
		for t, sha := range r.tags {
			ref := gitRef{dir: "refs/tags/", short: t, oid: sha}
			if p := r.peel(sha); p != sha {
				ref.peeled = p
			}
			r.tagRefs = append(r.tagRefs, ref)
		}
		slices.SortFunc(r.tagRefs, func(a, b gitRef) int { return strings.Compare(a.short, b.short) })
	}
	return r.tagRefs
}

type commit struct {
	sha, message      string
	parents           []string
	tree              map[string]string // path -> blob sha
	treeSHA           string
	author, committer Signature
}

type tagObject struct {
	sha, tag, message, object, objectType string
	tagger                                Signature
}

type checkRun struct {
	id                         int64
	headSHA, name              string
	status, conclusion         string
	startedAt, completedAt     time.Time
	detailsURL, externalID     string
	outputTitle, outputSummary string
}

type commitStatus struct {
	id                                    int64
	sha, context, state, description, url string
	created                               time.Time
}

// Permission levels, lowest first.
var levels = map[string]int{"none": 0, "read": 1, "pull": 1, "triage": 2, "write": 3, "push": 3, "maintain": 4, "admin": 5}

const (
	levelRead  = 1
	levelWrite = 3
	levelAdmin = 5
)

type identity struct {
	login        string
	perms        map[string]int // lower-case owner/name or "*" -> level
	expires      time.Time      // zero: never
	installation int64
	scopes       map[string]int // Actions permission name -> level (RestrictToken); nil: the levels of perms
}

func (id *identity) level(fullName string) int {
	if id == nil {
		return levelAdmin // open server
	}
	if l, ok := id.perms[strings.ToLower(fullName)]; ok {
		return l
	}
	return id.perms["*"]
}

type app struct {
	id  int64
	key crypto.PublicKey
}

type installation struct {
	id, appID int64
	perms     map[string]int
}

type rateWindow struct {
	used  int
	reset time.Time
}

var (
	repoNameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`)
	hexRE      = regexp.MustCompile(`^[0-9a-f]{7,40}$`)
)

func hashHex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// gitHash names an object like git does: sha1("<kind> <len>\x00<data>").
func gitHash(kind string, data []byte) string {
	h := sha1.New() //nolint:gosec // git object names are SHA-1
	fmt.Fprintf(h, "%s %d\x00", kind, len(data))
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}

func randomString(n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, n)
	for i := range b {
		v, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			panic(err)
		}
		b[i] = alphabet[v.Int64()]
	}
	return string(b)
}

var simUser = Signature{Name: "ghsim", Email: "ghsim@users.noreply.github.com"}

// mustRepo returns the repository or panics; callers hold s.mu.
func (s *Server) mustRepo(fullName string) *repo {
	r := s.repos[strings.ToLower(fullName)]
	if r == nil {
		panic(fmt.Sprintf("ghsim: repository %q does not exist (CreateRepo it first)", fullName))
	}
	return r
}

// CreateRepo creates the repository owner/name with default branch main
// holding one commit, "Initial commit", like a repository created with
// auto_init. It panics if the repository exists.
func (s *Server) CreateRepo(fullName string) {
	if !repoNameRE.MatchString(fullName) {
		panic(fmt.Sprintf("ghsim: %q is not owner/name", fullName))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key := strings.ToLower(fullName)
	if s.repos[key] != nil {
		panic(fmt.Sprintf("ghsim: repository %q already exists", fullName))
	}
	owner, name, _ := strings.Cut(fullName, "/")
	s.nextID++
	r := &repo{owner: owner, name: name, id: s.nextID, defaultBranch: "main",
		commits: map[string]*commit{}, branches: map[string]string{}, tags: map[string]string{},
		tagObjs: map[string]*tagObject{}, blobs: map[string][]byte{}, trees: map[string]map[string]string{}}
	s.repos[key] = r
	s.newCommit(r, "main", "Initial commit", nil, simUser, simUser)
}

// newCommit adds a commit on branch (created from the default branch when
// missing) whose tree is the parent's with changes applied (nil value: delete).
func (s *Server) newCommit(r *repo, branch, message string, changes map[string][]byte, author, committer Signature) *commit {
	parentSHA, ok := r.branches[branch]
	if !ok {
		parentSHA = r.branches[r.defaultBranch]
	}
	tree := map[string]string{}
	var parents []string
	if p := r.commits[parentSHA]; p != nil {
		for k, v := range p.tree {
			tree[k] = v
		}
		parents = []string{p.sha}
	}
	for path, content := range changes {
		if content == nil {
			delete(tree, path)
			continue
		}
		b := gitHash("blob", content)
		r.blobs[b] = content
		tree[path] = b
	}
	c := s.storeCommit(r, message, parents, tree, author, committer)
	r.branches[branch] = c.sha
	return c
}

// putTree names a tree (path -> blob sha, flat) and records it, so that
// base_tree, a commit's tree and GET git/trees find it; callers hold s.mu
// and never change tree afterwards. The name is a hash of the sorted
// entries, not git's tree encoding; the empty tree gets git's name for it.
func (r *repo) putTree(tree map[string]string) string {
	var tb strings.Builder
	for _, p := range slices.Sorted(maps.Keys(tree)) {
		fmt.Fprintf(&tb, "%s %s\n", tree[p], p)
	}
	sha := gitHash("tree", []byte(tb.String()))
	if _, ok := r.trees[sha]; !ok {
		r.trees[sha] = tree
	}
	return sha
}

// storeCommit adds a commit of tree with parents (none: a root commit),
// moving no ref; zero dates are now.
func (s *Server) storeCommit(r *repo, message string, parents []string, tree map[string]string, author, committer Signature) *commit {
	now := s.now().UTC().Truncate(time.Second)
	if author.Date.IsZero() {
		author.Date = now
	}
	if committer.Date.IsZero() {
		committer.Date = now
	}
	treeSHA := r.putTree(tree)
	s.seq++
	sha := gitHash("commit", []byte(fmt.Sprintf("tree %s\nparent %s\nrepo %s\nseq %d\n\n%s",
		treeSHA, strings.Join(parents, " "), r.fullName(), s.seq, message)))
	c := &commit{sha: sha, message: message, parents: parents, tree: tree, treeSHA: treeSHA,
		author: author, committer: committer}
	r.commits[sha] = c
	return c
}

// Commit adds a commit with message on branch, creating the branch from the
// default branch's head when it does not exist, and returns its 40-hex SHA.
// SHAs are deterministic for a given sequence of calls.
func (s *Server) Commit(fullName, branch, message string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.newCommit(s.mustRepo(fullName), branch, message, nil, simUser, simUser).sha
}

// PutFile commits content at path on branch (created from the default branch
// when missing) and returns the commit SHA.
func (s *Server) PutFile(fullName, branch, path string, content []byte, message string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if content == nil {
		content = []byte{}
	}
	return s.newCommit(s.mustRepo(fullName), branch, message, map[string][]byte{path: content}, simUser, simUser).sha
}

// mustCommit resolves ref (a SHA, branch or tag) to a commit or panics.
func (s *Server) mustCommit(r *repo, ref string) *commit {
	c := r.resolve(ref)
	if c == nil {
		panic(fmt.Sprintf("ghsim: %s has no commit %q", r.fullName(), ref))
	}
	return c
}

// Tag points the lightweight tag name at the commit ref resolves to (a SHA,
// branch or tag), moving it if it exists.
func (s *Server) Tag(fullName, name, ref string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.mustRepo(fullName)
	r.setTag(name, s.mustCommit(r, ref).sha)
}

// AnnotatedTag creates a tag object named name with message, whose target is
// the commit ref resolves to, points the tag at it, and returns the tag
// object's SHA (which differs from the commit's).
func (s *Server) AnnotatedTag(fullName, name, ref, message string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.mustRepo(fullName)
	c := s.mustCommit(r, ref)
	tagger := simUser
	tagger.Date = s.now().UTC().Truncate(time.Second)
	sha := gitHash("tag", []byte(fmt.Sprintf("object %s\ntype commit\ntag %s\ntagger %s <%s> %d +0000\n\n%s",
		c.sha, name, tagger.Name, tagger.Email, tagger.Date.Unix(), message)))
	r.tagObjs[sha] = &tagObject{sha: sha, tag: name, message: message, object: c.sha, objectType: "commit", tagger: tagger}
	r.setTag(name, sha)
	return sha
}

// AddCheckRun records a check run named name on the commit ref resolves to.
// status is queued, in_progress or completed; conclusion (success, failure,
// neutral, cancelled, skipped, timed_out, action_required) only counts when
// completed. It returns the run's id.
func (s *Server) AddCheckRun(fullName, ref, name, status, conclusion string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.mustRepo(fullName)
	return s.addCheckRun(r, s.mustCommit(r, ref).sha, name, status, conclusion).id
}

func (s *Server) addCheckRun(r *repo, sha, name, status, conclusion string) *checkRun {
	if status == "" {
		status = "completed"
	}
	if status != "completed" {
		conclusion = ""
	}
	s.nextID++
	now := s.now().UTC().Truncate(time.Second)
	cr := &checkRun{id: s.nextID, headSHA: sha, name: name, status: status, conclusion: conclusion, startedAt: now}
	if status == "completed" {
		cr.completedAt = now
	}
	r.checkRuns = append(r.checkRuns, cr)
	return cr
}

// AddStatus records a commit status (state: error, failure, pending or
// success) for context on the commit ref resolves to.
func (s *Server) AddStatus(fullName, ref, context, state string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.mustRepo(fullName)
	s.addStatus(r, s.mustCommit(r, ref).sha, context, state, "", "")
}

func (s *Server) addStatus(r *repo, sha, context, state, description, url string) *commitStatus {
	if context == "" {
		context = "default"
	}
	s.nextID++
	st := &commitStatus{id: s.nextID, sha: sha, context: context, state: state,
		description: description, url: url, created: s.now().UTC().Truncate(time.Second)}
	r.statuses = append(r.statuses, st)
	return st
}

func parsePerms(perms map[string]string) map[string]int {
	m := make(map[string]int, len(perms))
	for repo, level := range perms {
		l, ok := levels[strings.ToLower(level)]
		if !ok {
			panic(fmt.Sprintf("ghsim: unknown permission %q for %s (want read, triage, write, maintain or admin)", level, repo))
		}
		m[strings.ToLower(repo)] = l
	}
	return m
}

// AddToken registers token with a permission per repository ("owner/name",
// or "*" for every repository) among read, triage, write, maintain and admin.
// Repositories it has no permission on answer 404, as GitHub does. After the
// first call, every request needs a known token.
func (s *Server) AddToken(token string, perms map[string]string) {
	p := parsePerms(perms)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.enforce = true
	s.tokens[token] = &identity{login: "ghsim-user", perms: p}
}

// AddApp registers a GitHub App and the public key (an *rsa.PublicKey) its
// JWTs are verified with; with a nil key, a JWT's signature is not checked.
func (s *Server) AddApp(appID int64, key crypto.PublicKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apps[appID] = &app{id: appID, key: key}
}

// InstallApp registers app appID with a new RSA key (2048 bits, as GitHub
// issues) and its installation installationID with perms (as in
// AddInstallation), and returns the App's private key.
func (s *Server) InstallApp(t TB, appID, installationID int64, perms map[string]string) *rsa.PrivateKey {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatalf("ghsim: generating the key of app %d: %v", appID, err)
	}
	s.AddApp(appID, &key.PublicKey)
	s.AddInstallation(installationID, appID, perms)
	return key
}

// AddInstallation registers an installation of app appID with a permission
// per repository (as in AddToken). POST /app/installations/{id}/access_tokens
// then issues tokens carrying these permissions, valid for one hour.
func (s *Server) AddInstallation(installationID, appID int64, perms map[string]string) {
	p := parsePerms(perms)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.enforce = true
	if s.apps[appID] == nil {
		s.apps[appID] = &app{id: appID}
	}
	s.installations[installationID] = &installation{id: installationID, appID: appID, perms: p}
}

// Dispatches returns the repository_dispatch events fullName received, oldest first.
func (s *Server) Dispatches(fullName string) []Dispatch {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Dispatch(nil), s.mustRepo(fullName).dispatches...)
}

// File returns the content of path at the head of branch.
func (s *Server) File(fullName, branch, path string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.mustRepo(fullName)
	c := r.commits[r.branches[branch]]
	if c == nil {
		return nil, false
	}
	b, ok := c.tree[path]
	if !ok {
		return nil, false
	}
	return append([]byte(nil), r.blobs[b]...), true
}

// Paths lists the files (full paths, sorted) in the tree of the commit ref
// resolves to (a SHA, branch or tag); nil when it resolves to none.
func (s *Server) Paths(fullName, ref string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.mustRepo(fullName).resolve(ref)
	if c == nil {
		return nil
	}
	paths := make([]string, 0, len(c.tree))
	for p := range c.tree {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	return paths
}

// Head returns the commit at the head of branch.
func (s *Server) Head(fullName, branch string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sha, ok := s.mustRepo(fullName).branches[branch]
	return sha, ok
}

// History returns the commits reachable from ref by first parents, newest
// first: the audit trail a branch shows on GitHub.
func (s *Server) History(fullName, ref string) []CommitInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.mustRepo(fullName)
	var out []CommitInfo
	for c := r.resolve(ref); c != nil; {
		out = append(out, CommitInfo{SHA: c.sha, Message: c.message, Parents: append([]string(nil), c.parents...),
			Author: c.author, Committer: c.committer})
		if len(c.parents) == 0 {
			break
		}
		c = r.commits[c.parents[0]]
	}
	return out
}

// peel follows tag objects to the commit SHA they point at.
func (r *repo) peel(sha string) string {
	for i := 0; i < 10; i++ {
		t := r.tagObjs[sha]
		if t == nil {
			return sha
		}
		sha = t.object
	}
	return sha
}

// resolve finds the commit a ref names: a SHA (full, or an unambiguous
// prefix of at least 7), refs/heads/X, refs/tags/X, a tag or a branch, or
// heads/X and tags/X as GitHub documents for GET commits/{ref}.
func (r *repo) resolve(ref string) *commit {
	if c := r.commits[ref]; c != nil {
		return c
	}
	if b, ok := strings.CutPrefix(ref, "refs/heads/"); ok {
		return r.commits[r.branches[b]]
	}
	if t, ok := strings.CutPrefix(ref, "refs/tags/"); ok {
		if sha, ok := r.tags[t]; ok {
			return r.commits[r.peel(sha)]
		}
		return nil
	}
	if sha, ok := r.tags[ref]; ok {
		return r.commits[r.peel(sha)]
	}
	if sha, ok := r.branches[ref]; ok {
		return r.commits[sha]
	}
	if t := r.tagObjs[ref]; t != nil {
		return r.commits[r.peel(ref)]
	}
	// GitHub documents the commits endpoint's ref as a SHA, heads/BRANCH or tags/TAG.
	if b, ok := strings.CutPrefix(ref, "heads/"); ok {
		if sha, ok := r.branches[b]; ok {
			return r.commits[sha]
		}
	}
	if t, ok := strings.CutPrefix(ref, "tags/"); ok {
		if sha, ok := r.tags[t]; ok {
			return r.commits[r.peel(sha)]
		}
	}
	if hexRE.MatchString(ref) && len(ref) < 40 {
		var found *commit
		for sha, c := range r.commits {
			if strings.HasPrefix(sha, ref) {
				if found != nil {
					return nil
				}
				found = c
			}
		}
		return found
	}
	return nil
}

// authenticate resolves the caller; callers hold s.mu. It returns the
// rate-limit key, or an error answer.
func (s *Server) authenticate(c *call) (string, *response) {
	token := bearer(c.r.Header.Get("Authorization"))
	if !s.enforce {
		return token, nil
	}
	id := s.tokens[token]
	if token == "" || id == nil || (!id.expires.IsZero() && !s.now().Before(id.expires)) {
		return "", apiError(http.StatusUnauthorized, "Bad credentials")
	}
	c.ident = id
	return token, nil
}

func bearer(h string) string {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok {
		return ""
	}
	switch strings.ToLower(scheme) {
	case "bearer", "token":
		return strings.TrimSpace(tok)
	}
	return ""
}

// window returns key's current rate-limit window; callers hold s.mu.
func (s *Server) window(key string) *rateWindow {
	now := s.now()
	w := s.rates[key]
	if w == nil || !now.Before(w.reset) {
		w = &rateWindow{reset: time.Unix(now.Add(time.Hour).Unix(), 0)}
		s.rates[key] = w
	}
	return w
}

// rateHeaders sets GitHub's x-ratelimit-* headers for key; callers hold s.mu.
func (s *Server) rateHeaders(resp *response, key string) {
	if resp.header == nil {
		resp.header = http.Header{}
	}
	s.rateHeadersInto(resp.header, key)
}

func (s *Server) rateHeadersInto(h http.Header, key string) {
	w := s.window(key)
	remaining := s.limit - w.used
	if remaining < 0 {
		remaining = 0
	}
	h.Set("X-Ratelimit-Limit", fmt.Sprint(s.limit))
	h.Set("X-Ratelimit-Remaining", fmt.Sprint(remaining))
	h.Set("X-Ratelimit-Reset", fmt.Sprint(w.reset.Unix()))
	h.Set("X-Ratelimit-Used", fmt.Sprint(w.used))
	h.Set("X-Ratelimit-Resource", "core")
}
