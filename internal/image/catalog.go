package image

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"path"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The OLM catalog image (SPEC section 4 `ladder catalog`, story S7): a
// file-based catalog under /configs, and the label OLM's catalog readers
// look for to find it (catalogd in OLM v1; `opm` in an index image).
const (
	// CatalogConfigsLabel names the directory of the declarative configs.
	CatalogConfigsLabel = "operators.operatorframework.io.index.configs.v1"
	// CatalogConfigsDir is that directory.
	CatalogConfigsDir = "/configs"
)

// CatalogPlatform is the platform the catalog image's config names. The
// image holds data only (no program runs in it), and an image config must
// name one.
var CatalogPlatform = v1.Platform{OS: "linux", Architecture: "amd64"}

// CatalogPath is where the catalog of package pkg lies in the image:
// /configs/<pkg>/catalog.json.
func CatalogPath(pkg string) string { return path.Join(CatalogConfigsDir, pkg, "catalog.json") }

// Catalog builds the OLM catalog image of package pkg, whose catalog is
// catalogJSON (`ladder catalog --format json`): an OCI image manifest with
// one gzip layer holding /configs/<pkg>/catalog.json (and its directories),
// an OCI image config with the platform, rootfs diff_ids, the label
// operators.operatorframework.io.index.configs.v1=/configs, and no
// entrypoint. The same catalog always gives the same digest: the layer's
// entries are owned by root with zero times (Layer) and the config's
// created time is the Unix epoch.
func Catalog(pkg string, catalogJSON []byte) (v1.Image, error) {
	if pkg == "" || path.Base(pkg) != pkg || pkg == "." || pkg == ".." {
		return nil, fmt.Errorf("catalog image: package %q is not a directory name", pkg)
	}
	layer, err := Layer(File{Path: CatalogPath(pkg), Data: catalogJSON, Mode: 0o644})
	if err != nil {
		return nil, fmt.Errorf("catalog image: %w", err)
	}
	base := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err := mutate.AppendLayers(base, layer)
	if err != nil {
		return nil, fmt.Errorf("catalog image: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("catalog image: %w", err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = CatalogPlatform.OS, CatalogPlatform.Architecture
	cf.Created = v1.Time{Time: time.Unix(0, 0).UTC()}
	cf.Config.Labels = map[string]string{CatalogConfigsLabel: CatalogConfigsDir}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, fmt.Errorf("catalog image: %w", err)
	}
	return img, nil
}

// LayerFile returns the regular file at name (absolute) in a gzip-compressed
// tar layer, as a registry serves it; ok is false when there is none.
func LayerFile(compressed []byte, name string) (data []byte, ok bool, err error) {
	zr, err := gzip.NewReader(bytes.NewReader(compressed))
	if err != nil {
		return nil, false, fmt.Errorf("reading the layer: %w", err)
	}
	defer zr.Close()
	want := path.Clean(name)
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, fmt.Errorf("reading the layer: %w", err)
		}
		if h.Typeflag == tar.TypeReg && path.Clean("/"+h.Name) == want {
			data, err := io.ReadAll(tr)
			if err != nil {
				return nil, false, fmt.Errorf("reading %s from the layer: %w", name, err)
			}
			return data, true, nil
		}
	}
}
