// Package publish decides build-bundle's publish (SPEC sections 2 "order"
// and "version", 4 build-bundle, 5 retention, 7 "Order" and "Reruns"): whether
// a lock is published at all, under which version, what it replaces, and
// which bundles retention deletes. It is pure: it reads and changes a ledger
// document and does nothing else, so the compare-and-swap closure of
// build-bundle only calls Claim.
//
// The rules, in the order Decide applies them:
//
//  0. Retired: a channel retired with `ladder retire` publishes nothing,
//     forced or not (the reason and date are named); --undo reopens it.
//  1. Own claim: a stream entry carrying this attempt's claim token is this
//     run's publish, already in the ledger (a write whose answer was lost).
//  2. Rerun anywhere: the channel already holds a bundle of this lock, at its
//     head or further back: nothing is published; the run finishes that
//     bundle (its tags), whatever has been published since. force publishes
//     the lock again (a new version, recorded as forced), but a rerun of the
//     forced run (the same run id) finishes its own publish.
//  3. Superseded: a lock resolved before the lock at the channel's head is not
//     published, so a slow job never takes a channel back to older content
//     (unless force). Locks resolved at the same instant are ordered by the
//     ledger's claim order: the later claim is the newer head.
//  4. Version: the input version, else the channel's rule on this ledger. A
//     version another bundle holds is refused (a version never moves); a bump
//     passes over versions other channels hold.
//  5. Forward: each new head has a strictly higher version than the head
//     before it. A prerelease version whose timestamp would not sort above the
//     head's (locks resolved within one second) takes the second after the
//     head's; any other rule that would go down is an error naming both
//     versions, unless force.
package publish

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"

	"github.com/ladder-release/ladder/internal/channel"
	"github.com/ladder-release/ladder/internal/ledger/record"
	"github.com/ladder-release/ladder/internal/lock"
)

// Request is one publish: a lock for a channel.
type Request struct {
	Channel string
	Rule    channel.VersionRule
	Version string // the version input; "" = the channel's rule
	Lock    lock.Lock
	Force   bool
	Claim   string // token of this attempt, carried by its stream entry
	Run     string // URL of the workflow run ("" outside Actions)
	// Known are versions seen outside the ledger (ledger: none: the
	// registry's version tags), counted as taken.
	Known []string
}

// Kind is what Decide says to do.
type Kind int

const (
	// Publish the lock as Decision.Version (or, after Claim: it is published).
	Publish Kind = iota
	// Finish: the ledger already holds this lock as Decision.Bundle; nothing
	// is published, the run makes the registry agree with that bundle.
	Finish
	// Superseded: the channel's head holds a lock resolved after this one.
	Superseded
	// Retired: the channel is retired (ladder retire); Reason says when and why.
	Retired
)

func (k Kind) String() string {
	return [...]string{"publish", "finish", "superseded", "retired"}[k]
}

// Decision is what to do with a Request on one ledger document.
type Decision struct {
	Kind    Kind
	Version string // Publish: the version
	// PassedOver are the versions the bump rule skipped because other
	// channels hold them, each saying who: "0.0.3 (held by channel staging)".
	PassedOver []string
	Replaces   record.Entry  // Publish: the channel's head before it
	Bundle     record.Bundle // Finish: the ledger's bundle of this lock; Superseded: the head's; Own: this attempt's
	Reason     string        // Finish, Superseded: why nothing is published
	Own        bool          // Publish after Claim: this attempt's own entry was found (a lost answer)
}

// ErrVersionMoved: on the fresh ledger the rule gives another version than
// the one the manifest was built with; build it again.
var ErrVersionMoved = errors.New("the version moved")

// TakenError: the version is already published as another bundle, and the
// rule gives it again however often it is asked.
type TakenError struct {
	Version string
	Theirs  string // digest holding it
}

func (e *TakenError) Error() string {
	return fmt.Sprintf("version %s is already published as %s", e.Version, e.Theirs)
}

// DownError: the version would not be above the channel's head.
type DownError struct {
	Version, Head string
	Channel       string
}

func (e *DownError) Error() string {
	return fmt.Sprintf("version %s is not above %s, the version at channel %s's head: a channel only moves forward (give force to publish it anyway)", e.Version, e.Head, e.Channel)
}

// Decide applies the rules to doc, which it does not change.
func Decide(doc *record.Document, req Request) (Decision, error) {
	stream := record.ChannelStream(req.Channel)
	if r, ok := doc.Retired(stream); ok {
		b, _ := doc.Bundle(r.Version)
		return Decision{Kind: Retired, Bundle: b, Reason: fmt.Sprintf("channel %s was retired at %s by %s: %s; it stays at %s (ladder retire --undo reopens it)",
			req.Channel, r.At.UTC().Format(time.RFC3339), orSomeone(r.Actor), r.Reason, r.Version)}, nil
	}
	entries := doc.Stream(stream)
	if req.Claim != "" {
		for _, e := range entries {
			if e.Claim == req.Claim {
				b, _ := doc.Bundle(e.Version)
				return Decision{Kind: Publish, Version: e.Version, Own: true, Bundle: b,
					Replaces: record.Entry{Version: e.PreviousVersion, Digest: e.PreviousDigest}}, nil
			}
		}
	}
	head, hasHead := doc.Head(stream)
	var headBundle record.Bundle
	if hasHead {
		// by version: one image published for two locks is one digest
		headBundle, _ = doc.Bundle(head.Version)
	}
	if b, ok := published(doc, req); ok {
		reason := fmt.Sprintf("channel %s already holds this lock (%s) as %s", req.Channel, req.Lock.Digest(), b.Version)
		if !hasHead || head.Digest != b.Digest {
			reason = fmt.Sprintf("this lock is already published as %s in channel %s (its head is now %s)", b.Version, req.Channel, head.Version)
		}
		return Decision{Kind: Finish, Bundle: b, Reason: reason}, nil
	}
	if hasHead && !req.Force && !headBundle.Resolved.IsZero() && req.Lock.Created.Before(headBundle.Resolved) {
		return Decision{Kind: Superseded, Bundle: headBundle, Reason: fmt.Sprintf(
			"superseded: this lock was resolved at %s, before the lock of channel %s's head %s (resolved at %s); a channel never goes back to older content (give force to publish it anyway)",
			stamp(req.Lock.Created), req.Channel, head.Version, stamp(headBundle.Resolved))}, nil
	}
	dec := Decision{Kind: Publish, Replaces: head}
	if !hasHead {
		dec.Replaces = record.Entry{}
	}
	var err error
	if dec.Version, dec.PassedOver, err = version(doc, req, req.Lock.Created); err != nil {
		return Decision{}, err
	}
	if held, err := taken(doc, req, dec.Version); held != nil || err != nil {
		return *held, err
	}
	if hasHead && !above(dec.Version, head.Version) && !req.Force {
		if t, ok := prereleaseStamp(head.Version); ok && req.Version == "" && isPrerelease(req.Rule) {
			if dec.Version, _, err = version(doc, req, t.Add(time.Second)); err != nil {
				return Decision{}, err
			}
			if held, err := taken(doc, req, dec.Version); held != nil || err != nil {
				return *held, err
			}
		}
		if !above(dec.Version, head.Version) {
			return Decision{}, &DownError{Version: dec.Version, Head: head.Version, Channel: req.Channel}
		}
	}
	return dec, nil
}

// Bundle is what build-bundle records of the bundle it publishes, besides the
// version, digest and lock (Claim fills those).
type Bundle struct {
	Digest       string
	Mode         string
	ArtifactType string
	Actor        string
	Tags         []string // views besides the version and channel tags
	Now          time.Time
}

// Claim decides again on the fresh ledger d (inside the compare-and-swap)
// and, when the decision is still to publish version, records the bundle and
// the channel's new head. It returns record.ErrNoChange (wrapped in nothing)
// when it records nothing: the Decision says why. ErrVersionMoved: the rule
// now gives another version than the manifest was built with.
func Claim(d *record.Document, req Request, version string, b Bundle) (Decision, error) {
	dec, err := Decide(d, req)
	if err != nil {
		return dec, err
	}
	if dec.Kind != Publish || dec.Own {
		return dec, record.ErrNoChange
	}
	if dec.Version != version {
		return dec, ErrVersionMoved
	}
	rec := record.Bundle{Version: version, Digest: b.Digest, LockDigest: req.Lock.Digest(), ID: req.Lock.CompositeID(),
		Channel: req.Channel, Created: b.Now, Resolved: req.Lock.Created, Actor: b.Actor, Run: req.Run,
		ArtifactType: b.ArtifactType, Mode: b.Mode, Tags: b.Tags}
	if err := d.AddBundle(rec); errors.Is(err, record.ErrAlreadyPublished) {
		have, _ := d.Bundle(version)
		return Decision{Kind: Finish, Bundle: have, Reason: fmt.Sprintf("version %s already holds this bundle", version)}, record.ErrNoChange
	} else if err != nil {
		return dec, err
	}
	e := record.Entry{Version: version, Digest: b.Digest, At: b.Now, Actor: b.Actor, Run: req.Run, Decision: "published",
		Forced: req.Force, PreviousVersion: dec.Replaces.Version, PreviousDigest: dec.Replaces.Digest, Claim: req.Claim}
	stream := record.ChannelStream(req.Channel)
	if err := d.Append(stream, e); err != nil {
		return dec, err
	}
	if _, err := d.Graph(stream); err != nil {
		return dec, fmt.Errorf("the upgrade graph of %s would be invalid: %w", stream, err)
	}
	return dec, nil
}

// published finds the channel's bundle of this lock (rule 2). With force,
// only this workflow run's own publish of it counts (a rerun keeps the run
// id), under the version asked for if one is.
func published(doc *record.Document, req Request) (record.Bundle, bool) {
	want := req.Lock.Digest()
	for i := len(doc.Bundles) - 1; i >= 0; i-- {
		b := doc.Bundles[i]
		if b.Channel != req.Channel || b.LockDigest != want {
			continue
		}
		if req.Force && (req.Run == "" || b.Run != req.Run || req.Version != "" && b.Version != req.Version) {
			continue
		}
		return b, true
	}
	return record.Bundle{}, false
}

// taken: version is already published. As this lock in this channel (a
// forced run asking for it again): finish that bundle; otherwise (another
// lock, or another channel: a version is unique per product and belongs to
// one channel's stream) a *TakenError.
func taken(doc *record.Document, req Request, version string) (*Decision, error) {
	b, ok := doc.Bundle(version)
	switch {
	case !ok:
		return nil, nil
	case b.LockDigest == req.Lock.Digest() && b.Channel == req.Channel:
		return &Decision{Kind: Finish, Bundle: b, Reason: fmt.Sprintf("version %s already holds this lock", b.Version)}, nil
	}
	return &Decision{}, &TakenError{Version: version, Theirs: b.Digest}
}

// version is the input version, else the rule's on doc at time now, with
// the versions a bump passed over, each saying who holds it ("0.0.3 (held by
// channel staging)").
func version(doc *record.Document, req Request, now time.Time) (string, []string, error) {
	if req.Version != "" {
		return req.Version, nil, nil
	}
	known := channel.Known{
		Product: append(doc.Versions(), req.Known...),
		Channel: append(doc.VersionsIn(req.Channel), req.Known...),
	}
	v, err := channel.Next(req.Rule, req.Channel, req.Lock, known, now)
	if err != nil {
		return "", nil, err
	}
	var passed []string
	for _, p := range v.PassedOver {
		if b, ok := doc.Bundle(p); ok && b.Channel != "" {
			passed = append(passed, fmt.Sprintf("%s (held by channel %s)", p, b.Channel))
		} else {
			passed = append(passed, p+" (already published)")
		}
	}
	return v.Version, passed, nil
}

func isPrerelease(r channel.VersionRule) bool { return r.From == "" && r.Bump == "" }

// above: a > b in semver (a version that does not parse is never above).
func above(a, b string) bool {
	va, err := semver.StrictNewVersion(a)
	if err != nil {
		return false
	}
	vb, err := semver.StrictNewVersion(b)
	if err != nil {
		return true // the head's version is not semver (ledger: none, foreign): nothing to compare
	}
	return va.GreaterThan(vb)
}

const stampLayout = "20060102T150405"

// prereleaseStamp is the UTC timestamp identifier of a prerelease version
// (1.4.1-dev.20261122T011500.b366a24), the last one of its form.
func prereleaseStamp(v string) (time.Time, bool) {
	sv, err := semver.StrictNewVersion(v)
	if err != nil {
		return time.Time{}, false
	}
	ids := strings.Split(sv.Prerelease(), ".")
	for i := len(ids) - 1; i >= 0; i-- {
		if len(ids[i]) == len(stampLayout) {
			if t, err := time.Parse(stampLayout, ids[i]); err == nil {
				return t, true
			}
		}
	}
	return time.Time{}, false
}

func orSomeone(actor string) string {
	if actor == "" {
		return "someone"
	}
	return actor
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
