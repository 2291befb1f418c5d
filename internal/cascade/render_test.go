package cascade

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, name string, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (run with -update to accept)\n got:\n%s\nwant:\n%s", path, got, want)
	}
}

func TestMermaid(t *testing.T) {
	t.Run("s3-second-hop", func(t *testing.T) {
		trig := mustParse(t, "repository_dispatch", fixture(t, "repository_dispatch.json"), "refs/heads/snapshot", storage)
		p := mustPlan(t, s3Rules, trig, Repo{Repo: storage, SHA: sha2s}, 0, "x", "")
		golden(t, "s3-second-hop.mmd", p.Mermaid())
	})
	t.Run("s3-last-hop", func(t *testing.T) {
		trig := mustParse(t, "repository_dispatch", fixture(t, "repository_dispatch.json"), "refs/heads/snapshot", storage)
		p := mustPlan(t, Rules{}, trig, Repo{Repo: storage}, 0, "x", "")
		golden(t, "s3-last-hop.mmd", p.Mermaid())
	})
	t.Run("s1-channel-publish", func(t *testing.T) {
		rules := Rules{Branches: map[string][]string{"main": {"release"}}, Repos: []RepoRule{
			{Repo: "acme/elemental-iso", WhenChannel: "stable", EventType: "stable-published"},
			{Repo: "acme/elemental-usb", WhenChannel: "stable"},
		}}
		p := mustPlan(t, rules, ChannelPublished("stable"), Repo{Repo: "acme/elemental-os", Branch: "main", SHA: sha6}, 0, "run-1", "")
		golden(t, "s1-channel-publish.mmd", p.Mermaid())
	})
	t.Run("hostile-names", func(t *testing.T) {
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
		golden(t, "hostile-names.mmd", got)
	})
	t.Run("nothing to draw", func(t *testing.T) {
		p := mustPlan(t, s3Rules, Trigger{Skip: "tag push"}, Repo{}, 0, "c1", "")
		if got := p.Mermaid(); got != "" {
			t.Errorf("Mermaid = %q", got)
		}
		if p.ChainJSON() != "[]" || p.TargetsJSON() != "[]" {
			t.Errorf("chain %s, targets %s", p.ChainJSON(), p.TargetsJSON())
		}
	})
}
