package promote

import (
	"fmt"

	"github.com/ladder-release/ladder/internal/ledger/record"
	"github.com/ladder-release/ladder/internal/retire"
)

// RetiredDecision answers promote-label on d when label is retired, or when
// (mode promote) fromStream, the channel or label its candidates come from
// ("" when the from input names a version or digest), is: outcome Retired,
// nothing written, the reason naming when and why, the target the label's
// head. ok is false when neither is retired.
func RetiredDecision(d *record.Document, label string, mode Mode, fromStream string) (dec Decision, ok bool) {
	labelStream := record.LabelStream(label)
	why, ok := retire.Blocked(d, labelStream)
	if !ok && mode == ModePromote && fromStream != "" {
		if why, ok = retire.Blocked(d, fromStream); ok {
			why = fmt.Sprintf("label %s promotes from %s", label, why)
		}
	}
	if !ok {
		return Decision{}, false
	}
	dec = Decision{Outcome: Retired, Reason: why + ": nothing written"}
	if h, ok := d.Head(labelStream); ok {
		dec.Target.Version, dec.Target.Digest = h.Version, h.Digest
	}
	return dec, true
}
