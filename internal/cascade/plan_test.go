package cascade

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

const (
	storage = "acme/package-storage"
	sha1s   = "1111111111111111111111111111111111111111"
	sha2s   = "2222222222222222222222222222222222222222"
	sha3s   = "3333333333333333333333333333333333333333"
)

// s3Rules is story S3's config: snapshot ⊇ staging ⊇ production.
var s3Rules = Rules{
	EventType: "ladder-cascade",
	Branches:  map[string][]string{"production": {"staging"}, "staging": {"snapshot"}},
}

func pushEvent(branch, sha string) []byte {
	b, _ := json.Marshal(map[string]any{
		"ref": "refs/heads/" + branch, "before": sha1s, "after": sha, "created": false, "deleted": false,
		"repository":  map[string]any{"full_name": storage, "default_branch": "snapshot"},
		"head_commit": map[string]any{"id": sha, "message": "merge\n::warning::$(id)"},
	})
	return b
}

// nextEvent is the repository_dispatch event GitHub delivers to d.Repo for
// dispatch d, the workflow running on defaultBranch.
func nextEvent(t *testing.T, d Dispatch, defaultBranch string) []byte {
	t.Helper()
	if d.Body == nil {
		t.Fatal("dispatch has no body")
	}
	b, err := json.Marshal(map[string]any{
		"action":         d.EventType,
		"branch":         defaultBranch,
		"client_payload": d.Body,
		"repository":     map[string]any{"full_name": d.Repo, "default_branch": defaultBranch},
		"sender":         map[string]any{"login": "ladder-release[bot]", "type": "Bot"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustParse(t *testing.T, event string, body []byte, ref, repo string) Trigger {
	t.Helper()
	trig, err := ParseEvent(event, body, ref, repo)
	if err != nil {
		t.Fatal(err)
	}
	return trig
}

func mustPlan(t *testing.T, rules Rules, trig Trigger, self Repo, maxDepth int, cid string, payload string) *DispatchPlan {
	t.Helper()
	p, err := Plan(rules, trig, self, maxDepth, cid, json.RawMessage(payload))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func targets(p *DispatchPlan) []string {
	out := []string{}
	for _, t := range p.Targets() {
		out = append(out, t.String())
	}
	return out
}

func wantTargets(t *testing.T, p *DispatchPlan, want ...string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	if got := targets(p); !reflect.DeepEqual(got, want) {
		t.Errorf("targets = %v, want %v", got, want)
	}
}

func envelopeOf(t *testing.T, d Dispatch) Envelope {
	t.Helper()
	if len(d.ClientPayload) != 1 {
		t.Fatalf("client_payload has keys %v, want only %q", d.ClientPayload, PayloadKey)
	}
	env, ok := d.ClientPayload[PayloadKey].(Envelope)
	if !ok {
		t.Fatalf("client_payload[%q] is %T", PayloadKey, d.ClientPayload[PayloadKey])
	}
	return env
}

// Story S3, in pure form: each run's dispatch is the next run's event.
func TestStoryS3BranchCascade(t *testing.T) {
	t.Parallel()
	t.Run("merge to production rebuilds staging, then snapshot", func(t *testing.T) {
		t.Parallel()
		// Run 1: a push to production.
		trig := mustParse(t, "push", pushEvent("production", sha4), "", "")
		p1 := mustPlan(t, s3Rules, trig, Repo{}, 0, "run-100-1", "")
		wantTargets(t, p1, storage+"@staging")
		if p1.Branch != "" {
			t.Errorf("branch output = %q in a run that was not cascaded", p1.Branch)
		}
		d := p1.Dispatches[0]
		if d.EventType != "ladder-cascade" || d.Repo != storage || d.Branch != "staging" {
			t.Errorf("dispatch = %+v", d)
		}
		wantBody := `{"ladder":{"correlation_id":"run-100-1","chain":[{"repo":"acme/package-storage","branch":"production","sha":"` + sha4 + `"}],` +
			`"branch":"staging","source":{"repo":"acme/package-storage","ref":"refs/heads/production","sha":"` + sha4 + `"}}}`
		if string(d.Body) != wantBody {
			t.Errorf("body\n got: %s\nwant: %s", d.Body, wantBody)
		}

		// Run 2: that dispatch, delivered to the same repository, builds staging.
		trig2 := mustParse(t, "repository_dispatch", nextEvent(t, d, "snapshot"), "refs/heads/snapshot", storage)
		if trig2.Branch != "staging" {
			t.Fatalf("run 2 builds %q, want staging", trig2.Branch)
		}
		p2 := mustPlan(t, s3Rules, trig2, Repo{Repo: storage, SHA: sha2s}, 0, "run-200-1", "")
		wantTargets(t, p2, storage+"@snapshot")
		if p2.Branch != "staging" || p2.CorrelationID != "run-100-1" {
			t.Errorf("branch = %q, correlation id = %q; want staging, run-100-1 (kept across the chain)", p2.Branch, p2.CorrelationID)
		}
		if got, want := p2.ChainJSON(), `[{"repo":"acme/package-storage","branch":"production","sha":"`+sha4+`"},{"repo":"acme/package-storage","branch":"staging","sha":"`+sha2s+`"}]`; got != want {
			t.Errorf("chain\n got: %s\nwant: %s", got, want)
		}
		if env := envelopeOf(t, p2.Dispatches[0]); env.Source.Ref != "refs/heads/production" || env.Source.SHA != sha4 {
			t.Errorf("source = %+v, want the push to production", env.Source)
		}

		// Run 3: snapshot is rebuilt, and nothing follows.
		trig3 := mustParse(t, "repository_dispatch", nextEvent(t, p2.Dispatches[0], "snapshot"), "refs/heads/snapshot", storage)
		p3 := mustPlan(t, s3Rules, trig3, Repo{Repo: storage, SHA: sha3s}, 0, "run-300-1", "")
		wantTargets(t, p3)
		if p3.Reason != `no cascade rule for branch "snapshot"` || len(p3.Chain) != 3 || p3.CorrelationID != "run-100-1" {
			t.Errorf("reason %q, chain %s, correlation id %q", p3.Reason, p3.ChainJSON(), p3.CorrelationID)
		}
	})
	t.Run("merge to staging rebuilds snapshot only", func(t *testing.T) {
		t.Parallel()
		p := mustPlan(t, s3Rules, mustParse(t, "push", pushEvent("staging", sha2s), "", ""), Repo{}, 0, "run-1", "")
		wantTargets(t, p, storage+"@snapshot")
	})
	t.Run("merge to snapshot rebuilds nothing", func(t *testing.T) {
		t.Parallel()
		p := mustPlan(t, s3Rules, mustParse(t, "push", pushEvent("snapshot", sha3s), "", ""), Repo{}, 0, "run-1", "")
		wantTargets(t, p)
		if p.Reason != `no cascade rule for branch "snapshot"` {
			t.Errorf("reason = %q", p.Reason)
		}
	})
	for _, c := range []struct{ event, ref, want string }{
		{"push", "refs/heads/production", storage + "@staging"},
		{"workflow_dispatch", "refs/heads/staging", storage + "@snapshot"},
	} {
		t.Run("fixture "+c.event+" event", func(t *testing.T) {
			t.Parallel()
			trig := mustParse(t, c.event, fixture(t, c.event+".json"), c.ref, storage)
			wantTargets(t, mustPlan(t, s3Rules, trig, Repo{Repo: storage}, 0, "run-1", ""), c.want)
		})
	}
	t.Run("fixture repository_dispatch event", func(t *testing.T) {
		t.Parallel()
		trig := mustParse(t, "repository_dispatch", fixture(t, "repository_dispatch.json"), "refs/heads/snapshot", storage)
		p := mustPlan(t, s3Rules, trig, Repo{Repo: storage, SHA: sha2s}, 0, "ignored", "")
		wantTargets(t, p, storage+"@snapshot")
		env := envelopeOf(t, p.Dispatches[0])
		if env.CorrelationID != "run-7100-1" {
			t.Errorf("correlation id = %q", env.CorrelationID)
		}
		// The user's payload is passed on as data, byte for byte.
		want := `{"big":123456789012345678901234567890,"reason":"release endpoint 0.11.0; $(id) ` + "`whoami`" + `","ticket":149}`
		if string(env.Payload) != want {
			t.Errorf("payload\n got: %s\nwant: %s", env.Payload, want)
		}
	})
	t.Run("tag push and branch deletion trigger nothing", func(t *testing.T) {
		t.Parallel()
		for _, f := range []string{"push.tag-deleted.json", "push.branch-deleted.json"} {
			trig := mustParse(t, "push", fixture(t, f), "", "")
			p := mustPlan(t, s3Rules, trig, Repo{}, 0, "run-1", "")
			wantTargets(t, p)
			if p.Reason == "" || p.Reason != trig.Skip {
				t.Errorf("%s: reason = %q", f, p.Reason)
			}
		}
	})
}

// Story S1: an upstream repository's change rebuilds a downstream one, and a
// channel publish dispatches the repository that follows it.
func TestStoryS1CrossRepo(t *testing.T) {
	t.Parallel()
	const cli, osRepo, iso = "acme/elemental-cli", "acme/elemental-os", "acme/elemental-iso"
	cliRules := Rules{EventType: "ladder-cascade", Repos: []RepoRule{{Repo: osRepo, WhenBranch: "main"}}}
	osRules := Rules{EventType: "ladder-cascade", Repos: []RepoRule{
		{Repo: iso, WhenChannel: "stable", EventType: "stable-published"},
		{Repo: "acme/elemental-docs", WhenChannel: "dev"},
	}}

	// A merge to cli's main dispatches elemental-os, on its default branch.
	trig := mustParse(t, "push", pushEvent("main", sha1s), "", cli)
	p1 := mustPlan(t, cliRules, trig, Repo{Repo: cli}, 0, "run-1-1", `{"note":"from cli"}`)
	wantTargets(t, p1, osRepo)
	if got := p1.TargetsJSON(); got != `[{"repo":"acme/elemental-os","branch":""}]` {
		t.Errorf("targets = %s", got)
	}
	if p1.Dispatches[0].EventType != "ladder-cascade" {
		t.Errorf("event type = %q", p1.Dispatches[0].EventType)
	}

	// elemental-os receives it on main; its rules have nothing for a branch...
	trig2 := mustParse(t, "repository_dispatch", nextEvent(t, p1.Dispatches[0], "main"), "refs/heads/main", osRepo)
	if trig2.Branch != "main" || trig2.Cascade == nil {
		t.Fatalf("trigger = %+v", trig2)
	}
	p2 := mustPlan(t, osRules, trig2, Repo{Repo: osRepo, SHA: sha2s}, 0, "run-2-1", "")
	wantTargets(t, p2)

	// ...but after it publishes channel stable, elemental-iso follows.
	p3 := mustPlan(t, osRules, trig2.Published("stable"), Repo{Repo: osRepo, SHA: sha2s}, 0, "run-2-1", "")
	wantTargets(t, p3, iso)
	d := p3.Dispatches[0]
	if d.EventType != "stable-published" {
		t.Errorf("event type = %q, want the rule's own", d.EventType)
	}
	env := envelopeOf(t, d)
	if env.CorrelationID != "run-1-1" || len(env.Chain) != 2 || env.Chain[0].Repo != cli || env.Chain[1].Repo != osRepo {
		t.Errorf("envelope = %+v", env)
	}
	if string(env.Payload) != `{"note":"from cli"}` {
		t.Errorf("payload = %s, want the one received", env.Payload)
	}

	// elemental-iso receives a dispatch with a custom event type and no branch.
	trig4 := mustParse(t, "repository_dispatch", nextEvent(t, d, "main"), "refs/heads/main", iso)
	if trig4.EventType != "stable-published" || trig4.Branch != "main" || trig4.Cascade.CorrelationID != "run-1-1" {
		t.Errorf("trigger = %+v", trig4)
	}
	p4 := mustPlan(t, Rules{}, trig4, Repo{Repo: iso}, 0, "x", "")
	wantTargets(t, p4)
	if len(p4.Chain) != 3 {
		t.Errorf("chain = %s", p4.ChainJSON())
	}

	t.Run("channel publish in a run that was not cascaded", func(t *testing.T) {
		t.Parallel()
		p := mustPlan(t, osRules, ChannelPublished("stable"), Repo{Repo: osRepo, Branch: "main", SHA: sha6}, 0, "run-9-1", "")
		wantTargets(t, p, iso)
		want := Source{Repo: osRepo, Ref: "refs/heads/main", SHA: sha6, Channel: "stable"}
		if env := envelopeOf(t, p.Dispatches[0]); env.Source != want || env.CorrelationID != "run-9-1" {
			t.Errorf("envelope = %+v", env)
		}
		// A literal Trigger{Channel: X} is the same.
		q := mustPlan(t, osRules, Trigger{Channel: "stable"}, Repo{Repo: osRepo, Branch: "main", SHA: sha6}, 0, "run-9-1", "")
		if q.TargetsJSON() != p.TargetsJSON() || string(q.Dispatches[0].Body) != string(p.Dispatches[0].Body) {
			t.Errorf("Trigger{Channel} plans %s, ChannelPublished %s", q.Dispatches[0].Body, p.Dispatches[0].Body)
		}
	})
	t.Run("the fixture's receiver", func(t *testing.T) {
		t.Parallel()
		trig := mustParse(t, "repository_dispatch", fixture(t, "repository_dispatch.cross-repo.json"), "refs/heads/main", iso)
		p := mustPlan(t, Rules{Repos: []RepoRule{{Repo: "acme/elemental-usb", WhenBranch: "main"}}}, trig, Repo{Repo: iso}, 0, "x", "")
		wantTargets(t, p, "acme/elemental-usb")
		if p.CorrelationID != "run-8200-1" || p.Source.Channel != "stable" {
			t.Errorf("plan = %+v", p)
		}
	})
	t.Run("a channel publish after a tag push", func(t *testing.T) {
		t.Parallel()
		trig := mustParse(t, "push", []byte(`{"ref":"refs/tags/v1.0.2","after":"`+sha6+`"}`), "", osRepo)
		if trig.Skip == "" {
			t.Fatal("a tag push should trigger nothing by itself")
		}
		p := mustPlan(t, osRules, trig.Published("stable"), Repo{Repo: osRepo}, 0, "run-5-1", "")
		wantTargets(t, p, iso)
		if got := p.ChainJSON(); got != `[{"repo":"acme/elemental-os","branch":"","sha":"`+sha6+`"}]` {
			t.Errorf("chain = %s", got)
		}
	})
	t.Run("a foreign repository_dispatch is not a cascade", func(t *testing.T) {
		t.Parallel()
		trig := mustParse(t, "repository_dispatch", fixture(t, "repository_dispatch.foreign.json"), "refs/heads/main", iso)
		p := mustPlan(t, osRules, trig, Repo{Repo: iso}, 0, "x", "")
		wantTargets(t, p)
		if !strings.Contains(p.Reason, "not a cascade from ladder") {
			t.Errorf("reason = %q", p.Reason)
		}
	})
}

// TestSpecCascadeBranches has a case per rule of SPEC §4 "cascade-branches"
// that the pure plan decides (access checks, pacing and retries are the app's).
func TestSpecCascadeBranches(t *testing.T) {
	t.Parallel()
	big := `{"blob":"` + strings.Repeat("x", 65600) + `"}`
	cycleRules := Rules{Branches: map[string][]string{"production": {"staging"}, "staging": {"production"}}}
	chainRules := Rules{Branches: map[string][]string{}}
	for i := range 12 {
		chainRules.Branches[branchN(i)] = []string{branchN(i + 1)}
	}
	tests := []struct {
		name     string
		rules    Rules
		event    string
		body     []byte
		ref      string
		self     Repo
		maxDepth int
		payload  string
		wantErr  string
		check    func(t *testing.T, p *DispatchPlan)
	}{
		{
			name: "branch: default from GITHUB_REF on push", rules: s3Rules,
			event: "push", ref: "refs/heads/production", self: Repo{Repo: storage},
			check: func(t *testing.T, p *DispatchPlan) { wantTargets(t, p, storage+"@staging") },
		},
		{
			name: "branch: the payload's branch on a cascaded repository_dispatch", rules: s3Rules,
			event: "repository_dispatch", body: []byte(dispatchWith(envelope(`"c1"`, `[{"repo":"acme/package-storage","branch":"production"}]`, `"staging"`, goodSource))),
			ref: "refs/heads/snapshot", self: Repo{Repo: storage},
			check: func(t *testing.T, p *DispatchPlan) {
				wantTargets(t, p, storage+"@snapshot")
				if p.Branch != "staging" {
					t.Errorf("branch output = %q", p.Branch)
				}
			},
		},
		{
			name: "event-type: every dispatch carries the configured event type, a repo rule may override it",
			rules: Rules{EventType: "rebuild", Branches: s3Rules.Branches, Repos: []RepoRule{
				{Repo: "acme/b", WhenBranch: "production"}, {Repo: "acme/a", WhenBranch: "production", EventType: "prod-changed"}}},
			event: "push", body: pushEvent("production", sha4),
			check: func(t *testing.T, p *DispatchPlan) {
				wantTargets(t, p, "acme/a", "acme/b", storage+"@staging")
				var got []string
				for _, d := range p.Dispatches {
					got = append(got, d.EventType)
				}
				if want := []string{"prod-changed", "rebuild", "rebuild"}; !reflect.DeepEqual(got, want) {
					t.Errorf("event types = %v, want %v", got, want)
				}
			},
		},
		{
			name: "event-type: empty means ladder-cascade", rules: Rules{Branches: s3Rules.Branches},
			event: "push", body: pushEvent("production", sha4),
			check: func(t *testing.T, p *DispatchPlan) {
				if p.Dispatches[0].EventType != DefaultEventType {
					t.Errorf("event type = %q", p.Dispatches[0].EventType)
				}
			},
		},
		{
			name: "payload: a JSON object passed on under one key", rules: s3Rules,
			event: "push", body: pushEvent("production", sha4), payload: `{ "pr": 149, "msg": "$(rm -rf /)\n::error::x" }`,
			check: func(t *testing.T, p *DispatchPlan) {
				d := p.Dispatches[0]
				env := envelopeOf(t, d)
				if string(env.Payload) != `{"pr":149,"msg":"$(rm -rf /)\n::error::x"}` {
					t.Errorf("payload = %s", env.Payload)
				}
				var top map[string]json.RawMessage
				if err := json.Unmarshal(d.Body, &top); err != nil || len(top) != 1 || top["ladder"] == nil {
					t.Errorf("body %s: want exactly one top-level key, ladder (%v)", d.Body, err)
				}
			},
		},
		{
			name: "payload: anything but a JSON object is refused", rules: s3Rules,
			event: "push", body: pushEvent("production", sha4), payload: `["a"]`,
			wantErr: "payload: must be a JSON object, got array",
		},
		{
			name: "payload: invalid JSON is refused", rules: s3Rules,
			event: "push", body: pushEvent("production", sha4), payload: `{"a":`,
			wantErr: "payload: invalid JSON: unexpected EOF",
		},
		{
			name: "max-depth: default 8", rules: chainRules,
			event: "repository_dispatch", body: chainDispatch(8), self: Repo{Repo: "acme/os"},
			wantErr: "cascade refused: dispatching acme/os@b9 would be hop 9, deeper than max-depth 8: " +
				"acme/os@b0 -> acme/os@b1 -> acme/os@b2 -> acme/os@b3 -> acme/os@b4 -> acme/os@b5 -> acme/os@b6 -> acme/os@b7 -> acme/os@b8 -> acme/os@b9",
		},
		{
			name: "max-depth: the 8th hop is allowed", rules: chainRules,
			event: "repository_dispatch", body: chainDispatch(7), self: Repo{Repo: "acme/os"},
			check: func(t *testing.T, p *DispatchPlan) { wantTargets(t, p, "acme/os@b8") },
		},
		{
			name: "max-depth: an input overrides the default", rules: chainRules,
			event: "repository_dispatch", body: chainDispatch(8), self: Repo{Repo: "acme/os"}, maxDepth: 9,
			check: func(t *testing.T, p *DispatchPlan) { wantTargets(t, p, "acme/os@b9") },
		},
		{
			name: "max-depth: out of range", rules: s3Rules, event: "push", body: pushEvent("production", sha4), maxDepth: -1,
			wantErr: "max-depth -1: must be 1 to 100",
		},
		{
			name: "outputs: targets, dispatched, correlation-id, branch, chain", rules: s3Rules,
			event: "push", body: pushEvent("production", sha4),
			check: func(t *testing.T, p *DispatchPlan) {
				if got := p.TargetsJSON(); got != `[{"repo":"acme/package-storage","branch":"staging"}]` {
					t.Errorf("targets = %s", got)
				}
				if len(p.Dispatches) != 1 || p.CorrelationID != "run-1-1" || p.Branch != "" {
					t.Errorf("dispatched %d, correlation id %q, branch %q", len(p.Dispatches), p.CorrelationID, p.Branch)
				}
				if got := p.ChainJSON(); got != `[{"repo":"acme/package-storage","branch":"production","sha":"`+sha4+`"}]` {
					t.Errorf("chain = %s", got)
				}
			},
		},
		{
			name: "outputs: empty targets are []", rules: s3Rules, event: "push", body: pushEvent("snapshot", sha4),
			check: func(t *testing.T, p *DispatchPlan) {
				if p.TargetsJSON() != "[]" {
					t.Errorf("targets = %s", p.TargetsJSON())
				}
			},
		},
		{
			name: "one hop per run: a push to production dispatches staging, not snapshot", rules: s3Rules,
			event: "push", body: pushEvent("production", sha4),
			check: func(t *testing.T, p *DispatchPlan) { wantTargets(t, p, storage+"@staging") },
		},
		{
			name: "client_payload stays within GitHub's limits, checked before sending", rules: s3Rules,
			event: "push", body: pushEvent("production", sha4), payload: big,
			wantErr: "dispatch to acme/package-storage@staging: client_payload is 65913 bytes serialized; GitHub requires under 65536 bytes (64 KB)",
		},
		{
			name: "a target already in the chain is refused", rules: cycleRules,
			event: "repository_dispatch", body: []byte(dispatchWith(envelope(`"c1"`, `[{"repo":"acme/os","branch":"production"}]`, `"staging"`, goodSource))),
			self:    Repo{Repo: "acme/os"},
			wantErr: "cascade refused: acme/os@production is already in the chain: acme/os@production -> acme/os@staging -> acme/os@production",
		},
		{
			name: "a chain deeper than max-depth is refused", rules: s3Rules,
			event: "repository_dispatch", body: []byte(dispatchWith(envelope(`"c1"`, `[{"repo":"acme/os","branch":"production"}]`, `"staging"`, goodSource))),
			self: Repo{Repo: "acme/os"}, maxDepth: 1,
			wantErr: "cascade refused: dispatching acme/os@snapshot would be hop 2, deeper than max-depth 1: acme/os@production -> acme/os@staging -> acme/os@snapshot",
		},
		{
			name: "every payload carries the correlation id", rules: Rules{Branches: map[string][]string{"production": {"staging", "hotfix"}},
				Repos: []RepoRule{{Repo: "acme/x", WhenBranch: "production"}}},
			event: "push", body: pushEvent("production", sha4),
			check: func(t *testing.T, p *DispatchPlan) {
				wantTargets(t, p, storage+"@hotfix", storage+"@staging", "acme/x")
				for _, d := range p.Dispatches {
					if !strings.Contains(string(d.Body), `"correlation_id":"run-1-1"`) {
						t.Errorf("%s: body %s", d.Target(), d.Body)
					}
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			trig, err := ParseEvent(tt.event, tt.body, tt.ref, tt.self.Repo)
			if err != nil {
				t.Fatal(err)
			}
			p, err := Plan(tt.rules, trig, tt.self, tt.maxDepth, "run-1-1", json.RawMessage(tt.payload))
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error\n got: %v\nwant: %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, p)
		})
	}
}

func branchN(i int) string { return "b" + string(rune('0'+i%10)) + strings.Repeat("x", i/10) }

// chainDispatch is a cascaded event whose chain already holds n runs of
// acme/os, b0..b(n-1); the receiver builds b(n).
func chainDispatch(n int) []byte {
	var hops []string
	for i := range n {
		hops = append(hops, `{"repo":"acme/os","branch":"`+branchN(i)+`"}`)
	}
	return []byte(dispatchWith(envelope(`"c1"`, "["+strings.Join(hops, ",")+"]", `"`+branchN(n)+`"`, goodSource)))
}

func TestLimits(t *testing.T) {
	t.Parallel()
	keys := func(n int) map[string]any {
		m := map[string]any{}
		for i := range n {
			m["k"+strings.Repeat("k", i)] = i
		}
		return m
	}
	// sized is a client_payload of exactly n bytes serialized.
	sized := func(n int) map[string]any {
		const overhead = len(`{"ladder":""}`)
		return map[string]any{"ladder": strings.Repeat("x", n-overhead)}
	}
	tests := []struct {
		name string
		d    Dispatch
		want string
		what string
	}{
		{"10 top-level keys pass", Dispatch{EventType: "e", ClientPayload: keys(10)}, "", ""},
		{"11 top-level keys", Dispatch{EventType: "e", ClientPayload: keys(11)},
			"client_payload has 11 top-level keys; GitHub allows at most 10", "client_payload top-level keys"},
		{"65535 bytes pass", Dispatch{EventType: "e", ClientPayload: sized(65535)}, "", ""},
		{"65536 bytes", Dispatch{EventType: "e", ClientPayload: sized(65536)},
			"client_payload is 65536 bytes serialized; GitHub requires under 65536 bytes (64 KB)", "client_payload size"},
		{"65 KB", Dispatch{EventType: "e", ClientPayload: sized(65 * 1024)},
			"client_payload is 66560 bytes serialized; GitHub requires under 65536 bytes (64 KB)", "client_payload size"},
		{"0-character event type", Dispatch{EventType: "", ClientPayload: keys(1)},
			"event_type is 0 characters; GitHub requires 1 to 100", "event_type length"},
		{"1-character event type passes", Dispatch{EventType: "e", ClientPayload: keys(1)}, "", ""},
		{"100-character event type passes", Dispatch{EventType: strings.Repeat("é", 100), ClientPayload: keys(1)}, "", ""},
		{"101-character event type", Dispatch{EventType: strings.Repeat("e", 101), ClientPayload: keys(1)},
			"event_type is 101 characters; GitHub requires 1 to 100", "event_type length"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.d.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || err.Error() != tt.want {
				t.Fatalf("error\n got: %v\nwant: %s", err, tt.want)
			}
			var le *LimitError
			if !errors.As(err, &le) || le.What != tt.what {
				t.Fatalf("error %#v, want a *LimitError for %s", err, tt.what)
			}
		})
	}
	t.Run("the figure is the size of the body sent", func(t *testing.T) {
		t.Parallel()
		d := Dispatch{EventType: "e", ClientPayload: sized(65 * 1024)}
		b, _ := json.Marshal(d.ClientPayload)
		if len(b) != 66560 {
			t.Errorf("serialized %d bytes", len(b))
		}
	})
	t.Run("through Plan", func(t *testing.T) {
		t.Parallel()
		trig := Trigger{Event: "push", Repo: "acme/os", Branch: "production"}
		for _, tc := range []struct {
			rules Rules
			want  string
		}{
			{Rules{EventType: strings.Repeat("e", 101), Branches: s3Rules.Branches}, "cascade.event-type: event_type is 101 characters; GitHub requires 1 to 100"},
			{Rules{Repos: []RepoRule{{Repo: "a/b", WhenBranch: "production", EventType: strings.Repeat("e", 101)}}}, "cascade.repos[0].event-type: event_type is 101 characters; GitHub requires 1 to 100"},
		} {
			_, err := Plan(tc.rules, trig, Repo{}, 0, "c1", nil)
			if err == nil || err.Error() != tc.want {
				t.Errorf("error\n got: %v\nwant: %s", err, tc.want)
			}
		}
		// The payload figure is the whole client_payload, ladder's envelope included.
		_, err := Plan(s3Rules, trig, Repo{}, 0, "c1", json.RawMessage(`{"b":"`+strings.Repeat("x", 65*1024)+`"}`))
		var le *LimitError
		if !errors.As(err, &le) || le.Actual != 66759 || le.Limit != 65536 {
			t.Fatalf("error %v", err)
		}
		if want := "dispatch to acme/os@staging: client_payload is 66759 bytes serialized; GitHub requires under 65536 bytes (64 KB)"; err.Error() != want {
			t.Errorf("error\n got: %s\nwant: %s", err, want)
		}
	})
}

func TestChain(t *testing.T) {
	t.Parallel()
	cascaded := func(chain string, branch string) Trigger {
		return mustParse(t, "repository_dispatch", []byte(dispatchWith(envelope(`"c1"`, chain, `"`+branch+`"`, goodSource))), "", "acme/os")
	}
	tests := []struct {
		name    string
		rules   Rules
		trig    Trigger
		self    Repo
		depth   int
		want    []string
		wantErr string
	}{
		{
			name:    "self-loop in the rules",
			rules:   Rules{Branches: map[string][]string{"main": {"main"}}},
			trig:    Trigger{Repo: "acme/os", Branch: "main"},
			wantErr: "cascade refused: acme/os@main is already in the chain: acme/os@main -> acme/os@main",
		},
		{
			name:    "three-branch cycle caught at the third hop",
			rules:   Rules{Branches: map[string][]string{"a": {"b"}, "b": {"c"}, "c": {"a"}}},
			trig:    cascaded(`[{"repo":"acme/os","branch":"a"},{"repo":"acme/os","branch":"b"}]`, "c"),
			wantErr: "cascade refused: acme/os@a is already in the chain: acme/os@a -> acme/os@b -> acme/os@c -> acme/os@a",
		},
		{
			name:    "repositories compare without case",
			rules:   Rules{Repos: []RepoRule{{Repo: "ACME/Lib", WhenBranch: "main"}}},
			trig:    cascaded(`[{"repo":"acme/lib","branch":"main"}]`, "main"),
			wantErr: "cascade refused: ACME/Lib (its default branch) is already in the chain: acme/lib@main -> acme/os@main -> ACME/Lib",
		},
		{
			name:    "a dispatch to the own repository's default branch is refused",
			rules:   Rules{Repos: []RepoRule{{Repo: "acme/os", WhenBranch: "main"}}},
			trig:    Trigger{Repo: "acme/os", Branch: "main"},
			wantErr: "cascade refused: acme/os (its default branch) is already in the chain: acme/os@main -> acme/os",
		},
		{
			name:    "a run already in the chain it received refuses to go on",
			rules:   s3Rules,
			trig:    cascaded(`[{"repo":"acme/os","branch":"staging"},{"repo":"acme/lib","branch":"main"}]`, "staging"),
			wantErr: "cascade refused: acme/os@staging is already in the chain: acme/os@staging -> acme/lib@main -> acme/os@staging",
		},
		{
			name:  "a diamond is not a cycle",
			rules: Rules{Branches: map[string][]string{"production": {"staging", "snapshot"}, "staging": {"snapshot"}}},
			trig:  cascaded(`[{"repo":"acme/os","branch":"production"}]`, "staging"),
			want:  []string{"acme/os@snapshot"},
		},
		{
			name:  "another repository's same branch is not a cycle",
			rules: Rules{Repos: []RepoRule{{Repo: "acme/iso", WhenBranch: "main"}}},
			trig:  cascaded(`[{"repo":"acme/lib","branch":"main"}]`, "main"),
			want:  []string{"acme/iso"},
		},
		{
			name:    "depth 1 allows the first hop only",
			rules:   s3Rules,
			trig:    cascaded(`[{"repo":"acme/os","branch":"production"}]`, "staging"),
			depth:   1,
			wantErr: "cascade refused: dispatching acme/os@snapshot would be hop 2, deeper than max-depth 1: acme/os@production -> acme/os@staging -> acme/os@snapshot",
		},
		{
			name:  "depth is not checked when nothing is dispatched",
			rules: s3Rules,
			trig:  cascaded(`[{"repo":"acme/os","branch":"production"},{"repo":"acme/os","branch":"staging"}]`, "snapshot"),
			depth: 1,
			want:  []string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := Plan(tt.rules, tt.trig, tt.self, tt.depth, "c1", nil)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error\n got: %v\nwant: %s", err, tt.wantErr)
				}
				var ce *ChainError
				if !errors.As(err, &ce) {
					t.Errorf("error is %T, want *ChainError", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			wantTargets(t, p, tt.want...)
		})
	}
}

func TestPlanInputErrors(t *testing.T) {
	t.Parallel()
	push := Trigger{Event: "push", Repo: "acme/os", Branch: "production"}
	tests := []struct {
		name  string
		rules Rules
		trig  Trigger
		self  Repo
		cid   string
		want  string
	}{
		{"no repository", s3Rules, Trigger{Branch: "main"}, Repo{}, "c1", "the repository of this run is unknown (GITHUB_REPOSITORY is empty)"},
		{"invalid repository", s3Rules, push, Repo{Repo: "acme"}, "c1", `repository "acme": expected owner/name (letters, digits, "-" in the owner; letters, digits, ".", "_", "-" in the name)`},
		{"neither branch nor channel nor label", s3Rules, Trigger{Repo: "acme/os"}, Repo{}, "c1", "the trigger names neither a branch nor a channel nor a label"},
		{"invalid label", s3Rules, Trigger{Repo: "acme/os", Label: "cur rent"}, Repo{}, "c1", `label "cur rent": not a valid label name (an OCI tag: letters, digits, "_", ".", "-", at most 128)`},
		{"channel and label in one trigger", s3Rules, Trigger{Repo: "acme/os", Channel: "stable", Label: "current"}, Repo{}, "c1", `the trigger names both channel "stable" and label "current": one run publishes a channel or moves a label`},
		{"a bundle without a channel or label", s3Rules, Trigger{Repo: "acme/os", Branch: "main", Bundle: &Bundle{Version: "1.0.0"}}, Repo{}, "c1", "the trigger carries a bundle but names no channel or label it was published to"},
		{"invalid branch", s3Rules, Trigger{Repo: "acme/os", Branch: "a b"}, Repo{}, "c1", `invalid branch name "a b": contains a space or control character`},
		{"invalid channel", s3Rules, Trigger{Repo: "acme/os", Channel: "-x"}, Repo{}, "c1", `channel "-x": not a valid channel name (an OCI tag: letters, digits, "_", ".", "-", at most 128)`},
		{"invalid sha", s3Rules, push, Repo{SHA: "abc"}, "c1", `commit "abc": expected a full commit SHA (40 or 64 lowercase hex digits)`},
		{"no correlation id at the first hop", s3Rules, push, Repo{}, "", `correlation id "": empty`},
		{"invalid rule branch", Rules{Branches: map[string][]string{"main": {"a..b"}}}, push, Repo{}, "c1", `cascade.branches.main[0]: invalid branch name "a..b": contains ".."`},
		{"invalid rule repo", Rules{Repos: []RepoRule{{Repo: "x", WhenBranch: "main"}}}, push, Repo{}, "c1", `cascade.repos[0].repo "x": expected owner/name (letters, digits, "-" in the owner; letters, digits, ".", "_", "-" in the name)`},
		{"rule without when", Rules{Repos: []RepoRule{{Repo: "a/b"}}}, push, Repo{}, "c1", "cascade.repos[0].when: one of branch, channel or label is required"},
		{"rule with channel and label", Rules{Repos: []RepoRule{{Repo: "a/b", WhenChannel: "y", WhenLabel: "z"}}}, push, Repo{}, "c1", "cascade.repos[0].when: channel and label are mutually exclusive"},
		{"rule with all three", Rules{Repos: []RepoRule{{Repo: "a/b", WhenBranch: "x", WhenChannel: "y", WhenLabel: "z"}}}, push, Repo{}, "c1", "cascade.repos[0].when: branch and channel and label are mutually exclusive"},
		{"invalid rule label", Rules{Repos: []RepoRule{{Repo: "a/b", WhenLabel: "-z"}}}, push, Repo{}, "c1", `cascade.repos[0].when.label "-z": not a valid label name (an OCI tag: letters, digits, "_", ".", "-", at most 128)`},
		{"rule with both", Rules{Repos: []RepoRule{{Repo: "a/b", WhenBranch: "x", WhenChannel: "y"}}}, push, Repo{}, "c1", "cascade.repos[0].when: branch and channel are mutually exclusive"},
		{"hand-built envelope", s3Rules, Trigger{Repo: "acme/os", Branch: "staging", Cascade: &Envelope{CorrelationID: "c1"}}, Repo{}, "", "incoming chain: 0 entries, must be 1 to 100"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Plan(tt.rules, tt.trig, tt.self, 0, tt.cid, nil)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("error\n got: %v\nwant: %s", err, tt.want)
			}
		})
	}
}

func TestPlanDeterministic(t *testing.T) {
	t.Parallel()
	rules := Rules{
		Branches: map[string][]string{"main": {"z", "a", "m", "a"}},
		Repos: []RepoRule{
			{Repo: "acme/zeta", WhenBranch: "main"}, {Repo: "Acme/Alpha", WhenBranch: "main"},
			{Repo: "acme/alpha", WhenBranch: "main", EventType: "other"}, {Repo: "acme/zeta", WhenBranch: "main"},
		},
	}
	trig := Trigger{Repo: "acme/os", Branch: "main"}
	first := mustPlan(t, rules, trig, Repo{}, 0, "c1", `{"b":1,"a":2}`)
	wantTargets(t, first, "Acme/Alpha", "acme/alpha", "acme/os@a", "acme/os@m", "acme/os@z", "acme/zeta")
	for range 20 {
		p := mustPlan(t, rules, trig, Repo{}, 0, "c1", `{"b":1,"a":2}`)
		if !reflect.DeepEqual(p, first) {
			t.Fatal("two plans of the same input differ")
		}
	}
}

func TestUntrustedTextIsData(t *testing.T) {
	t.Parallel()
	// Valid git branch names can hold shell and markdown metacharacters: they
	// are carried as JSON strings, never interpreted.
	branch := "feat/$(id)`x`\"'<b>&{}|;#%"
	if err := CheckBranch(branch); err != nil {
		t.Fatal(err)
	}
	rules := Rules{Branches: map[string][]string{"main": {branch}}}
	p := mustPlan(t, rules, Trigger{Repo: "acme/os", Branch: "main"}, Repo{}, 0, "c1", `{"msg":"::set-output name=a::b\n$(curl x)"}`)
	trig := mustParse(t, "repository_dispatch", nextEvent(t, p.Dispatches[0], "main"), "", "acme/os")
	if trig.Branch != branch {
		t.Errorf("branch round trip: %q", trig.Branch)
	}
	if got := string(trig.Cascade.Payload); got != `{"msg":"::set-output name=a::b\n$(curl x)"}` {
		t.Errorf("payload round trip: %s", got)
	}
	// Invalid names from a payload never become targets.
	for _, bad := range []string{"a..b", "x\n::error::y", "a b", "-f", "refs/../x", "x.lock", "HEAD", "a@{1}", "x~1", "a\\b", ".hidden", "a/", "x^", "a:b", "a?", "a*", "a[b"} {
		body := dispatchWith(envelope(`"c1"`, goodChain, mustJSONString(bad), goodSource))
		if _, err := ParseEvent("repository_dispatch", []byte(body), "", "acme/os"); err == nil {
			t.Errorf("branch %q accepted", bad)
		}
	}
}

func mustJSONString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestLabelMoves has a case per rule of a label-triggered cascade (SPEC §4
// cascade-branches, the `label` input; S6: a move of current syncs a mirror).
func TestLabelMoves(t *testing.T) {
	t.Parallel()
	const product, mirror, iso, osRepo = "acme/elemental", "acme/mirror-sync", "acme/elemental-iso", "acme/elemental-os"
	rules := Rules{Repos: []RepoRule{
		{Repo: mirror, WhenLabel: "current"},
		{Repo: "acme/deploy", WhenLabel: "release", EventType: "release-moved"},
		{Repo: iso, WhenChannel: "current"}, // a channel may share a label's name
		{Repo: osRepo, WhenBranch: "main"},
	}}
	self := Repo{Repo: product, Branch: "main", SHA: sha6}
	b := &Bundle{Version: "1.4.0", Digest: "sha256:" + strings.Repeat("a", 64), LockDigest: "sha256:" + strings.Repeat("b", 64)}
	cascaded := mustParse(t, "repository_dispatch", nextEvent(t, mustPlan(t, Rules{Repos: []RepoRule{{Repo: product, WhenBranch: "main"}}},
		mustParse(t, "push", pushEvent("main", sha1s), "", "acme/elemental-cli"), Repo{Repo: "acme/elemental-cli"}, 0, "run-1-1", "").Dispatches[0], "main"),
		"refs/heads/main", product)
	tests := []struct {
		name       string
		trig       Trigger
		want       []string
		wantSource Source
		wantBundle *Bundle
		wantChain  int
		reason     string
	}{
		{
			name: "a label move dispatches the entries when that label, its envelope naming the bundle",
			trig: LabelMoved("current", b), want: []string{mirror},
			wantSource: Source{Repo: product, Ref: "refs/heads/main", SHA: sha6, Label: "current"}, wantBundle: b, wantChain: 1,
		},
		{
			name: "a label move dispatches no entry of another label, channel or branch",
			trig: LabelMoved("testing", b), want: []string{}, reason: `no cascade rule for label "testing"`,
		},
		{
			name: "a channel publish of the same name does not dispatch the label's entries",
			trig: ChannelPublished("current"), want: []string{iso},
			wantSource: Source{Repo: product, Ref: "refs/heads/main", SHA: sha6, Channel: "current"}, wantChain: 1,
		},
		{
			name: "a branch push does not dispatch label entries",
			trig: Trigger{Event: EventPush, Repo: product, Branch: "main"}, want: []string{osRepo},
			wantSource: Source{Repo: product, Ref: "refs/heads/main", SHA: sha6}, wantChain: 1,
		},
		{
			name: "a cascaded run that moves a label keeps the chain's source; the bundle is its own",
			trig: func() Trigger { t := cascaded.Moved("current"); t.Bundle = b; return t }(), want: []string{mirror},
			wantSource: Source{Repo: "acme/elemental-cli", Ref: "refs/heads/main", SHA: sha1s}, wantBundle: b, wantChain: 2,
		},
		{
			name: "moving a label after a channel publish trigger replaces the channel",
			trig: func() Trigger { t := ChannelPublished("current").Moved("current"); t.Bundle = b; return t }(), want: []string{mirror},
			wantSource: Source{Repo: product, Ref: "refs/heads/main", SHA: sha6, Label: "current"}, wantBundle: b, wantChain: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := mustPlan(t, rules, tt.trig, self, 0, "run-9-1", "")
			wantTargets(t, p, tt.want...)
			if p.Reason != tt.reason {
				t.Errorf("reason = %q, want %q", p.Reason, tt.reason)
			}
			for _, d := range p.Dispatches {
				env := envelopeOf(t, d)
				if env.Source != tt.wantSource || len(env.Chain) != tt.wantChain || !reflect.DeepEqual(env.Bundle, tt.wantBundle) {
					t.Errorf("envelope = %+v (bundle %+v)", env, env.Bundle)
				}
				if tt.wantBundle != nil && !strings.Contains(string(d.Body), `"bundle":{"version":"1.4.0","digest":"sha256:aaaa`) {
					t.Errorf("body does not name the bundle: %s", d.Body)
				}
				if tt.wantBundle == nil && strings.Contains(string(d.Body), `"bundle"`) {
					t.Errorf("body names a bundle: %s", d.Body)
				}
			}
		})
	}
	t.Run("the receiver reads the source's label", func(t *testing.T) {
		t.Parallel()
		p := mustPlan(t, rules, LabelMoved("current", b), self, 0, "run-9-1", "")
		got := mustParse(t, "repository_dispatch", nextEvent(t, p.Dispatches[0], "main"), "refs/heads/main", mirror)
		if got.Cascade == nil || got.Cascade.Source.Label != "current" {
			t.Errorf("received %+v", got.Cascade)
		}
	})
}
