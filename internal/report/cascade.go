package report

import (
	"fmt"
	"strconv"

	"github.com/ladder-release/ladder/internal/action"
	"github.com/ladder-release/ladder/internal/cascade"
)

// Cascade fills s with cascade-branches' summary of plan p: status is the
// result of each of p's dispatches, sent how many went out.
func Cascade(s *action.Summary, p *cascade.DispatchPlan, status []string, sent int, dryRun bool) {
	heading(s, "cascade-branches", dryRun)
	s.Paragraph(describeTrigger(p.Trigger))
	s.Table([]string{"correlation id", "runs in the chain", "max-depth", "dispatched"},
		[][]string{{p.CorrelationID, strconv.Itoa(len(p.Chain)), strconv.Itoa(p.MaxDepth), strconv.Itoa(sent)}})
	if len(p.Dispatches) > 0 {
		rows := make([][]string, len(p.Dispatches))
		for i, d := range p.Dispatches {
			branch := d.Branch
			if branch == "" {
				branch = "(default branch)"
			}
			rows[i] = []string{d.Repo, branch, d.EventType, status[i]}
		}
		s.Table([]string{"target", "branch", "event type", "result"}, rows)
	} else {
		s.Paragraph("Nothing to dispatch: " + p.Reason + ".")
	}
	if g := p.Mermaid(); g != "" {
		s.Mermaid(g)
	}
	if len(p.Chain) > 0 {
		rows := make([][]string, len(p.Chain))
		for i, h := range p.Chain {
			sha := h.SHA
			if len(sha) > 7 {
				sha = sha[:7]
			}
			rows[i] = []string{strconv.Itoa(i), h.Repo, h.Branch, sha}
		}
		s.Table([]string{"#", "repository", "branch", "commit"}, rows)
	}
}

func describeTrigger(t cascade.Trigger) string {
	var what string
	switch {
	case t.Channel != "" && t.Bundle != nil:
		what = fmt.Sprintf("channel %s published %s (%s)", t.Channel, t.Bundle.Version, t.Bundle.Digest)
	case t.Channel != "":
		what = fmt.Sprintf("channel %s published", t.Channel)
	case t.Label != "" && t.Bundle != nil:
		what = fmt.Sprintf("label %s moved to %s (%s)", t.Label, t.Bundle.Version, t.Bundle.Digest)
	case t.Label != "":
		what = fmt.Sprintf("label %s moved", t.Label)
	case t.Cascade != nil:
		what = fmt.Sprintf("cascaded run (%s) building %s", t.EventType, t.Branch)
	case t.Event == cascade.EventPush && t.Branch != "":
		what = "push to " + t.Branch
	case t.Branch != "":
		what = fmt.Sprintf("%s on %s", t.Event, t.Branch)
	default:
		what = t.Event
	}
	if t.Repo != "" {
		what += " in " + t.Repo
	}
	return "Trigger: " + what + "."
}
