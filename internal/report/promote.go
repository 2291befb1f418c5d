package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/ladder-release/ladder/internal/action"
	"github.com/ladder-release/ladder/internal/changes"
	"github.com/ladder-release/ladder/internal/lock"
	"github.com/ladder-release/ladder/internal/promote"
)

// historyShown is how many moves the summary draws.
const historyShown = 10

// Promotion is what promote-label's summary shows.
type Promotion struct {
	Label    string
	Mode     promote.Mode
	DryRun   bool
	Decision promote.Decision
	From     string         // where the candidate came from
	Skipped  []promote.Move // passed over (quarantined)
	History  []promote.Move // the label's stream after the run
	Changes  *changes.Set
	// Signature is the digest of the signature this run attached (sign:
	// true), Signer who made it.
	Signature, Signer string
}

// Promote fills s with promote-label's summary.
func Promote(s *action.Summary, p Promotion) {
	d := p.Decision
	title := "promote-label: " + p.Label
	if p.Mode != promote.ModePromote {
		title += " (" + string(p.Mode) + ")"
	}
	heading(s, title, p.DryRun)
	reason := d.Reason
	if p.DryRun {
		reason = "Dry run, nothing written: " + reason
	}
	s.Paragraph("Decision: " + string(d.Outcome) + ". " + reason)
	s.Table([]string{"label", "decision", "version", "digest", "previous version", "from", "forced"},
		[][]string{{p.Label, string(d.Outcome), d.Target.Version, d.Target.Digest, orDash(d.Previous.Version), orDash(p.From), fmt.Sprint(d.Forced)}})
	if p.Signature != "" {
		s.Paragraph("Signed by " + p.Signer + ": signature " + p.Signature + ", attached to " + d.Target.Digest + ".")
	}
	if len(p.Skipped) > 0 {
		vs := make([]string, len(p.Skipped))
		for i, m := range p.Skipped {
			vs[i] = m.Version
		}
		s.Paragraph("Skipped (quarantined): " + strings.Join(vs, ", "))
	}
	if len(d.Gates) > 0 || d.Soak.Required > 0 || d.Signed != nil {
		s.Heading("Gates", 3)
		s.Table([]string{"component", "source", "commit", "check", "result", "evidence"}, gateRows(d))
	} else if d.Forced {
		s.Paragraph("Gates bypassed (force).")
	}
	whatChanged(s, p.Changes, d.Previous.Version)
	s.Heading("History of "+p.Label, 3)
	s.Mermaid(promote.HistoryMermaid(p.Label, p.History, historyShown))
	if rows := promote.HistoryRows(p.History, historyShown); len(rows) > 0 {
		s.Table([]string{"when", "from", "to", "decision", "actor", "reason"}, rows)
	}
}

// gateRows are the rows of the gates table: a row per gate, then the
// signature's and the soak's.
func gateRows(d promote.Decision) [][]string {
	rows := make([][]string, 0, len(d.Gates)+1)
	for _, g := range d.Gates {
		check := g.Check
		if g.Result == promote.GateNoSource {
			check = "-"
		}
		rows = append(rows, []string{g.Component, orDash(g.Source), orDash(lock.Short(g.Commit)), check, string(g.Result), g.Detail})
	}
	if g := d.Signed; g != nil {
		rows = append(rows, []string{"-", "-", "-", "signed", string(g.Result), g.Detail})
	}
	if d.Soak.Required > 0 {
		detail := fmt.Sprintf("%s required", d.Soak.Required)
		if !d.Soak.Since.IsZero() {
			detail = fmt.Sprintf("in since %s, %s of %s", d.Soak.Since.UTC().Format(time.RFC3339), d.Soak.Elapsed.Round(time.Second), d.Soak.Required)
		}
		rows = append(rows, []string{"-", "-", "-", "soak", string(d.Soak.Result), detail})
	}
	return rows
}
