package ghsim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The deployments API (docs.github.com/rest/deployments): deployments of a
// ref to an environment, and their statuses.
//
// As GitHub answers:
//   - POST deployments needs ref; environment defaults to "production",
//     task to "deploy", auto_merge to true; production_environment defaults
//     to true for "production". required_contexts omitted means every
//     context on the commit (commit statuses and check runs) must be
//     success, else 409 "Conflict: Commit status checks failed for REF.";
//     [] skips the verification. auto_merge is recorded, not carried out
//     (the simulator never merges the default branch into ref).
//   - POST statuses: state one of error, failure, inactive, in_progress,
//     queued, pending, success; log_url also sets target_url; auto_inactive
//     (default true) gives an inactive status to every earlier
//     non-transient deployment of the same environment whose latest
//     status is success.
//   - Writes need write access and the token's `deployments` permission
//     (see RestrictToken): 403 "Resource not accessible by integration".

// Deployment is one deployment the simulator holds, for inspection.
type Deployment struct {
	ID          int64
	Ref, SHA    string
	Task        string
	Environment string
	Description string
	Payload     json.RawMessage // as sent; nil when the request had none
	AutoMerge   bool
	// RequiredContexts is nil when the request omitted it (verify every
	// context), empty when it sent [].
	RequiredContexts []string
	Transient        bool
	Production       bool
	Created          time.Time
	Statuses         []DeploymentStatus // oldest first
}

// DeploymentStatus is one status of a Deployment.
type DeploymentStatus struct {
	ID             int64
	State          string
	Description    string
	Environment    string
	EnvironmentURL string
	LogURL         string
	Created        time.Time
}

type deployment struct {
	Deployment
	creator string
}

// RestrictToken narrows what token may do per GitHub Actions permission
// (the workflow's `permissions:` block, e.g. {"deployments": "read"}), on
// top of its repository levels: a permission named here at a lower level
// than an endpoint needs is refused with 403 "Resource not accessible by
// integration". Only the deployments endpoints consult it. It panics for an
// unknown token.
func (s *Server) RestrictToken(token string, perms map[string]string) {
	p := parsePerms(perms)
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.tokens[token]
	if id == nil {
		panic(fmt.Sprintf("ghsim: unknown token %q (AddToken it first)", token))
	}
	id.scopes = p
}

// Deployments returns the deployments of fullName, oldest first, with
// their statuses.
func (s *Server) Deployments(fullName string) []Deployment {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Deployment
	for _, d := range s.mustRepo(fullName).deployments {
		cp := d.Deployment
		cp.Payload = append(json.RawMessage(nil), d.Payload...)
		if d.Payload == nil {
			cp.Payload = nil
		}
		cp.RequiredContexts = append([]string(nil), d.RequiredContexts...)
		if d.RequiredContexts != nil && len(d.RequiredContexts) == 0 {
			cp.RequiredContexts = []string{}
		}
		cp.Statuses = append([]DeploymentStatus(nil), d.Statuses...)
		out = append(out, cp)
	}
	return out
}

// deploymentsRepo checks the caller's access for a deployments endpoint:
// the repository level, then the token's deployments permission.
func (c *call) deploymentsRepo(level int) (*repo, *response) {
	r, e := c.repo(level)
	if e != nil {
		return nil, e
	}
	if c.ident != nil && c.ident.scopes != nil {
		if l, ok := c.ident.scopes["deployments"]; ok && l < level {
			return nil, errForbidden()
		}
	}
	return r, nil
}

func (c *call) deploymentURL(r *repo, d *deployment) string {
	return fmt.Sprintf("%s/deployments/%d", c.repoURL(r), d.ID)
}

func (c *call) deploymentJSON(r *repo, d *deployment) map[string]any {
	var payload any = map[string]any{}
	if len(d.Payload) > 0 {
		payload = d.Payload
	}
	return map[string]any{
		"url": c.deploymentURL(r, d), "id": d.ID, "node_id": fmt.Sprintf("DE_%d", d.ID),
		"sha": d.SHA, "ref": d.Ref, "task": d.Task, "payload": payload,
		"original_environment": d.Environment, "environment": d.Environment, "description": nullable(d.Description),
		"creator":    map[string]any{"login": d.creator, "id": 1, "type": "User"},
		"created_at": ts(d.Created), "updated_at": ts(d.Created),
		"statuses_url":           c.deploymentURL(r, d) + "/statuses",
		"repository_url":         c.repoURL(r),
		"transient_environment":  d.Transient,
		"production_environment": d.Production,
	}
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (c *call) deploymentStatusJSON(r *repo, d *deployment, st DeploymentStatus) map[string]any {
	return map[string]any{
		"url": fmt.Sprintf("%s/statuses/%d", c.deploymentURL(r, d), st.ID), "id": st.ID,
		"node_id": fmt.Sprintf("DES_%d", st.ID), "state": st.State, "description": st.Description,
		"environment": st.Environment, "environment_url": st.EnvironmentURL, "log_url": st.LogURL,
		"target_url": st.LogURL, "created_at": ts(st.Created), "updated_at": ts(st.Created),
		"deployment_url": c.deploymentURL(r, d), "repository_url": c.repoURL(r),
		"creator": map[string]any{"login": "ghsim", "id": 1, "type": "User"},
	}
}

// failingContexts lists the contexts on sha that are not success: the
// latest commit status per context and the latest completed check run per
// name (one still running counts as not success).
func failingContexts(r *repo, sha string) []string {
	latest := map[string]string{}
	for _, st := range r.statuses {
		if st.sha == sha {
			latest[st.context] = st.state
		}
	}
	for _, cr := range r.checkRuns {
		if cr.headSHA == sha {
			state := cr.conclusion
			if cr.status != "completed" {
				state = "pending"
			}
			if state == "neutral" || state == "skipped" {
				state = "success"
			}
			latest[cr.name] = state
		}
	}
	var bad []string
	for ctx, state := range latest {
		if state != "success" {
			bad = append(bad, ctx)
		}
	}
	sort.Strings(bad)
	return bad
}

func (c *call) createDeployment() *response {
	var in struct {
		Ref              *string         `json:"ref"`
		Task             string          `json:"task"`
		AutoMerge        *bool           `json:"auto_merge"`
		RequiredContexts *[]string       `json:"required_contexts"`
		Payload          json.RawMessage `json:"payload"`
		Environment      string          `json:"environment"`
		Description      *string         `json:"description"`
		Transient        bool            `json:"transient_environment"`
		Production       *bool           `json:"production_environment"`
	}
	r, e := c.deploymentsRepo(levelWrite)
	if e != nil {
		return e
	}
	if e := c.decode(&in); e != nil {
		return e
	}
	if in.Ref == nil {
		return validationError("Invalid request.\n\n\"ref\" wasn't supplied.")
	}
	cm := r.resolve(*in.Ref)
	if cm == nil {
		return validationError("No ref found for: " + *in.Ref)
	}
	var payload json.RawMessage
	if len(in.Payload) > 0 && string(in.Payload) != "null" {
		switch in.Payload[0] {
		case '{':
			payload = append(json.RawMessage(nil), in.Payload...)
		case '"': // GitHub accepts a string holding JSON
			var s string
			if json.Unmarshal(in.Payload, &s) != nil || !json.Valid([]byte(s)) {
				return validationError("Invalid request.\n\nFor 'properties/payload', the value is not valid JSON.")
			}
			payload = json.RawMessage(s)
		default:
			return validationError("Invalid request.\n\nFor 'properties/payload', the value is not an object or a string.")
		}
	}
	if in.Description != nil && utf8.RuneCountInString(*in.Description) > 140 {
		return validationError("Invalid request.\n\nFor 'properties/description', the value is too long (maximum is 140 characters).")
	}
	var required []string
	if in.RequiredContexts != nil {
		required = append([]string{}, *in.RequiredContexts...)
		for _, ctx := range failingContexts(r, cm.sha) {
			if slices.Contains(required, ctx) {
				return apiError(http.StatusConflict, "Conflict: Commit status checks failed for "+*in.Ref+".")
			}
		}
	} else if len(failingContexts(r, cm.sha)) > 0 {
		return apiError(http.StatusConflict, "Conflict: Commit status checks failed for "+*in.Ref+".")
	}
	env := in.Environment
	if env == "" {
		env = "production"
	}
	task := in.Task
	if task == "" {
		task = "deploy"
	}
	d := &deployment{creator: "ghsim-user"}
	if c.ident != nil {
		d.creator = c.ident.login
	}
	c.s.nextID++
	d.ID = c.s.nextID
	d.Ref, d.SHA, d.Task, d.Environment, d.Payload = *in.Ref, cm.sha, task, env, payload
	d.AutoMerge = in.AutoMerge == nil || *in.AutoMerge
	d.RequiredContexts = required
	if in.Description != nil {
		d.Description = *in.Description
	}
	d.Transient = in.Transient
	d.Production = env == "production"
	if in.Production != nil {
		d.Production = *in.Production
	}
	d.Created = c.s.now().UTC().Truncate(time.Second)
	r.deployments = append(r.deployments, d)
	return jsonResponse(http.StatusCreated, c.deploymentJSON(r, d))
}

// findDeployment is the {id} of the path in r.
func (c *call) findDeployment(r *repo) (*deployment, *response) {
	id, err := strconv.ParseInt(c.params["id"], 10, 64)
	if err != nil {
		return nil, errNotFound()
	}
	for _, d := range r.deployments {
		if d.ID == id {
			return d, nil
		}
	}
	return nil, errNotFound()
}

func (c *call) listDeployments() *response {
	r, e := c.deploymentsRepo(levelRead)
	if e != nil {
		return e
	}
	q := func(k string) string { return c.query.Get(k) }
	var list []*deployment
	for i := len(r.deployments) - 1; i >= 0; i-- { // newest first
		d := r.deployments[i]
		if (q("sha") != "" && d.SHA != q("sha")) || (q("ref") != "" && d.Ref != q("ref")) ||
			(q("task") != "" && d.Task != q("task")) || (q("environment") != "" && d.Environment != q("environment")) {
			continue
		}
		list = append(list, d)
	}
	return withJSON(page(c, list, func(d *deployment) map[string]any { return c.deploymentJSON(r, d) }))
}

// deploymentAt is the repository and the deployment the path names, with
// the access level asked for, or the answer refusing them.
func (c *call) deploymentAt(level int) (*repo, *deployment, *response) {
	r, e := c.deploymentsRepo(level)
	if e != nil {
		return nil, nil, e
	}
	d, e := c.findDeployment(r)
	if e != nil {
		return nil, nil, e
	}
	return r, d, nil
}

func (c *call) getDeployment() *response {
	r, d, e := c.deploymentAt(levelRead)
	if e != nil {
		return e
	}
	return jsonResponse(http.StatusOK, c.deploymentJSON(r, d))
}

func (c *call) listDeploymentStatuses() *response {
	r, d, e := c.deploymentAt(levelRead)
	if e != nil {
		return e
	}
	list := make([]DeploymentStatus, 0, len(d.Statuses))
	for i := len(d.Statuses) - 1; i >= 0; i-- { // newest first
		list = append(list, d.Statuses[i])
	}
	return withJSON(page(c, list, func(st DeploymentStatus) map[string]any { return c.deploymentStatusJSON(r, d, st) }))
}

var deploymentStates = []string{"error", "failure", "inactive", "in_progress", "queued", "pending", "success"}

func (c *call) createDeploymentStatus() *response {
	var in struct {
		State          string `json:"state"`
		TargetURL      string `json:"target_url"`
		LogURL         string `json:"log_url"`
		Description    string `json:"description"`
		Environment    string `json:"environment"`
		EnvironmentURL string `json:"environment_url"`
		AutoInactive   *bool  `json:"auto_inactive"`
	}
	r, d, e := c.deploymentAt(levelWrite)
	if e != nil {
		return e
	}
	if e := c.decode(&in); e != nil {
		return e
	}
	known := false
	for _, s := range deploymentStates {
		known = known || s == in.State
	}
	if !known {
		return validationError(fmt.Sprintf("Invalid request.\n\nFor 'properties/state', %q is not one of %s.", in.State, strings.Join(deploymentStates, ", ")))
	}
	if utf8.RuneCountInString(in.Description) > 140 {
		return validationError("Invalid request.\n\nFor 'properties/description', the value is too long (maximum is 140 characters).")
	}
	if in.Environment != "" {
		d.Environment = in.Environment
	}
	logURL := in.LogURL
	if logURL == "" {
		logURL = in.TargetURL
	}
	st := c.s.addDeploymentStatus(d, in.State, in.Description, in.EnvironmentURL, logURL)
	if in.State == "success" && (in.AutoInactive == nil || *in.AutoInactive) {
		for _, other := range r.deployments {
			if other == d || other.ID > d.ID || other.Transient || other.Environment != d.Environment {
				continue
			}
			if n := len(other.Statuses); n > 0 && other.Statuses[n-1].State == "success" {
				last := other.Statuses[n-1]
				c.s.addDeploymentStatus(other, "inactive", "", last.EnvironmentURL, last.LogURL)
			}
		}
	}
	return jsonResponse(http.StatusCreated, c.deploymentStatusJSON(r, d, st))
}

// addDeploymentStatus appends a status to d; callers hold s.mu.
func (s *Server) addDeploymentStatus(d *deployment, state, description, envURL, logURL string) DeploymentStatus {
	s.nextID++
	st := DeploymentStatus{ID: s.nextID, State: state, Description: description, Environment: d.Environment,
		EnvironmentURL: envURL, LogURL: logURL, Created: s.now().UTC().Truncate(time.Second)}
	d.Statuses = append(d.Statuses, st)
	return st
}
