package promote

import "testing"

// TestSignedGate: SPEC section 4, Signing: gates.signed passes only with a
// signature satisfying its policy; missing is pending, invalid or another
// identity is failed, and quarantines with quarantine: true.
func TestSignedGate(t *testing.T) {
	t.Parallel()
	gate := &SignedGate{Issuer: "https://token.actions.githubusercontent.com", Identity: "^https://github.com/acme/release/.+$"}
	good := Signature{Digest: dg('s'), Identity: "https://github.com/acme/release/.github/workflows/promote.yml@refs/heads/main"}
	other := Signature{Digest: dg('o'), Mismatch: "expected SAN value to match regex, got https://github.com/evil/x"}
	signed := func(sigs ...Signature) func(*Input) {
		return func(in *Input) { in.Gates.Signed = gate; in.Signatures = sigs }
	}
	cases := []decideCase{
		{"a signature by the identity passes", signed(good),
			want{outcome: Promoted, move: "1.2.0", decision: DecisionPromoted, reason: []string{"checks build passed", "signed by https://github.com/acme/release/"}}},
		{"one good signature among others passes", signed(other, good),
			want{outcome: Promoted, move: "1.2.0", decision: DecisionPromoted, reason: []string{"signed by"}}},
		{"no signature is pending", signed(),
			want{outcome: Pending, reason: []string{"signature missing: no signature attached yet", "identity ^https://github.com/acme/release/"}}},
		{"another identity fails", signed(other),
			want{outcome: Failed, reason: []string{"gate failed for 1.2.0: signature (1 signature, none by issuer https://token.actions.githubusercontent.com", "evil"}}},
		{"another identity quarantines with quarantine: true", func(in *Input) { signed(other)(in); in.Quarantine = true },
			want{outcome: Failed, quarantine: true, reason: []string{"quarantined"}}},
		{"a failed check and a good signature fail", func(in *Input) {
			signed(good)(in)
			in.Evidence = both(Evidence{CheckRuns: runs("build", "completed", "failure")})
		}, want{outcome: Failed, reason: []string{"build (check run failure)"}}},
		{"checks pending and no signature: pending, naming both", func(in *Input) {
			signed()(in)
			in.Evidence = nil
		}, want{outcome: Pending, reason: []string{"checks pending", "signature missing"}}},
		{"force bypasses the signed gate", func(in *Input) { signed(other)(in); in.Force = true },
			want{outcome: Promoted, move: "1.2.0", decision: DecisionPromoted, forced: true}},
		{"a key gate names its key", func(in *Input) { in.Gates.Signed = &SignedGate{Key: "keys/l.pub"}; in.Signatures = []Signature{other} },
			want{outcome: Failed, reason: []string{"none by the key keys/l.pub"}}},
	}
	runDecide(t, cases, nil, func(t *testing.T, in Input, d Decision) {
		if d.Signed == nil && !in.Force { // force decides before any gate
			t.Error("the decision carries no signed gate line")
		}
	})
	if d := Decide(base()); d.Signed != nil {
		t.Errorf("a label without a signed gate has a signed line %+v", d.Signed)
	}
}
