package config

import (
	"fmt"
	"sort"
	"strings"
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
//   - a label whose `gates.checks` cover no `repo:` component (every
//     component in scope, all of them or those `gates.components` names, is
//     `git:`) is a warning: a git: remote has no check runs or statuses, so
//     nothing could ever be checked and the gate never blocks (SPEC section
//     3; promote-label says "no check source" when it promotes).
func Lint(c *Config) (errs, warnings Errors) {
	if c == nil {
		return nil, nil
	}
	errs, warnings = c.lintLedgerNone()
	warnings = append(warnings, c.lintGates()...)
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
