package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ladder-release/ladder/internal/cascade"
	"github.com/ladder-release/ladder/internal/catalog"
	"github.com/ladder-release/ladder/internal/config"
	"github.com/ladder-release/ladder/internal/gh"
	"github.com/ladder-release/ladder/internal/inputs"
	"github.com/ladder-release/ladder/internal/ledger"
	"github.com/ladder-release/ladder/internal/promote"
	"github.com/ladder-release/ladder/internal/query"
	"github.com/ladder-release/ladder/internal/report"
	"github.com/ladder-release/ladder/internal/retire"
	"github.com/ladder-release/ladder/internal/session"
	"github.com/ladder-release/ladder/internal/tagname"
)

// retire (SPEC section 4, CLI only; story S6): end a release line in one
// step. gather (inputs, config, ledger) -> decide (retire.Decide) -> apply
// (one compare-and-swap write, retire.Apply, recording who, when, why, from
// which run, and the final value; the registry's <name> and <name>-eol tags
// converged on the ledger; one repository_dispatch with "eol": true to each
// cascade.repos entry whose `when` names the stream, then one write
// recording which went out) -> outputs and summary.
//
// Choices (README, "Retiring a channel or label"):
//   - The stream must have held a bundle: that bundle is the final value.
//   - A second retire is refused, so the announcement goes out once. A
//     rerun of a retire whose dispatches did not all go out (or of the same
//     workflow run: a rerun keeps its run id) finishes it instead: it puts
//     the tags right and sends only the dispatches not recorded as sent.
//   - --undo ends the retirement (recorded as an undo); the <name>-eol tag
//     stays on the value it was retired at, as history, and no dispatch is
//     sent.
//   - An unknown channel or label, or a refusal by the ledger's state
//     (already retired, not retired), is exit 1, as an unknown channel is
//     for every command; a mistake in the inputs (both or neither of
//     channel and label, no reason, a reason with control characters) is
//     exit 2.

// retirement is retire's result.
type retirement struct {
	in         inputs.Retire
	kind, name string // "channel" or "label", and its name
	stream     string
	dec        retire.Decision
	dispatched int
	told       []string // targets told by this run
	status     map[string]string
	undeliv    []cascade.Target
	plan       *cascade.DispatchPlan
	untagged   bool // the registry's tags do not show it yet (the error says why)
}

func retireCommand(ctx context.Context, r *run) error {
	sec, err := r.Secrets()
	if err != nil {
		return err
	}
	sec.AppKey = r.Act.SecretInput("app-private-key")
	in, err := inputs.ParseRetire(r.Input)
	if err != nil {
		return err
	}
	cfg, err := r.LoadConfig()
	if err != nil {
		return err
	}
	res := &retirement{in: in, kind: ledger.KindChannel, name: in.Channel, status: map[string]string{}}
	if in.Label != "" {
		res.kind, res.name = ledger.KindLabel, in.Label
		if _, ok := cfg.Label(in.Label); !ok {
			return cfg.UnknownLabel(in.Label)
		}
		res.stream = ledger.LabelStream(in.Label)
	} else {
		if _, ok := cfg.Channel(in.Channel); !ok {
			return cfg.UnknownChannel(in.Channel)
		}
		res.stream = ledger.ChannelStream(in.Channel)
	}
	if cfg.Ledger.Kind == config.LedgerNone {
		return session.At(cfg, "ledger", errors.New("retire needs a ledger (github or file:PATH): a retirement is recorded there, and build-bundle and promote-label read it there; ledger: none has none"))
	}
	store, err := r.LedgerStore(cfg, sec)
	if err != nil {
		return err
	}
	doc, err := store.Read(ctx)
	if err != nil {
		return fmt.Errorf("reading the ledger: %w", err)
	}
	req := retire.Request{Stream: res.stream, Undo: in.Undo, Reason: in.Reason, Actor: r.Getenv("GITHUB_ACTOR"),
		Run: r.RunURL(), Now: r.Deps.Now().UTC(), Notify: cfg.EOLTargets(res.kind == ledger.KindChannel, res.name)}
	if _, ok := doc.Retired(res.stream); ok && !in.Undo {
		req.Unshown = r.retireUnshown(ctx, cfg, sec, doc, res)
	}
	if res.dec, err = retire.Decide(doc, req); err != nil {
		return err
	}
	if !in.DryRun && res.dec.Kind != retire.Finish {
		var dec retire.Decision
		meta := ledger.Message{Actor: req.Actor, Run: req.Run, Describe: func() string {
			if dec.Kind == retire.Undo {
				return fmt.Sprintf("undo the retirement of %s %s: %s", res.kind, res.name, in.Reason)
			}
			return fmt.Sprintf("retire %s %s at %s: %s", res.kind, res.name, dec.Retirement.Version, in.Reason)
		}}
		if _, err = store.Update(ctx, meta, func(d *ledger.Document) (err error) {
			dec, err = retire.Apply(d, req)
			return err
		}); err != nil {
			return fmt.Errorf("recording the retirement of %s %s in the ledger: %w", res.kind, res.name, err)
		}
		res.dec = dec
	}
	var applyErr error
	if !in.DryRun && res.dec.Kind != retire.Undo {
		// the outputs and summary are written also when this fails: the
		// retirement is recorded, and undelivered names what a rerun sends
		applyErr = r.retireApply(ctx, cfg, sec, store, res)
	}
	if !in.DryRun {
		applyErr = errors.Join(applyErr, r.retireCatalog(ctx, cfg, sec, store, res))
	}
	if err := r.retireFinish(res); err != nil {
		return errors.Join(applyErr, err)
	}
	return applyErr
}

// retireUnshown says whether the registry does not show the retirement in
// force yet: <name> or <name>-eol not on the final value, or, when
// export.olm reads the stream, <registry>:catalog not the ledger's catalog
// (a run that stopped after its ledger write). A registry that cannot be
// read counts as not showing it: the run that finishes the retirement then
// says what the registry answers.
func (r *run) retireUnshown(ctx context.Context, cfg *config.Config, sec session.Secrets, doc *ledger.Document, res *retirement) bool {
	reg, err := r.Registry(cfg, sec)
	if err != nil {
		return true
	}
	for tag, want := range retiredTags(res.stream, res.name)(doc) {
		if have, err := r.tagDigest(ctx, cfg, reg, tag); err != nil || have != want {
			return true
		}
	}
	if cfg.Export == nil || cfg.Export.OLM == nil || !catalog.Reads(query.CatalogSources(cfg), res.stream) {
		return false
	}
	_, want, waiting, err := query.CatalogImage(cfg, doc)
	switch {
	case err != nil:
		return true
	case waiting != "":
		return false // no catalog until the default channel has a bundle
	}
	have, err := reg.TagDigest(ctx, cfg.Registry, tagname.Catalog)
	return err != nil || have != want
}

// retireCatalog republishes <registry>:catalog when export.olm reads the
// stream: a retirement, or its undo, changes the catalog's olm.deprecations.
func (r *run) retireCatalog(ctx context.Context, cfg *config.Config, sec session.Secrets, store ledger.Store, res *retirement) error {
	reg, err := r.Registry(cfg, sec)
	if err != nil {
		return err
	}
	what := fmt.Sprintf("the retirement of %s %s", res.kind, res.name)
	if res.dec.Kind == retire.Undo {
		what = "the undo of " + what
	}
	return r.republishCatalog(ctx, cfg, store, reg, nil, res.stream, true, what)
}

// retireApply makes the registry show the retirement (<name> and
// <name>-eol on the final value, converged on the ledger), then tells the
// targets still pending and records which were told.
func (r *run) retireApply(ctx context.Context, cfg *config.Config, sec session.Secrets, store ledger.Store, res *retirement) error {
	reg, err := r.Registry(cfg, sec)
	if err != nil {
		return err
	}
	if err := r.convergeTags(ctx, cfg, store, reg, retiredTags(res.stream, res.name), nil); err != nil {
		res.untagged = true
		return fmt.Errorf("the ledger records the retirement of %s %s, but the registry's tags do not show it yet: %w; rerun retire to put them right", res.kind, res.name, err)
	}
	pending := res.dec.Pending
	if len(pending) == 0 {
		return nil
	}
	doc, err := store.Read(ctx)
	if err != nil {
		return fmt.Errorf("reading the ledger: %w", err)
	}
	plan, err := r.eolPlan(cfg, doc, res, pending)
	if err != nil {
		return err
	}
	res.plan = plan
	failed := map[string]bool{}
	sendErr := r.eolSend(ctx, sec, res, plan, failed)
	for _, t := range pending {
		if !failed[repoKey(t)] {
			res.told = append(res.told, t)
		}
	}
	if len(res.told) > 0 {
		_, err := store.Update(ctx, ledger.Message{Actor: r.Getenv("GITHUB_ACTOR"), Run: r.RunURL(),
			What: fmt.Sprintf("retire %s %s: end of life told to %s", res.kind, res.name, strings.Join(res.told, ", "))},
			func(d *ledger.Document) error { return retire.Notified(d, res.stream, res.told) })
		if err != nil {
			return errors.Join(sendErr, fmt.Errorf("the end-of-life dispatches to %s went out, but recording them in the ledger failed (a rerun of retire sends them again): %w",
				strings.Join(res.told, ", "), err))
		}
	}
	if sendErr != nil {
		return fmt.Errorf("the retirement of %s %s is recorded, but %w; rerun retire to send only the ones not sent", res.kind, res.name, sendErr)
	}
	return nil
}

// eolSend checks access to every target, then sends the dispatches one at a
// time (as cascade-branches does); failed collects the repositories (lower
// case) not told.
func (r *run) eolSend(ctx context.Context, sec session.Secrets, res *retirement, plan *cascade.DispatchPlan, failed map[string]bool) error {
	pace := &gh.Pacer{Clock: r.Clock(), Gap: mutationGap}
	in := cascadeInputs{Cascade: inputs.Cascade{AppID: res.in.AppID}, sec: sec}
	clients, refused, err := r.cascadeAccess(ctx, in, plan, pace)
	if err != nil {
		for _, d := range plan.Dispatches {
			failed[repoKey(d.Repo)] = true
			res.undeliv = append(res.undeliv, d.Target())
		}
		return err
	}
	var errs []error
	for _, d := range plan.Dispatches {
		k := repoKey(d.Repo)
		if e, ok := refused[k]; ok {
			res.status[d.Repo], failed[k] = "not reached: "+e.Error(), true
			res.undeliv = append(res.undeliv, d.Target())
			errs = append(errs, e)
			continue
		}
		if err := r.dispatch(ctx, pace, clients[k], d, in); err != nil {
			res.status[d.Repo], failed[k] = "not reached: "+err.Error(), true
			res.undeliv = append(res.undeliv, d.Target())
			errs = append(errs, err)
			continue
		}
		res.status[d.Repo] = "dispatched"
		res.dispatched++
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("%d of %d end-of-life dispatches not sent: %w", len(res.undeliv), len(plan.Dispatches), errors.Join(errs...))
}

// eolPlan is the end-of-life dispatches to the pending targets: the
// cascade.repos entries whose `when` names the stream (their event types),
// or, for a target recorded in the retirement that the config no longer
// lists, one with the default event type. Each payload names the final
// value and carries "eol": true; the correlation id is derived from the
// retirement, so a receiver recognises a repeat.
func (r *run) eolPlan(cfg *config.Config, doc *ledger.Document, res *retirement, pending []string) (*cascade.DispatchPlan, error) {
	rules := cfg.CascadeRules("")
	var repos []cascade.RepoRule
	for _, t := range pending {
		found := false
		for _, rr := range rules.Repos {
			if strings.EqualFold(rr.Repo, t) && (res.kind == ledger.KindChannel && rr.WhenChannel == res.name || res.kind == ledger.KindLabel && rr.WhenLabel == res.name) {
				repos, found = append(repos, rr), true
			}
		}
		if !found {
			rr := cascade.RepoRule{Repo: t}
			if res.kind == ledger.KindChannel {
				rr.WhenChannel = res.name
			} else {
				rr.WhenLabel = res.name
			}
			repos = append(repos, rr)
		}
	}
	rules.Repos, rules.Branches = repos, nil
	ret := res.dec.Retirement
	trig := cascade.Trigger{Repo: r.Act.Env().Repository}
	if res.kind == ledger.KindChannel {
		trig = trig.Published(res.name)
	} else {
		trig = trig.Moved(res.name)
	}
	trig.Bundle = &cascade.Bundle{Version: ret.Version, Digest: ret.Digest}
	if b, ok := doc.Bundle(ret.Version); ok {
		trig.Bundle.LockDigest = b.LockDigest
	}
	trig.EOL = true
	h := sha256.Sum256([]byte(cfg.Product + "\x00" + res.stream + "\x00" + ret.At.UTC().Format(time.RFC3339Nano)))
	plan, err := cascade.Plan(rules, trig, r.cascadeSelf(trig), 0, "eol-"+hex.EncodeToString(h[:])[:12], nil)
	if err != nil {
		return nil, fmt.Errorf("the end-of-life dispatches: %w", err)
	}
	return plan, nil
}

// promoteRetired answers promote-label when label is retired, or when (mode
// promote) the channel or label its candidates come from is
// (promote.RetiredDecision): decision retired, nothing written.
func promoteRetired(cfg *config.Config, doc *ledger.Document, label config.Label, in inputs.Promote) (*promotion, bool) {
	dec, ok := promote.RetiredDecision(doc, label.Name, in.Mode, retirableFrom(cfg, label, in))
	if !ok {
		return nil, false
	}
	return retiredPromotion(doc, label, in, dec), true
}

// retirableFrom is the stream promote-label's candidates come from (the
// from input when it names a channel or label, else the label's from), or
// "" when from names a version or digest.
func retirableFrom(cfg *config.Config, label config.Label, in inputs.Promote) string {
	from := in.From
	if from == "" {
		from = label.From
	}
	_, isChannel := cfg.Channel(from)
	_, isLabel := cfg.Label(from)
	if !isChannel && !isLabel {
		return ""
	}
	return ledger.SourceStream(cfg, from)
}

// retiredPromotion is the promotion that answers dec, a Retired decision.
func retiredPromotion(doc *ledger.Document, label config.Label, in inputs.Promote, dec promote.Decision) *promotion {
	return &promotion{label: label, in: in, dec: dec, history: promote.Moves(doc.Stream(ledger.LabelStream(label.Name)))}
}

// retiredTags: a retired stream's tag and <name>-eol point at its final
// value (none when it is not retired).
func retiredTags(stream, name string) ledgerTags {
	return func(doc *ledger.Document) map[string]string {
		ret, ok := doc.Retired(stream)
		if !ok {
			return nil
		}
		return map[string]string{name: ret.Digest, name + "-eol": ret.Digest}
	}
}

// retireFinish writes the outputs, the log line and the summary.
func (r *run) retireFinish(res *retirement) error {
	ret := res.dec.Retirement
	undeliv := res.undeliv
	if undeliv == nil {
		undeliv = []cascade.Target{}
	}
	und, _ := json.Marshal(undeliv)
	if err := r.setOutputs([]kv{
		{"retired", fmt.Sprint(res.dec.Kind != retire.Undo)},
		{"version", ret.Version},
		{"digest", ret.Digest},
		{"dispatched", strconv.Itoa(res.dispatched)},
		{"undelivered", string(und)},
	}); err != nil {
		return err
	}
	v := report.Retirement{Kind: res.kind, Name: res.name, Decision: res.dec, Reason: res.in.Reason, Untagged: res.untagged,
		DryRun: res.in.DryRun, Plan: res.plan, Status: res.status}
	r.Act.Infof("%s", v.Line())
	if len(res.told) > 0 {
		r.Act.Infof("end of life told to %s", strings.Join(res.told, ", "))
	}
	s := r.Act.Summary()
	report.Retire(s, v)
	return s.Write()
}
