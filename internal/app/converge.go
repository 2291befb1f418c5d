package app

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/ladder-release/ladder/internal/config"
	"github.com/ladder-release/ladder/internal/converge"
	"github.com/ladder-release/ladder/internal/ledger"
	"github.com/ladder-release/ladder/internal/oci"
)

// convergeRounds bounds how often convergeTags reads the ledger; each round
// either sees agreement or moves tags forward, so it runs out only when other
// jobs keep moving the same tags for that long.
const convergeRounds = 40

// ledgerTags says which registry tags a ledger document implies, tag ->
// digest: a channel's tag and its stream head, a label's tag and
// <label>-previous.
type ledgerTags func(doc *ledger.Document) map[string]string

// convergeTags makes the registry's tags match the ledger, the truth: each
// round reads the ledger, reads what converge.Round asks for (a tag's
// digest, a manifest's versions), and writes the tags it says, until a
// round that writes nothing (the rules: package converge). Every writer's
// last act is thus a ledger read that agrees with the registry as it left
// it, and a job that wrote late after reading an older ledger puts the
// newer value back itself. A tag the ledger read is still behind on after
// the last round is left as it is, and the run fails saying so. known is
// what this run knows the registry holds (what it wrote itself).
func (r *run) convergeTags(ctx context.Context, cfg *config.Config, store ledger.Store, reg *oci.Client, implied ledgerTags, known map[string]string) error {
	if cfg.Ledger.Kind == config.LedgerNone {
		return nil // no truth but the registry
	}
	if known == nil {
		known = map[string]string{}
	}
	st := converge.State{Have: known, Versions: map[string][]string{}}
	var p converge.Plan
	for round := 0; round < convergeRounds; round++ {
		doc, err := store.Read(ctx)
		if err != nil {
			return fmt.Errorf("reading the ledger: %w", err)
		}
		want := implied(doc)
		for p = converge.Round(doc, want, st); len(p.Read) > 0 || len(p.Inspect) > 0; p = converge.Round(doc, want, st) {
			for _, tag := range p.Read {
				if known[tag], err = r.tagDigest(ctx, cfg, reg, tag); err != nil {
					return err
				}
			}
			for _, m := range p.Inspect {
				if st.Versions[m.Digest], err = r.bundleVersions(ctx, cfg, reg, m.Tag, m.Digest); err != nil {
					return err
				}
			}
		}
		for _, tag := range p.Defer {
			delete(known, tag) // ask again after the ledger is read again
		}
		for _, tag := range p.Write {
			if err := reg.Tag(ctx, cfg.Registry, want[tag], tag); err != nil {
				return fmt.Errorf("moving tag %s to the ledger's value: %w", tag, err)
			}
			known[tag] = want[tag]
		}
		if p.Settled() {
			return nil
		}
		if st.Deferrals = p.Deferrals(st.Deferrals); st.Deferrals > 0 {
			if err := r.jitter(ctx); err != nil {
				return err
			}
		}
	}
	if s := p.Stale; s != nil {
		return fmt.Errorf("registry tag %s points at %s, %s %s, a bundle the ledger read does not hold after %d reads: "+
			"the ledger read looks stale (behind the registry: another job's write not visible yet); "+
			"the tag was left as it is; rerun to finish", s.Tag, s.Digest, cfg.Product, s.Version, convergeRounds)
	}
	return fmt.Errorf("registry tags did not settle on the ledger after %d rounds: other jobs keep moving them; rerun to finish", convergeRounds)
}

// bundleVersions reads the manifest digest (under tag) and returns its
// versions when it is a bundle of this product (oci.Client.BundleVersions).
func (r *run) bundleVersions(ctx context.Context, cfg *config.Config, reg *oci.Client, tag, digest string) ([]string, error) {
	vs, err := reg.BundleVersions(ctx, cfg.Registry, cfg.Product, digest)
	if err != nil {
		return nil, fmt.Errorf("reading the manifest under tag %s before moving the tag: %w", tag, err)
	}
	return vs, nil
}

// tagDigest is the digest a tag points at, "" when there is no such tag.
func (r *run) tagDigest(ctx context.Context, cfg *config.Config, reg *oci.Client, tag string) (string, error) {
	return reg.TagDigest(ctx, cfg.Registry, tag)
}

// channelTag: a channel's tag points at its stream's head.
func channelTag(ch string) ledgerTags {
	return func(doc *ledger.Document) map[string]string {
		h, ok := doc.Head(ledger.ChannelStream(ch))
		if !ok {
			return nil
		}
		return map[string]string{ch: h.Digest}
	}
}

// labelTag: a label's tag points at its stream's head, <label>-previous at
// the value before it.
func labelTag(label string) ledgerTags {
	return func(doc *ledger.Document) map[string]string { return labelTags(doc, label) }
}

// labelTags is what the registry should show for label, from the ledger:
// <label> at the stream's head, <label>-previous at the value before it.
func labelTags(doc *ledger.Document, label string) map[string]string {
	h, ok := doc.Head(ledger.LabelStream(label))
	if !ok {
		return nil
	}
	want := map[string]string{label: h.Digest}
	if h.PreviousDigest != "" {
		want[label+"-previous"] = h.PreviousDigest
	}
	return want
}

// jitter waits a short random time, so racing jobs fall out of step.
func (r *run) jitter(ctx context.Context) error {
	d := time.Duration(20+rand.IntN(80)) * time.Millisecond
	return r.Clock().Sleep(ctx, d)
}
