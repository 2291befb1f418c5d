package promote

import (
	"fmt"
	"github.com/ladder-release/ladder/internal/mermaid"
	"strings"
	"time"
)

// HistoryMermaid draws a label's recent moves as a mermaid flowchart, oldest
// on the left: one node per move (a value held twice is drawn twice: this is
// the history, not the upgrade graph), each edge labelled with the decision
// that made the move (promoted, forced, rollback). The current value is
// marked. At most limit moves are drawn, the newest (0: all).
func HistoryMermaid(label string, history []Move, limit int) string {
	moves := history
	if limit > 0 && len(moves) > limit {
		moves = moves[len(moves)-limit:]
	}
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	if len(moves) == 0 {
		fmt.Fprintf(&b, "  empty[\"%s: no value yet\"]\n", mermaid.Text(label))
		return b.String()
	}
	if skipped := len(history) - len(moves); skipped > 0 {
		fmt.Fprintf(&b, "  older[\"%d older moves\"]\n", skipped)
	}
	for i, m := range moves {
		text := mermaid.Text(m.Version) + "<br/>" + mermaid.Text(m.At.UTC().Format("2006-01-02 15:04"))
		if i == len(moves)-1 {
			text = mermaid.Text(label+" = ") + text
		}
		fmt.Fprintf(&b, "  m%d[\"%s\"]\n", i, text)
	}
	for i, m := range moves {
		kind := edgeText(m)
		switch {
		case i > 0:
			arrow := "-->"
			if m.Decision == DecisionRollback {
				arrow = "-.->"
			}
			fmt.Fprintf(&b, "  m%d %s|\"%s\"| m%d\n", i-1, arrow, mermaid.Text(kind), i)
		case len(history) > len(moves):
			fmt.Fprintf(&b, "  older --> m0\n")
		}
	}
	if len(moves) > 0 {
		fmt.Fprintf(&b, "  style m%d stroke-width:3px\n", len(moves)-1)
	}
	return b.String()
}

func edgeText(m Move) string {
	kind := m.Decision
	if kind == "" {
		kind = "moved"
	}
	if m.Forced {
		kind += ", forced"
	}
	return kind
}

// HistoryRows is the label's recent moves as table rows, newest first: when,
// from, to, decision, actor, reason.
func HistoryRows(history []Move, limit int) [][]string {
	var rows [][]string
	for i := len(history) - 1; i >= 0 && (limit <= 0 || len(rows) < limit); i-- {
		m := history[i]
		from := m.PreviousVersion
		if from == "" {
			from = "(none)"
		}
		rows = append(rows, []string{m.At.UTC().Format(time.RFC3339), from, m.Version, edgeText(m), m.Actor, m.Reason})
	}
	return rows
}
