package oci_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/ladder-release/ladder/internal/image"
)

// TestPushImage: an image pushed under a tag is pulled back, digest for
// digest, with its label; pushing it again uploads no blob (a HEAD each,
// then the manifest PUT).
func TestPushImage(t *testing.T) {
	eachRegistry(t, func(t *testing.T, reg target) {
		ctx := context.Background()
		p := reg.proxied(t)
		c, _ := newClient(t)
		repo := p.Host() + "/acme/hive-operator"
		img, err := image.Catalog("hive-operator", []byte(`{"schema": "olm.package", "name": "hive-operator", "defaultChannel": "stable"}`+"\n"))
		if err != nil {
			t.Fatal(err)
		}
		want, _ := img.Digest()
		got, err := c.PushImage(ctx, repo, "catalog", img)
		if err != nil {
			t.Fatal(err)
		}
		if got != want.String() {
			t.Errorf("PushImage returned %s, want %s", got, want)
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
		if d, _ := pulled.Digest(); d != want {
			t.Errorf("pulled %s, want %s", d, want)
		}
		cf, err := pulled.ConfigFile()
		if err != nil || cf.Config.Labels[image.CatalogConfigsLabel] != "/configs" {
			t.Errorf("pulled config labels %v (%v)", cf.Config.Labels, err)
		}

		p.Reset()
		if _, err := c.PushImage(ctx, repo, "catalog", img); err != nil {
			t.Fatal(err)
		}
		var writes []string
		for _, r := range p.Requests() {
			if strings.HasPrefix(r, "POST") || strings.HasPrefix(r, "PATCH") || strings.Contains(r, "/blobs/uploads") {
				writes = append(writes, r)
			}
		}
		if len(writes) > 0 {
			t.Errorf("pushing an image the registry holds uploaded blobs:\n%s", strings.Join(p.Requests(), "\n"))
		}

		if _, err := c.PushImage(ctx, repo, "not a tag", img); err == nil {
			t.Error("an invalid tag was accepted")
		}
	})
}
