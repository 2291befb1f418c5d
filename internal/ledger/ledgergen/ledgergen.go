// Package ledgergen writes big ledgers for benchmarks and tests: n bundles
// with every field build-bundle records (version, digests, composite id,
// channel, times, actor, run, artifact type, mode, tags), the streams of
// channels and labels with every field promote-label records (reason,
// decision, previous, claim, signature, forced), holds, quarantines and
// retention deletions; laid out as a state and segments (record.Split) for
// the stores. It is not part of the release binary (only tests import it).
package ledgergen

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/ladder-release/ladder/internal/bundle"
	"github.com/ladder-release/ladder/internal/ledger/record"
	"github.com/ladder-release/ladder/internal/testutil/fixture"
)

// Product is the product of the generated ledgers.
const Product = "app"

// T0 is when the first bundle is published; one an hour after it.
var T0 = time.Date(2014, 6, 1, 0, 0, 0, 0, time.UTC)

// Shape of the generated ledger: every StableEvery-th bundle is a release
// of channel stable, the others prereleases of dev; label beta (from dev)
// takes every BetaEvery-th bundle, label prod every release; retention
// keeps the newest Keep bundles of dev.
const (
	StableEvery = 10
	BetaEvery   = 3
	Keep        = 20
)

// Digest is a deterministic sha256 digest of parts (fixture.Digest).
func Digest(parts ...any) string { return fixture.Digest(parts...) }

// At is when bundle i was published.
func At(i int) time.Time { return T0.Add(time.Duration(i) * time.Hour) }

// Version is the version of bundle i and its channel: a release
// 1.<i/StableEvery>.0 of stable, or a prerelease of dev above the last one
// (1.<minor>.1-dev.<timestamp>.<id>), so that versions only grow.
func Version(i int) (version, channel string) {
	if i%StableEvery == StableEvery-1 {
		return fmt.Sprintf("1.%d.0", i/StableEvery), "stable"
	}
	return fmt.Sprintf("1.%d.1-dev.%s.%s", i/StableEvery, At(i).Format("20060102T150405"), ID(i)), "dev"
}

// ID is the composite id of bundle i's lock.
func ID(i int) string { return fmt.Sprintf("%07x-c116a45", i) }

// Publish is build-bundle's write of bundle i: the bundle and the channel's
// new head, then retention of dev.
func Publish(i int) func(*record.Document) error { return publish(i, nil) }

// publish is Publish; live, when set, is the dev bundles not deleted yet,
// kept up to date (Whole: no scan of every bundle on each publish).
func publish(i int, live *[]string) func(*record.Document) error {
	return func(d *record.Document) error {
		v, ch := Version(i)
		run := fmt.Sprintf("https://github.com/acme/app/actions/runs/%d", 5_000_000+i)
		mode, tags := record.ModeArtifact, []string{ID(i), fmt.Sprintf("sha-%07x", i)}
		if ch == "stable" {
			mode, tags = record.ModeImage, []string{ID(i), "v" + v}
		}
		head, _ := d.Head(record.ChannelStream(ch))
		if err := d.AddBundle(record.Bundle{Version: v, Digest: Digest("bundle", i), LockDigest: Digest("lock", i),
			ID: ID(i), Channel: ch, Created: At(i).Add(time.Minute), Resolved: At(i),
			Actor: "octocat", Run: run, ArtifactType: bundle.ArtifactType, Mode: mode, Tags: tags}); err != nil {
			return err
		}
		if err := d.Append(record.ChannelStream(ch), record.Entry{Version: v, At: At(i).Add(time.Minute), Actor: "octocat",
			Run: run, Decision: "published", PreviousVersion: head.Version, PreviousDigest: head.Digest,
			Claim: fmt.Sprintf("%016x", i)}); err != nil {
			return err
		}
		if ch == "dev" {
			return retain(d, At(i).Add(2*time.Minute), run, v, live)
		}
		return nil
	}
}

// retain records retention's deletions of dev: beyond the newest Keep, not
// held by a head or a label's previous value.
func retain(d *record.Document, at time.Time, run, published string, cache *[]string) error {
	held := map[string]bool{}
	for _, s := range d.StreamNames() {
		h, _ := d.Head(s)
		held[h.Version], held[h.PreviousVersion] = true, true
	}
	var live []string
	if cache != nil {
		live = append(*cache, published)
	} else {
		for _, b := range d.Bundles {
			if b.Channel == "dev" && !d.Deleted(b.Version) {
				live = append(live, b.Version)
			}
		}
	}
	var kept []string
	for _, v := range live[:max(0, len(live)-Keep)] {
		if held[v] {
			kept = append(kept, v)
			continue
		}
		if err := d.RecordDeletion(record.Deletion{Version: v, At: at, Reason: fmt.Sprintf("retention: keep %d", Keep), Run: run}); err != nil {
			return err
		}
	}
	if cache != nil {
		*cache = append(kept, live[max(0, len(live)-Keep):]...)
	}
	return nil
}

// Promote is promote-label's write moving label (beta from dev, prod from
// stable) to its source's head at i's time, when it is not there already.
func Promote(label string, i int) func(*record.Document) error {
	return func(d *record.Document) error {
		src := "dev"
		if label == "prod" {
			src = "stable"
		}
		h, ok := d.Head(record.ChannelStream(src))
		if !ok {
			return record.ErrNoChange
		}
		return d.Append(record.LabelStream(label), record.Entry{Version: h.Version, At: At(i).Add(3 * time.Minute), Actor: "ladder[bot]",
			Run: fmt.Sprintf("https://github.com/acme/app/actions/runs/%d", 7_000_000+i), Reason: "gates passed: e2e, soak (2h)",
			Decision: "promoted", Forced: i%97 == 0, Claim: fmt.Sprintf("p%015x", i), Signature: Digest("signature", label, i)})
	}
}

// Whole is the ledger after n publishes (and the promotions, holds and
// quarantines between them), as one document.
func Whole(n int) (*record.Document, error) {
	d := record.NewDocument(Product)
	var live []string
	for i := 0; i < n; i++ {
		if err := step(d, i, &live); err != nil {
			return nil, fmt.Errorf("bundle %d: %w", i, err)
		}
		d.Revision++
	}
	return d, nil
}

// Step is the writes of bundle i: its publish, and the promotions,
// quarantines and holds that follow some.
func Step(d *record.Document, i int) error { return step(d, i, nil) }

func step(d *record.Document, i int, live *[]string) error {
	if err := publish(i, live)(d); err != nil {
		return err
	}
	_, ch := Version(i)
	var err error
	switch {
	case ch == "stable":
		err = Promote("prod", i)(d)
	case i%BetaEvery == 0:
		err = Promote("beta", i)(d)
	}
	if err != nil {
		return err
	}
	switch i % 1000 {
	case 500:
		return d.Quarantine(Digest("bundle", i), record.Quarantine{Reason: "CVE-2024-0001", Label: "beta", Actor: "scanner", At: At(i)})
	case 510:
		if err := d.ReleaseQuarantine(Digest("bundle", i-10), At(i)); err != nil {
			return err
		}
		return d.Hold("prod", record.Hold{Reason: "freeze", Actor: "alice", At: At(i)})
	case 520:
		d.Release("prod")
	}
	return nil
}

// Layout is the state and segments of whole as a store writes them, split
// with lim.
func Layout(whole *record.Document, lim record.Limits) (*record.Document, []*record.Document) {
	c := whole.Clone()
	c.Schema = record.Schema
	return record.Split(c, lim)
}

// WriteFiles writes a file ledger at path (PATH and PATH.history/).
func WriteFiles(path string, state *record.Document, segs []*record.Document) error {
	if len(segs) > 0 {
		if err := os.MkdirAll(path+".history", 0o755); err != nil {
			return err
		}
	}
	for _, s := range segs {
		if err := os.WriteFile(filepath.Join(path+".history", record.SegmentName(s.Segment())), s.Marshal(), 0o644); err != nil {
			return err
		}
	}
	return os.WriteFile(path, state.Marshal(), 0o644)
}

// Files are the branch's files of a github ledger: <product>.json and
// <product>.history/NNNNNN.json, path -> content.
func Files(state *record.Document, segs []*record.Document) map[string][]byte {
	out := map[string][]byte{Product + ".json": state.Marshal()}
	for _, s := range segs {
		out[Product+".history/"+record.SegmentName(s.Segment())] = s.Marshal()
	}
	return out
}
