package image

import (
	"encoding/json"
	"io"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/types"
)

const catalogJSON = `{
    "schema": "olm.package",
    "name": "hive-operator",
    "defaultChannel": "stable"
}
`

// TestCatalogImage: the catalog image is what OLM v1's catalogd reads: an
// OCI image manifest, an OCI image config (platform, rootfs diff_ids of its
// one layer, the configs label, created at the epoch), one tar+gzip layer
// holding /configs/<package>/catalog.json and nothing but its directories;
// the same catalog gives the same digest, another catalog another one.
func TestCatalogImage(t *testing.T) {
	img, err := Catalog("hive-operator", []byte(catalogJSON))
	if err != nil {
		t.Fatal(err)
	}
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if m.MediaType != types.OCIManifestSchema1 || m.Config.MediaType != types.OCIConfigJSON {
		t.Errorf("manifest %s, config %s: want an OCI image manifest and config", m.MediaType, m.Config.MediaType)
	}
	if len(m.Layers) != 1 || m.Layers[0].MediaType != types.OCILayer {
		t.Fatalf("layers %+v: want one %s", m.Layers, types.OCILayer)
	}
	raw, err := img.RawConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	var cf struct {
		Architecture string `json:"architecture"`
		OS           string `json:"os"`
		Created      string `json:"created"`
		Config       struct {
			Labels     map[string]string `json:"Labels"`
			Entrypoint []string          `json:"Entrypoint"`
		} `json:"config"`
		RootFS struct {
			Type    string   `json:"type"`
			DiffIDs []string `json:"diff_ids"`
		} `json:"rootfs"`
	}
	if err := json.Unmarshal(raw, &cf); err != nil {
		t.Fatal(err)
	}
	if cf.Architecture != "amd64" || cf.OS != "linux" {
		t.Errorf("platform %s/%s, want linux/amd64", cf.OS, cf.Architecture)
	}
	if got := cf.Config.Labels["operators.operatorframework.io.index.configs.v1"]; got != "/configs" || len(cf.Config.Labels) != 1 {
		t.Errorf("labels %v, want only operators.operatorframework.io.index.configs.v1=/configs", cf.Config.Labels)
	}
	if cf.Config.Entrypoint != nil {
		t.Errorf("entrypoint %v: a catalog image runs nothing", cf.Config.Entrypoint)
	}
	if c, err := time.Parse(time.RFC3339, cf.Created); err != nil || !c.Equal(time.Unix(0, 0)) {
		t.Errorf("created %q (%v), want the Unix epoch", cf.Created, err)
	}
	diffID, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	d, err := diffID[0].DiffID()
	if err != nil {
		t.Fatal(err)
	}
	if cf.RootFS.Type != "layers" || len(cf.RootFS.DiffIDs) != 1 || cf.RootFS.DiffIDs[0] != d.String() {
		t.Errorf("rootfs %+v, want layers [%s]", cf.RootFS, d)
	}

	files, err := Files(img)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, f := range files {
		paths = append(paths, f.Path)
	}
	if got, want := paths, []string{"/configs", "/configs/hive-operator", "/configs/hive-operator/catalog.json"}; len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("files %v, want %v", got, want)
	}
	data, mode, err := ReadFile(img, "/configs/hive-operator/catalog.json")
	if err != nil || string(data) != catalogJSON || mode != 0o644 {
		t.Errorf("catalog.json %q mode %o (%v), want the catalog, 0644", data, mode, err)
	}

	// what a registry serves: the compressed layer
	rc, err := diffID[0].Compressed()
	if err != nil {
		t.Fatal(err)
	}
	compressed, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	if got, ok, err := LayerFile(compressed, CatalogPath("hive-operator")); err != nil || !ok || string(got) != catalogJSON {
		t.Errorf("LayerFile: %q %v %v, want the catalog", got, ok, err)
	}
	if _, ok, err := LayerFile(compressed, "/configs/other/catalog.json"); err != nil || ok {
		t.Errorf("LayerFile of a file the layer lacks: %v %v", ok, err)
	}
	if _, _, err := LayerFile([]byte("not gzip"), "/x"); err == nil {
		t.Error("LayerFile read a layer that is not gzip")
	}

	d1, _ := img.Digest()
	again, err := Catalog("hive-operator", []byte(catalogJSON))
	if err != nil {
		t.Fatal(err)
	}
	if d2, _ := again.Digest(); d2 != d1 {
		t.Errorf("the same catalog gave %s, then %s", d1, d2)
	}
	other, err := Catalog("hive-operator", []byte(catalogJSON+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if d3, _ := other.Digest(); d3 == d1 {
		t.Error("two catalogs gave one digest")
	}
	for _, bad := range []string{"", "a/b", "..", "."} {
		if _, err := Catalog(bad, []byte(catalogJSON)); err == nil {
			t.Errorf("package %q: no error", bad)
		}
	}
}
