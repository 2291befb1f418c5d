package catalog

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Which writes republish the catalog image (SPEC section 4 `ladder
// catalog`: "every build-bundle and promote-label that changes a configured
// stream republishes the catalog image"), and what a run that republishes
// decides against the registry's catalog tag. The caller reads the config,
// the ledger and the registry; these functions only decide.

// Reads reports whether the catalog of sources is read from the ledger
// stream: an OLM channel follows it (Source.Stream), or it is where the
// upgrade graph of a label an OLM channel follows reads its skips from
// (Source.From: production jumping from A to D skips the B and C its
// source stream went through).
func Reads(sources []Source, stream string) bool {
	if stream == "" {
		return false
	}
	for _, s := range sources {
		if s.Stream == stream || s.From == stream {
			return true
		}
	}
	return false
}

// Change is what one build-bundle or promote-label run did to one ledger
// stream.
type Change struct {
	Stream string // label:NAME or channel:NAME
	// Moved: this run recorded a new head of Stream (a publish, a promotion,
	// a rollback).
	Moved bool
	// HeadRun is the workflow run that recorded the stream's head, as the
	// ledger read now holds it; Run is this run's. Equal, the run is a rerun
	// of the one that moved the stream (a rerun keeps its run id), which
	// finishes what the first attempt left undone.
	HeadRun, Run string
}

// Republish reports whether the run that made change must make the
// registry's catalog image follow the ledger: it moved a stream the catalog
// is read from (Reads), or it is the rerun of the run that did. A run that
// moved nothing the catalog reads (a noop, a pending or held promotion, a
// superseded lock, a channel no OLM channel follows) leaves the catalog
// image alone.
func Republish(sources []Source, c Change) bool {
	if !Reads(sources, c.Stream) {
		return false
	}
	return c.Moved || (c.Run != "" && c.HeadRun == c.Run)
}

// Publishable says whether a catalog can be made of in yet: OLM refuses a
// package whose default channel has no bundles, so until the stream behind
// the default channel has moved there is nothing to publish. The reason
// says which channel is waiting for which stream.
func Publishable(in Input) (ok bool, reason string) {
	for _, s := range in.Sources {
		if s.Channel == in.DefaultChannel && s.Channel != "" && len(s.Entries) == 0 {
			return false, fmt.Sprintf("default channel %q: %s (OLM refuses a package whose default channel is empty)", s.Channel, emptyReason(s))
		}
	}
	return true, ""
}

// TagStep is what to do next about the registry's catalog tag.
type TagStep string

// The steps Next decides, by rule (see Next).
const (
	StepRead    TagStep = "read"    // rule 1: read the tag's digest (HEAD)
	StepAgree   TagStep = "agree"   // rule 2: the tag holds the ledger's catalog: done
	StepWrite   TagStep = "write"   // rules 3, 6: push the ledger's catalog under the tag
	StepInspect TagStep = "inspect" // rule 4: read the catalog under the tag (its bundle versions)
	StepStale   TagStep = "stale"   // rule 5: leave the tag, read the ledger again
)

// TagView is what a run has learnt of the registry's catalog tag.
type TagView struct {
	// Known: Digest is what the tag holds (read with a HEAD, or written by
	// this run since).
	Known  bool
	Digest string // "" when there is no such tag
	// Ours are the catalog digests this run made (from any ledger read).
	Ours map[string]bool
	// Versions are, for each catalog digest inspected, the versions of this
	// package its bundles have (none: not a catalog of this package).
	Versions map[string][]string
}

// Next decides the next step of making the registry's catalog tag hold
// want, the digest of the catalog image made from a ledger read; held says
// whether that read holds a version. The catalog tag converges as the other
// tags do (package converge): every writer's last act is a ledger read that
// agrees with the tag as it left it. The rules, in order:
//
//  1. Ask first: a tag whose digest is not known is read.
//  2. Agree: a tag on want is left as it is.
//  3. Absent or ours: no tag, or a catalog this run made from an earlier
//     read, is written.
//  4. Inspect: any other digest (a catalog another run made, or anything
//     pushed by hand) has the bundle versions of its catalog read, once.
//  5. Stale read: a catalog naming a version the ledger read does not hold
//     was made from a newer ledger than this read (ladder publishes a
//     catalog only from what the ledger granted): the tag is left as it is
//     and the ledger read again.
//  6. Older or foreign: anything else is written.
func Next(want string, held func(version string) bool, v TagView) TagStep {
	switch {
	case !v.Known:
		return StepRead
	case v.Digest == want:
		return StepAgree
	case v.Digest == "" || v.Ours[v.Digest]:
		return StepWrite
	}
	versions, ok := v.Versions[v.Digest]
	if !ok {
		return StepInspect
	}
	for _, ver := range versions {
		if !held(ver) {
			return StepStale
		}
	}
	return StepWrite
}

// BundleVersions reads a catalog written by WriteJSON (or any stream of
// declarative config JSON objects) and returns the versions of the bundles
// of package pkg, from their olm.package property, in the order found.
func BundleVersions(r io.Reader, pkg string) ([]string, error) {
	dec := json.NewDecoder(r)
	var out []string
	for {
		var obj struct {
			Schema     string     `json:"schema"`
			Package    string     `json:"package"`
			Properties []Property `json:"properties"`
		}
		err := dec.Decode(&obj)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading the catalog: %w", err)
		}
		if obj.Schema != SchemaBundle || obj.Package != pkg {
			continue
		}
		for _, p := range obj.Properties {
			if p.Type != PropertyPackage {
				continue
			}
			var v PackageProperty
			if err := json.Unmarshal(p.Value, &v); err != nil {
				return nil, fmt.Errorf("reading the catalog: bundle property %s: %w", PropertyPackage, err)
			}
			if v.PackageName == pkg && strings.TrimSpace(v.Version) != "" {
				out = append(out, v.Version)
			}
		}
	}
}
