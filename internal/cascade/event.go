package cascade

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ErrUnsupportedEvent is returned (wrapped) by ParseEvent for an event that
// cannot start a cascade by itself; the app may fall back to the branch input.
var ErrUnsupportedEvent = errors.New("unsupported event")

// EventError is a malformed event payload: the event, the JSON path of the
// field at fault ("client_payload.ladder.chain[2].repo"; "" for the whole
// document) and what is wrong with it.
type EventError struct {
	Event string
	Path  string
	Msg   string
}

func (e *EventError) Error() string {
	s := e.Event + " event"
	if e.Path != "" {
		s += ": " + e.Path
	}
	return s + ": " + e.Msg
}

const (
	headsPrefix = "refs/heads/"
	tagsPrefix  = "refs/tags/"
)

// ParseEvent reads the trigger of a run from the event name
// (GITHUB_EVENT_NAME), the event payload (the file at GITHUB_EVENT_PATH, as
// GitHub delivers it), GITHUB_REF and GITHUB_REPOSITORY.
//
//   - push: the branch of the payload's ref (refs/heads/X), or of ref when the
//     payload has none. A tag push or a branch deletion triggers nothing:
//     the Trigger's Skip says why.
//   - repository_dispatch whose client_payload carries ladder's envelope under
//     PayloadKey: a cascaded run. Every field of the envelope is checked, and
//     an error names its JSON path. The branch to build is the envelope's
//     branch, else the payload's branch (the default branch), else ref's.
//     A repository_dispatch without the envelope is not ladder's (Skip says so),
//     unless its event type is DefaultEventType, which is an error.
//   - workflow_dispatch: the branch of the payload's ref, or of ref.
//
// A channel publish does not come from an event: use ChannelPublished.
// Malformed JSON or a field of the wrong type is an error naming the field;
// ParseEvent never panics.
func ParseEvent(eventName string, payload []byte, ref string, repo string) (Trigger, error) {
	switch eventName {
	case EventPush, EventRepositoryDispatch, EventWorkflowDispatch:
	case "":
		return Trigger{}, fmt.Errorf("%w: no event name (GITHUB_EVENT_NAME is empty)", ErrUnsupportedEvent)
	default:
		return Trigger{}, fmt.Errorf("%w: %s cannot start a cascade (push, repository_dispatch and workflow_dispatch can; otherwise name the branch)", ErrUnsupportedEvent, quote(eventName))
	}
	root, err := decode(eventName, payload)
	if err != nil {
		return Trigger{}, err
	}
	t := Trigger{Event: eventName}
	if t.Repo, err = eventRepo(root, repo); err != nil {
		return Trigger{}, err
	}
	switch eventName {
	case EventPush:
		err = parsePush(root, ref, &t)
	case EventWorkflowDispatch:
		err = parseWorkflowDispatch(root, ref, &t)
	case EventRepositoryDispatch:
		err = parseRepositoryDispatch(root, ref, &t)
	}
	if err != nil {
		return Trigger{}, err
	}
	return t, nil
}

func parsePush(root node, ref string, t *Trigger) error {
	at, r, err := eventRef(root, ref)
	if err != nil {
		return err
	}
	deleted, err := root.optBool("deleted")
	if err != nil {
		return err
	}
	after, err := root.optString("after")
	if err != nil {
		return err
	}
	if after != "" && strings.Trim(after, "0") != "" {
		if why := shaProblem(after); why != "" {
			return root.child("after").errf("%s: %s", quote(after), why)
		}
		t.SHA = after
	}
	branch, skip, err := refBranch(at, r)
	if err != nil {
		return err
	}
	switch {
	case skip != "" && deleted:
		t.Skip = "push deleting " + skip + " triggers no cascade"
	case skip != "":
		t.Skip = "push of " + skip + " triggers no cascade (only a branch push does)"
	case deleted:
		t.Branch = branch
		t.Skip = fmt.Sprintf("branch %s was deleted: nothing to rebuild", quote(branch))
	default:
		t.Branch = branch
	}
	return nil
}

// eventRef is the ref a push or workflow_dispatch event is about: the
// payload's, or else ref (GITHUB_REF), with the node that names it.
func eventRef(root node, ref string) (node, string, error) {
	r, err := root.optString("ref")
	switch {
	case err != nil:
		return node{}, "", err
	case r != "":
		return root.at("ref"), r, nil
	case ref == "":
		return node{}, "", root.child("ref").errf("missing, and GITHUB_REF is empty")
	}
	return root.at("GITHUB_REF"), ref, nil
}

func parseWorkflowDispatch(root node, ref string, t *Trigger) error {
	at, r, err := eventRef(root, ref)
	if err != nil {
		return err
	}
	branch, skip, err := refBranch(at, r)
	if err != nil {
		return err
	}
	if skip != "" {
		t.Skip = "workflow_dispatch on " + skip + " triggers no cascade (only a run on a branch does)"
		return nil
	}
	t.Branch = branch
	return nil
}

func parseRepositoryDispatch(root node, ref string, t *Trigger) error {
	action, err := root.optString("action")
	if err != nil {
		return err
	}
	if why := eventTypeProblem(action); why != "" {
		return root.child("action").errf("%s", why)
	}
	t.EventType = action
	cp, ok := root.get("client_payload")
	var env node
	hasEnv := false
	if ok && cp.v != nil {
		m, err := cp.object()
		if err != nil {
			return err
		}
		if v, ok := m[PayloadKey]; ok && v != nil {
			env, hasEnv = cp.child(PayloadKey), true
			env.v = v
		}
	}
	if !hasEnv {
		if action == DefaultEventType {
			return root.child("client_payload").child(PayloadKey).errf("missing: event type %q is ladder's, but the payload carries no cascade envelope", action)
		}
		t.Skip = fmt.Sprintf("repository_dispatch %s carries no client_payload.%s: not a cascade from ladder", quote(action), PayloadKey)
		return nil
	}
	e, err := parseEnvelope(env)
	if err != nil {
		return err
	}
	t.Cascade = e
	switch {
	case e.Branch != "":
		t.Branch = e.Branch
	default:
		// A dispatch to another repository names no branch: build the branch
		// the workflow runs on, the repository's default branch.
		b, err := root.optString("branch")
		if err != nil {
			return err
		}
		if b != "" {
			if why := branchProblem(b); why != "" {
				return root.child("branch").errf("%s: %s", quote(b), why)
			}
			t.Branch = b
			break
		}
		if ref == "" {
			return env.child("branch").errf("empty, and neither the payload's branch nor GITHUB_REF names one")
		}
		br, skip, err := refBranch(root.at("GITHUB_REF"), ref)
		if err != nil {
			return err
		}
		if skip != "" {
			return env.child("branch").errf("empty, and GITHUB_REF is %s, not a branch", skip)
		}
		t.Branch = br
	}
	return nil
}

// parseEnvelope checks every field of ladder's envelope. Unknown keys are
// ignored, so that a newer sender does not break an older receiver.
func parseEnvelope(n node) (*Envelope, error) {
	if _, err := n.object(); err != nil {
		return nil, err
	}
	e := &Envelope{}
	var err error
	if e.CorrelationID, err = n.checkedString("correlation_id", true, idProblem); err != nil {
		return nil, err
	}

	chain, ok := n.get("chain")
	if !ok {
		return nil, n.child("chain").errf("missing")
	}
	items, err := chain.array()
	if err != nil {
		return nil, err
	}
	switch {
	case len(items) == 0:
		return nil, chain.errf("empty: a cascaded run has at least its sender in the chain")
	case len(items) > MaxChain:
		return nil, chain.errf("%d entries, at most %d", len(items), MaxChain)
	}
	e.Chain = make([]Hop, 0, len(items))
	for i, it := range items {
		var h Hop
		if err := chain.index(i, it).checkedObject(h.fields()); err != nil {
			return nil, err
		}
		e.Chain = append(e.Chain, h)
	}

	if e.Branch, err = n.checkedString("branch", false, branchProblem); err != nil {
		return nil, err
	}

	src, ok := n.get("source")
	if !ok {
		return nil, n.child("source").errf("missing")
	}
	if err := src.checkedObject(e.Source.fields()); err != nil {
		return nil, err
	}

	if p, ok := n.get("payload"); ok && p.v != nil {
		if _, err := p.object(); err != nil {
			return nil, err
		}
		raw, err := json.Marshal(p.v)
		if err != nil {
			return nil, p.errf("%v", err)
		}
		e.Payload = raw
	}
	return e, nil
}

// fields are the strings of a chain entry, as checkedObject reads them.
func (h *Hop) fields() []checkedField {
	return []checkedField{
		{"repo", true, repoProblem, &h.Repo},
		{"branch", false, branchProblem, &h.Branch},
		{"sha", false, shaProblem, &h.SHA},
	}
}

// fields are the strings of the source, as checkedObject reads them.
func (s *Source) fields() []checkedField {
	return []checkedField{
		{"repo", true, repoProblem, &s.Repo},
		{"ref", false, refProblem, &s.Ref},
		{"sha", false, shaProblem, &s.SHA},
		{"channel", false, channelProblem, &s.Channel},
		{"label", false, labelProblem, &s.Label},
	}
}

// checkedObject reads an object of checked strings (a Hop, a Source): n
// must be an object, and each field is read with checkedString, in order,
// into its place, stopping at the first error.
func (n node) checkedObject(fields []checkedField) error {
	if _, err := n.object(); err != nil {
		return err
	}
	for _, f := range fields {
		s, err := n.checkedString(f.key, f.required, f.problem)
		if err != nil {
			return err
		}
		*f.dst = s
	}
	return nil
}

// refProblem says why s is not a full branch or tag ref, or "" if it is one.
func refProblem(s string) string {
	var name string
	switch {
	case strings.HasPrefix(s, headsPrefix):
		name = s[len(headsPrefix):]
	case strings.HasPrefix(s, tagsPrefix):
		name = s[len(tagsPrefix):]
	default:
		return `expected "refs/heads/NAME" or "refs/tags/NAME"`
	}
	return branchProblem(name)
}

// refBranch reads a full ref: for refs/heads/X it returns X (checked), for
// anything else a description of what it is, for Skip.
func refBranch(n node, ref string) (branch, skip string, err error) {
	switch {
	case strings.HasPrefix(ref, headsPrefix):
		b := ref[len(headsPrefix):]
		if why := branchProblem(b); why != "" {
			return "", "", n.errf("%s: %s", quote(ref), why)
		}
		return b, "", nil
	case strings.HasPrefix(ref, tagsPrefix):
		return "", "tag " + quote(ref[len(tagsPrefix):]), nil
	default:
		return "", quote(ref) + " (not a branch)", nil
	}
}

// eventRepo is GITHUB_REPOSITORY when set, else the payload's
// repository.full_name, else "".
func eventRepo(root node, repo string) (string, error) {
	if repo != "" {
		if why := repoProblem(repo); why != "" {
			return "", root.at("GITHUB_REPOSITORY").errf("%s: %s", quote(repo), why)
		}
		return repo, nil
	}
	r, ok := root.get("repository")
	if !ok || r.v == nil {
		return "", nil
	}
	if _, err := r.object(); err != nil {
		return "", err
	}
	name, err := r.optString("full_name")
	if err != nil || name == "" {
		return "", err
	}
	if why := repoProblem(name); why != "" {
		return "", r.child("full_name").errf("%s: %s", quote(name), why)
	}
	return name, nil
}

// node is a decoded JSON value and its path, for errors that name the field.
type node struct {
	event string
	path  string
	v     any
}

func decode(event string, payload []byte) (node, error) {
	root := node{event: event}
	if len(bytes.TrimSpace(payload)) == 0 {
		root.v = map[string]any{} // no event file: GITHUB_REF and GITHUB_REPOSITORY only
		return root, nil
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	if err := dec.Decode(&root.v); err != nil {
		var se *json.SyntaxError
		switch {
		case errors.As(err, &se):
			return root, root.errf("invalid JSON at byte %d: %v", se.Offset, err)
		case errors.Is(err, io.ErrUnexpectedEOF):
			return root, root.errf("invalid JSON at byte %d: unexpected end of input", len(payload))
		}
		return root, root.errf("invalid JSON: %v", err)
	}
	end := dec.InputOffset()
	if _, err := dec.Token(); err != io.EOF {
		rest := payload[end:]
		end += int64(len(rest) - len(bytes.TrimLeft(rest, " \t\r\n")))
		return root, root.errf("invalid JSON at byte %d: data after the end of the document", end)
	}
	if _, err := root.object(); err != nil {
		return root, err
	}
	return root, nil
}

func (n node) errf(format string, args ...any) error {
	return &EventError{Event: n.event, Path: n.path, Msg: fmt.Sprintf(format, args...)}
}

// at is a pseudo-node for a value that did not come from the payload.
func (n node) at(name string) node { return node{event: n.event, path: name} }

func (n node) child(key string) node {
	p := key
	if n.path != "" {
		p = n.path + "." + key
	}
	return node{event: n.event, path: p}
}

func (n node) index(i int, v any) node {
	return node{event: n.event, path: fmt.Sprintf("%s[%d]", n.path, i), v: v}
}

func (n node) object() (map[string]any, error) {
	m, ok := n.v.(map[string]any)
	if !ok {
		return nil, n.errf("must be an object, got %s", jsonType(n.v))
	}
	return m, nil
}

func (n node) array() ([]any, error) {
	a, ok := n.v.([]any)
	if !ok {
		return nil, n.errf("must be an array, got %s", jsonType(n.v))
	}
	return a, nil
}

func (n node) str() (string, error) {
	s, ok := n.v.(string)
	if !ok {
		return "", n.errf("must be a string, got %s", jsonType(n.v))
	}
	return s, nil
}

// get returns the child at key of an object node (false when n is not an
// object or has no such key).
func (n node) get(key string) (node, bool) {
	m, ok := n.v.(map[string]any)
	if !ok {
		return node{}, false
	}
	v, ok := m[key]
	if !ok {
		return node{}, false
	}
	c := n.child(key)
	c.v = v
	return c, true
}

// optString reads an optional string: missing or null is "".
func (n node) optString(key string) (string, error) {
	c, ok := n.get(key)
	if !ok || c.v == nil {
		return "", nil
	}
	return c.str()
}

// checkedString reads the string at key (missing is an error when required,
// else missing or null is "") and checks a non-empty one with problem, which
// says why it is not valid ("" when it is).
func (n node) checkedString(key string, required bool, problem func(string) string) (string, error) {
	var s string
	var err error
	if required {
		c, ok := n.get(key)
		if !ok {
			return "", n.child(key).errf("missing")
		}
		s, err = c.str()
	} else {
		s, err = n.optString(key)
	}
	if err != nil || s == "" && !required {
		return s, err
	}
	if why := problem(s); why != "" {
		return "", n.child(key).errf("%s: %s", quote(s), why)
	}
	return s, nil
}

// checkedField is one string of an object read by checkedObject: its key,
// whether it must be present, its check and where it goes.
type checkedField struct {
	key      string
	required bool
	problem  func(string) string
	dst      *string
}

// optBool reads an optional boolean: missing or null is false.
func (n node) optBool(key string) (bool, error) {
	c, ok := n.get(key)
	if !ok || c.v == nil {
		return false, nil
	}
	b, ok := c.v.(bool)
	if !ok {
		return false, c.errf("must be a boolean, got %s", jsonType(c.v))
	}
	return b, nil
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case json.Number, float64:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}
