package query

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/ladder-release/ladder/internal/catalog"
	"github.com/ladder-release/ladder/internal/config"
	"github.com/ladder-release/ladder/internal/ledger"
	"github.com/ladder-release/ladder/internal/oci"
	"github.com/ladder-release/ladder/internal/session"
	"github.com/ladder-release/ladder/internal/status"
)

// `ladder catalog [--config PATH] [--format json|yaml]` (CLI only, story
// S7): the OLM file-based catalog of the config's export.olm, generated from
// the ledger. Gather (the config, the ledger), decide (catalog.Build, pure),
// print: JSON as `opm render` prints a catalog (one indented object after
// another), or YAML as opm writes it (each object a document after "---").
// What the catalog leaves out (an OLM channel whose label or channel has no
// bundles yet) is said on stderr, one "note:" line each.
//
// Inside GitHub Actions stdout is read for workflow commands, and the
// catalog may carry ledger text (the reason a stream was retired), so
// neither "::" nor "##[" is written: they are escaped inside strings
// (status.JSONDefang), in YAML as in JSON, and the output still decodes to
// the same catalog.

func Catalog(ctx context.Context, r *session.Run) error {
	o, err := parseCatalogFlags(r.Flags)
	if err != nil {
		return err
	}
	cfg, err := r.LoadConfig()
	if err != nil {
		return err
	}
	if cfg.Export == nil || cfg.Export.OLM == nil {
		return fmt.Errorf("%s has no export.olm section, so there is no catalog to make (add export: {olm: {package: NAME, channels: {OLM-CHANNEL: LABEL-OR-CHANNEL}, default-channel: OLM-CHANNEL}})", cfg.File)
	}
	if cfg.Ledger.Kind == config.LedgerNone {
		return session.At(cfg, "ledger", errors.New("ladder catalog needs a ledger: the catalog is made of the upgrade graphs the ledger keeps, and ledger: none keeps none (SPEC section 6)"))
	}
	doc, err := r.ReadLedger(ctx, cfg, r.CLISecrets())
	if err != nil {
		return err
	}
	in, err := CatalogInput(cfg, doc)
	if err != nil {
		return err
	}
	cat, err := catalog.Build(in)
	if err != nil {
		return session.At(cfg, "export.olm", err)
	}
	for _, n := range cat.Notes {
		fmt.Fprintf(r.Deps.Stderr, "ladder catalog: note: %s\n", n)
	}
	return PrintCatalog(r.Deps.Stdout, cat, o.yaml, r.Getenv("GITHUB_ACTIONS") == "true")
}

// PrintCatalog writes cat as JSON or YAML. In a runner (see Catalog)
// "::" and "##[" are escaped the JSON way; in YAML too, since they only
// occur inside its double-quoted strings (catalog.WriteYAML).
func PrintCatalog(w io.Writer, cat *catalog.Catalog, asYAML, runner bool) error {
	write := cat.WriteJSON
	if asYAML {
		write = cat.WriteYAML
	}
	if !runner {
		bw := bufio.NewWriterSize(w, 64<<10)
		if err := write(bw); err != nil {
			return err
		}
		return bw.Flush()
	}
	var b bytes.Buffer
	if err := write(&b); err != nil {
		return err
	}
	_, err := io.WriteString(w, status.JSONDefang(b.String()))
	return err
}

// CatalogInput gathers what catalog.Build needs: for each OLM channel of
// export.olm, the upgrade graph of the label or channel it follows (an empty
// one when it follows neither, or the stream never moved).
func CatalogInput(cfg *config.Config, doc *ledger.Document) (catalog.Input, error) {
	olm := cfg.Export.OLM
	in := catalog.Input{Package: olm.Package, DefaultChannel: olm.DefaultChannel, Registry: cfg.Registry, Sources: CatalogSources(cfg)}
	for i, s := range in.Sources {
		if s.Stream == "" {
			continue
		}
		g, err := doc.GraphFrom(s.Stream, s.From)
		if err != nil {
			return in, session.At(cfg, "export.olm.channels."+s.Channel, fmt.Errorf("OLM channel %s: %w", s.Channel, err))
		}
		in.Sources[i].Entries = g.Entries
	}
	// retired streams (ladder retire): catalog.Build deprecates the OLM
	// channels that follow one (olm.deprecations)
	for _, key := range slices.Sorted(maps.Keys(doc.Retirements)) {
		r := doc.Retirements[key]
		in.Retired = append(in.Retired, catalog.Retirement{Stream: key, Reason: r.Reason, At: r.At})
	}
	return in, nil
}

// CatalogSources are export.olm's OLM channels and the ledger streams each
// is read from (no entries yet): the stream of the label or channel it
// follows, and for a label the stream of its from, where its graph reads
// skips from.
func CatalogSources(cfg *config.Config) []catalog.Source {
	var out []catalog.Source
	for _, och := range cfg.Export.OLM.Channels {
		s := catalog.Source{Channel: och.Name, Follows: och.Follows}
		if l, ok := cfg.Label(och.Follows); ok {
			s.Stream, s.From = ledger.LabelStream(och.Follows), ledger.SourceStream(cfg, l.From)
		} else if _, ok := cfg.Channel(och.Follows); ok {
			s.Stream = ledger.ChannelStream(och.Follows)
		}
		out = append(out, s)
	}
	return out
}

// CatalogImage is the catalog image of the ledger read doc and its digest,
// or, while the stream behind the default channel has not moved, why there
// is no catalog yet.
func CatalogImage(cfg *config.Config, doc *ledger.Document) (img oci.Image, digest, waiting string, err error) {
	in, err := CatalogInput(cfg, doc)
	if err != nil {
		return oci.Image{}, "", "", err
	}
	if ok, why := catalog.Publishable(in); !ok {
		return oci.Image{}, "", why, nil
	}
	cat, err := catalog.Build(in)
	if err != nil {
		return oci.Image{}, "", "", session.At(cfg, "export.olm", err)
	}
	var b bytes.Buffer
	if err := cat.WriteJSON(&b); err != nil {
		return oci.Image{}, "", "", err
	}
	if img, err = oci.CatalogImage(cfg.Export.OLM.Package, b.Bytes()); err != nil {
		return oci.Image{}, "", "", err
	}
	return img, img.Digest(), "", nil
}
