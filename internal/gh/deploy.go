package gh

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/google/go-github/v60/github"
)

// Deployment is one GitHub Deployment with its one status (promote-label's
// deployments, S8).
type Deployment struct {
	Repo        string            // owner/name
	Ref         string            // "" for the repository's default branch
	Environment string            // the environment it shows in
	Payload     map[string]string // what it deployed
	Description string            // the deployment's, clipped to 140 characters
	State       string            // the status: success, failure
	Target      string            // the status's description (the bundle's reference), clipped to 140
	LogURL      string            // the run, "" for none
}

// Deploy creates d: task "deploy", auto_merge false and no required
// contexts (ladder's gates already decided: GitHub must neither merge nor
// re-check), then its status with auto_inactive, which marks the
// environment's earlier deployments inactive.
func Deploy(ctx context.Context, c *github.Client, d Deployment) error {
	owner, name, ok := strings.Cut(d.Repo, "/")
	if !ok {
		return fmt.Errorf("GITHUB_REPOSITORY (%q) names no repository to record the deployment in", d.Repo)
	}
	ref := d.Ref
	if ref == "" {
		var err error
		if ref, err = DefaultBranch(ctx, c, d.Repo); err != nil {
			return err
		}
	}
	dp, _, err := c.Repositories.CreateDeployment(ctx, owner, name, &github.DeploymentRequest{
		Ref:              github.String(ref),
		Task:             github.String("deploy"),
		AutoMerge:        github.Bool(false),
		RequiredContexts: &[]string{},
		Payload:          d.Payload,
		Environment:      github.String(d.Environment),
		Description:      github.String(clip(d.Description, 140)),
	})
	if err != nil {
		return err
	}
	st := &github.DeploymentStatusRequest{
		State:        github.String(d.State),
		Description:  github.String(clip(d.Target, 140)),
		AutoInactive: github.Bool(true),
	}
	if d.LogURL != "" {
		st.LogURL = github.String(d.LogURL)
	}
	_, _, err = c.Repositories.CreateDeploymentStatus(ctx, owner, name, dp.GetID(), st)
	return err
}

// DefaultBranch is the default branch of repo (owner/name).
func DefaultBranch(ctx context.Context, c *github.Client, repo string) (string, error) {
	owner, name, _ := strings.Cut(repo, "/")
	rp, _, err := c.Repositories.Get(ctx, owner, name)
	if err != nil {
		return "", err
	}
	return rp.GetDefaultBranch(), nil
}

// clip shortens s to at most n characters, marking the cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	rs := []rune(s)
	return string(rs[:n-1]) + "…"
}
