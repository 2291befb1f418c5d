package cascade

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// DispatchPlan is what one run of cascade-branches sends: zero or more
// repository_dispatch events, each carrying the chain so far.
type DispatchPlan struct {
	// CorrelationID is kept across the whole chain.
	CorrelationID string
	// Trigger is what started this run.
	Trigger Trigger
	// Chain is every run of the cascade so far, the origin first, this run last.
	// Empty when the trigger was skipped.
	Chain []Hop
	// Branch is, in a cascaded run, the branch this run builds; "" otherwise.
	Branch string
	// Source is the change that started the cascade.
	Source Source
	// Dispatches are sorted by repository, branch and event type.
	Dispatches []Dispatch
	// Reason says why nothing is dispatched, when nothing is.
	Reason string
	// MaxDepth is the max-depth the plan was checked against.
	MaxDepth int
}

// ChainError is a target refused because of the chain: already in it (a
// cycle) or beyond max-depth. Chain ends with the target refused.
type ChainError struct {
	Target   Target
	Chain    []string // owner/name@branch of each run, ending with the target
	MaxDepth int      // set for a depth error, 0 for a cycle
}

func (e *ChainError) Error() string {
	chain := strings.Join(e.Chain, " -> ")
	if e.MaxDepth > 0 {
		return fmt.Sprintf("cascade refused: dispatching %s would be hop %d, deeper than max-depth %d: %s",
			e.Target, len(e.Chain)-1, e.MaxDepth, chain)
	}
	what := e.Target.String()
	if e.Target.Branch == "" {
		what = e.Target.Repo + " (its default branch)"
	}
	return fmt.Sprintf("cascade refused: %s is already in the chain: %s", what, chain)
}

// Plan decides the next hops of a cascade, one hop per run.
//
// A branch that changed (a push, a workflow_dispatch, or the branch a
// cascaded run built) dispatches the branches rules.Branches lists for it, in
// the same repository, and every rules.Repos entry whose WhenBranch equals it.
// A channel publish dispatches every rules.Repos entry whose WhenChannel
// equals it, a label move every entry whose WhenLabel equals it; their
// envelopes carry trig.Bundle, the bundle now held. self is this run; its Repo defaults to the trigger's, its SHA to
// the pushed commit.
//
// The chain is the trigger's (a cascaded run) followed by this run. A target
// already in the chain, or a dispatch that would be hop number maxDepth+1,
// is refused with a *ChainError printing the chain. maxDepth 0 means
// DefaultMaxDepth. correlationID is used at the first hop only; a cascaded run
// keeps the one it received. userPayload, a JSON object, goes under
// ladder.payload; when empty, a cascaded run passes on the one it received.
// Every dispatch is checked against GitHub's limits (see Dispatch.Validate).
func Plan(rules Rules, trig Trigger, self Repo, maxDepth int, correlationID string, userPayload json.RawMessage) (*DispatchPlan, error) {
	switch {
	case maxDepth == 0:
		maxDepth = DefaultMaxDepth
	case maxDepth < 0 || maxDepth > MaxChain:
		return nil, fmt.Errorf("max-depth %d: must be 1 to %d", maxDepth, MaxChain)
	}
	rules, err := rules.normalize()
	if err != nil {
		return nil, err
	}
	p := &DispatchPlan{Trigger: trig, MaxDepth: maxDepth, Chain: []Hop{}, Dispatches: []Dispatch{}}
	if trig.Skip != "" {
		p.Reason = trig.Skip
		p.CorrelationID = correlationID
		if trig.Cascade != nil {
			p.CorrelationID = trig.Cascade.CorrelationID
		}
		return p, nil
	}

	// This run.
	hop := Hop{Repo: self.Repo, Branch: trig.Branch, SHA: self.SHA}
	if hop.Repo == "" {
		hop.Repo = trig.Repo
	}
	if hop.Repo == "" {
		return nil, errors.New("the repository of this run is unknown (GITHUB_REPOSITORY is empty)")
	}
	if why := repoProblem(hop.Repo); why != "" {
		return nil, fmt.Errorf("repository %s: %s", quote(hop.Repo), why)
	}
	switch {
	case trig.Channel != "" && trig.Label != "":
		return nil, fmt.Errorf("the trigger names both channel %s and label %s: one run publishes a channel or moves a label", quote(trig.Channel), quote(trig.Label))
	case trig.Channel != "":
		if why := channelProblem(trig.Channel); why != "" {
			return nil, fmt.Errorf("channel %s: %s", quote(trig.Channel), why)
		}
	case trig.Label != "":
		if why := labelProblem(trig.Label); why != "" {
			return nil, fmt.Errorf("label %s: %s", quote(trig.Label), why)
		}
	case hop.Branch == "":
		return nil, errors.New("the trigger names neither a branch nor a channel nor a label")
	}
	if (trig.Channel != "" || trig.Label != "") && hop.Branch == "" {
		hop.Branch = self.Branch
	}
	if trig.Bundle != nil && trig.Channel == "" && trig.Label == "" {
		return nil, errors.New("the trigger carries a bundle but names no channel or label it was published to")
	}
	if hop.Branch != "" {
		if err := CheckBranch(hop.Branch); err != nil {
			return nil, err
		}
	}
	if hop.SHA == "" {
		hop.SHA = trig.SHA
	}
	if hop.SHA != "" {
		if why := shaProblem(hop.SHA); why != "" {
			return nil, fmt.Errorf("commit %s: %s", quote(hop.SHA), why)
		}
	}

	// The chain so far.
	var inherited json.RawMessage
	if in := trig.Cascade; in != nil {
		if err := in.validate(); err != nil {
			return nil, err
		}
		p.CorrelationID = in.CorrelationID
		p.Source = in.Source
		p.Branch = trig.Branch
		inherited = in.Payload
		for _, h := range in.Chain {
			if h.matches(hop.Repo, hop.Branch) {
				return nil, &ChainError{Target: Target{Repo: hop.Repo, Branch: hop.Branch}, Chain: names(append(append([]Hop{}, in.Chain...), hop))}
			}
		}
		p.Chain = append(p.Chain, in.Chain...)
	} else {
		if why := idProblem(correlationID); why != "" {
			return nil, fmt.Errorf("correlation id %s: %s", quote(correlationID), why)
		}
		p.CorrelationID = correlationID
		p.Source = Source{Repo: hop.Repo, SHA: hop.SHA, Channel: trig.Channel, Label: trig.Label}
		if hop.Branch != "" {
			p.Source.Ref = headsPrefix + hop.Branch
		}
	}
	p.Chain = append(p.Chain, hop)

	payload := inherited
	if len(bytes.TrimSpace(userPayload)) > 0 {
		if payload, err = objectPayload(userPayload); err != nil {
			return nil, err
		}
	}

	// The next hops.
	type key struct{ repo, branch, eventType string }
	seen := map[key]bool{}
	var targets []Dispatch
	add := func(repo, branch, eventType string) {
		k := key{strings.ToLower(repo), branch, eventType}
		if !seen[k] {
			seen[k] = true
			targets = append(targets, Dispatch{Repo: repo, Branch: branch, EventType: eventType})
		}
	}
	switch {
	case trig.Channel != "":
		for _, r := range rules.Repos {
			if r.WhenChannel == trig.Channel {
				add(r.Repo, "", r.EventType)
			}
		}
	case trig.Label != "":
		for _, r := range rules.Repos {
			if r.WhenLabel == trig.Label {
				add(r.Repo, "", r.EventType)
			}
		}
	default:
		for _, b := range rules.Branches[hop.Branch] {
			add(hop.Repo, b, rules.EventType)
		}
		for _, r := range rules.Repos {
			if r.WhenBranch == hop.Branch {
				add(r.Repo, "", r.EventType)
			}
		}
	}
	sort.Slice(targets, func(i, j int) bool {
		a, b := targets[i], targets[j]
		if la, lb := strings.ToLower(a.Repo), strings.ToLower(b.Repo); la != lb {
			return la < lb
		}
		if a.Branch != b.Branch {
			return a.Branch < b.Branch
		}
		return a.EventType < b.EventType
	})
	if len(targets) == 0 {
		switch {
		case trig.Channel != "":
			p.Reason = fmt.Sprintf("no cascade rule for channel %s", quote(trig.Channel))
		case trig.Label != "":
			p.Reason = fmt.Sprintf("no cascade rule for label %s", quote(trig.Label))
		default:
			p.Reason = fmt.Sprintf("no cascade rule for branch %s", quote(hop.Branch))
		}
		return p, nil
	}

	for _, d := range targets {
		t := Target{Repo: d.Repo, Branch: d.Branch}
		for _, h := range p.Chain {
			if h.matches(t.Repo, t.Branch) {
				return nil, &ChainError{Target: t, Chain: append(names(p.Chain), t.String())}
			}
		}
		if len(p.Chain) > maxDepth {
			return nil, &ChainError{Target: t, Chain: append(names(p.Chain), t.String()), MaxDepth: maxDepth}
		}
	}
	for _, d := range targets {
		env := Envelope{
			CorrelationID: p.CorrelationID,
			Chain:         p.Chain,
			Branch:        d.Branch,
			Source:        p.Source,
			Payload:       payload,
			Bundle:        trig.Bundle,
			EOL:           trig.EOL,
		}
		d.ClientPayload = map[string]any{PayloadKey: env}
		if d.Body, err = d.validate(); err != nil {
			return nil, fmt.Errorf("dispatch to %s: %w", Target{Repo: d.Repo, Branch: d.Branch}, err)
		}
		p.Dispatches = append(p.Dispatches, d)
	}
	return p, nil
}

// matches says whether a dispatch to repo@branch would rebuild the run h.
// Repositories compare without case, as GitHub's do. An empty branch (a
// repository's default branch, or a run not on a branch) matches any branch
// of the repository: without knowing the default branch, ladder refuses
// rather than risk a loop.
func (h Hop) matches(repo, branch string) bool {
	return strings.EqualFold(h.Repo, repo) && (h.Branch == "" || branch == "" || h.Branch == branch)
}

func names(chain []Hop) []string {
	out := make([]string, len(chain))
	for i, h := range chain {
		out[i] = h.String()
	}
	return out
}

// normalize checks the rules and fills the default event type.
func (r Rules) normalize() (Rules, error) {
	out := Rules{EventType: r.EventType, Branches: r.Branches}
	if out.EventType == "" {
		out.EventType = DefaultEventType
	}
	if why := eventTypeProblem(out.EventType); why != "" {
		return Rules{}, fmt.Errorf("cascade.event-type: %s", why)
	}
	froms := make([]string, 0, len(r.Branches))
	for b := range r.Branches {
		froms = append(froms, b)
	}
	sort.Strings(froms)
	for _, b := range froms {
		if err := CheckBranch(b); err != nil {
			return Rules{}, fmt.Errorf("cascade.branches: %w", err)
		}
		for i, t := range r.Branches[b] {
			if err := CheckBranch(t); err != nil {
				return Rules{}, fmt.Errorf("cascade.branches.%s[%d]: %w", b, i, err)
			}
		}
	}
	for i, rr := range r.Repos {
		at := fmt.Sprintf("cascade.repos[%d]", i)
		if why := repoProblem(rr.Repo); why != "" {
			return Rules{}, fmt.Errorf("%s.repo %s: %s", at, quote(rr.Repo), why)
		}
		var set []string
		for _, w := range []struct{ name, v string }{{"branch", rr.WhenBranch}, {"channel", rr.WhenChannel}, {"label", rr.WhenLabel}} {
			if w.v != "" {
				set = append(set, w.name)
			}
		}
		switch {
		case len(set) == 0:
			return Rules{}, fmt.Errorf("%s.when: one of branch, channel or label is required", at)
		case len(set) > 1:
			return Rules{}, fmt.Errorf("%s.when: %s are mutually exclusive", at, strings.Join(set, " and "))
		case rr.WhenBranch != "":
			if err := CheckBranch(rr.WhenBranch); err != nil {
				return Rules{}, fmt.Errorf("%s.when.branch: %w", at, err)
			}
		case rr.WhenChannel != "":
			if why := channelProblem(rr.WhenChannel); why != "" {
				return Rules{}, fmt.Errorf("%s.when.channel %s: %s", at, quote(rr.WhenChannel), why)
			}
		default:
			if why := labelProblem(rr.WhenLabel); why != "" {
				return Rules{}, fmt.Errorf("%s.when.label %s: %s", at, quote(rr.WhenLabel), why)
			}
		}
		if rr.EventType == "" {
			rr.EventType = out.EventType
		} else if why := eventTypeProblem(rr.EventType); why != "" {
			return Rules{}, fmt.Errorf("%s.event-type: %s", at, why)
		}
		out.Repos = append(out.Repos, rr)
	}
	return out, nil
}

// validate checks an envelope built by hand (ParseEvent's are already checked).
func (e *Envelope) validate() error {
	if why := idProblem(e.CorrelationID); why != "" {
		return fmt.Errorf("incoming correlation id %s: %s", quote(e.CorrelationID), why)
	}
	if len(e.Chain) == 0 || len(e.Chain) > MaxChain {
		return fmt.Errorf("incoming chain: %d entries, must be 1 to %d", len(e.Chain), MaxChain)
	}
	for i, h := range e.Chain {
		if why := repoProblem(h.Repo); why != "" {
			return fmt.Errorf("incoming chain[%d].repo %s: %s", i, quote(h.Repo), why)
		}
		if h.Branch != "" {
			if err := CheckBranch(h.Branch); err != nil {
				return fmt.Errorf("incoming chain[%d].branch: %w", i, err)
			}
		}
	}
	return nil
}

// objectPayload checks that raw is one JSON object and returns it compacted.
func objectPayload(raw json.RawMessage) (json.RawMessage, error) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("payload: invalid JSON: %v", err)
	}
	if dec.More() {
		return nil, errors.New("payload: invalid JSON: more than one value")
	}
	if _, ok := v.(map[string]any); !ok {
		return nil, fmt.Errorf("payload: must be a JSON object, got %s", jsonType(v))
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, fmt.Errorf("payload: invalid JSON: %v", err)
	}
	return buf.Bytes(), nil
}
