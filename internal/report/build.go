package report

import (
	"fmt"
	"strings"

	"github.com/ladder-release/ladder/internal/action"
	"github.com/ladder-release/ladder/internal/changes"
	"github.com/ladder-release/ladder/internal/lock"
)

// Published is build-bundle's result.
type Published struct {
	Published bool
	Digest    string
	Ref       string
	Version   string
	Tags      []string
	Replaces  string
	Reason    string // why nothing was published
	// Superseded: a newer lock is at the channel's head (Digest and Version
	// name it).
	Superseded bool
	PassedOver []string // what a bump passed over: "0.0.3 (held by channel staging)"
	Deleted    []string
	Graph      string // mermaid of the channel's stream
	// ReplacesDigest and ReplacesLock are the replaced bundle's digest and
	// lock digest; Changes what this one brings over it (nil: none).
	ReplacesDigest, ReplacesLock string
	Changes                      *changes.Set
}

// Build fills s with build-bundle's summary: res, the publish of lock l
// into channel ch.
func Build(s *action.Summary, ch string, l lock.Lock, res *Published, dryRun bool) {
	heading(s, "build-bundle: "+ch, dryRun)
	if !res.Published {
		s.Paragraph("Nothing published: " + res.Reason + ".")
	}
	s.Table([]string{"published", "version", "digest", "replaces", "lock digest", "id"},
		[][]string{{fmt.Sprint(res.Published), res.Version, res.Digest, res.Replaces, l.Digest(), l.CompositeID()}})
	passedOver(s, res.PassedOver)
	if len(res.Tags) > 0 {
		s.Paragraph("Tags: " + strings.Join(res.Tags, ", "))
	}
	if len(res.Deleted) > 0 {
		s.Paragraph("Retention deleted: " + strings.Join(res.Deleted, ", "))
	}
	whatChanged(s, res.Changes, res.Replaces)
	if res.Graph != "" {
		s.Mermaid(res.Graph)
	}
}
