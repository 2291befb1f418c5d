package source

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/go-github/v60/github"

	"github.com/ladder-release/ladder/internal/changes"
	"github.com/ladder-release/ladder/internal/fanout"
	"github.com/ladder-release/ladder/internal/lock"
)

// What changed (story S8): build-bundle and promote-label compare the new
// bundle's lock with the one it replaces; `ladder diff` compares any two.
// Gather (GitHub's compare per repo: component), decide (changes.Build,
// pure). Nothing here fails: a compare GitHub refuses makes that
// component's changes unknown.

// maxConcurrentCompares bounds the compares in flight at once.
const maxConcurrentCompares = 8

// WhatChanged compares two locks: GitHub's compare API for each repo:
// component whose commit moved (concurrently, at most
// maxConcurrentCompares at once), the range for a git: one.
// client (nil with clientErr when none could be made) asks GitHub.
func WhatChanged(ctx context.Context, client *github.Client, clientErr error, from, to lock.Lock) changes.Set {
	reqs := changes.Plan(from, to)
	answers := make(map[string]changes.Compare, len(reqs))
	if len(reqs) == 0 {
		return changes.Build(from, to, answers)
	}
	if clientErr != nil {
		for _, q := range reqs {
			answers[q.Component] = changes.Compare{Err: clientErr.Error()}
		}
		return changes.Build(from, to, answers)
	}
	got := make([]changes.Compare, len(reqs))
	_ = fanout.Each(ctx, len(reqs), maxConcurrentCompares, func(ctx context.Context, i int) error {
		got[i] = compareCommits(ctx, client, reqs[i])
		return nil
	})
	for i, q := range reqs {
		if got[i].Err == "" && got[i].Status == "" {
			got[i].Err = "not compared: " + errString(ctx.Err())
		}
		answers[q.Component] = got[i]
	}
	return changes.Build(from, to, answers)
}

func errString(err error) string {
	if err == nil {
		return "no answer"
	}
	return err.Error()
}

// compareCommits asks GitHub for base...head, the first changes.Shown
// commits listed (a page from the oldest: total_commits still counts them
// all).
func compareCommits(ctx context.Context, c *github.Client, q changes.Request) changes.Compare {
	owner, name, _ := strings.Cut(q.Repo, "/")
	cmp, _, err := c.Repositories.CompareCommits(ctx, owner, name, q.Base, q.Head, &github.ListOptions{PerPage: changes.Shown})
	if err != nil {
		var er *github.ErrorResponse
		if errors.As(err, &er) && er.Response != nil {
			return changes.Compare{Err: fmt.Sprintf("GitHub's compare of %s...%s in %s answered %d %s", lock.Short(q.Base), lock.Short(q.Head), q.Repo, er.Response.StatusCode, er.Message)}
		}
		return changes.Compare{Err: fmt.Sprintf("comparing %s...%s in %s: %v", lock.Short(q.Base), lock.Short(q.Head), q.Repo, err)}
	}
	out := changes.Compare{Status: cmp.GetStatus(), AheadBy: cmp.GetAheadBy(), BehindBy: cmp.GetBehindBy(),
		TotalCommits: cmp.GetTotalCommits(), URL: cmp.GetHTMLURL()}
	for _, rc := range cmp.Commits {
		out.Commits = append(out.Commits, changes.Commit{SHA: rc.GetSHA(), Subject: rc.GetCommit().GetMessage(),
			Author: rc.GetCommit().GetAuthor().GetName()})
	}
	return out
}
