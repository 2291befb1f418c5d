// Package cascade is pure: from an event (push, repository_dispatch,
// workflow_dispatch, or a channel publish), the cascade rules of the config
// and the chain of hops so far, it decides which repository_dispatch events
// cascade-branches sends next, and with what client_payload. It imports only
// the standard library; a test holds it to that. It never talks to GitHub:
// the app layer gathers the event, hands plain values to ParseEvent and Plan,
// then sends the dispatches the plan lists.
//
// One hop per run: a run rebuilds its branch, then plans the next hops. A
// push to production plans [staging]; the run for staging, started by that
// dispatch, plans [snapshot]. The correlation id of the first hop is carried
// through the whole chain, so a receiver can recognise a duplicate, and the
// chain of hops so far travels in every payload, so a cycle or a runaway chain
// is refused before anything is sent.
package cascade

import "encoding/json"

// DefaultEventType is the repository_dispatch event type ladder sends when the
// rules name none (the config's default too).
const DefaultEventType = "ladder-cascade"

// PayloadKey is the one top-level key of client_payload under which ladder
// puts its envelope. A repository_dispatch whose client_payload has this key
// is a cascaded run; any other repository_dispatch is not ladder's.
const PayloadKey = "ladder"

// DefaultMaxDepth is the default max-depth: the most dispatches in one chain.
const DefaultMaxDepth = 8

// MaxChain bounds a chain read from a payload, and max-depth with it.
const MaxChain = 100

// Event names, as GitHub spells them (GITHUB_EVENT_NAME), plus EventChannel
// for a channel publish the app reports itself.
const (
	EventPush               = "push"
	EventRepositoryDispatch = "repository_dispatch"
	EventWorkflowDispatch   = "workflow_dispatch"
	EventChannel            = "channel"
	EventLabel              = "label"
)

// Rules are the config's `cascade:` section in plain form; the app layer
// converts config.Cascade into it.
type Rules struct {
	// EventType is the repository_dispatch event type; "" means DefaultEventType.
	EventType string
	// Branches maps a branch to the branches of the same repository to
	// rebuild when it changes: {production: [staging], staging: [snapshot]}.
	Branches map[string][]string
	// Repos are other repositories to dispatch when a condition holds.
	Repos []RepoRule
}

// RepoRule is a downstream repository dispatched when the branch that changed
// equals WhenBranch, when the channel published equals WhenChannel, or when
// the label moved equals WhenLabel. Exactly one of the three is set.
type RepoRule struct {
	Repo        string // owner/name
	WhenBranch  string
	WhenChannel string
	WhenLabel   string
	EventType   string // overrides Rules.EventType when set
}

// Repo is the run that plans: its repository, the branch it built and the
// commit it built.
type Repo struct {
	Repo   string // owner/name (GITHUB_REPOSITORY)
	Branch string // used only when the trigger names no branch (a channel publish, a label move)
	SHA    string // the commit built; "" when unknown
}

// Trigger is what started this run, as far as the cascade is concerned.
// Build one with ParseEvent, or ChannelPublished when the app has just
// published a channel, or LabelMoved when it has just moved a label. A
// literal Trigger{Channel: "stable"} works too.
type Trigger struct {
	Event   string // EventPush, EventRepositoryDispatch, EventWorkflowDispatch, EventChannel or EventLabel
	Repo    string // the repository the event happened in ("" when unknown)
	Branch  string // the branch that changed, or that a cascaded run builds
	SHA     string // push: the pushed commit ("after"); otherwise ""
	Channel string // a channel publish: the channel published
	Label   string // a label move: the label moved (never with Channel)
	// Bundle is, for a channel publish or a label move, the bundle the
	// channel or label now holds; it goes into every dispatch's envelope.
	Bundle    *Bundle
	EventType string    // repository_dispatch: the event type (the payload's "action")
	Cascade   *Envelope // repository_dispatch from ladder: its envelope; nil otherwise
	// Skip, when set, says why this event triggers nothing (a tag push, a
	// deleted branch, a repository_dispatch that is not ladder's).
	Skip string
	// EOL: the channel or label was retired (ladder retire); its
	// dispatches say so ("eol": true), so a receiver can archive.
	EOL bool
}

// ChannelPublished is the trigger for "channel was published" in a run that
// was not itself cascaded.
func ChannelPublished(channel string) Trigger {
	return Trigger{Event: EventChannel, Channel: channel}
}

// LabelMoved is the trigger for "label was moved to b" in a run that was not
// itself cascaded.
func LabelMoved(label string, b *Bundle) Trigger {
	return Trigger{Event: EventLabel, Label: label, Bundle: b}
}

// Moved is the trigger for "this run moved label": t with the label set, as
// Published is for a channel.
func (t Trigger) Moved(label string) Trigger { return t.change(EventLabel, "", label) }

// Published is the trigger for "this run published channel": t with the
// channel set, so a cascaded run that publishes keeps its chain and
// correlation id. A publish is a change in its own right: whatever the event
// skipped (a tag push that built a release, say) no longer applies.
func (t Trigger) Published(channel string) Trigger { return t.change(EventChannel, channel, "") }

// change is t as the trigger of a change this run made: the event, channel
// and label replaced, whatever the event skipped cleared, the chain and
// correlation id kept.
func (t Trigger) change(event, channel, label string) Trigger {
	t.Event = event
	t.Channel = channel
	t.Label = label
	t.Skip = ""
	return t
}

// Envelope is ladder's part of client_payload, the value of its one key
// (PayloadKey):
//
//	{"ladder": {"correlation_id": ..., "chain": [{repo, branch, sha}...],
//	            "branch": ..., "source": {repo, ref, sha}, "payload": {...}}}
type Envelope struct {
	// CorrelationID is chosen at the first hop and kept across the chain.
	CorrelationID string `json:"correlation_id"`
	// Chain is every run of the cascade so far, the origin first and the
	// sender last.
	Chain []Hop `json:"chain"`
	// Branch is the branch the receiver builds; "" means its default branch
	// (a dispatch to another repository names no branch).
	Branch string `json:"branch"`
	// Source is the change that started the cascade, kept across the chain.
	Source Source `json:"source"`
	// Payload is the user's payload (a JSON object), passed on as data.
	Payload json.RawMessage `json:"payload,omitempty"`
	// Bundle is, when the sender published a channel or moved a label, the
	// bundle it now holds; absent otherwise.
	Bundle *Bundle `json:"bundle,omitempty"`
	// EOL is true in the one dispatch `ladder retire` sends to each
	// cascade.repos entry whose `when` names the retired channel or label
	// (Bundle: its final value); absent otherwise.
	EOL bool `json:"eol,omitempty"`
}

// Bundle is a bundle as a receiver needs it: its version, its manifest
// digest and its lock's digest (to pull it by digest and check what is in
// it).
type Bundle struct {
	Version    string `json:"version"`
	Digest     string `json:"digest"`
	LockDigest string `json:"lock_digest"`
}

// Hop is one run of a cascade: a repository, the branch it built ("" when
// the run was not on a branch) and the commit ("" when unknown).
type Hop struct {
	Repo   string `json:"repo"`
	Branch string `json:"branch"`
	SHA    string `json:"sha"`
}

// String renders owner/name@branch, or owner/name when no branch is known.
func (h Hop) String() string { return targetName(h.Repo, h.Branch) }

// Source is the change that started a cascade: a push (ref, sha), a channel
// publish (channel set) or a label move (label set).
type Source struct {
	Repo    string `json:"repo"`
	Ref     string `json:"ref"`
	SHA     string `json:"sha"`
	Channel string `json:"channel,omitempty"`
	Label   string `json:"label,omitempty"`
}

// Target is one repository and branch a plan dispatches to. An empty Branch
// means the repository's default branch.
type Target struct {
	Repo   string `json:"repo"`
	Branch string `json:"branch"`
}

func (t Target) String() string { return targetName(t.Repo, t.Branch) }

func targetName(repo, branch string) string {
	if branch == "" {
		return repo
	}
	return repo + "@" + branch
}
