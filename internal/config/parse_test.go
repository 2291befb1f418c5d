package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ladder-release/ladder/internal/config"
)

// testdata is the repository's testdata/config directory.
const testdata = "../../testdata/config"

func load(t *testing.T, name string) *config.Config {
	t.Helper()
	c, err := config.Load(filepath.Join(testdata, "valid", name))
	if err != nil {
		t.Fatalf("Load(%s): %v", name, err)
	}
	return c
}

func names[T any](items []T, name func(T) string) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = name(it)
	}
	return out
}

func eq(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %#v, want %#v", what, got, want)
	}
}

func TestValidFilesParse(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join(testdata, "valid", "*.yaml"))
	if err != nil || len(files) < 5 {
		t.Fatalf("want at least 5 valid configs, got %d (%v)", len(files), err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			c, err := config.Load(f)
			if err != nil {
				t.Fatal(err)
			}
			if c.File != f || c.Version != 1 || len(c.Components) == 0 || len(c.Channels) == 0 {
				t.Errorf("incomplete config: file %q version %d, %d components, %d channels", c.File, c.Version, len(c.Components), len(c.Channels))
			}
			for _, ch := range c.Channels {
				if !ch.Retention.All && ch.Retention.Keep < 1 {
					t.Errorf("channel %s: retention neither all nor keep >= 1: %+v", ch.Name, ch.Retention)
				}
				if _, ok := c.Pos["channels."+ch.Name]; !ok {
					t.Errorf("no position for channels.%s", ch.Name)
				}
			}
		})
	}
}

func TestSpecExample(t *testing.T) {
	t.Parallel()
	c := load(t, "spec-example.yaml")
	file := filepath.Join(testdata, "valid", "spec-example.yaml")

	eq(t, "product", c.Product, "elemental")
	eq(t, "registry", c.Registry, "ghcr.io/acme/elemental")
	eq(t, "ledger", c.Ledger.Kind, config.LedgerGitHub)
	eq(t, "component order", names(c.Components, func(c config.Component) string { return c.Name }),
		[]string{"cli", "toolkit", "operator", "os"})
	op, _ := c.Component("operator")
	eq(t, "operator", op, config.Component{Name: "operator", Repo: "rancher/elemental-operator", TagPrefix: "operator/",
		Pos: config.Pos{File: file, Line: 8, Col: 3}})
	osc, _ := c.Component("os")
	eq(t, "os.Git", osc.Git, "https://git.example.com/os.git")
	eq(t, "channel order", names(c.Channels, func(c config.Channel) string { return c.Name }),
		[]string{"dev", "staging", "stable", "nightly"})

	dev, _ := c.Channel("dev")
	eq(t, "dev track", dev.Track.Branch, "main")
	eq(t, "dev version", dev.Version.Prerelease, "dev")
	eq(t, "dev retention", dev.Retention, config.Retention{All: true})
	eq(t, "dev PolicyFor(os)", dev.PolicyFor("os").Branch, "main")

	staging, _ := c.Channel("staging")
	eq(t, "staging track", staging.Track.Semver, ">=0.1.0")
	eq(t, "staging track prerelease", staging.Track.Prerelease, false)
	pol := staging.PolicyFor("operator")
	eq(t, "staging operator", [2]any{pol.Semver, pol.Prerelease}, [2]any{"~1.2", true})
	eq(t, "staging operator pos", pol.Pos, config.Pos{File: file, Line: 17, Col: 7})
	eq(t, "staging cli", staging.PolicyFor("cli").Semver, ">=0.1.0")
	eq(t, "staging version", staging.Version.From, "operator")

	stable, _ := c.Channel("stable")
	eq(t, "stable pins", stable.Track.Pins, map[string]string{"cli": "v0.2.1", "toolkit": "v0.9.0", "operator": "operator/v1.0.0", "os": "v1.0.2"})
	sp := stable.PolicyFor("operator")
	eq(t, "stable PolicyFor(operator)", [2]any{sp.Pin, sp.Pins == nil}, [2]any{"operator/v1.0.0", true})
	eq(t, "stable version", stable.Version.Bump, "patch")
	eq(t, "stable retention", stable.Retention.All, true)

	nightly, _ := c.Channel("nightly")
	eq(t, "nightly track", nightly.Track.Label, "current")
	eq(t, "nightly PolicyFor(cli)", nightly.PolicyFor("cli").Label, "current")

	eq(t, "constraints", c.Constraints[0].SameVersion, []string{"operator", "os"})

	eq(t, "label order", names(c.Labels, func(l config.Label) string { return l.Name }), []string{"testing", "current"})
	testing_, _ := c.Label("testing")
	eq(t, "testing from", testing_.From, "staging")
	eq(t, "testing checks", testing_.Gates.Checks, []string{"build", "e2e"})
	eq(t, "testing soak", testing_.Gates.Soak, 2*time.Hour)
	eq(t, "testing quarantine", testing_.Quarantine, false)
	current, _ := c.Label("current")
	eq(t, "current gates", [4]any{current.Gates.AllChecks, current.Gates.Checks == nil, current.Gates.Soak, current.Gates.Components},
		[4]any{true, true, 24 * time.Hour, []string{"cli", "toolkit", "operator"}})
	eq(t, "current quarantine", current.Quarantine, true)
	eq(t, "current deployment", current.Deployment, &config.Deployment{Environment: "production", Pos: config.Pos{File: file, Line: 35, Col: 5}})
	eq(t, "testing deployment", testing_.Deployment, (*config.Deployment)(nil))

	if c.Cascade == nil {
		t.Fatal("no cascade")
	}
	eq(t, "event type", c.Cascade.EventType, "ladder-cascade")
	eq(t, "branches", c.Cascade.Branches, map[string][]string{"production": {"staging"}, "staging": {"snapshot"}})
	eq(t, "repos", []config.CascadeRepo{
		{Repo: c.Cascade.Repos[0].Repo, When: c.Cascade.Repos[0].When, EventType: c.Cascade.Repos[0].EventType},
		{Repo: c.Cascade.Repos[1].Repo, When: c.Cascade.Repos[1].When, EventType: c.Cascade.Repos[1].EventType},
		{Repo: c.Cascade.Repos[2].Repo, When: c.Cascade.Repos[2].When, EventType: c.Cascade.Repos[2].EventType},
	}, []config.CascadeRepo{
		{Repo: "acme/elemental-os", When: config.CascadeWhen{Branch: "main"}},
		{Repo: "acme/elemental-iso", When: config.CascadeWhen{Channel: "stable"}, EventType: "stable-published"},
		{Repo: "acme/mirror-sync", When: config.CascadeWhen{Label: "current"}},
	})

	// Positions for annotations: keys of mappings, items of lists.
	for path, want := range map[string][2]int{
		"version":                               {1, 1},
		"components.cli":                        {6, 3},
		"channels.dev":                          {11, 3},
		"channels.dev.track":                    {12, 5},
		"channels.staging.track.semver":         {15, 13},
		"labels.current.gates":                  {33, 5},
		"cascade.repos[1]":                      {41, 7},
		"cascade.repos[1].event-type":           {41, 59},
		"labels.current.deployment.environment": {35, 18},
	} {
		if got := c.Pos[path]; got.File != file || got.Line != want[0] || got.Col != want[1] {
			t.Errorf("Pos[%q] = %v, want %s:%d:%d", path, got, file, want[0], want[1])
		}
	}
}

func TestOtherValidFiles(t *testing.T) {
	t.Parallel()
	t.Run("minimal", func(t *testing.T) {
		t.Parallel()
		c := load(t, "minimal.yaml")
		eq(t, "ledger default", c.Ledger, config.Ledger{Kind: config.LedgerGitHub})
		eq(t, "labels", c.Labels, []config.Label(nil))
		eq(t, "cascade", c.Cascade, (*config.Cascade)(nil))
		eq(t, "retention default", c.Channels[0].Retention, config.Retention{All: true})
		eq(t, "repo", c.Components[0].Repo, "acme/hello")
	})
	t.Run("branch-cascade", func(t *testing.T) {
		t.Parallel()
		c := load(t, "branch-cascade.yaml")
		eq(t, "ledger", c.Ledger.Kind, config.LedgerNone)
		eq(t, "registry", c.Registry, "registry.example.com:5000/platform/pkg-registry")
		eq(t, "branches", c.Cascade.Branches, map[string][]string{
			"production": {"staging", "snapshot"}, "staging": {"snapshot"}, "snapshot": {}})
		eq(t, "default event type", c.Cascade.EventType, config.DefaultEventType)
		eq(t, "repo 0", [2]any{c.Cascade.Repos[0].When.Branch, c.Cascade.Repos[0].EventType}, [2]any{"production", "rebuild-images"})
		eq(t, "repo 1", c.Cascade.Repos[1].When.Channel, "production")
		prod, _ := c.Channel("production")
		eq(t, "retention keep", prod.Retention.All, false)
		eq(t, "retention keep", prod.Retention.Keep, 10)
		snap, _ := c.Channel("snapshot")
		eq(t, "retention default", snap.Retention.All, true)
	})
	t.Run("operator-cd", func(t *testing.T) {
		t.Parallel()
		c := load(t, "operator-cd.yaml")
		eq(t, "ledger", c.Ledger, config.Ledger{Kind: config.LedgerFile, Path: ".ladder/ledger.json", Pos: c.Ledger.Pos})
		eq(t, "component order", names(c.Components, func(c config.Component) string { return c.Name }),
			[]string{"operator", "bundle", "catalog", "e2e"})
		eq(t, "scp-like git", c.Components[0].Git, "git@git.example.com:team/operator.git")
		eq(t, "tag prefix", c.Components[0].TagPrefix, "v")
		eq(t, "dot repo", c.Components[3].Repo, "acme/.github")
		main, _ := c.Channel("main")
		eq(t, "main catalog", main.PolicyFor("catalog").Branch, "release/1.x")
		eq(t, "main e2e", main.PolicyFor("e2e").Pin, "0123456789abcdef0123456789abcdef01234567")
		eq(t, "main operator", main.PolicyFor("operator").Branch, "main")
		eq(t, "main retention", main.Retention, config.Retention{Keep: 50, Pos: main.Retention.Pos})
		cand, _ := c.Channel("candidate")
		eq(t, "candidate", [3]any{cand.Track.Semver, cand.Track.Prerelease, cand.Version.Bump}, [3]any{">=1.0.0-0", true, "minor"})
		prod, _ := c.Channel("production")
		eq(t, "production operator pin", prod.PolicyFor("operator").Pin, "v1.2.3")
		eq(t, "production catalog", prod.PolicyFor("catalog").Semver, "1.x")
		eq(t, "production e2e", prod.PolicyFor("e2e").Branch, "main")
		eq(t, "constraints", [][]string{c.Constraints[0].SameVersion, c.Constraints[1].SameVersion},
			[][]string{{"operator", "bundle"}, {"bundle", "catalog", "operator"}})
		stage, _ := c.Label("stage")
		eq(t, "stage gates", [3]any{stage.Gates.Checks, stage.Gates.AllChecks, stage.Gates.Soak}, [3]any{[]string(nil), false, time.Duration(0)})
		prodL, _ := c.Label("prod")
		eq(t, "prod gates", [3]any{prodL.Gates.Checks, prodL.Gates.Soak, prodL.Gates.Components},
			[3]any{[]string{"e2e", "ci / build (amd64)"}, 36 * time.Hour, []string{"operator"}})
	})
	t.Run("label-pipeline", func(t *testing.T) {
		t.Parallel()
		c := load(t, "label-pipeline.yaml")
		eq(t, "labels", names(c.Labels, func(l config.Label) string { return l.Name }), []string{"testing", "current", "Stable_1.x"})
		testing_, _ := c.Label("testing")
		eq(t, "testing soak 2d", testing_.Gates.Soak, 48*time.Hour)
		eq(t, "testing all checks", testing_.Gates.AllChecks, true)
		current, _ := c.Label("current")
		eq(t, "current soak", current.Gates.Soak, 90*time.Minute)
		eq(t, "current checks", current.Gates.Checks, []string(nil))
		pinned, _ := c.Channel("pinned")
		eq(t, "quoted pin", pinned.PolicyFor("compose").Pin, "20240101.0")
		fc, _ := c.Channel("follow-current")
		eq(t, "keep all", fc.Retention.All, true)
		eq(t, "follow label", fc.Track.Label, "current")
	})
	t.Run("anchors", func(t *testing.T) {
		t.Parallel()
		c := load(t, "anchors.yaml")
		eq(t, "aliased component", c.Components[2], config.Component{Name: "c", Repo: "acme/a", Pos: c.Components[2].Pos})
		dev2, _ := c.Channel("dev2")
		eq(t, "merged track", dev2.Track.Branch, "main")
		eq(t, "override beats merge", dev2.Version.Prerelease, "dev2")
		edge, _ := c.Channel("edge")
		eq(t, "merged list", [2]string{edge.Track.Branch, edge.Version.Prerelease}, [2]string{"main", "dev"})
		ga, _ := c.Label("ga")
		eq(t, "aliased gates", [3]any{ga.Gates.Checks, ga.Gates.Soak, ga.Gates.Components},
			[3]any{[]string{"unit", "lint"}, 30 * time.Minute, []string{"a", "b"}})
		eq(t, "aliased event type", c.Cascade.Repos[0].EventType, "my-event")
		eq(t, "cascade event type", c.Cascade.EventType, "my-event")
	})
}

func TestLoadMissingFile(t *testing.T) {
	t.Parallel()
	_, err := config.Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Load of a missing file: %v, want an os.ErrNotExist", err)
	}
}

func TestPolicyForWithoutOverrides(t *testing.T) {
	t.Parallel()
	c, err := config.Parse("x.yaml", []byte(strings.Join([]string{
		"version: 1", "product: p", "registry: ghcr.io/a/p",
		"components: {a: {repo: o/a}, b: {repo: o/b}}",
		"channels: {s: {track: {pin: {a: v1}}, components: {b: {semver: '^2', prerelease: true}}}}",
	}, "\n")))
	if err != nil {
		t.Fatal(err)
	}
	s := c.Channels[0]
	eq(t, "a", s.PolicyFor("a").Pin, "v1")
	eq(t, "b", [2]any{s.PolicyFor("b").Semver, s.PolicyFor("b").Prerelease}, [2]any{"^2", true})
}
