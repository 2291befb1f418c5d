package oci

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Size limits for what is read into memory.
const (
	maxManifestSize = 4 << 20  // registries must accept at least 4 MiB
	maxConfigSize   = 16 << 20 // a lock is a few KiB
)

// acceptManifests is the Accept header for manifest requests.
var acceptManifests = strings.Join([]string{
	MediaTypeImageManifest, MediaTypeImageIndex, MediaTypeDockerManifest, MediaTypeDockerList,
}, ", ")

// descriptor is an OCI content descriptor as it appears on the wire.
type descriptor struct {
	MediaType    string            `json:"mediaType"`
	Digest       string            `json:"digest"`
	Size         int64             `json:"size"`
	URLs         []string          `json:"urls,omitempty"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	Data         []byte            `json:"data,omitempty"`
	Platform     json.RawMessage   `json:"platform,omitempty"`
	ArtifactType string            `json:"artifactType,omitempty"`
}

// manifest is an OCI image manifest (or a Docker v2 one, which has the same
// fields), with the OCI 1.1 artifactType and subject.
type manifest struct {
	SchemaVersion int               `json:"schemaVersion"`
	MediaType     string            `json:"mediaType,omitempty"`
	ArtifactType  string            `json:"artifactType,omitempty"`
	Config        descriptor        `json:"config"`
	Layers        []descriptor      `json:"layers"`
	Subject       *descriptor       `json:"subject,omitempty"`
	Annotations   map[string]string `json:"annotations,omitempty"`
}

// index is an OCI image index (or a Docker manifest list).
type index struct {
	SchemaVersion int               `json:"schemaVersion"`
	MediaType     string            `json:"mediaType,omitempty"`
	ArtifactType  string            `json:"artifactType,omitempty"`
	Manifests     []descriptor      `json:"manifests"`
	Subject       *descriptor       `json:"subject,omitempty"`
	Annotations   map[string]string `json:"annotations,omitempty"`
}

// rawManifest is a manifest's exact bytes, as stored under its digest.
type rawManifest struct {
	data      []byte
	mediaType string
	digest    string
}

func (m rawManifest) isIndex() bool {
	return m.mediaType == MediaTypeImageIndex || m.mediaType == MediaTypeDockerList
}

func (m rawManifest) descriptor() descriptor {
	return descriptor{MediaType: m.mediaType, Digest: m.digest, Size: int64(len(m.data))}
}

// marshalManifest encodes a manifest or index ladder writes, with its digest.
func marshalManifest(v any, mediaType string) (rawManifest, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return rawManifest{}, err
	}
	return rawManifest{data: data, mediaType: mediaType, digest: digestOf(data)}, nil
}

func digestOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// checkDigest validates "sha256:<64 lowercase hex>" (the only algorithm ladder writes
// or verifies).
func checkDigest(d string) error {
	hexPart, ok := strings.CutPrefix(d, "sha256:")
	if !ok || len(hexPart) != 64 || strings.Trim(hexPart, "0123456789abcdef") != "" {
		return fmt.Errorf("%q is not a sha256 digest (sha256:<64 lowercase hex>)", d)
	}
	return nil
}

func (c *Client) url(repo name.Repository, format string, args ...any) string {
	return fmt.Sprintf("%s://%s/v2/%s/%s", repo.Registry.Scheme(), repo.RegistryStr(), repo.RepositoryStr(), fmt.Sprintf(format, args...))
}

// do sends one request through rt. body, if not nil, is replayable.
func (c *Client) do(ctx context.Context, rt http.RoundTripper, method, u string, header http.Header, body []byte) (*http.Response, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, r)
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	return c.send(rt, req)
}

func (c *Client) send(rt http.RoundTripper, req *http.Request) (*http.Response, error) {
	resp, err := (&http.Client{Transport: rt}).Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) && strings.HasPrefix(ue.Err.Error(), req.Method+" ") {
			err = ue.Err // our retry policy already named the request
		}
		return nil, err
	}
	return resp, nil
}

// statusError turns an unexpected response into an error (wrapping
// ErrNotFound for a 404) and closes its body.
func statusError(resp *http.Response) error {
	defer resp.Body.Close()
	err := transport.CheckError(&http.Response{
		StatusCode: resp.StatusCode,
		Status:     resp.Status,
		Header:     resp.Header,
		Request:    resp.Request,
		Body:       io.NopCloser(io.LimitReader(resp.Body, 64<<10)),
	})
	switch resp.StatusCode {
	case http.StatusNotFound:
		return fmt.Errorf("%w: %v", ErrNotFound, err)
	case http.StatusUnauthorized:
		return fmt.Errorf("%w: %v", ErrUnauthorized, err)
	case http.StatusForbidden:
		return fmt.Errorf("%w: %v", ErrDenied, err)
	}
	return err
}

// isNotFound reports a 404 from go-containerregistry or from this package.
func isNotFound(err error) bool {
	if errors.Is(err, ErrNotFound) {
		return true
	}
	var te *transport.Error
	return errors.As(err, &te) && te.StatusCode == http.StatusNotFound
}

func readLimited(r io.Reader, limit int64, what string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", what, limit)
	}
	return b, nil
}

// getManifest fetches a manifest by tag or digest. By digest it may come
// from the client's cache (the bytes under a digest never change), and
// concurrent reads of one digest share one GET.
func (c *Client) getManifest(ctx context.Context, rt http.RoundTripper, repo name.Repository, ref string) (rawManifest, error) {
	if !strings.HasPrefix(ref, "sha256:") {
		return c.fetchManifest(ctx, rt, repo, ref)
	}
	if m, ok := c.cached(repo, ref); ok {
		return m, nil
	}
	key := repo.Name() + "@" + ref
	m, err := shared(ctx, &c.mu, c.manifestReads, key, func() (rawManifest, error) { return c.fetchManifest(ctx, rt, repo, ref) })
	c.mu.Lock()
	delete(c.manifestReads, key) // a success is in the cache now
	c.mu.Unlock()
	return m, err
}

// fetchManifest is getManifest's GET.
func (c *Client) fetchManifest(ctx context.Context, rt http.RoundTripper, repo name.Repository, ref string) (rawManifest, error) {
	byDigest := strings.HasPrefix(ref, "sha256:")
	resp, err := c.do(ctx, rt, http.MethodGet, c.url(repo, "manifests/%s", ref), http.Header{"Accept": {acceptManifests}}, nil)
	if err != nil {
		return rawManifest{}, err
	}
	if resp.StatusCode != http.StatusOK {
		return rawManifest{}, statusError(resp)
	}
	defer resp.Body.Close()
	data, err := readLimited(resp.Body, maxManifestSize, "the manifest")
	if err != nil {
		return rawManifest{}, err
	}
	m := rawManifest{data: data, digest: digestOf(data), mediaType: resp.Header.Get("Content-Type")}
	if i := strings.IndexByte(m.mediaType, ';'); i >= 0 {
		m.mediaType = strings.TrimSpace(m.mediaType[:i])
	}
	if m.mediaType == "" || m.mediaType == "application/json" || m.mediaType == "text/plain" {
		var probe struct {
			MediaType string          `json:"mediaType"`
			Manifests json.RawMessage `json:"manifests"`
		}
		_ = json.Unmarshal(data, &probe)
		switch {
		case probe.MediaType != "":
			m.mediaType = probe.MediaType
		case probe.Manifests != nil:
			m.mediaType = MediaTypeImageIndex
		default:
			m.mediaType = MediaTypeImageManifest
		}
	}
	if byDigest && m.digest != ref {
		return rawManifest{}, fmt.Errorf("the registry returned content with digest %s for %s", m.digest, ref)
	}
	c.remember(repo, m)
	return m, nil
}

// headManifest resolves a tag or digest to its descriptor with one HEAD
// (a GET when the registry leaves out the digest header).
func (c *Client) headManifest(ctx context.Context, rt http.RoundTripper, repo name.Repository, ref string) (descriptor, error) {
	if strings.HasPrefix(ref, "sha256:") {
		if m, ok := c.cached(repo, ref); ok {
			return m.descriptor(), nil
		}
	}
	resp, err := c.do(ctx, rt, http.MethodHead, c.url(repo, "manifests/%s", ref), http.Header{"Accept": {acceptManifests}}, nil)
	if err != nil {
		return descriptor{}, err
	}
	if resp.StatusCode != http.StatusOK {
		return descriptor{}, statusError(resp)
	}
	resp.Body.Close()
	d := descriptor{
		Digest:    resp.Header.Get("Docker-Content-Digest"),
		MediaType: resp.Header.Get("Content-Type"),
		Size:      resp.ContentLength,
	}
	if i := strings.IndexByte(d.MediaType, ';'); i >= 0 {
		d.MediaType = strings.TrimSpace(d.MediaType[:i])
	}
	if checkDigest(d.Digest) != nil || d.Size <= 0 || d.MediaType == "" || d.MediaType == "application/json" {
		m, err := c.getManifest(ctx, rt, repo, ref)
		if err != nil {
			return descriptor{}, err
		}
		return m.descriptor(), nil
	}
	return d, nil
}

// putManifest stores raw under ref (a tag, or "" for its digest) and reports
// whether the registry acknowledged a subject (OCI-Subject header).
func (c *Client) putManifest(ctx context.Context, rt http.RoundTripper, repo name.Repository, ref string, m rawManifest) (subjectAck string, err error) {
	if ref == "" {
		ref = m.digest
	}
	resp, err := c.do(ctx, rt, http.MethodPut, c.url(repo, "manifests/%s", ref), http.Header{"Content-Type": {m.mediaType}}, m.data)
	if err != nil {
		return "", err
	}
	switch resp.StatusCode {
	case http.StatusOK, http.StatusCreated, http.StatusAccepted:
	default:
		return "", statusError(resp)
	}
	drain(resp)
	if got := resp.Header.Get("Docker-Content-Digest"); got != "" && got != m.digest {
		return "", fmt.Errorf("the registry stored the manifest as %s, expected %s", got, m.digest)
	}
	c.remember(repo, m)
	return resp.Header.Get("OCI-Subject"), nil
}

// blobExists is a HEAD on the blob.
func (c *Client) blobExists(ctx context.Context, rt http.RoundTripper, repo name.Repository, digest string) (bool, error) {
	resp, err := c.do(ctx, rt, http.MethodHead, c.url(repo, "blobs/%s", digest), nil, nil)
	if err != nil {
		return false, err
	}
	switch resp.StatusCode {
	case http.StatusOK:
		drain(resp)
		return true, nil
	case http.StatusNotFound:
		drain(resp)
		return false, nil
	}
	return false, statusError(resp)
}

// getBlob reads a whole blob and verifies its digest.
func (c *Client) getBlob(ctx context.Context, rt http.RoundTripper, repo name.Repository, digest string, limit int64) ([]byte, error) {
	resp, err := c.do(ctx, rt, http.MethodGet, c.url(repo, "blobs/%s", digest), nil, nil)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, statusError(resp)
	}
	defer resp.Body.Close()
	var b []byte
	if limit > 0 {
		b, err = readLimited(resp.Body, limit, "blob "+digest)
	} else {
		b, err = io.ReadAll(resp.Body)
	}
	if err != nil {
		return nil, fmt.Errorf("reading blob %s: %w", digest, err)
	}
	if got := digestOf(b); got != digest {
		return nil, fmt.Errorf("blob %s: the registry returned content with digest %s", digest, got)
	}
	return b, nil
}

// Config blobs (locks, a few KiB) are kept for later reads, up to these
// bounds: "What changed" reads the lock a tag write or a push has just met.
const (
	configCacheSize = 64
	maxCachedConfig = 1 << 20
)

// getConfig is getBlob of a config blob: concurrent reads of one digest
// share one GET, and a small one is kept (the bytes under a digest never
// change). The caller gets its own copy.
func (c *Client) getConfig(ctx context.Context, rt http.RoundTripper, repo name.Repository, digest string) ([]byte, error) {
	key := repo.Name() + "@" + digest
	c.mu.Lock()
	b, ok := c.configs[key]
	c.mu.Unlock()
	if ok {
		return bytes.Clone(b), nil
	}
	b, err := shared(ctx, &c.mu, c.configReads, key, func() ([]byte, error) {
		b, err := c.getBlob(ctx, rt, repo, digest, maxConfigSize)
		if err == nil && len(b) <= maxCachedConfig {
			c.mu.Lock()
			if len(c.configs) >= configCacheSize {
				for k := range c.configs {
					delete(c.configs, k)
					break
				}
			}
			c.configs[key] = b
			c.mu.Unlock()
		}
		return b, err
	})
	c.mu.Lock()
	delete(c.configReads, key) // a success is in configs now (or too large to keep)
	c.mu.Unlock()
	return bytes.Clone(b), err
}

// uploadBlob makes sure repo holds the blob, in two round trips at most.
// Its HEAD and the POST that opens an upload session go out together; the
// POST asks to mount the blob from repo itself, which a registry that
// mounts within a repository (CNCF distribution) answers with 201 when it
// holds the blob, and any other with a session. Held (HEAD 200 or mount
// 201): no byte is sent, and a session opened for nothing is cancelled.
// Missing: one PUT of the whole content with its digest. A registry that
// refuses the mount's parameters gets a plain POST. Both requests can be
// replayed by the retry policy; a PUT that failed after the registry had
// committed it (the answer was lost) is recognised by a second HEAD.
func (c *Client) uploadBlob(ctx context.Context, rt http.RoundTripper, repo name.Repository, digest string, data []byte) error {
	var loc string
	var postErr error
	posted := make(chan struct{})
	go func() {
		defer close(posted)
		loc, postErr = c.startUpload(ctx, rt, repo, url.Values{"mount": {digest}, "from": {repo.RepositoryStr()}}, nil)
	}()
	held, err := c.blobExists(ctx, rt, repo, digest)
	<-posted
	mounted := postErr == nil && loc == ""
	switch {
	case mounted:
		return nil
	case err != nil || held:
		if postErr == nil {
			c.cancelUpload(ctx, rt, loc)
		}
		return err
	case postErr != nil:
		if loc, err = c.startUpload(ctx, rt, repo, nil, nil); err != nil {
			return err
		}
	}
	return c.finishUpload(ctx, rt, repo, loc, digest, func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}, int64(len(data)))
}

// postBlob makes sure repo holds the blob in one request where the registry
// allows it: the single-POST upload of the distribution spec
// (POST /blobs/uploads/?digest=, the content as body), which stores the blob,
// or stores it again, without a HEAD first. A registry without it (the CNCF
// registry) answers 202 with a session, ignoring the body: the content
// follows in the PUT that closes the session, as uploadBlob does. The POST
// is replayable (the same content under the same digest). A registry that
// refuses the single POST outright (a 4xx other than for credentials or
// rate: the spec lets a registry not support it) gets the plain session.
func (c *Client) postBlob(ctx context.Context, rt http.RoundTripper, repo name.Repository, digest string, data []byte) error {
	loc, err := c.startUpload(ctx, rt, repo, url.Values{"digest": {digest}}, data)
	if err != nil && singlePostRefused(err) {
		loc, err = c.startUpload(ctx, rt, repo, nil, nil)
	}
	if err != nil || loc == "" {
		return err
	}
	return c.finishUpload(ctx, rt, repo, loc, digest, func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}, int64(len(data)))
}

// singlePostRefused says err is a registry's refusal of a single-POST
// upload it does not support (400, 404, 405, 413, 415, 501 ...), not of the
// credentials (401, 403) or the pace (429), which a plain session would meet too.
func singlePostRefused(err error) bool {
	if errors.Is(err, ErrUnauthorized) || errors.Is(err, ErrDenied) {
		return false
	}
	if errors.Is(err, ErrNotFound) {
		return true
	}
	var te *transport.Error
	if !errors.As(err, &te) {
		return false
	}
	return te.StatusCode != http.StatusTooManyRequests && te.StatusCode >= 400 && te.StatusCode != http.StatusRequestTimeout
}

// startUpload opens an upload session and returns its absolute location.
// With query, the POST carries it (a cross-repository mount, or with body a
// single-POST upload): a 201 means done and returns "".
func (c *Client) startUpload(ctx context.Context, rt http.RoundTripper, repo name.Repository, query url.Values, body []byte) (string, error) {
	u := c.url(repo, "blobs/uploads/")
	if query != nil {
		u += "?" + query.Encode()
	}
	var header http.Header
	if body != nil {
		header = http.Header{"Content-Type": {"application/octet-stream"}}
	}
	resp, err := c.do(ctx, rt, http.MethodPost, u, header, body)
	if err != nil {
		return "", err
	}
	switch resp.StatusCode {
	case http.StatusCreated:
		drain(resp)
		if query != nil {
			return "", nil
		}
		return "", fmt.Errorf("POST %s: the registry answered 201 without an upload", u)
	case http.StatusAccepted:
	default:
		return "", statusError(resp)
	}
	drain(resp)
	loc := resp.Header.Get("Location")
	if loc == "" {
		return "", fmt.Errorf("POST %s: no Location in the answer", u)
	}
	base, _ := url.Parse(u)
	l, err := base.Parse(loc)
	if err != nil {
		return "", fmt.Errorf("POST %s: bad Location %q: %w", u, loc, err)
	}
	return l.String(), nil
}

// cancelUpload abandons an upload session (DELETE of its location). It is
// best effort: a registry that refuses purges stale sessions itself.
func (c *Client) cancelUpload(ctx context.Context, rt http.RoundTripper, loc string) {
	if resp, err := c.do(ctx, rt, http.MethodDelete, loc, nil, nil); err == nil {
		drain(resp)
	}
}

func (c *Client) finishUpload(ctx context.Context, rt http.RoundTripper, repo name.Repository, loc, digest string, open func() (io.ReadCloser, error), size int64) error {
	u, err := url.Parse(loc)
	if err != nil {
		return err
	}
	q := u.Query()
	q.Set("digest", digest)
	u.RawQuery = q.Encode()
	body, err := open()
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, u.String(), body)
	if err != nil {
		body.Close()
		return err
	}
	req.GetBody = open
	req.ContentLength = size
	if size == 0 {
		req.Body, req.GetBody = http.NoBody, nil
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := c.send(rt, req)
	if err == nil {
		if resp.StatusCode == http.StatusCreated || resp.StatusCode == http.StatusNoContent || resp.StatusCode == http.StatusOK {
			drain(resp)
			return nil
		}
		err = statusError(resp)
	}
	// The PUT may have been committed by an attempt whose answer was lost.
	if ok, herr := c.blobExists(ctx, rt, repo, digest); herr == nil && ok {
		return nil
	}
	return err
}

// mountOrCopyBlob makes dst hold a blob of src (same registry) without
// downloading it when the registry mounts across repositories; otherwise it
// streams it through a temporary file (so the upload can be replayed).
func (c *Client) mountOrCopyBlob(ctx context.Context, rt http.RoundTripper, src, dst name.Repository, d descriptor) error {
	ok, err := c.blobExists(ctx, rt, dst, d.Digest)
	if err != nil || ok {
		return err
	}
	loc, err := c.startUpload(ctx, rt, dst, url.Values{"mount": {d.Digest}, "from": {src.RepositoryStr()}}, nil)
	if err != nil {
		return err
	}
	if loc == "" {
		return nil // mounted
	}
	// The registry opened a session instead of mounting: copy.
	resp, err := c.do(ctx, rt, http.MethodGet, c.url(src, "blobs/%s", d.Digest), nil, nil)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return statusError(resp)
	}
	f, err := os.CreateTemp("", "ladder-blob-*")
	if err != nil {
		resp.Body.Close()
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), resp.Body)
	resp.Body.Close()
	if err != nil {
		return fmt.Errorf("copying blob %s: %w", d.Digest, err)
	}
	if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); got != d.Digest {
		return fmt.Errorf("blob %s: the registry returned content with digest %s", d.Digest, got)
	}
	return c.finishUpload(ctx, rt, dst, loc, d.Digest, func() (io.ReadCloser, error) {
		return os.Open(f.Name())
	}, n)
}

// Manifest cache: a few hundred recent manifests, by repository and digest,
// so that tagging what this client just pushed or read costs one PUT.
const manifestCacheSize = 256

func (c *Client) cached(repo name.Repository, digest string) (rawManifest, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m, ok := c.manifests[repo.Name()+"@"+digest]
	return m, ok
}

func (c *Client) remember(repo name.Repository, m rawManifest) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.manifests) >= manifestCacheSize {
		for k := range c.manifests {
			delete(c.manifests, k)
			break
		}
	}
	c.manifests[repo.Name()+"@"+m.digest] = m
}

// forget drops a digest from the cache (after a delete).
func (c *Client) forget(repo name.Repository, digest string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.manifests, repo.Name()+"@"+digest)
}
