package promote

import (
	"fmt"

	"github.com/ladder-release/ladder/internal/attest"
)

// Attestation is the promotion record a signature carries (attest's
// predicate) for a decision on in.
func Attestation(product, label string, in Input, dec Decision, lockDigest string) attest.Promotion {
	p := attest.Promotion{Product: product, Label: label, From: in.From, Version: dec.Target.Version,
		LockDigest: lockDigest, Forced: in.Force, Actor: in.Actor, Run: in.Run, Gates: []attest.Gate{}}
	for _, g := range dec.Gates {
		p.Gates = append(p.Gates, attest.Gate{Gate: "checks", Component: g.Component, Commit: g.Commit, Check: g.Check, Result: string(g.Result), Detail: g.Detail})
	}
	if dec.Soak.Required > 0 {
		p.Gates = append(p.Gates, attest.Gate{Gate: "soak", Result: string(dec.Soak.Result), Detail: fmt.Sprintf("%s of %s", dec.Soak.Elapsed.Round(1e9), dec.Soak.Required)})
	}
	if s := dec.Signed; s != nil {
		p.Gates = append(p.Gates, attest.Gate{Gate: "signed", Result: string(s.Result), Detail: s.Detail})
	}
	return p
}
