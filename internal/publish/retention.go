package publish

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ladder-release/ladder/internal/ledger/record"
)

// RetentionVictims are the bundles of channel ch that retention (keep: N)
// deletes on doc: those beyond the newest keep, that no stream head nor
// label's previous value points at, not deleted already (SPEC section 5).
// A retired channel's bundles are never deleted (its content is archived),
// nor any bundle a retired channel or label ever held.
func RetentionVictims(doc *record.Document, ch string, keep int) []record.Bundle {
	if _, retired := doc.Retired(record.ChannelStream(ch)); retired {
		return nil
	}
	protected := map[string]bool{}
	for _, s := range doc.StreamNames() {
		entries := doc.Stream(s)
		if _, retired := doc.Retired(s); retired {
			for _, e := range entries {
				protected[e.Digest] = true
			}
		}
		if n := len(entries); n > 0 {
			protected[entries[n-1].Digest] = true
			if strings.HasPrefix(s, record.KindLabel+":") && entries[n-1].PreviousDigest != "" {
				protected[entries[n-1].PreviousDigest] = true
			}
		}
	}
	var mine []record.Bundle
	for _, b := range doc.Bundles {
		if b.Channel == ch && !doc.Deleted(b.Version) {
			mine = append(mine, b)
		}
	}
	if len(mine) <= keep {
		return nil
	}
	var out []record.Bundle
	for _, b := range mine[:len(mine)-keep] {
		if !protected[b.Digest] {
			out = append(out, b)
		}
	}
	return out
}

// RecordDeletion records del on d (inside retention's compare-and-swap)
// when del's bundle is still a victim of channel ch's retention (keep) on
// d: a label may have moved onto it since it was chosen. When it is not,
// it records nothing and returns false and record.ErrNoChange.
//
// On a ledger's state (a document with History), what a retired stream held
// before its older entries moved into the history is not in d, and such a
// bundle is never deleted: when a retired stream has entries in the
// history, the answer is record.ErrNotFound, which makes the store decide
// again on the whole ledger.
func RecordDeletion(d *record.Document, ch string, keep int, del record.Deletion) (bool, error) {
	if d.History != nil {
		for s := range d.Retirements {
			if d.History.Entries[s] > 0 {
				return false, fmt.Errorf("retention of %s: %s was retired and part of what it held is in the ledger's history: %w", ch, s, record.ErrNotFound)
			}
		}
	}
	for _, v := range RetentionVictims(d, ch, keep) {
		if v.Version == del.Version {
			return true, d.RecordDeletion(del)
		}
	}
	return false, record.ErrNoChange
}

// Redo are the bundles of channel ch, recorded deleted in doc, whose tags
// retention deletes again, by version: own's (the version this run
// published or found: another job's retention deleted its tags before this
// run wrote them) and, with sweep (a run finishing an earlier attempt), the
// deletions this workflow run (run, its URL) recorded before (a stop between
// recording a deletion and deleting its tags). Outside a workflow run (run
// "") a sweep redoes only own's.
func Redo(doc *record.Document, ch, own, run string, sweep bool) []record.Bundle {
	var out []record.Bundle
	seen := map[string]bool{}
	for _, del := range doc.Deletions {
		b, ok := doc.Bundle(del.Version)
		if ok && b.Channel == ch && !seen[b.Version] && (del.Version == own || sweep && run != "" && del.Run == run) {
			seen[b.Version] = true
			out = append(out, b)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out
}

// DeletedViews are the tags to delete with b, a bundle doc records as
// deleted: the views its publish wrote besides the version and channel tags
// (b.Tags: the composite id, sha-…, the extra tags) or, for a bundle
// recorded before the ledger kept them, its composite id. An image
// published under several versions is one digest: the views of its versions
// deleted before go with b's, and a view that a version the ledger keeps
// also wrote stays. Each still has to name b's digest in the registry to be
// deleted (the caller checks).
func DeletedViews(doc *record.Document, b record.Bundle) []string {
	if b.Digest == "" {
		return nil
	}
	viewsOf := func(x record.Bundle) []string {
		if len(x.Tags) == 0 && x.ID != "" {
			return []string{x.ID}
		}
		return x.Tags
	}
	var views []string
	kept := map[string]bool{}
	for _, x := range doc.Bundles {
		switch {
		case x.Digest != b.Digest:
		case x.Version == b.Version || doc.Deleted(x.Version):
			views = append(views, viewsOf(x)...)
		default:
			for _, t := range viewsOf(x) {
				kept[t] = true
			}
		}
	}
	seen := map[string]bool{}
	var out []string
	for _, t := range views {
		if t != "" && !kept[t] && !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}
