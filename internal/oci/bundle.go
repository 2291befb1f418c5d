package oci

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/ladder-release/ladder/internal/bundle"
	"golang.org/x/sync/errgroup"
)

// Bundle is what ladder publishes: a lock and files, as an OCI 1.1 image
// manifest with an artifactType, the lock as its config blob and one layer
// per file.
type Bundle struct {
	// ArtifactType of the manifest; BundleArtifactType when empty.
	ArtifactType string
	// Config is the config blob: the lock JSON bytes.
	Config []byte
	// ConfigMediaType is the config blob's media type; LockMediaType when
	// empty. ReadBundle fills it in.
	ConfigMediaType string
	// Files are the layers, in order.
	Files []File
	// Annotations of the manifest.
	Annotations map[string]string
	// Subject is the manifest's subject, if any (filled in by ReadBundle).
	Subject *Descriptor
	// embedFiles puts each file's content in its layer descriptor too (the
	// descriptor's data field) when it is at most maxEmbedded bytes, so that
	// the manifest alone carries it (a signature: see AttachSignature).
	embedFiles bool
}

// maxEmbedded bounds content embedded in a descriptor (data): a signature
// bundle in its manifest, a signature manifest in the referrers tag's index.
// A Sigstore bundle is a few KiB; a larger one is fetched as a blob.
const maxEmbedded = 64 << 10

// File is one layer of a bundle.
type File struct {
	// Path is the file name, stored as the layer's
	// org.opencontainers.image.title annotation, as ORAS does (a relative,
	// slash-separated path without "..").
	Path string
	// Data is the content. ReadBundle leaves it nil: FetchFile reads it.
	Data []byte
	// MediaType of the layer; DefaultFileMediaType when empty.
	MediaType string
	// Annotations of the layer besides the title.
	Annotations map[string]string
	// Digest and Size are filled in by ReadBundle.
	Digest string
	Size   int64
}

// Descriptor describes a manifest (or a referrer).
type Descriptor struct {
	Digest       string
	MediaType    string
	Size         int64
	ArtifactType string
	Annotations  map[string]string
}

// Ref is repo@digest.
func (d Descriptor) Ref(repo string) string { return repo + "@" + d.Digest }

func toDescriptor(d descriptor) Descriptor {
	return Descriptor{Digest: d.Digest, MediaType: d.MediaType, Size: d.Size, ArtifactType: d.ArtifactType, Annotations: d.Annotations}
}

type blob struct {
	digest string
	data   []byte
	what   string // for errors: "config", "file \"a.txt\""
}

// build validates the bundle and returns its manifest and the blobs it needs
// (deduplicated by digest).
func (b Bundle) build(subject *descriptor) (rawManifest, []blob, error) {
	if len(b.Config) == 0 {
		return rawManifest{}, nil, errors.New("the bundle has no config (lock) bytes")
	}
	if !json.Valid(b.Config) {
		return rawManifest{}, nil, errors.New("the bundle's config (lock) is not valid JSON")
	}
	at := b.ArtifactType
	if at == "" {
		at = BundleArtifactType
	}
	if err := checkMediaType(at); err != nil {
		return rawManifest{}, nil, fmt.Errorf("artifactType: %w", err)
	}
	cmt := b.ConfigMediaType
	if cmt == "" {
		cmt = LockMediaType
	}
	if err := checkMediaType(cmt); err != nil {
		return rawManifest{}, nil, fmt.Errorf("config media type: %w", err)
	}
	m := manifest{
		SchemaVersion: 2,
		MediaType:     MediaTypeImageManifest,
		ArtifactType:  at,
		Config:        descriptor{MediaType: cmt, Digest: digestOf(b.Config), Size: int64(len(b.Config))},
		Layers:        []descriptor{},
		Subject:       subject,
		Annotations:   copyMap(b.Annotations),
	}
	blobs := []blob{{digest: m.Config.Digest, data: b.Config, what: "the config (lock)"}}
	seen := map[string]bool{m.Config.Digest: true}
	titles := map[string]bool{}
	for i, f := range b.Files {
		if err := checkTitle(f.Path); err != nil {
			return rawManifest{}, nil, fmt.Errorf("files[%d]: %w", i, err)
		}
		if titles[f.Path] {
			return rawManifest{}, nil, fmt.Errorf("files[%d]: %q appears twice", i, f.Path)
		}
		titles[f.Path] = true
		mt := f.MediaType
		if mt == "" {
			mt = DefaultFileMediaType
		}
		if err := checkMediaType(mt); err != nil {
			return rawManifest{}, nil, fmt.Errorf("files[%d] (%s): media type: %w", i, f.Path, err)
		}
		ann := copyMap(f.Annotations)
		if ann == nil {
			ann = map[string]string{}
		}
		ann[bundle.OCITitle] = f.Path
		d := descriptor{MediaType: mt, Digest: digestOf(f.Data), Size: int64(len(f.Data)), Annotations: ann}
		if b.embedFiles && len(f.Data) <= maxEmbedded {
			d.Data = f.Data
		}
		m.Layers = append(m.Layers, d)
		if !seen[d.Digest] {
			seen[d.Digest] = true
			blobs = append(blobs, blob{digest: d.Digest, data: f.Data, what: fmt.Sprintf("file %q", f.Path)})
		}
	}
	raw, err := marshalManifest(m, MediaTypeImageManifest)
	return raw, blobs, err
}

func checkTitle(p string) error {
	switch {
	case p == "":
		return errors.New("the path (title) is empty")
	case strings.HasPrefix(p, "/") || strings.Contains(p, "\\"):
		return fmt.Errorf("path %q must be relative and slash-separated", p)
	case path.Clean(p) != p || p == "." || p == ".." || strings.HasPrefix(p, "../"):
		return fmt.Errorf("path %q must be clean and stay inside the bundle (no \"..\")", p)
	case strings.ContainsAny(p, "\x00\r\n"):
		return fmt.Errorf("path %q contains a control character", p)
	}
	return nil
}

// checkMediaType accepts type/subtype[+suffix] (RFC 6838 characters).
func checkMediaType(mt string) error {
	t, sub, ok := strings.Cut(mt, "/")
	valid := func(s string) bool {
		if s == "" || len(s) > 127 {
			return false
		}
		for _, r := range s {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("!#$&-^_.+", r)) {
				return false
			}
		}
		return true
	}
	if !ok || !valid(t) || !valid(sub) {
		return fmt.Errorf("%q is not a media type (type/subtype)", mt)
	}
	return nil
}

func copyMap(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// pushBlobs uploads the blobs the registry does not hold yet, up to four
// at a time. The first failure cancels the other uploads and is the error
// returned.
func (c *Client) pushBlobs(ctx context.Context, rt http.RoundTripper, repo name.Repository, blobs []blob) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	for _, b := range blobs {
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			if err := c.uploadBlob(gctx, rt, repo, b.digest, b.data); err != nil {
				return fmt.Errorf("uploading %s (%s): %w", b.what, b.digest, err)
			}
			return nil
		})
	}
	return g.Wait()
}

// PushBundle publishes b into repo by digest only (no tag) and returns the
// manifest digest, in three round trips: the blobs (uploadBlob: a HEAD and a
// POST together, then a PUT of a missing one; blobs the registry already
// holds are not uploaded again), then the manifest.
func (c *Client) PushBundle(ctx context.Context, repo string, b Bundle) (digest string, err error) {
	defer wrapErr(&err, "pushing bundle to %q", repo)
	r, err := parseRepo(repo)
	if err != nil {
		return "", err
	}
	m, blobs, err := b.build(nil)
	if err != nil {
		return "", err
	}
	rt, err := c.transport(ctx, r, true)
	if err != nil {
		return "", err
	}
	if err := c.pushBlobs(ctx, rt, r, blobs); err != nil {
		return "", err
	}
	if _, err := c.putManifest(ctx, rt, r, "", m); err != nil {
		return "", fmt.Errorf("putting manifest %s: %w", m.digest, err)
	}
	return m.digest, nil
}

// ReadBundle reads the manifest at ref (a tag or digest), its annotations,
// its config blob (the lock bytes) and its layers' descriptors, not their
// content (FetchFile reads a file). It returns the manifest's descriptor too.
func (c *Client) ReadBundle(ctx context.Context, ref string) (b *Bundle, desc Descriptor, err error) {
	defer wrapErr(&err, "reading bundle %q", ref)
	r, rt, err := c.pullRef(ctx, ref)
	if err != nil {
		return nil, Descriptor{}, err
	}
	raw, err := c.getManifest(ctx, rt, r.Context(), r.Identifier())
	if err != nil {
		return nil, Descriptor{}, err
	}
	if raw.isIndex() {
		return nil, Descriptor{}, fmt.Errorf("%s is an image index, not a bundle manifest", raw.digest)
	}
	var m manifest
	if err := json.Unmarshal(raw.data, &m); err != nil {
		return nil, Descriptor{}, fmt.Errorf("parsing manifest %s: %w", raw.digest, err)
	}
	if checkDigest(m.Config.Digest) != nil {
		return nil, Descriptor{}, fmt.Errorf("manifest %s: config digest %q is not sha256", raw.digest, m.Config.Digest)
	}
	cfg, err := c.getConfig(ctx, rt, r.Context(), m.Config.Digest)
	if err != nil {
		return nil, Descriptor{}, fmt.Errorf("reading the config (lock) blob: %w", err)
	}
	b = &Bundle{
		ArtifactType:    m.ArtifactType,
		Config:          cfg,
		ConfigMediaType: m.Config.MediaType,
		Annotations:     m.Annotations,
	}
	if m.Subject != nil {
		s := toDescriptor(*m.Subject)
		b.Subject = &s
	}
	for _, l := range m.Layers {
		ann := copyMap(l.Annotations)
		delete(ann, bundle.OCITitle)
		if len(ann) == 0 {
			ann = nil
		}
		b.Files = append(b.Files, File{
			Path:        l.Annotations[bundle.OCITitle],
			MediaType:   l.MediaType,
			Annotations: ann,
			Digest:      l.Digest,
			Size:        l.Size,
		})
	}
	return b, describe(raw, m.ArtifactType, m.Config.MediaType, m.Annotations), nil
}

// describe is the Descriptor of a manifest; artifactType falls back to the
// config media type, as the referrers API does.
func describe(raw rawManifest, artifactType, configMediaType string, ann map[string]string) Descriptor {
	if artifactType == "" && !raw.isIndex() {
		switch configMediaType {
		case "application/vnd.oci.image.config.v1+json", "application/vnd.docker.container.image.v1+json":
		default:
			artifactType = configMediaType
		}
	}
	return Descriptor{Digest: raw.digest, MediaType: raw.mediaType, Size: int64(len(raw.data)), ArtifactType: artifactType, Annotations: ann}
}

// FetchFile reads one layer's content (by its digest, as ReadBundle lists
// it) and verifies it.
func (c *Client) FetchFile(ctx context.Context, repo, layerDigest string) (data []byte, err error) {
	return c.FetchFileMax(ctx, repo, layerDigest, 0)
}

// FetchFileMax is FetchFile reading at most max bytes (0: no bound): more is
// an error, for content the registry's other writers control.
func (c *Client) FetchFileMax(ctx context.Context, repo, layerDigest string, max int64) (data []byte, err error) {
	defer wrapErr(&err, "fetching %q", repo+"@"+layerDigest)
	r, rt, err := c.openRepo(ctx, repo, false, digestCheck(layerDigest))
	if err != nil {
		return nil, err
	}
	return c.getBlob(ctx, rt, r, layerDigest, max)
}
