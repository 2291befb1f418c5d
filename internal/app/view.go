package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ladder-release/ladder/internal/bundle"
	"github.com/ladder-release/ladder/internal/channel"
	"github.com/ladder-release/ladder/internal/config"
	"github.com/ladder-release/ladder/internal/ledger"
	"github.com/ladder-release/ladder/internal/lock"
	"github.com/ladder-release/ladder/internal/oci"
)

// view is what is known of a product before a decision: the versions
// published, and the channel's current bundle.
type view struct {
	doc           *ledger.Document // the ledger; empty with ledger: none
	known         channel.Known
	registryKnown []string // ledger: none only: versions seen as registry tags
	head          ledger.Entry
	hasHead       bool
	currentLock   string // lock digest of the channel's current bundle
}

// readView reads the ledger, or, with ledger: none, the registry: its
// version tags are what is known, and the channel tag's annotations say which
// lock it holds. A repository that does not exist yet has published nothing.
func (r *run) readView(ctx context.Context, cfg *config.Config, store ledger.Store, reg *oci.Client, ch string) (view, error) {
	var v view
	doc, err := store.Read(ctx)
	if err != nil {
		return v, fmt.Errorf("reading the ledger: %w", err)
	}
	v.doc = doc
	if cfg.Ledger.Kind != config.LedgerNone {
		v.known = channel.Known{Product: doc.Versions(), Channel: doc.VersionsIn(ch)}
		if h, ok := doc.Head(ledger.ChannelStream(ch)); ok {
			v.head, v.hasHead = h, true
			if b, ok := doc.Bundle(h.Version); ok { // by version: one image may hold two locks
				v.currentLock = b.LockDigest
			}
		}
		return v, nil
	}
	tags, err := reg.Tags(ctx, cfg.Registry)
	if err != nil && !errors.Is(err, oci.ErrNotFound) {
		return v, fmt.Errorf("reading the registry's versions: %w", err)
	}
	for _, t := range tags {
		v.registryKnown = append(v.registryKnown, strings.ReplaceAll(t, "_", "+"))
	}
	v.known = channel.Known{Product: v.registryKnown, Channel: v.registryKnown}
	desc, err := reg.Resolve(ctx, cfg.Registry+":"+ch)
	switch {
	case errors.Is(err, oci.ErrNotFound):
	case err != nil:
		return v, fmt.Errorf("reading the current bundle of channel %s: %w", ch, err)
	default:
		v.currentLock = desc.Annotations[bundle.KeyLockDigest]
		v.head = ledger.Entry{Version: desc.Annotations[bundle.OCIVersion], Digest: desc.Digest}
		v.hasHead = true
	}
	return v, nil
}

// labelLock resolves a channel that tracks a label: the lock of the bundle
// the label points at (the ledger's label stream head, or with ledger: none
// the label's tag), as it is.
func (r *run) labelLock(ctx context.Context, cfg *config.Config, store ledger.Store, reg *oci.Client, ch config.Channel) (lock.Lock, error) {
	label := ch.Track.Label
	ref := cfg.Registry + ":" + label
	if cfg.Ledger.Kind != config.LedgerNone {
		doc, err := store.Read(ctx)
		if err != nil {
			return lock.Lock{}, fmt.Errorf("reading the ledger: %w", err)
		}
		h, ok := doc.Head(ledger.LabelStream(label))
		if !ok {
			return lock.Lock{}, fmt.Errorf("label %s points at no bundle yet (the ledger has no move of it)", label)
		}
		ref = cfg.Registry + "@" + h.Digest
	}
	l, err := reg.ReadLock(ctx, ref)
	if errors.Is(err, oci.ErrNotFound) {
		return lock.Lock{}, fmt.Errorf("label %s points at no bundle yet (%s not found)", label, ref)
	}
	if err != nil {
		return lock.Lock{}, fmt.Errorf("reading label %s: %w", label, err)
	}
	l.Channel = ch.Name
	return l, nil
}
