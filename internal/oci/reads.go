package oci

// Reads of a product's bundles that the actions share: a bundle's lock, the
// versions a manifest is a bundle of, the digest under a tag.

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ladder-release/ladder/internal/bundle"
	"github.com/ladder-release/ladder/internal/lock"
)

// ReadLock reads the lock of the bundle at ref: a ladder artifact's config
// blob, or, for a bundle in image mode (an image or an index, which ladder
// never rewrites), the lock attached to it as a referrer.
func (c *Client) ReadLock(ctx context.Context, ref string) (lock.Lock, error) {
	b, desc, err := c.ReadBundle(ctx, ref)
	if errors.Is(err, ErrNotFound) {
		return lock.Lock{}, err
	}
	if err == nil && b.ConfigMediaType == bundle.LockMediaType {
		l, err := lock.Parse(b.Config)
		if err != nil {
			return lock.Lock{}, fmt.Errorf("the bundle at %s: %w", ref, err)
		}
		return l, nil
	}
	subject := ref
	if err == nil {
		subject = repoOf(ref) + "@" + desc.Digest
	}
	refs, rerr := c.Referrers(ctx, subject)
	if rerr != nil {
		return lock.Lock{}, fmt.Errorf("reading the lock attached to %s: %w", ref, rerr)
	}
	for _, d := range refs {
		ab, _, err := c.ReadBundle(ctx, repoOf(ref)+"@"+d.Digest)
		if err != nil || ab.ConfigMediaType != bundle.LockMediaType {
			continue
		}
		if l, err := lock.Parse(ab.Config); err == nil {
			return l, nil
		}
	}
	return lock.Lock{}, fmt.Errorf("%s is not a ladder bundle and has no ladder lock attached", ref)
}

// repoOf is the repository of a reference (repo:tag or repo@digest).
func repoOf(ref string) string {
	if i := strings.LastIndex(ref, "@"); i >= 0 {
		return ref[:i]
	}
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		return ref[:i]
	}
	return ref
}

// BundleVersions reads the manifest digest in repo and returns its
// versions when it is a bundle of product, none for anything else (another
// product's bundle, a manifest someone pushed by hand, or one that is gone).
// A bundle of this product is either ladder's artifact (one manifest GET) or,
// in image mode, an image with this product's lock attached: ladder attaches
// it only after the ledger granted the version, so its annotations name the
// version (the referrers listing, and the lock's manifest where the listing
// drops annotations). An image with no such lock is not one.
func (c *Client) BundleVersions(ctx context.Context, repo, product, digest string) ([]string, error) {
	d, err := c.Resolve(ctx, repo+"@"+digest)
	switch {
	case errors.Is(err, ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, err
	}
	if d.ArtifactType == bundle.ArtifactType {
		if v := d.Annotations[bundle.OCIVersion]; d.Annotations[bundle.KeyProduct] == product && v != "" {
			return []string{v}, nil
		}
		return nil, nil
	}
	var versions []string
	refs, err := c.Referrers(ctx, repo+"@"+digest)
	if err != nil {
		return nil, err
	}
	for _, ref := range refs {
		if ref.ArtifactType != "" && ref.ArtifactType != LockMediaType {
			continue
		}
		ann := ref.Annotations
		if ann[bundle.KeyProduct] == "" {
			lk, err := c.Resolve(ctx, repo+"@"+ref.Digest)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, err
			}
			if lk.ArtifactType != LockMediaType {
				continue
			}
			ann = lk.Annotations
		}
		if ann[bundle.KeyProduct] == product && ann[bundle.OCIVersion] != "" {
			versions = append(versions, ann[bundle.OCIVersion])
		}
	}
	return versions, nil
}

// TagDigest is the digest tag points at in repo, "" when there is no such tag.
func (c *Client) TagDigest(ctx context.Context, repo, tag string) (string, error) {
	d, err := c.Head(ctx, repo+":"+tag)
	switch {
	case errors.Is(err, ErrNotFound):
		return "", nil
	case err != nil:
		return "", fmt.Errorf("reading tag %s: %w", tag, err)
	}
	return d.Digest, nil
}

// LockAt reads the lock of the bundle at digest in repo; want, when set, is
// the lock digest the ledger recorded for it (an image published for two
// locks carries both: the one wanted is picked among its referrers).
func (c *Client) LockAt(ctx context.Context, repo, digest, want string) (lock.Lock, error) {
	ref := repo + "@" + digest
	l, err := c.ReadLock(ctx, ref)
	if err != nil || want == "" || l.Digest() == want {
		return l, err
	}
	refs, err := c.Referrers(ctx, ref)
	if err != nil {
		return lock.Lock{}, fmt.Errorf("reading the locks attached to %s: %w", ref, err)
	}
	for _, d := range refs {
		b, _, err := c.ReadBundle(ctx, repo+"@"+d.Digest)
		if err != nil || b.ConfigMediaType != bundle.LockMediaType {
			continue
		}
		if l, err := lock.Parse(b.Config); err == nil && l.Digest() == want {
			return l, nil
		}
	}
	return lock.Lock{}, fmt.Errorf("%s has no lock with digest %s attached", ref, want)
}
