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
