package oci

import "context"

// Recorder is the clock of this package's tests: it records the waits of
// the retry policy instead of waiting; its time is the system's unless set
// (registries date Retry-After by theirs).
type Recorder = recorder

// SetPageSize makes Tags ask for n tags per page (to test pagination).
func (c *Client) SetPageSize(n int) { c.pageSize = n }

// AttachSignatureAsCosign attaches a Sigstore bundle as cosign does: the
// same manifest as AttachSignature's, without the bundle embedded (data).
func (c *Client) AttachSignatureAsCosign(ctx context.Context, subjectRef string, bundleJSON []byte) (string, error) {
	return c.attach(ctx, subjectRef, signatureBundle(bundleJSON), false)
}
