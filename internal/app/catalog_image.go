package app

import (
	"context"
	"fmt"

	"github.com/ladder-release/ladder/internal/catalog"
	"github.com/ladder-release/ladder/internal/config"
	"github.com/ladder-release/ladder/internal/ledger"
	"github.com/ladder-release/ladder/internal/oci"
	"github.com/ladder-release/ladder/internal/query"
	"github.com/ladder-release/ladder/internal/tagname"
)

// The OLM catalog image (SPEC section 4 `ladder catalog`, story S7): with
// export.olm set, every build-bundle and promote-label that changes a
// stream the catalog is read from republishes <registry>:catalog, the
// catalog `ladder catalog --format json` prints under
// /configs/<package>/catalog.json (oci.CatalogImage). Gather (the ledger after
// this run's write), decide (catalog.Republish, then catalog.Next per step),
// apply (a HEAD of the tag, a push when it differs).
//
// The image is made from a ledger read taken after the run's own write, and
// the tag converges on the ledger as the other tags do: read the ledger,
// make its catalog, compare with the tag, push, and read the ledger again,
// until a read agrees with the tag as this run left it. So two concurrent
// runs end with the catalog of the ledger as the last of them read it.

// republishCatalog is the hook build-bundle and promote-label call once
// the registry's tags follow the ledger: stream is the ledger stream the run
// is about, moved says it recorded a new head of it, what names that change
// for the error ("the move of label current to 1.3.0"), doc is the run's
// latest ledger document, taken after its write (nil: read it). A failure
// leaves the ledger as written; the next run that changes a stream of
// export.olm, or a rerun of this one, republishes the catalog.
func (r *run) republishCatalog(ctx context.Context, cfg *config.Config, store ledger.Store, reg *oci.Client, doc *ledger.Document, stream string, moved bool, what string) error {
	if cfg.Export == nil || cfg.Export.OLM == nil || cfg.Ledger.Kind == config.LedgerNone {
		return nil
	}
	sources := query.CatalogSources(cfg)
	if !catalog.Reads(sources, stream) {
		return nil
	}
	err := func() error {
		if doc == nil {
			var err error
			if doc, err = store.Read(ctx); err != nil {
				return fmt.Errorf("reading the ledger: %w", err)
			}
		}
		head, _ := doc.Head(stream)
		if !catalog.Republish(sources, catalog.Change{Stream: stream, Moved: moved, HeadRun: head.Run, Run: r.RunURL()}) {
			return nil
		}
		return r.convergeCatalog(ctx, cfg, store, reg, doc)
	}()
	if err != nil {
		return fmt.Errorf("the ledger recorded %s, but the OLM catalog image %s:%s was not republished: %w; "+
			"the next run that changes a stream of export.olm, or a rerun of this one, republishes it (the ledger change is not made again)",
			what, cfg.Registry, tagname.Catalog, err)
	}
	return nil
}

// convergeCatalog makes <registry>:catalog hold the catalog image of the
// ledger, starting from the read doc: each round makes the image of a
// ledger read and follows catalog.Next until the tag agrees (done) or this
// run pushed (the ledger is read again) or the tag holds a catalog of a
// newer ledger than the read (read again after a pause).
func (r *run) convergeCatalog(ctx context.Context, cfg *config.Config, store ledger.Store, reg *oci.Client, doc *ledger.Document) error {
	view := catalog.TagView{Ours: map[string]bool{}, Versions: map[string][]string{}}
	stale := false
	for round := 0; round < convergeRounds; round++ {
		// the catalog is of the whole ledger: a state whose streams' older
		// moves are in segments would drop their bundles
		if round > 0 || doc.History != nil && doc.History.Segments > 0 {
			var err error
			if doc, err = store.ReadAll(ctx); err != nil {
				return fmt.Errorf("reading the ledger: %w", err)
			}
		}
		img, want, waiting, err := query.CatalogImage(cfg, doc)
		if err != nil {
			return err
		}
		if waiting != "" {
			r.Act.Infof("OLM catalog: not published yet: %s", waiting)
			return nil
		}
		held := func(version string) bool { _, ok := doc.Bundle(version); return ok }
		stale = false
	steps:
		for {
			switch catalog.Next(want, held, view) {
			case catalog.StepRead:
				if view.Digest, err = reg.TagDigest(ctx, cfg.Registry, tagname.Catalog); err != nil {
					return err
				}
				view.Known = true
			case catalog.StepInspect:
				if view.Versions[view.Digest], err = reg.CatalogVersions(ctx, cfg.Registry, cfg.Export.OLM.Package, view.Digest); err != nil {
					return err
				}
			case catalog.StepAgree:
				return nil
			case catalog.StepWrite:
				if _, err := reg.PushImage(ctx, cfg.Registry, tagname.Catalog, img); err != nil {
					return err
				}
				r.Act.Infof("OLM catalog: %s:%s is now %s", cfg.Registry, tagname.Catalog, want)
				view.Digest, view.Ours[want] = want, true
				break steps
			case catalog.StepStale:
				stale, view.Known = true, false // ask the registry again after the next read
				if err := r.jitter(ctx); err != nil {
					return err
				}
				break steps
			}
		}
	}
	if stale {
		return fmt.Errorf("the tag holds a catalog (%s) naming a version the ledger read does not hold after %d reads: "+
			"the ledger read looks stale (behind the registry: another job's write not visible yet); the tag was left as it is", view.Digest, convergeRounds)
	}
	return fmt.Errorf("the catalog tag did not settle on the ledger after %d rounds: other jobs keep moving it", convergeRounds)
}
