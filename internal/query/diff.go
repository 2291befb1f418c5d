package query

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ladder-release/ladder/internal/action"
	"github.com/ladder-release/ladder/internal/bundle"
	"github.com/ladder-release/ladder/internal/channel"
	"github.com/ladder-release/ladder/internal/cli"
	"github.com/ladder-release/ladder/internal/config"
	"github.com/ladder-release/ladder/internal/ledger"
	"github.com/ladder-release/ladder/internal/oci"
	"github.com/ladder-release/ladder/internal/session"
)

// `ladder diff A B [--config PATH] [--json]` (CLI only, story S8): what B
// brings over A, each a version, a digest, a channel or a label of the
// config. Both are resolved through the ledger to bundles (with ledger:
// none, through the registry's tags), their locks read from the registry,
// and compared as build-bundle and promote-label compare them: the same
// table (markdown) and, with --json, the same JSON as their `changes`
// output. A compare GitHub refuses makes that component unknown; the command
// still exits 0.
//
// Inside GitHub Actions stdout is read for workflow commands, and commit
// subjects are anybody's text: the table is fenced, the JSON escaped, as
// `ladder status` does (session.Run.Emit).

// diffArgs is how many bundles `ladder diff` compares.
const diffArgs = 2

// resolved is one side of a diff: a bundle, and what named it.
type resolved struct {
	name       string // as given
	version    string
	digest     string
	lockDigest string // the ledger's, "" when unknown
}

func Diff(ctx context.Context, r *session.Run) error {
	asJSON, err := cli.FlagBool(r.Flags, "json") // flags checked by session.New against the command's
	if err != nil {
		return err
	}
	if len(r.Args) != diffArgs {
		return cli.Misuse(fmt.Errorf("ladder diff compares two bundles: ladder diff A B (each a version, a digest, a channel or a label); got %d argument(s)", len(r.Args)))
	}
	cfg, err := r.LoadConfig()
	if err != nil {
		return err
	}
	sec := r.CLISecrets()
	reg, err := r.Registry(cfg, session.Secrets{})
	if err != nil {
		return err
	}
	var doc *ledger.Document
	if cfg.Ledger.Kind != config.LedgerNone {
		if doc, err = r.ReadLedger(ctx, cfg, sec); err != nil {
			return err
		}
	}
	var sides [diffArgs]resolved
	for i, name := range r.Args {
		if sides[i], err = resolveBundle(ctx, cfg, doc, reg, name); err != nil {
			return err
		}
	}
	from, err := reg.LockAt(ctx, cfg.Registry, sides[0].digest, sides[0].lockDigest)
	if err != nil {
		return fmt.Errorf("reading the lock of %s (%s): %w", sides[0].name, sides[0].digest, err)
	}
	to, err := reg.LockAt(ctx, cfg.Registry, sides[1].digest, sides[1].lockDigest)
	if err != nil {
		return fmt.Errorf("reading the lock of %s (%s): %w", sides[1].name, sides[1].digest, err)
	}
	set := r.WhatChanged(ctx, sec, from, to)
	var out string
	if asJSON {
		out = set.JSON() + "\n"
	} else {
		out = fmt.Sprintf("%s: %s -> %s\n\n%s", cfg.Product, sides[0], sides[1], set.Markdown(action.EscapeMarkdown))
	}
	return r.Emit(asJSON, out)
}

func (s resolved) String() string {
	d := s.digest
	if len(d) > len("sha256:")+12 {
		d = d[:len("sha256:")+12]
	}
	if s.name == s.version || s.name == s.digest {
		return fmt.Sprintf("%s (%s)", s.version, d)
	}
	return fmt.Sprintf("%s %s (%s)", s.name, s.version, d)
}

// resolveBundle finds the bundle name stands for: a channel's or a label's
// current bundle, a version (also in its tag form, with _ for +, or with a
// leading v) or a digest, through the ledger doc; with ledger: none (doc
// nil), through the registry's tag of that name or the digest itself.
func resolveBundle(ctx context.Context, cfg *config.Config, doc *ledger.Document, reg *oci.Client, name string) (resolved, error) {
	out := resolved{name: name}
	_, isChannel := cfg.Channel(name)
	_, isLabel := cfg.Label(name)
	if doc == nil {
		ref := cfg.Registry + ":" + channel.VersionTag(strings.TrimPrefix(name, "v"))
		switch {
		case strings.HasPrefix(name, "sha256:"):
			ref = cfg.Registry + "@" + name
		case isChannel || isLabel:
			ref = cfg.Registry + ":" + name
		}
		d, err := reg.Resolve(ctx, ref)
		if errors.Is(err, oci.ErrNotFound) && !isChannel && !isLabel && !strings.HasPrefix(name, "sha256:") {
			d, err = reg.Resolve(ctx, cfg.Registry+":"+channel.VersionTag(name))
		}
		if errors.Is(err, oci.ErrNotFound) {
			return out, fmt.Errorf("%q: no bundle at %s (not a channel or label of %s with a bundle, nor a version or digest the registry holds)", name, ref, cfg.File)
		}
		if err != nil {
			return out, fmt.Errorf("%q: reading %s: %w", name, ref, err)
		}
		out.digest, out.version = d.Digest, d.Annotations[bundle.OCIVersion]
		return out, nil
	}
	var b ledger.Bundle
	ok := false
	switch {
	case isChannel || isLabel:
		stream, kind := ledger.ChannelStream(name), "channel"
		if isLabel {
			stream, kind = ledger.LabelStream(name), "label"
		}
		h, has := doc.Head(stream)
		if !has {
			return out, fmt.Errorf("%q: %s %s has no bundle yet (the ledger has no move of it)", name, kind, name)
		}
		if b, ok = doc.Bundle(h.Version); !ok || b.Digest != h.Digest {
			b, ok = ledger.Bundle{Version: h.Version, Digest: h.Digest}, true
		}
	case strings.HasPrefix(name, "sha256:"):
		b, ok = doc.BundleByDigest(name)
	default:
		for _, v := range []string{name, strings.ReplaceAll(name, "_", "+"), strings.TrimPrefix(name, "v")} {
			if b, ok = doc.Bundle(v); ok {
				break
			}
		}
	}
	if !ok {
		return out, fmt.Errorf("%q is not a channel or label of %s, nor a version or digest the ledger holds", name, cfg.File)
	}
	out.version, out.digest, out.lockDigest = b.Version, b.Digest, b.LockDigest
	return out, nil
}
