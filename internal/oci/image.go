package oci

import (
	"context"
	"fmt"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// PushImage pushes img (an image manifest, as image.Catalog builds) into
// repo under tag and returns its digest: a HEAD per blob (config and
// layers), an upload of each the registry lacks, and one manifest PUT under
// the tag. Comparing the digest with the tag's first (TagDigest) is the
// caller's: PushImage always puts the manifest.
func (c *Client) PushImage(ctx context.Context, repo, tag string, img v1.Image) (digest string, err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("pushing image %s:%s: %w", repo, tag, err)
		}
	}()
	r, err := parseRepo(repo)
	if err != nil {
		return "", err
	}
	if err := checkTag(r, tag); err != nil {
		return "", err
	}
	data, err := img.RawManifest()
	if err != nil {
		return "", err
	}
	mt, err := img.MediaType()
	if err != nil {
		return "", err
	}
	if mt != MediaTypeImageManifest && mt != MediaTypeDockerManifest {
		return "", fmt.Errorf("media type %s: only an image manifest is pushed", mt)
	}
	cfg, err := img.RawConfigFile()
	if err != nil {
		return "", err
	}
	cd, err := img.ConfigName()
	if err != nil {
		return "", err
	}
	blobs := []blob{{digest: cd.String(), data: cfg, what: "the image config"}}
	layers, err := img.Layers()
	if err != nil {
		return "", err
	}
	for i, l := range layers {
		d, err := l.Digest()
		if err != nil {
			return "", fmt.Errorf("layer %d: %w", i, err)
		}
		rc, err := l.Compressed()
		if err != nil {
			return "", fmt.Errorf("layer %d: %w", i, err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return "", fmt.Errorf("layer %d: %w", i, err)
		}
		blobs = append(blobs, blob{digest: d.String(), data: b, what: fmt.Sprintf("layer %d", i)})
	}
	rt, err := c.transport(ctx, r, true)
	if err != nil {
		return "", err
	}
	if err := c.pushBlobs(ctx, rt, r, blobs); err != nil {
		return "", err
	}
	m := rawManifest{data: data, mediaType: string(mt), digest: digestOf(data)}
	if _, err := c.putManifest(ctx, rt, r, tag, m); err != nil {
		return "", fmt.Errorf("putting manifest %s: %w", m.digest, err)
	}
	return m.digest, nil
}
