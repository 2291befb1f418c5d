// Package converge decides one round of making a registry's tags match the
// ledger (SPEC section 6: registry tags converge to the ledger). OCI registries have no
// compare-and-swap: several jobs may write one tag at once and the last
// write wins. So each round reads the ledger, compares the tags it implies
// with what the registry is known to hold, writes the ones that differ, and
// reads the ledger again; convergence ends with a round that writes nothing.
// The caller does the reading and the writing; Round only decides.
//
// The rules Round applies to each tag the ledger read implies, in sorted
// tag order:
//
//  1. Ask first: a tag whose registry digest is not known is read (HEAD)
//     before anything else is decided (Plan.Read).
//  2. Agree: a tag already on the ledger's digest is left as it is.
//  3. Ours or absent: a tag that does not exist, or that points at a bundle
//     the ledger read holds, is written with the ledger's digest.
//  4. Newer or foreign, early: a tag on a digest the ledger read does not
//     hold is deferred (not written, read again after the ledger is read
//     again) while fewer than two rounds in a row have deferred: it is
//     likely another job's write, newer than this read.
//  5. Inspect: after that, the manifest of such a digest is read, once per
//     digest (Plan.Inspect), to learn whether it is a bundle of this
//     product, and of which versions.
//  6. Stale read: a bundle of this product of a version the ledger read does
//     not hold was granted by a newer ledger than this read (ladder tags a
//     bundle only after the ledger granted it): the tag is deferred, never
//     overwritten, and the first such tag is the round's Stale.
//  7. Foreign: anything else (no bundle of this product, or one whose
//     versions the read all holds) is written with the ledger's digest.
//  8. Stop: a round that writes nothing and defers nothing is Settled: the
//     registry agrees with the ledger. A round that defers counts one more
//     deferring round; one that only writes starts the count again.
package converge

import (
	"maps"
	"slices"

	"github.com/ladder-release/ladder/internal/ledger/record"
)

// State is what the rounds have learnt of the registry so far.
type State struct {
	// Have is the digest the registry is known to hold under a tag ("": no
	// such tag): what this run wrote itself, else what a HEAD said.
	Have map[string]string
	// Versions are, for each manifest digest read (rule 5), the versions of
	// this product it is a bundle of (none: not a bundle of this product).
	Versions map[string][]string
	// Deferrals is how many rounds in a row have deferred a tag.
	Deferrals int
}

// Inspect is a manifest to read before the round is decided: the digest
// under Tag.
type Inspect struct{ Tag, Digest string }

// Stale is a registry tag on a bundle of this product that the ledger read
// does not hold yet (rule 6).
type Stale struct{ Tag, Digest, Version string }

// Plan is one round's decision. When Read or Inspect is not empty, nothing
// else is decided: the caller reads them into its State and asks again.
type Plan struct {
	Read    []string  // tags whose registry digest to read first (rule 1)
	Inspect []Inspect // manifests to read first, one per digest (rule 5)
	Write   []string  // tags to move to the ledger's digest (rules 3, 7)
	Defer   []string  // tags left as they are and read again next round (rules 4, 6)
	Stale   *Stale    // the first tag the ledger read is behind on (rule 6)
}

// Settled: the round writes and defers nothing (rule 8).
func (p Plan) Settled() bool { return len(p.Write) == 0 && len(p.Defer) == 0 }

// Deferrals is the count of deferring rounds in a row after this round,
// given the count before it (rule 8).
func (p Plan) Deferrals(before int) int {
	if len(p.Defer) > 0 {
		return before + 1
	}
	return 0
}

// Round decides one round on the ledger read doc, whose implied tags are
// want (tag -> digest).
func Round(doc *record.Document, want map[string]string, st State) Plan {
	tags := slices.Sorted(maps.Keys(want))
	var p Plan
	for _, tag := range tags {
		if _, ok := st.Have[tag]; !ok {
			p.Read = append(p.Read, tag)
		}
	}
	if len(p.Read) > 0 {
		return p
	}
	inspected := map[string]bool{}
	for _, tag := range tags {
		have := st.Have[tag]
		if have == want[tag] {
			continue
		}
		if _, ours := doc.BundleByDigest(have); have == "" || ours {
			p.Write = append(p.Write, tag)
			continue
		}
		if st.Deferrals < 2 {
			p.Defer = append(p.Defer, tag)
			continue
		}
		vs, ok := st.Versions[have]
		if !ok {
			if !inspected[have] {
				inspected[have] = true
				p.Inspect = append(p.Inspect, Inspect{Tag: tag, Digest: have})
			}
			continue
		}
		if version := notHeld(doc, vs); version != "" {
			p.Defer = append(p.Defer, tag)
			if p.Stale == nil {
				p.Stale = &Stale{Tag: tag, Digest: have, Version: version}
			}
			continue
		}
		p.Write = append(p.Write, tag)
	}
	if len(p.Inspect) > 0 {
		return Plan{Inspect: p.Inspect}
	}
	return p
}

// notHeld is the first of versions the ledger document does not hold, "" if
// it holds them all.
func notHeld(doc *record.Document, versions []string) string {
	for _, v := range versions {
		if _, held := doc.Bundle(v); !held {
			return v
		}
	}
	return ""
}
