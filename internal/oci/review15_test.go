package oci

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"strings"
	"testing"
)

// TestReview15LayerFileBounded: the catalog layer under <registry>:catalog
// is read back by every run that republishes the catalog (to see whose
// catalog the tag holds), and anyone who can push to the registry can put
// a layer there. A gzip bomb (a few KiB compressed, its file far larger)
// must be refused at a bound, not read whole into memory.
func TestReview15LayerFileBounded(t *testing.T) {
	t.Parallel()
	defer func(n int64) { maxLayerFile = n }(maxLayerFile)
	maxLayerFile = 1 << 20
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	tw := tar.NewWriter(zw)
	size := 2 * maxLayerFile
	if err := tw.WriteHeader(&tar.Header{Name: "configs/pkg/catalog.json", Mode: 0o644, Size: size, Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write(make([]byte, size)); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	data, ok, err := LayerFile(b.Bytes(), CatalogPath("pkg"))
	if err == nil || !strings.Contains(err.Error(), "larger than") || ok || data != nil {
		t.Fatalf("a %d-byte file from a %d-byte layer: ok %v, %d bytes, err %v; want it refused at %d bytes", size, b.Len(), ok, len(data), err, maxLayerFile)
	}
}
