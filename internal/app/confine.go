package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/go-github/v60/github"

	"github.com/ladder-release/ladder/internal/config"
	"github.com/ladder-release/ladder/internal/fanout"
	"github.com/ladder-release/ladder/internal/lock"
	"github.com/ladder-release/ladder/internal/session"
	"github.com/ladder-release/ladder/internal/source"
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

// lockCommitsExist asks each component's source whether the lock's commit
// exists there (for a tag ref, that the tag exists and names the commit: a
// from: rule publishes the tag's version): one lookup per component (for a git: component, one ref
// listing, and a fetch when the commit is the tip of no branch or tag), all
// at once, at most maxConcurrentComponents at a time. A lock is data a job
// hands the next; one naming a commit its repository lacks would publish a
// bundle no one can build.
func (r *run) lockCommitsExist(ctx context.Context, sec session.Secrets, l lock.Lock) error {
	var (
		gh  *github.Client
		git *source.GitHTTP // asked nothing: a commit by SHA is a REST question
	)
	for _, e := range l.Components {
		if e.Repo != "" {
			var err error
			if gh, err = r.GitHub(sec); err != nil {
				return err
			}
			if git, err = r.GitRefs(sec); err != nil {
				return err
			}
			break
		}
	}
	// Every bad entry is reported, not just the first: each check keeps its
	// error and the fan-out goes on.
	errs := make([]error, len(l.Components))
	check := func(ctx context.Context, i int) error {
		e := l.Components[i]
		var src source.Source
		var err error
		where := e.Repo
		if e.Repo != "" {
			src, err = source.NewGitHub(gh, git, e.Repo)
		} else {
			where = "its git remote" // the URL may hold credentials: the source names it without them
			var g *source.Git
			if g, err = source.NewGit(e.Git); err == nil {
				src, where = g, strings.TrimPrefix(g.String(), "git:")
			}
		}
		tag, isTag := strings.CutPrefix(e.Ref, "refs/tags/")
		if err == nil && isTag {
			// the tag must exist and name this very commit: the version a
			// from: rule publishes comes from it (GitHub: one REST request;
			// git: the remote's ref listing)
			var got string
			if t, ok := src.(interface {
				TagCommit(context.Context, string) (string, error)
			}); ok {
				got, err = t.TagCommit(ctx, tag)
			} else {
				got, err = src.Commit(ctx, tag)
			}
			switch {
			case errors.Is(err, source.ErrNotFound):
				return fmt.Errorf("components[%d].ref (%s): tag %s does not exist in %s", i, e.Name, tag, where)
			case err == nil && got != e.Commit:
				return fmt.Errorf("components[%d].ref (%s): tag %s is commit %s in %s, not the lock's commit %s", i, e.Name, tag, got, where, e.Commit)
			case err != nil:
				return fmt.Errorf("components[%d].ref (%s): reading tag %s in %s: %w", i, e.Name, tag, where, err)
			}
			return nil
		}
		if err == nil {
			var got string
			got, err = src.Commit(ctx, e.Commit)
			if err == nil && got != e.Commit {
				err = fmt.Errorf("the source answered %s: %w", got, source.ErrNotFound)
			}
		}
		switch {
		case err == nil:
			return nil
		case errors.Is(err, source.ErrNotFound):
			return fmt.Errorf("components[%d].commit (%s): commit %s does not exist in %s", i, e.Name, e.Commit, where)
		default:
			return fmt.Errorf("components[%d].commit (%s): checking that commit %s exists in %s: %w", i, e.Name, e.Commit, where, err)
		}
	}
	err := fanout.Each(ctx, len(l.Components), maxConcurrentComponents, func(ctx context.Context, i int) error {
		errs[i] = check(ctx, i)
		return nil
	})
	return errors.Join(append(errs, err)...)
}
