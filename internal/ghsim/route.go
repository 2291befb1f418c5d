package ghsim

import (
	"net/http"
	"net/url"
	"strings"
)

type authKind int

const (
	authToken authKind = iota // a token (or an open server); counted
	authNone                  // token optional, never counted (GET /rate_limit)
	authJWT                   // a GitHub App JWT, checked by the handler
)

type route struct {
	method string
	segs   []string
	name   string
	auth   authKind
	h      func(*call) *response
}

// call is one request being answered.
type call struct {
	s      *Server
	r      *http.Request
	params map[string]string
	body   []byte
	query  url.Values
	ident  *identity // nil on an open server
	api    string    // API base URL, prefix included
	host   string    // http://host
	stale  bool      // a Fault.Stale matched: answer file reads from before their last change
}

var routes []*route

func init() {
	add := func(method, pattern string, auth authKind, h func(*call) *response) {
		routes = append(routes, &route{method: method, segs: strings.Split(strings.Trim(pattern, "/"), "/"),
			name: method + " " + pattern, auth: auth, h: h})
	}
	// More specific patterns first: the first match wins.
	add("GET", "/rate_limit", authNone, (*call).rateLimit)
	add("POST", "/app/installations/{id}/access_tokens", authJWT, (*call).createInstallationToken)
	add("GET", "/repos/{owner}/{repo}/installation", authJWT, (*call).getRepoInstallation)
	add("GET", "/repos/{owner}/{repo}", authToken, (*call).getRepo)
	add("GET", "/repos/{owner}/{repo}/branches", authToken, (*call).listBranches)
	add("GET", "/repos/{owner}/{repo}/branches/{branch...}", authToken, (*call).getBranch)
	add("GET", "/repos/{owner}/{repo}/commits/{ref...}/check-runs", authToken, (*call).listCheckRuns)
	add("GET", "/repos/{owner}/{repo}/commits/{ref...}/status", authToken, (*call).combinedStatus)
	add("GET", "/repos/{owner}/{repo}/commits/{ref...}/statuses", authToken, (*call).listStatuses)
	add("GET", "/repos/{owner}/{repo}/commits/{ref...}", authToken, (*call).getCommit)
	add("POST", "/repos/{owner}/{repo}/statuses/{sha}", authToken, (*call).createStatus)
	add("POST", "/repos/{owner}/{repo}/check-runs", authToken, (*call).createCheckRun)
	add("GET", "/repos/{owner}/{repo}/tags", authToken, (*call).listTags)
	add("GET", "/repos/{owner}/{repo}/compare/{basehead...}", authToken, (*call).compare)
	add("GET", "/repos/{owner}/{repo}/git/ref/{ref...}", authToken, (*call).getRef)
	add("GET", "/repos/{owner}/{repo}/git/matching-refs", authToken, (*call).matchingRefs)
	add("GET", "/repos/{owner}/{repo}/git/matching-refs/{ref...}", authToken, (*call).matchingRefs)
	add("POST", "/repos/{owner}/{repo}/git/refs", authToken, (*call).createRef)
	add("PATCH", "/repos/{owner}/{repo}/git/refs/{ref...}", authToken, (*call).updateRef)
	add("DELETE", "/repos/{owner}/{repo}/git/refs/{ref...}", authToken, (*call).deleteRef)
	add("GET", "/repos/{owner}/{repo}/git/tags/{sha}", authToken, (*call).getTagObject)
	add("POST", "/repos/{owner}/{repo}/git/trees", authToken, (*call).createTree)
	add("GET", "/repos/{owner}/{repo}/git/trees/{sha...}", authToken, (*call).getTree)
	add("POST", "/repos/{owner}/{repo}/git/commits", authToken, (*call).createCommit)
	add("GET", "/repos/{owner}/{repo}/git/commits/{sha}", authToken, (*call).getGitCommit)
	add("GET", "/repos/{owner}/{repo}/git/blobs/{sha}", authToken, (*call).getBlob)
	add("GET", "/repos/{owner}/{repo}/tarball/{ref...}", authToken, (*call).getTarball)
	add("GET", "/repos/{owner}/{repo}/contents", authToken, (*call).getContents)
	add("GET", "/repos/{owner}/{repo}/contents/{path...}", authToken, (*call).getContents)
	add("PUT", "/repos/{owner}/{repo}/contents/{path...}", authToken, (*call).putContents)
	add("DELETE", "/repos/{owner}/{repo}/contents/{path...}", authToken, (*call).deleteContents)
	add("POST", "/repos/{owner}/{repo}/dispatches", authToken, (*call).dispatch)
	add("GET", "/repos/{owner}/{repo}/deployments", authToken, (*call).listDeployments)
	add("POST", "/repos/{owner}/{repo}/deployments", authToken, (*call).createDeployment)
	add("GET", "/repos/{owner}/{repo}/deployments/{id}", authToken, (*call).getDeployment)
	add("GET", "/repos/{owner}/{repo}/deployments/{id}/statuses", authToken, (*call).listDeploymentStatuses)
	add("POST", "/repos/{owner}/{repo}/deployments/{id}/statuses", authToken, (*call).createDeploymentStatus)
}

// match finds the route for method and escaped path, and its parameters
// (unescaped; a {name...} parameter spans segments, joined with "/").
func match(method, escapedPath string) (*route, map[string]string) {
	path := strings.Split(strings.Trim(escapedPath, "/"), "/")
	head := method
	if head == http.MethodHead {
		head = http.MethodGet
	}
	for _, rt := range routes {
		if rt.method != head {
			continue
		}
		if p, ok := rt.match(path); ok {
			return rt, p
		}
	}
	return nil, nil
}

func (rt *route) match(path []string) (map[string]string, bool) {
	params := map[string]string{}
	wild := -1
	for i, s := range rt.segs {
		if strings.HasSuffix(s, "...}") {
			wild = i
		}
	}
	one := func(pat, seg string) bool {
		if strings.HasPrefix(pat, "{") {
			v, err := url.PathUnescape(seg)
			if err != nil || v == "" {
				return false
			}
			params[strings.Trim(pat, "{}")] = v
			return true
		}
		return pat == seg
	}
	if wild < 0 {
		if len(path) != len(rt.segs) {
			return nil, false
		}
		for i, pat := range rt.segs {
			if !one(pat, path[i]) {
				return nil, false
			}
		}
		return params, true
	}
	suffix := len(rt.segs) - wild - 1
	if len(path) < len(rt.segs) {
		return nil, false
	}
	for i := 0; i < wild; i++ {
		if !one(rt.segs[i], path[i]) {
			return nil, false
		}
	}
	for j := 0; j < suffix; j++ {
		if !one(rt.segs[len(rt.segs)-1-j], path[len(path)-1-j]) {
			return nil, false
		}
	}
	mid := path[wild : len(path)-suffix]
	parts := make([]string, len(mid))
	for i, seg := range mid {
		v, err := url.PathUnescape(seg)
		if err != nil || v == "" {
			return nil, false
		}
		parts[i] = v
	}
	params[strings.TrimSuffix(strings.TrimPrefix(rt.segs[wild], "{"), "...}")] = strings.Join(parts, "/")
	return params, true
}
