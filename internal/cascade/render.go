package cascade

import (
	"encoding/json"
	"fmt"
	"github.com/ladder-release/ladder/internal/mermaid"
	"strings"
)

// Targets are the plan's dispatches as {repo, branch}, in dispatch order;
// never nil, so it serializes as [] when empty.
func (p *DispatchPlan) Targets() []Target {
	out := make([]Target, 0, len(p.Dispatches))
	for _, d := range p.Dispatches {
		out = append(out, d.Target())
	}
	return out
}

// TargetsJSON is Targets as compact JSON, the `targets` output.
func (p *DispatchPlan) TargetsJSON() string { return mustJSON(p.Targets()) }

// ChainJSON is the chain so far as compact JSON ([{repo, branch, sha}...]),
// the `chain` output.
func (p *DispatchPlan) ChainJSON() string {
	chain := p.Chain
	if chain == nil {
		chain = []Hop{}
	}
	return mustJSON(chain)
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil { // slices of plain string structs: cannot happen
		return "[]"
	}
	return string(b)
}

// Mermaid renders the plan as a mermaid flowchart (without the code fence):
// a node per run of the chain and per target, an edge per hop, the targets
// dashed and the edges to them labelled with the event type. Names are
// untrusted text: every character that means something to mermaid or
// markdown is written as an entity code. "" when there is nothing to draw.
func (p *DispatchPlan) Mermaid() string {
	if len(p.Chain) == 0 && len(p.Dispatches) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	for i, h := range p.Chain {
		label := mermaid.Text(h.String())
		if h.SHA != "" {
			label += "<br/>" + mermaid.Text(short(h.SHA))
		}
		if i == len(p.Chain)-1 && p.Trigger.Channel != "" {
			label += "<br/>published " + mermaid.Text(p.Trigger.Channel)
		}
		if i == len(p.Chain)-1 && p.Trigger.Label != "" {
			label += "<br/>moved " + mermaid.Text(p.Trigger.Label)
		}
		fmt.Fprintf(&b, "  h%d[\"%s\"]\n", i, label)
	}
	for i := 1; i < len(p.Chain); i++ {
		fmt.Fprintf(&b, "  h%d --> h%d\n", i-1, i)
	}
	last := len(p.Chain) - 1
	for i, d := range p.Dispatches {
		label := mermaid.Text(d.Target().String())
		if d.Branch == "" {
			label += "<br/>default branch"
		}
		fmt.Fprintf(&b, "  t%d[\"%s\"]\n", i, label)
		if last >= 0 {
			fmt.Fprintf(&b, "  h%d -->|\"%s\"| t%d\n", last, mermaid.Text(d.EventType), i)
		}
	}
	if len(p.Dispatches) > 0 {
		b.WriteString("  classDef target stroke-dasharray: 5 5\n")
		b.WriteString("  class ")
		for i := range p.Dispatches {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "t%d", i)
		}
		b.WriteString(" target\n")
	}
	return b.String()
}

func short(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}
