package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/google/go-github/v60/github"

	"github.com/ladder-release/ladder/internal/bundle"
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
	"github.com/ladder-release/ladder/internal/source"
)

// maxConcurrentComponents bounds how many components are read at once. A
// component has one request in flight at a time (a listing is two in a row),
// and the HTTP transport bounds the run's requests in flight (httpx.MaxInFlight).
const maxConcurrentComponents = 100

// resolution is what resolve-channel computed, before anything is written.
type resolution struct {
	Channel config.Channel
	Lock    lock.Lock
	Version string
	// PassedOver: the versions a bump passed over, each with who holds it
	PassedOver []string
	Changed    bool
	Current    string // lock digest of the channel's current bundle, "" if none

	view  view
	store ledger.Store
	reg   *oci.Client
}

// nextVersion applies the channel's version rule.
// A prerelease version's timestamp is the lock's resolution time, not the
// clock: build-bundle computes the version twice (before pushing and again
// inside the ledger write) and both must agree, and resolve-channel's
// `version` output is then exactly what build-bundle publishes.
func (r *run) nextVersion(cfg *config.Config, ch config.Channel, l lock.Lock, known channel.Known) (string, error) {
	v, err := channel.NextVersion(versionRule(ch), ch.Name, l, known, l.Created)
	if err != nil {
		return "", session.At(cfg, "channels."+ch.Name+".version", err)
	}
	return v, nil
}

// predictVersion is the version build-bundle would publish l as, decided on
// the ledger as it is now (publish.Decide): the rule's version, moved
// forward past the head where it must be; the ledger's bundle of this lock
// when it holds one. Where the decision is an error (the version is taken,
// or would go down), build-bundle reports it; resolve-channel says the
// rule's version.
func (r *run) predictVersion(cfg *config.Config, ch config.Channel, l lock.Lock, v view) (string, []string, error) {
	dec, err := publish.Decide(v.doc, publish.Request{Channel: ch.Name, Rule: versionRule(ch), Lock: l, Known: v.registryKnown})
	var taken *publish.TakenError
	var down *publish.DownError
	switch {
	case errors.As(err, &taken) || errors.As(err, &down):
		version, err := r.nextVersion(cfg, ch, l, v.known)
		return version, nil, err
	case err != nil:
		return "", nil, session.At(cfg, "channels."+ch.Name+".version", err)
	case dec.Kind == publish.Publish:
		return dec.Version, dec.PassedOver, nil
	}
	return dec.Bundle.Version, nil, nil
}

// resolveChannel: gather (config, sources, registry) -> decide (channel.Resolve,
// constraints, version) -> apply (lock file) -> outputs and summary.
func resolveChannel(ctx context.Context, r *run) error {
	sec, in, cfg, err := start(r, inputs.ParseResolve)
	if err != nil {
		return err
	}
	name, lockFile, dryRun := in.Channel, in.LockFile, in.DryRun
	res, err := r.resolve(ctx, cfg, sec, name)
	if err != nil {
		return err
	}
	if !dryRun {
		p := r.WorkspacePath(lockFile)
		if dir := filepath.Dir(p); dir != "." {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return fmt.Errorf("writing lock file: %w", err)
			}
		}
		if err := os.WriteFile(p, res.Lock.JSON(), 0o644); err != nil {
			return fmt.Errorf("writing lock file: %w", err)
		}
	}
	annotations, err := bundle.KeyValues(bundle.Annotations(r.bundleInfo(res.Lock, res.Version)))
	if err != nil {
		return err
	}
	versions, _ := json.Marshal(res.Lock.Versions())
	outs := []kv{
		{"lock", string(res.Lock.Compact())},
		{"lock-file", lockFile},
		{"lock-digest", res.Lock.Digest()},
		{"id", res.Lock.CompositeID()},
		{"version", res.Version},
		{"changed", fmt.Sprint(res.Changed)},
		{"versions", string(versions)},
		{"labels", annotations},
		{"annotations", annotations},
	}
	if err := r.setOutputs(outs); err != nil {
		return err
	}
	s := r.Act.Summary()
	report.Resolve(s, report.Resolution{Channel: res.Channel, Lock: res.Lock, Version: res.Version,
		PassedOver: res.PassedOver, Changed: res.Changed, DryRun: dryRun})
	return s.Write()
}

// resolve computes a channel's lock, version and changed flag.
func (r *run) resolve(ctx context.Context, cfg *config.Config, sec session.Secrets, name string) (*resolution, error) {
	ch, ok := cfg.Channel(name)
	if !ok {
		return nil, cfg.UnknownChannel(name)
	}
	reg, store, err := r.Stores(cfg, sec)
	if err != nil {
		return nil, err
	}
	// What is published does not depend on the lock: read it while the
	// sources are read.
	var (
		v       view
		viewErr error
		viewWG  sync.WaitGroup
	)
	viewWG.Add(1)
	go func() {
		defer viewWG.Done()
		v, viewErr = r.readView(ctx, cfg, store, reg, ch.Name)
	}()
	defer viewWG.Wait()
	var l lock.Lock
	if ch.Track.Label != "" {
		l, err = r.labelLock(ctx, cfg, store, reg, ch)
		if err != nil {
			return nil, session.At(cfg, "channels."+ch.Name+".track", err)
		}
	} else {
		comps := cfg.ChannelComponents(ch)
		observed, err := r.gather(ctx, cfg, sec, ch, comps)
		if err != nil {
			return nil, err
		}
		l, err = channel.Resolve(cfg.Product, ch.Name, comps, observed)
		if err != nil {
			return nil, session.At(cfg, "channels."+ch.Name, err)
		}
	}
	l.Created = r.Deps.Now().UTC()
	for i, c := range cfg.Constraints {
		if err := channel.CheckSameVersion(l, c.SameVersion); err != nil {
			return nil, session.At(cfg, fmt.Sprintf("constraints[%d]", i), err)
		}
	}
	viewWG.Wait()
	if viewErr != nil {
		return nil, viewErr
	}
	changed := !v.hasHead || v.currentLock != l.Digest()
	// The version build-bundle would publish this lock as: for an unchanged
	// lock it publishes nothing and reports the channel's current bundle.
	version := v.head.Version
	var passed []string
	if changed {
		if version, passed, err = r.predictVersion(cfg, ch, l, v); err != nil {
			return nil, err
		}
	}
	return &resolution{
		Channel:    ch,
		Lock:       l,
		Version:    version,
		PassedOver: passed,
		Changed:    changed,
		Current:    v.currentLock,
		view:       v,
		store:      store,
		reg:        reg,
	}, nil
}

// gather reads, for every component and concurrently, what its policy needs:
// a branch head, the tag list, or the pinned commit. `repo:` components are
// listed over git's smart HTTP at the GitHub server (no REST quota); only a
// pin by commit SHA asks the REST API. The first failure cancels the rest.
func (r *run) gather(ctx context.Context, cfg *config.Config, sec session.Secrets, ch config.Channel, comps []channel.Component) (map[string]channel.Observed, error) {
	var (
		rest *github.Client // only repo: components need these
		git  *source.GitHTTP
	)
	for _, c := range comps {
		if c.Repo != "" {
			var err error
			if rest, err = r.GitHub(sec); err != nil {
				return nil, err
			}
			if git, err = r.GitRefs(sec); err != nil {
				return nil, err
			}
			break
		}
	}
	results := make([]channel.Observed, len(comps))
	err := fanout.Each(ctx, len(comps), maxConcurrentComponents, func(ctx context.Context, i int) error {
		c := comps[i]
		var src source.Source
		var err error
		if c.Repo != "" {
			src, err = source.NewGitHub(rest, git, c.Repo)
		} else {
			src, err = source.NewGit(c.Git)
		}
		if err == nil {
			if results[i], err = source.Observe(ctx, src, c); err == nil {
				return nil
			}
		}
		field := "channels." + ch.Name + ".track"
		if _, ok := ch.Components[c.Name]; ok {
			field = "channels." + ch.Name + ".components." + c.Name
		}
		return session.At(cfg, field, fmt.Errorf("component %s: %w", c.Name, err))
	})
	if err != nil {
		return nil, err
	}
	observed := make(map[string]channel.Observed, len(comps))
	for i, c := range comps {
		observed[c.Name] = results[i]
	}
	return observed, nil
}

// bundleInfo describes a lock for annotations, from the run's environment.
func (r *run) bundleInfo(l lock.Lock, version string) bundle.Info {
	info := bundle.Info{Lock: l, Version: version, Revision: r.Getenv("GITHUB_SHA"), Created: l.Created}
	if repo := r.Getenv("GITHUB_REPOSITORY"); repo != "" {
		server := r.Getenv("GITHUB_SERVER_URL")
		if server == "" {
			server = "https://github.com"
		}
		info.Source = strings.TrimRight(server, "/") + "/" + repo
	}
	return info
}

type kv struct{ k, v string }

func (r *run) setOutputs(outs []kv) error {
	for _, o := range outs {
		if err := r.Act.SetOutput(o.k, o.v); err != nil {
			return fmt.Errorf("output %s: %w", o.k, err)
		}
	}
	return nil
}
