// Package config parses and validates ladder's configuration file
// (.github/ladder.yaml by default). Parsing is strict: every error carries the
// file, line and column of the node at fault, and nothing touches the network.
package config

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// DefaultPath is where actions look for the config when the `config` input is empty.
const DefaultPath = ".github/ladder.yaml"

// Pos is a position in the config file. Line and Col are 1-based; zero means unknown.
type Pos struct {
	File string
	Line int
	Col  int
}

func (p Pos) String() string {
	if p.Line == 0 {
		return p.File
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Config is a parsed, validated ladder.yaml. Slices keep the order of the file:
// component order matters (it is the order of the composite id).
type Config struct {
	File        string
	Version     int
	Product     string
	Registry    string // OCI repository, e.g. ghcr.io/acme/elemental
	Ledger      Ledger
	Components  []Component
	Channels    []Channel
	Constraints []Constraint
	Labels      []Label
	Cascade     *Cascade // nil when the file has no cascade section
	Export      *Export  // nil when the file has no export section
	Signing     *Signing // nil when the file has no signing section

	Pos map[string]Pos // dotted path ("channels.dev.track") -> position, for annotations
}

// LedgerKind says where the ledger lives.
type LedgerKind string

const (
	LedgerGitHub LedgerKind = "github"
	LedgerFile   LedgerKind = "file"
	LedgerNone   LedgerKind = "none"
)

// Ledger is the parsed `ledger:` value: github (default), file:PATH or none.
type Ledger struct {
	Kind LedgerKind
	Path string // for LedgerFile
	Pos  Pos
}

// Component is one source repository.
type Component struct {
	Name      string
	Repo      string // owner/name on GitHub; exactly one of Repo and Git is set
	Git       string // any git remote URL
	TagPrefix string // tags like operator/v1.2.3 have TagPrefix "operator/"
	Pos       Pos
}

// Policy says how a channel resolves a component to one commit. Exactly one of
// Branch, Semver, Pin (or Pins for a channel-wide pin) and Label is set.
type Policy struct {
	Branch     string
	Semver     string // a Masterminds/semver constraint, validated at parse time
	Prerelease bool   // with Semver: prereleases may match
	Pin        string // per component: a tag name (with prefix) or a full 40-hex commit SHA
	Pins       map[string]string
	Label      string // the whole channel follows a label's bundle
	Pos        Pos
}

// VersionRule says how a channel's bundles are versioned. At most one field is set;
// all empty means the default (see README: prerelease "channel name").
type VersionRule struct {
	Prerelease string // 1.4.1-dev.20261122T011500.b366a24
	From       string // a component name: bundle version = that component's version
	Bump       string // major | minor | patch: previous version of the channel + 1
	Pos        Pos
}

// Retention says which old version tags may be deleted. Keep == 0 with All
// false never happens after parsing: the default is All.
type Retention struct {
	All  bool
	Keep int
	Pos  Pos
}

// Channel is a named policy that resolves every component to one commit.
type Channel struct {
	Name       string
	Track      Policy            // default policy for every component
	Components map[string]Policy // per-component overrides
	Version    VersionRule
	Retention  Retention
	Pos        Pos
}

// PolicyFor returns the policy that applies to component name in this channel.
func (c Channel) PolicyFor(name string) Policy {
	if p, ok := c.Components[name]; ok {
		return p
	}
	p := c.Track
	if p.Pins != nil {
		pin := p
		pin.Pin = p.Pins[name]
		pin.Pins = nil
		return pin
	}
	return p
}

// Constraint is a rule over a lock. Only same-version exists today.
type Constraint struct {
	SameVersion []string
	Pos         Pos
}

// Gates are the criteria a candidate must meet before a label moves to it.
type Gates struct {
	Checks     []string // names of check runs / statuses; nil with AllChecks
	AllChecks  bool     // checks: all
	Soak       time.Duration
	Components []string    // optional: narrows which components' commits are checked
	Signed     *SignedGate // optional: the candidate must carry a signature (S6)
	Pos        Pos
}

// Label is a mutable tag promote-label moves from bundle to bundle.
type Label struct {
	Name       string
	From       string // a channel or another label
	Gates      Gates
	Quarantine bool
	Sign       bool // a promotion here signs the bundle (S6); needs Config.Signing
	// Deployment: each move is a GitHub Deployment in the workflow's
	// repository (S8); nil when the label has none.
	Deployment *Deployment
	Pos        Pos
}

// Deployment is a label's `deployment: {environment: E}`.
type Deployment struct {
	Environment string
	Pos         Pos
}

// Cascade configures cascade-branches.
type Cascade struct {
	EventType string              // default "ladder-cascade"
	Branches  map[string][]string // branch -> branches to rebuild when it changes
	Repos     []CascadeRepo
	Pos       Pos
}

// CascadeRepo is a downstream repository dispatched when a condition holds.
type CascadeRepo struct {
	Repo      string
	When      CascadeWhen
	EventType string // overrides Cascade.EventType
	Pos       Pos
}

// CascadeWhen is the trigger of a CascadeRepo: a push to Branch, a publish
// to Channel, or a move of Label. Exactly one is set.
type CascadeWhen struct {
	Branch  string
	Channel string
	Label   string
}

// Export configures what ladder generates from the ledger for other tools.
type Export struct {
	OLM *OLMExport // nil without export.olm
	Pos Pos
}

// OLMExport is `export.olm`: the OLM file-based catalog `ladder catalog`
// generates from the ledger (story S7).
type OLMExport struct {
	Package        string       // the OLM package name, a DNS-1123 label
	Channels       []OLMChannel // in file order
	DefaultChannel string       // one of Channels
	Pos            Pos
}

// OLMChannel is one OLM channel and the ladder label or channel whose
// stream it follows.
type OLMChannel struct {
	Name    string // the OLM channel name
	Follows string // a label or a channel of the config; `ladder validate` warns when it is neither
	Pos     Pos
}

// OLMChannel returns the named OLM channel of export.olm.
func (o *OLMExport) OLMChannel(name string) (OLMChannel, bool) {
	return named(o.Channels, func(x OLMChannel) bool { return x.Name == name })
}

// Component returns the named component.
func (c *Config) Component(name string) (Component, bool) {
	return named(c.Components, func(x Component) bool { return x.Name == name })
}

// Channel returns the named channel.
func (c *Config) Channel(name string) (Channel, bool) {
	return named(c.Channels, func(x Channel) bool { return x.Name == name })
}

// Label returns the named label.
func (c *Config) Label(name string) (Label, bool) {
	return named(c.Labels, func(x Label) bool { return x.Name == name })
}

// named returns the first of xs that is the one wanted (by its name).
func named[T any](xs []T, wanted func(T) bool) (T, bool) {
	if i := slices.IndexFunc(xs, wanted); i >= 0 {
		return xs[i], true
	}
	var zero T
	return zero, false
}

// Error is one config error at a position. Error() renders FILE:LINE:COL: message.
type Error struct {
	Pos     Pos
	Field   string // dotted path of the field at fault, e.g. channels.staging.track.semver
	Message string
}

func (e *Error) Error() string { return e.Pos.String() + ": " + e.Message }

// Errors is every error found in one file, in file order.
type Errors []*Error

func (es Errors) Error() string {
	var b strings.Builder
	for i, e := range es {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}
