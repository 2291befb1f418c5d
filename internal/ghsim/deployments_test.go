package ghsim_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/google/go-github/v60/github"

	"github.com/ladder-release/ladder/internal/ghsim"
)

// TestDeployments: the deployments API as GitHub answers it, one case per rule.
func TestDeployments(t *testing.T) {
	ctx := context.Background()
	setup := func(t *testing.T) (*ghsim.Server, *github.Client) {
		s, c := withRepo(t, "writer")
		s.AddToken("writer", map[string]string{repo: "write"})
		return s, c
	}
	none := &[]string{}

	t.Run("create records ref, environment, payload and options", func(t *testing.T) {
		s, c := setup(t)
		head, _ := s.Head(repo, "main")
		payload := map[string]any{"version": "1.2.3", "digest": "sha256:ab"}
		d, resp, err := c.Repositories.CreateDeployment(ctx, "acme", "app", &github.DeploymentRequest{
			Ref: github.String("main"), Environment: github.String("production"), Payload: payload,
			AutoMerge: github.Bool(false), RequiredContexts: none, Description: github.String("current"),
		})
		if err != nil || resp.StatusCode != http.StatusCreated {
			t.Fatalf("create: %v", err)
		}
		if d.GetID() == 0 || d.GetSHA() != head || d.GetRef() != "main" || d.GetEnvironment() != "production" || d.GetTask() != "deploy" {
			t.Errorf("answer: %+v", d)
		}
		got := s.Deployments(repo)
		if len(got) != 1 || got[0].AutoMerge || got[0].RequiredContexts == nil || len(got[0].RequiredContexts) != 0 || !got[0].Production {
			t.Fatalf("recorded: %+v", got)
		}
		var p map[string]any
		if err := json.Unmarshal(got[0].Payload, &p); err != nil || p["version"] != "1.2.3" {
			t.Errorf("payload %s: %v", got[0].Payload, err)
		}
	})

	t.Run("defaults: environment production, auto_merge true", func(t *testing.T) {
		s, c := setup(t)
		d, _, err := c.Repositories.CreateDeployment(ctx, "acme", "app", &github.DeploymentRequest{Ref: github.String("main")})
		if err != nil || d.GetEnvironment() != "production" {
			t.Fatalf("%v %+v", err, d)
		}
		if got := s.Deployments(repo); !got[0].AutoMerge || got[0].RequiredContexts != nil {
			t.Errorf("recorded %+v", got[0])
		}
	})

	t.Run("required contexts omitted verifies every context", func(t *testing.T) {
		s, c := setup(t)
		s.AddStatus(repo, "main", "ci", "failure")
		_, _, err := c.Repositories.CreateDeployment(ctx, "acme", "app", &github.DeploymentRequest{Ref: github.String("main")})
		if status(t, err) != http.StatusConflict || message(err) != "Conflict: Commit status checks failed for main." {
			t.Errorf("want 409: %v", err)
		}
		if _, _, err := c.Repositories.CreateDeployment(ctx, "acme", "app", &github.DeploymentRequest{Ref: github.String("main"), RequiredContexts: none}); err != nil {
			t.Errorf("required_contexts [] must skip the verification: %v", err)
		}
	})

	t.Run("ref missing or unknown", func(t *testing.T) {
		_, c := setup(t)
		_, _, err := c.Repositories.CreateDeployment(ctx, "acme", "app", &github.DeploymentRequest{Environment: github.String("x")})
		if status(t, err) != http.StatusUnprocessableEntity {
			t.Errorf("no ref: %v", err)
		}
		_, _, err = c.Repositories.CreateDeployment(ctx, "acme", "app", &github.DeploymentRequest{Ref: github.String("nope")})
		if status(t, err) != http.StatusUnprocessableEntity || message(err) != "No ref found for: nope" {
			t.Errorf("unknown ref: %v", err)
		}
	})

	t.Run("success marks earlier deployments of the environment inactive", func(t *testing.T) {
		s, c := setup(t)
		deploy := func(env string) int64 {
			d, _, err := c.Repositories.CreateDeployment(ctx, "acme", "app", &github.DeploymentRequest{
				Ref: github.String("main"), Environment: github.String(env), RequiredContexts: none})
			if err != nil {
				t.Fatal(err)
			}
			st, resp, err := c.Repositories.CreateDeploymentStatus(ctx, "acme", "app", d.GetID(), &github.DeploymentStatusRequest{
				State: github.String("success"), LogURL: github.String("https://log/" + env), EnvironmentURL: github.String("https://env")})
			if err != nil || resp.StatusCode != http.StatusCreated || st.GetState() != "success" || st.GetTargetURL() != "https://log/"+env {
				t.Fatalf("status: %v %+v", err, st)
			}
			return d.GetID()
		}
		first, other := deploy("production"), deploy("staging")
		second := deploy("production")
		latest := map[int64]string{}
		for _, d := range s.Deployments(repo) {
			latest[d.ID] = d.Statuses[len(d.Statuses)-1].State
		}
		if latest[first] != "inactive" || latest[other] != "success" || latest[second] != "success" {
			t.Errorf("latest states: %v", latest)
		}
		list, _, err := c.Repositories.ListDeployments(ctx, "acme", "app", &github.DeploymentsListOptions{Environment: "production"})
		if err != nil || len(list) != 2 || list[0].GetID() != second || list[1].GetID() != first {
			t.Errorf("list production, newest first: %v %d", err, len(list))
		}
		sts, _, err := c.Repositories.ListDeploymentStatuses(ctx, "acme", "app", first, nil)
		if err != nil || len(sts) != 2 || sts[0].GetState() != "inactive" || sts[1].GetState() != "success" {
			t.Errorf("statuses of the first, newest first: %v %d", err, len(sts))
		}
	})

	t.Run("auto_inactive false keeps earlier ones", func(t *testing.T) {
		s, c := setup(t)
		for i := 0; i < 2; i++ {
			d, _, err := c.Repositories.CreateDeployment(ctx, "acme", "app", &github.DeploymentRequest{Ref: github.String("main"), RequiredContexts: none})
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := c.Repositories.CreateDeploymentStatus(ctx, "acme", "app", d.GetID(), &github.DeploymentStatusRequest{
				State: github.String("success"), AutoInactive: github.Bool(false)}); err != nil {
				t.Fatal(err)
			}
		}
		for _, d := range s.Deployments(repo) {
			if len(d.Statuses) != 1 {
				t.Errorf("deployment %d: %+v", d.ID, d.Statuses)
			}
		}
	})

	t.Run("unknown state", func(t *testing.T) {
		_, c := setup(t)
		d, _, err := c.Repositories.CreateDeployment(ctx, "acme", "app", &github.DeploymentRequest{Ref: github.String("main")})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := c.Repositories.CreateDeploymentStatus(ctx, "acme", "app", d.GetID(), &github.DeploymentStatusRequest{State: github.String("done")}); status(t, err) != http.StatusUnprocessableEntity {
			t.Errorf("want 422: %v", err)
		}
		if _, _, err := c.Repositories.CreateDeploymentStatus(ctx, "acme", "app", d.GetID()+99, &github.DeploymentStatusRequest{State: github.String("success")}); status(t, err) != http.StatusNotFound {
			t.Errorf("unknown deployment: want 404: %v", err)
		}
	})

	t.Run("a token without deployments write is refused", func(t *testing.T) {
		s, c := setup(t)
		s.AddToken("reader", map[string]string{repo: "read"})
		s.AddToken("nodeploy", map[string]string{repo: "write"})
		s.RestrictToken("nodeploy", map[string]string{"deployments": "read"})
		for _, tok := range []string{"reader", "nodeploy"} {
			_, _, err := client(t, s, tok).Repositories.CreateDeployment(ctx, "acme", "app", &github.DeploymentRequest{Ref: github.String("main")})
			if status(t, err) != http.StatusForbidden || message(err) != "Resource not accessible by integration" {
				t.Errorf("%s: want 403: %v", tok, err)
			}
		}
		d, _, err := c.Repositories.CreateDeployment(ctx, "acme", "app", &github.DeploymentRequest{Ref: github.String("main")})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := client(t, s, "nodeploy").Repositories.CreateDeploymentStatus(ctx, "acme", "app", d.GetID(), &github.DeploymentStatusRequest{State: github.String("success")}); status(t, err) != http.StatusForbidden {
			t.Errorf("status: want 403: %v", err)
		}
		if _, _, err := client(t, s, "nodeploy").Repositories.ListDeployments(ctx, "acme", "app", nil); err != nil {
			t.Errorf("deployments read may list: %v", err)
		}
		if len(s.Deployments(repo)) != 1 {
			t.Errorf("a refused request recorded a deployment")
		}
	})
}
