package app

import (
	"context"
	"fmt"

	"github.com/ladder-release/ladder/internal/changes"
	"github.com/ladder-release/ladder/internal/config"
	"github.com/ladder-release/ladder/internal/ledger"
	"github.com/ladder-release/ladder/internal/lock"
	"github.com/ladder-release/ladder/internal/oci"
	"github.com/ladder-release/ladder/internal/session"
)

// What changed (story S8): build-bundle and promote-label compare the new
// bundle's lock with the one it replaces; `ladder diff` compares any two.
// Gather (the old lock from the registry, GitHub's compare per repo:
// component), decide (changes.Build, pure), and hand back the set for the
// summary and the `changes` output. Nothing here fails a run: a lock that
// cannot be read or a compare GitHub refuses makes those changes unknown,
// and the publish or promotion goes on.

// bundleChanges is what the bundle at newDigest (lock l) brings over the one
// at oldDigest; nil when there is none to compare with (a first publish, a
// label's first move) or both are the same bundle.
func (r *run) bundleChanges(ctx context.Context, cfg *config.Config, sec session.Secrets, reg *oci.Client, oldDigest, oldLockDigest string, l lock.Lock, newDigest string) *changes.Set {
	if oldDigest == "" || oldDigest == newDigest && (oldLockDigest == "" || oldLockDigest == l.Digest()) {
		return nil // no bundle before, or the same lock (one image may hold two locks: compare those)
	}
	old, err := reg.LockAt(ctx, cfg.Registry, oldDigest, oldLockDigest)
	if err != nil {
		s := changes.Unreadable(l, fmt.Sprintf("the lock of the previous bundle %s could not be read: %v", oldDigest, err))
		return &s
	}
	s := r.WhatChanged(ctx, sec, old, l)
	return &s
}

// changesJSON is the `changes` output: {} when there is nothing to compare.
func changesJSON(s *changes.Set) string {
	if s == nil {
		return "{}"
	}
	return s.JSON()
}

// replacedLock is the lock digest the ledger recorded for version.
func replacedLock(doc *ledger.Document, version string) string {
	if b, ok := doc.Bundle(version); ok && version != "" {
		return b.LockDigest
	}
	return ""
}

// labelChanges is what a label's target brings over the label's value before
// the run: nil when the label had none, stays where it is, or its target's
// lock cannot be read.
func (r *run) labelChanges(ctx context.Context, cfg *config.Config, sec session.Secrets, reg *oci.Client, p *promotion) *changes.Set {
	d := p.dec
	prevLock, targetLock := p.lockDigests[0], p.lockDigests[1]
	if d.Target.Digest == "" || d.Previous.Digest == "" || d.Target.Digest == d.Previous.Digest && prevLock == targetLock {
		return nil
	}
	l := p.lock
	if !p.lockOK || targetLock != "" && l.Digest() != targetLock {
		var err error
		if l, err = reg.LockAt(ctx, cfg.Registry, d.Target.Digest, targetLock); err != nil {
			return nil // nothing to compare with: the summary and the output say nothing
		}
	}
	return r.bundleChanges(ctx, cfg, sec, reg, d.Previous.Digest, prevLock, l, d.Target.Digest)
}
