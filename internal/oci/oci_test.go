package oci_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/ladder-release/ladder/internal/oci"
	"github.com/ladder-release/ladder/internal/testutil/registry"
	"github.com/ladder-release/ladder/internal/testutil/regproxy"
)

func TestPushReadFetch(t *testing.T) {
	t.Parallel()
	eachRegistry(t, func(t *testing.T, ctx context.Context, reg target) {
		c, _ := newClient(t)
		repo := reg.host + "/acme/elemental"
		b := testBundle()
		digest, err := c.PushBundle(ctx, repo, b)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(digest, "sha256:") {
			t.Fatalf("digest %q", digest)
		}
		// Pushed by digest only: no tag.
		if tags, err := c.Tags(ctx, repo); err != nil || len(tags) != 0 {
			t.Fatalf("tags after a push by digest: %v, %v", tags, err)
		}

		// A fresh client reads it back from the registry, not from a cache.
		c2, _ := newClient(t)
		got, desc, err := c2.ReadBundle(ctx, repo+"@"+digest)
		if err != nil {
			t.Fatal(err)
		}
		if desc.Digest != digest || desc.MediaType != oci.MediaTypeImageManifest || desc.ArtifactType != oci.BundleArtifactType {
			t.Errorf("descriptor %+v", desc)
		}
		if !bytes.Equal(got.Config, b.Config) || got.ConfigMediaType != oci.LockMediaType {
			t.Errorf("config %q (%s), want the lock bytes", got.Config, got.ConfigMediaType)
		}
		if got.ArtifactType != oci.BundleArtifactType {
			t.Errorf("artifactType %q", got.ArtifactType)
		}
		if fmt.Sprint(got.Annotations) != fmt.Sprint(b.Annotations) {
			t.Errorf("annotations %v, want %v", got.Annotations, b.Annotations)
		}
		if len(got.Files) != 2 {
			t.Fatalf("files %+v", got.Files)
		}
		for i, f := range got.Files {
			want := b.Files[i]
			mt := want.MediaType
			if mt == "" {
				mt = oci.DefaultFileMediaType
			}
			if f.Path != want.Path || f.MediaType != mt || f.Size != int64(len(want.Data)) || f.Data != nil {
				t.Errorf("file %d: %+v", i, f)
			}
		}

		// Fetch a file back by its title.
		for _, want := range b.Files {
			i := slices.IndexFunc(got.Files, func(f oci.File) bool { return f.Path == want.Path })
			data, err := c2.FetchFile(ctx, repo, got.Files[i].Digest)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(data, want.Data) {
				t.Errorf("%s: fetched %q", want.Path, data)
			}
			n := int64(len(want.Data))
			if data, err := c2.FetchFileMax(ctx, repo, got.Files[i].Digest, n); err != nil || !bytes.Equal(data, want.Data) {
				t.Errorf("%s: FetchFileMax at its size: %q, %v", want.Path, data, err)
			}
			if data, err := c2.FetchFileMax(ctx, repo, got.Files[i].Digest, n-1); err == nil {
				t.Errorf("%s: FetchFileMax(%d) read %d bytes", want.Path, n-1, len(data))
			}
		}

		// The manifest is what ORAS expects: OCI 1.1, artifactType, titled layers.
		r, _ := name.ParseReference(repo+"@"+digest, name.Insecure)
		raw, err := remote.Get(r)
		if err != nil {
			t.Fatal(err)
		}
		var m struct {
			SchemaVersion int    `json:"schemaVersion"`
			MediaType     string `json:"mediaType"`
			ArtifactType  string `json:"artifactType"`
			Config        struct{ MediaType string }
			Layers        []struct {
				Annotations map[string]string
			}
			Subject *json.RawMessage `json:"subject"`
		}
		if err := json.Unmarshal(raw.Manifest, &m); err != nil {
			t.Fatal(err)
		}
		if m.SchemaVersion != 2 || m.MediaType != oci.MediaTypeImageManifest || m.ArtifactType != oci.BundleArtifactType ||
			m.Config.MediaType != oci.LockMediaType || len(m.Layers) != 2 ||
			m.Layers[1].Annotations["org.opencontainers.image.title"] != "notes/RELEASE.md" || m.Subject != nil {
			t.Errorf("manifest %s", raw.Manifest)
		}

		// Tag, then read and resolve by tag.
		if err := c.Tag(ctx, repo, digest, "1.4.1"); err != nil {
			t.Fatal(err)
		}
		if _, d, err := c2.ReadBundle(ctx, repo+":1.4.1"); err != nil || d.Digest != digest {
			t.Fatalf("by tag: %v, %v", d, err)
		}
		d, err := c2.Resolve(ctx, repo+":1.4.1")
		if err != nil || d.Digest != digest || d.ArtifactType != oci.BundleArtifactType || d.Annotations["org.opencontainers.image.version"] != "1.4.1" {
			t.Fatalf("Resolve: %+v, %v", d, err)
		}
		h, err := c2.Head(ctx, repo+":1.4.1")
		if err != nil || h.Digest != digest || h.MediaType != oci.MediaTypeImageManifest || h.Size != d.Size {
			t.Fatalf("Head: %+v, %v", h, err)
		}
	})
}

func TestEmptyFileAndValidation(t *testing.T) {
	t.Parallel()
	eachRegistry(t, func(t *testing.T, ctx context.Context, reg target) {
		c, _ := newClient(t)
		repo := reg.host + "/acme/elemental"
		b := oci.Bundle{ArtifactType: "application/vnd.acme.release.v1", Config: []byte(lockJSON), Files: []oci.File{{Path: "empty.txt", Data: nil, MediaType: "text/plain"}}}
		digest, err := c.PushBundle(ctx, repo, b)
		if err != nil {
			t.Fatal(err)
		}
		got, d, err := c.ReadBundle(ctx, repo+"@"+digest)
		if err != nil || d.ArtifactType != "application/vnd.acme.release.v1" || got.Files[0].Size != 0 {
			t.Fatalf("%+v %+v %v", got, d, err)
		}
		if data, err := c.FetchFile(ctx, repo, got.Files[0].Digest); err != nil || len(data) != 0 {
			t.Fatalf("empty file: %q, %v", data, err)
		}

		for name, bad := range map[string]oci.Bundle{
			"no config":       {Files: b.Files},
			"config not JSON": {Config: []byte("{")},
			"absolute path":   {Config: b.Config, Files: []oci.File{{Path: "/etc/passwd"}}},
			"dot-dot path":    {Config: b.Config, Files: []oci.File{{Path: "../x"}}},
			"same path":       {Config: b.Config, Files: []oci.File{{Path: "a"}, {Path: "a"}}},
			"bad type":        {Config: b.Config, ArtifactType: "not a media type"},
		} {
			if _, err := c.PushBundle(ctx, repo, bad); err == nil {
				t.Errorf("%s: accepted", name)
			} else if !strings.Contains(err.Error(), fmt.Sprintf("pushing bundle to %q", repo)) {
				t.Errorf("%s: %v", name, err)
			}
		}
	})
}

func TestResolveNotFound(t *testing.T) {
	t.Parallel()
	eachRegistry(t, func(t *testing.T, ctx context.Context, reg target) {
		c, _ := newClient(t)
		repo := reg.host + "/acme/elemental"
		for _, ref := range []string{repo + ":missing", repo + "@sha256:" + strings.Repeat("ab", 32)} {
			_, err := c.Resolve(ctx, ref)
			if !errors.Is(err, oci.ErrNotFound) {
				t.Errorf("Resolve(%s): %v, want ErrNotFound", ref, err)
			}
			mustContain(t, err, fmt.Sprintf("resolving %q", ref))
			if _, err := c.Head(ctx, ref); !errors.Is(err, oci.ErrNotFound) {
				t.Errorf("Head(%s): %v, want ErrNotFound", ref, err)
			}
		}
		if _, err := c.PushBundle(ctx, repo, testBundle()); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Resolve(ctx, repo+":missing"); !errors.Is(err, oci.ErrNotFound) {
			t.Errorf("Resolve of a missing tag in an existing repository: %v", err)
		}
		if tags, err := c.Tags(ctx, reg.host+"/no/such/repo"); err != nil || len(tags) != 0 {
			t.Errorf("Tags of a missing repository: %v, %v", tags, err)
		}
	})
}

func TestTagIsManifestOnly(t *testing.T) {
	t.Parallel()
	eachRegistry(t, func(t *testing.T, ctx context.Context, reg target) {
		p, repo := proxiedRepo(t, reg.host, "acme/elemental")
		pusher, digest := pushed(t, repo)

		// Another job (a fresh client): one manifest GET, one PUT, no blob.
		c, _ := newClient(t)
		p.Reset()
		if err := c.Tag(ctx, repo, digest, "testing"); err != nil {
			t.Fatal(err)
		}
		s := p.Stats()
		if s.ByKind[regproxy.ManifestGet] != 1 || s.ByKind[regproxy.ManifestPut] != 1 || s.Blob() != 0 || s.BlobBytesDown+s.BlobBytesUp != 0 ||
			s.Total != 2+s.ByKind[regproxy.Ping] {
			t.Errorf("a retag from a fresh client: %s\n%s", s, strings.Join(p.Requests(), "\n"))
		}

		// The client that pushed has the manifest: one PUT.
		p.Reset()
		if err := pusher.Tag(ctx, repo, digest, "current"); err != nil {
			t.Fatal(err)
		}
		if s := p.Stats(); s.Total != 1 || s.ByKind[regproxy.ManifestPut] != 1 {
			t.Errorf("a retag by the pushing client: %s\n%s", s, strings.Join(p.Requests(), "\n"))
		}
		for _, tag := range []string{"testing", "current"} {
			if d, err := c.Head(ctx, repo+":"+tag); err != nil || d.Digest != digest {
				t.Errorf("%s: %+v, %v", tag, d, err)
			}
		}
		if err := c.Tag(ctx, repo, digest, "bad tag"); err == nil {
			t.Error("an invalid tag was accepted")
		}
		if err := c.Tag(ctx, repo, "sha256:1234", "ok"); err == nil {
			t.Error("an invalid digest was accepted")
		}
	})
}

func TestPushTwiceUploadsNothing(t *testing.T) {
	t.Parallel()
	eachRegistry(t, func(t *testing.T, ctx context.Context, reg target) {
		p, repo := proxiedRepo(t, reg.host, "acme/elemental")
		b := testBundle()
		const distinct = 2 // the lock is both the config and the first file

		c, _ := newClient(t)
		d1, err := c.PushBundle(ctx, repo, b)
		if err != nil {
			t.Fatal(err)
		}
		s := p.Stats()
		if s.ByKind[regproxy.BlobHead] != distinct || s.ByKind[regproxy.UploadPost] != distinct || s.ByKind[regproxy.UploadPut] != distinct ||
			s.ByKind[regproxy.UploadPatch] != 0 || s.ByKind[regproxy.ManifestPut] != 1 || s.BlobBytesUp != bundleBlobBytes(b) {
			t.Errorf("first push: %s\n%s", s, strings.Join(p.Requests(), "\n"))
		}

		for _, fresh := range []bool{false, true} {
			cl := c
			if fresh {
				cl, _ = newClient(t)
			}
			p.Reset()
			d2, err := cl.PushBundle(ctx, repo, b)
			if err != nil {
				t.Fatal(err)
			}
			if d2 != d1 {
				t.Errorf("the same bundle pushed as %s then %s", d1, d2)
			}
			s := p.Stats()
			// each blob's session is opened with its HEAD (and mounted or
			// cancelled): no byte is sent
			if s.ByKind[regproxy.UploadPut]+s.ByKind[regproxy.UploadPatch] != 0 || s.BlobBytesUp != 0 ||
				s.ByKind[regproxy.BlobHead] != distinct || s.ByKind[regproxy.UploadPost] != distinct || s.ByKind[regproxy.ManifestPut] != 1 {
				t.Errorf("second push (fresh client %v): %s\n%s", fresh, s, strings.Join(p.Requests(), "\n"))
			}
		}
	})
}

func TestTagsAllPages(t *testing.T) {
	t.Parallel()
	eachRegistry(t, func(t *testing.T, ctx context.Context, reg target) {
		p, repo := proxiedRepo(t, reg.host, "acme/elemental")
		c, digest := pushed(t, repo)
		var want []string
		for i := 0; i < 25; i++ {
			tag := fmt.Sprintf("1.0.%02d", i)
			want = append(want, tag)
			if err := c.Tag(ctx, repo, digest, tag); err != nil {
				t.Fatal(err)
			}
		}
		c.SetPageSize(10)
		p.Reset()
		got, err := c.Tags(ctx, repo)
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("tags %v, want %v", got, want)
		}
		if n := p.Stats().ByKind[regproxy.TagsList]; n < 3 || n > 4 {
			t.Errorf("%d tag list requests for 25 tags by 10", n)
		}
	})
}

func TestDeleteTag(t *testing.T) {
	t.Parallel()
	eachRegistry(t, func(t *testing.T, ctx context.Context, reg target) {
		p, repo := proxiedRepo(t, reg.host, "acme/elemental")
		c, digest := pushed(t, repo)
		for _, tag := range []string{"1.0.0", "stable", "2.0.0"} {
			if err := c.Tag(ctx, repo, digest, tag); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.DeleteTag(ctx, repo, "1.0.0"); err != nil {
			t.Fatal(err)
		}
		tags, _ := c.Tags(ctx, repo)
		if slices.Contains(tags, "1.0.0") || !slices.Contains(tags, "stable") {
			t.Errorf("tags after deleting 1.0.0: %v", tags)
		}
		fresh, _ := newClient(t)
		if _, err := fresh.Resolve(ctx, repo+":1.0.0"); !errors.Is(err, oci.ErrNotFound) {
			t.Errorf("the deleted tag resolves: %v", err)
		}
		for _, ref := range []string{repo + ":stable", repo + "@" + digest} {
			if d, err := fresh.Resolve(ctx, ref); err != nil || d.Digest != digest {
				t.Errorf("%s after deleting another tag: %+v, %v", ref, d, err)
			}
		}
		if err := c.DeleteTag(ctx, repo, "1.0.0"); err != nil {
			t.Errorf("deleting an absent tag: %v", err)
		}

		// A registry with deletes disabled: a clear error, the tag unchanged.
		p.SetIntercept(func(w http.ResponseWriter, r *http.Request) bool {
			if r.Method != http.MethodDelete {
				return false
			}
			w.WriteHeader(http.StatusMethodNotAllowed)
			fmt.Fprintln(w, `{"errors":[{"code":"UNSUPPORTED","message":"The operation is unsupported."}]}`)
			return true
		})
		err := c.DeleteTag(ctx, repo, "stable")
		mustContain(t, err, `deleting tag "`+repo+`:stable"`, "enable deletes")
		if d, err := fresh.Resolve(ctx, repo+":stable"); err != nil || d.Digest != digest {
			t.Errorf("stable after a refused delete: %+v, %v", d, err)
		}

		if reg.kind != "distribution" {
			return // go-containerregistry's registry does not untag on a delete by digest
		}
		// A registry that deletes manifests but not tags (distribution v2):
		// the tag moves to a placeholder, which is deleted by digest.
		p.SetIntercept(func(w http.ResponseWriter, r *http.Request) bool {
			if r.Method != http.MethodDelete || strings.Contains(r.URL.Path, "/manifests/sha256:") {
				return false
			}
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintln(w, `{"errors":[{"code":"DIGEST_INVALID","message":"provided digest did not match uploaded content"}]}`)
			return true
		})
		if err := c.DeleteTag(ctx, repo, "stable"); err != nil {
			t.Fatal(err)
		}
		p.SetIntercept(nil)
		tags, _ = c.Tags(ctx, repo)
		if slices.Contains(tags, "stable") || !slices.Contains(tags, "2.0.0") {
			t.Errorf("tags after the placeholder delete: %v", tags)
		}
		for _, ref := range []string{repo + ":2.0.0", repo + "@" + digest} {
			if d, err := fresh.Resolve(ctx, ref); err != nil || d.Digest != digest {
				t.Errorf("%s after the placeholder delete: %+v, %v", ref, d, err)
			}
		}
	})
}

// pushImage pushes a small image and an index holding it, with
// go-containerregistry's own writer (through a client's RemoteOptions), and
// returns their digests.
func pushImage(t *testing.T, repo string) (img, idx v1.Hash) {
	t.Helper()
	layer := static.NewLayer([]byte("an image layer"), types.OCILayer)
	image, err := mutate.AppendLayers(mutate.MediaType(mutate.ConfigMediaType(empty.Image, types.OCIConfigJSON), types.OCIManifestSchema1), layer)
	if err != nil {
		t.Fatal(err)
	}
	index := mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex), mutate.IndexAddendum{
		Add:        image,
		Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}},
	})
	ref, err := name.ParseReference(repo + ":image")
	if err != nil {
		t.Fatal(err)
	}
	c, _ := newClient(t)
	opts, err := c.RemoteOptions(context.Background(), repo, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(ref, index, opts...); err != nil {
		t.Fatal(err)
	}
	if img, err = image.Digest(); err != nil {
		t.Fatal(err)
	}
	if idx, err = index.Digest(); err != nil {
		t.Fatal(err)
	}
	return img, idx
}

func TestAttachAndReferrers(t *testing.T) {
	t.Parallel()
	eachRegistry(t, func(t *testing.T, ctx context.Context, reg target) {
		for _, forced := range []bool{false, true} {
			t.Run(fmt.Sprintf("tag-fallback-forced=%v", forced), func(t *testing.T) {
				repo := reg.host + "/acme/os-" + fmt.Sprint(forced)
				img, idx := pushImage(t, repo)
				var opts []oci.Option
				if forced {
					opts = append(opts, oci.WithReferrersTagFallback())
				}
				c, _ := newClient(t, opts...)
				useTag := forced || reg.kind == "distribution" // distribution v3 has no referrers API

				for _, subject := range []string{repo + ":image", repo + "@" + img.String()} {
					subjectDigest := idx.String()
					if strings.Contains(subject, "@") {
						subjectDigest = img.String()
					}
					ann := map[string]string{"org.opencontainers.image.version": "1.4.1"}
					lock1 := []byte(lockJSON)
					lock2 := []byte(strings.Replace(lockJSON, `"dev"`, `"staging"`, 1))
					a1, err := c.Attach(ctx, subject, lock1, ann)
					if err != nil {
						t.Fatal(err)
					}
					a2, err := c.Attach(ctx, subject, lock2, nil)
					if err != nil {
						t.Fatal(err)
					}
					again, err := c.Attach(ctx, subject, lock1, ann)
					if err != nil || again != a1 {
						t.Fatalf("attaching the same lock again: %s, %v (first %s)", again, err, a1)
					}

					// The tag scheme is used exactly when it should be.
					tags, err := c.Tags(ctx, repo)
					if err != nil {
						t.Fatal(err)
					}
					fallback := strings.Replace(subjectDigest, ":", "-", 1)
					if slices.Contains(tags, fallback) != useTag {
						t.Errorf("tags %v: fallback tag %s present %v, want %v", tags, fallback, !useTag, useTag)
					}

					// Both clients find both referrers.
					plain, _ := newClient(t)
					for _, lister := range []*oci.Client{c, plain} {
						viaTag := useTag && (lister == c || reg.kind == "distribution")
						refs, err := lister.Referrers(ctx, subject)
						if err != nil {
							t.Fatal(err)
						}
						var digests []string
						for _, r := range refs {
							digests = append(digests, r.Digest)
							if r.ArtifactType != oci.LockMediaType || r.MediaType != oci.MediaTypeImageManifest || r.Size == 0 {
								t.Errorf("referrer %+v", r)
							}
							if r.Digest == a1 && viaTag && r.Annotations["org.opencontainers.image.version"] != "1.4.1" {
								t.Errorf("referrer annotations %v", r.Annotations)
							}
						}
						slices.Sort(digests)
						want := []string{a1, a2}
						slices.Sort(want)
						if !slices.Equal(digests, want) {
							t.Errorf("referrers of %s: %v, want %v", subject, digests, want)
						}
					}

					// An attached lock reads like a bundle.
					b, _, err := c.ReadBundle(ctx, repo+"@"+a1)
					if err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(b.Config, lock1) || b.Subject == nil || b.Subject.Digest != subjectDigest ||
						len(b.Files) != 1 || b.Files[0].Path != oci.LockFileName || b.ArtifactType != oci.LockMediaType ||
						b.Annotations["org.opencontainers.image.version"] != "1.4.1" {
						t.Errorf("attached lock: %+v", b)
					}
				}
			})
		}
	})
}

func TestTagImage(t *testing.T) {
	t.Parallel()
	eachRegistry(t, func(t *testing.T, ctx context.Context, reg target) {
		p, src := proxiedRepo(t, reg.host, "acme/os")
		dst := p.Host() + "/acme/os-release"
		_, idx := pushImage(t, src)
		c, _ := newClient(t)

		p.Reset()
		d, err := c.TagImage(ctx, src+":image", src, "1.4.1", "stable")
		if err != nil {
			t.Fatal(err)
		}
		s := p.Stats()
		if d.Digest != idx.String() || d.MediaType != oci.MediaTypeImageIndex || s.Blob() != 0 ||
			s.ByKind[regproxy.ManifestGet] != 1 || s.ByKind[regproxy.ManifestPut] != 2 {
			t.Errorf("same repository: %+v %s\n%s", d, s, strings.Join(p.Requests(), "\n"))
		}

		p.Reset()
		d, err = c.TagImage(ctx, src+"@"+idx.String(), dst, "1.4.1")
		if err != nil {
			t.Fatal(err)
		}
		s = p.Stats()
		if d.Digest != idx.String() || s.ByKind[regproxy.BlobGet] != 0 || s.BlobBytesUp+s.BlobBytesDown != 0 || s.ByKind[regproxy.UploadPut] != 0 {
			t.Errorf("across repositories (mount, no copy): %s\n%s", s, strings.Join(p.Requests(), "\n"))
		}
		fresh, _ := newClient(t)
		if h, err := fresh.Head(ctx, dst+":1.4.1"); err != nil || h.Digest != idx.String() {
			t.Fatalf("%s:1.4.1: %+v, %v", dst, h, err)
		}
		// The whole image is readable in the destination.
		r, _ := name.ParseReference(dst+":1.4.1", name.Insecure)
		ii, err := remote.Index(r)
		if err != nil {
			t.Fatal(err)
		}
		if err := validateIndex(ii); err != nil {
			t.Fatal(err)
		}
		if _, err := c.TagImage(ctx, src+":image", dst); err == nil {
			t.Error("TagImage without tags succeeded")
		}
	})
}

func validateIndex(ii v1.ImageIndex) error {
	im, err := ii.IndexManifest()
	if err != nil {
		return err
	}
	for _, m := range im.Manifests {
		img, err := ii.Image(m.Digest)
		if err != nil {
			return err
		}
		layers, err := img.Layers()
		if err != nil {
			return err
		}
		for _, l := range layers {
			rc, err := l.Compressed()
			if err != nil {
				return err
			}
			var buf bytes.Buffer
			_, err = buf.ReadFrom(rc)
			rc.Close()
			if err != nil {
				return err
			}
		}
		if _, err := img.RawConfigFile(); err != nil {
			return err
		}
	}
	return nil
}

func TestRetriesThroughFaults(t *testing.T) {
	t.Parallel()
	eachRegistry(t, func(t *testing.T, ctx context.Context, reg target) {
		p, repo := proxiedRepo(t, reg.host, "acme/elemental")
		kinds := append(slices.Clone(regproxy.AllFaults), regproxy.DropAfterForward)
		p.SetFaults(regproxy.Faults{Rate: 0.35, Seed: 7, Kinds: kinds, MaxConsecutive: 3})
		c, sleeper := newClient(t, oci.WithRetries(5))

		b := testBundle()
		var digest string
		for i := 0; i < 3; i++ {
			b.Annotations = map[string]string{"round": fmt.Sprint(i)}
			d, err := c.PushBundle(ctx, repo, b)
			if err != nil {
				t.Fatalf("push through faults: %v\n%s", err, strings.Join(p.Requests(), "\n"))
			}
			digest = d
			if err := c.Tag(ctx, repo, digest, fmt.Sprintf("1.0.%d", i)); err != nil {
				t.Fatalf("tag through faults: %v", err)
			}
		}
		fresh, _ := newClient(t, oci.WithRetries(5), oci.WithClock(&oci.Recorder{}))
		got, _, err := fresh.ReadBundle(ctx, repo+":1.0.2")
		if err != nil || got.Annotations["round"] != "2" {
			t.Fatalf("read through faults: %+v, %v", got, err)
		}
		if _, err := fresh.FetchFile(ctx, repo, got.Files[1].Digest); err != nil {
			t.Fatal(err)
		}
		if tags, err := fresh.Tags(ctx, repo); err != nil || len(tags) != 3 {
			t.Fatalf("tags through faults: %v, %v", tags, err)
		}

		s := p.Stats()
		t.Logf("%s", s)
		if s.FaultTotal() == 0 {
			t.Fatalf("no fault was injected: %s", s)
		}
		// Every 429 (Retry-After: 1) was followed by a wait of exactly 1 s.
		ones := 0
		for _, w := range sleeper.Waits() {
			if w == time.Second {
				ones++
			}
		}
		if ones != s.Faults[regproxy.Fault429] {
			t.Errorf("%d waits of 1s for %d injected 429s (waits %v)", ones, s.Faults[regproxy.Fault429], sleeper.Waits())
		}

		// Nothing was left behind: a fresh read of every tag gives its bundle.
		for i := 0; i < 3; i++ {
			got, _, err := fresh.ReadBundle(ctx, repo+fmt.Sprintf(":1.0.%d", i))
			if err != nil || got.Annotations["round"] != fmt.Sprint(i) {
				t.Errorf("1.0.%d: %+v, %v", i, got, err)
			}
		}
	})
}

// Every kind of fault, on every request once: the request is retried and
// the job completes.
func TestEveryFaultKindIsRetried(t *testing.T) {
	t.Parallel()
	kinds := append(slices.Clone(regproxy.AllFaults), regproxy.DropAfterForward)
	eachRegistry(t, func(t *testing.T, ctx context.Context, reg target) {
		for _, kind := range kinds {
			t.Run(string(kind), func(t *testing.T) {
				p, repo := proxiedRepo(t, reg.host, "acme/elemental")
				p.SetFaults(regproxy.Faults{Rate: 1, Kinds: []regproxy.Fault{kind}, MaxConsecutive: 1})
				c, sleeper := newClient(t, oci.WithRetries(2))
				digest, err := c.PushBundle(ctx, repo, testBundle())
				if err != nil {
					t.Fatalf("push: %v\n%s", err, strings.Join(p.Requests(), "\n"))
				}
				if err := c.Tag(ctx, repo, digest, "1.0.0"); err != nil {
					t.Fatalf("tag: %v\n%s", err, strings.Join(p.Requests(), "\n"))
				}
				fresh, _ := newClient(t, oci.WithRetries(2))
				b, d, err := fresh.ReadBundle(ctx, repo+":1.0.0")
				if err != nil || d.Digest != digest {
					t.Fatalf("read: %v, %v\n%s", d, err, strings.Join(p.Requests(), "\n"))
				}
				if data, err := fresh.FetchFile(ctx, repo, b.Files[1].Digest); err != nil || string(data) != string(testBundle().Files[1].Data) {
					t.Fatalf("fetch: %q, %v", data, err)
				}
				if err := fresh.DeleteTag(ctx, repo, "1.0.0"); err != nil {
					t.Fatalf("delete: %v", err)
				}
				s := p.Stats()
				if s.Faults[kind] == 0 || len(sleeper.Waits()) == 0 {
					t.Errorf("faults %s, waits %v", s, sleeper.Waits())
				}
			})
		}
	})
}

func TestRetryAfterHonoured(t *testing.T) {
	t.Parallel()
	eachRegistry(t, func(t *testing.T, ctx context.Context, reg target) {
		p, repo := proxiedRepo(t, reg.host, "acme/elemental")
		p.SetFaults(regproxy.Faults{Rate: 1, Kinds: []regproxy.Fault{regproxy.Fault429}, MaxConsecutive: 2})
		c, sleeper := newClient(t, oci.WithRetries(8)) // requests running at once share a fault count
		digest := mustPush(t, c, repo)
		if err := c.Tag(ctx, repo, digest, "latest"); err != nil {
			t.Fatal(err)
		}
		waits := sleeper.Waits()
		n := p.Stats().Faults[regproxy.Fault429]
		if n == 0 || len(waits) != n {
			t.Fatalf("%d waits for %d 429s", len(waits), n)
		}
		for _, w := range waits {
			if w != time.Second {
				t.Fatalf("waited %s after a 429 with Retry-After: 1", w)
			}
		}
	})
}

func TestFailsClearlyWhenEveryRequestFails(t *testing.T) {
	t.Parallel()
	eachRegistry(t, func(t *testing.T, ctx context.Context, reg target) {
		p, repo := proxiedRepo(t, reg.host, "acme/elemental")
		good, digest := pushed(t, repo)

		for _, kind := range []regproxy.Fault{regproxy.Fault503, regproxy.Fault429, regproxy.FaultReset, regproxy.FaultDrop} {
			p.SetFaults(regproxy.Faults{Rate: 1, Kinds: []regproxy.Fault{kind}})
			c, sleeper := newClient(t, oci.WithRetries(2))
			_, err := c.PushBundle(ctx, repo, testBundle())
			mustContain(t, err, fmt.Sprintf("pushing bundle to %q", repo))
			t.Logf("%s: %v", kind, err)
			if len(sleeper.Waits()) == 0 {
				t.Errorf("%s: no retry before failing", kind)
			}

			// Tagging with a client that is already connected fails on the
			// manifest request itself, and says so.
			p.SetFaults(regproxy.Faults{})
			if _, err := good.Tags(ctx, repo); err != nil {
				t.Fatal(err)
			}
			p.SetFaults(regproxy.Faults{Rate: 1, Kinds: []regproxy.Fault{kind}})
			err = good.Tag(ctx, repo, digest, "latest")
			mustContain(t, err, fmt.Sprintf("tagging %q as %q", repo+"@"+digest, "latest"), "gave up after")
			switch kind {
			case regproxy.Fault503:
				mustContain(t, err, "503")
			case regproxy.Fault429:
				mustContain(t, err, "429")
			}
			t.Logf("%s: %v", kind, err)
		}
	})
}

// Attaching locks to one image at once, on the referrers tag scheme (read,
// extend, write, read back): within one client no attachment is lost;
// across clients (jobs) the last write wins, and re-running each Attach, as
// ladder does after its ledger write, brings every attachment back.
func TestConcurrentAttachFallback(t *testing.T) {
	t.Parallel()
	eachRegistry(t, func(t *testing.T, ctx context.Context, reg target) {
		repo := reg.host + "/acme/os"
		pushImage(t, repo)
		const jobs = 4
		lock := func(i int) []byte {
			return []byte(strings.Replace(lockJSON, `"dev"`, fmt.Sprintf(`"job-%d"`, i), 1))
		}
		attachAll := func(shared bool) []string {
			digests := make([]string, jobs)
			errs := make([]error, jobs)
			// newClient may call t.Fatal: create the clients here, on the
			// test goroutine, before the jobs start.
			clients := make([]*oci.Client, jobs)
			one, _ := newClient(t, oci.WithReferrersTagFallback())
			for i := range clients {
				clients[i] = one
				if !shared {
					clients[i], _ = newClient(t, oci.WithReferrersTagFallback())
				}
			}
			var wg sync.WaitGroup
			for i, c := range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					digests[i], errs[i] = c.Attach(ctx, repo+":image", lock(i), map[string]string{"shared": fmt.Sprint(shared)})
				}()
			}
			wg.Wait()
			for _, err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			return digests
		}
		referrers := func() []string {
			c, _ := newClient(t, oci.WithReferrersTagFallback())
			refs, err := c.Referrers(ctx, repo+":image")
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range refs {
				got = append(got, r.Digest)
			}
			return got
		}
		missing := func(want []string) []string {
			got := referrers()
			var out []string
			for _, d := range want {
				if !slices.Contains(got, d) {
					out = append(out, d)
				}
			}
			return out
		}

		shared := attachAll(true)
		if m := missing(shared); len(m) != 0 {
			t.Errorf("one client attaching at once lost %v", m)
		}
		separate := attachAll(false)
		t.Logf("separate clients at once: %d of %d entries lost to the race", len(missing(separate)), jobs)
		c, _ := newClient(t, oci.WithReferrersTagFallback())
		for i := range jobs {
			if _, err := c.Attach(ctx, repo+":image", lock(i), map[string]string{"shared": "false"}); err != nil {
				t.Fatal(err)
			}
		}
		if m := missing(append(shared, separate...)); len(m) != 0 {
			t.Errorf("after re-running every Attach, %v are missing", m)
		}
	})
}

// heldHeads holds a bundle's blob HEADs: the first three wait until their
// request is cancelled, the fourth fails.
type heldHeads struct {
	next             http.RoundTripper
	mu               sync.Mutex
	heads, cancelled int
}

func (h *heldHeads) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodHead || !strings.Contains(req.URL.Path, "/blobs/") {
		return h.next.RoundTrip(req)
	}
	h.mu.Lock()
	h.heads++
	n := h.heads
	h.mu.Unlock()
	if n == 4 {
		// Give uploads beyond the bound every chance to send their HEAD
		// first (a correct bound holds whatever the schedule).
		for range 1000 {
			runtime.Gosched()
		}
		return nil, errors.New("refused by the test")
	}
	<-req.Context().Done()
	h.mu.Lock()
	h.cancelled++
	h.mu.Unlock()
	return nil, req.Context().Err()
}

// TestPushBlobsBoundedFirstErrorCancels: a bundle's blobs are uploaded four
// at a time, and the first failed upload cancels the others: the three HEADs
// in flight are cancelled and no fifth one is sent, then or later.
func TestPushBlobsBoundedFirstErrorCancels(t *testing.T) {
	t.Parallel()
	host := registry.InProcess(t)
	h := &heldHeads{next: http.DefaultTransport}
	c, _ := newClient(t, oci.WithBaseTransport(h))
	b := testBundle()
	for i := range 10 {
		b.Files = append(b.Files, oci.File{Path: fmt.Sprintf("f%d", i), Data: []byte(fmt.Sprintf("file %d\n", i))})
	}
	_, err := c.PushBundle(context.Background(), host+"/acme/elemental", b)
	mustContain(t, err, "uploading", "refused by the test")
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.heads != 4 || h.cancelled != 3 {
		t.Errorf("%d blob HEADs sent, %d cancelled; want 4 (the bound) and the 3 others cancelled", h.heads, h.cancelled)
	}
}
