package app

import (
	"context"

	"github.com/google/go-github/v60/github"

	"github.com/ladder-release/ladder/internal/lock"
	"github.com/ladder-release/ladder/internal/session"
	"github.com/ladder-release/ladder/internal/source"
)

// What a workflow hands build-bundle is checked before anything is written
// (SPEC section 4, build-bundle; section 7, Confinement): extra tags never
// take one of ladder's own names, files never leave the workspace, and a
// lock names the config's components at commits their sources hold.

// lockCommitsExist asks each component's source whether the lock's commit
// exists there (source.CheckCommits), with the run's GitHub and git clients
// when a component is on GitHub.
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
	return source.CheckCommits(ctx, gh, git, l, maxConcurrentComponents)
}
