package publish

import (
	"strings"

	"github.com/ladder-release/ladder/internal/ledger/record"
)

// RetentionVictims are the bundles of channel ch that retention (keep: N)
// deletes on doc: those beyond the newest keep, that no stream head nor
// label's previous value points at, not deleted already (SPEC section 5).
func RetentionVictims(doc *record.Document, ch string, keep int) []record.Bundle {
	protected := map[string]bool{}
	for _, s := range doc.StreamNames() {
		entries := doc.Stream(s)
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
