// Package query holds ladder's read-only CLI commands: status, catalog and
// diff. Each gathers (the config, the whole ledger, the registry's tags and
// locks, GitHub's compares) through the session, hands plain values to a
// pure package (status, catalog, changes), and prints; none writes anything.
package query

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ladder-release/ladder/internal/bundle"
	"github.com/ladder-release/ladder/internal/config"
	"github.com/ladder-release/ladder/internal/ledger"
	"github.com/ladder-release/ladder/internal/oci"
	"github.com/ladder-release/ladder/internal/session"
	"github.com/ladder-release/ladder/internal/status"
)

// `ladder status [--config PATH] [--json] [--history NAME]` (CLI only):
//
//   - without --history: every channel and label of the config, in config
//     order (channels first), with the bundle it holds (version, digest),
//     since when, the gates of a label, its hold and `<label>-previous`, and
//     the stream's upgrade-graph head with its replaces and skips; then the
//     quarantines and the retention deletions. Streams the ledger holds that
//     the config no longer names come last, sorted, marked unconfigured.
//   - with --history NAME (a label or a channel; `label:NAME` and
//     `channel:NAME` also work): every move of that stream, oldest first.
//
// Times are shown in UTC with the age relative to Deps.Now. With --json the
// same content is printed as indented JSON (status.Report, status.History).
//
// With `ledger: none` there is no record to read: status reads the
// registry's channel, label and `<label>-previous` tags (version and
// digest only) and says that since-when, holds, quarantines, deletions and
// the upgrade graph need a ledger; --history is refused.

// Status: gather (config, ledger or registry tags) -> describe (pure)
// -> print.
func Status(ctx context.Context, r *session.Run) error {
	o, err := parseStatusFlags(r.Flags)
	if err != nil {
		return err
	}
	cfg, err := r.LoadConfig()
	if err != nil {
		return err
	}
	now := r.Deps.Now().UTC()
	if cfg.Ledger.Kind == config.LedgerNone {
		if o.history != "" {
			return errors.New("--history needs a ledger: with ledger: none the registry keeps only the current tags, no history (SPEC section 6)")
		}
		rep, err := statusFromRegistry(ctx, r, cfg, now)
		if err != nil {
			return err
		}
		return printStatus(r, o, rep, func(w io.Writer) error { return status.WriteText(w, rep) })
	}
	doc, err := r.ReadLedger(ctx, cfg, r.CLISecrets())
	if err != nil {
		return err
	}
	if o.history != "" {
		h, err := status.HistoryOf(cfg, doc, o.history, now)
		if err != nil {
			return err
		}
		return printStatus(r, o, h, func(w io.Writer) error { return status.WriteHistory(w, h) })
	}
	rep := status.Of(cfg, doc, now)
	return printStatus(r, o, rep, func(w io.Writer) error { return status.WriteText(w, rep) })
}

// printStatus prints v (a report or a history) as JSON with --json, else
// as text.
func printStatus(r *session.Run, o statusOptions, v any, text func(io.Writer) error) error {
	var b strings.Builder
	var err error
	if o.json {
		err = status.WriteJSON(&b, v)
	} else {
		err = text(&b)
	}
	if err != nil {
		return err
	}
	return r.Emit(o.json, b.String())
}

// statusFromRegistry is the status with ledger: none: the registry's tags.
func statusFromRegistry(ctx context.Context, r *session.Run, cfg *config.Config, now time.Time) (*status.Report, error) {
	reg, err := r.Registry(cfg, session.Secrets{})
	if err != nil {
		return nil, err
	}
	rep := &status.Report{
		Product: cfg.Product, Registry: cfg.Registry, Ledger: status.LedgerName(cfg.Ledger), Now: now,
		Note:    "ledger: none: read from the registry's tags; since when, holds, quarantines, deletions, history and the upgrade graph need a ledger",
		Streams: []status.Stream{}, Quarantines: []status.Quarantine{}, Deletions: []status.Deletion{},
	}
	resolve := func(tag string) (*status.Ref, error) {
		d, err := reg.Resolve(ctx, cfg.Registry+":"+tag)
		if errors.Is(err, oci.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading tag %s: %w", tag, err)
		}
		return &status.Ref{Version: d.Annotations[bundle.OCIVersion], Digest: d.Digest}, nil
	}
	add := func(kind, name string) (*status.Stream, error) {
		s := status.Stream{Name: name, Kind: kind, Stream: kind + ":" + name}
		ref, err := resolve(name)
		if err != nil {
			return nil, err
		}
		if ref != nil {
			s.Version, s.Digest = ref.Version, ref.Digest
		}
		rep.Streams = append(rep.Streams, s)
		return &rep.Streams[len(rep.Streams)-1], nil
	}
	for _, ch := range cfg.Channels {
		if _, err := add(ledger.KindChannel, ch.Name); err != nil {
			return nil, err
		}
	}
	for _, l := range cfg.Labels {
		s, err := add(ledger.KindLabel, l.Name)
		if err != nil {
			return nil, err
		}
		s.From, s.Gates, s.Quarantine = l.From, status.GatesOf(l.Gates), l.Quarantine
		if s.Previous, err = resolve(l.Name + "-previous"); err != nil {
			return nil, err
		}
	}
	return rep, nil
}
