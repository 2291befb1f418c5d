package app

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/ladder-release/ladder/internal/config"
	"github.com/ladder-release/ladder/internal/gh"
	"github.com/ladder-release/ladder/internal/ledger"
	"github.com/ladder-release/ladder/internal/promote"
	"github.com/ladder-release/ladder/internal/session"
)

// Deployments (SPEC section 4, promote-label, S8): a label with
// `deployment: {environment: E}` records each move this run wrote as a
// GitHub Deployment in environment E of the workflow's repository
// (GITHUB_REPOSITORY), so the Environments page shows what the label holds.
//
// Choices (README):
//   - What is deployed: a promotion or a rollback (each a new deployment,
//     status success, which marks the environment's earlier deployments
//     inactive: auto_inactive), and a quarantine (a deployment of the
//     quarantined candidate with status failure). A run that writes no move
//     (noop, pending, held, a hold or release on its own, a rerun of a
//     recorded move, a dry run) creates none.
//   - The deployment: ref GITHUB_SHA (the repository's default branch when
//     unset), task "deploy", payload {label, version, digest, lock_digest,
//     id (the composite id)}, auto_merge false and required_contexts [] (the
//     gates already decided: GitHub must neither merge nor re-check), a
//     description naming the move; the status carries the bundle's
//     reference as its description and the run as its log_url.
//   - After the move: the ledger and the tags are written first, so a
//     refused deployment cannot undo or block a move. A refusal (403: the
//     workflow lacks `permissions: deployments: write`) or any other failure
//     fails the step (exit 1) with an error that says the move is recorded;
//     the next move creates a deployment again (a rerun does not: the move
//     is not made again).

// deployMove creates the deployment for what p wrote, when the label has one.
func (r *run) deployMove(ctx context.Context, cfg *config.Config, sec session.Secrets, store ledger.Store, p *promotion) error {
	dep := p.label.Deployment
	if dep == nil || !p.written {
		return nil
	}
	d := p.dec
	var state, what string
	switch {
	case d.Move != nil && d.Move.Decision == promote.DecisionRollback:
		state, what = "success", "rolled back to"
	case d.Move != nil:
		state, what = "success", "promoted to"
	case d.Quarantine != nil:
		state, what = "failure", "quarantined"
	default:
		return nil
	}
	recorded := fmt.Sprintf("label %s %s %s is recorded in the ledger", p.label.Name, what, d.Target.Version)
	fail := func(err error) error {
		if e, ok := gh.AsAPIError(err); ok && e.Status == http.StatusForbidden {
			return fmt.Errorf("%s, but GitHub refused to record it as a deployment in environment %s of %s (%s): the workflow needs `permissions: deployments: write` (labels.%s.deployment); the next move creates a deployment",
				recorded, dep.Environment, r.Getenv("GITHUB_REPOSITORY"), e.Message, p.label.Name)
		}
		return fmt.Errorf("%s, but recording it as a deployment in environment %s failed: %w; the next move creates a deployment", recorded, dep.Environment, err)
	}
	repo := r.Getenv("GITHUB_REPOSITORY")
	if _, _, ok := strings.Cut(repo, "/"); !ok {
		return fmt.Errorf("%s, but GITHUB_REPOSITORY (%q) names no repository to record the deployment in (labels.%s.deployment)", recorded, repo, p.label.Name)
	}
	c, err := r.GitHub(sec)
	if err != nil {
		return fail(err)
	}
	ref := r.Getenv("GITHUB_SHA")
	if ref == "" { // the default branch, asked before the ledger is read
		if ref, err = gh.DefaultBranch(ctx, c, repo); err != nil {
			return fail(err)
		}
	}
	payload := map[string]string{"label": p.label.Name, "version": d.Target.Version, "digest": d.Target.Digest}
	if doc, err := store.Read(ctx); err == nil {
		if b, ok := doc.Bundle(d.Target.Version); ok { // by version: one image may hold two locks
			payload["lock_digest"], payload["id"] = b.LockDigest, b.ID
		}
	}
	if err := gh.Deploy(ctx, c, gh.Deployment{Repo: repo, Ref: ref, Environment: dep.Environment, Payload: payload,
		Description: fmt.Sprintf("ladder: label %s %s %s", p.label.Name, what, d.Target.Version),
		State:       state, Target: cfg.Registry + "@" + d.Target.Digest, LogURL: r.RunURL()}); err != nil {
		return fail(err)
	}
	return nil
}
