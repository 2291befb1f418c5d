package report

import (
	"fmt"

	"github.com/ladder-release/ladder/internal/action"
	"github.com/ladder-release/ladder/internal/config"
	"github.com/ladder-release/ladder/internal/lock"
	"github.com/ladder-release/ladder/internal/redact"
)

// Resolution is what resolve-channel's summary shows.
type Resolution struct {
	Channel    config.Channel
	Lock       lock.Lock
	Version    string
	PassedOver []string // the versions a bump passed over, each with who holds it
	Changed    bool
	DryRun     bool
}

// Resolve fills s with resolve-channel's summary.
func Resolve(s *action.Summary, res Resolution) {
	heading(s, "resolve-channel: "+res.Channel.Name, res.DryRun)
	s.Table([]string{"version", "lock digest", "id", "changed"},
		[][]string{{res.Version, res.Lock.Digest(), res.Lock.CompositeID(), fmt.Sprint(res.Changed)}})
	passedOver(s, res.PassedOver)
	rows := make([][]string, 0, len(res.Lock.Components))
	for _, e := range res.Lock.Components {
		src := e.Repo
		if src == "" {
			src, _ = redact.URL(e.Git) // a token in the remote's URL stays out of the summary
		}
		rows = append(rows, []string{e.Name, src, describePolicy(res.Channel.PolicyFor(e.Name)), e.Ref, e.Version, lock.Short(e.Commit)})
	}
	s.Table([]string{"component", "source", "policy", "ref", "version", "commit"}, rows)
}

func describePolicy(p config.Policy) string {
	switch {
	case p.Branch != "":
		return "branch " + p.Branch
	case p.Semver != "":
		if p.Prerelease {
			return "semver " + p.Semver + " (prereleases)"
		}
		return "semver " + p.Semver
	case p.Pin != "":
		return "pin " + p.Pin
	case p.Label != "":
		return "label " + p.Label
	}
	return ""
}
