package app

import (
	"strings"
	"testing"
)

// TestBumpPassesOverAnotherChannelsVersions is the outside testers' report
// (issue 11): staging versions its bundles from the operator's tags, stable
// bumps a patch, and stable's first publish ran into staging's 0.0.1 and
// failed. A version is unique per product (SPEC section 2): the bump takes
// the next free version and both resolve-channel and build-bundle say what
// it passed over.
func TestBumpPassesOverAnotherChannelsVersions(t *testing.T) {
	w := newWorld(t, worldOpt{})
	cfg := `version: 1
product: elemental
registry: ` + w.repo() + `
ledger: file:ledger.json
components:
  operator: {repo: rancher/elemental-operator, tag-prefix: "operator/"}
channels:
  staging:
    track: {semver: "<0.1.0"}
    version: {from: operator}
  stable:
    track: {pin: {operator: operator/v1.0.0}}
    version: {bump: patch}
`
	w.writeConfig(t, cfg)
	const op = "rancher/elemental-operator"
	for i, tag := range []string{"operator/v0.0.1", "operator/v0.0.2"} {
		w.gh.Tag(op, tag, w.c[[]string{"op1", "op2"}[i]])
		resolveOK(t, w, map[string]string{"channel": "staging"})
		res := buildOK(t, w, map[string]string{"channel": "staging"})
		if want := strings.TrimPrefix(tag, "operator/v"); res.outputs["version"] != want || res.outputs["published"] != "true" {
			t.Fatalf("staging at %s: %v", tag, res.outputs)
		}
	}

	const passed = "The bump passed over 0.0.1 (held by channel staging), 0.0.2 (held by channel staging)"
	resolved, _ := resolveOK(t, w, map[string]string{"channel": "stable"})
	if resolved.outputs["version"] != "0.0.3" {
		t.Errorf("resolve-channel stable: version %q, want 0.0.3", resolved.outputs["version"])
	}
	if !strings.Contains(resolved.summary, passed) {
		t.Errorf("resolve-channel's summary does not say what the bump passed over:\n%s", resolved.summary)
	}
	res := buildOK(t, w, map[string]string{"channel": "stable"})
	if res.outputs["version"] != "0.0.3" || res.outputs["published"] != "true" {
		t.Fatalf("stable: %v", res.outputs)
	}
	if !strings.Contains(res.summary, passed) {
		t.Errorf("build-bundle's summary does not say what the bump passed over:\n%s", res.summary)
	}
	doc := w.fileLedger(t)
	for v, ch := range map[string]string{"0.0.1": "staging", "0.0.2": "staging", "0.0.3": "stable"} {
		if b, ok := doc.Bundle(v); !ok || b.Channel != ch {
			t.Errorf("ledger: %s is %+v, want published by %s", v, b, ch)
		}
	}

	// the next bump has nothing to pass over, and says nothing of it
	w.gh.Tag(op, "operator/v1.0.1", w.c["op2"])
	w.writeConfig(t, strings.Replace(cfg, "operator/v1.0.0", "operator/v1.0.1", 1))
	resolveOK(t, w, map[string]string{"channel": "stable"})
	next := buildOK(t, w, map[string]string{"channel": "stable"})
	if next.outputs["version"] != "0.0.4" || next.outputs["replaces"] != "0.0.3" {
		t.Errorf("second stable publish: %v", next.outputs)
	}
	if strings.Contains(next.summary, "passed over") {
		t.Errorf("summary names a pass-over where there was none:\n%s", next.summary)
	}
}
