package oci

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
)

// Attach attaches a lock to an image (image mode): it pushes, into the
// image's repository, an OCI 1.1 manifest with artifactType LockMediaType,
// the lock as its config blob and as one layer titled LockFileName (so
// `oras pull` gets the file), the given annotations, and the image (index or
// manifest) as its subject. It returns the new manifest's digest.
//
// A registry with the referrers API indexes it by itself. Otherwise (or
// WithReferrersTagFallback), the referrers tag scheme is kept: tag
// sha256-<hex of the subject digest> holds an index of the referrers, read,
// extended and written back, then read again to make sure a concurrent
// writer did not drop the entry. Writers in one Client take turns; writers
// in different processes can still race (registries have no
// compare-and-swap: the last PUT wins), so an entry can be lost to a
// concurrent Attach elsewhere. Attach is idempotent (the same lock and
// annotations give the same manifest) and re-adds a missing entry, so
// re-running it after the ledger write, as ladder does, converges.
func (c *Client) Attach(ctx context.Context, subjectRef string, lockJSON []byte, annotations map[string]string) (digest string, err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("attaching the lock to %q: %w", subjectRef, err)
		}
	}()
	return c.attach(ctx, subjectRef, Bundle{
		ArtifactType:    LockMediaType,
		Config:          lockJSON,
		ConfigMediaType: LockMediaType,
		Files:           []File{{Path: LockFileName, Data: lockJSON, MediaType: LockMediaType}},
		Annotations:     annotations,
	})
}

// SignatureMediaType is the Sigstore bundle's media type: the artifactType of
// a signature referrer and the media type of its one layer, as cosign
// (`attest --new-bundle-format`) writes them.
const SignatureMediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"

// SignatureFileName titles a signature referrer's layer.
const SignatureFileName = "sigstore-bundle.json"

// AttachSignature attaches a Sigstore bundle to the manifest subjectRef
// names, as cosign does: an OCI 1.1 manifest of artifactType
// SignatureMediaType, the empty JSON config and the bundle as its one layer,
// referring to the subject (the referrers API, or the referrers tag where a
// registry has none; see Attach). It returns the new manifest's digest.
func (c *Client) AttachSignature(ctx context.Context, subjectRef string, bundleJSON []byte, annotations map[string]string) (digest string, err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("attaching the signature to %q: %w", subjectRef, err)
		}
	}()
	return c.attach(ctx, subjectRef, Bundle{
		ArtifactType:    SignatureMediaType,
		Config:          []byte("{}"),
		ConfigMediaType: MediaTypeEmptyJSON,
		Files:           []File{{Path: SignatureFileName, Data: bundleJSON, MediaType: SignatureMediaType}},
		Annotations:     annotations,
	})
}

// Signatures returns the Sigstore bundles attached to the manifest
// subjectDigest in repo (referrers of artifactType SignatureMediaType), each
// with the digest of the referrer that carries it: one request for the
// referrers, then two for each signature (its manifest, its bundle).
func (c *Client) Signatures(ctx context.Context, repo, subjectDigest string) (out []Signature, err error) {
	refs, err := c.Referrers(ctx, repo+"@"+subjectDigest)
	if err != nil {
		return nil, err
	}
	r, err := parseRepo(repo)
	if err != nil {
		return nil, err
	}
	rt, err := c.transport(ctx, r, false)
	if err != nil {
		return nil, err
	}
	for _, d := range refs {
		// A registry that reports the config's media type instead of the
		// manifest's artifactType (go-containerregistry's) lists the empty one.
		if d.ArtifactType != SignatureMediaType && d.ArtifactType != MediaTypeEmptyJSON {
			continue
		}
		raw, err := c.getManifest(ctx, rt, r, d.Digest)
		if err != nil {
			return nil, fmt.Errorf("reading signature %s: %w", d.Digest, err)
		}
		var m manifest
		if raw.isIndex() || json.Unmarshal(raw.data, &m) != nil || m.ArtifactType != SignatureMediaType || len(m.Layers) != 1 ||
			m.Layers[0].MediaType != SignatureMediaType || checkDigest(m.Layers[0].Digest) != nil {
			continue // not a signature as cosign and ladder write it
		}
		data, err := c.getBlob(ctx, rt, r, m.Layers[0].Digest, maxManifestSize)
		if err != nil {
			return nil, fmt.Errorf("reading signature %s: %w", d.Digest, err)
		}
		out = append(out, Signature{Digest: d.Digest, Bundle: data})
	}
	return out, nil
}

// Signature is one attached Sigstore bundle.
type Signature struct {
	Digest string // the referrer manifest's digest
	Bundle []byte
}

// attach pushes b with subjectRef's manifest as subject and makes it a referrer.
func (c *Client) attach(ctx context.Context, subjectRef string, b Bundle) (string, error) {
	ref, err := name.ParseReference(subjectRef)
	if err != nil {
		return "", err
	}
	repo := ref.Context()
	rt, err := c.transport(ctx, repo, true)
	if err != nil {
		return "", err
	}
	subject, err := c.headManifest(ctx, rt, repo, ref.Identifier())
	if err != nil {
		return "", err
	}
	sub := descriptor{MediaType: subject.MediaType, Digest: subject.Digest, Size: subject.Size}
	m, blobs, err := b.build(&sub)
	if err != nil {
		return "", err
	}
	if err := c.pushBlobs(ctx, rt, repo, blobs); err != nil {
		return "", err
	}
	ack, err := c.putManifest(ctx, rt, repo, "", m)
	if err != nil {
		return "", fmt.Errorf("putting manifest %s: %w", m.digest, err)
	}
	if !c.opts.forceFallback {
		if ack == subject.Digest {
			return m.digest, nil // the registry indexed the subject (OCI-Subject)
		}
		api, err := c.hasReferrersAPI(ctx, rt, repo, subject.Digest)
		if err != nil {
			return "", err
		}
		if api {
			return m.digest, nil
		}
	}
	entry := descriptor{MediaType: m.mediaType, Digest: m.digest, Size: int64(len(m.data)), ArtifactType: b.ArtifactType, Annotations: copyMap(b.Annotations)}
	if err := c.addToFallback(ctx, rt, repo, subject.Digest, entry); err != nil {
		return "", err
	}
	return m.digest, nil
}

// fallbackTag is the referrers tag scheme's tag for a subject digest.
func fallbackTag(subjectDigest string) string {
	return strings.Replace(subjectDigest, ":", "-", 1)
}

// hasReferrersAPI asks the registry once per client (per registry).
func (c *Client) hasReferrersAPI(ctx context.Context, rt http.RoundTripper, repo name.Repository, subjectDigest string) (bool, error) {
	c.mu.Lock()
	api, known := c.referrers[repo.RegistryStr()]
	c.mu.Unlock()
	if known {
		return api, nil
	}
	_, _, api, err := c.referrersPage(ctx, rt, c.url(repo, "referrers/%s", subjectDigest))
	if err != nil {
		return false, err
	}
	c.mu.Lock()
	c.referrers[repo.RegistryStr()] = api
	c.mu.Unlock()
	return api, nil
}

// referrersPage GETs one page of the referrers API. api is false when the
// registry has no such API (404, 400, 405, 406, or not an index).
// next is the absolute URL of the following page, if any.
func (c *Client) referrersPage(ctx context.Context, rt http.RoundTripper, u string) (ix index, next string, api bool, err error) {
	resp, err := c.do(ctx, rt, http.MethodGet, u, http.Header{"Accept": {MediaTypeImageIndex}}, nil)
	if err != nil {
		return index{}, "", false, err
	}
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotFound, http.StatusBadRequest, http.StatusMethodNotAllowed, http.StatusNotAcceptable:
		drain(resp)
		return index{}, "", false, nil
	default:
		return index{}, "", false, statusError(resp)
	}
	defer resp.Body.Close()
	ct := resp.Header.Get("Content-Type")
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = strings.TrimSpace(ct[:i])
	}
	if ct != MediaTypeImageIndex {
		return index{}, "", false, nil
	}
	data, err := readLimited(resp.Body, maxManifestSize, "the referrers index")
	if err != nil {
		return index{}, "", false, err
	}
	if err := json.Unmarshal(data, &ix); err != nil {
		return index{}, "", false, fmt.Errorf("parsing the referrers index: %w", err)
	}
	if link := nextLink(resp); link != "" {
		base, _ := url.Parse(u)
		l, err := base.Parse(link)
		if err != nil {
			return index{}, "", false, fmt.Errorf("bad Link header %q: %w", link, err)
		}
		next = l.String()
	}
	return ix, next, true, nil
}

// nextLink reads `Link: <url>; rel="next"`.
func nextLink(resp *http.Response) string {
	for _, v := range resp.Header.Values("Link") {
		for _, part := range strings.Split(v, ",") {
			u, params, ok := strings.Cut(part, ";")
			if ok && (strings.Contains(params, `rel="next"`) || strings.Contains(params, "rel=next")) {
				return strings.Trim(strings.TrimSpace(u), "<>")
			}
		}
	}
	return ""
}

// addToFallback adds entry to the subject's referrers tag index.
func (c *Client) addToFallback(ctx context.Context, rt http.RoundTripper, repo name.Repository, subjectDigest string, entry descriptor) error {
	tag := fallbackTag(subjectDigest)
	key := repo.Name() + ":" + tag
	c.mu.Lock()
	mu := c.fallbacks[key]
	if mu == nil {
		mu = &sync.Mutex{}
		c.fallbacks[key] = mu
	}
	c.mu.Unlock()
	mu.Lock()
	defer mu.Unlock()
	for attempt := 0; attempt < 5; attempt++ {
		ix, err := c.readFallback(ctx, rt, repo, tag)
		if err != nil {
			return fmt.Errorf("reading referrers tag %s: %w", tag, err)
		}
		present := false
		for _, d := range ix.Manifests {
			if d.Digest == entry.Digest {
				present = true
			}
		}
		if present && attempt > 0 {
			return nil // written and read back
		}
		if !present {
			ix.Manifests = append(ix.Manifests, entry)
			raw, err := marshalManifest(ix, MediaTypeImageIndex)
			if err != nil {
				return err
			}
			if _, err := c.putManifest(ctx, rt, repo, tag, raw); err != nil {
				return fmt.Errorf("writing referrers tag %s: %w", tag, err)
			}
		} else {
			return nil // already there
		}
	}
	return fmt.Errorf("referrers tag %s: concurrent writers kept dropping %s", tag, entry.Digest)
}

func (c *Client) readFallback(ctx context.Context, rt http.RoundTripper, repo name.Repository, tag string) (index, error) {
	raw, err := c.getManifest(ctx, rt, repo, tag)
	if isNotFound(err) {
		return index{SchemaVersion: 2, MediaType: MediaTypeImageIndex, Manifests: []descriptor{}}, nil
	}
	if err != nil {
		return index{}, err
	}
	if !raw.isIndex() {
		return index{}, fmt.Errorf("tag %s holds a %s, not an image index", tag, raw.mediaType)
	}
	var ix index
	if err := json.Unmarshal(raw.data, &ix); err != nil {
		return index{}, fmt.Errorf("parsing %s: %w", tag, err)
	}
	if ix.Manifests == nil {
		ix.Manifests = []descriptor{}
	}
	ix.MediaType = MediaTypeImageIndex
	return ix, nil
}

// Referrers lists the manifests whose subject is subjectRef (a tag or a
// digest): from the referrers API (all pages) where the registry has it,
// else (or WithReferrersTagFallback) from the referrers tag. Descriptors
// carry what the registry (or the tag's index) records: always digest, media
// type and size, usually artifactType; annotations where they were recorded
// (the tag scheme keeps them, some registries' APIs drop them: Resolve reads
// them from the manifest).
func (c *Client) Referrers(ctx context.Context, subjectRef string) (out []Descriptor, err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("listing referrers of %q: %w", subjectRef, err)
		}
	}()
	ref, err := name.ParseReference(subjectRef)
	if err != nil {
		return nil, err
	}
	repo := ref.Context()
	rt, err := c.transport(ctx, repo, false)
	if err != nil {
		return nil, err
	}
	digest := ref.Identifier()
	if _, ok := ref.(name.Tag); ok {
		d, err := c.headManifest(ctx, rt, repo, digest)
		if err != nil {
			return nil, err
		}
		digest = d.Digest
	}
	out = []Descriptor{}
	c.mu.Lock()
	api, known := c.referrers[repo.RegistryStr()]
	c.mu.Unlock()
	if !c.opts.forceFallback && (api || !known) {
		ix, next, api, err := c.referrersPage(ctx, rt, c.url(repo, "referrers/%s", digest))
		if err != nil {
			return nil, err
		}
		c.mu.Lock()
		c.referrers[repo.RegistryStr()] = api
		c.mu.Unlock()
		if api {
			for pages := 1; ; pages++ {
				for _, d := range ix.Manifests {
					out = append(out, toDescriptor(d))
				}
				if next == "" {
					return out, nil
				}
				if pages >= 1000 {
					return nil, errors.New("more than 1000 pages of referrers")
				}
				if ix, next, api, err = c.referrersPage(ctx, rt, next); err != nil {
					return nil, err
				}
				if !api {
					return nil, fmt.Errorf("referrers page %d is not an image index", pages+1)
				}
			}
		}
	}
	ix, err := c.readFallback(ctx, rt, repo, fallbackTag(digest))
	if err != nil {
		return nil, err
	}
	for _, d := range ix.Manifests {
		out = append(out, toDescriptor(d))
	}
	return out, nil
}
