// Package tagname is the one place that knows which OCI tags of a product's
// repository are ladder's own (SPEC section 4, build-bundle: "tags may not
// take a name that is ladder's"; section 5: version tags are immutable,
// channel, label, <label>-previous, sha-… and composite-id tags are views of
// the ledger). A workflow's extra tags may take any other name. Pure.
package tagname

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// Names are the names of a config that become tags: its channels and labels.
type Names struct {
	Channels []string
	Labels   []string
}

// Catalog is the tag of the OLM catalog image (SPEC section 4, `ladder catalog`).
const Catalog = "catalog"

var (
	// shaRE: the commit tags build-bundle writes, sha-<7 hex of GITHUB_SHA>,
	// and any other length of hex (another abbreviation of a commit).
	shaRE = regexp.MustCompile(`^sha-[0-9A-Fa-f]+$`)
	// compositeIDRE: a composite id, 7-hex short SHAs joined by "-", or
	// "id-" and 12 hex digits of a lock digest (internal/lock).
	compositeIDRE = regexp.MustCompile(`^(?:[0-9a-f]{7}(?:-[0-9a-f]{7})*|id-[0-9a-f]{12})$`)
)

// Reserved says why tag is one of ladder's own tags, which a workflow may
// not write, or "" when it is free. The sentence follows the tag, as in
// `"testing" is label testing's tag; ladder moves it through promote-label`.
func Reserved(tag string, n Names) string {
	if isVersion(tag) {
		return "parses as a version; ladder writes each version tag once, for its own bundle (give a version through the version input)"
	}
	if slices.Contains(n.Channels, tag) {
		return fmt.Sprintf("is channel %s's tag; ladder moves it when build-bundle publishes into %s", tag, tag)
	}
	if slices.Contains(n.Labels, tag) {
		return fmt.Sprintf("is label %s's tag; ladder moves it through promote-label", tag)
	}
	if l, ok := strings.CutSuffix(tag, "-previous"); ok {
		if slices.Contains(n.Labels, l) {
			return fmt.Sprintf("is label %s's previous bundle; ladder moves it through promote-label", l)
		}
		return "ends in -previous, which ladder keeps for a label's previous bundle"
	}
	if name, ok := strings.CutSuffix(tag, "-eol"); ok {
		if slices.Contains(n.Channels, name) {
			return fmt.Sprintf("is where ladder keeps channel %s's final bundle once the channel is retired", name)
		}
		if slices.Contains(n.Labels, name) {
			return fmt.Sprintf("is where ladder keeps label %s's final bundle once the label is retired", name)
		}
	}
	if shaRE.MatchString(tag) {
		return "is a commit tag (sha- and hex digits); ladder writes sha-<commit> for the workflow's commit"
	}
	if compositeIDRE.MatchString(tag) {
		return "has the form of a composite id (7-hex short SHAs joined by -, or id- and 12 hex digits); ladder writes those for each lock"
	}
	if tag == Catalog {
		return "is the OLM catalog image's tag; ladder catalog writes it"
	}
	if referrersTagRE.MatchString(tag) {
		return "is a referrers tag (sha256- and a digest's hex): where the registry has no referrers API, it holds a bundle's attached lock and signatures"
	}
	return ""
}

// referrersTagRE is the OCI referrers tag scheme's tag of a subject, and
// cosign's .sig/.att/.sbom tags beside it.
var referrersTagRE = regexp.MustCompile(`^sha256-[0-9a-f]{64}(\.(sig|att|sbom))?$`)

// isVersion: tag parses as a semver version (Masterminds/semver, so a
// leading v and missing minor or patch parts are accepted), also in its tag
// form, where a version's "+" became "_".
func isVersion(tag string) bool {
	if _, err := semver.NewVersion(tag); err == nil {
		return true
	}
	if strings.Contains(tag, "_") {
		if _, err := semver.NewVersion(strings.ReplaceAll(tag, "_", "+")); err == nil {
			return true
		}
	}
	return false
}
