package source

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/go-github/v60/github"

	"github.com/ladder-release/ladder/internal/fanout"
	"github.com/ladder-release/ladder/internal/lock"
)

// CheckCommits asks each component's source whether the lock's commit
// exists there (for a tag ref, that the tag exists and names the commit: a
// from: rule publishes the tag's version): one lookup per component (for a git: component, one ref
// listing, and a fetch when the commit is the tip of no branch or tag), all
// at once, at most limit at a time. A lock is data a job
// hands the next; one naming a commit its repository lacks would publish a
// bundle no one can build.
// gh and git are the clients for repo: components (nil when there is none).
func CheckCommits(ctx context.Context, gh *github.Client, git *GitHTTP, l lock.Lock, limit int) error {
	// Every bad entry is reported, not just the first: each check keeps its
	// error and the fan-out goes on.
	errs := make([]error, len(l.Components))
	check := func(ctx context.Context, i int) error {
		e := l.Components[i]
		var src Source
		var err error
		where := e.Repo
		if e.Repo != "" {
			src, err = NewGitHub(gh, git, e.Repo)
		} else {
			where = "its git remote" // the URL may hold credentials: the source names it without them
			var g *Git
			if g, err = NewGit(e.Git); err == nil {
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
			case errors.Is(err, ErrNotFound):
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
				err = fmt.Errorf("the source answered %s: %w", got, ErrNotFound)
			}
		}
		switch {
		case err == nil:
			return nil
		case errors.Is(err, ErrNotFound):
			return fmt.Errorf("components[%d].commit (%s): commit %s does not exist in %s", i, e.Name, e.Commit, where)
		default:
			return fmt.Errorf("components[%d].commit (%s): checking that commit %s exists in %s: %w", i, e.Name, e.Commit, where, err)
		}
	}
	err := fanout.Each(ctx, len(l.Components), limit, func(ctx context.Context, i int) error {
		errs[i] = check(ctx, i)
		return nil
	})
	return errors.Join(append(errs, err)...)
}
