package config

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ladder-release/ladder/internal/channel"
)

// Lint reports what Parse accepts but what cannot work as written: errors
// (`ladder validate` fails on them) and warnings (it prints them). Parse
// itself does not refuse these: the actions that can still run on such a
// file (status, resolve-channel of a channel that follows a label's tag)
// keep working, and the one that cannot says so when it runs.
//
//   - labels with `ledger: none` are an error: promote-label, the only thing
//     that moves a label, keeps each label's history, holds and quarantines
//     in the ledger and refuses to run without one.
//   - retention (`keep: N`) with `ledger: none` is a warning: without a
//     ledger to record a deletion, no tag is deleted (README, build-bundle).
//   - two channels whose version rules can give the same version are a
//     warning (a version is unique per product; see versionCollisions).
//   - a label whose `gates.checks` cover no `repo:` component (every
//     component in scope, all of them or those `gates.components` names, is
//     `git:`) is a warning: a git: remote has no check runs or statuses, so
//     nothing could ever be checked and the gate never blocks (SPEC section
//     3; promote-label says "no check source" when it promotes).
//   - export.olm with `ledger: none` is an error: the catalog is made of the
//     ledger's upgrade graphs.
//   - an export.olm channel that follows neither a label nor a channel of
//     the file is a warning: `ladder catalog` leaves it out (and fails when
//     it is the default channel).
func Lint(c *Config) (errs, warnings Errors) {
	if c == nil {
		return nil, nil
	}
	errs, warnings = c.lintLedgerNone()
	warnings = append(warnings, c.versionCollisions()...)
	warnings = append(warnings, c.lintGates()...)
	warnings = append(warnings, c.lintExport()...)
	warnings = append(warnings, c.lintSigning()...)
	sort.SliceStable(warnings, func(i, j int) bool { return less(warnings[i].Pos, warnings[j].Pos) })
	return errs, warnings
}

func (c *Config) lintLedgerNone() (errs, warnings Errors) {
	if c.Ledger.Kind != LedgerNone {
		return nil, nil
	}
	ledger := c.Ledger.Pos
	if p, ok := c.Pos["ledger"]; ok {
		ledger = p
	}
	if len(c.Labels) > 0 {
		errs = append(errs, c.lintError("labels", fmt.Sprintf(
			"labels need a ledger (ledger: github or ledger: file:PATH): promote-label keeps each label's history, holds and quarantines there, and ledger: none%s keeps none",
			lineRef(ledger))))
	}
	if c.Export != nil && c.Export.OLM != nil {
		errs = append(errs, c.lintError("export.olm", fmt.Sprintf(
			"export.olm needs a ledger (ledger: github or ledger: file:PATH): the catalog is made of the upgrade graphs the ledger keeps, and ledger: none%s keeps none",
			lineRef(ledger))))
	}
	for _, ch := range c.Channels {
		if ch.Retention.All {
			continue
		}
		field := "channels." + ch.Name + ".retention"
		warnings = append(warnings, c.lintError(field, fmt.Sprintf(
			"keep: %d does nothing with ledger: none%s: no tag is deleted without a ledger to record the deletion",
			ch.Retention.Keep, lineRef(ledger))))
	}
	return errs, warnings
}

// versionRule is a channel's version rule as lint compares them.
type versionRule struct {
	channel string
	kind    string // "bump", "from" or "prerelease"
	value   string // the step, the component, the prerelease identifiers
	field   string // where the rule is: channels.C.version.KIND, or channels.C for the default
	text    string // the rule's value as a warning at field names it
}

func versionRuleOf(ch Channel) versionRule {
	r := versionRule{channel: ch.Name}
	switch v := ch.Version; {
	case v.Bump != "":
		r.kind, r.value = "bump", v.Bump
	case v.From != "":
		r.kind, r.value = "from", v.From
	case v.Prerelease != "":
		r.kind, r.value = "prerelease", v.Prerelease
	default:
		r.kind, r.value = "prerelease", channel.PrereleaseName(ch.Name)
		r.field = "channels." + ch.Name
		r.text = "its default version rule, prerelease: " + r.value + ","
		return r
	}
	r.field = "channels." + ch.Name + ".version." + r.kind
	r.text = r.value
	return r
}

// String is the rule where it is: "channels.stable.version.bump: patch",
// or for a channel without a version rule "channels.dev's default version
// rule, prerelease: dev" (the channel's name).
func (r versionRule) String() string {
	if r.field == "channels."+r.channel {
		return r.field + "'s default version rule, prerelease: " + r.value
	}
	return r.field + ": " + r.value
}

// versionCollisions warns, for each pair of channels, when their version
// rules can give the same version (SPEC section 2, version). The warning is
// at the later channel's rule and names the earlier one with its line.
//
//   - bump and bump with the same step: both count from 0.0.0 by that step,
//     so their sequences are the same; each bump passes over the versions
//     the other holds, and the two channels' versions interleave. Different
//     steps never meet (patch gives 0.0.N, minor 0.N.0, major N.0.0).
//   - bump and from: any release tag of the component can be a version the
//     bump gives. The bump passes over what the from: channel holds; the
//     from: channel cannot pass over, and its publish fails on a version the
//     bump channel took first.
//   - from and from: the same component's version in both channels, or two
//     components whose tags can be equal (repositories often share version
//     numbers, 1.0.0 above all): the second publish of a version fails.
//   - prerelease and prerelease with the same identifiers (the default is
//     the channel's name): the same commits resolved in the same second give
//     the same version in both, and the second publish fails.
//
// A prerelease version never equals a bump's (a release) nor, in practice,
// a component's tag (it holds a timestamp and the composite id): no warning.
func (c *Config) versionCollisions() Errors {
	rules := make([]versionRule, len(c.Channels))
	for i, ch := range c.Channels {
		rules[i] = versionRuleOf(ch)
	}
	var warnings Errors
	more := 0 // past maxErrors: counted, not listed
	for j, b := range rules {
		for _, a := range rules[:j] {
			why := collision(a, b)
			switch {
			case why == "":
			case len(warnings) < maxErrors:
				warnings = append(warnings, c.lintError(b.field, fmt.Sprintf(
					"%s can give the same version as %s%s: %s", b.text, a, lineRef(c.Pos[a.field]), why)))
			default:
				more++
			}
		}
	}
	if more > 0 {
		last := warnings[len(warnings)-1]
		warnings = append(warnings, &Error{Pos: last.Pos, Field: "channels",
			Message: fmt.Sprintf("channels: %d more pairs of channels can give the same version, not shown", more)})
	}
	return warnings
}

// collision says what happens when rules a and b give the same version, or
// "" when they cannot.
func collision(a, b versionRule) string {
	switch {
	case a.kind == "bump" && b.kind == "bump":
		if a.value != b.value {
			return ""
		}
		return fmt.Sprintf("both count from 0.0.0 one %s at a time; each bump passes over the versions the other channel holds, so the two channels' versions interleave", a.value)
	case a.kind == "bump" && b.kind == "from", a.kind == "from" && b.kind == "bump":
		bump, from := a, b
		if b.kind == "bump" {
			bump, from = b, a
		}
		return fmt.Sprintf("a release of component %s can be a version %s's bump gives; %s's bump will pass over the versions %s holds, but a from: cannot pass over, so %s's publish fails when %s's version is one %s already holds",
			from.value, bump.channel, bump.channel, from.channel, from.channel, from.value, bump.channel)
	case a.kind == "from" && b.kind == "from":
		if a.value == b.value {
			return fmt.Sprintf("both take component %s's version, so when both channels resolve the same release of %s, the second to publish it fails (a from: cannot pass over)", a.value, a.value)
		}
		return fmt.Sprintf("components %s and %s can have equal versions (both repositories can tag 1.0.0), and the second channel to publish such a version fails (a from: cannot pass over)", a.value, b.value)
	case a.kind == "prerelease" && b.kind == "prerelease":
		if a.value != b.value {
			return ""
		}
		return fmt.Sprintf("both make versions X.Y.Z-%s.<time>.<composite id>, so the same commits resolved in the same second give the same version in both, and the second publish fails; give each channel its own version.prerelease", a.value)
	}
	return ""
}

// lintExport warns about export.olm channels that follow nothing.
func (c *Config) lintExport() (warnings Errors) {
	if c.Export == nil || c.Export.OLM == nil {
		return nil
	}
	var names []string
	for _, ch := range c.Channels {
		names = append(names, ch.Name)
	}
	for _, l := range c.Labels {
		names = append(names, l.Name)
	}
	for _, och := range c.Export.OLM.Channels {
		if _, ok := c.Channel(och.Follows); ok {
			continue
		}
		if _, ok := c.Label(och.Follows); ok {
			continue
		}
		effect := "ladder catalog leaves this OLM channel out"
		if och.Name == c.Export.OLM.DefaultChannel {
			effect = "ladder catalog fails: it is the default channel, and OLM refuses a package whose default channel is empty"
		}
		warnings = append(warnings, c.lintError("export.olm.channels."+och.Name, fmt.Sprintf(
			"%q is neither a label nor a channel of this file%s: %s",
			short(och.Follows), suggest(och.Follows, names), effect)))
	}
	return warnings
}

func (c *Config) lintError(field, msg string) *Error {
	pos, ok := c.Pos[field]
	if !ok {
		pos = Pos{File: c.File, Line: 1, Col: 1}
	}
	field = short(field)
	return &Error{Pos: pos, Field: field, Message: field + ": " + msg}
}

func lineRef(p Pos) string {
	if p.Line == 0 {
		return ""
	}
	return fmt.Sprintf(" (line %d)", p.Line)
}

// lintGates warns about check gates that cover no repo: component.
func (c *Config) lintGates() Errors {
	var warnings Errors
	for _, l := range c.Labels {
		g := l.Gates
		if !g.AllChecks && len(g.Checks) == 0 {
			continue
		}
		scope, narrowed := g.Components, len(g.Components) > 0
		if !narrowed {
			for _, comp := range c.Components {
				scope = append(scope, comp.Name)
			}
		}
		var git []string
		repo := false
		for _, name := range scope {
			comp, ok := c.Component(name)
			if !ok {
				continue // Parse refused it already
			}
			if comp.Repo != "" {
				repo = true
				break
			}
			git = append(git, name)
		}
		if repo || len(git) == 0 {
			continue
		}
		field := "labels." + l.Name + ".gates.checks"
		which := "which has"
		if len(git) > 1 {
			which = "which have"
		}
		what := fmt.Sprintf("every component is git: (%s), %s", strings.Join(git, ", "), which)
		if narrowed {
			what = fmt.Sprintf("gates.components%s names only git: components (%s), %s",
				lineRef(c.Pos["labels."+l.Name+".gates.components"]), strings.Join(git, ", "), which)
		}
		warnings = append(warnings, c.lintError(field, fmt.Sprintf(
			"label %s's checks cover no repo: component: %s no check runs or statuses; nothing can ever be checked and this gate never blocks (promote-label promotes saying \"no check source\"): gate a repo: component, or drop checks",
			l.Name, what)))
	}
	return warnings
}
