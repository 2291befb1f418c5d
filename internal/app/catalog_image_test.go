package app

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/ladder-release/ladder/internal/ledger"
	"github.com/ladder-release/ladder/internal/oci"
	"github.com/ladder-release/ladder/internal/testutil/opm"
	"github.com/ladder-release/ladder/internal/testutil/registry"
	"github.com/ladder-release/ladder/internal/testutil/regproxy"
)

// catalogImageWorld is a world whose registry is the CNCF distribution
// registry behind a proxy (to watch and hold requests), with story S7's
// config: dev -> stage -> production, plus fast from dev and testing from
// dev; export.olm exports production (stable, the default), stage
// (candidate) and fast. testing feeds no OLM channel.
func catalogImageWorld(t *testing.T) (*world, *fakeClock, *regproxy.Proxy) {
	t.Helper()
	dist := registry.StartDistribution(t)
	p := regproxy.Start(t, dist.Host)
	w := newWorld(t, worldOpt{registry: p.Host()})
	w.writeConfig(t, w.promoteConfig("file:ledger.json",
		"  stage: {from: dev}\n  production: {from: stage}\n  fast: {from: dev}\n  testing: {from: dev}\n", "")+`export:
  olm:
    package: elemental-operator
    channels: {stable: production, candidate: stage, fast: fast}
    default-channel: stable
`)
	return w, newClock(), p
}

// ladderCatalogJSON is what `ladder catalog --format json` prints now.
func ladderCatalogJSON(t *testing.T, w *world) string {
	t.Helper()
	res := runCatalog(t, map[string]string{"GITHUB_WORKSPACE": w.ws}, "--format", "json")
	if res.code != ExitOK {
		t.Fatalf("ladder catalog: exit %d\n%s", res.code, res.stderr)
	}
	return res.stdout
}

// pulledCatalog pulls <registry>:catalog as catalogd would and checks its
// shape: an OCI image manifest, an OCI image config with a platform, the
// configs label and the diff_id of its one tar+gzip layer. It returns the
// digest and /configs/elemental-operator/catalog.json.
func pulledCatalog(t *testing.T, w *world) (digest, catalogJSON string) {
	t.Helper()
	ref, err := name.ParseReference(w.repo()+":catalog", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(ref)
	if err != nil {
		t.Fatalf("pulling %s: %v", ref, err)
	}
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if m.MediaType != types.OCIManifestSchema1 || m.Config.MediaType != types.OCIConfigJSON || len(m.Layers) != 1 || m.Layers[0].MediaType != types.OCILayer {
		t.Fatalf("manifest %s, config %s, layers %+v: want an OCI image of one tar+gzip layer", m.MediaType, m.Config.MediaType, m.Layers)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.OS == "" || cf.Architecture == "" {
		t.Errorf("config platform %q/%q: an image config names one", cf.OS, cf.Architecture)
	}
	if got := cf.Config.Labels["operators.operatorframework.io.index.configs.v1"]; got != "/configs" {
		t.Errorf("label operators.operatorframework.io.index.configs.v1 = %q, want /configs", got)
	}
	layers, _ := img.Layers()
	diffID, err := layers[0].DiffID()
	if err != nil {
		t.Fatal(err)
	}
	if len(cf.RootFS.DiffIDs) != 1 || cf.RootFS.DiffIDs[0] != diffID {
		t.Errorf("rootfs diff_ids %v, want [%s]", cf.RootFS.DiffIDs, diffID)
	}
	lr, err := layers[0].Compressed()
	if err != nil {
		t.Fatal(err)
	}
	compressed, err := io.ReadAll(lr)
	lr.Close()
	if err != nil {
		t.Fatal(err)
	}
	data, ok, err := oci.LayerFile(compressed, "/configs/elemental-operator/catalog.json")
	if err != nil || !ok {
		t.Fatalf("the layer holds no /configs/elemental-operator/catalog.json (%v)", err)
	}
	d, _ := img.Digest()
	return d.String(), string(data)
}

// checkCatalogImage: the registry's catalog is the ledger's, exactly as
// `ladder catalog --format json` prints it, and operator-registry accepts it.
func checkCatalogImage(t *testing.T, w *world) string {
	t.Helper()
	digest, got := pulledCatalog(t, w)
	if want := ladderCatalogJSON(t, w); got != want {
		t.Fatalf("the catalog image holds\n%s\nladder catalog --format json prints\n%s", got, want)
	}
	if err := opm.Validate(t, map[string][]byte{"elemental-operator/catalog.json": []byte(got)}); err != nil {
		t.Errorf("operator-registry refuses the catalog image's catalog: %v", err)
	}
	return digest
}

// catalogPuts are the manifest PUTs of the catalog tag since the proxy's
// last reset.
func catalogPuts(p *regproxy.Proxy) int {
	n := 0
	for _, r := range p.Requests() {
		if strings.HasPrefix(r, "PUT ") && strings.Contains(r, "/manifests/catalog") {
			n++
		}
	}
	return n
}

// TestStoryS7CatalogImage: with export.olm, each build-bundle and
// promote-label that changes a stream the catalog is read from republishes
// <registry>:catalog, the catalog of the ledger; a run that changes none
// (another label, a noop, a dry run) leaves the tag alone, even a tag that
// is wrong; an unchanged catalog is not pushed again; a rerun republishes.
func TestStoryS7CatalogImage(t *testing.T) {
	w, clk, p := catalogImageWorld(t)
	step := func(name string, inputs, extra map[string]string) result {
		t.Helper()
		clk.Advance(time.Minute)
		res := w.runAtEnv(t, clk, name, inputs, extra)
		if res.code != ExitOK {
			t.Fatalf("%s %v: exit %d\n%s%s", name, inputs, res.code, res.stdout, res.stderr)
		}
		return res
	}

	publishDev(t, w, clk, "1.0.0")
	step("promote-label", map[string]string{"label": "stage", "from": "1.0.0"}, nil)
	if d := w.tagDigest(t, "catalog"); d != "" {
		t.Fatalf("catalog tag %s before production (the default channel) has a bundle", d)
	}
	res := step("promote-label", map[string]string{"label": "production", "from": "1.0.0"}, nil)
	first := checkCatalogImage(t, w)
	if !strings.Contains(res.stdout, "OLM catalog: "+w.repo()+":catalog is now "+first) {
		t.Errorf("the run does not say it republished the catalog:\n%s", res.stdout)
	}

	// dev is where stage's skips come from: read, but this publish leaves
	// the catalog as it is, so nothing is pushed
	p.Reset()
	publishDev(t, w, clk, "1.1.0")
	if n := catalogPuts(p); n != 0 || w.tagDigest(t, "catalog") != first {
		t.Errorf("an unchanged catalog was pushed again (%d PUTs) or moved:\n%s", n, strings.Join(p.Requests(), "\n"))
	}
	step("promote-label", map[string]string{"label": "stage", "from": "1.1.0"}, nil)
	second := checkCatalogImage(t, w)
	if second == first {
		t.Fatal("stage moved and the catalog image did not change")
	}

	// runs that change no stream of the catalog leave even a wrong tag alone
	foreign := pushImage(t, w.repo()+":catalog")
	step("promote-label", map[string]string{"label": "testing", "from": "1.1.0"}, nil)
	if d := w.tagDigest(t, "catalog"); d != foreign {
		t.Fatalf("a promotion of testing (no OLM channel reads it) moved the catalog tag to %s", d)
	}
	step("promote-label", map[string]string{"label": "stage", "from": "1.1.0"}, map[string]string{"GITHUB_RUN_ID": "5151"}) // noop
	if d := w.tagDigest(t, "catalog"); d != foreign {
		t.Fatalf("a noop promotion (another run moved stage) moved the catalog tag to %s", d)
	}
	publishDev(t, w, clk, "1.2.0") // republishes: dev is read
	if d := w.tagDigest(t, "catalog"); d == foreign {
		t.Fatal("a publish into dev (read by the catalog) left a foreign image under the catalog tag")
	}
	foreign = pushImage(t, w.repo()+":catalog")
	step("promote-label", map[string]string{"label": "stage", "from": "1.2.0", "dry-run": "true"}, nil)
	step("promote-label", map[string]string{"label": "stage", "from": "1.1.0"}, map[string]string{"GITHUB_RUN_ID": "5152"}) // noop
	if d := w.tagDigest(t, "catalog"); d != foreign {
		t.Fatalf("a run that changed no stream of the catalog moved its tag to %s", d)
	}
	// the rerun of the run that moved stage (same run id) republishes
	step("promote-label", map[string]string{"label": "stage", "from": "1.1.0"}, nil)
	if d := checkCatalogImage(t, w); d != second {
		t.Errorf("the rerun republished %s, want %s", d, second)
	}
	step("promote-label", map[string]string{"label": "fast", "from": "1.2.0"}, nil)
	if d := checkCatalogImage(t, w); d == second {
		t.Error("fast moved and the catalog image did not change")
	}
}

// TestCatalogImageConcurrentPromotions: two promotions at once end with the
// catalog of the final ledger. The first run's catalog push is held until
// the second run has moved its label and published its catalog; the first
// push then lands last, with a catalog that lacks the second move, and the
// first run's next ledger read puts the ledger's catalog back.
func TestCatalogImageConcurrentPromotions(t *testing.T) {
	w, clk, p := catalogImageWorld(t)
	publishDev(t, w, clk, "1.0.0")
	publishDev(t, w, clk, "1.1.0")
	for _, l := range []string{"stage", "production", "fast"} {
		promoteWant(t, w, clk, map[string]string{"label": l, "from": "1.0.0"}, 0, "promoted")
	}
	checkCatalogImage(t, w)

	held, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	p.SetIntercept(func(_ http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/manifests/catalog") {
			first := false
			once.Do(func() { first = true })
			if first {
				close(held)
				<-release
			}
		}
		return false
	})
	var a result
	done := make(chan struct{})
	go func() {
		defer close(done)
		a = w.runAtEnv(t, clk, "promote-label", map[string]string{"label": "stage", "from": "1.1.0"}, map[string]string{"GITHUB_RUN_ID": "601"})
	}()
	select {
	case <-held:
	case <-done:
		t.Fatalf("the first promotion ended without pushing a catalog: exit %d\n%s%s", a.code, a.stdout, a.stderr)
	case <-time.After(2 * time.Minute):
		t.Fatal("the first promotion never pushed its catalog")
	}
	b := w.runAtEnv(t, clk, "promote-label", map[string]string{"label": "fast", "from": "1.1.0"}, map[string]string{"GITHUB_RUN_ID": "602"})
	close(release)
	<-done
	if a.code != ExitOK || b.code != ExitOK {
		t.Fatalf("exit %d / %d\n%s%s\n%s%s", a.code, b.code, a.stdout, a.stderr, b.stdout, b.stderr)
	}
	checkCatalogImage(t, w) // the final ledger's, as ladder catalog prints it
	cat := ladderCatalogJSON(t, w)
	for _, want := range []string{`"name": "candidate",`, `"name": "fast",`} {
		i := strings.Index(cat, want)
		if i < 0 || !strings.Contains(cat[i:], `"name": "elemental-operator.v1.1.0"`) {
			t.Errorf("the final catalog lacks channel %s at 1.1.0:\n%s", want, cat)
		}
	}
}

// TestCatalogImagePushFails: a registry that refuses the catalog push after
// the ledger write fails the step, saying the move is recorded and the
// catalog is republished by the next run or a rerun; the rerun does.
func TestCatalogImagePushFails(t *testing.T) {
	w, clk, p := catalogImageWorld(t)
	publishDev(t, w, clk, "1.0.0")
	promoteWant(t, w, clk, map[string]string{"label": "stage", "from": "1.0.0"}, 0, "promoted")
	p.SetIntercept(func(rw http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/manifests/catalog") {
			rw.WriteHeader(http.StatusInternalServerError)
			return true
		}
		return false
	})
	res := w.runAt(t, clk, "promote-label", map[string]string{"label": "production", "from": "1.0.0"})
	if res.code == ExitOK {
		t.Fatalf("the step passed though the catalog was not pushed:\n%s", res.stdout)
	}
	for _, want := range []string{
		"the ledger recorded the move of label production to 1.0.0, but the OLM catalog image " + w.repo() + ":catalog was not republished",
		"the next run that changes a stream of export.olm, or a rerun of this one, republishes it (the ledger change is not made again)",
	} {
		if !strings.Contains(res.stdout+res.stderr, want) {
			t.Errorf("the failure does not say\n%s\n---\n%s%s", want, res.stdout, res.stderr)
		}
	}
	if es := w.labelStream(t, "production"); len(es) != 1 || es[0].Version != "1.0.0" {
		t.Fatalf("the ledger's production stream %+v, want the move to 1.0.0", es)
	}
	if d := w.tagDigest(t, "catalog"); d != "" {
		t.Fatalf("catalog tag %s after a refused push", d)
	}
	p.SetIntercept(nil)
	clk.Advance(time.Minute)
	promoteWant(t, w, clk, map[string]string{"label": "production", "from": "1.0.0"}, 0, "noop")
	checkCatalogImage(t, w)
}

// TestRetireRepublishesTheCatalog: retiring a label an OLM channel follows
// changes the catalog's olm.deprecations, so the retire republishes
// <registry>:catalog; its undo republishes it without them.
func TestRetireRepublishesTheCatalog(t *testing.T) {
	w, clk, _ := catalogImageWorld(t)
	publishDev(t, w, clk, "1.0.0")
	for _, l := range []string{"stage", "production", "fast"} {
		promoteWant(t, w, clk, map[string]string{"label": l, "from": "1.0.0"}, 0, "promoted")
	}
	before := checkCatalogImage(t, w)
	clk.Advance(time.Minute)
	if res := w.runAt(t, clk, "retire", map[string]string{"label": "fast", "reason": "the fast lane closes"}); res.code != ExitOK {
		t.Fatalf("retire: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	retired := checkCatalogImage(t, w)
	if _, cat := pulledCatalog(t, w); retired == before || !strings.Contains(cat, `"olm.deprecations"`) || !strings.Contains(cat, "the fast lane closes") {
		t.Fatalf("after the retire, the catalog image (%s, was %s) holds no deprecation of fast:\n%s", retired, before, cat)
	}
	clk.Advance(time.Minute)
	if res := w.runAt(t, clk, "retire", map[string]string{"label": "fast", "undo": "true", "reason": "reopened"}); res.code != ExitOK {
		t.Fatalf("retire --undo: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	if d := checkCatalogImage(t, w); d != before {
		t.Errorf("after the undo the catalog image is %s, want the catalog before the retire %s", d, before)
	}
}

// TestCatalogImageAfterHistory: the catalog image build-bundle and
// promote-label republish is the catalog of the whole ledger, as `ladder
// catalog` prints it, also once the older moves of its streams have gone
// into the ledger's history (a catalog of the state alone would drop every
// bundle but the newest few: no upgrade path from them).
func TestCatalogImageAfterHistory(t *testing.T) {
	w, clk, _ := catalogImageWorld(t)
	for i := 1; i <= 30; i++ {
		v := fmt.Sprintf("1.0.%d", i)
		publishDev(t, w, clk, v)
		clk.Advance(time.Minute)
		promoteWant(t, w, clk, map[string]string{"label": "stage", "from": v}, 0, "promoted")
		clk.Advance(time.Minute)
		promoteWant(t, w, clk, map[string]string{"label": "production", "from": v}, 0, "promoted")
	}
	_, st := fileState(t, w)
	if st.History == nil || st.History.Entries[ledger.LabelStream("production")] == 0 {
		t.Fatal("no move of production has gone into the ledger's history")
	}
	checkCatalogImage(t, w)
}
