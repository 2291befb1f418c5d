// Package bundle is the one place that knows what a bundle says about itself:
// its artifact and media types and its annotation keys. Pure.
package bundle

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/ladder-release/ladder/internal/lock"
)

// Media types of a bundle.
const (
	ArtifactType  = "application/vnd.ladder.bundle.v1"
	LockMediaType = "application/vnd.ladder.lock.v1+json"
	FileMediaType = "application/vnd.ladder.file.v1"
	// TombstoneArtifactType is the artifactType of the placeholder manifest
	// a tag is moved onto before it is deleted, on a registry that cannot
	// delete a tag by itself.
	TombstoneArtifactType = "application/vnd.ladder.tombstone.v1"
)

// Prefix is ladder's reverse-DNS annotation prefix.
const Prefix = "dev.ladder."

// Annotation keys.
const (
	OCIVersion     = "org.opencontainers.image.version"
	OCIRevision    = "org.opencontainers.image.revision"
	OCISource      = "org.opencontainers.image.source"
	OCICreated     = "org.opencontainers.image.created"
	OCITitle       = "org.opencontainers.image.title" // a bundle's product; a layer's file name, as ORAS writes it
	OCIDescription = "org.opencontainers.image.description"

	KeyProduct    = Prefix + "product"
	KeyChannel    = Prefix + "channel"
	KeyLockDigest = Prefix + "lock-digest"
	KeyID         = Prefix + "id"
	// KeyComponent + name = "version@commit", one per component: what is inside.
	KeyComponent = Prefix + "component."
)

// Info is what the annotations describe.
type Info struct {
	Lock     lock.Lock
	Version  string
	Revision string // the commit of the workflow's repository (GITHUB_SHA), if any
	Source   string // the workflow's repository URL, if any
	Created  time.Time
}

// Annotations are the OCI annotations (and image labels) of a bundle.
func Annotations(in Info) map[string]string {
	m := map[string]string{
		OCIVersion:    in.Version,
		OCICreated:    in.Created.UTC().Format(time.RFC3339),
		OCITitle:      in.Lock.Product,
		KeyProduct:    in.Lock.Product,
		KeyLockDigest: in.Lock.Digest(),
		KeyID:         in.Lock.CompositeID(),
	}
	if in.Lock.Channel != "" {
		m[KeyChannel] = in.Lock.Channel
	}
	if in.Revision != "" {
		m[OCIRevision] = in.Revision
	}
	if in.Source != "" {
		m[OCISource] = in.Source
	}
	for _, e := range in.Lock.Components {
		m[KeyComponent+e.Name] = e.Version + "@" + e.Commit
	}
	return m
}

// KeyValues renders annotations as sorted key=value lines, the form
// docker/build-push-action takes for its labels and annotations inputs. That
// action splits its input into lines and parses each as CSV with quotes, so a
// value must not hold a line break, a double quote, or leading or trailing
// blanks; such a value is an error naming the key, never passed on mangled.
func KeyValues(m map[string]string) (string, error) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		v := m[k]
		if err := checkValue(k, v); err != nil {
			return "", err
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(k + "=" + v)
	}
	return b.String(), nil
}

func checkValue(k, v string) error {
	if strings.TrimSpace(v) != v {
		return fmt.Errorf("annotation %s: value %q has leading or trailing blanks", k, v)
	}
	for _, r := range v {
		if r < 0x20 || r == 0x7f || r == '"' {
			return fmt.Errorf("annotation %s: value %q holds %q, which docker/build-push-action would split or unquote", k, v, r)
		}
	}
	return nil
}
