package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/ladder-release/ladder/internal/changes"
	"github.com/ladder-release/ladder/internal/config"
	"github.com/ladder-release/ladder/internal/fanout"
	"github.com/ladder-release/ladder/internal/inputs"
	"github.com/ladder-release/ladder/internal/ledger"
	"github.com/ladder-release/ladder/internal/lock"
	"github.com/ladder-release/ladder/internal/oci"
	"github.com/ladder-release/ladder/internal/promote"
	"github.com/ladder-release/ladder/internal/report"
	"github.com/ladder-release/ladder/internal/session"
)

// promote-label: gather (inputs, ledger, the candidate, its lock and the gate
// evidence on GitHub) -> decide (promote.Decide) -> apply (one
// compare-and-swap ledger write that re-decides against the fresh ledger,
// then the registry's <label> and <label>-previous tags made to match the
// ledger) -> outputs and summary.
//
// Choices (README):
//   - What the ledger records: moves (promoted, rollback: stream entries
//     with from and to, versions, digests, when, actor, run, reason,
//     decision, forced), holds and their release, and quarantines. A
//     pending decision is not recorded (it would add a commit to the ledger
//     on every scheduled run and says nothing about where the label was);
//     neither is a failed one without quarantine: the run's outputs, summary
//     and exit code carry it.
//   - Candidates: with `from` a channel or label (the label's `from` by
//     default), the newest value of that stream that is not quarantined;
//     when that cannot move the label forward, the run is a noop (a
//     schedule stays green). With `from` a version or digest, a refusal
//     (lower than the label, quarantined) fails the run.
//   - A version retention deleted is never a candidate, even forced (its
//     version tag is gone): `from` naming it is an input error; picked
//     from a stream, it is passed over; deleted after this run's read (the
//     decision made again in the compare-and-swap sees it), the run fails
//     when it was named and is a noop when it came from a stream (the
//     stream has moved on: the next run takes its newest value, gated). A
//     rollback whose target retention deleted is refused, not sent further
//     back than asked.
//   - A hold is lifted only by mode release (force bypasses gates and
//     quarantines, not holds); a rollback moves the label back and holds it.
//   - One rollback request moves the label back one step: decided again in
//     the compare-and-swap, it rolls back only from the value its first read
//     saw (a rollback from that value recorded meanwhile answers as done;
//     any other move is refused); a rollback this workflow run already
//     recorded (a rerun keeps GITHUB_RUN_ID) answers as done; a write whose
//     answer was lost is recognised by the claim on its entry.
//   - force needs a reason: the ledger records who bypassed what, and why.
//   - promote-label needs a ledger: holds, quarantines and the history live
//     there; with ledger: none it refuses to run.
//   - The candidate's lock (the bundle's config blob) is read when the gates
//     check commits, and with the previous value's for "What changed"
//     (changes.go); the retag itself is a manifest GET and PUT.

// Polling of pending gates (input wait): the first wait, doubled after each
// poll up to the cap.
const (
	pollFirst = 15 * time.Second
	pollCap   = 2 * time.Minute
	// maxConcurrentEvidence bounds the components whose checks are read at once.
	maxConcurrentEvidence = 16
)

// promotion is promote-label's result.
type promotion struct {
	label   config.Label
	in      inputs.Promote
	dec     promote.Decision
	from    string // where the candidate came from, as the summary says it
	skipped []promote.Move
	history []promote.Move // the label's stream after the run
	lockOK  bool           // the candidate's lock was read
	lock    lock.Lock
	written bool // the ledger was written
	changes *changes.Set
	// signature is the digest of the signature this run attached (sign:
	// true), signer who made it.
	signature, signer string
	// lockDigests are the ledger's lock digests of the previous value and
	// of the target (one image may hold two locks)
	lockDigests [2]string
}

func promoteLabel(ctx context.Context, r *run) error {
	sec, in, cfg, err := start(r, inputs.ParsePromote)
	if err != nil {
		return err
	}
	label, ok := cfg.Label(in.Label)
	if !ok {
		return cfg.UnknownLabel(in.Label)
	}
	if cfg.Ledger.Kind == config.LedgerNone {
		return session.At(cfg, "ledger", errors.New("promote-label needs a ledger (github or file:PATH): a label's history, holds and quarantines live there, and its moves are claimed there; ledger: none has none"))
	}
	reg, store, err := r.Stores(cfg, sec)
	if err != nil {
		return err
	}
	p, err := r.promote(ctx, cfg, label, store, reg, sec, in)
	if err != nil {
		return err
	}
	p.changes = r.labelChanges(ctx, cfg, sec, reg, p)
	d := p.dec
	reason := d.Reason
	if in.DryRun {
		reason = "dry run, nothing written: " + reason
	}
	if err := r.setOutputs([]kv{
		{"decision", string(d.Outcome)},
		{"promoted", fmt.Sprint(d.Outcome == promote.Promoted && p.written)},
		{"digest", d.Target.Digest},
		{"version", d.Target.Version},
		{"previous-digest", d.Previous.Digest},
		{"previous-version", d.Previous.Version},
		{"reason", reason},
		{"changes", changesJSON(p.changes)},
		{"signature", p.signature},
	}); err != nil {
		return err
	}
	s := r.Act.Summary()
	report.Promote(s, report.Promotion{Label: p.label.Name, Mode: p.in.Mode, DryRun: p.in.DryRun, Decision: p.dec, From: p.from,
		Skipped: p.skipped, History: p.history, Changes: p.changes, Signature: p.signature, Signer: p.signer})
	if err := s.Write(); err != nil {
		return err
	}
	if err := r.deployMove(ctx, cfg, sec, store, p); err != nil {
		return err
	}
	switch {
	case d.Outcome != promote.Failed:
		return nil
	case d.Refused:
		return errors.New(d.Reason)
	default:
		return session.At(cfg, "labels."+label.Name+".gates", errors.New(d.Reason))
	}
}

// promote gathers, decides (polling pending gates for up to in.Wait), writes
// the decision to the ledger and makes the registry match.
func (r *run) promote(ctx context.Context, cfg *config.Config, label config.Label, store ledger.Store, reg *oci.Client, sec session.Secrets, in inputs.Promote) (*promotion, error) {
	doc, err := store.Read(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the ledger: %w", err)
	}
	if p, ok := promoteRetired(cfg, doc, label, in); ok {
		return p, nil // retired (retire.go): nothing written
	}
	doc, st, cand, err := r.chooseCandidate(ctx, cfg, label, store, doc, in)
	if err != nil {
		return nil, err
	}
	input := promote.Input{
		Label: label.Name, Mode: in.Mode, Force: in.Force, Reason: in.Reason,
		Actor: r.Getenv("GITHUB_ACTOR"), Run: r.RunURL(), Now: r.Deps.Now().UTC(),
		Gates: promote.Gates{Checks: label.Gates.Checks, AllChecks: label.Gates.AllChecks, Soak: label.Gates.Soak,
			Components: label.Gates.Components, Signed: signedGate(label.Gates.Signed)},
		Quarantine: label.Quarantine,
	}
	promote.Fill(&input, cand, st)
	p := &promotion{label: label, in: in, from: cand.From, skipped: cand.Skipped}
	dec, err := r.gateDecision(ctx, cfg, label, reg, sec, in, cand, &input, p)
	if err != nil {
		return nil, err
	}
	p.dec = dec
	p.history = st.History
	p.lockDigests = [2]string{replacedLock(doc, dec.Previous.Version), replacedLock(doc, dec.Target.Version)}
	if in.DryRun {
		return p, nil
	}
	var sig signed
	if label.Sign && dec.Move != nil && dec.Outcome == promote.Promoted {
		// gates passed: sign and attach, then record the move with the
		// signature, then the tags; a failure here records nothing
		lockDigest := ""
		if b, ok := doc.Bundle(dec.Target.Version); ok { // by version: one image may hold two locks
			lockDigest = b.LockDigest
		}
		if sig, err = r.signPromotion(ctx, cfg, reg, label, input, dec, lockDigest); err != nil {
			return nil, err
		}
		p.signature, p.signer = sig.digest, sig.identity.String()
	}
	if dec.Writes() {
		var retired *promotion
		if doc, retired, err = r.recordPromotion(ctx, cfg, label, store, in, input, sig, p); err != nil || retired != nil {
			return retired, err
		}
	}
	moved := p.written && p.dec.Move != nil
	if err := r.convergeLabel(ctx, cfg, store, reg, label.Name, doc, moved); err != nil {
		if moved {
			return nil, fmt.Errorf("the ledger recorded the move of label %s to %s, but the registry's tags do not show it yet: %w; rerun to put the tags right (the move is not made again)",
				label.Name, p.dec.Target.Version, err)
		}
		return nil, err
	}
	if err := r.republishCatalog(ctx, cfg, store, reg, doc, ledger.LabelStream(label.Name), moved, fmt.Sprintf("the move of label %s to %s", label.Name, p.dec.Target.Version)); err != nil {
		return nil, err
	}
	return p, nil
}

// chooseCandidate resolves the from input on the ledger doc read first
// (promote.Choose), and again on the whole ledger when the state alone
// cannot decide (promote.NeedsHistory). It returns the document decided on.
func (r *run) chooseCandidate(ctx context.Context, cfg *config.Config, label config.Label, store ledger.Store, doc *ledger.Document, in inputs.Promote) (*ledger.Document, promote.State, promote.Candidate, error) {
	st := promote.StateOf(doc, label.Name)
	src := promote.Source{Label: label.Name, LabelFrom: label.From, From: in.From, Mode: in.Mode,
		Channels: cfg.ChannelNames(), Labels: cfg.LabelNames(), Config: cfg.File}
	cand, err := promote.Choose(doc, src, st)
	if promote.NeedsHistory(doc, src, cand, err, ledger.SourceStream(cfg, label.From)) {
		if doc, err = store.ReadAll(ctx); err != nil {
			return nil, st, cand, fmt.Errorf("reading the ledger's history: %w", err)
		}
		st = promote.StateOf(doc, label.Name)
		cand, err = promote.Choose(doc, src, st)
	}
	return doc, st, cand, err
}

// gateDecision decides the promotion: at once when no gate is read
// (promote.Early), else after reading the candidate's lock (for gates on
// its commits) and polling the gates' evidence.
func (r *run) gateDecision(ctx context.Context, cfg *config.Config, label config.Label, reg *oci.Client, sec session.Secrets, in inputs.Promote, cand promote.Candidate, input *promote.Input, p *promotion) (promote.Decision, error) {
	dec, early := promote.Early(*input)
	if early {
		return dec, nil
	}
	if input.Gates.NeedChecks() {
		ref := cfg.Registry + "@" + cand.Bundle.Digest
		var err error
		if p.lock, err = reg.ReadLock(ctx, ref); err != nil {
			return dec, fmt.Errorf("reading the lock of candidate %s (%s): %w", cand.Bundle.Version, ref, err)
		}
		// gate evidence is read only from the repositories the config
		// names: a lock naming another (a fork shares commit SHAs, not
		// check runs) never passes a gate
		if err := cfg.CheckLock(p.lock); err != nil {
			return dec, fmt.Errorf("the lock of candidate %s (%s) does not match the config, so its gates are not read: %w; publish a new bundle", cand.Bundle.Version, ref, err)
		}
		p.lockOK = true
		input.Lock = p.lock.Components
	}
	var sigs func(context.Context) ([]promote.Signature, error)
	if label.Gates.Signed != nil {
		sigs = func(ctx context.Context) ([]promote.Signature, error) {
			return r.signatureEvidence(ctx, cfg, reg, label, cand.Bundle.Digest)
		}
	}
	return r.pollGates(ctx, sec, input, in.Wait, sigs)
}

// recordPromotion writes the decision in the ledger (promote.Recorder
// inside the compare-and-swap, deciding again on the ledger it is given)
// and fills p with what was written. A label retired since the first read
// writes nothing: its answer is returned instead.
func (r *run) recordPromotion(ctx context.Context, cfg *config.Config, label config.Label, store ledger.Store, in inputs.Promote, input promote.Input, sig signed, p *promotion) (*ledger.Document, *promotion, error) {
	var final promote.Decision
	rec := &promote.Recorder{Input: input, Source: ledger.SourceStream(cfg, label.From), Claim: newClaim(),
		FromStream: retirableFrom(cfg, label, in)}
	if sig.digest != "" {
		rec.Signed, rec.Signature = p.dec.Target.Digest, sig.digest
	}
	meta := ledger.Message{Actor: input.Actor, Run: input.Run,
		Describe: func() string { return promote.DescribeWrite(label.Name, final) }} // the decision actually written
	doc, err := store.Update(ctx, meta, func(d *ledger.Document) (err error) {
		final, err = rec.Record(d)
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("recording the decision on label %s in the ledger: %w", label.Name, err)
	}
	if final.Outcome == promote.Retired { // retired since the first read
		return doc, retiredPromotion(doc, label, in, final), nil
	}
	p.dec, p.written = final, final.Writes()
	p.history = promote.Moves(doc.Stream(ledger.LabelStream(label.Name)))
	p.lockDigests = [2]string{replacedLock(doc, final.Previous.Version), replacedLock(doc, final.Target.Version)}
	return doc, nil, nil
}

// pollGates reads the evidence and decides; while the decision is pending
// and wait allows, it waits (15 s, doubling up to 2 min, never past the
// deadline; exactly the soak's rest when only the soak is pending) and reads
// again. A soak that cannot end before the deadline stops the polling.
// It leaves in input the evidence and time of the last decision.
func (r *run) pollGates(ctx context.Context, sec session.Secrets, input *promote.Input, wait time.Duration, sigs func(context.Context) ([]promote.Signature, error)) (promote.Decision, error) {
	deadline := r.Deps.Now().Add(wait)
	delay := pollFirst
	for {
		if input.Gates.NeedChecks() {
			ev, err := r.checkEvidence(ctx, sec, input.Gates, input.Lock)
			if err != nil {
				return promote.Decision{}, err
			}
			input.Evidence = ev
		}
		if sigs != nil {
			found, err := sigs(ctx)
			if err != nil {
				return promote.Decision{}, err
			}
			input.Signatures = found
		}
		input.Now = r.Deps.Now().UTC()
		dec := promote.Decide(*input)
		left := deadline.Sub(r.Deps.Now())
		if dec.Outcome != promote.Pending || left <= 0 {
			return dec, nil
		}
		pause := min(delay, left)
		if !dec.ChecksPending {
			if dec.Soak.Left > left {
				return dec, nil // the soak outlasts the wait
			}
			pause = dec.Soak.Left
		}
		r.Act.Infof("label %s: %s; polling again in %s", input.Label, dec.Reason, rounded(pause))
		if err := r.Clock().Sleep(ctx, pause); err != nil {
			return promote.Decision{}, err
		}
		delay = min(delay*2, pollCap)
	}
}

// rounded is d as a person reads it: whole seconds (57s, not 56.789s), or
// milliseconds below a second.
func rounded(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(time.Second)
}

// checkEvidence reads, concurrently, the check runs (the latest of each
// name) and the combined commit status of every gated repo: component's
// commit. Any API error fails the read: an error is never a pass.
func (r *run) checkEvidence(ctx context.Context, sec session.Secrets, g promote.Gates, entries []lock.Entry) (map[string]promote.Evidence, error) {
	gated, _ := promote.Gated(g, entries)
	var todo []lock.Entry
	for _, e := range gated {
		if e.Repo != "" { // a git: component has no check source
			todo = append(todo, e)
		}
	}
	out := make(map[string]promote.Evidence, len(todo))
	if len(todo) == 0 {
		return out, nil
	}
	client, err := r.GitHub(sec)
	if err != nil {
		return nil, err
	}
	evidence := make([]promote.Evidence, len(todo))
	err = fanout.Each(ctx, len(todo), maxConcurrentEvidence, func(ctx context.Context, i int) error {
		e := todo[i]
		ev, err := commitEvidence(ctx, client, e.Repo, e.Commit)
		if err != nil {
			return fmt.Errorf("reading the gate evidence of component %s (%s@%s): %w", e.Name, e.Repo, lock.Short(e.Commit), err)
		}
		evidence[i] = ev
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i, e := range todo {
		out[e.Name] = evidence[i]
	}
	return out, nil
}

func commitEvidence(ctx context.Context, c *github.Client, repo, commit string) (promote.Evidence, error) {
	var ev promote.Evidence
	owner, name, ok := strings.Cut(repo, "/")
	if !ok {
		return ev, fmt.Errorf("repository %q is not owner/name", repo)
	}
	latest := "latest"
	opts := &github.ListCheckRunsOptions{Filter: &latest, ListOptions: github.ListOptions{PerPage: 100}}
	for {
		res, resp, err := c.Checks.ListCheckRunsForRef(ctx, owner, name, commit, opts)
		if err != nil {
			return ev, fmt.Errorf("listing check runs: %w", err)
		}
		for _, cr := range res.CheckRuns {
			ev.CheckRuns = append(ev.CheckRuns, promote.CheckRun{Name: cr.GetName(), Status: cr.GetStatus(), Conclusion: cr.GetConclusion()})
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	lopts := &github.ListOptions{PerPage: 100}
	for {
		st, resp, err := c.Repositories.GetCombinedStatus(ctx, owner, name, commit, lopts)
		if err != nil {
			return ev, fmt.Errorf("reading the combined status: %w", err)
		}
		for _, s := range st.Statuses {
			ev.Statuses = append(ev.Statuses, promote.Status{Context: s.GetContext(), State: s.GetState()})
		}
		if resp.NextPage == 0 {
			break
		}
		lopts.Page = resp.NextPage
	}
	return ev, nil
}

// convergeLabel makes the registry's <label> and <label>-previous tags
// follow the ledger (convergeTags). After a move this run recorded, the tags
// are written first without asking the registry (a manifest GET and PUT each,
// no blob), both at once, and the locks of the two bundles are read with
// them for "What changed" (labelChanges then finds them read): two round
// trips in all. Otherwise (a noop, or a rerun after a stop) they are read
// first.
func (r *run) convergeLabel(ctx context.Context, cfg *config.Config, store ledger.Store, reg *oci.Client, label string, doc *ledger.Document, moved bool) error {
	known := map[string]string{}
	if moved {
		want := labelTags(doc, label)
		tags := make([]string, 0, len(want))
		for tag := range want {
			tags = append(tags, tag)
		}
		var locks []string // artifact bundles: their lock is their config blob
		for _, tag := range tags {
			if b, ok := doc.BundleByDigest(want[tag]); ok && b.Mode == ledger.ModeArtifact {
				locks = append(locks, want[tag])
			}
		}
		err := fanout.Each(ctx, len(tags)+len(locks), maxConcurrentTags, func(ctx context.Context, i int) error {
			if i >= len(tags) {
				_, _ = reg.ReadLock(ctx, cfg.Registry+"@"+locks[i-len(tags)]) // read again, and reported, by labelChanges
				return nil
			}
			if err := reg.Tag(ctx, cfg.Registry, want[tags[i]], tags[i]); err != nil {
				return fmt.Errorf("moving tag %s to the ledger's value: %w", tags[i], err)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for tag, digest := range want {
			known[tag] = digest
		}
	}
	return r.convergeTags(ctx, cfg, store, reg, labelTag(label), known)
}
