package config

// What the actions check against the config before they write: names the
// config lacks, a lock handed from another job, extra tags, and the cascade
// rules the config's section makes.

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/ladder-release/ladder/internal/cascade"
	"github.com/ladder-release/ladder/internal/channel"
	"github.com/ladder-release/ladder/internal/lock"
	"github.com/ladder-release/ladder/internal/redact"
	"github.com/ladder-release/ladder/internal/tagname"
)

// ChannelNames are the config's channels, in order.
func (cfg *Config) ChannelNames() []string {
	names := make([]string, len(cfg.Channels))
	for i, c := range cfg.Channels {
		names[i] = c.Name
	}
	return names
}

// LabelNames are the config's labels, in order.
func (cfg *Config) LabelNames() []string {
	names := make([]string, len(cfg.Labels))
	for i, l := range cfg.Labels {
		names[i] = l.Name
	}
	return names
}

// UnknownChannel is the error about a channel input the config does not
// have: it lists the channels, and suggests the one that was meant.
func (cfg *Config) UnknownChannel(name string) error {
	names := cfg.ChannelNames()
	return fmt.Errorf("input channel: %q is not a channel of %s (channels: %s)%s", name, cfg.File, strings.Join(names, ", "), Suggest(name, names))
}

// UnknownLabel is the error for a label input the config does not hold (a
// name the run finds missing, exit 1, like an unknown channel).
func (cfg *Config) UnknownLabel(name string) error {
	names := cfg.LabelNames()
	return fmt.Errorf("input label: %q is not a label of %s (labels: %s)%s", name, cfg.File, strings.Join(names, ", "), Suggest(name, names))
}

// CascadeRules converts the config's cascade section; the event-type input,
// when set, replaces cascade.event-type (an entry's own event-type still wins).
func (cfg *Config) CascadeRules(eventType string) cascade.Rules {
	var rules cascade.Rules
	if c := cfg.Cascade; c != nil {
		rules.EventType = c.EventType
		rules.Branches = c.Branches
		for _, rr := range c.Repos {
			rules.Repos = append(rules.Repos, cascade.RepoRule{Repo: rr.Repo, WhenBranch: rr.When.Branch, WhenChannel: rr.When.Channel, WhenLabel: rr.When.Label, EventType: rr.EventType})
		}
	}
	if eventType != "" {
		rules.EventType = eventType
	}
	return rules
}

// CheckLock: the lock holds exactly the config's components, each
// from the same source. A lock is data a job hands to the next one; one
// naming another repository (a fork, or a path that redirects an API call)
// would carry, and have gates read, evidence of commits the config never
// named; one missing a component would publish a product without it.
func (cfg *Config) CheckLock(l lock.Lock) error {
	for i, e := range l.Components {
		c, ok := cfg.Component(e.Name)
		switch {
		case !ok:
			return fmt.Errorf("components[%d]: component %q is not in %s", i, e.Name, cfg.File)
		case e.Repo != c.Repo:
			return fmt.Errorf("components[%d].repo (%s): %q, but %s says %q", i, e.Name, e.Repo, cfg.File, c.Repo)
		case e.Git != c.Git:
			lockGit, _ := redact.URL(e.Git) // the error is printed: no credentials
			cfgGit, _ := redact.URL(c.Git)
			return fmt.Errorf("components[%d].git (%s): %q, but %s says %q", i, e.Name, lockGit, cfg.File, cfgGit)
		}
	}
	for _, c := range cfg.Components {
		if _, ok := l.Entry(c.Name); !ok {
			return fmt.Errorf("components: no entry for component %q of %s", c.Name, cfg.File)
		}
	}
	for i, e := range l.Components {
		if c := cfg.Components[i]; c.Name != e.Name {
			// the same commits in another order would be another lock (its
			// digest, its composite id): published twice
			return fmt.Errorf("components[%d]: %q, but the config's component %d is %q: a lock lists the components in the config's order", i, e.Name, i+1, c.Name)
		}
		if err := channel.CheckEntry(e, cfg.Components[i].TagPrefix); err != nil {
			return fmt.Errorf("components[%d].%w", i, err)
		}
	}
	return nil
}

// RefuseReservedTags refuses every extra tag (the tags input) that is one of
// ladder's own: a version, a channel or label of cfg, a label's -previous, a
// retired name's -eol, a commit tag, a composite id or the catalog. Writing
// one would move a ledger view with no gate and no ledger entry, or squat a
// version a later publish needs.
func (cfg *Config) RefuseReservedTags(tags []string) error {
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

// ChannelComponents applies a channel's policies to the config's components.
func (cfg *Config) ChannelComponents(ch Channel) []channel.Component {
	out := make([]channel.Component, 0, len(cfg.Components))
	for _, c := range cfg.Components {
		p := ch.PolicyFor(c.Name)
		cp := channel.Policy{Branch: p.Branch, Semver: p.Semver, Prerelease: p.Prerelease, Pin: p.Pin}
		switch {
		case p.Branch != "":
			cp.Kind = channel.KindBranch
		case p.Semver != "":
			cp.Kind = channel.KindSemver
		case p.Pin != "":
			cp.Kind = channel.KindPin
		case p.Label != "":
			cp.Kind = channel.KindLabel
		}
		out = append(out, channel.Component{Name: c.Name, Repo: c.Repo, Git: c.Git, TagPrefix: c.TagPrefix, Policy: cp})
	}
	return out
}

// EOLTargets are the cascade.repos targets whose when names the channel (or
// the label) name, once each (repositories compare without case), in config
// order: whom retire tells.
func (cfg *Config) EOLTargets(isChannel bool, name string) []string {
	var out []string
	if cfg.Cascade == nil {
		return nil
	}
	for _, rr := range cfg.Cascade.Repos {
		if (isChannel && rr.When.Channel == name || !isChannel && rr.When.Label == name) &&
			!slices.ContainsFunc(out, func(s string) bool { return strings.EqualFold(s, rr.Repo) }) {
			out = append(out, rr.Repo)
		}
	}
	return out
}
