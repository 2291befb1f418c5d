package config

import "fmt"

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
func Lint(c *Config) (errs, warnings Errors) {
	if c == nil || c.Ledger.Kind != LedgerNone {
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
