package source

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/google/go-github/v60/github"
)

// GitHub reads a `repo:` component: branch heads, tag listings and tag pins
// through git's smart HTTP protocol at the server (GitHTTP: at most two
// requests whatever the number of tags, none from the REST API's rate
// limit), and only what git cannot answer through the REST API: whether a
// commit pinned by SHA exists.
type GitHub struct {
	rest        *github.Client
	git         *GitHTTP
	owner, name string
}

var repoRE = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`)
var fullSHARE = regexp.MustCompile(`^[0-9a-f]{40}$`)

// NewGitHub returns a source for repo ("owner/name"), listed through git
// and read through rest.
func NewGitHub(rest *github.Client, git *GitHTTP, repo string) (*GitHub, error) {
	if !repoRE.MatchString(repo) {
		return nil, fmt.Errorf("repository %q is not owner/name", repo)
	}
	if rest == nil || git == nil {
		return nil, errors.New("NewGitHub needs a REST client and a git client")
	}
	owner, name, _ := strings.Cut(repo, "/")
	return &GitHub{rest: rest, git: git, owner: owner, name: name}, nil
}

func (g *GitHub) repo() string { return g.owner + "/" + g.name }

// Branch returns the head commit of branch: one ls-refs for refs/heads/BRANCH.
func (g *GitHub) Branch(ctx context.Context, branch string) (string, error) {
	commit, found, err := g.refCommit(ctx, "refs/heads/"+branch)
	switch {
	case err != nil:
		return "", fmt.Errorf("branch %q: %w", branch, err)
	case !found:
		return "", fmt.Errorf("branch %q not found in %s: %w", branch, g.repo(), ErrNotFound)
	}
	return commit, nil
}

// refCommit is the commit of the ref named full (refs/heads/X,
// refs/tags/X), peeled, from one ls-refs; found is false when the
// repository has no such ref.
func (g *GitHub) refCommit(ctx context.Context, full string) (commit string, found bool, err error) {
	refs, err := g.git.LsRefs(ctx, g.repo(), full)
	if err != nil {
		return "", false, err
	}
	for _, r := range refs {
		if r.Name == full {
			return r.Commit(), true, nil
		}
	}
	return "", false, nil
}

// Tags lists the tags whose name starts with prefix, peeled, sorted by name:
// one ls-refs for refs/tags/PREFIX, however many tags there are.
func (g *GitHub) Tags(ctx context.Context, prefix string) ([]Tag, error) {
	refs, err := g.git.LsRefs(ctx, g.repo(), "refs/tags/"+prefix)
	if err != nil {
		return nil, fmt.Errorf("listing tags: %w", err)
	}
	tags := make([]Tag, 0, len(refs))
	for _, r := range refs {
		name, ok := strings.CutPrefix(r.Name, "refs/tags/")
		if !ok || strings.HasSuffix(name, "^{}") || !strings.HasPrefix(name, prefix) {
			continue
		}
		tags = append(tags, Tag{Name: name, Commit: r.Commit()})
	}
	return tags, nil
}

// Commit resolves a pin. A tag name (refs/tags/ optional) is listed through
// git and peeled; a full commit SHA is looked up through the REST API, which
// says whether the repository holds it (git's protocol only lists refs).
func (g *GitHub) Commit(ctx context.Context, ref string) (string, error) {
	if fullSHARE.MatchString(strings.ToLower(ref)) {
		sha, err := g.commitSHA(ctx, strings.ToLower(ref))
		if err != nil {
			return "", fmt.Errorf("%s: pin %q: %w", g.repo(), ref, err)
		}
		return sha, nil
	}
	name := strings.TrimPrefix(ref, "refs/tags/")
	commit, found, err := g.refCommit(ctx, "refs/tags/"+name)
	if err != nil {
		return "", fmt.Errorf("pin %q: %w", ref, err)
	}
	if found {
		return commit, nil
	}
	hint := ""
	if isHex(ref) && len(ref) >= 4 {
		hint = " (a commit pin must be a full 40-hex SHA)"
	}
	return "", fmt.Errorf("pin %q: tag %q not found in %s%s: %w", ref, name, g.repo(), hint, ErrNotFound)
}

// TagCommit is the commit tag names (peeled), in one REST request
// (GET commits/tags/TAG, which GitHub resolves as it does a SHA): what
// build-bundle asks to check a lock's tag ref, one request per component.
// A tag that does not exist returns ErrNotFound.
func (g *GitHub) TagCommit(ctx context.Context, tag string) (string, error) {
	sha, err := g.commitSHA(ctx, "tags/"+tag)
	if err != nil {
		return "", fmt.Errorf("%s: tag %q: %w", g.repo(), tag, err)
	}
	return sha, nil
}

func (g *GitHub) commitSHA(ctx context.Context, ref string) (string, error) {
	sha, _, err := g.rest.Repositories.GetCommitSHA1(ctx, g.owner, g.name, ref, "")
	if err != nil {
		return "", classify(err)
	}
	sha = strings.TrimSpace(sha)
	if !fullSHARE.MatchString(sha) {
		return "", fmt.Errorf("GitHub answered %q, not a commit SHA", sha)
	}
	return sha, nil
}

// classify turns GitHub's "no such ref" answers into ErrNotFound. GitHub says
// 404 for an unknown repository or ref and 422 ("No commit found for SHA") for
// a ref it cannot parse or resolve.
func classify(err error) error {
	var er *github.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		switch er.Response.StatusCode {
		case http.StatusNotFound, http.StatusUnprocessableEntity:
			return fmt.Errorf("%w (GitHub: %d %s)", ErrNotFound, er.Response.StatusCode, er.Message)
		}
	}
	return err
}
