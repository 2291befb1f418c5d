// Package catalog builds the OLM file-based catalog (FBC) of a product from
// the upgrade graphs of its streams (SPEC section 3 `export.olm`, section 4
// `ladder catalog`, story S7). It is pure: the caller reads the config and
// the ledger and hands over plain values; Build returns the catalog as
// declcfg-shaped objects (operator-registry's alpha/declcfg: schema
// olm.package, olm.channel, olm.bundle, olm.deprecations) that WriteJSON
// prints the way `opm render` does.
//
// # What the catalog holds
//
//   - One olm.package: the configured package name and default channel.
//   - One olm.channel per configured OLM channel whose ladder stream (a label
//     or a channel) has entries: the stream's upgrade graph (package graph),
//     tail first, head last. Each entry is named <package>.v<version> and
//     carries the graph's replaces and skips, named the same way. An OLM
//     channel whose stream is empty (never moved, or naming nothing) is left
//     out, with a note: OLM refuses a channel without bundles. When that
//     channel is the default channel, Build fails instead: OLM refuses a
//     package whose default channel is missing.
//   - One olm.bundle per bundle that is an entry of some exported channel,
//     with image <registry>@<digest> and the one olm.package property
//     (packageName, version) OLM requires.
//   - One olm.deprecations, when a stream behind an exported channel was
//     retired: one entry per such OLM channel, the reason in its message.
//
// # The skipRange rule
//
// An entry that skips something (the stream jumped: production went A to D
// while the stage it comes from went A, B, C, D) also gets the skipRange
// ">=R <V", R the version it replaces and V its own, when R < V by semver
// precedence. OLM then offers V to a cluster running any version in [R, V),
// including ones the skips do not name (a prerelease of V, a bundle of the
// source stream the ledger retracted). When R >= V (versions that do not
// grow in publish order, which a channel's own versions never do) the range
// would be empty, so there is none, and the skips alone keep the upgrade
// path. An entry without skips gets no range: its replaces is the path.
//
// # Order
//
// Everything is deterministic: channels and bundles sorted by name (the
// order opm writes them in), entries in upgrade order (tail first), skips in
// publish order, deprecation entries by channel name.
package catalog

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"

	"github.com/ladder-release/ladder/internal/graph"
)

// Schemas of the declarative config objects.
const (
	SchemaPackage     = "olm.package"
	SchemaChannel     = "olm.channel"
	SchemaBundle      = "olm.bundle"
	SchemaDeprecation = "olm.deprecations"

	// PropertyPackage is the bundle property OLM reads a bundle's package
	// and version from; every bundle has exactly one.
	PropertyPackage = "olm.package"
)

// Input is what Build needs, gathered by the caller.
type Input struct {
	Package        string // OLM package name (a DNS-1123 label)
	DefaultChannel string // one of Sources' Channel
	Registry       string // OCI repository of the bundles: image = Registry@digest
	Sources        []Source
	Retired        []Retirement // retired ladder streams; those no source follows are ignored
}

// Source is one configured OLM channel and the ladder stream behind it.
type Source struct {
	Channel string // OLM channel name
	Follows string // the ladder label or channel it follows, as configured
	Stream  string // its stream key in the ledger (label:NAME or channel:NAME); "" when Follows names neither
	// From is the stream a label's upgrade graph reads its skips from (the
	// label's from: a channel or a label); "" for a channel (see Reads).
	From string
	// Entries is the stream's upgrade graph (graph.Graph.Entries: tail
	// first, head last, each with its version, digest, replaces and skips).
	// Empty when the stream never moved or names nothing.
	Entries []graph.Entry
}

// Retirement says a ladder stream was retired (ladder retire).
type Retirement struct {
	Stream string // label:NAME or channel:NAME
	Reason string
	At     time.Time // zero: unknown
}

// Catalog is a file-based catalog of one package.
type Catalog struct {
	Package      Package
	Channels     []Channel     // sorted by name
	Bundles      []Bundle      // sorted by name
	Deprecations []Deprecation // none, or one
	// Notes say what was left out and why (an OLM channel whose stream has
	// no entries); they are not part of the catalog.
	Notes []string
}

// Package is an olm.package object.
type Package struct {
	Schema         string `json:"schema"`
	Name           string `json:"name"`
	DefaultChannel string `json:"defaultChannel"`
}

// Channel is an olm.channel object.
type Channel struct {
	Schema  string         `json:"schema"`
	Name    string         `json:"name"`
	Package string         `json:"package"`
	Entries []ChannelEntry `json:"entries"`
}

// ChannelEntry is one node of a channel's upgrade graph.
type ChannelEntry struct {
	Name      string   `json:"name"`
	Replaces  string   `json:"replaces,omitempty"`
	Skips     []string `json:"skips,omitempty"`
	SkipRange string   `json:"skipRange,omitempty"`
}

// Bundle is an olm.bundle object.
type Bundle struct {
	Schema     string     `json:"schema"`
	Name       string     `json:"name"`
	Package    string     `json:"package"`
	Image      string     `json:"image"`
	Properties []Property `json:"properties"`
}

// Property is a typed bundle property; Value is JSON.
type Property struct {
	Type  string          `json:"type"`
	Value json.RawMessage `json:"value"`
}

// PackageProperty is the value of the olm.package property.
type PackageProperty struct {
	PackageName string `json:"packageName"`
	Version     string `json:"version"`
}

// Deprecation is an olm.deprecations object.
type Deprecation struct {
	Schema  string             `json:"schema"`
	Package string             `json:"package"`
	Entries []DeprecationEntry `json:"entries"`
}

// DeprecationEntry deprecates one object of the package.
type DeprecationEntry struct {
	Reference Reference `json:"reference"`
	Message   string    `json:"message"`
}

// Reference names an object of the package: its schema and name.
type Reference struct {
	Schema string `json:"schema"`
	Name   string `json:"name,omitempty"`
}

// BundleName is the OLM name of the bundle of version: <package>.v<version>.
func BundleName(pkg, version string) string { return pkg + ".v" + version }

// Error is an input Build cannot make a valid catalog of: every problem
// found, each naming the channel, stream or version at fault.
type Error struct {
	Package  string
	Problems []error
}

func (e *Error) Error() string {
	return graph.Explain(fmt.Sprintf("OLM catalog of package %q", e.Package), e.Problems)
}

// Unwrap gives errors.Is and errors.As the problems.
func (e *Error) Unwrap() []error { return e.Problems }

func (e *Error) add(format string, args ...any) {
	e.Problems = append(e.Problems, fmt.Errorf(format, args...))
}

// Build makes the catalog of in. It fails, naming every problem, when the
// package, a channel name or the registry is missing, a channel is
// configured twice, the default channel is not configured or has no entries,
// a version is not semver (OLM reads versions with blang/semver: strict
// MAJOR.MINOR.PATCH, no "v"), an entry has no digest, or one version has two
// digests in two streams.
func Build(in Input) (*Catalog, error) {
	bad := &Error{Package: in.Package}
	if in.Package == "" {
		bad.add("package: must not be empty")
	}
	if in.Registry == "" {
		bad.add("registry: must not be empty (bundle images are <registry>@<digest>)")
	}
	sources := append([]Source(nil), in.Sources...)
	sort.SliceStable(sources, func(i, j int) bool { return sources[i].Channel < sources[j].Channel })
	defaultFound := false
	for i, s := range sources {
		switch {
		case s.Channel == "":
			bad.add("a channel has no name (stream %q)", s.Stream)
		case i > 0 && sources[i-1].Channel == s.Channel:
			bad.add("channel %q is configured twice", s.Channel)
		}
		if s.Channel == in.DefaultChannel && s.Channel != "" {
			defaultFound = true
			if len(s.Entries) == 0 {
				bad.add("default channel %q: %s, and OLM refuses a package whose default channel is empty", s.Channel, emptyReason(s))
			}
		}
	}
	switch {
	case in.DefaultChannel == "":
		bad.add("default channel: must not be empty")
	case !defaultFound:
		bad.add("default channel %q is not one of the channels (%s)", in.DefaultChannel, channelNames(sources))
	}

	cat := &Catalog{Package: Package{Schema: SchemaPackage, Name: in.Package, DefaultChannel: in.DefaultChannel}}
	digests := map[string]string{} // version -> digest
	digestFrom := map[string]string{}
	versions := map[string]*semver.Version{}
	parse := func(v, where string) *semver.Version {
		if sv, ok := versions[v]; ok {
			return sv
		}
		sv, err := semver.StrictNewVersion(v)
		if err != nil {
			bad.add("%s: version %q is not semver (OLM needs MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]): %v", where, v, err)
		}
		versions[v] = sv
		return sv
	}
	for _, s := range sources {
		if len(s.Entries) == 0 {
			if s.Channel != in.DefaultChannel {
				cat.Notes = append(cat.Notes, fmt.Sprintf("channel %q is left out: %s (OLM refuses an empty channel)", s.Channel, emptyReason(s)))
			}
			continue
		}
		where := fmt.Sprintf("channel %q (%s)", s.Channel, describeStream(s.Stream))
		ch := Channel{Schema: SchemaChannel, Name: s.Channel, Package: in.Package, Entries: make([]ChannelEntry, len(s.Entries))}
		for i, e := range s.Entries {
			v := parse(e.Version, where)
			switch d, seen := digests[e.Version]; {
			case e.Digest == "":
				bad.add("%s: version %s has no digest", where, e.Version)
			case seen && d != e.Digest:
				bad.add("%s: version %s is %s, but %s has it as %s", where, e.Version, e.Digest, digestFrom[e.Version], d)
			case !seen:
				digests[e.Version], digestFrom[e.Version] = e.Digest, where
			}
			ce := ChannelEntry{Name: BundleName(in.Package, e.Version)}
			if e.Replaces != "" {
				ce.Replaces = BundleName(in.Package, e.Replaces)
			}
			if len(e.Skips) > 0 {
				ce.Skips = make([]string, len(e.Skips))
				for k, sk := range e.Skips {
					ce.Skips[k] = BundleName(in.Package, sk)
				}
				if e.Replaces != "" {
					r := parse(e.Replaces, where)
					if v != nil && r != nil && r.LessThan(v) {
						ce.SkipRange = fmt.Sprintf(">=%s <%s", e.Replaces, e.Version)
					}
				}
			}
			ch.Entries[i] = ce
		}
		cat.Channels = append(cat.Channels, ch)
	}
	if len(bad.Problems) > 0 {
		return nil, bad
	}

	cat.Bundles = make([]Bundle, 0, len(digests))
	for v, d := range digests {
		value, err := json.Marshal(PackageProperty{PackageName: in.Package, Version: v})
		if err != nil {
			return nil, err
		}
		cat.Bundles = append(cat.Bundles, Bundle{
			Schema: SchemaBundle, Name: BundleName(in.Package, v), Package: in.Package,
			Image:      in.Registry + "@" + d,
			Properties: []Property{{Type: PropertyPackage, Value: value}},
		})
	}
	sort.Slice(cat.Bundles, func(i, j int) bool { return cat.Bundles[i].Name < cat.Bundles[j].Name })

	if dep := deprecations(in, cat.Channels); dep != nil {
		cat.Deprecations = []Deprecation{*dep}
	}
	return cat, nil
}

// deprecations is the olm.deprecations of the exported channels whose
// stream is retired, or nil.
func deprecations(in Input, channels []Channel) *Deprecation {
	if len(in.Retired) == 0 {
		return nil
	}
	retired := map[string]Retirement{}
	for _, r := range in.Retired {
		retired[r.Stream] = r
	}
	streamOf := map[string]string{}
	for _, s := range in.Sources {
		streamOf[s.Channel] = s.Stream
	}
	var entries []DeprecationEntry
	for _, ch := range channels { // sorted by name
		r, ok := retired[streamOf[ch.Name]]
		if !ok {
			continue
		}
		msg := describeStream(r.Stream) + " was retired"
		if !r.At.IsZero() {
			msg += " on " + r.At.UTC().Format("2006-01-02")
		}
		if r.Reason != "" {
			msg += ": " + r.Reason
		}
		entries = append(entries, DeprecationEntry{Reference: Reference{Schema: SchemaChannel, Name: ch.Name}, Message: msg})
	}
	if len(entries) == 0 {
		return nil
	}
	return &Deprecation{Schema: SchemaDeprecation, Package: in.Package, Entries: entries}
}

// emptyReason says why source s has no entries.
func emptyReason(s Source) string {
	switch {
	case s.Stream != "":
		return describeStream(s.Stream) + " has no bundles yet"
	case s.Follows != "":
		return fmt.Sprintf("it follows %q, which is neither a ladder label nor a channel", s.Follows)
	}
	return "it follows no ladder label or channel"
}

// describeStream names a stream key for a person: label:current is
// "ladder label current".
func describeStream(key string) string {
	kind, name, ok := strings.Cut(key, ":")
	if !ok || name == "" {
		return fmt.Sprintf("ladder stream %q", key)
	}
	return fmt.Sprintf("ladder %s %s", kind, name)
}

func channelNames(sources []Source) string {
	if len(sources) == 0 {
		return "none"
	}
	names := make([]string, len(sources))
	for i, s := range sources {
		names[i] = s.Channel
	}
	return strings.Join(names, ", ")
}

// Objects lists the catalog's objects in the order opm writes them: the
// package, its channels, its bundles, its deprecations.
func (c *Catalog) Objects() []any {
	out := make([]any, 0, 1+len(c.Channels)+len(c.Bundles)+len(c.Deprecations))
	out = append(out, c.Package)
	for _, ch := range c.Channels {
		out = append(out, ch)
	}
	for _, b := range c.Bundles {
		out = append(out, b)
	}
	for _, d := range c.Deprecations {
		out = append(out, d)
	}
	return out
}

// WriteJSON writes the catalog as a stream of JSON objects, byte for byte as
// operator-registry's declcfg.WriteJSON (`opm render`) writes it: each object
// indented by four spaces and followed by a newline, HTML not escaped.
func (c *Catalog) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "    ")
	enc.SetEscapeHTML(false)
	for _, o := range c.Objects() {
		if err := enc.Encode(o); err != nil {
			return err
		}
	}
	return nil
}
