package oci

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/ladder-release/ladder/internal/bundle"
)

// Tags lists every tag of repo, following the registry's pages: the Link
// header where the registry sends one (distribution), else `last=` while
// pages come back full (go-containerregistry's registry sends no Link, and
// remote.List, which only follows Link, would stop after the first page). A
// repository that does not exist yet has no tags (nil, no error). Referrers
// fallback tags (sha256-<hex>) are listed like any other.
func (c *Client) Tags(ctx context.Context, repo string) (tags []string, err error) {
	defer wrapErr(&err, "listing tags of %q", repo)
	r, rt, err := c.openRepo(ctx, repo, false)
	if err != nil {
		return nil, err
	}
	n := c.pageSize
	if n <= 0 {
		n = 1000
	}
	seen := map[string]bool{}
	u := c.url(r, "tags/list?n=%d", n)
	for pages := 0; u != ""; pages++ {
		if pages >= 10000 {
			return nil, errors.New("more than 10000 pages of tags")
		}
		resp, err := c.do(ctx, rt, http.MethodGet, u, nil, nil)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusOK {
			err := statusError(resp)
			if pages == 0 && isNotFound(err) {
				return nil, nil
			}
			return nil, err
		}
		var page struct {
			Tags []string `json:"tags"`
		}
		data, err := readLimited(resp.Body, 64<<20, "the tag list")
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(data, &page); err != nil {
			return nil, fmt.Errorf("parsing the tag list: %w", err)
		}
		fresh := 0
		for _, t := range page.Tags {
			if !seen[t] {
				seen[t] = true
				tags = append(tags, t)
				fresh++
			}
		}
		switch link := nextLink(resp); {
		case link != "":
			base, _ := url.Parse(u)
			l, err := base.Parse(link)
			if err != nil {
				return nil, fmt.Errorf("bad Link header %q: %w", link, err)
			}
			u = l.String()
		case len(page.Tags) >= n && fresh > 0:
			u = c.url(r, "tags/list?n=%d&last=%s", n, url.QueryEscape(page.Tags[len(page.Tags)-1]))
		default:
			u = ""
		}
	}
	return tags, nil
}

// Resolve reads the manifest at ref (a tag or a digest) and describes it,
// artifactType and annotations included. One GET (none for a digest this
// client has just pushed or read). A missing tag or manifest wraps ErrNotFound.
func (c *Client) Resolve(ctx context.Context, ref string) (Descriptor, error) {
	return c.resolve(ctx, ref, true)
}

// resolve describes the manifest at ref from a GET of it (get) or a HEAD.
func (c *Client) resolve(ctx context.Context, ref string, get bool) (d Descriptor, err error) {
	defer func() {
		if err != nil {
			d, err = Descriptor{}, fmt.Errorf("resolving %q: %w", ref, err)
		}
	}()
	r, rt, err := c.pullRef(ctx, ref)
	if err != nil {
		return Descriptor{}, err
	}
	if !get {
		hd, err := c.headManifest(ctx, rt, r.Context(), r.Identifier())
		return toDescriptor(hd), err
	}
	raw, err := c.getManifest(ctx, rt, r.Context(), r.Identifier())
	if err != nil {
		return Descriptor{}, err
	}
	return describeRaw(raw)
}

// pullRef parses ref (a tag or digest reference) and returns the transport
// that reads its repository.
func (c *Client) pullRef(ctx context.Context, ref string) (name.Reference, http.RoundTripper, error) {
	r, err := name.ParseReference(ref)
	if err != nil {
		return nil, nil, err
	}
	rt, err := c.transport(ctx, r.Context(), false)
	if err != nil {
		return nil, nil, err
	}
	return r, rt, nil
}

func describeRaw(raw rawManifest) (Descriptor, error) {
	if raw.isIndex() {
		var ix index
		if err := json.Unmarshal(raw.data, &ix); err != nil {
			return Descriptor{}, fmt.Errorf("parsing index %s: %w", raw.digest, err)
		}
		return describe(raw, ix.ArtifactType, "", ix.Annotations), nil
	}
	var m manifest
	if err := json.Unmarshal(raw.data, &m); err != nil {
		return Descriptor{}, fmt.Errorf("parsing manifest %s: %w", raw.digest, err)
	}
	return describe(raw, m.ArtifactType, m.Config.MediaType, m.Annotations), nil
}

// Head resolves ref to its digest, media type and size with one HEAD (no
// artifactType or annotations: Resolve reads those). A missing tag wraps
// ErrNotFound.
func (c *Client) Head(ctx context.Context, ref string) (Descriptor, error) {
	return c.resolve(ctx, ref, false)
}

func checkTag(repo name.Repository, tag string) error {
	if _, err := name.NewTag(repo.String()+":"+tag, name.StrictValidation); err != nil || strings.HasPrefix(tag, "sha256:") {
		return fmt.Errorf("%q is not a valid tag ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})", tag)
	}
	return nil
}

// Tag points tag at the manifest digest in repo: a manifest GET by digest
// (skipped when this client has the bytes) and a PUT of the same bytes with
// the same media type under the tag. No blob is read or written.
func (c *Client) Tag(ctx context.Context, repo, digest, tag string) (err error) {
	defer wrapErr(&err, "tagging %q as %q", repo+"@"+digest, tag)
	r, rt, err := c.openRepo(ctx, repo, true, digestCheck(digest), tagCheck(tag))
	if err != nil {
		return err
	}
	raw, err := c.getManifest(ctx, rt, r, digest)
	if err != nil {
		return err
	}
	if _, err := c.putManifest(ctx, rt, r, tag, raw); err != nil {
		return err
	}
	return nil
}

// DeleteTag removes tag from repo and leaves the manifest it pointed at, and
// every other tag, in place. It is idempotent: a tag that is already absent
// is not an error (a 404 is confirmed by a HEAD of the tag).
//
// It first asks for the tag's deletion (DELETE /v2/<name>/manifests/<tag>,
// OCI distribution-spec 1.1), which both go-containerregistry's registry and
// CNCF distribution v3 (with storage.delete.enabled) support. A registry that
// refuses (400/405, as distribution v2 does) gets the fallback regclient also
// uses: the tag is overwritten with a unique, empty placeholder manifest, and
// that placeholder is deleted by digest, which removes the tag with it; the
// bundle the tag pointed at is never deleted (deleting it by digest would also
// untag every other tag of it, and break references by digest). Before
// writing the placeholder, a DELETE of a digest that cannot exist checks
// that the registry deletes manifests at all, so a registry with deletes
// disabled gets a clear error and keeps the tag unchanged.
func (c *Client) DeleteTag(ctx context.Context, repo, tag string) (err error) {
	defer wrapErr(&err, "deleting tag %q", repo+":"+tag)
	r, rt, err := c.openRepo(ctx, repo, true, tagCheck(tag))
	if err != nil {
		return err
	}
	resp, err := c.do(ctx, rt, http.MethodDelete, c.url(r, "manifests/%s", tag), nil, nil)
	if err != nil {
		return err
	}
	switch resp.StatusCode {
	case http.StatusOK, http.StatusAccepted, http.StatusNoContent:
		drain(resp)
		return nil
	case http.StatusNotFound:
		// Absent, or a registry that looks tags up as digests: check.
		tagErr := statusError(resp)
		if _, err := c.headManifest(ctx, rt, r, tag); isNotFound(err) {
			return nil
		} else if err != nil {
			return err
		}
		return c.deleteTagByPlaceholder(ctx, rt, r, tag, tagErr)
	case http.StatusBadRequest, http.StatusMethodNotAllowed:
		return c.deleteTagByPlaceholder(ctx, rt, r, tag, statusError(resp))
	default:
		return statusError(resp)
	}
}

func (c *Client) deleteTagByPlaceholder(ctx context.Context, rt http.RoundTripper, r name.Repository, tag string, tagErr error) error {
	nonce := make([]byte, 16)
	if _, err := rand.Read(nonce); err != nil {
		return err
	}
	probe := digestOf(append([]byte("ladder: a digest no manifest has "), nonce...))
	resp, err := c.do(ctx, rt, http.MethodDelete, c.url(r, "manifests/%s", probe), nil, nil)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusAccepted && resp.StatusCode != http.StatusOK {
		probeErr := statusError(resp)
		return fmt.Errorf("the registry deletes neither tags (%v) nor manifests (%v): enable deletes (distribution: storage.delete.enabled)", tagErr, probeErr)
	}
	drain(resp)

	empty := []byte("{}")
	emptyDigest := digestOf(empty)
	if err := c.uploadBlob(ctx, rt, r, emptyDigest, empty); err != nil {
		return fmt.Errorf("uploading the empty blob of the placeholder: %w", err)
	}
	ed := descriptor{MediaType: MediaTypeEmptyJSON, Digest: emptyDigest, Size: int64(len(empty))}
	m := manifest{
		SchemaVersion: 2,
		MediaType:     MediaTypeImageManifest,
		ArtifactType:  bundle.TombstoneArtifactType,
		Config:        ed,
		Layers:        []descriptor{ed},
		Annotations: map[string]string{
			bundle.OCIDescription: "ladder: placeholder written to delete tag " + tag,
			bundle.OCIRevision:    hex.EncodeToString(nonce),
		},
	}
	ph, err := marshalManifest(m, MediaTypeImageManifest)
	if err != nil {
		return err
	}
	if _, err := c.putManifest(ctx, rt, r, tag, ph); err != nil {
		return fmt.Errorf("the registry refuses tag deletion (%v); writing a placeholder under the tag: %w", tagErr, err)
	}
	resp, err = c.do(ctx, rt, http.MethodDelete, c.url(r, "manifests/%s", ph.digest), nil, nil)
	if err != nil {
		return fmt.Errorf("tag %s now points at placeholder %s, which could not be deleted (rerun to finish): %w", tag, ph.digest, err)
	}
	switch resp.StatusCode {
	case http.StatusOK, http.StatusAccepted, http.StatusNoContent, http.StatusNotFound:
		drain(resp)
	default:
		err := statusError(resp)
		return fmt.Errorf("tag %s now points at placeholder %s, which could not be deleted (rerun to finish): %w", tag, ph.digest, err)
	}
	c.forget(r, ph.digest)
	d, err := c.headManifest(ctx, rt, r, tag)
	switch {
	case isNotFound(err):
		return nil
	case err != nil:
		return fmt.Errorf("checking that the tag is gone: %w", err)
	default:
		return fmt.Errorf("the registry kept tag %s (now on placeholder %s) after deleting the placeholder by digest", tag, d.Digest)
	}
}

// TagImage tags an existing image (a manifest or an index) in repo, by
// manifest GET and PUT only. When srcRef is in another repository of the same
// registry, what repo lacks is mounted across repositories (child manifests
// are PUT, blobs are mounted); a blob is only copied if the registry refuses
// to mount. It returns the image's descriptor.
func (c *Client) TagImage(ctx context.Context, srcRef, repo string, tags ...string) (d Descriptor, err error) {
	defer wrapErr(&err, "tagging image %q in %q", srcRef, repo)
	src, err := name.ParseReference(srcRef)
	if err != nil {
		return Descriptor{}, err
	}
	dst, err := parseRepo(repo)
	if err != nil {
		return Descriptor{}, err
	}
	if len(tags) == 0 {
		return Descriptor{}, errors.New("no tags given")
	}
	for _, t := range tags {
		if err := checkTag(dst, t); err != nil {
			return Descriptor{}, err
		}
	}
	if src.Context().RegistryStr() != dst.RegistryStr() {
		return Descriptor{}, fmt.Errorf("the image is on %s and the repository on %s: ladder tags images within one registry", src.Context().RegistryStr(), dst.RegistryStr())
	}
	sameRepo := src.Context().String() == dst.String()
	rt, err := c.transport(ctx, dst, true, src.Context())
	if err != nil {
		return Descriptor{}, err
	}
	raw, err := c.getManifest(ctx, rt, src.Context(), src.Identifier())
	if err != nil {
		return Descriptor{}, err
	}
	if !sameRepo {
		if err := c.ensureDeps(ctx, rt, src.Context(), dst, raw, 0); err != nil {
			return Descriptor{}, err
		}
	}
	for _, t := range tags {
		if _, err := c.putManifest(ctx, rt, dst, t, raw); err != nil {
			return Descriptor{}, fmt.Errorf("tag %q: %w", t, err)
		}
	}
	return describeRaw(raw)
}

// ensureDeps makes dst hold what raw refers to: child manifests of an index
// (recursively), blobs of an image.
func (c *Client) ensureDeps(ctx context.Context, rt http.RoundTripper, src, dst name.Repository, raw rawManifest, depth int) error {
	if depth > 4 {
		return fmt.Errorf("manifest %s: indexes nested too deep", raw.digest)
	}
	if raw.isIndex() {
		var ix index
		if err := json.Unmarshal(raw.data, &ix); err != nil {
			return fmt.Errorf("parsing index %s: %w", raw.digest, err)
		}
		for _, child := range ix.Manifests {
			if _, err := c.headManifest(ctx, rt, dst, child.Digest); err == nil {
				continue
			} else if !isNotFound(err) {
				return err
			}
			cm, err := c.getManifest(ctx, rt, src, child.Digest)
			if err != nil {
				return fmt.Errorf("reading child manifest %s: %w", child.Digest, err)
			}
			if err := c.ensureDeps(ctx, rt, src, dst, cm, depth+1); err != nil {
				return err
			}
			if _, err := c.putManifest(ctx, rt, dst, "", cm); err != nil {
				return fmt.Errorf("putting child manifest %s: %w", child.Digest, err)
			}
		}
		return nil
	}
	var m manifest
	if err := json.Unmarshal(raw.data, &m); err != nil {
		return fmt.Errorf("parsing manifest %s: %w", raw.digest, err)
	}
	if m.SchemaVersion != 2 {
		return fmt.Errorf("manifest %s: schema version %d is not supported", raw.digest, m.SchemaVersion)
	}
	for _, b := range append([]descriptor{m.Config}, m.Layers...) {
		if len(b.URLs) > 0 {
			continue // a foreign layer lives elsewhere
		}
		if err := checkDigest(b.Digest); err != nil {
			return fmt.Errorf("manifest %s: %w", raw.digest, err)
		}
		if err := c.mountOrCopyBlob(ctx, rt, src, dst, b); err != nil {
			return fmt.Errorf("mounting blob %s from %s: %w", b.Digest, src, err)
		}
	}
	return nil
}
