package cascade

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/ladder-release/ladder/internal/testutil/golden"
)

func TestMermaid(t *testing.T) {
	t.Parallel()
	t.Run("s3-second-hop", func(t *testing.T) {
		t.Parallel()
		trig := mustParse(t, "repository_dispatch", fixture(t, "repository_dispatch.json"), "refs/heads/snapshot", storage)
		p := mustPlan(t, s3Rules, trig, Repo{Repo: storage, SHA: sha2s}, 0, "x", "")
		golden.Compare(t, filepath.Join("testdata", "golden", "s3-second-hop.mmd"), []byte(p.Mermaid()))
	})
	t.Run("s3-last-hop", func(t *testing.T) {
		t.Parallel()
		trig := mustParse(t, "repository_dispatch", fixture(t, "repository_dispatch.json"), "refs/heads/snapshot", storage)
		p := mustPlan(t, Rules{}, trig, Repo{Repo: storage}, 0, "x", "")
		golden.Compare(t, filepath.Join("testdata", "golden", "s3-last-hop.mmd"), []byte(p.Mermaid()))
	})
	t.Run("s1-channel-publish", func(t *testing.T) {
		t.Parallel()
		rules := Rules{Branches: map[string][]string{"main": {"release"}}, Repos: []RepoRule{
			{Repo: "acme/elemental-iso", WhenChannel: "stable", EventType: "stable-published"},
			{Repo: "acme/elemental-usb", WhenChannel: "stable"},
		}}
		p := mustPlan(t, rules, ChannelPublished("stable"), Repo{Repo: "acme/elemental-os", Branch: "main", SHA: sha6}, 0, "run-1", "")
		golden.Compare(t, filepath.Join("testdata", "golden", "s1-channel-publish.mmd"), []byte(p.Mermaid()))
	})
	t.Run("hostile-names", func(t *testing.T) {
		t.Parallel()
		branch := "x\"];click_h0_call_alert()%%```<img_src=x>&#35;|"
		if err := CheckBranch(branch); err != nil {
			t.Fatal(err)
		}
		rules := Rules{EventType: "evil\"|-->", Branches: map[string][]string{"main": {branch}}}
		p := mustPlan(t, rules, Trigger{Repo: "acme/os", Branch: "main"}, Repo{}, 0, "c1", "")
		got := p.Mermaid()
		for _, bad := range []string{"```", "<img", "%%", "|-->", "x\""} {
			if strings.Contains(got, bad) {
				t.Errorf("mermaid output holds %q:\n%s", bad, got)
			}
		}
		for _, line := range strings.Split(got, "\n") {
			if n := strings.Count(line, `"`); n != 0 && n != 2 {
				t.Errorf("a label is not closed where it should be: %s", line)
			}
		}
		golden.Compare(t, filepath.Join("testdata", "golden", "hostile-names.mmd"), []byte(got))
	})
	t.Run("nothing to draw", func(t *testing.T) {
		t.Parallel()
		p := mustPlan(t, s3Rules, Trigger{Skip: "tag push"}, Repo{}, 0, "c1", "")
		if got := p.Mermaid(); got != "" {
			t.Errorf("Mermaid = %q", got)
		}
		if p.ChainJSON() != "[]" || p.TargetsJSON() != "[]" {
			t.Errorf("chain %s, targets %s", p.ChainJSON(), p.TargetsJSON())
		}
	})
}
