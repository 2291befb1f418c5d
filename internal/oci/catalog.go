package oci

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/ladder-release/ladder/internal/catalog"
	"github.com/ladder-release/ladder/internal/tagname"
)

// The OLM catalog image (SPEC section 4 `ladder catalog`, story S7): a
// file-based catalog under /configs, and the label OLM's catalog readers
// look for to find it (catalogd in OLM v1; `opm` in an index image). It is
// assembled here by hand, as bundles are: go-containerregistry's mutate and
// tarball packages link `testing` into the release binary.
const (
	// CatalogConfigsLabel names the directory of the declarative configs.
	CatalogConfigsLabel = "operators.operatorframework.io.index.configs.v1"
	// CatalogConfigsDir is that directory.
	CatalogConfigsDir = "/configs"

	MediaTypeImageConfig = "application/vnd.oci.image.config.v1+json"
	MediaTypeLayerGzip   = "application/vnd.oci.image.layer.v1.tar+gzip"
)

// CatalogPlatform is the platform the catalog image's config names. The
// image holds data only (no program runs in it), and an image config must
// name one.
var CatalogPlatform = v1.Platform{OS: "linux", Architecture: "amd64"}

// CatalogPath is where the catalog of package pkg lies in the image:
// /configs/<pkg>/catalog.json.
func CatalogPath(pkg string) string { return path.Join(CatalogConfigsDir, pkg, "catalog.json") }

// Image is an image manifest and the blobs it needs, ready to push
// (PushImage).
type Image struct {
	manifest rawManifest
	blobs    []blob
}

// Digest is the image's manifest digest.
func (i Image) Digest() string { return i.manifest.digest }

// CatalogImage builds the OLM catalog image of package pkg, whose catalog
// is catalogJSON (`ladder catalog --format json`): an OCI image manifest
// with one tar+gzip layer holding /configs/<pkg>/catalog.json and its
// directories, an OCI image config with the platform, the layer's diff_id,
// the label operators.operatorframework.io.index.configs.v1=/configs and no
// entrypoint. The same catalog always gives the same digest: the tar
// entries are owned by root with zero times, the gzip header carries no
// name or time, and the config's created time is the Unix epoch.
func CatalogImage(pkg string, catalogJSON []byte) (Image, error) {
	if pkg == "" || path.Base(pkg) != pkg || pkg == "." || pkg == ".." || strings.ContainsAny(pkg, "\\\x00") {
		return Image{}, fmt.Errorf("catalog image: package %q is not a directory name", pkg)
	}
	var tarBuf bytes.Buffer
	tw := tar.NewWriter(&tarBuf)
	file := strings.TrimPrefix(CatalogPath(pkg), "/")
	for _, dir := range []string{path.Dir(path.Dir(file)) + "/", path.Dir(file) + "/"} {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: dir, Mode: 0o755, ModTime: time.Unix(0, 0), Format: tar.FormatPAX}); err != nil {
			return Image{}, err
		}
	}
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: file, Mode: 0o644, Size: int64(len(catalogJSON)), ModTime: time.Unix(0, 0), Format: tar.FormatPAX}); err != nil {
		return Image{}, err
	}
	if _, err := tw.Write(catalogJSON); err != nil {
		return Image{}, err
	}
	if err := tw.Close(); err != nil {
		return Image{}, err
	}
	var gzBuf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&gzBuf, gzip.BestCompression)
	if err != nil {
		return Image{}, err
	}
	if _, err := zw.Write(tarBuf.Bytes()); err != nil {
		return Image{}, err
	}
	if err := zw.Close(); err != nil {
		return Image{}, err
	}
	layer := gzBuf.Bytes()
	sum := sha256.Sum256(tarBuf.Bytes())
	diffID := v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}

	cfg := v1.ConfigFile{
		Architecture: CatalogPlatform.Architecture,
		OS:           CatalogPlatform.OS,
		Created:      v1.Time{Time: time.Unix(0, 0).UTC()},
		Config:       v1.Config{Labels: map[string]string{CatalogConfigsLabel: CatalogConfigsDir}},
		RootFS:       v1.RootFS{Type: "layers", DiffIDs: []v1.Hash{diffID}},
	}
	cfgJSON, err := json.Marshal(cfg)
	if err != nil {
		return Image{}, err
	}
	m := manifest{
		SchemaVersion: 2,
		MediaType:     MediaTypeImageManifest,
		Config:        descriptor{MediaType: MediaTypeImageConfig, Digest: digestOf(cfgJSON), Size: int64(len(cfgJSON))},
		Layers:        []descriptor{{MediaType: MediaTypeLayerGzip, Digest: digestOf(layer), Size: int64(len(layer))}},
	}
	raw, err := marshalManifest(m, MediaTypeImageManifest)
	if err != nil {
		return Image{}, err
	}
	return Image{manifest: raw, blobs: []blob{
		{digest: m.Config.Digest, data: cfgJSON, what: "the image config"},
		{digest: m.Layers[0].Digest, data: layer, what: "the catalog layer"},
	}}, nil
}

// maxLayerFile bounds the file LayerFile reads out of a layer: a layer
// under the catalog tag is anyone's who can push to the registry, and a
// few KiB of gzip can expand to gigabytes. A catalog of 100,000 bundles is
// some 40 MiB.
var maxLayerFile int64 = 256 << 20

// LayerFile returns the regular file at name (absolute) in a gzip-compressed
// tar layer, as a registry serves it; ok is false when there is none. A file
// larger than 256 MiB is an error.
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
			data, err := readLimited(tr, maxLayerFile, "the file")
			if err != nil {
				return nil, false, fmt.Errorf("reading %s from the layer: %w", name, err)
			}
			return data, true, nil
		}
	}
}

// PushImage pushes img into repo under tag and returns its digest: a HEAD
// per blob (config and layer), an upload of each the registry lacks, and
// one manifest PUT under the tag. Comparing the digest with the tag's first
// (TagDigest) is the caller's: PushImage always puts the manifest.
func (c *Client) PushImage(ctx context.Context, repo, tag string, img Image) (digest string, err error) {
	defer wrapErr(&err, "pushing image %s:%s", repo, tag)
	r, err := parseRepo(repo)
	if err != nil {
		return "", err
	}
	if err := checkTag(r, tag); err != nil {
		return "", err
	}
	if img.manifest.digest == "" {
		return "", errors.New("an empty image")
	}
	rt, err := c.transport(ctx, r, true)
	if err != nil {
		return "", err
	}
	if err := c.pushBlobs(ctx, rt, r, img.blobs); err != nil {
		return "", err
	}
	if _, err := c.putManifest(ctx, rt, r, tag, img.manifest); err != nil {
		return "", fmt.Errorf("putting manifest %s: %w", img.manifest.digest, err)
	}
	return img.manifest.digest, nil
}

// maxCatalogLayer bounds the compressed layer read back from the catalog
// tag, which anyone who can push to the registry may have replaced.
const maxCatalogLayer = 64 << 20

// CatalogVersions reads the catalog image digest in repo (under the catalog tag)
// and returns the versions of the package's bundles it lists; none when it
// is not a catalog image of the package (one layer holding
// /configs/<package>/catalog.json), or is gone.
func (c *Client) CatalogVersions(ctx context.Context, repo, pkg, digest string) ([]string, error) {
	b, _, err := c.ReadBundle(ctx, repo+"@"+digest)
	switch {
	case errors.Is(err, ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("reading the catalog under tag %s: %w", tagname.Catalog, err)
	case len(b.Files) != 1 || b.Files[0].Size > maxCatalogLayer:
		return nil, nil // not a catalog image ladder wrote
	}
	layer, err := c.FetchFileMax(ctx, repo, b.Files[0].Digest, maxCatalogLayer)
	switch {
	case errors.Is(err, ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("reading the catalog under tag %s: %w", tagname.Catalog, err)
	}
	data, ok, err := LayerFile(layer, CatalogPath(pkg))
	if err != nil || !ok {
		return nil, nil // not a catalog image: nothing of ours to keep
	}
	vs, err := catalog.BundleVersions(bytes.NewReader(data), pkg)
	if err != nil {
		return nil, nil
	}
	return vs, nil
}
