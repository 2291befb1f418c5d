package app

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A lock file is data one job hands the next. One whose component names
// another repository than the config's (a fork shares commit SHAs but has
// its own check runs; a path like "o/r/commits/X/check-runs#" redirected
// gate reads) is refused by build-bundle, naming the field, and nothing is
// published.
func TestBuildRefusesALockFromAnotherRepository(t *testing.T) {
	for _, c := range []struct{ name, repo, want string }{
		{"a fork", "evil/elemental-cli", `components[0].repo (cli): "evil/elemental-cli", but .github/ladder.yaml says "rancher/elemental-cli"`},
		{"a path", "rancher/elemental-cli/commits/" + strings.Repeat("a", 40) + "/check-runs#", `components[0].repo (cli): "rancher/elemental-cli/commits/`},
		{"the config's (control)", "rancher/elemental-cli", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t, worldOpt{})
			w.writeConfig(t, withLedger(w.s1Config(""), "file:ledger.json"))
			resolveOK(t, w, map[string]string{"channel": "dev"})
			p := filepath.Join(w.ws, "ladder-lock.json")
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			var doc map[string]any
			if err := json.Unmarshal(data, &doc); err != nil {
				t.Fatal(err)
			}
			comps := doc["components"].([]any)
			first := comps[0].(map[string]any)
			if first["name"] != "cli" {
				t.Fatalf("setup: components[0] is %v", first["name"])
			}
			first["repo"] = c.repo
			if data, err = json.Marshal(doc); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
			res := w.runAction(t, "build-bundle", map[string]string{"channel": "dev"}, nil)
			if c.want == "" {
				if res.code != 0 || res.outputs["published"] != "true" {
					t.Fatalf("the untouched lock: exit %d %v\n%s", res.code, res.outputs, res.stdout)
				}
				return
			}
			if res.code == 0 || !strings.Contains(res.stdout, c.want) {
				t.Fatalf("exit %d, want an error containing %q:\n%s", res.code, c.want, res.stdout)
			}
			if _, err := os.Stat(filepath.Join(w.ws, "ledger.json")); err == nil {
				if n := len(w.fileLedger(t).Bundles); n != 0 {
					t.Errorf("%d bundles in the ledger", n)
				}
			}
			if d := w.tagDigest(t, "dev"); d != "" {
				t.Errorf("channel tag dev written: %s", d)
			}
		})
	}
}

// promote-label reads gate evidence only from the repositories the config
// names. A candidate whose lock names another source for a gated component
// (here the config moved cli to another repository after the publish; a
// bundle pushed with a forged lock looks the same) is an error, not a pass:
// the check run that would pass lives in the lock's repository.
func TestPromoteReadsGatesOnlyFromTheConfigsRepositories(t *testing.T) {
	for _, moved := range []bool{false, true} {
		w := newWorld(t, worldOpt{})
		clk := newClock()
		cfg := w.promoteConfig("file:ledger.json", "  testing:\n    from: dev\n    gates: {checks: [build], components: [cli]}\n", "")
		w.writeConfig(t, cfg)
		w.gh.AddCheckRun("rancher/elemental-cli", w.c["cli3"], "build", "completed", "success")
		if res := w.runAt(t, clk, "resolve-channel", map[string]string{"channel": "dev"}); res.code != 0 {
			t.Fatal(res.stdout)
		}
		if res := w.runAt(t, clk, "build-bundle", map[string]string{"channel": "dev", "version": "1.0.1"}); res.code != 0 {
			t.Fatal(res.stdout)
		}
		if moved {
			w.writeConfig(t, strings.Replace(cfg, "cli:      {repo: rancher/elemental-cli}", "cli:      {repo: rancher/elemental-cli-next}", 1))
		}
		res := promoteRun(t, w, clk, map[string]string{"label": "testing"})
		if !moved {
			if res.code != 0 || res.outputs["decision"] != "promoted" {
				t.Fatalf("control: exit %d %v\n%s", res.code, res.outputs, res.stdout)
			}
			continue
		}
		if res.code == 0 || res.outputs["decision"] == "promoted" || !strings.Contains(res.stdout, `components[0].repo (cli): "rancher/elemental-cli", but .github/ladder.yaml says "rancher/elemental-cli-next"`) {
			t.Fatalf("moved: exit %d %v, want an error naming the lock's repo and the config's:\n%s", res.code, res.outputs, res.stdout)
		}
		if d := w.tagDigest(t, "testing"); d != "" {
			t.Errorf("label testing moved to %s", d)
		}
	}
}
