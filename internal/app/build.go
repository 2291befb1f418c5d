package app

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/ladder-release/ladder/internal/bundle"
	"github.com/ladder-release/ladder/internal/channel"
	"github.com/ladder-release/ladder/internal/config"
	"github.com/ladder-release/ladder/internal/ledger"
	"github.com/ladder-release/ladder/internal/lock"
	"github.com/ladder-release/ladder/internal/oci"
)

// maxClaimAttempts bounds how often build-bundle re-pushes a manifest because
// another job claimed the version it computed in the meantime. Between
// attempts it waits a random 20-100 ms, so racing jobs fall out of step
// instead of colliding again and again (8 jobs publishing at once: see
// TestConcurrentPublishers).
const maxClaimAttempts = 64

// errVersionMoved: the ledger changed so that the version rule now gives a
// different version; the manifest (whose annotations name the version) must
// be rebuilt.
var errVersionMoved = errors.New("version moved")

type buildInputs struct {
	channel   string
	lockFile  string
	files     []string
	image     string
	version   string
	extraTags []string
	force     bool
	dryRun    bool
}

// published is build-bundle's result.
type published struct {
	Published bool
	Digest    string
	Ref       string
	Version   string
	Tags      []string
	Replaces  string
	Reason    string // why nothing was published
	Deleted   []string
	Graph     string // mermaid of the channel's stream
}

// buildBundle: gather (inputs, lock, ledger view) -> decide (version rule,
// already published?) -> apply (push by digest, claim in the ledger, tag,
// converge, retention) -> outputs.
func buildBundle(ctx context.Context, r *run) error {
	sec, err := r.secrets()
	if err != nil {
		return err
	}
	in, err := r.buildInputs()
	if err != nil {
		return err
	}
	cfg, err := r.loadConfig()
	if err != nil {
		return err
	}
	ch, ok := cfg.Channel(in.channel)
	if !ok {
		return fmt.Errorf("input channel: %q is not a channel of %s", in.channel, cfg.File)
	}
	if err := refuseReservedTags(cfg, in.extraTags); err != nil {
		return err
	}
	if isDigest(in.image) {
		// a bare digest: that manifest in the product's own repository
		in.image = cfg.Registry + "@" + in.image
	}
	l, err := r.bundleLock(ctx, cfg, sec, ch, in)
	if err != nil {
		return err
	}
	files, err := r.readFiles(in.files)
	if err != nil {
		return err
	}
	reg, err := r.registry(cfg, sec)
	if err != nil {
		return err
	}
	store, err := r.ledgerStore(cfg, sec)
	if err != nil {
		return err
	}
	res, err := r.publish(ctx, cfg, ch, store, reg, l, files, in)
	if err != nil {
		return err
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
	}); err != nil {
		return err
	}
	return r.buildSummary(ch.Name, l, res, in.dryRun)
}

func (r *run) buildInputs() (buildInputs, error) {
	var in buildInputs
	var err error
	if in.channel, err = r.required("channel"); err != nil {
		return in, err
	}
	in.lockFile = r.input("lock-file")
	in.files = lines(r.input("files"))
	in.image = r.input("image")
	in.version = r.input("version")
	in.extraTags = lines(r.input("tags"))
	if in.force, err = r.act.BoolInput("force"); err != nil {
		return in, err
	}
	if in.dryRun, err = r.act.BoolInput("dry-run"); err != nil {
		return in, err
	}
	if in.version != "" {
		v, err := semver.StrictNewVersion(in.version)
		if err != nil {
			hint := ""
			if rest, ok := strings.CutPrefix(in.version, "v"); ok {
				if _, e := semver.StrictNewVersion(rest); e == nil {
					hint = " (drop the leading v)"
				}
			}
			return in, fmt.Errorf("input version: %q is not a semver version%s: %w", in.version, hint, err)
		}
		in.version = v.String()
	}
	for _, t := range in.extraTags {
		if !validTag(t) {
			return in, fmt.Errorf("input tags: %q is not a valid OCI tag ([A-Za-z0-9_][A-Za-z0-9._-]{0,127})", t)
		}
	}
	if strings.HasPrefix(in.image, "sha256:") && !isDigest(in.image) {
		return in, fmt.Errorf("input image: %q is not a digest: want sha256: and 64 lowercase hex digits (or an image reference such as REGISTRY/REPO:TAG or REPO@sha256:...)", in.image)
	}
	if in.image != "" && len(in.files) > 0 {
		return in, errors.New("inputs image and files: an image bundle carries the lock only; give one or the other")
	}
	return in, nil
}

// lines splits a multi-line input into its non-empty, trimmed lines.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// isDigest: d is a bare sha256 digest, "sha256:" and 64 lowercase hex digits.
func isDigest(d string) bool {
	h, ok := strings.CutPrefix(d, "sha256:")
	return ok && len(h) == 64 && strings.Trim(h, "0123456789abcdef") == ""
}

func validTag(t string) bool {
	if len(t) == 0 || len(t) > channel.MaxTag {
		return false
	}
	for i, c := range t {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || (i > 0 && (c == '.' || c == '-'))
		if !ok {
			return false
		}
	}
	return true
}

// bundleLock reads the lock file resolve-channel wrote, or resolves the
// channel when there is none.
func (r *run) bundleLock(ctx context.Context, cfg *config.Config, sec secrets, ch config.Channel, in buildInputs) (lock.Lock, error) {
	data, err := os.ReadFile(r.workspacePath(in.lockFile))
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
		return lock.Lock{}, fmt.Errorf("input lock-file %s: %w", in.lockFile, err)
	}
	if l.Product != cfg.Product {
		return lock.Lock{}, fmt.Errorf("input lock-file %s: product %q, but the config's product is %q", in.lockFile, l.Product, cfg.Product)
	}
	if l.Channel != "" && l.Channel != ch.Name {
		return lock.Lock{}, fmt.Errorf("input lock-file %s: resolved for channel %q, not %q", in.lockFile, l.Channel, ch.Name)
	}
	if err := lockMatchesConfig(cfg, l); err != nil {
		return lock.Lock{}, fmt.Errorf("input lock-file %s: %w", in.lockFile, err)
	}
	if err := r.lockCommitsExist(ctx, sec, l); err != nil {
		return lock.Lock{}, fmt.Errorf("input lock-file %s: %w", in.lockFile, err)
	}
	for i, c := range cfg.Constraints {
		if err := channel.CheckSameVersion(l, c.SameVersion); err != nil {
			return lock.Lock{}, at(cfg, fmt.Sprintf("constraints[%d]", i), err)
		}
	}
	l.Channel = ch.Name
	if l.Created.IsZero() {
		l.Created = r.deps.Now().UTC()
	}
	return l, nil
}

// lockMatchesConfig: the lock holds exactly the config's components, each
// from the same source. A lock is data a job hands to the next one; one
// naming another repository (a fork, or a path that redirects an API call)
// would carry, and have gates read, evidence of commits the config never
// named; one missing a component would publish a product without it.
func lockMatchesConfig(cfg *config.Config, l lock.Lock) error {
	for i, e := range l.Components {
		c, ok := cfg.Component(e.Name)
		switch {
		case !ok:
			return fmt.Errorf("components[%d]: component %q is not in %s", i, e.Name, cfg.File)
		case e.Repo != c.Repo:
			return fmt.Errorf("components[%d].repo (%s): %q, but %s says %q", i, e.Name, e.Repo, cfg.File, c.Repo)
		case e.Git != c.Git:
			return fmt.Errorf("components[%d].git (%s): %q, but %s says %q", i, e.Name, e.Git, cfg.File, c.Git)
		}
	}
	for _, c := range cfg.Components {
		if _, ok := l.Entry(c.Name); !ok {
			return fmt.Errorf("components: no entry for component %q of %s", c.Name, cfg.File)
		}
	}
	return nil
}

// readFiles expands the files globs (relative to the workspace) and reads
// every match. A pattern that matches nothing is an error: a bundle missing
// a file it was asked to carry is worse than no bundle. Nothing outside the
// workspace is read, whatever links it holds: a match whose path resolves
// outside it (a link to /proc/self/environ, or a glob through a linked
// directory) is refused, naming the link, and the files are read through an
// os.Root of the workspace, which refuses to follow a link out even if one
// appears after the check.
func (r *run) readFiles(patterns []string) ([]oci.File, error) {
	if len(patterns) == 0 {
		return nil, nil
	}
	base, err := filepath.Abs(r.workspacePath("."))
	if err != nil {
		return nil, fmt.Errorf("input files: the workspace: %w", err)
	}
	realBase, err := filepath.EvalSymlinks(base)
	if err != nil {
		return nil, fmt.Errorf("input files: the workspace: %w", err)
	}
	root, err := os.OpenRoot(realBase)
	if err != nil {
		return nil, fmt.Errorf("input files: the workspace: %w", err)
	}
	defer root.Close()
	seen := map[string]bool{}
	var out []oci.File
	for _, p := range patterns {
		matches, err := filepath.Glob(filepath.Join(base, p))
		if err != nil {
			return nil, fmt.Errorf("input files: pattern %q: %w", p, err)
		}
		found := 0
		for _, m := range matches {
			rel, err := filepath.Rel(base, m)
			if err != nil || !filepath.IsLocal(rel) {
				return nil, fmt.Errorf("input files: %s (matched by %q) is outside the workspace", m, p)
			}
			resolved, err := filepath.EvalSymlinks(m)
			if errors.Is(err, os.ErrNotExist) {
				continue // a dangling link: not a file
			}
			if err != nil {
				return nil, fmt.Errorf("input files: %w", err)
			}
			inside, err := filepath.Rel(realBase, resolved)
			if err != nil || !filepath.IsLocal(inside) {
				return nil, outsideError(p, base, realBase, rel, resolved)
			}
			title := path.Clean(filepath.ToSlash(rel))
			if seen[title] { // matched by an earlier pattern too
				found++
				continue
			}
			data, ok, err := readRegular(root, inside)
			if err != nil {
				return nil, fmt.Errorf("input files: %s: %w", title, err)
			}
			if !ok {
				continue // a directory, a device...
			}
			found++
			seen[title] = true
			out = append(out, oci.File{Path: title, Data: data, MediaType: bundle.FileMediaType})
		}
		if found == 0 {
			return nil, fmt.Errorf("input files: pattern %q matched no file under %s", p, base)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// publish claims a version in the ledger for the lock and makes the registry
// match. The manifest is pushed by digest before the claim (content
// addressed, so a lost race leaves only an untagged manifest behind); the
// claim is a compare-and-swap write that re-checks the version rule against
// the fresh ledger; tags follow the ledger.
func (r *run) publish(ctx context.Context, cfg *config.Config, ch config.Channel, store ledger.Store, reg *oci.Client, l lock.Lock, files []oci.File, in buildInputs) (*published, error) {
	stream := ledger.ChannelStream(ch.Name)
	v, err := r.readView(ctx, cfg, store, reg, ch.Name)
	if err != nil {
		return nil, err
	}
	if v.hasHead && v.currentLock == l.Digest() && !in.force {
		reason := fmt.Sprintf("channel %s already holds this lock (%s) as %s", ch.Name, l.Digest(), v.head.Version)
		b, ok := v.doc.BundleByDigest(v.head.Digest)
		if in.dryRun || cfg.Ledger.Kind == config.LedgerNone || !ok {
			return &published{Digest: v.head.Digest, Ref: cfg.Registry + "@" + v.head.Digest, Version: v.head.Version, Reason: reason}, nil
		}
		// a rerun after a stop between the ledger write and the tags finishes the job
		return r.finish(ctx, cfg, ch, store, reg, v.doc, l, in, b, reason)
	}
	doc := v.doc
	meta := ledger.Message{Actor: r.getenv("GITHUB_ACTOR"), Run: r.runURL()}
	for attempt := 1; ; attempt++ {
		version := in.version
		if version == "" {
			if version, err = r.nextVersion(cfg, ch, l, v.knownIn(doc, ch.Name)); err != nil {
				return nil, err
			}
		}
		info := r.bundleInfo(l, version)
		info.Created = l.Created
		annotations := bundle.Annotations(info)
		if in.dryRun {
			return &published{Version: version, Reason: "dry run: nothing pushed, claimed or tagged"}, nil
		}
		// Whether the registry already has a tag under this version is asked
		// while the manifest is pushed: a tag someone else wrote there is
		// refused before anything is claimed.
		type headResult struct {
			digest string
			err    error
		}
		vt := channel.VersionTag(version)
		occupant := make(chan headResult, 1)
		go func() {
			d, err := r.tagDigest(ctx, cfg, reg, vt)
			occupant <- headResult{d, err}
		}()
		digest, err := r.pushManifest(ctx, cfg, reg, l, files, annotations, in.image)
		occ := <-occupant
		if err != nil {
			return nil, err
		}
		switch {
		case occ.err != nil:
			return nil, occ.err
		case occ.digest != "" && occ.digest != digest:
			// Another job may have claimed and tagged it since this run read the
			// ledger: then the version moved. A tag the ledger knows nothing of
			// was written by someone else, and is never overwritten.
			if doc, err = store.Read(ctx); err != nil {
				return nil, fmt.Errorf("reading the ledger: %w", err)
			}
			b, claimed := doc.Bundle(version)
			if !claimed || b.Digest != occ.digest || in.version != "" {
				return nil, fmt.Errorf("version %s is already published as %s in the registry; refusing to move it to %s", version, occ.digest, digest)
			}
			// Retrying helps only when the rule, on the fresh ledger, gives
			// another version (bump: the next one); from: and a prerelease
			// give this one again, however often they are asked.
			again, err := r.nextVersion(cfg, ch, l, v.knownIn(doc, ch.Name))
			if err != nil {
				return nil, err
			}
			if again != version && attempt < maxClaimAttempts {
				if err := r.jitter(ctx); err != nil {
					return nil, err
				}
				continue
			}
			if again == version && b.LockDigest != l.Digest() {
				return nil, versionTaken(cfg, ch, version, b.Digest, digest)
			}
			if again != version {
				return nil, fmt.Errorf("version %s is already published as %s in the registry; refusing to move it to %s (gave up after %d attempts: other jobs kept claiming the next version first)", version, occ.digest, digest, attempt)
			}
			// this very lock, published by another job under this version
			// (another build of it): the claim below finds it in the ledger
		}
		var replaces ledger.Entry
		var already bool
		var mine ledger.Bundle // with already: the ledger's bundle of this lock
		var takenBy string
		meta.What = fmt.Sprintf("publish %s %s into channel %s (%s)", cfg.Product, version, ch.Name, digest)
		claim := newClaim()
		doc, err = store.Update(ctx, meta, func(d *ledger.Document) error {
			replaces, already, takenBy = ledger.Entry{}, false, ""
			// This very claim, already in the ledger: a write whose answer was
			// lost, retried, and met as a conflict. It is this run's publish.
			for _, e := range d.Stream(stream) {
				if e.Claim == claim {
					replaces = ledger.Entry{Version: e.PreviousVersion, Digest: e.PreviousDigest}
					return ledger.ErrNoChange
				}
			}
			if in.version == "" {
				again, err := r.nextVersion(cfg, ch, l, v.knownIn(d, ch.Name))
				if err != nil {
					return err
				}
				if again != version {
					return errVersionMoved
				}
			}
			if h, ok := d.Head(stream); ok {
				if b, ok := d.BundleByDigest(h.Digest); ok && b.LockDigest == l.Digest() && !in.force {
					already, mine = true, b // another job published this lock meanwhile
					return ledger.ErrNoChange
				}
				replaces = h
			}
			mode := ledger.ModeArtifact
			if in.image != "" {
				mode = ledger.ModeImage
			}
			if err := d.AddBundle(ledger.Bundle{Version: version, Digest: digest, LockDigest: l.Digest(), ID: l.CompositeID(),
				Channel: ch.Name, Created: r.deps.Now().UTC(), Actor: meta.Actor, Run: meta.Run, ArtifactType: bundle.ArtifactType, Mode: mode}); errors.Is(err, ledger.ErrAlreadyPublished) {
				// that version already holds this digest (this lock, claimed
				// by a run that may have stopped before its tags): nothing to
				// publish, nothing appended
				already, mine = true, ledger.Bundle{}
				if b, ok := d.Bundle(version); ok {
					mine = b
				}
				return ledger.ErrNoChange
			} else if errors.Is(err, ledger.ErrVersionTaken) && in.version == "" {
				// the rule gives, on this fresh ledger, a version another digest holds
				if b, ok := d.Bundle(version); ok {
					takenBy = b.Digest
				}
				return err
			} else if err != nil {
				return err // the version is taken by another digest (an explicit version), named in the error
			}
			e := ledger.Entry{Version: version, Digest: digest, At: r.deps.Now().UTC(), Actor: meta.Actor, Run: meta.Run,
				Decision: "published", Forced: in.force, PreviousVersion: replaces.Version, PreviousDigest: replaces.Digest, Claim: claim}
			if err := d.Append(stream, e); err != nil {
				return err
			}
			if _, err := d.Graph(stream); err != nil {
				return fmt.Errorf("the upgrade graph of %s would be invalid: %w", stream, err)
			}
			return nil
		})
		if errors.Is(err, errVersionMoved) && attempt < maxClaimAttempts {
			if err := r.jitter(ctx); err != nil {
				return nil, err
			}
			if doc, err = store.Read(ctx); err != nil {
				return nil, fmt.Errorf("reading the ledger: %w", err)
			}
			continue
		}
		if takenBy != "" && errors.Is(err, ledger.ErrVersionTaken) {
			return nil, versionTaken(cfg, ch, version, takenBy, digest)
		}
		if err != nil {
			return nil, fmt.Errorf("claiming %s in the ledger: %w", version, err)
		}
		if already {
			reason := fmt.Sprintf("channel %s already holds this lock as %s", ch.Name, mine.Version)
			if h, ok := doc.Head(stream); !ok || h.Digest != mine.Digest {
				reason = fmt.Sprintf("this lock is already published as %s in channel %s (its head is now %s)", mine.Version, ch.Name, h.Version)
			}
			return r.finish(ctx, cfg, ch, store, reg, doc, l, in, mine, reason)
		}
		res := &published{Published: true, Digest: digest, Ref: cfg.Registry + "@" + digest, Version: version, Replaces: replaces.Version}
		if res.Tags, err = r.tagBundle(ctx, cfg, reg, ch.Name, l, version, digest, in); err != nil {
			return nil, err
		}
		if in.image != "" {
			if _, err := reg.Attach(ctx, cfg.Registry+"@"+digest, l.JSON(), annotations); err != nil {
				return nil, fmt.Errorf("attaching the lock to %s: %w", in.image, err)
			}
		}
		if err := r.converge(ctx, cfg, store, reg, ch.Name, false, digest); err != nil {
			return nil, err
		}
		if res.Deleted, err = r.retain(ctx, cfg, ch, store, reg, nil, version, false); err != nil {
			return nil, err
		}
		if cur, err := store.Read(ctx); err == nil {
			if g, err := cur.Graph(stream); err == nil {
				res.Graph = g.Mermaid(20)
			}
		}
		return res, nil
	}
}

// versionTaken: the channel's version rule gives, on the fresh ledger, a
// version another digest already holds. Computing it again gives the same
// version, so no retry can help; the error points at the rule in the config.
func versionTaken(cfg *config.Config, ch config.Channel, version, theirs, ours string) error {
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
	return at(cfg, field, fmt.Errorf("version %s is already published as %s; refusing to publish this run's bundle %s under it (a version never moves): %s gives %s (%s); %s",
		version, theirs, ours, field, version, why, way))
}

// reattach attaches the lock to the image again in image mode, when a rerun
// finds the publish already in the ledger: a run that stopped before
// attaching is finished this way (attaching is idempotent).
func (r *run) reattach(ctx context.Context, cfg *config.Config, reg *oci.Client, l lock.Lock, in buildInputs, digest, version string) error {
	if in.image == "" || digest == "" {
		return nil
	}
	info := r.bundleInfo(l, version)
	info.Created = l.Created
	if _, err := reg.Attach(ctx, cfg.Registry+"@"+digest, l.JSON(), bundle.Annotations(info)); err != nil {
		return fmt.Errorf("attaching the lock to %s: %w", in.image, err)
	}
	return nil
}

// ensureIDTag, in image mode, puts the composite id tag back on the
// ledger's bundle of this lock when the ledger already held it: the image
// enters the repository under that tag before the claim, so a job that lost
// the claim to another job's image of the same lock (a build is not always
// reproducible), or stopped before claiming, left it on an image the ledger
// does not know.
func (r *run) ensureIDTag(ctx context.Context, cfg *config.Config, reg *oci.Client, l lock.Lock, in buildInputs, digest string) error {
	if in.image == "" || digest == "" {
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
	// The lock's bytes carry its resolution time, so they are new to the
	// registry in all but a rerun: FreshConfig opens their upload session
	// while their absence is checked.
	d, err := reg.PushBundle(ctx, cfg.Registry, oci.Bundle{ArtifactType: bundle.ArtifactType, Config: l.JSON(), ConfigMediaType: bundle.LockMediaType,
		Files: files, Annotations: annotations, FreshConfig: true})
	if err != nil {
		return "", fmt.Errorf("pushing the bundle: %w", err)
	}
	return d, nil
}

// tagBundle writes the version tag (publish checked, before the claim, that
// no other digest holds it: a version tag never moves), then the mutable views: the composite id, sha-…
// of the workflow's commit, and the extra tags. The channel tag is written by
// converge, from the ledger.
func (r *run) tagBundle(ctx context.Context, cfg *config.Config, reg *oci.Client, ch string, l lock.Lock, version, digest string, in buildInputs) ([]string, error) {
	unique := uniqueTags(append([]string{channel.VersionTag(version), ch}, r.viewTags(l, in)...))
	// All at once: the ledger already holds this bundle at the channel's
	// head, so the channel tag is written with the others; converge then
	// re-checks it against the ledger (another job may have published since).
	err := eachConcurrently(ctx, len(unique), len(unique), func(i int) error {
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
func (r *run) viewTags(l lock.Lock, in buildInputs) []string {
	tags := []string{l.CompositeID()}
	if sha := r.getenv("GITHUB_SHA"); len(sha) >= 7 {
		tags = append(tags, "sha-"+lock.Short(sha))
	}
	return append(tags, in.extraTags...)
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
func (r *run) finish(ctx context.Context, cfg *config.Config, ch config.Channel, store ledger.Store, reg *oci.Client, doc *ledger.Document, l lock.Lock, in buildInputs, b ledger.Bundle, reason string) (*published, error) {
	res := &published{Digest: b.Digest, Ref: cfg.Registry + "@" + b.Digest, Version: b.Version, Reason: reason, Tags: []string{}}
	if h, ok := doc.Head(ledger.ChannelStream(ch.Name)); (!ok || h.Digest != b.Digest) && !doc.Deleted(b.Version) {
		// (the head's version tag: converge below)
		if err := r.ensureVersionTag(ctx, cfg, reg, b.Version, b.Digest); err != nil {
			return nil, err
		}
	}
	if b.Run == r.runURL() {
		views := uniqueTags(r.viewTags(l, in))
		if in.image != "" {
			views = views[1:] // the composite id: ensureIDTag below
		}
		order := map[string]int{} // digest -> when the ledger got it
		for i, x := range doc.Bundles {
			if _, ok := order[x.Digest]; !ok {
				order[x.Digest] = i
			}
		}
		wrote := make([]bool, len(views))
		err := eachConcurrently(ctx, len(views), len(views), func(i int) error {
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
	if err := r.reattach(ctx, cfg, reg, l, in, b.Digest, b.Version); err != nil {
		return nil, err
	}
	if err := r.ensureIDTag(ctx, cfg, reg, l, in, b.Digest); err != nil {
		return nil, err
	}
	var err error
	if res.Deleted, err = r.retain(ctx, cfg, ch, store, reg, doc, b.Version, true); err != nil {
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

// retain applies the channel's retention: with keep: N, version tags of the
// channel's bundles older than the last N are deleted, except one that any
// channel or label (or a label's previous value) still points at; each
// deletion is recorded in the ledger. doc is a ledger read to start from
// (nil: read it). own is the version this run published or found: when the
// ledger records it deleted (another job's retention deleted its tag before
// this run wrote it), its tag goes again. With sweep (a run finishing an
// earlier attempt), so do the tags of deletions this workflow run recorded
// before (a stop between recording a deletion and deleting its tag).
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
	again := map[string]bool{}
	for _, del := range doc.Deletions {
		if b, ok := doc.Bundle(del.Version); ok && b.Channel == ch.Name &&
			(del.Version == own || sweep && r.runURL() != "" && del.Run == r.runURL()) {
			again[del.Version] = true
		}
	}
	for _, v := range slices.Sorted(maps.Keys(again)) {
		if err := reg.DeleteTag(ctx, cfg.Registry, channel.VersionTag(v)); err != nil {
			return nil, fmt.Errorf("retention: the ledger records %s as deleted, but deleting its tag failed (delete it by hand): %w", v, err)
		}
	}
	victims := retentionVictims(doc, ch.Name, ch.Retention.Keep)
	var deleted []string
	// The ledger decides first: each deletion is recorded with
	// compare-and-swap after checking again, on the fresh ledger, that nothing
	// points at the bundle now (a label may have moved onto it since); only
	// then is the tag deleted. A tag that fails to go stays behind, recorded
	// as deleted: never the other way round.
	for _, b := range victims {
		reason := fmt.Sprintf("retention keep %d of channel %s", ch.Retention.Keep, ch.Name)
		stillVictim := false
		_, err := store.Update(ctx, ledger.Message{What: "retention: delete " + b.Version, Actor: r.getenv("GITHUB_ACTOR"), Run: r.runURL()}, func(d *ledger.Document) error {
			stillVictim = false
			for _, v := range retentionVictims(d, ch.Name, ch.Retention.Keep) {
				stillVictim = stillVictim || v.Version == b.Version
			}
			if !stillVictim {
				return ledger.ErrNoChange
			}
			return d.RecordDeletion(ledger.Deletion{Version: b.Version, Digest: b.Digest, At: r.deps.Now().UTC(), Reason: reason, Run: r.runURL()})
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
		deleted = append(deleted, b.Version)
	}
	return deleted, nil
}

// retentionVictims: the channel's bundles beyond the newest keep, that no
// stream head nor label's previous value points at, not deleted already.
func retentionVictims(doc *ledger.Document, ch string, keep int) []ledger.Bundle {
	protected := map[string]bool{}
	for _, s := range doc.StreamNames() {
		entries := doc.Stream(s)
		if n := len(entries); n > 0 {
			protected[entries[n-1].Digest] = true
			if strings.HasPrefix(s, ledger.KindLabel+":") && entries[n-1].PreviousDigest != "" {
				protected[entries[n-1].PreviousDigest] = true
			}
		}
	}
	var mine []ledger.Bundle
	for _, b := range doc.Bundles {
		if b.Channel == ch && !doc.Deleted(b.Version) {
			mine = append(mine, b)
		}
	}
	if len(mine) <= keep {
		return nil
	}
	var out []ledger.Bundle
	for _, b := range mine[:len(mine)-keep] {
		if !protected[b.Digest] {
			out = append(out, b)
		}
	}
	return out
}

// runURL is the URL of the workflow run, for the ledger's audit trail.
func (r *run) runURL() string { return r.act.Env().RunURL() }

func (r *run) buildSummary(ch string, l lock.Lock, res *published, dryRun bool) error {
	s := r.act.Summary()
	title := "ladder build-bundle: " + ch
	if dryRun {
		title += " (dry run)"
	}
	s.Heading(title, 2)
	if !res.Published {
		s.Paragraph("Nothing published: " + res.Reason + ".")
	}
	s.Table([]string{"published", "version", "digest", "replaces", "lock digest", "id"},
		[][]string{{fmt.Sprint(res.Published), res.Version, res.Digest, res.Replaces, l.Digest(), l.CompositeID()}})
	if len(res.Tags) > 0 {
		s.Paragraph("Tags: " + strings.Join(res.Tags, ", "))
	}
	if len(res.Deleted) > 0 {
		s.Paragraph("Retention deleted: " + strings.Join(res.Deleted, ", "))
	}
	if res.Graph != "" {
		s.Mermaid(res.Graph)
	}
	return s.Write()
}

// newClaim is a random token that names one publish attempt in the ledger.
func newClaim() string {
	var b [8]byte
	if _, err := crand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return hex.EncodeToString(b[:])
}
