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
	"golang.org/x/sync/errgroup"
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
	defer wrapErr(&err, "attaching the lock to %q", subjectRef)
	return c.attach(ctx, subjectRef, Bundle{
		ArtifactType:    LockMediaType,
		Config:          lockJSON,
		ConfigMediaType: LockMediaType,
		Files:           []File{{Path: LockFileName, Data: lockJSON, MediaType: LockMediaType}},
		Annotations:     annotations,
	}, false)
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
//
// It is a promotion's step, so it is lean (SPEC section 9: signing adds at
// most 4 requests): the subject is read by GET into the client's cache (the
// label's tag move that follows reads it from there); the two blobs go up
// at once, each in one single-POST upload without a HEAD (two requests on a
// registry without it); then the manifest PUT. That is all (3 requests) on a
// registry that answers the PUT with OCI-Subject; one more, once per client,
// asks a registry that does not whether it has the referrers API (4 in all
// where it has). Without the API, the referrers tag costs its read, write
// and read-back besides. The bundle is embedded in the manifest's layer
// descriptor and, on the tag scheme, the manifest in its index entry, so
// Signatures reads a signature in 2 requests.
func (c *Client) AttachSignature(ctx context.Context, subjectRef string, bundleJSON []byte, annotations map[string]string) (digest string, err error) {
	b := signatureBundle(bundleJSON)
	b.Annotations = annotations
	b.embedFiles = true
	defer wrapErr(&err, "attaching the signature to %q", subjectRef)
	return c.attach(ctx, subjectRef, b, true)
}

// signatureBundle is the referrer that carries a Sigstore bundle, as cosign
// writes one: the empty JSON config and the bundle as its one layer.
func signatureBundle(bundleJSON []byte) Bundle {
	return Bundle{
		ArtifactType:    SignatureMediaType,
		Config:          []byte("{}"),
		ConfigMediaType: MediaTypeEmptyJSON,
		Files:           []File{{Path: SignatureFileName, Data: bundleJSON, MediaType: SignatureMediaType}},
	}
}

// Signatures returns the Sigstore bundles attached to the manifest
// subjectDigest in repo (referrers of artifactType SignatureMediaType), each
// with the digest of the referrer that carries it. A signature ladder
// attached costs no request beyond the referrers list and its manifest: 2 on
// a registry with the referrers API; on one without, the API's answer and the
// referrers tag's index, which carries the manifest (2, or 1 for a client
// that knows the registry has no API). One written otherwise (cosign's) costs
// its manifest and its bundle blob.
func (c *Client) Signatures(ctx context.Context, repo, subjectDigest string) (out []Signature, err error) {
	defer wrapErr(&err, "listing signatures of %q", repo+"@"+subjectDigest)
	r, rt, err := c.openRepo(ctx, repo, false, digestCheck(subjectDigest))
	if err != nil {
		return nil, err
	}
	refs, err := c.listReferrers(ctx, rt, r, subjectDigest)
	if err != nil {
		return nil, err
	}
	for _, d := range refs {
		// A registry that reports the config's media type instead of the
		// manifest's artifactType (go-containerregistry's) lists the empty one.
		if d.ArtifactType != SignatureMediaType && d.ArtifactType != MediaTypeEmptyJSON {
			continue
		}
		raw, ok := embeddedManifest(d)
		if ok {
			c.remember(r, raw)
		} else if raw, err = c.getManifest(ctx, rt, r, d.Digest); err != nil {
			return nil, fmt.Errorf("reading signature %s: %w", d.Digest, err)
		}
		var m manifest
		if raw.isIndex() || json.Unmarshal(raw.data, &m) != nil || m.ArtifactType != SignatureMediaType || len(m.Layers) != 1 ||
			m.Layers[0].MediaType != SignatureMediaType || checkDigest(m.Layers[0].Digest) != nil {
			continue // not a signature as cosign and ladder write it
		}
		l := m.Layers[0]
		data := l.Data
		if len(data) == 0 || int64(len(data)) != l.Size || digestOf(data) != l.Digest {
			if data, err = c.getBlob(ctx, rt, r, l.Digest, maxManifestSize); err != nil {
				return nil, fmt.Errorf("reading signature %s: %w", d.Digest, err)
			}
		}
		out = append(out, Signature{Digest: d.Digest, Bundle: data})
	}
	return out, nil
}

// embeddedManifest is the manifest a referrer's descriptor carries (data),
// when it does and it is what the descriptor's digest names.
func embeddedManifest(d descriptor) (rawManifest, bool) {
	if len(d.Data) == 0 || int64(len(d.Data)) != d.Size || d.MediaType == "" || digestOf(d.Data) != d.Digest {
		return rawManifest{}, false
	}
	return rawManifest{data: d.Data, mediaType: d.MediaType, digest: d.Digest}, true
}

// Signature is one attached Sigstore bundle.
type Signature struct {
	Digest string // the referrer manifest's digest
	Bundle []byte
}

// attach pushes b with subjectRef's manifest as subject and makes it a
// referrer. lean is AttachSignature's way (see there); otherwise the subject
// is resolved by HEAD and the blobs the registry holds are not uploaded
// again (a HEAD each).
func (c *Client) attach(ctx context.Context, subjectRef string, b Bundle, lean bool) (string, error) {
	ref, err := name.ParseReference(subjectRef)
	if err != nil {
		return "", err
	}
	repo := ref.Context()
	rt, err := c.transport(ctx, repo, true)
	if err != nil {
		return "", err
	}
	var subject descriptor
	if _, byDigest := ref.(name.Digest); lean && byDigest {
		raw, err := c.getManifest(ctx, rt, repo, ref.Identifier())
		if err != nil {
			return "", err
		}
		subject = raw.descriptor()
	} else if subject, err = c.headManifest(ctx, rt, repo, ref.Identifier()); err != nil {
		return "", err
	}
	sub := descriptor{MediaType: subject.MediaType, Digest: subject.Digest, Size: subject.Size}
	m, blobs, err := b.build(&sub)
	if err != nil {
		return "", err
	}
	if lean {
		g, gctx := errgroup.WithContext(ctx)
		for _, bl := range blobs {
			g.Go(func() error {
				if err := c.postBlob(gctx, rt, repo, bl.digest, bl.data); err != nil {
					return fmt.Errorf("uploading %s (%s): %w", bl.what, bl.digest, err)
				}
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			return "", err
		}
	} else if err := c.pushBlobs(ctx, rt, repo, blobs); err != nil {
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
		// Asked after the PUT, not alongside the uploads: a registry that
		// answers OCI-Subject is never asked.
		api, err := c.hasReferrersAPI(ctx, rt, repo, subject.Digest)
		if err != nil {
			return "", err
		}
		if api {
			return m.digest, nil
		}
	}
	entry := descriptor{MediaType: m.mediaType, Digest: m.digest, Size: int64(len(m.data)), ArtifactType: b.ArtifactType, Annotations: copyMap(b.Annotations)}
	if b.embedFiles && len(m.data) <= 2*maxEmbedded {
		entry.Data = m.data // Signatures reads it from the index
	}
	if err := c.addToFallback(ctx, rt, repo, subject.Digest, entry); err != nil {
		return "", err
	}
	return m.digest, nil
}

// fallbackTag is the referrers tag scheme's tag for a subject digest.
func fallbackTag(subjectDigest string) string {
	return strings.Replace(subjectDigest, ":", "-", 1)
}

// knowsReferrersAPI is what this client learnt of the registry's referrers API.
func (c *Client) knowsReferrersAPI(repo name.Repository) (api, known bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	api, known = c.referrers[repo.RegistryStr()]
	return api, known
}

// hasReferrersAPI asks the registry once per client (per registry).
func (c *Client) hasReferrersAPI(ctx context.Context, rt http.RoundTripper, repo name.Repository, subjectDigest string) (bool, error) {
	if api, known := c.knowsReferrersAPI(repo); known {
		return api, nil
	}
	_, _, api, err := c.firstReferrersPage(ctx, rt, repo, subjectDigest)
	return api, err
}

// firstReferrersPage asks the referrers API for digest's referrers, and
// remembers whether the registry has the API.
func (c *Client) firstReferrersPage(ctx context.Context, rt http.RoundTripper, repo name.Repository, digest string) (ix index, next string, api bool, err error) {
	ix, next, api, err = c.referrersPage(ctx, rt, c.url(repo, "referrers/%s", digest))
	if err != nil {
		return index{}, "", false, err
	}
	c.mu.Lock()
	c.referrers[repo.RegistryStr()] = api
	c.mu.Unlock()
	return ix, next, api, nil
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
	defer wrapErr(&err, "listing referrers of %q", subjectRef)
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
	refs, err := c.listReferrers(ctx, rt, repo, digest)
	if err != nil {
		return nil, err
	}
	out = make([]Descriptor, 0, len(refs))
	for _, d := range refs {
		out = append(out, toDescriptor(d))
	}
	return out, nil
}

// listReferrers lists the referrers of the manifest digest, as they are on the
// wire (see Referrers).
func (c *Client) listReferrers(ctx context.Context, rt http.RoundTripper, repo name.Repository, digest string) ([]descriptor, error) {
	var out []descriptor
	api, known := c.knowsReferrersAPI(repo)
	if !c.opts.forceFallback && (api || !known) {
		ix, next, api, err := c.firstReferrersPage(ctx, rt, repo, digest)
		if err != nil {
			return nil, err
		}
		if api {
			for pages := 1; ; pages++ {
				out = append(out, ix.Manifests...)
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
	return ix.Manifests, nil
}

// PrefetchSubject reads the manifest subjectRef (by digest) into the
// client's cache with the credentials a push needs, so that an
// AttachSignature started later finds it: a signer calls it while the
// signature is being made, and the attach saves a round trip. A failure is
// left for the attach to meet and report.
func (c *Client) PrefetchSubject(ctx context.Context, subjectRef string) {
	ref, err := name.ParseReference(subjectRef)
	if err != nil {
		return
	}
	if _, byDigest := ref.(name.Digest); !byDigest {
		return
	}
	rt, err := c.transport(ctx, ref.Context(), true)
	if err != nil {
		return
	}
	_, _ = c.getManifest(ctx, rt, ref.Context(), ref.Identifier())
}
