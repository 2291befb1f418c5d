package promote

import (
	"reflect"
	"testing"
	"time"

	"github.com/ladder-release/ladder/internal/attest"
)

// TestAttestation: the promotion record a signature carries names the
// product, label, source, version and lock, and one gate line per check,
// then soak and signed when the label has them.
func TestAttestation(t *testing.T) {
	t.Parallel()
	in := Input{From: "channel staging", Force: true, Actor: "octocat", Run: "https://github.com/acme/p/actions/runs/7"}
	plain := Decision{Target: Bundle{Version: "1.2.3"}}
	full := plain
	full.Gates = []GateResult{{Component: "cli", Commit: "abc", Check: "ci", Result: GatePass, Detail: "check run completed/success"}}
	full.Soak = SoakResult{Required: time.Hour, Elapsed: 90 * time.Minute, Result: GatePass}
	full.Signed = &GateResult{Result: GatePass, Detail: "signed by ci@acme"}
	base := attest.Promotion{Product: "elemental", Label: "stable", From: "channel staging", Version: "1.2.3", LockDigest: "sha256:l",
		Forced: true, Actor: "octocat", Run: "https://github.com/acme/p/actions/runs/7", Gates: []attest.Gate{}}
	withGates := base
	withGates.Gates = []attest.Gate{
		{Gate: "checks", Component: "cli", Commit: "abc", Check: "ci", Result: string(GatePass), Detail: "check run completed/success"},
		{Gate: "soak", Result: string(GatePass), Detail: "1h30m0s of 1h0m0s"},
		{Gate: "signed", Result: string(GatePass), Detail: "signed by ci@acme"},
	}
	for _, c := range []struct {
		name string
		dec  Decision
		want attest.Promotion
	}{
		{"no gates: an empty list, not null", plain, base},
		{"checks, soak and signed", full, withGates},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if got := Attestation("elemental", "stable", in, c.dec, "sha256:l"); !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %+v\nwant %+v", got, c.want)
			}
		})
	}
}
