package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// snapshot is what build-bundle may change: the ledger file's bytes and
// every tag of the product's repository with its digest.
func (w *world) snapshot(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	data, err := os.ReadFile(filepath.Join(w.ws, "ledger.json"))
	switch {
	case errors.Is(err, os.ErrNotExist):
		b.WriteString("no ledger\n")
	case err != nil:
		t.Fatal(err)
	default:
		b.Write(data)
	}
	tags, _ := w.oci(t).Tags(context.Background(), w.repo())
	sort.Strings(tags)
	for _, tag := range tags {
		fmt.Fprintf(&b, "%s=%s\n", tag, w.tagDigest(t, tag))
	}
	return b.String()
}

// SPEC section 4: the tags input may not take a name that is ladder's. Each
// kind is refused, naming the input, the tag and why, and nothing changes:
// not the ledger, not one tag of the registry.
func TestBuildRefusesLaddersOwnTags(t *testing.T) {
	w := newWorld(t, worldOpt{})
	w.writeConfig(t, withLedger(w.s1Config(""), "file:ledger.json"))
	first := buildOK(t, w, map[string]string{"channel": "dev"})
	var firstTags []string
	if err := json.Unmarshal([]byte(first.outputs["tags"]), &firstTags); err != nil {
		t.Fatal(err)
	}
	w.gh.Commit("rancher/elemental-cli", "main", "cli: a new lock")
	resolveOK(t, w, map[string]string{"channel": "dev"})
	for _, c := range []struct{ name, tags, want string }{
		{"the next version", "0.0.3", `input tags: "0.0.3" parses as a version`},
		{"a version in its tag form", "1.2.3_build.1", `input tags: "1.2.3_build.1" parses as a version`},
		{"a version with a leading v", "v0.0.3", `input tags: "v0.0.3" parses as a version`},
		{"the channel's own version", firstTags[0], fmt.Sprintf("input tags: %q parses as a version", firstTags[0])},
		{"another channel", "staging", `input tags: "staging" is channel staging's tag; ladder moves it when build-bundle publishes into staging`},
		{"a label", "testing", `input tags: "testing" is label testing's tag; ladder moves it through promote-label`},
		{"a label's previous", "current-previous", `input tags: "current-previous" is label current's previous bundle`},
		{"a channel's end of life", "stable-eol", `input tags: "stable-eol" is where ladder keeps channel stable's final bundle`},
		{"a label's end of life", "testing-eol", `input tags: "testing-eol" is where ladder keeps label testing's final bundle`},
		{"a commit tag", "sha-abcdef1", `input tags: "sha-abcdef1" is a commit tag`},
		{"a composite id", "b366a24-c116a45-a123c56", `input tags: "b366a24-c116a45-a123c56" has the form of a composite id`},
		{"a long lock's id", "id-0123456789ab", `input tags: "id-0123456789ab" has the form of a composite id`},
		{"the catalog", "catalog", `input tags: "catalog" is the OLM catalog image's tag`},
		{"each bad tag named", "latest-build\ntesting\n0.0.3", `input tags: "testing" is label testing's tag; ladder moves it through promote-label` + "%0A" + `input tags: "0.0.3" parses as a version`},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := w.snapshot(t)
			res := w.runAction(t, "build-bundle", map[string]string{"channel": "dev", "tags": c.tags}, nil)
			if res.code == 0 || !strings.Contains(res.stdout, c.want) {
				t.Fatalf("exit %d, want an error containing %q:\n%s", res.code, c.want, res.stdout)
			}
			if len(res.outputs) != 0 {
				t.Errorf("outputs set: %v", res.outputs)
			}
			if after := w.snapshot(t); after != before {
				t.Errorf("the ledger or the registry changed:\nbefore:\n%s\nafter:\n%s", before, after)
			}
		})
	}
	t.Run("ordinary tags (control)", func(t *testing.T) {
		res := buildOK(t, w, map[string]string{"channel": "dev", "tags": "latest-build\nnightly-2024"})
		for _, tag := range []string{"latest-build", "nightly-2024"} {
			if d := w.tagDigest(t, tag); d != res.outputs["digest"] {
				t.Errorf("tag %s: %q, want %s", tag, d, res.outputs["digest"])
			}
		}
	})
}
