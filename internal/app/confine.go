package app

import (
	"errors"
	"fmt"

	"github.com/ladder-release/ladder/internal/config"
	"github.com/ladder-release/ladder/internal/tagname"
)

// What a workflow hands build-bundle is checked before anything is written
// (SPEC section 4, build-bundle; section 7, Confinement): extra tags never
// take one of ladder's own names, files never leave the workspace, and a
// lock names the config's components at commits their sources hold.

// refuseReservedTags refuses every extra tag (the tags input) that is one of
// ladder's own: a version, a channel or label of cfg, a label's -previous, a
// retired name's -eol, a commit tag, a composite id or the catalog. Writing
// one would move a ledger view with no gate and no ledger entry, or squat a
// version a later publish needs.
func refuseReservedTags(cfg *config.Config, tags []string) error {
	var n tagname.Names
	for _, c := range cfg.Channels {
		n.Channels = append(n.Channels, c.Name)
	}
	for _, l := range cfg.Labels {
		n.Labels = append(n.Labels, l.Name)
	}
	var errs []error
	for _, t := range tags {
		if why := tagname.Reserved(t, n); why != "" {
			errs = append(errs, fmt.Errorf("input tags: %q %s", t, why))
		}
	}
	return errors.Join(errs...)
}
