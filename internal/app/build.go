package app

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"

	"github.com/ladder-release/ladder/internal/bundle"
	"github.com/ladder-release/ladder/internal/changes"
	"github.com/ladder-release/ladder/internal/channel"
	"github.com/ladder-release/ladder/internal/config"
	"github.com/ladder-release/ladder/internal/fanout"
	"github.com/ladder-release/ladder/internal/inputs"
	"github.com/ladder-release/ladder/internal/ledger"
	"github.com/ladder-release/ladder/internal/lock"
	"github.com/ladder-release/ladder/internal/oci"
	"github.com/ladder-release/ladder/internal/publish"
	"github.com/ladder-release/ladder/internal/report"
	"github.com/ladder-release/ladder/internal/session"
	"github.com/ladder-release/ladder/internal/workspace"
)

// maxClaimAttempts bounds how often build-bundle re-pushes a manifest because
// another job claimed the version it computed in the meantime. Between
// attempts it waits a random 20-100 ms, so racing jobs fall out of step
// instead of colliding again and again (8 jobs publishing at once: see
// TestConcurrentPublishers).
const maxClaimAttempts = 64

// maxConcurrentTags bounds the tags of a bundle written, read or deleted at once.
const maxConcurrentTags = 16

// published is build-bundle's result.
type published = report.Published

// buildBundle: gather (inputs, lock, ledger view) -> decide (version rule,
// already published?) -> apply (push by digest, claim in the ledger, tag,
// converge, retention) -> outputs.
func buildBundle(ctx context.Context, r *run) error {
	sec, in, cfg, err := start(r, inputs.ParseBuild)
	if err != nil {
		return err
	}
	ch, ok := cfg.Channel(in.Channel)
	if !ok {
		return cfg.UnknownChannel(in.Channel)
	}
	if err := cfg.RefuseReservedTags(in.ExtraTags); err != nil {
		return err
	}
	if inputs.IsDigest(in.Image) {
		// a bare digest: that manifest in the product's own repository
		in.Image = cfg.Registry + "@" + in.Image
	}
	l, err := r.bundleLock(ctx, cfg, sec, ch, in)
	if err != nil {
		return err
	}
	files, err := r.readFiles(in.Files)
	if err != nil {
		return err
	}
	reg, store, err := r.Stores(cfg, sec)
	if err != nil {
		return err
	}
	// What changed is read while the claimed bundle is tagged and converged
	// (its reads overlap the tag writes instead of adding round trips).
	var changed chan *changes.Set
	r.OnClaim = func(oldDigest, oldLock, newDigest string) {
		changed = make(chan *changes.Set, 1)
		go func() { changed <- r.bundleChanges(ctx, cfg, sec, reg, oldDigest, oldLock, l, newDigest) }()
	}
	res, err := r.publish(ctx, cfg, ch, store, reg, l, files, in)
	if changed != nil {
		set := <-changed
		if err == nil {
			res.Changes = set
		}
	}
	if err != nil {
		return err
	}
	if !in.DryRun {
		if err := r.republishCatalog(ctx, cfg, store, reg, nil, ledger.ChannelStream(ch.Name), res.Published, fmt.Sprintf("the publish of %s into channel %s", res.Version, ch.Name)); err != nil {
			return err
		}
	}
	tags := res.Tags
	if tags == nil {
		tags = []string{} // nothing written: [], never null
	}
	tagsJSON, _ := json.Marshal(tags)
	if err := r.setOutputs([]kv{
		{"published", fmt.Sprint(res.Published)},
		{"digest", res.Digest},
		{"ref", res.Ref},
		{"version", res.Version},
		{"tags", string(tagsJSON)},
		{"replaces", res.Replaces},
		{"changes", changesJSON(res.Changes)},
	}); err != nil {
		return err
	}
	s := r.Act.Summary()
	report.Build(s, ch.Name, l, res, in.DryRun)
	return s.Write()
}

// bundleLock reads the lock file resolve-channel wrote, or resolves the
// channel when there is none.
func (r *run) bundleLock(ctx context.Context, cfg *config.Config, sec session.Secrets, ch config.Channel, in inputs.Build) (lock.Lock, error) {
	data, err := os.ReadFile(r.WorkspacePath(in.LockFile))
	if errors.Is(err, os.ErrNotExist) {
		res, err := r.resolve(ctx, cfg, sec, ch.Name)
		if err != nil {
			return lock.Lock{}, err
		}
		return res.Lock, nil
	}
	if err != nil {
		return lock.Lock{}, fmt.Errorf("input lock-file: %w", err)
	}
	l, err := lock.Parse(data)
	if err != nil {
		return lock.Lock{}, fmt.Errorf("input lock-file %s: %w", in.LockFile, err)
	}
	if l.Product != cfg.Product {
		return lock.Lock{}, fmt.Errorf("input lock-file %s: product %q, but the config's product is %q", in.LockFile, l.Product, cfg.Product)
	}
	if l.Channel != "" && l.Channel != ch.Name {
		return lock.Lock{}, fmt.Errorf("input lock-file %s: resolved for channel %q, not %q", in.LockFile, l.Channel, ch.Name)
	}
	if err := cfg.CheckLock(l); err != nil {
		return lock.Lock{}, fmt.Errorf("input lock-file %s: %w", in.LockFile, err)
	}
	if err := r.lockCommitsExist(ctx, sec, l); err != nil {
		return lock.Lock{}, fmt.Errorf("input lock-file %s: %w", in.LockFile, err)
	}
	for i, c := range cfg.Constraints {
		if err := channel.CheckSameVersion(l, c.SameVersion); err != nil {
			return lock.Lock{}, session.At(cfg, fmt.Sprintf("constraints[%d]", i), err)
		}
	}
	l.Channel = ch.Name
	if err := lock.CheckCreated(l, r.Deps.Now(), in.Force); err != nil {
		return lock.Lock{}, fmt.Errorf("input lock-file %s: %w", in.LockFile, err)
	}
	if l.Created.IsZero() {
		l.Created = r.Deps.Now().UTC() // forced
	}
	return l, nil
}

// readFiles reads the files input's matches in the workspace
// (workspace.Read: nothing outside it, whatever links it holds).
func (r *run) readFiles(patterns []string) ([]oci.File, error) {
	files, err := workspace.Read(r.WorkspacePath("."), patterns)
	if err != nil {
		return nil, fmt.Errorf("input files: %w", err)
	}
	var out []oci.File
	for _, f := range files {
		out = append(out, oci.File{Path: f.Path, Data: f.Data, MediaType: bundle.FileMediaType})
	}
	return out, nil
}

// publish: gather (the ledger view) -> decide (publish.Decide: finish a
// publish the ledger holds, superseded, the version) -> apply (push the
// manifest by digest, check its version tag, claim with publish.Claim inside
// the compare-and-swap, tag, converge, retention). The manifest is pushed
// before the claim (content addressed: a lost race leaves only an untagged
// manifest); when the ledger moved so that the version changed, it is built
// again.
func (r *run) publish(ctx context.Context, cfg *config.Config, ch config.Channel, store ledger.Store, reg *oci.Client, l lock.Lock, files []oci.File, in inputs.Build) (*published, error) {
	v, err := r.readView(ctx, cfg, store, reg, ch.Name)
	if err != nil {
		return nil, err
	}
	if cfg.Ledger.Kind == config.LedgerNone && v.hasHead && v.currentLock == l.Digest() && !in.Force {
		return &published{Digest: v.head.Digest, Ref: cfg.Registry + "@" + v.head.Digest, Version: v.head.Version,
			Reason: fmt.Sprintf("channel %s already holds this lock (%s) as %s", ch.Name, l.Digest(), v.head.Version)}, nil
	}
	req := publish.Request{Channel: ch.Name, Rule: versionRule(ch), Version: in.Version, Lock: l, Force: in.Force,
		Claim: newClaim(), Run: r.RunURL(), Known: v.registryKnown}
	doc := v.doc
	for attempt := 1; ; attempt++ {
		dec, err := publish.Decide(doc, req)
		if err != nil {
			return nil, publishError(cfg, ch, err)
		}
		if dec.Kind != publish.Publish || in.DryRun {
			return r.settle(ctx, cfg, ch, store, reg, doc, l, in, dec)
		}
		digest, err := r.pushChecked(ctx, cfg, ch, store, reg, l, files, in, dec.Version, replacedHead(cfg, doc, ch))
		if errors.Is(err, publish.ErrVersionMoved) && attempt < maxClaimAttempts {
			if doc, err = r.rereadLedger(ctx, store); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		meta := ledger.Message{Actor: r.Getenv("GITHUB_ACTOR"), Run: r.RunURL(),
			What: fmt.Sprintf("publish %s %s into channel %s (%s)", cfg.Product, dec.Version, ch.Name, digest)}
		rec := publish.Bundle{Digest: digest, Mode: ledger.ModeArtifact, ArtifactType: bundle.ArtifactType, Actor: meta.Actor,
			Tags: r.viewTags(l, in), Now: r.Deps.Now().UTC()}
		if in.Image != "" {
			rec.Mode = ledger.ModeImage
		}
		var claimed publish.Decision
		doc, err = store.Update(ctx, meta, func(d *ledger.Document) (err error) {
			claimed, err = publish.Claim(d, req, dec.Version, rec)
			return err
		})
		if errors.Is(err, publish.ErrVersionMoved) && attempt < maxClaimAttempts {
			if doc, err = r.rereadLedger(ctx, store); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("claiming %s in the ledger: %w", dec.Version, publishError(cfg, ch, err))
		}
		if claimed.Kind != publish.Publish {
			return r.settle(ctx, cfg, ch, store, reg, doc, l, in, claimed)
		}
		if claimed.Own {
			digest = claimed.Bundle.Digest // an earlier answer of this very write was lost
		}
		if r.OnClaim != nil {
			r.OnClaim(claimed.Replaces.Digest, replacedLock(doc, claimed.Replaces.Version), digest)
		}
		return r.publishClaimed(ctx, cfg, ch, store, reg, l, in, claimed, digest)
	}
}

// replacedHead is the digest of the bundle a publish into ch will most
// likely replace (its lock is read with the push, for "what changed"): the
// channel's head, when the ledger holds it as an artifact.
func replacedHead(cfg *config.Config, doc *ledger.Document, ch config.Channel) string {
	if cfg.Ledger.Kind == config.LedgerNone {
		return ""
	}
	if h, ok := doc.Head(ledger.ChannelStream(ch.Name)); ok {
		if b, ok := doc.Bundle(h.Version); ok && b.Mode == ledger.ModeArtifact {
			return h.Digest
		}
	}
	return ""
}

// versionRule is the channel's version rule for the pure packages.
func versionRule(ch config.Channel) channel.VersionRule {
	return channel.VersionRule{Prerelease: ch.Version.Prerelease, From: ch.Version.From, Bump: ch.Version.Bump}
}

// rereadLedger waits a random moment (racing jobs fall out of step) and
// reads the ledger again.
func (r *run) rereadLedger(ctx context.Context, store ledger.Store) (*ledger.Document, error) {
	if err := r.jitter(ctx); err != nil {
		return nil, err
	}
	doc, err := store.Read(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the ledger: %w", err)
	}
	return doc, nil
}

// publishError points a decision's error at the config rule behind it.
func publishError(cfg *config.Config, ch config.Channel, err error) error {
	var taken *publish.TakenError
	var down *publish.DownError
	switch {
	case errors.As(err, &taken):
		return versionTaken(cfg, ch, taken.Version, taken.Theirs)
	case errors.As(err, &down):
		return session.At(cfg, "channels."+ch.Name+".version", err)
	}
	return err
}

// settle answers a publish that publishes nothing: a dry run, a lock the
// ledger already holds (finished: its tags put right), or a superseded one.
func (r *run) settle(ctx context.Context, cfg *config.Config, ch config.Channel, store ledger.Store, reg *oci.Client, doc *ledger.Document, l lock.Lock, in inputs.Build, dec publish.Decision) (*published, error) {
	switch {
	case in.DryRun && dec.Kind == publish.Publish:
		return &published{Version: dec.Version, PassedOver: dec.PassedOver, Reason: "dry run: nothing pushed, claimed or tagged"}, nil
	case dec.Kind == publish.Retired:
		// retired (ladder retire): nothing written, the reason names when and why
		r.Act.Infof("build-bundle: nothing published: %s", dec.Reason)
		return &published{Reason: dec.Reason}, nil
	case dec.Kind == publish.Superseded:
		// nothing of this lock is published: the outputs stay empty, the
		// reason names the head
		return &published{Reason: dec.Reason, Superseded: true}, nil
	case in.DryRun:
		b := dec.Bundle
		return &published{Digest: b.Digest, Ref: cfg.Registry + "@" + b.Digest, Version: b.Version, Reason: dec.Reason}, nil
	}
	return r.finish(ctx, cfg, ch, store, reg, doc, l, in, dec.Bundle, dec.Reason)
}

// publishClaimed makes the registry follow the claim: tags, the lock
// attached in image mode, the channel tag converged, retention.
func (r *run) publishClaimed(ctx context.Context, cfg *config.Config, ch config.Channel, store ledger.Store, reg *oci.Client, l lock.Lock, in inputs.Build, dec publish.Decision, digest string) (*published, error) {
	var err error
	res := &published{Published: true, Digest: digest, Ref: cfg.Registry + "@" + digest, Version: dec.Version,
		Replaces: dec.Replaces.Version, ReplacesDigest: dec.Replaces.Digest, PassedOver: dec.PassedOver}
	if res.Tags, err = r.tagBundle(ctx, cfg, reg, ch.Name, l, dec.Version, digest, in); err != nil {
		return nil, err
	}
	if in.Image != "" {
		if _, err := reg.Attach(ctx, cfg.Registry+"@"+digest, l.JSON(), r.lockAnnotations(l, dec.Version)); err != nil {
			return nil, fmt.Errorf("attaching the lock to %s: %w", in.Image, err)
		}
	}
	if err := r.converge(ctx, cfg, store, reg, ch.Name, false, digest); err != nil {
		return nil, err
	}
	if res.Deleted, err = r.retain(ctx, cfg, ch, store, reg, nil, dec.Version, false); err != nil {
		return nil, err
	}
	if cur, err := store.Read(ctx); err == nil {
		res.ReplacesLock = replacedLock(cur, res.Replaces)
		if g, err := cur.Graph(ledger.ChannelStream(ch.Name)); err == nil {
			res.Graph = g.Mermaid(20)
		}
	}
	return res, nil
}

// lockAnnotations are the bundle's annotations for l published as version.
func (r *run) lockAnnotations(l lock.Lock, version string) map[string]string {
	info := r.bundleInfo(l, version)
	info.Created = l.Created
	return bundle.Annotations(info)
}

// staleRounds bounds how often pushChecked reads the ledger again when the
// registry shows a version tag on a bundle of this product that the ledger
// read does not hold (a stale read: GitHub's contents API can answer an older
// file for a while after another job's write).
const staleRounds = 20

// pushChecked pushes the manifest for version and, at the same time, reads
// the version tag: a version tag never moves. Another digest under it is
// another job's claim (publish.ErrVersionMoved: decide again on the fresh
// ledger, which holds it), a stale ledger read (waited out, then "stale
// ledger read; rerun"), or a tag ladder did not write (refused). The lock of
// replaced (a digest, or ""), the bundle this one will most likely replace,
// is read meanwhile too, for "What changed" after the claim (onClaim): its
// two requests overlap the push's three round trips instead of following
// the claim.
func (r *run) pushChecked(ctx context.Context, cfg *config.Config, ch config.Channel, store ledger.Store, reg *oci.Client, l lock.Lock, files []oci.File, in inputs.Build, version, replaced string) (string, error) {
	vt := channel.VersionTag(version)
	type headResult struct {
		digest string
		err    error
	}
	occupant := make(chan headResult, 1)
	go func() {
		d, err := r.tagDigest(ctx, cfg, reg, vt)
		occupant <- headResult{d, err}
	}()
	prefetched := make(chan struct{})
	go func() {
		defer close(prefetched)
		if replaced != "" {
			_, _ = reg.ReadLock(ctx, cfg.Registry+"@"+replaced) // read again, and reported, by bundleChanges
		}
	}()
	digest, err := r.pushManifest(ctx, cfg, reg, l, files, r.lockAnnotations(l, version), in.Image)
	occ := <-occupant
	<-prefetched
	switch {
	case err != nil:
		return "", err
	case occ.err != nil:
		return "", occ.err
	case occ.digest == "" || occ.digest == digest || cfg.Ledger.Kind == config.LedgerNone && in.Version == "":
		return digest, nil
	}
	refuse := fmt.Errorf("version %s is already published as %s in the registry; refusing to move it to %s", version, occ.digest, digest)
	if cfg.Ledger.Kind == config.LedgerNone {
		return "", refuse
	}
	for round := 0; ; round++ {
		doc, err := store.Read(ctx)
		if err != nil {
			return "", fmt.Errorf("reading the ledger: %w", err)
		}
		if b, held := doc.Bundle(version); held && b.Digest == occ.digest {
			return "", publish.ErrVersionMoved // another job's claim: decide again
		} else if held {
			return "", fmt.Errorf("version %s is %s in the ledger but %s in the registry; a version tag is never moved: repair the registry by hand", version, b.Digest, occ.digest)
		}
		if round == 0 {
			vs, err := r.bundleVersions(ctx, cfg, reg, vt, occ.digest)
			if err != nil {
				return "", err
			}
			if !slices.Contains(vs, version) {
				return "", refuse // not ladder's: never overwritten
			}
		}
		if round == staleRounds {
			return "", fmt.Errorf("version %s is tagged in the registry on %s, a bundle of %s that the ledger does not hold after %d reads: stale ledger read; rerun", version, occ.digest, cfg.Product, staleRounds)
		}
		if err := r.jitter(ctx); err != nil {
			return "", err
		}
	}
}

// versionTaken: the channel's version rule gives, on the fresh ledger, a
// version another digest already holds. Computing it again gives the same
// version, so no retry can help; the error points at the rule in the config.
func versionTaken(cfg *config.Config, ch config.Channel, version, theirs string) error {
	field := "channels." + ch.Name + ".version"
	var why, way string
	switch {
	case ch.Version.From != "":
		field += ".from"
		why = fmt.Sprintf("it is component %s's version, so this lock gives it again", ch.Version.From)
		way = fmt.Sprintf("release a new version of %s, or give the input version", ch.Version.From)
	case ch.Version.Bump != "":
		field += ".bump"
		why = "it is the channel's highest release plus one " + ch.Version.Bump + ", and the version was published outside this channel"
		way = "give the input version"
	default:
		field += ".prerelease"
		why = "it is made from this lock, so it comes out the same again"
		way = "give the input version"
	}
	return session.At(cfg, field, fmt.Errorf("version %s is already published as %s; refusing to publish this run's bundle under it (a version never moves): %s gives %s (%s); %s",
		version, theirs, field, version, why, way))
}

// reattach attaches the lock to the image again in image mode, when a rerun
// finds the publish already in the ledger: a run that stopped before
// attaching is finished this way (attaching is idempotent).
func (r *run) reattach(ctx context.Context, cfg *config.Config, reg *oci.Client, l lock.Lock, in inputs.Build, digest, version string) error {
	if in.Image == "" || digest == "" {
		return nil
	}
	if _, err := reg.Attach(ctx, cfg.Registry+"@"+digest, l.JSON(), r.lockAnnotations(l, version)); err != nil {
		return fmt.Errorf("attaching the lock to %s: %w", in.Image, err)
	}
	return nil
}

// ensureIDTag, in image mode, puts the composite id tag back on the
// ledger's bundle of this lock when the ledger already held it: the image
// enters the repository under that tag before the claim, so a job that lost
// the claim to another job's image of the same lock (a build is not always
// reproducible), or stopped before claiming, left it on an image the ledger
// does not know.
func (r *run) ensureIDTag(ctx context.Context, cfg *config.Config, reg *oci.Client, l lock.Lock, in inputs.Build, digest string) error {
	if in.Image == "" || digest == "" {
		return nil
	}
	id := l.CompositeID()
	cur, err := r.tagDigest(ctx, cfg, reg, id)
	if err != nil || cur == digest {
		return err
	}
	if err := reg.Tag(ctx, cfg.Registry, digest, id); err != nil {
		return fmt.Errorf("putting tag %s back on the ledger's bundle of this lock: %w", id, err)
	}
	return nil
}

// pushManifest pushes the bundle by digest (artifact mode) or, in image mode,
// copies the image into the product's repository by manifest only.
func (r *run) pushManifest(ctx context.Context, cfg *config.Config, reg *oci.Client, l lock.Lock, files []oci.File, annotations map[string]string, image string) (string, error) {
	if image != "" {
		// The image enters the product's repository under the composite id
		// (a mutable view of this lock); its version tag follows the claim.
		d, err := reg.TagImage(ctx, image, cfg.Registry, l.CompositeID())
		if err != nil {
			return "", fmt.Errorf("input image %s: %w", image, err)
		}
		return d.Digest, nil
	}
	d, err := reg.PushBundle(ctx, cfg.Registry, oci.Bundle{ArtifactType: bundle.ArtifactType, Config: l.JSON(), ConfigMediaType: bundle.LockMediaType,
		Files: files, Annotations: annotations})
	if err != nil {
		return "", fmt.Errorf("pushing the bundle: %w", err)
	}
	return d, nil
}

// tagBundle writes the version tag (publish checked, before the claim, that
// no other digest holds it: a version tag never moves), then the mutable views: the composite id, sha-…
// of the workflow's commit, and the extra tags. The channel tag is written by
// converge, from the ledger.
func (r *run) tagBundle(ctx context.Context, cfg *config.Config, reg *oci.Client, ch string, l lock.Lock, version, digest string, in inputs.Build) ([]string, error) {
	unique := uniqueTags(append([]string{channel.VersionTag(version), ch}, r.viewTags(l, in)...))
	// All at once: the ledger already holds this bundle at the channel's
	// head, so the channel tag is written with the others; converge then
	// re-checks it against the ledger (another job may have published since).
	err := fanout.Each(ctx, len(unique), maxConcurrentTags, func(ctx context.Context, i int) error {
		t := unique[i]
		if t == ch && cfg.Ledger.Kind == config.LedgerNone {
			return nil // written below, after the others
		}
		if err := reg.Tag(ctx, cfg.Registry, digest, t); err != nil {
			return fmt.Errorf("tagging %s: %w", t, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if cfg.Ledger.Kind == config.LedgerNone {
		if err := reg.Tag(ctx, cfg.Registry, digest, ch); err != nil {
			return nil, fmt.Errorf("tagging %s: %w", ch, err)
		}
	}
	return unique, nil
}

// viewTags are the mutable views a publish writes besides the version and
// channel tags: the composite id, sha-… of the workflow's commit, and the
// extra tags.
func (r *run) viewTags(l lock.Lock, in inputs.Build) []string {
	tags := []string{l.CompositeID()}
	if sha := r.Getenv("GITHUB_SHA"); len(sha) >= 7 {
		tags = append(tags, "sha-"+lock.Short(sha))
	}
	return append(tags, in.ExtraTags...)
}

// uniqueTags drops repeated tags, keeping the first of each.
func uniqueTags(tags []string) []string {
	var unique []string
	seen := map[string]bool{}
	for _, t := range tags {
		if !seen[t] {
			seen[t] = true
			unique = append(unique, t)
		}
	}
	return unique
}

// finish completes a publish the ledger already holds as bundle b (this
// lock): a rerun of a run that stopped after its claim, or a job that met
// another job's publish of the same lock. The registry is made to agree
// with the ledger: b's version tag is restored when missing (never moved);
// when b was published by this very workflow run (a rerun keeps the run
// id), the views that run would have written (composite id, sha-…, extra
// tags) are written too where they are missing or still on an older bundle
// (a HEAD each); the channel tag converges on the ledger's head;
// image mode attaches the lock again; retention runs, and deletes again the
// tags of deletions this run recorded (a stop between recording one and
// deleting its tag). The outputs name b, this lock's bundle, whatever the
// channel's head is now.
func (r *run) finish(ctx context.Context, cfg *config.Config, ch config.Channel, store ledger.Store, reg *oci.Client, doc *ledger.Document, l lock.Lock, in inputs.Build, b ledger.Bundle, reason string) (*published, error) {
	res := &published{Digest: b.Digest, Ref: cfg.Registry + "@" + b.Digest, Version: b.Version, Reason: reason, Tags: []string{}}
	if h, ok := doc.Head(ledger.ChannelStream(ch.Name)); (!ok || h.Digest != b.Digest) && !doc.Deleted(b.Version) {
		// (the head's version tag: converge below)
		if err := r.ensureVersionTag(ctx, cfg, reg, b.Version, b.Digest); err != nil {
			return nil, err
		}
	}
	if b.Run == r.RunURL() && !doc.Deleted(b.Version) { // a tag retention deleted never comes back
		views := uniqueTags(r.viewTags(l, in))
		if in.Image != "" {
			views = views[1:] // the composite id: ensureIDTag below
		}
		order := map[string]int{} // digest -> when the ledger got it
		for i, x := range doc.Bundles {
			if _, ok := order[x.Digest]; !ok {
				order[x.Digest] = i
			}
		}
		wrote := make([]bool, len(views))
		err := fanout.Each(ctx, len(views), maxConcurrentTags, func(ctx context.Context, i int) error {
			cur, err := r.tagDigest(ctx, cfg, reg, views[i])
			if err != nil {
				return err
			}
			// missing, or on a bundle published before b: this run's write,
			// late; anything else (a newer bundle, or one this ledger read
			// does not know yet) stays
			if before, ok := order[cur]; cur != "" && (!ok || before >= order[b.Digest]) {
				return nil
			}
			if err := reg.Tag(ctx, cfg.Registry, b.Digest, views[i]); err != nil {
				return fmt.Errorf("tagging %s: %w", views[i], err)
			}
			wrote[i] = true
			return nil
		})
		if err != nil {
			return nil, err
		}
		for i, t := range views {
			if wrote[i] {
				res.Tags = append(res.Tags, t)
			}
		}
	}
	if err := r.converge(ctx, cfg, store, reg, ch.Name, true, ""); err != nil {
		return nil, err
	}
	if !doc.Deleted(b.Version) { // a bundle retention deleted gets no tag back
		if err := r.reattach(ctx, cfg, reg, l, in, b.Digest, b.Version); err != nil {
			return nil, err
		}
		if err := r.ensureIDTag(ctx, cfg, reg, l, in, b.Digest); err != nil {
			return nil, err
		}
	}
	var err error
	// retention reads the ledger again (nil): the read this run started from
	// may be stale (GitHub serves an older file for a while), and a deletion
	// it did not show must take away the tags just written
	if res.Deleted, err = r.retain(ctx, cfg, ch, store, reg, nil, b.Version, true); err != nil {
		return nil, err
	}
	return res, nil
}

// converge makes the channel's tag follow the ledger (convergeTags). wrote
// is the digest this run has just written to that tag itself, if any;
// checkVersion also restores the head's version tag when the registry lacks
// it (a rerun after a stop between the ledger write and the tags).
func (r *run) converge(ctx context.Context, cfg *config.Config, store ledger.Store, reg *oci.Client, ch string, checkVersion bool, wrote string) error {
	if cfg.Ledger.Kind == config.LedgerNone {
		return nil
	}
	if checkVersion {
		doc, err := store.Read(ctx)
		if err != nil {
			return fmt.Errorf("reading the ledger: %w", err)
		}
		if h, ok := doc.Head(ledger.ChannelStream(ch)); ok {
			if err := r.ensureVersionTag(ctx, cfg, reg, h.Version, h.Digest); err != nil {
				return err
			}
		}
	}
	var known map[string]string
	if wrote != "" {
		known = map[string]string{ch: wrote}
	}
	return r.convergeTags(ctx, cfg, store, reg, channelTag(ch), known)
}

// ensureVersionTag writes the version tag of a bundle the ledger holds when
// the registry lacks it (a run that stopped between the ledger write and the
// tags), and refuses a version tag that names another digest.
func (r *run) ensureVersionTag(ctx context.Context, cfg *config.Config, reg *oci.Client, version, digest string) error {
	vt := channel.VersionTag(version)
	cur, err := r.tagDigest(ctx, cfg, reg, vt)
	switch {
	case err != nil:
		return err
	case cur == "":
		if err := reg.Tag(ctx, cfg.Registry, digest, vt); err != nil {
			return fmt.Errorf("restoring version tag %s: %w", vt, err)
		}
	case cur != digest:
		return fmt.Errorf("version %s is %s in the ledger but %s in the registry; a version tag is never moved: repair the registry by hand", version, digest, cur)
	}
	return nil
}

// retain applies the channel's retention: with keep: N, the channel's
// bundles older than the last N are deleted, except one that any channel or
// label (or a label's previous value) still points at; each deletion is
// recorded in the ledger, then the bundle loses its version tag and the
// views its publish wrote (deleteViews), so that no tag is left on it and
// the registry's garbage collection can reclaim it. doc is a ledger read to
// start from (nil: read it). own is the version this run published or found:
// when the ledger records it deleted (another job's retention deleted its
// tags before this run wrote them), its tags go again. With sweep (a run
// finishing an earlier attempt), so do the tags of deletions this workflow
// run recorded before (a stop between recording a deletion and deleting its
// tags).
func (r *run) retain(ctx context.Context, cfg *config.Config, ch config.Channel, store ledger.Store, reg *oci.Client, doc *ledger.Document, own string, sweep bool) ([]string, error) {
	if ch.Retention.All || ch.Retention.Keep <= 0 || cfg.Ledger.Kind == config.LedgerNone {
		return nil, nil
	}
	if doc == nil {
		var err error
		if doc, err = store.Read(ctx); err != nil {
			return nil, fmt.Errorf("reading the ledger: %w", err)
		}
	}
	for _, b := range publish.Redo(doc, ch.Name, own, r.RunURL(), sweep) {
		if err := reg.DeleteTag(ctx, cfg.Registry, channel.VersionTag(b.Version)); err != nil {
			return nil, fmt.Errorf("retention: the ledger records %s as deleted, but deleting its tag failed (delete it by hand): %w", b.Version, err)
		}
		if err := r.deleteViews(ctx, cfg, reg, doc, b); err != nil {
			return nil, err
		}
	}
	victims := publish.RetentionVictims(doc, ch.Name, ch.Retention.Keep)
	var deleted []string
	// The ledger decides first: each deletion is recorded with
	// compare-and-swap after checking again, on the fresh ledger, that nothing
	// points at the bundle now (a label may have moved onto it since); only
	// then is the tag deleted. A tag that fails to go stays behind, recorded
	// as deleted: never the other way round.
	for _, b := range victims {
		reason := fmt.Sprintf("retention keep %d of channel %s", ch.Retention.Keep, ch.Name)
		stillVictim := false
		del := ledger.Deletion{Version: b.Version, Digest: b.Digest, At: r.Deps.Now().UTC(), Reason: reason, Run: r.RunURL()}
		cur, err := store.Update(ctx, ledger.Message{What: "retention: delete " + b.Version, Actor: r.Getenv("GITHUB_ACTOR"), Run: r.RunURL()}, func(d *ledger.Document) (err error) {
			stillVictim, err = publish.RecordDeletion(d, ch.Name, ch.Retention.Keep, del)
			return err
		})
		if err != nil {
			return deleted, fmt.Errorf("retention: recording the deletion of %s: %w", b.Version, err)
		}
		if !stillVictim {
			continue
		}
		if err := reg.DeleteTag(ctx, cfg.Registry, channel.VersionTag(b.Version)); err != nil {
			return deleted, fmt.Errorf("retention: the ledger records %s as deleted, but deleting its tag failed (delete it by hand): %w", b.Version, err)
		}
		if err := r.deleteViews(ctx, cfg, reg, cur, b); err != nil {
			return deleted, err
		}
		deleted = append(deleted, b.Version)
	}
	return deleted, nil
}

// deleteViews deletes the mutable views of b, a bundle the ledger doc
// records as deleted: the tags its publish wrote besides the version and
// channel (b.Tags: the composite id, sha-…, the extra tags), or, for a
// bundle recorded before the ledger kept them, its composite id. A view is
// deleted only while it still names b's digest (one HEAD each): a composite
// id may have moved to a newer bundle of the same lock, a sha- tag to a
// newer publish of the same commit, an extra tag anywhere; a tag that names
// another bundle stays. An image published under several versions is one
// digest: the views of its versions deleted before go with b's, and a view
// that a version the ledger keeps also wrote stays. (A registry has no
// conditional delete: a view moved onto another bundle between the HEAD and
// the DELETE is lost, and its publisher's rerun writes it again.)
func (r *run) deleteViews(ctx context.Context, cfg *config.Config, reg *oci.Client, doc *ledger.Document, b ledger.Bundle) error {
	views := publish.DeletedViews(doc, b)
	return fanout.Each(ctx, len(views), maxConcurrentTags, func(ctx context.Context, i int) error {
		t := views[i]
		cur, err := r.tagDigest(ctx, cfg, reg, t)
		if err != nil {
			return fmt.Errorf("retention: the ledger records %s as deleted: %w", b.Version, err)
		}
		if cur != b.Digest {
			return nil // gone already, or another bundle's now
		}
		if err := reg.DeleteTag(ctx, cfg.Registry, t); err != nil {
			return fmt.Errorf("retention: the ledger records %s as deleted, but deleting its tag %s failed (delete it by hand): %w", b.Version, t, err)
		}
		return nil
	})
}

// runURL is the URL of the workflow run, for the ledger's audit trail.
func (r *run) runURL() string { return r.Act.Env().RunURL() }

// newClaim is a random token that names one publish attempt in the ledger.
func newClaim() string {
	var b [8]byte
	if _, err := crand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return hex.EncodeToString(b[:])
}
