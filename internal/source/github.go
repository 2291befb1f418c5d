package source

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"

	"github.com/google/go-github/v60/github"
)

// GitHub reads a `repo:` component through the GitHub REST API.
type GitHub struct {
	client      *github.Client
	owner, name string
}

var repoRE = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`)
var fullSHARE = regexp.MustCompile(`^[0-9a-f]{40}$`)

// NewGitHub returns a source for repo ("owner/name") read with client.
func NewGitHub(client *github.Client, repo string) (*GitHub, error) {
	if !repoRE.MatchString(repo) {
		return nil, fmt.Errorf("repository %q is not owner/name", repo)
	}
	owner, name, _ := strings.Cut(repo, "/")
	return &GitHub{client: client, owner: owner, name: name}, nil
}

func (g *GitHub) repo() string { return g.owner + "/" + g.name }

// Branch returns the head commit of branch: one request, answered with just the
// SHA (application/vnd.github.sha).
func (g *GitHub) Branch(ctx context.Context, branch string) (string, error) {
	sha, err := g.commitSHA(ctx, "heads/"+branch)
	if err != nil {
		return "", fmt.Errorf("%s: branch %q: %w", g.repo(), branch, err)
	}
	return sha, nil
}

// Tags lists every tag with the prefix, 100 per page; the tags API gives each
// tag's commit, so annotated tags cost nothing extra. The first page's Link
// header says how many pages there are; the rest are fetched concurrently
// (the HTTP client bounds how many requests are in flight in all), so 500
// tags cost 5 requests and 2 round trips.
func (g *GitHub) Tags(ctx context.Context, prefix string) ([]Tag, error) {
	first, resp, err := g.listTags(ctx, 1)
	if err != nil {
		return nil, fmt.Errorf("%s: listing tags: %w", g.repo(), classify(err))
	}
	pages := [][]tagEntry{first}
	switch {
	case resp.LastPage > 1:
		rest := make([][]tagEntry, resp.LastPage-1)
		errs := make([]error, len(rest))
		var wg sync.WaitGroup
		for i := range rest {
			wg.Add(1)
			go func() {
				defer wg.Done()
				page, _, err := g.listTags(ctx, i+2)
				rest[i], errs[i] = page, err
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return nil, fmt.Errorf("%s: listing tags: %w", g.repo(), classify(err))
		}
		pages = append(pages, rest...)
	case resp.NextPage != 0:
		// No "last" link: walk the pages in order.
		for next := resp.NextPage; next != 0; next = resp.NextPage {
			page, r, err := g.listTags(ctx, next)
			if err != nil {
				return nil, fmt.Errorf("%s: listing tags: %w", g.repo(), classify(err))
			}
			pages, resp = append(pages, page), r
		}
	}
	var out []Tag
	for _, page := range pages {
		for _, t := range page {
			if strings.HasPrefix(t.Name, prefix) {
				out = append(out, Tag{Name: t.Name, Commit: t.Commit.SHA})
			}
		}
	}
	return out, nil
}

// tagEntry is the part of a GET /repos/{owner}/{repo}/tags entry ladder
// reads; decoding only it keeps 500 tags cheap.
type tagEntry struct {
	Name   string `json:"name"`
	Commit struct {
		SHA string `json:"sha"`
	} `json:"commit"`
}

// listTags reads one page of 100 tags.
func (g *GitHub) listTags(ctx context.Context, page int) ([]tagEntry, *github.Response, error) {
	u := fmt.Sprintf("repos/%s/%s/tags?per_page=100&page=%d", url.PathEscape(g.owner), url.PathEscape(g.name), page)
	req, err := g.client.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, err
	}
	var out []tagEntry
	resp, err := g.client.Do(ctx, req, &out)
	if err != nil {
		return nil, resp, err
	}
	return out, resp, nil
}

// Commit resolves a pin: a tag name or a full commit SHA, which must exist.
// GitHub documents the commits endpoint's ref as a SHA, heads/BRANCH or tags/TAG.
func (g *GitHub) Commit(ctx context.Context, ref string) (string, error) {
	q := ref
	if !fullSHARE.MatchString(ref) {
		q = "tags/" + ref
	}
	sha, err := g.commitSHA(ctx, q)
	if err != nil {
		return "", fmt.Errorf("%s: pin %q: %w", g.repo(), ref, err)
	}
	return sha, nil
}

func (g *GitHub) commitSHA(ctx context.Context, ref string) (string, error) {
	sha, _, err := g.client.Repositories.GetCommitSHA1(ctx, g.owner, g.name, ref, "")
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
