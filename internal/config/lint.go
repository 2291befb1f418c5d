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
//   - export.olm with `ledger: none` is an error: the catalog is made of the
//     ledger's upgrade graphs.
//   - an export.olm channel that follows neither a label nor a channel of
//     the file is a warning: `ladder catalog` leaves it out (and fails when
//     it is the default channel).
func Lint(c *Config) (errs, warnings Errors) {
	if c == nil {
		return nil, nil
	}
	if c.Ledger.Kind == LedgerNone {
		errs, warnings = c.lintLedgerNone()
	}
	warnings = append(warnings, c.lintExport()...)
	return errs, warnings
}

func (c *Config) lintLedgerNone() (errs, warnings Errors) {
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
