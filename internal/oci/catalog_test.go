package oci_test

import (
	"archive/tar"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/google/go-containerregistry/pkg/v1/validate"

	"github.com/ladder-release/ladder/internal/oci"
)

const catalogJSON = `{
    "schema": "olm.package",
    "name": "hive-operator",
    "defaultChannel": "stable"
}
`

// TestCatalogImage: the catalog image, pushed under a tag and pulled back
// as catalogd would, is a valid OCI image (go-containerregistry's
// validate.Image: digests, sizes, the diff_id of each layer) of one
// tar+gzip layer holding /configs/<package>/catalog.json and its
// directories only, owned by root at time zero; its config names a
// platform, the configs label, no entrypoint, and was created at the epoch.
// The same catalog gives the same digest, another catalog another one; a
// second push uploads no blob.
func TestCatalogImage(t *testing.T) {
	t.Parallel()
	img, err := oci.CatalogImage("hive-operator", []byte(catalogJSON))
	if err != nil {
		t.Fatal(err)
	}
	again, _ := oci.CatalogImage("hive-operator", []byte(catalogJSON))
	other, _ := oci.CatalogImage("hive-operator", []byte(catalogJSON+"\n"))
	if again.Digest() != img.Digest() || other.Digest() == img.Digest() {
		t.Errorf("digests %s, %s (same catalog), %s (another)", img.Digest(), again.Digest(), other.Digest())
	}
	for _, bad := range []string{"", "a/b", "..", "."} {
		if _, err := oci.CatalogImage(bad, []byte(catalogJSON)); err == nil {
			t.Errorf("package %q: no error", bad)
		}
	}
	eachRegistry(t, func(t *testing.T, ctx context.Context, reg target) {
		p, repo := proxiedRepo(t, reg.host, "acme/hive-operator")
		c, _ := newClient(t)
		got, err := c.PushImage(ctx, repo, "catalog", img)
		if err != nil {
			t.Fatal(err)
		}
		if got != img.Digest() {
			t.Errorf("PushImage returned %s, want %s", got, img.Digest())
		}
		if d, err := c.TagDigest(ctx, repo, "catalog"); err != nil || d != got {
			t.Errorf("tag catalog: %s %v, want %s", d, err, got)
		}
		ref, err := name.ParseReference(reg.host+"/acme/hive-operator:catalog", name.Insecure)
		if err != nil {
			t.Fatal(err)
		}
		pulled, err := remote.Image(ref)
		if err != nil {
			t.Fatal(err)
		}
		if err := validate.Image(pulled); err != nil {
			t.Errorf("not a valid image: %v", err)
		}
		m, err := pulled.Manifest()
		if err != nil {
			t.Fatal(err)
		}
		if m.MediaType != types.OCIManifestSchema1 || m.Config.MediaType != types.OCIConfigJSON || len(m.Layers) != 1 || m.Layers[0].MediaType != types.OCILayer {
			t.Errorf("manifest %s, config %s, layers %+v: want an OCI image of one tar+gzip layer", m.MediaType, m.Config.MediaType, m.Layers)
		}
		cf, err := pulled.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		if cf.OS != "linux" || cf.Architecture != "amd64" || !cf.Created.Time.Equal(time.Unix(0, 0)) || cf.Config.Entrypoint != nil {
			t.Errorf("config %s/%s created %s entrypoint %v", cf.OS, cf.Architecture, cf.Created.Time, cf.Config.Entrypoint)
		}
		if got := cf.Config.Labels[oci.CatalogConfigsLabel]; got != "/configs" || len(cf.Config.Labels) != 1 {
			t.Errorf("labels %v, want only operators.operatorframework.io.index.configs.v1=/configs", cf.Config.Labels)
		}
		rc := mutate.Extract(pulled)
		tr := tar.NewReader(rc)
		var entries []string
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			entries = append(entries, h.Name)
			if h.Uid != 0 || h.Gid != 0 || h.ModTime.Unix() != 0 {
				t.Errorf("%s: uid %d gid %d mtime %s", h.Name, h.Uid, h.Gid, h.ModTime)
			}
			if h.Name == "configs/hive-operator/catalog.json" {
				data, _ := io.ReadAll(tr)
				if string(data) != catalogJSON || h.Mode != 0o644 {
					t.Errorf("catalog.json %q mode %o", data, h.Mode)
				}
			}
		}
		rc.Close()
		if got := strings.Join(entries, " "); got != "configs configs/hive-operator configs/hive-operator/catalog.json" { // as mutate.Extract names them
			t.Errorf("layer entries %s", got)
		}
		layers, _ := pulled.Layers()
		lr, err := layers[0].Compressed()
		if err != nil {
			t.Fatal(err)
		}
		compressed, _ := io.ReadAll(lr)
		lr.Close()
		if data, ok, err := oci.LayerFile(compressed, oci.CatalogPath("hive-operator")); err != nil || !ok || string(data) != catalogJSON {
			t.Errorf("LayerFile: %q %v %v", data, ok, err)
		}
		if _, ok, err := oci.LayerFile(compressed, "/configs/other/catalog.json"); err != nil || ok {
			t.Errorf("LayerFile of a file the layer lacks: %v %v", ok, err)
		}
		if _, _, err := oci.LayerFile([]byte("not gzip"), "/x"); err == nil {
			t.Error("LayerFile read a layer that is not gzip")
		}

		p.Reset()
		if _, err := c.PushImage(ctx, repo, "catalog", img); err != nil {
			t.Fatal(err)
		}
		for _, r := range p.Requests() {
			// a POST may open a session (a mount, cancelled when the blob is
			// held): no byte of a blob is sent unless a PUT or PATCH closes one
			if (strings.HasPrefix(r, "PUT") || strings.HasPrefix(r, "PATCH")) && strings.Contains(r, "/blobs/uploads") {
				t.Errorf("pushing an image the registry holds uploaded a blob:\n%s", strings.Join(p.Requests(), "\n"))
				break
			}
		}
		if _, err := c.PushImage(ctx, repo, "not a tag", img); err == nil {
			t.Error("an invalid tag was accepted")
		}
	})
}
