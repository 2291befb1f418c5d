package app

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ladder-release/ladder/internal/action"
	"github.com/ladder-release/ladder/internal/inputs"
	"github.com/ladder-release/ladder/internal/session"

	"github.com/google/go-github/v60/github"

	"github.com/ladder-release/ladder/internal/cascade"
	"github.com/ladder-release/ladder/internal/config"
	"github.com/ladder-release/ladder/internal/gh"
	"github.com/ladder-release/ladder/internal/ledger"
	"github.com/ladder-release/ladder/internal/report"
	"github.com/ladder-release/ladder/internal/retire"
)

// mutationGap is the least time between two mutating requests (a dispatch,
// an installation token): GitHub asks integrations to send POST, PATCH, PUT
// and DELETE requests one at a time, at least a second apart, or meet its
// secondary rate limit.
const mutationGap = time.Second

// cascadeInputs are cascade-branches' inputs, read and checked, with its
// credentials.
type cascadeInputs struct {
	inputs.Cascade
	sec session.Secrets
}

// cascadeBranches: gather (inputs, config, the event) -> decide
// (cascade.Plan) -> check access to every target -> apply (the dispatches,
// one at a time) -> outputs and summary. One hop per run: a run dispatches
// the hops after its own; the runs it starts dispatch theirs.
func cascadeBranches(ctx context.Context, r *run) error {
	in, err := r.cascadeInputs()
	if err != nil {
		return err
	}
	cfg, err := r.LoadConfig()
	if err != nil {
		return err
	}
	if in.Channel != "" {
		if _, ok := cfg.Channel(in.Channel); !ok {
			return fmt.Errorf("input channel: %q is not a channel of %s (channels: %s)", in.Channel, cfg.File, strings.Join(cfg.ChannelNames(), ", "))
		}
	}
	if in.Label != "" {
		if _, ok := cfg.Label(in.Label); !ok {
			return cfg.UnknownLabel(in.Label)
		}
	}
	trig, err := r.cascadeTrigger(in)
	if err != nil {
		return err
	}
	if in.Label != "" || in.Channel != "" {
		if trig, err = r.streamTrigger(ctx, cfg, in, trig); err != nil {
			return err
		}
	}
	self := r.cascadeSelf(trig)
	id, err := r.correlationID(trig)
	if err != nil {
		return err
	}
	plan, err := cascade.Plan(cfg.CascadeRules(in.EventType), trig, self, in.MaxDepth, id, json.RawMessage(in.Payload))
	if err != nil {
		return err
	}
	res := &cascadeResult{plan: plan, dryRun: in.DryRun, status: make([]string, len(plan.Dispatches))}
	if len(plan.Dispatches) == 0 {
		r.Act.Infof("cascade-branches: nothing to dispatch: %s", plan.Reason)
		return r.cascadeFinish(res, nil)
	}

	pace := &gh.Pacer{Clock: r.Clock(), Gap: mutationGap}
	clients, refused, err := r.cascadeAccess(ctx, in, plan, pace)
	if err != nil {
		return err
	}
	if len(refused) > 0 {
		// A permission problem is a set-up problem: send nothing rather
		// than half a cascade, and name every target refused.
		for i, d := range plan.Dispatches {
			if e, ok := refused[repoKey(d.Repo)]; ok {
				res.fail(i, e)
			} else {
				res.status[i] = "not sent (another target was refused)"
				res.undelivered = append(res.undelivered, d.Target())
			}
		}
		return r.cascadeFinish(res, res.err())
	}
	if in.DryRun {
		for i := range plan.Dispatches {
			res.status[i] = "would dispatch (dry run)"
		}
		return r.cascadeFinish(res, nil)
	}
	for i, d := range plan.Dispatches {
		if err := ctx.Err(); err != nil {
			res.fail(i, fmt.Errorf("%s: not sent: %w", d.Target(), err))
			continue
		}
		if err := r.dispatch(ctx, pace, clients[repoKey(d.Repo)], d, in); err != nil {
			res.fail(i, err)
			continue
		}
		res.status[i] = "dispatched"
		res.sent++
	}
	return r.cascadeFinish(res, res.err())
}

func (r *run) cascadeInputs() (cascadeInputs, error) {
	sec, err := r.Secrets()
	if err != nil {
		return cascadeInputs{}, err
	}
	// The key is masked before anything else reads it; every line of it,
	// since the runner masks line by line.
	sec.AppKey = r.Act.SecretInput("app-private-key")
	in, err := inputs.ParseCascade(r.Input)
	return cascadeInputs{Cascade: in, sec: sec}, err
}

// cascadeTrigger reads what started this run from the event (GITHUB_EVENT_NAME,
// the payload at GITHUB_EVENT_PATH, GITHUB_REF), then applies the inputs: a
// branch input replaces the event's branch, a channel input makes the trigger
// a channel publish (keeping a cascaded run's chain).
func (r *run) cascadeTrigger(in cascadeInputs) (cascade.Trigger, error) {
	env := r.Act.Env()
	name, payload, err := r.EventPayload()
	if err != nil {
		return cascade.Trigger{}, err
	}
	trig, err := cascade.ParseEvent(name, payload, env.Ref, env.Repository)
	switch {
	case err == nil:
	case errors.Is(err, cascade.ErrUnsupportedEvent) && (in.Branch != "" || in.Channel != "" || in.Label != ""):
		trig = cascade.Trigger{Event: name, Repo: env.Repository}
	case errors.Is(err, cascade.ErrUnsupportedEvent):
		return cascade.Trigger{}, fmt.Errorf("%w; set the branch input (the branch that changed), the channel input (a channel just published) or the label input (a label just moved)", err)
	default:
		return cascade.Trigger{}, fmt.Errorf("reading the event (GITHUB_EVENT_PATH): %w", err)
	}
	if in.Branch != "" && in.Branch != trig.Branch {
		trig.Branch, trig.Skip = in.Branch, ""
	}
	if in.Channel != "" {
		trig = trig.Published(in.Channel)
	}
	if in.Label != "" {
		trig = trig.Moved(in.Label)
	}
	return trig, nil
}

// streamTrigger reads the ledger for a channel or label input: a retired
// one (ladder retire) triggers nothing, the trigger's Skip saying when and
// why; the trigger carries the bundle it holds (streamHead). Without a
// ledger a channel cannot be retired, and there is nothing to read.
func (r *run) streamTrigger(ctx context.Context, cfg *config.Config, in cascadeInputs, trig cascade.Trigger) (cascade.Trigger, error) {
	if cfg.Ledger.Kind == config.LedgerNone {
		if in.Label != "" {
			return trig, session.At(cfg, "ledger", fmt.Errorf("input label: %s moves through a ledger (github or file:PATH), and ledger: none has none to read what it holds", in.Label))
		}
		return trig, nil
	}
	store, err := r.LedgerStore(cfg, in.sec)
	if err != nil {
		return trig, err
	}
	doc, err := store.Read(ctx)
	if err != nil {
		return trig, fmt.Errorf("reading the ledger: %w", err)
	}
	stream := ledger.ChannelStream(in.Channel)
	if in.Label != "" {
		stream = ledger.LabelStream(in.Label)
	}
	if why, ok := retire.Blocked(doc, stream); ok {
		trig.Skip = why + ": cascades from it stop"
		return trig, nil
	}
	trig.Bundle, err = streamHead(doc, stream, in)
	return trig, err
}

// streamHead is the bundle the channel or label input names holds: the head
// of its stream in the ledger, with the lock digest the ledger recorded for
// that version (SPEC section 4: the payload names the version, digest and
// lock digest). A label moves only through the ledger (promote-label needs
// one), so a label that never moved has nothing to announce; a channel the
// ledger holds no publish of yet is announced without a bundle, as
// without a ledger.
func streamHead(doc *ledger.Document, stream string, in cascadeInputs) (*cascade.Bundle, error) {
	h, ok := doc.Head(stream)
	switch {
	case !ok && in.Label != "":
		return nil, fmt.Errorf("input label: %s points at no bundle yet (the ledger has no move of it): nothing to announce", in.Label)
	case !ok:
		return nil, nil
	}
	b := &cascade.Bundle{Version: h.Version, Digest: h.Digest}
	if pub, ok := doc.Bundle(h.Version); ok { // by version: one image may hold two locks
		b.LockDigest = pub.LockDigest
	}
	return b, nil
}

// cascadeSelf is this run: its repository, the branch of GITHUB_REF (for a
// channel publish that names no branch), and GITHUB_SHA when it is the
// commit of the branch this run builds. In a run started by
// repository_dispatch, GITHUB_SHA is the default branch's head, not the
// commit of the branch the payload names, so it is left out.
func (r *run) cascadeSelf(trig cascade.Trigger) cascade.Repo {
	env := r.Act.Env()
	self := cascade.Repo{Repo: env.Repository}
	if b, ok := strings.CutPrefix(env.Ref, "refs/heads/"); ok && cascade.CheckBranch(b) == nil {
		self.Branch = b
	}
	branch := trig.Branch
	if branch == "" {
		branch = self.Branch
	}
	if branch != "" && branch == self.Branch && cascade.IsFullSHA(env.SHA) {
		self.SHA = env.SHA
	}
	return self
}

// correlationID names the cascade this run would start (a cascaded run keeps
// the id it received; cascade.Plan sees to that).
//
// It is derived, not drawn: run-RUNID-ATTEMPT-HASH, HASH being 12 hex digits
// of sha256 over GITHUB_REPOSITORY, GITHUB_RUN_ID, GITHUB_RUN_ATTEMPT,
// GITHUB_SHA and the trigger (branch, channel or label). The same step of the same
// run attempt sending twice (a retried step, a job that calls the action
// again) sends the same id, so a receiver can recognise the duplicate; a
// re-run is a new attempt, a deliberate new cascade, with an id of its own;
// two triggers in one run (a branch and a channel) are two cascades. Outside
// a runner (no GITHUB_RUN_ID) the id is random: local-HEX.
func (r *run) correlationID(trig cascade.Trigger) (string, error) {
	env := r.Act.Env()
	if !digits(env.RunID) {
		var b [8]byte
		if _, err := rand.Read(b[:]); err != nil {
			return "", fmt.Errorf("choosing a correlation id: %w", err)
		}
		return "local-" + hex.EncodeToString(b[:]), nil
	}
	attempt := r.Getenv("GITHUB_RUN_ATTEMPT")
	if !digits(attempt) {
		attempt = "1"
	}
	h := sha256.New()
	parts := []string{env.Repository, env.RunID, attempt, env.SHA, trig.Branch, trig.Channel}
	if trig.Label != "" { // only then: the ids of other triggers stay as they were
		parts = append(parts, "label:"+trig.Label)
	}
	for _, part := range parts {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	id := fmt.Sprintf("run-%s-%s-%s", env.RunID, attempt, hex.EncodeToString(h.Sum(nil))[:12])
	if len(id) > 128 {
		id = "run-" + hex.EncodeToString(h.Sum(nil))[:24]
	}
	return id, nil
}

func digits(s string) bool {
	if s == "" || len(s) > 40 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func repoKey(repo string) string { return strings.ToLower(repo) }

// cascadeAccess checks, before anything is sent, that every target
// repository will take a dispatch, and returns the client that sends to each.
//
// With a token: GET /repos/{owner}/{repo} must answer, and its
// permissions.push be true. An installation token (ghs_..., the workflow's
// GITHUB_TOKEN among them) is the exception: GitHub does not describe an
// installation token's permissions in that answer, so only the repository's
// visibility is checked, and a 403 from the dispatch itself is reported with
// the same words. With a GitHub App: an installation token is minted for
// each target repository (which proves the App is installed there), masked
// at once, and the permissions GitHub granted it must include contents:
// write, which repository_dispatch needs.
//
// refused maps a target repository (lower case) to why it cannot be
// reached; err is a failure to check at all.
func (r *run) cascadeAccess(ctx context.Context, in cascadeInputs, plan *cascade.DispatchPlan, pace *gh.Pacer) (map[string]*github.Client, map[string]error, error) {
	var repos []string
	seen := map[string]bool{}
	for _, d := range plan.Dispatches {
		if k := repoKey(d.Repo); !seen[k] {
			seen[k] = true
			repos = append(repos, d.Repo)
		}
	}
	clients := map[string]*github.Client{}
	refused := map[string]error{}
	if in.AppID != 0 {
		app, err := r.githubApp()
		if err != nil {
			return nil, nil, err
		}
		for _, repo := range repos {
			if err := pace.Wait(ctx); err != nil {
				return nil, nil, err
			}
			tok, err := app.InstallationToken(ctx, in.AppID, []byte(in.sec.AppKey), repo)
			pace.Sent()
			a := gh.Answer(err)
			if err == nil {
				r.Act.AddMask(tok.Token)
				a.Contents = tok.Permissions["contents"]
			}
			switch access, refusal := cascade.AppAccess(cascade.Check{Repo: repo, App: in.AppID}, a); access {
			case cascade.Refused:
				refused[repoKey(repo)] = refusal
				continue
			case cascade.Unauthorized:
				return nil, nil, fmt.Errorf("%w (check app-id and app-private-key: the key must be the App's current private key)", err)
			case cascade.Failed:
				return nil, nil, err
			}
			// a client of its own per minted token (r.github keeps only the
			// run's own token's client)
			c, err := r.NewGitHub(session.Secrets{Token: tok.Token})
			if err != nil {
				return nil, nil, err
			}
			clients[repoKey(repo)] = c
		}
		return clients, refused, nil
	}

	if in.sec.Token == "" {
		return nil, nil, errors.New("input token: empty, and no GitHub App is given (app-id, app-private-key): nothing to dispatch with")
	}
	c, err := r.GitHub(in.sec)
	if err != nil {
		return nil, nil, err
	}
	own := r.Act.Env().Repository
	for _, repo := range repos {
		owner, name, _ := strings.Cut(repo, "/")
		got, _, err := c.Repositories.Get(ctx, owner, name)
		a := gh.Answer(err)
		a.Push = err == nil && got.GetPermissions()["push"]
		target := cascade.Check{Repo: repo, Own: strings.EqualFold(repo, own), Installation: cascade.InstallationToken(in.sec.Token)}
		switch access, refusal := cascade.TokenAccess(target, a); access {
		case cascade.Refused:
			refused[repoKey(repo)] = refusal
			continue
		case cascade.Unauthorized:
			return nil, nil, fmt.Errorf("checking access to %s: %w (the token input is not a valid token)", repo, err)
		case cascade.Failed:
			return nil, nil, fmt.Errorf("checking access to %s: %w", repo, err)
		}
		clients[repoKey(repo)] = c
	}
	return clients, refused, nil
}

// dispatch sends one repository_dispatch: the body exactly as the plan
// checked it against GitHub's limits. gh retries 5xx and rate limits.
func (r *run) dispatch(ctx context.Context, pace *gh.Pacer, c *github.Client, d cascade.Dispatch, in cascadeInputs) error {
	if err := pace.Wait(ctx); err != nil {
		return fmt.Errorf("%s: not sent: %w", d.Target(), err)
	}
	owner, name, _ := strings.Cut(d.Repo, "/")
	body := json.RawMessage(d.Body)
	_, _, err := c.Repositories.Dispatch(ctx, owner, name, github.DispatchRequestOptions{EventType: d.EventType, ClientPayload: &body})
	pace.Sent()
	target := cascade.Check{Repo: d.Repo, Own: strings.EqualFold(d.Repo, r.Act.Env().Repository), App: in.AppID}
	switch access, refusal := cascade.DispatchAccess(target, gh.Answer(err)); access {
	case cascade.Granted:
		return nil
	case cascade.Refused:
		return fmt.Errorf("%s: %w", d.Target(), refusal)
	}
	return fmt.Errorf("%s: %w", d.Target(), err)
}

// githubApp returns a client that authenticates as a GitHub App (gh signs
// the JWT and reports what each minted token was granted).
func (r *run) githubApp() (*gh.Client, error) {
	api := r.Getenv("GITHUB_API_URL")
	if api == "" {
		api = action.DefaultAPIURL
	}
	c, err := gh.New(gh.WithAPIURL(api), gh.WithHTTPClient(r.HTTPClient()), gh.WithClock(r.Clock()), gh.WithUserAgent("ladder/"+Version), gh.WithMask(r.Act.AddMask))
	if err != nil {
		return nil, fmt.Errorf("GitHub App client: %w", err)
	}
	return c, nil
}

// cascadeResult is what the run did, for outputs and the summary.
type cascadeResult struct {
	plan        *cascade.DispatchPlan
	dryRun      bool
	sent        int
	status      []string // per dispatch
	undelivered []cascade.Target
	errs        []error
}

func (res *cascadeResult) fail(i int, err error) {
	res.status[i] = "not reached: " + err.Error()
	res.undelivered = append(res.undelivered, res.plan.Dispatches[i].Target())
	res.errs = append(res.errs, err)
}

// err names every target not reached, then why each one was not.
func (res *cascadeResult) err() error {
	if len(res.undelivered) == 0 {
		return nil
	}
	names := make([]string, len(res.undelivered))
	for i, t := range res.undelivered {
		names[i] = t.String()
	}
	errs := []error{fmt.Errorf("cascade: %d of %d targets not reached: %s", len(res.undelivered), len(res.plan.Dispatches), strings.Join(names, ", "))}
	seen := map[string]bool{}
	for _, e := range res.errs {
		if !seen[e.Error()] { // one refused repository, several branches
			seen[e.Error()] = true
			errs = append(errs, e)
		}
	}
	return errors.Join(errs...)
}

// cascadeFinish writes the outputs and the summary, then returns runErr.
func (r *run) cascadeFinish(res *cascadeResult, runErr error) error {
	p := res.plan
	branch := ""
	if n := len(p.Chain); n > 0 {
		branch = p.Chain[n-1].Branch
	}
	undelivered := res.undelivered
	if undelivered == nil {
		undelivered = []cascade.Target{}
	}
	und, _ := json.Marshal(undelivered)
	outs := []kv{
		{"targets", p.TargetsJSON()},
		{"dispatched", strconv.Itoa(res.sent)},
		{"undelivered", string(und)},
		{"correlation-id", p.CorrelationID},
		{"branch", branch},
		{"chain", p.ChainJSON()},
	}
	if err := r.setOutputs(outs); err != nil {
		return errors.Join(runErr, err)
	}
	s := r.Act.Summary()
	report.Cascade(s, res.plan, res.status, res.sent, res.dryRun)
	if err := s.Write(); err != nil {
		return errors.Join(runErr, err)
	}
	return runErr
}
