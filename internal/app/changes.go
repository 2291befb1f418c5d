package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/go-github/v60/github"

	"github.com/ladder-release/ladder/internal/action"
	"github.com/ladder-release/ladder/internal/bundle"
	"github.com/ladder-release/ladder/internal/changes"
	"github.com/ladder-release/ladder/internal/config"
	"github.com/ladder-release/ladder/internal/ledger"
	"github.com/ladder-release/ladder/internal/lock"
	"github.com/ladder-release/ladder/internal/oci"
	"github.com/ladder-release/ladder/internal/session"
)

// What changed (story S8): build-bundle and promote-label compare the new
// bundle's lock with the one it replaces; `ladder diff` compares any two.
// Gather (the old lock from the registry, GitHub's compare per repo:
// component), decide (changes.Build, pure), and hand back the set for the
// summary and the `changes` output. Nothing here fails a run: a lock that
// cannot be read or a compare GitHub refuses makes those changes unknown,
// and the publish or promotion goes on.

// maxConcurrentCompares bounds the compares in flight at once.
const maxConcurrentCompares = 8

// whatChanged compares two locks: GitHub's compare API for each repo:
// component whose commit moved (concurrently, at most
// maxConcurrentCompares at once), the range for a git: one.
func (r *run) whatChanged(ctx context.Context, sec session.Secrets, from, to lock.Lock) changes.Set {
	reqs := changes.Plan(from, to)
	answers := make(map[string]changes.Compare, len(reqs))
	if len(reqs) == 0 {
		return changes.Build(from, to, answers)
	}
	client, err := r.GitHub(sec)
	if err != nil {
		for _, q := range reqs {
			answers[q.Component] = changes.Compare{Err: err.Error()}
		}
		return changes.Build(from, to, answers)
	}
	got := make([]changes.Compare, len(reqs))
	_ = eachConcurrently(ctx, len(reqs), maxConcurrentCompares, func(ctx context.Context, i int) error {
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

// lockAt reads the lock of the bundle at digest in the product's repository;
// want, when set, is the lock digest the ledger recorded for it (an image
// published for two locks carries both: the one wanted is picked).
func lockAt(ctx context.Context, cfg *config.Config, reg *oci.Client, digest, want string) (lock.Lock, error) {
	ref := cfg.Registry + "@" + digest
	l, err := readLock(ctx, reg, ref)
	if err != nil || want == "" || l.Digest() == want {
		return l, err
	}
	refs, err := reg.Referrers(ctx, ref)
	if err != nil {
		return lock.Lock{}, fmt.Errorf("reading the locks attached to %s: %w", ref, err)
	}
	for _, d := range refs {
		b, _, err := reg.ReadBundle(ctx, cfg.Registry+"@"+d.Digest)
		if err != nil || b.ConfigMediaType != bundle.LockMediaType {
			continue
		}
		if l, err := lock.Parse(b.Config); err == nil && l.Digest() == want {
			return l, nil
		}
	}
	return lock.Lock{}, fmt.Errorf("%s has no lock with digest %s attached", ref, want)
}

// bundleChanges is what the bundle at newDigest (lock l) brings over the one
// at oldDigest; nil when there is none to compare with (a first publish, a
// label's first move) or both are the same bundle.
func (r *run) bundleChanges(ctx context.Context, cfg *config.Config, sec session.Secrets, reg *oci.Client, oldDigest, oldLockDigest string, l lock.Lock, newDigest string) *changes.Set {
	if oldDigest == "" || oldDigest == newDigest && (oldLockDigest == "" || oldLockDigest == l.Digest()) {
		return nil // no bundle before, or the same lock (one image may hold two locks: compare those)
	}
	old, err := lockAt(ctx, cfg, reg, oldDigest, oldLockDigest)
	if err != nil {
		s := changes.Unreadable(l, fmt.Sprintf("the lock of the previous bundle %s could not be read: %v", oldDigest, err))
		return &s
	}
	s := r.whatChanged(ctx, sec, old, l)
	return &s
}

// changesJSON is the `changes` output: {} when there is nothing to compare.
func changesJSON(s *changes.Set) string {
	if s == nil {
		return "{}"
	}
	return s.JSON()
}

// summarizeChanges adds the "What changed" section to a step summary.
func summarizeChanges(s *action.Summary, set *changes.Set, since string) {
	if set == nil {
		return
	}
	s.Heading("What changed since "+since, 3)
	if md := set.Markdown(action.EscapeMarkdown); md != "" {
		s.Markdown(md)
	} else {
		s.Paragraph("No components.")
	}
}

// replacedLock is the lock digest the ledger recorded for version.
func replacedLock(doc *ledger.Document, version string) string {
	if b, ok := doc.Bundle(version); ok && version != "" {
		return b.LockDigest
	}
	return ""
}

// labelChanges is what a label's target brings over the label's value before
// the run: nil when the label had none, stays where it is, or its target's
// lock cannot be read.
func (r *run) labelChanges(ctx context.Context, cfg *config.Config, sec session.Secrets, reg *oci.Client, p *promotion) *changes.Set {
	d := p.dec
	prevLock, targetLock := p.lockDigests[0], p.lockDigests[1]
	if d.Target.Digest == "" || d.Previous.Digest == "" || d.Target.Digest == d.Previous.Digest && prevLock == targetLock {
		return nil
	}
	l := p.lock
	if !p.lockOK || targetLock != "" && l.Digest() != targetLock {
		var err error
		if l, err = lockAt(ctx, cfg, reg, d.Target.Digest, targetLock); err != nil {
			return nil // nothing to compare with: the summary and the output say nothing
		}
	}
	return r.bundleChanges(ctx, cfg, sec, reg, d.Previous.Digest, prevLock, l, d.Target.Digest)
}
