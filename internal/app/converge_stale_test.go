package app

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/ladder-release/ladder/internal/action/actiontest"
	"github.com/ladder-release/ladder/internal/bundle"
	"github.com/ladder-release/ladder/internal/ledger"
	"github.com/ladder-release/ladder/internal/oci"
	"github.com/ladder-release/ladder/internal/testutil/regproxy"
)

// ledgerFile is the GitHub ledger's file, as the simulator's fault paths
// name it.
const ledgerFile = "elemental.json"

// staleWorld publishes D1 (0.0.1) and then D2 (0.0.2, the same pinned lock,
// forced) into channel stable with `ledger: github`: the channel tag is on
// D2, and the ledger file's previous version knows only D1.
func staleWorld(t *testing.T) (w *world, proxy *regproxy.Proxy, d1, d2 string) {
	t.Helper()
	w, proxy = proxiedS1World(t, "github")
	resolveOK(t, w, map[string]string{"channel": "stable"})
	first := buildOK(t, w, map[string]string{"channel": "stable"})
	second := buildOK(t, w, map[string]string{"channel": "stable", "force": "true"})
	d1, d2 = first.outputs["digest"], second.outputs["digest"]
	if first.outputs["version"] != "0.0.1" || second.outputs["version"] != "0.0.2" || d1 == d2 {
		t.Fatalf("setup: published %v then %v", first.outputs, second.outputs)
	}
	wantTag(t, w, "stable", d2)

	// What a lagging replica answers: the ledger before D2's claim.
	w.gh.StaleReads("acme/elemental", ledgerFile, 1)
	doc := readGitHubLedger(t, w)
	if _, ok := doc.Bundle("0.0.2"); ok {
		t.Fatal("setup: the ledger's previous version already holds 0.0.2")
	}
	if h, ok := doc.Head(ledger.ChannelStream("stable")); !ok || h.Digest != d1 {
		t.Fatalf("setup: the previous version's stable head is %+v, want D1 %s", h, d1)
	}
	return w, proxy, d1, d2
}

// readGitHubLedger reads the ledger file the way the store does (GET
// contents on the ledger branch), through the simulator's API.
func readGitHubLedger(t *testing.T, w *world) *ledger.Document {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, w.gh.URL()+"/repos/acme/elemental/contents/"+ledgerFile+"?ref="+ledger.Branch, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/vnd.github.raw")
	req.Header.Set("Authorization", "Bearer "+actiontest.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("reading the ledger file: %s", resp.Status)
	}
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := ledger.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func wantTag(t *testing.T, w *world, tag, digest string) {
	t.Helper()
	d, err := newTestOCI(t).Head(context.Background(), w.repo()+":"+tag)
	if err != nil || d.Digest != digest {
		t.Fatalf("tag %s is on %s (%v), want %s", tag, d.Digest, err, digest)
	}
}

// TestConvergeKeepsANewerBundleOnAStaleLedgerRead: GitHub's contents API
// answers the ledger as it was before D2's claim for the whole run (replica
// lag). A rerun of the lock then sees D1 at the channel's head and converges
// the channel tag, which holds D2. D2 is a bundle of this product whose
// version the stale read does not hold: the ledger granted it in a write
// this read does not show yet. The tag stays on D2, the run fails saying the
// ledger read looks stale, and D2's manifest was read once for all rounds.
func TestConvergeKeepsANewerBundleOnAStaleLedgerRead(t *testing.T) {
	w, proxy, _, d2 := staleWorld(t)
	w.gh.StaleReads("acme/elemental", ledgerFile, 1000) // longer than any run
	proxy.Reset()
	res := w.runAction(t, "build-bundle", map[string]string{"channel": "stable"}, nil)
	wantTag(t, w, "stable", d2)
	if res.code != ExitFailure {
		t.Fatalf("exit %d, want a failure naming the stale ledger read:\n%s", res.code, res.stdout)
	}
	for _, want := range []string{"registry tag stable", d2, "0.0.2", "ledger read looks stale", "rerun"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("the error lacks %q:\n%s", want, res.stdout)
		}
	}
	gets := 0
	for _, r := range proxy.Requests() {
		if strings.HasPrefix(r, "GET ") && strings.HasSuffix(r, "/manifests/"+d2) {
			gets++
		}
	}
	if gets != 1 {
		t.Errorf("D2's manifest was read %d times, want once:\n%s", gets, strings.Join(proxy.Requests(), "\n"))
	}
	if n := proxy.Stats().ByKind[regproxy.ManifestPut]; n != 0 {
		t.Errorf("%d manifest PUTs: a tag was written", n)
	}
}

// TestConvergeWaitsOutAShortStaleness: the same rerun with the ledger read
// stale for its first 20 reads only. Converge keeps reading instead of
// moving the tag back (without the check it writes D1 on its third round),
// meets the fresh ledger, which holds D2 at the head, and succeeds with the
// tag untouched.
func TestConvergeWaitsOutAShortStaleness(t *testing.T) {
	w, proxy, _, d2 := staleWorld(t)
	w.gh.StaleReads("acme/elemental", ledgerFile, 20)
	proxy.Reset()
	res := w.runAction(t, "build-bundle", map[string]string{"channel": "stable"}, nil)
	if res.code != 0 {
		t.Fatalf("exit %d, want success once the ledger read catches up:\n%s", res.code, res.stdout)
	}
	wantTag(t, w, "stable", d2)
	if n := w.gh.PendingFaults(); n != 0 {
		t.Errorf("%d stale reads left unread: the run stopped reading the ledger early", n)
	}
	if n := proxy.Stats().ByKind[regproxy.ManifestPut]; n != 0 {
		t.Errorf("%d manifest PUTs: a tag was written", n)
	}
	// With a fresh ledger that knows what the tag holds, converge reads no
	// manifest: the check costs nothing in the common case.
	proxy.Reset()
	buildOK(t, w, map[string]string{"channel": "stable"})
	if st := proxy.Stats(); st.ByKind[regproxy.ManifestGet] != 0 || st.ByKind[regproxy.ManifestPut] != 0 {
		t.Errorf("a rerun on a fresh ledger: %s\n%s", st, strings.Join(proxy.Requests(), "\n"))
	}
}

// TestConvergeOverwritesWhatIsNotThisProductsBundle: a manifest under the
// channel tag that is not a bundle of this product the ledger lacks (an
// image, another product's bundle, a hand-built manifest claiming a version
// the ledger holds under another digest) is still put back to the ledger's
// value, with a fresh ledger read.
func TestConvergeOverwritesWhatIsNotThisProductsBundle(t *testing.T) {
	w := newS1World(t, "github")
	_, l := resolveOK(t, w, map[string]string{"channel": "stable"})
	d1 := buildOK(t, w, map[string]string{"channel": "stable"}).outputs["digest"]
	reg := newTestOCI(t)
	ctx := context.Background()
	artifact := func(product, version string) func(t *testing.T) string {
		return func(t *testing.T) string {
			ann := map[string]string{bundle.KeyProduct: product, bundle.OCIVersion: version, bundle.KeyLockDigest: l.Digest()}
			d, err := reg.PushBundle(ctx, w.repo(), oci.Bundle{ArtifactType: bundle.ArtifactType, Config: l.JSON(), Annotations: ann,
				Files: []oci.File{{Path: "by-hand.txt", Data: []byte(product + " " + version)}}})
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
	}
	for _, c := range []struct {
		name string
		push func(t *testing.T) string
	}{
		{"image", func(t *testing.T) string { return pushImage(t, w.repo()+":hand-pushed") }},
		{"another product's bundle", artifact("other", "9.9.9")},
		{"a version the ledger holds elsewhere", artifact("elemental", "0.0.1")},
	} {
		t.Run(c.name, func(t *testing.T) {
			foreign := c.push(t)
			if err := reg.Tag(ctx, w.repo(), foreign, "stable"); err != nil {
				t.Fatal(err)
			}
			wantTag(t, w, "stable", foreign)
			res := buildOK(t, w, map[string]string{"channel": "stable"})
			if res.outputs["published"] != "false" {
				t.Errorf("outputs %v", res.outputs)
			}
			wantTag(t, w, "stable", d1)
		})
	}
}

// TestConvergeKeepsANewerImageOnAStaleLedgerRead is the same story in image
// mode, where the bundle is the team's image and carries no ladder
// annotations: what says it is this product's 0.0.2 is the lock attached to
// it (a referrer). I1 (0.0.1) then I2 (0.0.2, the same lock, forced) enter
// channel stable; a rerun with I1 reads, for the whole run, the ledger before
// I2's claim. The channel tag stays on I2 and the run fails saying the
// ledger read looks stale. An image with no lock of this product attached is
// still overwritten (TestConvergeOverwritesWhatIsNotThisProductsBundle).
func TestConvergeKeepsANewerImageOnAStaleLedgerRead(t *testing.T) {
	w, proxy := proxiedS1World(t, "github")
	push := func(tag string) string { return pushImage(t, w.registry+"/acme/elemental-os:"+tag) }
	i1, i2 := push("build-1"), push("build-2")
	resolveOK(t, w, map[string]string{"channel": "stable"})
	first := buildOK(t, w, map[string]string{"channel": "stable", "image": w.registry + "/acme/elemental-os:build-1"})
	second := buildOK(t, w, map[string]string{"channel": "stable", "image": w.registry + "/acme/elemental-os:build-2", "force": "true"})
	if first.outputs["digest"] != i1 || second.outputs["digest"] != i2 || second.outputs["version"] != "0.0.2" {
		t.Fatalf("setup: published %v then %v", first.outputs, second.outputs)
	}
	wantTag(t, w, "stable", i2)
	w.gh.StaleReads("acme/elemental", ledgerFile, 1000) // longer than any run
	if _, ok := readGitHubLedger(t, w).Bundle("0.0.2"); ok {
		t.Fatal("setup: the stale ledger read holds 0.0.2")
	}
	proxy.Reset()
	res := w.runAction(t, "build-bundle", map[string]string{"channel": "stable", "image": w.registry + "/acme/elemental-os:build-1"}, nil)
	wantTag(t, w, "stable", i2)
	if res.code != ExitFailure {
		t.Fatalf("exit %d, want a failure naming the stale ledger read:\n%s", res.code, res.stdout)
	}
	for _, want := range []string{"registry tag stable", i2, "0.0.2", "ledger read looks stale"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("the error lacks %q:\n%s", want, res.stdout)
		}
	}
}
