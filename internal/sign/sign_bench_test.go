package sign_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ladder-release/ladder/internal/attest"
	"github.com/ladder-release/ladder/internal/oci"
	"github.com/ladder-release/ladder/internal/sigclient"
	"github.com/ladder-release/ladder/internal/sign"
	"github.com/ladder-release/ladder/internal/testutil/gotool"
	"github.com/ladder-release/ladder/internal/testutil/hermetic"
	"github.com/ladder-release/ladder/internal/testutil/registry"
	"github.com/ladder-release/ladder/internal/testutil/regproxy"
	"github.com/ladder-release/ladder/internal/testutil/sigstoretest"
)

// TestMain: a hermetic environment (no machine registry credentials), and
// the programs gotool.Program built removed after.
func TestMain(m *testing.M) { os.Exit(hermetic.Run(m, gotool.Cleanup)) }

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

// delayed answers after a fixed delay (the OIDC token endpoint at 20 ms:
// the stand-in's Delay covers Fulcio and Rekor only).
type delayed struct{ d time.Duration }

func (t delayed) RoundTrip(r *http.Request) (*http.Response, error) {
	time.Sleep(t.d)
	return http.DefaultTransport.RoundTrip(r)
}

// BenchmarkSigningAddsToPromotion is what signing adds to a promotion (SPEC
// section 9: at most 4 requests and 150 ms, at 20 ms per request), as
// promote-label does it: the OIDC token (keyless), the ladder-sign program
// (built here as the image builds it, so its start is paid) signing against
// the Sigstore stand-ins, then AttachSignature through a proxy adding 20 ms
// to every registry request, on go-containerregistry's registry (referrers
// API, no OCI-Subject) and the CNCF registry (no API: the referrers tag).
// Each iteration signs a bundle of its own, pushed beforehand with the
// registry client's cache warm, as the promotion's is (not timed).
// Metrics: ladder-sign-ms/op (the program's run, Fulcio and Rekor
// included), attach-ms/op, registry-req/op and sigstore-req/op (OIDC,
// Fulcio, Rekor); ns/op is the whole, the OIDC token included.
func BenchmarkSigningAddsToPromotion(b *testing.B) {
	bin := gotool.Program(b, filepath.Join("..", ".."), "ladder-sign")
	signer := sigclient.Exec{Path: bin}
	for _, reg := range []string{"ggcr", "distribution"} {
		for _, mode := range []string{"key", "keyless"} {
			b.Run(reg+"/"+mode, func(b *testing.B) {
				upstream := ""
				if reg == "ggcr" {
					upstream = registry.InProcess(b)
				} else {
					upstream = registry.Distribution(b)
				}
				p := regproxy.Start(b, upstream)
				repo := p.Host() + "/acme/app"
				s := sigstoretest.Start(b)
				s.Delay = 20 * time.Millisecond
				oidc := &http.Client{Transport: delayed{20 * time.Millisecond}}
				getenv := func(k string) string { return s.Env()[k] }
				priv, _ := sigstoretest.KeyPair(b)
				ctx := context.Background()
				var regReqs int
				var signing, attaching time.Duration
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					c, err := oci.New(oci.WithInsecure(), oci.WithAuth("ladder", "test"))
					if err != nil {
						b.Fatal(err)
					}
					subject, err := c.PushBundle(ctx, repo, oci.Bundle{Config: []byte(`{"schema":1}`), Files: []oci.File{{Path: "a.txt", Data: []byte(fmt.Sprint(i))}}})
					if err != nil {
						b.Fatal(err)
					}
					p.SetLatency(20 * time.Millisecond)
					p.Reset()
					b.StartTimer()
					prefetched := make(chan struct{}) // as promote-label does (internal/app/sign.go)
					go func() {
						defer close(prefetched)
						c.PrefetchSubject(ctx, repo+"@"+subject)
					}()
					req := attest.SignRequest{Subject: attest.Subject{Name: repo, Digest: subject}, Predicate: promotion}
					if mode == "key" {
						req.Key = &attest.Key{PrivateKeyPEM: priv}
					} else {
						tok, err := sigclient.IDToken(ctx, getenv, oidc, "sigstore")
						if err != nil {
							b.Fatal(err)
						}
						req.Keyless = &attest.Keyless{FulcioURL: s.FulcioURL, RekorURL: s.RekorURL, IDToken: tok}
					}
					t0 := time.Now()
					signed, err := signer.Sign(ctx, req)
					if err != nil {
						b.Fatal(err)
					}
					t1 := time.Now()
					<-prefetched
					if _, err := c.AttachSignature(ctx, repo+"@"+subject, signed.Bundle, nil); err != nil {
						b.Fatal(err)
					}
					b.StopTimer()
					signing += t1.Sub(t0)
					attaching += time.Since(t1)
					regReqs += len(p.Requests())
					p.SetLatency(0)
					b.StartTimer()
				}
				b.ReportMetric(float64(signing.Milliseconds())/float64(b.N), "ladder-sign-ms/op")
				b.ReportMetric(float64(attaching.Milliseconds())/float64(b.N), "attach-ms/op")
				b.ReportMetric(float64(regReqs)/float64(b.N), "registry-req/op")
				b.ReportMetric(float64(s.OIDCRequests.Load()+s.FulcioRequests.Load()+s.RekorRequests.Load())/float64(b.N), "sigstore-req/op")
			})
		}
	}
}
