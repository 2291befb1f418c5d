package app

import (
	"strings"
	"testing"

	"github.com/ladder-release/ladder/internal/sign"
	"github.com/ladder-release/ladder/internal/testutil/registry"
	"github.com/ladder-release/ladder/internal/testutil/regproxy"
	"github.com/ladder-release/ladder/internal/testutil/sigstoretest"
)

// TestSigningRequests is SPEC section 9's request budget for signing, on
// both kinds of registry (go-containerregistry's with the referrers API, the
// CNCF registry without), in key mode and keyless: the requests a signed
// promotion sends beyond the same promotion unsigned (two labels promoting
// the same candidate from dev, one with sign: true), and the requests a
// signed gate sends beyond the same promotion ungated (two labels promoting
// from the signed one). Every request counts: the registry's (through a
// counting proxy), GitHub's, and in keyless the OIDC token, the Fulcio
// certificate and the Rekor entry.
func TestSigningRequests(t *testing.T) {
	// The budgets: each is what the code sends today, and each request is
	// listed in bench/RESULTS.md ("Signing") with why it cannot go. A
	// request added anywhere on these paths fails the test.
	for _, tc := range []struct {
		registry, mode string
		sign, verify   int
	}{
		{registry: "ggcr", mode: "key", sign: 4, verify: 2},
		{registry: "ggcr", mode: "keyless", sign: 7, verify: 2},
		{registry: "distribution", mode: "key", sign: 9, verify: 2},
		{registry: "distribution", mode: "keyless", sign: 12, verify: 2},
	} {
		t.Run(tc.registry+"/"+tc.mode, func(t *testing.T) {
			t.Parallel()
			upstream := ""
			if tc.registry == "ggcr" {
				upstream = registry.InProcess(t)
			} else {
				upstream = registry.Distribution(t)
			}
			proxy := regproxy.Start(t, upstream)
			w := newWorld(t, worldOpt{registry: proxy.Host()})
			w.signer = sign.Local{}
			clk := newClock()
			labels := "  plain:\n    from: dev\n  signed:\n    from: dev\n    sign: true\n" +
				"  mirror:\n    from: signed\n  release:\n    from: signed\n    gates: GATE\n"
			var env map[string]string
			var s *sigstoretest.Sigstore
			if tc.mode == "key" {
				priv, pub := sigstoretest.KeyPair(t)
				writeFile(t, w.ws, "keys/ladder.pub", string(pub))
				env = map[string]string{"LADDER_SIGNING_KEY": string(priv)}
				w.writeConfig(t, w.promoteConfig("file:ledger.json", strings.Replace(labels, "GATE", "{signed: {key: keys/ladder.pub}}", 1), "")+
					"signing:\n  key: {private-key: env:LADDER_SIGNING_KEY}\n")
			} else {
				s = sigstoretest.Start(t)
				env = s.Env()
				writeFile(t, w.ws, "sigstore/trusted_root.json", string(s.TrustedRoot(t)))
				gate := `{signed: {issuer: "` + sigstoretest.GitHubIssuer + `", identity: "` + strings.ReplaceAll(releaseIdentity, `\`, `\\`) + `"}}`
				w.writeConfig(t, w.promoteConfig("file:ledger.json", strings.Replace(labels, "GATE", gate, 1), "")+
					"signing:\n  keyless: {fulcio-url: \""+s.FulcioURL+"\", rekor-url: \""+s.RekorURL+"\", trusted-root: sigstore/trusted_root.json}\n")
			}
			publishDev(t, w, clk, "1.0.1")

			// requests runs promote-label for label and returns every request
			// it sent, by kind.
			requests := func(label string) (total int, what []string) {
				t.Helper()
				proxy.Reset()
				w.gh.ResetStats()
				var before int64
				if s != nil {
					before = s.OIDCRequests.Load() + s.FulcioRequests.Load() + s.RekorRequests.Load()
				}
				signedRun(t, w, clk, label, env, 0, "promoted")
				what = proxy.Requests()
				for _, r := range w.gh.Requests() {
					what = append(what, "github "+r.Route)
				}
				if s != nil {
					for i := before; i < s.OIDCRequests.Load()+s.FulcioRequests.Load()+s.RekorRequests.Load(); i++ {
						what = append(what, "sigstore")
					}
				}
				return len(what), what
			}
			// each budget: label with's promotion sends at most max
			// requests more than label base's
			for _, b := range []struct {
				cost               string
				base, with         string
				baseName, withName string
				max                int
			}{
				{"signing", "plain", "signed", "unsigned promotion", "signed promotion", tc.sign},
				{"the signed gate", "mirror", "release", "ungated promotion", "signed gate", tc.verify},
			} {
				base, baseReqs := requests(b.base)
				with, withReqs := requests(b.with)
				t.Logf("%s: %d requests %v", b.baseName, base, baseReqs)
				t.Logf("%s: %d requests %v", b.withName, with, withReqs)
				if added := with - base; added > b.max {
					t.Errorf("%s added %d requests, want at most %d\n%s: %v\n%s: %v", b.cost, added, b.max, b.baseName, baseReqs, b.withName, withReqs)
				}
			}
		})
	}
}
