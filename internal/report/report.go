// Package report fills the step summaries (GITHUB_STEP_SUMMARY) of the
// actions: one function per action takes an *action.Summary and plain values
// (what the action decided and did) and adds the markdown. Nothing here reads
// or writes anything: the caller in internal/app starts the summary, hands it
// here and writes it.
package report

import (
	"strings"

	"github.com/ladder-release/ladder/internal/action"
	"github.com/ladder-release/ladder/internal/changes"
)

// heading adds the summary's title: "ladder <title>", " (dry run)" added
// on a dry run.
func heading(s *action.Summary, title string, dryRun bool) {
	if dryRun {
		title += " (dry run)"
	}
	s.Heading("ladder "+title, 2)
}

// passedOver adds what a version bump passed over (nothing when none).
func passedOver(s *action.Summary, versions []string) {
	if len(versions) > 0 {
		s.Paragraph("The bump passed over " + strings.Join(versions, ", ") + ": a version is unique per product.")
	}
}

// whatChanged adds the "What changed" section (nothing when set is nil).
func whatChanged(s *action.Summary, set *changes.Set, since string) {
	if set == nil {
		return
	}
	s.Heading("What changed since "+since, 3)
	if md := set.Markdown(action.EscapeMarkdown); md != "" {
		s.Markdown(md)
	} else {
		s.Paragraph("No components.")
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
