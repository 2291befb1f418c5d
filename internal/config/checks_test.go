package config_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/ladder-release/ladder/internal/channel"
	"github.com/ladder-release/ladder/internal/config"
	"github.com/ladder-release/ladder/internal/lock"
)

const checksConfig = `version: 1
product: elemental
registry: ghcr.io/acme/elemental
components:
  cli: {repo: rancher/elemental-cli}
  os: {git: https://git.example.com/os.git}
channels:
  dev:
    track: {branch: main}
labels:
  testing: {from: dev}
cascade:
  event-type: ladder
  repos:
    - {repo: acme/downstream, when: {channel: dev}}
    - {repo: Acme/Downstream, when: {channel: dev}, event-type: again}
    - {repo: acme/labelled, when: {label: testing}}
`

func checksCfg(t *testing.T) *config.Config {
	t.Helper()
	cfg, err := config.Parse("ladder.yaml", []byte(checksConfig))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestCheckLock: a lock holds exactly the config's components, in its
// order, each from the same source, each entry well formed.
func TestCheckLock(t *testing.T) {
	t.Parallel()
	cfg := checksCfg(t)
	cli := lock.Entry{Name: "cli", Repo: "rancher/elemental-cli", Ref: "refs/heads/main", Version: "main", Commit: strings.Repeat("a", 40)}
	os := lock.Entry{Name: "os", Git: "https://git.example.com/os.git", Ref: "refs/heads/main", Version: "main", Commit: strings.Repeat("b", 40)}
	with := func(f func(e []lock.Entry) []lock.Entry) lock.Lock {
		return lock.Lock{Schema: lock.Schema, Product: "elemental", Channel: "dev", Components: f([]lock.Entry{cli, os})}
	}
	for _, c := range []struct {
		name    string
		l       lock.Lock
		wantErr string
	}{
		{"the config's components", with(func(e []lock.Entry) []lock.Entry { return e }), ""},
		{"a component the config lacks", with(func(e []lock.Entry) []lock.Entry { e[1].Name = "kernel"; return e }), `components[1]: component "kernel" is not in ladder.yaml`},
		{"another repository", with(func(e []lock.Entry) []lock.Entry { e[0].Repo = "evil/elemental-cli"; return e }), `components[0].repo (cli): "evil/elemental-cli", but ladder.yaml says "rancher/elemental-cli"`},
		{"another git remote", with(func(e []lock.Entry) []lock.Entry { e[1].Git = "https://evil.example.com/os.git"; return e }), "components[1].git (os)"},
		{"another git remote, a token in its URL: not in the error", with(func(e []lock.Entry) []lock.Entry {
			e[1].Git = "https://x-access-token:ghs_Secret123@evil.example.com/os.git"
			return e
		}), `components[1].git (os): "https://evil.example.com/os.git", but ladder.yaml says "https://git.example.com/os.git"`},
		{"a component missing", with(func(e []lock.Entry) []lock.Entry { return e[:1] }), `components: no entry for component "os" of ladder.yaml`},
		{"another order", with(func(e []lock.Entry) []lock.Entry { return []lock.Entry{e[1], e[0]} }), `components[0]: "os", but the config's component 1 is "cli"`},
		{"a branch head whose version is not its branch", with(func(e []lock.Entry) []lock.Entry { e[0].Version = "1.0.0"; return e }), `components[0].version (cli): "1.0.0", but a branch head's version is its branch, "main"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			err := cfg.CheckLock(c.l)
			switch {
			case c.wantErr == "" && err != nil:
				t.Errorf("error %v", err)
			case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
				t.Errorf("error %v, want %q", err, c.wantErr)
			}
		})
	}
}

// TestRefuseReservedTags: every extra tag that is one of ladder's own names
// is refused, each named; others pass.
func TestRefuseReservedTags(t *testing.T) {
	t.Parallel()
	cfg := checksCfg(t)
	if err := cfg.RefuseReservedTags([]string{"nightly", "build-42"}); err != nil {
		t.Errorf("free tags refused: %v", err)
	}
	err := cfg.RefuseReservedTags([]string{"dev", "testing-previous", "1.2.3", "ok"})
	if err == nil {
		t.Fatal("reserved tags accepted")
	}
	for _, want := range []string{`input tags: "dev"`, `input tags: "testing-previous"`, `input tags: "1.2.3"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	if strings.Contains(err.Error(), `"ok"`) {
		t.Errorf("error %q names a free tag", err)
	}
}

// TestUnknownNamesAndRules: the errors for a channel or label the config
// lacks list the names and suggest the close one; the cascade rules take the
// event-type input over the section's.
func TestUnknownNamesAndRules(t *testing.T) {
	t.Parallel()
	cfg := checksCfg(t)
	if err := cfg.UnknownChannel("dve"); err == nil || err.Error() != `input channel: "dve" is not a channel of ladder.yaml (channels: dev) (did you mean "dev"?)` {
		t.Errorf("UnknownChannel: %v", err)
	}
	if err := cfg.UnknownLabel("testng"); err == nil || !strings.Contains(err.Error(), `(labels: testing) (did you mean "testing"?)`) {
		t.Errorf("UnknownLabel: %v", err)
	}
	if got := cfg.EOLTargets(true, "dev"); !slices.Equal(got, []string{"acme/downstream"}) {
		t.Errorf("EOLTargets(channel dev) = %v", got)
	}
	if got := cfg.EOLTargets(false, "testing"); !slices.Equal(got, []string{"acme/labelled"}) {
		t.Errorf("EOLTargets(label testing) = %v", got)
	}
	if got := cfg.EOLTargets(false, "dev"); len(got) != 0 {
		t.Errorf("EOLTargets(label dev) = %v: no label dev", got)
	}
	if r := cfg.CascadeRules(""); r.EventType != "ladder" || len(r.Repos) != 3 || r.Repos[0].Repo != "acme/downstream" || r.Repos[0].WhenChannel != "dev" {
		t.Errorf("CascadeRules(\"\"): %+v", r)
	}
	if r := cfg.CascadeRules("rebuild"); r.EventType != "rebuild" {
		t.Errorf("CascadeRules(rebuild): event type %q", r.EventType)
	}
}

// TestChannelComponents: a channel's policy per component, with its kind.
func TestChannelComponents(t *testing.T) {
	t.Parallel()
	cfg := checksCfg(t)
	ch, _ := cfg.Channel("dev")
	got := cfg.ChannelComponents(ch)
	if len(got) != 2 || got[0].Name != "cli" || got[0].Repo != "rancher/elemental-cli" || got[1].Git != "https://git.example.com/os.git" {
		t.Fatalf("components %+v", got)
	}
	for _, c := range got {
		if c.Policy.Kind != channel.KindBranch || c.Policy.Branch != "main" {
			t.Errorf("%s: policy %+v, want branch main", c.Name, c.Policy)
		}
	}
}
