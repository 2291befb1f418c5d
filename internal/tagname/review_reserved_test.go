package tagname

import (
	"strings"
	"testing"
)

// Review finding (issue 11, point 5: tags refuses every reserved name).
// ladder writes the referrers tag scheme's tag, sha256-<hex of a subject>,
// where the registry has no referrers API (ghcr.io): it holds the index of
// an image-mode bundle's attached lock and of the Sigstore bundles of a
// `sign: true` label (internal/oci/referrers.go). A build-bundle with
// `tags: sha256-<hex of another bundle>` overwrites that index with this
// bundle's manifest: the lock and the signatures of the other bundle can no
// longer be found (cosign verify fails, a signed gate is pending forever).
func TestReviewReservedReferrersFallbackTag(t *testing.T) {
	t.Parallel()
	tag := "sha256-" + strings.Repeat("ab", 32)
	if why := Reserved(tag, names); why == "" {
		t.Errorf("Reserved(%q) = \"\": the referrers tag scheme's tag of a bundle is free to a workflow", tag)
	}
}
