package oci

import "context"

// SetPageSize makes Tags ask for n tags per page (to test pagination).
func (c *Client) SetPageSize(n int) { c.pageSize = n }

// AttachSignatureAsCosign attaches a Sigstore bundle as cosign does: the
// same manifest as AttachSignature's, without the bundle embedded (data).
func (c *Client) AttachSignatureAsCosign(ctx context.Context, subjectRef string, bundleJSON []byte) (string, error) {
	return c.attach(ctx, subjectRef, Bundle{
		ArtifactType:    SignatureMediaType,
		Config:          []byte("{}"),
		ConfigMediaType: MediaTypeEmptyJSON,
		Files:           []File{{Path: SignatureFileName, Data: bundleJSON, MediaType: SignatureMediaType}},
	}, false)
}
