package source

import (
	"context"
	"fmt"

	"github.com/ladder-release/ladder/internal/channel"
)

// Observe reads from src what c's policy needs: the branch head, the
// highest matching tag, or the pinned commit.
func Observe(ctx context.Context, src Source, c channel.Component) (channel.Observed, error) {
	var obs channel.Observed
	switch c.Policy.Kind {
	case channel.KindBranch:
		sha, err := src.Branch(ctx, c.Policy.Branch)
		if err != nil {
			return obs, err
		}
		obs.BranchCommit = sha
	case channel.KindSemver:
		tags, err := src.Tags(ctx, c.TagPrefix)
		if err != nil {
			return obs, err
		}
		obs.Tags = make([]channel.Tag, len(tags))
		for i, t := range tags {
			obs.Tags[i] = channel.Tag{Name: t.Name, Commit: t.Commit}
		}
		// Pick the highest tag here, per component and concurrently with the
		// other components' listings, rather than for all of them in a row
		// in channel.Resolve (2,000 tags are 2,000 versions to parse). The
		// pick is channel's own, which Resolve repeats over the winner; without
		// one, Resolve gets every tag, to say why none matched.
		if best, _, err := channel.HighestTag(c.TagPrefix, c.Policy.Semver, c.Policy.Prerelease, obs.Tags); err == nil {
			obs.Tags = []channel.Tag{best}
		}
	case channel.KindPin:
		sha, err := src.Commit(ctx, c.Policy.Pin)
		if err != nil {
			return obs, err
		}
		obs.PinCommit = sha
	default:
		return obs, fmt.Errorf("policy %s has no source", c.Policy.Kind)
	}
	return obs, nil
}
