package sign_test

import (
	"context"
	"testing"
	"time"

	"github.com/ladder-release/ladder/internal/attest"
	"github.com/ladder-release/ladder/internal/sigclient"
	"github.com/ladder-release/ladder/internal/sign"
	"github.com/ladder-release/ladder/internal/testutil/sigstoretest"
)

// BenchmarkSignKeyless is SPEC section 9's signing figure: one keyless
// signature (OIDC token, Fulcio certificate, Rekor entry) against the
// stand-ins answering after 20 ms each; requests per signature reported.
func BenchmarkSignKeyless(b *testing.B) {
	s := sigstoretest.Start(b)
	s.Delay = 20 * time.Millisecond
	ctx := context.Background()
	getenv := func(k string) string { return s.Env()[k] }
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tok, err := sigclient.IDToken(ctx, getenv, nil, "sigstore")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := sign.Sign(ctx, attest.SignRequest{Subject: attest.Subject{Name: "r/a", Digest: digest}, Predicate: promotion,
			Keyless: &attest.Keyless{FulcioURL: s.FulcioURL, RekorURL: s.RekorURL, IDToken: tok}}, sign.Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(s.OIDCRequests.Load()+s.FulcioRequests.Load()+s.RekorRequests.Load())/float64(b.N), "requests/op")
}
