package ghsim

import (
	"net/http"
	"sort"
	"strings"
)

// maxCompareCommits is how many commits GET compare lists without a paging
// parameter: GitHub documents 250, the most recent ones (the last in the
// list is the newest of the whole comparison).
const maxCompareCommits = 250

// compare answers GET /repos/{owner}/{repo}/compare/{base}...{head} as
// GitHub documents it (REST "Compare two commits"): status ahead, behind,
// diverged or identical; ahead_by and total_commits count the commits head
// has that base has not, behind_by those base has that head has not;
// commits lists the former oldest first (parents before children, then by
// committer date, then SHA): without per_page or page at most 250 (the
// newest), with one of them a page (per_page default 30, at most 100) with a
// Link header. base_commit, merge_base_commit, files (between the merge base
// and head) and the html_url, permalink_url, diff_url and patch_url of the
// compare view. An unknown ref, a basehead without "...", or two commits
// with no common ancestor: 404.
func (c *call) compare() *response {
	r, e := c.repo(levelRead)
	if e != nil {
		return e
	}
	basehead := c.params["basehead"]
	b, h, ok := strings.Cut(basehead, "...")
	if !ok || b == "" || h == "" {
		return errNotFound()
	}
	base, head := r.resolve(b), r.resolve(h)
	if base == nil || head == nil {
		return errNotFound()
	}
	fromBase, fromHead := r.ancestors(base.sha), r.ancestors(head.sha)
	var ahead []*commit
	for sha := range fromHead {
		if !fromBase[sha] {
			ahead = append(ahead, r.commits[sha])
		}
	}
	behind := 0
	for sha := range fromBase {
		if !fromHead[sha] {
			behind++
		}
	}
	gen := r.generations()
	var mergeBase *commit
	for sha := range fromHead {
		if !fromBase[sha] {
			continue
		}
		if cm := r.commits[sha]; mergeBase == nil || gen[sha] > gen[mergeBase.sha] || gen[sha] == gen[mergeBase.sha] && sha < mergeBase.sha {
			mergeBase = cm
		}
	}
	if mergeBase == nil {
		return apiError(http.StatusNotFound, "No common ancestor between "+b+" and "+h+".")
	}
	sort.Slice(ahead, func(i, j int) bool {
		x, y := ahead[i], ahead[j]
		if gen[x.sha] != gen[y.sha] {
			return gen[x.sha] < gen[y.sha]
		}
		if !x.committer.Date.Equal(y.committer.Date) {
			return x.committer.Date.Before(y.committer.Date)
		}
		return x.sha < y.sha
	})
	status := "identical"
	switch {
	case len(ahead) > 0 && behind > 0:
		status = "diverged"
	case len(ahead) > 0:
		status = "ahead"
	case behind > 0:
		status = "behind"
	}
	resp := &response{status: http.StatusOK}
	listed := ahead
	if c.query.Has("per_page") || c.query.Has("page") {
		lo, hi := c.paginate(resp, len(ahead))
		listed = ahead[lo:hi]
	} else if len(listed) > maxCompareCommits {
		listed = listed[len(listed)-maxCompareCommits:]
	}
	commits := make([]map[string]any, 0, len(listed))
	for _, cm := range listed {
		j := c.commitJSON(r, cm)
		delete(j, "stats") // a compare lists commits without stats or files
		delete(j, "files")
		commits = append(commits, j)
	}
	files := []map[string]any{}
	if c.query.Get("page") == "" || c.query.Get("page") == "1" {
		files = c.changedFiles(r, mergeBase, head)
	}
	html := c.host + "/" + r.fullName() + "/compare/" + basehead
	baseJSON, mbJSON := c.commitJSON(r, base), c.commitJSON(r, mergeBase)
	for _, j := range []map[string]any{baseJSON, mbJSON} {
		delete(j, "stats")
		delete(j, "files")
	}
	return withJSON(resp, map[string]any{
		"url":      c.repoURL(r) + "/compare/" + basehead,
		"html_url": html,
		"permalink_url": c.host + "/" + r.fullName() + "/compare/" + r.owner + ":" + base.sha[:7] + "..." +
			r.owner + ":" + head.sha[:7],
		"diff_url":          html + ".diff",
		"patch_url":         html + ".patch",
		"base_commit":       baseJSON,
		"merge_base_commit": mbJSON,
		"status":            status,
		"ahead_by":          len(ahead),
		"behind_by":         behind,
		"total_commits":     len(ahead),
		"commits":           commits,
		"files":             files,
	})
}

// changedFiles lists the files that differ between two commits' trees, by
// name, as the compare answer's files (no patch: the simulator keeps no line
// counts).
func (c *call) changedFiles(r *repo, from, to *commit) []map[string]any {
	var names []string
	for p, blob := range to.tree {
		if from.tree[p] != blob {
			names = append(names, p)
		}
	}
	for p := range from.tree {
		if _, ok := to.tree[p]; !ok {
			names = append(names, p)
		}
	}
	sort.Strings(names)
	out := make([]map[string]any, 0, len(names))
	for _, p := range names {
		st, sha := "modified", to.tree[p]
		switch {
		case from.tree[p] == "":
			st = "added"
		case sha == "":
			st, sha = "removed", from.tree[p]
		}
		out = append(out, map[string]any{"sha": sha, "filename": p, "status": st, "additions": 0, "deletions": 0, "changes": 0,
			"blob_url":     c.host + "/" + r.fullName() + "/blob/" + to.sha + "/" + p,
			"raw_url":      c.host + "/" + r.fullName() + "/raw/" + to.sha + "/" + p,
			"contents_url": c.repoURL(r) + "/contents/" + p + "?ref=" + to.sha})
	}
	return out
}

// ancestors is every commit reachable from sha, itself included.
func (r *repo) ancestors(sha string) map[string]bool {
	seen := map[string]bool{}
	stack := []string{sha}
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[s] || r.commits[s] == nil {
			continue
		}
		seen[s] = true
		stack = append(stack, r.commits[s].parents...)
	}
	return seen
}

// generations numbers every commit: a root is 1, any other one more than its
// highest parent. A parent's number is always below its children's.
func (r *repo) generations() map[string]int {
	gen := make(map[string]int, len(r.commits))
	var walk func(sha string) int
	walk = func(sha string) int {
		if g, ok := gen[sha]; ok {
			return g
		}
		g := 1
		if cm := r.commits[sha]; cm != nil {
			for _, p := range cm.parents {
				g = max(g, walk(p)+1)
			}
		}
		gen[sha] = g
		return g
	}
	for sha := range r.commits {
		walk(sha)
	}
	return gen
}

// CommitBy adds a commit with message on branch, like Commit, whose author is
// author (the committer is the simulator), and returns its SHA.
func (s *Server) CommitBy(fullName, branch, message string, author Signature) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.newCommit(s.mustRepo(fullName), branch, message, nil, author, simUser).sha
}

// SetBranch points branch at the commit ref resolves to, creating or moving
// it: what a force-push does. Commits left unreachable stay readable by SHA,
// as on GitHub.
func (s *Server) SetBranch(fullName, branch, ref string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.mustRepo(fullName)
	r.branches[branch] = s.mustCommit(r, ref).sha
}
