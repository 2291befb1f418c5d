package report

import (
	"fmt"
	"time"

	"github.com/ladder-release/ladder/internal/action"
	"github.com/ladder-release/ladder/internal/cascade"
	"github.com/ladder-release/ladder/internal/retire"
)

// Retirement is what ladder retire's log line and summary show.
type Retirement struct {
	Kind, Name string // "channel" or "label", and its name
	Decision   retire.Decision
	Reason     string // the reason this run was given (an undo's)
	Untagged   bool   // the registry's tags do not show it yet
	DryRun     bool
	// Plan are the end-of-life dispatches (nil: none), Status the result of
	// each, by target.
	Plan   *cascade.DispatchPlan
	Status map[string]string
}

// Line is the sentence ladder retire logs and its summary starts with.
func (v Retirement) Line() string {
	ret := v.Decision.Retirement
	what, at := v.Kind+" "+v.Name, ret.At.UTC().Format(time.RFC3339)
	var line string
	switch v.Decision.Kind {
	case retire.Retire:
		line = fmt.Sprintf("%s retired at %s (%s): it stays at %s (%s), tagged %s and %s-eol", what, at, ret.Reason, ret.Version, ret.Digest, v.Name, v.Name)
	case retire.Finish:
		line = fmt.Sprintf("%s was already retired at %s (%s); this run finished it: tags %s and %s-eol on %s", what, at, ret.Reason, v.Name, v.Name, ret.Version)
	case retire.Undo:
		line = fmt.Sprintf("the retirement of %s (at %s, %s) is undone (%s): build-bundle and promote-label work again; %s-eol stays on %s", what, at, ret.Reason, v.Reason, v.Name, ret.Version)
	}
	if v.Untagged && v.Decision.Kind != retire.Undo {
		line = fmt.Sprintf("%s retired at %s (%s): it stays at %s (%s); the tags %s and %s-eol are not written yet (rerun retire)", what, at, ret.Reason, ret.Version, ret.Digest, v.Name, v.Name)
	}
	if v.DryRun {
		line = "dry run, nothing written: " + line
	}
	return line
}

// Retire fills s with ladder retire's summary.
func Retire(s *action.Summary, v Retirement) {
	ret := v.Decision.Retirement
	what := v.Kind + " " + v.Name
	title := "retire: " + what
	if v.Decision.Kind == retire.Undo {
		title += " (undo)"
	}
	heading(s, title, v.DryRun)
	s.Paragraph(v.Line() + ".")
	s.Table([]string{"stream", "final version", "digest", "retired at", "by", "run", "reason"},
		[][]string{{what, ret.Version, ret.Digest, ret.At.UTC().Format(time.RFC3339), orDash(ret.Actor), orDash(ret.Run), ret.Reason}})
	if p := v.Plan; p != nil && len(p.Dispatches) > 0 {
		rows := make([][]string, len(p.Dispatches))
		for i, d := range p.Dispatches {
			rows[i] = []string{d.Repo, d.EventType, v.Status[d.Repo]}
		}
		s.Heading("End of life told", 3)
		s.Table([]string{"target", "event type", "result"}, rows)
	}
}
