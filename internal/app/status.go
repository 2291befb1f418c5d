package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ladder-release/ladder/internal/action"
	"github.com/ladder-release/ladder/internal/bundle"
	"github.com/ladder-release/ladder/internal/config"
	"github.com/ladder-release/ladder/internal/ledger"
	"github.com/ladder-release/ladder/internal/oci"
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
// same content is printed as indented JSON (statusReport, statusHistory).
//
// With `ledger: none` there is no record to read: status reads the
// registry's channel, label and `<label>-previous` tags (version and
// digest only) and says that since-when, holds, quarantines, deletions and
// the upgrade graph need a ledger; --history is refused.

// statusFlags are the flags `ladder status` takes.
var statusFlags = []string{"config", "history", "json"}

// statusReport is what `ladder status --json` prints. Times are RFC 3339 in
// UTC; ages are whole seconds before Now; digests are full.
type statusReport struct {
	Product     string             `json:"product"`
	Registry    string             `json:"registry"`
	Ledger      string             `json:"ledger"` // github | file:PATH | none
	Now         time.Time          `json:"now"`
	Bundles     int                `json:"bundles"` // published, ever (deleted ones included)
	Note        string             `json:"note,omitempty"`
	Streams     []statusStream     `json:"streams"`     // channels, then labels, in config order; then unconfigured, sorted
	Quarantines []statusQuarantine `json:"quarantines"` // oldest first
	Deletions   []statusDeletion   `json:"deletions"`   // oldest first
}

// statusStream is one channel or label. Version, digest, since and the head
// move's fields are absent when the stream never moved.
type statusStream struct {
	Name         string        `json:"name"`
	Kind         string        `json:"kind"`   // channel | label
	Stream       string        `json:"stream"` // the ledger's key: channel:NAME or label:NAME
	Unconfigured bool          `json:"unconfigured,omitempty"`
	From         string        `json:"from,omitempty"` // labels: where candidates come from
	Version      string        `json:"version,omitempty"`
	Digest       string        `json:"digest,omitempty"`
	Since        *time.Time    `json:"since,omitempty"`
	AgeSeconds   *int64        `json:"ageSeconds,omitempty"`
	Decision     string        `json:"decision,omitempty"` // of the move to the head
	Forced       bool          `json:"forced,omitempty"`
	Actor        string        `json:"actor,omitempty"`
	Run          string        `json:"run,omitempty"`
	Reason       string        `json:"reason,omitempty"`
	Moves        int           `json:"moves"`
	Previous     *statusRef    `json:"previous,omitempty"`   // labels: <label>-previous
	Gates        *statusGates  `json:"gates,omitempty"`      // labels
	Quarantine   bool          `json:"quarantine,omitempty"` // labels: a failed gate quarantines the candidate
	Hold         *statusHold   `json:"hold,omitempty"`
	Graph        *statusGraph  `json:"graph,omitempty"`
	GraphError   string        `json:"graphError,omitempty"`
	Quarantined  *statusReason `json:"quarantined,omitempty"` // the head's bundle is in quarantine (a forced move)
}

type statusRef struct {
	Version string `json:"version"`
	Digest  string `json:"digest"`
}

// statusGates are a label's gates from the config. Checks is empty when
// AllChecks is set or no check is required.
type statusGates struct {
	Checks     []string `json:"checks"`
	AllChecks  bool     `json:"allChecks"`
	Soak       string   `json:"soak,omitempty"` // a Go duration: 2h, 1h30m
	Components []string `json:"components,omitempty"`
}

type statusHold struct {
	Reason     string    `json:"reason,omitempty"`
	Actor      string    `json:"actor,omitempty"`
	At         time.Time `json:"at"`
	AgeSeconds int64     `json:"ageSeconds"`
}

type statusReason struct {
	Reason string `json:"reason,omitempty"`
	Label  string `json:"label,omitempty"`
}

// statusGraph is the head of a stream's upgrade graph and its edges.
type statusGraph struct {
	Head      string   `json:"head"`
	Replaces  string   `json:"replaces,omitempty"`
	Skips     []string `json:"skips,omitempty"` // publish order
	Entries   int      `json:"entries"`
	Retracted []string `json:"retracted,omitempty"`
}

type statusQuarantine struct {
	Digest   string     `json:"digest"`
	Version  string     `json:"version"`
	Reason   string     `json:"reason,omitempty"`
	Label    string     `json:"label,omitempty"`
	Actor    string     `json:"actor,omitempty"`
	At       time.Time  `json:"at"`
	Released *time.Time `json:"released,omitempty"` // set: no longer in force
}

type statusDeletion struct {
	Version string    `json:"version"`
	Digest  string    `json:"digest"`
	At      time.Time `json:"at"`
	Reason  string    `json:"reason,omitempty"`
}

// statusHistory is what `ladder status --history NAME --json` prints.
type statusHistory struct {
	Product string       `json:"product"`
	Name    string       `json:"name"`
	Kind    string       `json:"kind"`
	Stream  string       `json:"stream"`
	Now     time.Time    `json:"now"`
	Moves   []statusMove `json:"moves"` // oldest first
}

// statusMove is one move of a stream. From is absent for the first.
type statusMove struct {
	At       time.Time  `json:"at"`
	From     *statusRef `json:"from,omitempty"`
	To       statusRef  `json:"to"`
	Decision string     `json:"decision"`
	Forced   bool       `json:"forced"`
	Actor    string     `json:"actor,omitempty"`
	Run      string     `json:"run,omitempty"`
	Reason   string     `json:"reason,omitempty"`
}

type statusOptions struct {
	json    bool
	history string
}

func (r *run) statusOptions() (statusOptions, error) {
	var o statusOptions
	if err := r.onlyFlags(statusFlags); err != nil {
		return o, err
	}
	var err error
	if o.json, err = r.boolFlag("json"); err != nil {
		return o, err
	}
	if v, ok := r.flags["history"]; ok {
		if v == "" || v == "true" {
			return o, errors.New("--history needs a label or channel name (--history NAME)")
		}
		o.history = v
	}
	return o, nil
}

// statusCommand: gather (config, ledger or registry tags) -> describe (pure)
// -> print.
func statusCommand(ctx context.Context, r *run) error {
	o, err := r.statusOptions()
	if err != nil {
		return err
	}
	cfg, err := r.loadConfig()
	if err != nil {
		return err
	}
	now := r.deps.Now().UTC()
	if cfg.Ledger.Kind == config.LedgerNone {
		if o.history != "" {
			return errors.New("--history needs a ledger: with ledger: none the registry keeps only the current tags, no history (SPEC section 6)")
		}
		rep, err := r.statusFromRegistry(ctx, cfg, now)
		if err != nil {
			return err
		}
		return r.printStatus(o, rep)
	}
	sec := secrets{token: cliDefault(r.getenv, "${{ github.token }}")}
	if r.getenv("GITHUB_ACTIONS") == "true" {
		// Masks go to stderr: stdout may be JSON piped elsewhere.
		action.New(r.getenv, r.deps.Stderr).AddMask(sec.token)
	}
	store, err := r.ledgerStore(cfg, sec)
	if err != nil {
		return err
	}
	doc, err := store.Read(ctx)
	if err != nil {
		return fmt.Errorf("reading the ledger: %w", err)
	}
	if o.history != "" {
		h, err := statusHistoryOf(cfg, doc, o.history, now)
		if err != nil {
			return err
		}
		var b strings.Builder
		if o.json {
			err = writeStatusJSON(&b, h)
		} else {
			err = writeStatusHistory(&b, h)
		}
		if err != nil {
			return err
		}
		return r.emitStatus(o, b.String())
	}
	return r.printStatus(o, statusOf(cfg, doc, now))
}

func (r *run) printStatus(o statusOptions, rep *statusReport) error {
	var b strings.Builder
	var err error
	if o.json {
		err = writeStatusJSON(&b, rep)
	} else {
		err = writeStatusText(&b, rep)
	}
	if err != nil {
		return err
	}
	return r.emitStatus(o, b.String())
}

// emitStatus writes what status prints (all of it, in every mode) to stdout.
//
// Outside GitHub Actions it is written as is. Inside (GITHUB_ACTIONS=true)
// the runner reads stdout for workflow commands: a line holding "##["
// anywhere (the legacy syntax) or starting with "::" is processed as one.
// Ledger text is untrusted (move reasons come verbatim from promote-label's
// reason input, quarantine reasons name failing check runs, actors and
// versions come from whoever wrote the ledger), so it must not forge a
// command (SPEC section 7):
//
//   - The text modes go through the runner's own guard, action.Runner.Print:
//     when the output holds "::" or "##[" it is fenced between
//     ::stop-commands::TOKEN and ::TOKEN:: (a random token absent from the
//     text), and is otherwise written unchanged.
//   - --json is not fenced: the fence lines would make stdout invalid JSON for
//     `ladder status --json | jq`. Instead the two sequences are escaped inside
//     the JSON strings (see statusJSONDefang); a JSON decoder reads back the
//     same strings and the bytes on stdout never hold "::" or "##[".
func (r *run) emitStatus(o statusOptions, out string) error {
	if r.getenv("GITHUB_ACTIONS") != "true" {
		_, err := io.WriteString(r.deps.Stdout, out)
		return err
	}
	if o.json {
		_, err := io.WriteString(r.deps.Stdout, statusJSONDefang(out))
		return err
	}
	a := action.New(r.getenv, r.deps.Stdout)
	a.Print(out)
	return a.Err()
}

// statusJSONDefang rewrites JSON printed by json.MarshalIndent so that it
// holds neither "::" nor "##[", without changing what it decodes to: "::"
// becomes ":\u003a" and "##[" becomes "#\u0023[". Both sequences can only
// occur inside strings (outside them MarshalIndent writes ":" followed by a
// space, and never "#"), and the character before each inserted escape is a
// literal ":" or "#", never a backslash, so each escape is read as one
// character. The replacements cannot create a new occurrence of either.
func statusJSONDefang(s string) string {
	s = strings.ReplaceAll(s, "::", `:\u003a`)
	return strings.ReplaceAll(s, "##[", `#\u0023[`)
}

func writeStatusJSON(w io.Writer, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(data, '\n'))
	return err
}

func statusLedgerName(l config.Ledger) string {
	switch l.Kind {
	case config.LedgerFile:
		return "file:" + l.Path
	case "":
		return string(config.LedgerGitHub)
	}
	return string(l.Kind)
}

// statusOf is the pure step: the config and the ledger, as of now.
func statusOf(cfg *config.Config, doc *ledger.Document, now time.Time) *statusReport {
	rep := &statusReport{
		Product: cfg.Product, Registry: cfg.Registry, Ledger: statusLedgerName(cfg.Ledger), Now: now,
		Bundles: len(doc.Bundles), Streams: []statusStream{}, Quarantines: []statusQuarantine{}, Deletions: []statusDeletion{},
	}
	seen := map[string]bool{}
	for _, ch := range cfg.Channels {
		key := ledger.ChannelStream(ch.Name)
		seen[key] = true
		rep.Streams = append(rep.Streams, statusStreamOf(doc, ledger.KindChannel, ch.Name, "", now))
	}
	for _, l := range cfg.Labels {
		key := ledger.LabelStream(l.Name)
		seen[key] = true
		s := statusStreamOf(doc, ledger.KindLabel, l.Name, sourceStream(cfg, l.From), now)
		s.From = l.From
		s.Gates = statusGatesOf(l.Gates)
		s.Quarantine = l.Quarantine
		rep.Streams = append(rep.Streams, s)
	}
	// What the ledger holds that the config no longer names.
	extra := map[string]bool{}
	for _, key := range doc.StreamNames() {
		if !seen[key] {
			extra[key] = true
		}
	}
	for label := range doc.Holds {
		if key := ledger.LabelStream(label); !seen[key] {
			extra[key] = true
		}
	}
	keys := make([]string, 0, len(extra))
	for k := range extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		kind, name, err := ledger.ParseStream(key)
		if err != nil {
			continue // Validate refuses such a document before it is written
		}
		s := statusStreamOf(doc, kind, name, "", now)
		s.Unconfigured = true
		rep.Streams = append(rep.Streams, s)
	}

	for digest, q := range doc.Quarantines {
		sq := statusQuarantine{Digest: digest, Reason: q.Reason, Label: q.Label, Actor: q.Actor, At: q.At.UTC()}
		if b, ok := doc.BundleByDigest(digest); ok {
			sq.Version = b.Version
		}
		if !q.Released.IsZero() {
			rel := q.Released.UTC()
			sq.Released = &rel
		}
		rep.Quarantines = append(rep.Quarantines, sq)
	}
	sort.Slice(rep.Quarantines, func(i, j int) bool {
		a, b := rep.Quarantines[i], rep.Quarantines[j]
		if !a.At.Equal(b.At) {
			return a.At.Before(b.At)
		}
		return a.Digest < b.Digest
	})
	for _, d := range doc.Deletions {
		rep.Deletions = append(rep.Deletions, statusDeletion{Version: d.Version, Digest: d.Digest, At: d.At.UTC(), Reason: d.Reason})
	}
	return rep
}

func statusStreamOf(doc *ledger.Document, kind, name, source string, now time.Time) statusStream {
	key := kind + ":" + name
	s := statusStream{Name: name, Kind: kind, Stream: key, Moves: len(doc.Stream(key))}
	if h, ok := doc.Head(key); ok {
		since := h.At.UTC()
		age := int64(now.Sub(since) / time.Second)
		s.Version, s.Digest, s.Since, s.AgeSeconds = h.Version, h.Digest, &since, &age
		s.Decision, s.Forced, s.Actor, s.Run, s.Reason = h.Decision, h.Forced, h.Actor, h.Run, h.Reason
		if kind == ledger.KindLabel && h.PreviousVersion != "" {
			s.Previous = &statusRef{Version: h.PreviousVersion, Digest: h.PreviousDigest}
		}
		if q, in := doc.Quarantined(h.Digest); in {
			s.Quarantined = &statusReason{Reason: q.Reason, Label: q.Label}
		}
		g, err := streamGraph(doc, key, source)
		if err != nil {
			s.GraphError = err.Error()
		} else if len(g.Entries) > 0 {
			head := g.Entries[len(g.Entries)-1]
			sg := &statusGraph{Head: g.Head, Replaces: head.Replaces, Skips: head.Skips, Entries: len(g.Entries)}
			for _, rt := range g.Retracted {
				sg.Retracted = append(sg.Retracted, rt.Version)
			}
			s.Graph = sg
		}
	}
	if kind == ledger.KindLabel {
		if h, ok := doc.Held(name); ok {
			s.Hold = &statusHold{Reason: h.Reason, Actor: h.Actor, At: h.At.UTC(), AgeSeconds: int64(now.Sub(h.At) / time.Second)}
		}
	}
	return s
}

func statusGatesOf(g config.Gates) *statusGates {
	sg := &statusGates{Checks: append([]string{}, g.Checks...), AllChecks: g.AllChecks, Components: g.Components}
	if g.AllChecks {
		sg.Checks = []string{}
	}
	if g.Soak > 0 {
		sg.Soak = statusDuration(g.Soak)
	}
	return sg
}

// statusHistoryOf finds the stream NAME names and lists its moves.
func statusHistoryOf(cfg *config.Config, doc *ledger.Document, name string, now time.Time) (*statusHistory, error) {
	kind, bare := "", name
	if k, n, err := ledger.ParseStream(name); err == nil {
		kind, bare = k, n
	}
	_, isLabel := cfg.Label(bare)
	_, isChannel := cfg.Channel(bare)
	switch {
	case kind == "" && isLabel:
		kind = ledger.KindLabel
	case kind == "" && isChannel:
		kind = ledger.KindChannel
	case kind == ledger.KindLabel && isLabel, kind == ledger.KindChannel && isChannel:
	case kind != "" && len(doc.Stream(name)) > 0:
		// a stream the config no longer names, asked for by its full key
	default:
		labels := make([]string, 0, len(cfg.Labels))
		for _, l := range cfg.Labels {
			labels = append(labels, l.Name)
		}
		channels := make([]string, 0, len(cfg.Channels))
		for _, c := range cfg.Channels {
			channels = append(channels, c.Name)
		}
		return nil, fmt.Errorf("--history: %q is not a label or channel of %s (labels: %s; channels: %s)",
			name, cfg.File, statusList(labels), statusList(channels))
	}
	key := kind + ":" + bare
	h := &statusHistory{Product: cfg.Product, Name: bare, Kind: kind, Stream: key, Now: now, Moves: []statusMove{}}
	for _, e := range doc.Stream(key) {
		m := statusMove{At: e.At.UTC(), To: statusRef{Version: e.Version, Digest: e.Digest},
			Decision: e.Decision, Forced: e.Forced, Actor: e.Actor, Run: e.Run, Reason: e.Reason}
		if e.PreviousVersion != "" || e.PreviousDigest != "" {
			m.From = &statusRef{Version: e.PreviousVersion, Digest: e.PreviousDigest}
		}
		h.Moves = append(h.Moves, m)
	}
	return h, nil
}

func statusList(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// statusFromRegistry is the status with ledger: none: the registry's tags.
func (r *run) statusFromRegistry(ctx context.Context, cfg *config.Config, now time.Time) (*statusReport, error) {
	reg, err := r.registry(cfg, secrets{})
	if err != nil {
		return nil, err
	}
	rep := &statusReport{
		Product: cfg.Product, Registry: cfg.Registry, Ledger: statusLedgerName(cfg.Ledger), Now: now,
		Note:    "ledger: none: read from the registry's tags; since when, holds, quarantines, deletions, history and the upgrade graph need a ledger",
		Streams: []statusStream{}, Quarantines: []statusQuarantine{}, Deletions: []statusDeletion{},
	}
	resolve := func(tag string) (*statusRef, error) {
		d, err := reg.Resolve(ctx, cfg.Registry+":"+tag)
		if errors.Is(err, oci.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading tag %s: %w", tag, err)
		}
		return &statusRef{Version: d.Annotations[bundle.OCIVersion], Digest: d.Digest}, nil
	}
	add := func(kind, name string) (*statusStream, error) {
		s := statusStream{Name: name, Kind: kind, Stream: kind + ":" + name}
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
		s.From, s.Gates, s.Quarantine = l.From, statusGatesOf(l.Gates), l.Quarantine
		if s.Previous, err = resolve(l.Name + "-previous"); err != nil {
			return nil, err
		}
	}
	return rep, nil
}

// writeStatusText prints the report for a person.
func writeStatusText(out io.Writer, rep *statusReport) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: registry %s, ledger %s\n", rep.Product, rep.Registry, rep.Ledger)
	fmt.Fprintf(&b, "as of %s", statusTime(rep.Now))
	if rep.Note == "" {
		active := 0
		for _, q := range rep.Quarantines {
			if q.Released == nil {
				active++
			}
		}
		fmt.Fprintf(&b, ": %s published, %d deleted by retention, %d quarantined",
			statusPlural(rep.Bundles, "bundle"), len(rep.Deletions), active)
	}
	b.WriteString("\n")
	if rep.Note != "" {
		fmt.Fprintf(&b, "note: %s\n", rep.Note)
	}
	for _, s := range rep.Streams {
		b.WriteString("\n")
		writeStreamText(&b, s, rep.Now)
	}
	if len(rep.Quarantines) > 0 {
		b.WriteString("\nquarantines\n")
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		for _, q := range rep.Quarantines {
			label := "-"
			if q.Label != "" {
				label = "label " + q.Label
			}
			state := "since " + statusWhen(q.At, rep.Now)
			if q.Released != nil {
				state = "released " + statusWhen(*q.Released, rep.Now)
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", shortDigest(q.Digest), statusText(q.Version), label, state, statusBy(q.Reason, q.Actor))
		}
		tw.Flush()
	}
	if len(rep.Deletions) > 0 {
		b.WriteString("\ndeleted by retention\n")
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		for _, d := range rep.Deletions {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", statusText(d.Version), shortDigest(d.Digest), statusWhen(d.At, rep.Now), statusOr(statusText(d.Reason), "-"))
		}
		tw.Flush()
	}
	_, err := io.WriteString(out, b.String())
	return err
}

func writeStreamText(b *strings.Builder, s statusStream, now time.Time) {
	b.WriteString(s.Kind + " " + s.Name)
	if s.From != "" {
		b.WriteString(" (from " + s.From + ")")
	}
	if s.Unconfigured {
		b.WriteString(" (in the ledger, not in the config)")
	}
	b.WriteString("\n")
	row := func(k, v string) { fmt.Fprintf(b, "  %-9s %s\n", k, v) }
	if s.Digest == "" {
		never := "none (never published)"
		if s.Kind == ledger.KindLabel {
			never = "none (never promoted)"
		}
		row("version", never)
	} else {
		row("version", statusText(s.Version)+" ("+shortDigest(s.Digest)+")")
	}
	if s.Since != nil {
		row("since", statusWhen(*s.Since, now))
		move := statusOr(statusText(s.Decision), "moved")
		if s.Forced {
			move += " (forced)"
		}
		if s.Actor != "" {
			move += " by " + statusText(s.Actor)
		}
		if s.Run != "" {
			move += " in run " + statusText(s.Run)
		}
		if s.Reason != "" {
			move += ": " + strconv.Quote(s.Reason)
		}
		row("move", fmt.Sprintf("%s (%s in all)", move, statusPlural(s.Moves, "move")))
	}
	if s.Quarantined != nil {
		row("warning", "the bundle it holds is quarantined"+statusLabelReason(s.Quarantined.Label, s.Quarantined.Reason))
	}
	if s.Kind == ledger.KindLabel {
		if s.Previous != nil {
			row("previous", statusText(s.Previous.Version)+" ("+shortDigest(s.Previous.Digest)+")")
		}
		if s.Gates != nil {
			row("gates", statusGatesText(s.Gates, s.Quarantine))
		}
		if s.Hold != nil {
			row("hold", fmt.Sprintf("held since %s, %s", statusWhen(s.Hold.At, now), statusBy(s.Hold.Reason, s.Hold.Actor)))
		} else {
			row("hold", "none")
		}
	}
	switch {
	case s.GraphError != "":
		row("graph", "invalid: "+statusText(s.GraphError))
	case s.Graph != nil:
		g := "head " + statusText(s.Graph.Head)
		if s.Graph.Replaces != "" {
			g += ", replaces " + statusText(s.Graph.Replaces)
		} else {
			g += ", replaces nothing"
		}
		if len(s.Graph.Skips) > 0 {
			g += ", skips " + statusText(strings.Join(s.Graph.Skips, ", "))
		}
		g += " (" + statusPlural(s.Graph.Entries, "entry") + ")"
		if len(s.Graph.Retracted) > 0 {
			g += "; retracted " + statusText(strings.Join(s.Graph.Retracted, ", "))
		}
		row("graph", g)
	}
}

func statusGatesText(g *statusGates, quarantine bool) string {
	var parts []string
	switch {
	case g.AllChecks:
		parts = append(parts, "checks: all")
	case len(g.Checks) > 0:
		parts = append(parts, "checks: "+statusText(strings.Join(g.Checks, ", ")))
	}
	if g.Soak != "" {
		parts = append(parts, "soak "+g.Soak)
	}
	if len(g.Components) > 0 {
		parts = append(parts, "components: "+statusText(strings.Join(g.Components, ", ")))
	}
	if quarantine {
		parts = append(parts, "a failure quarantines")
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, "; ")
}

// writeStatusHistory prints every move of one stream, oldest first.
func writeStatusHistory(out io.Writer, h *statusHistory) error {
	var b strings.Builder
	fmt.Fprintf(&b, "history of %s %s (%s): %s, oldest first, as of %s\n", h.Kind, h.Name, h.Product, statusPlural(len(h.Moves), "move"), statusTime(h.Now))
	if len(h.Moves) == 0 {
		b.WriteString("(it never moved)\n")
	} else {
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "WHEN\tFROM\tTO\tDECISION\tFORCED\tACTOR\tRUN\tREASON")
		for _, m := range h.Moves {
			from := "-"
			if m.From != nil {
				from = statusText(m.From.Version) + " " + shortDigest(m.From.Digest)
			}
			forced := "no"
			if m.Forced {
				forced = "yes"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", statusTime(m.At), from,
				statusText(m.To.Version)+" "+shortDigest(m.To.Digest), statusOr(statusText(m.Decision), "-"), forced,
				statusOr(statusText(m.Actor), "-"), statusOr(statusText(m.Run), "-"), statusOr(statusText(m.Reason), "-"))
		}
		tw.Flush()
	}
	_, err := io.WriteString(out, b.String())
	return err
}

// shortDigest is sha256: and the first 12 hex digits.
func shortDigest(d string) string {
	alg, enc, ok := strings.Cut(d, ":")
	if !ok || len(enc) <= 12 {
		return statusText(d)
	}
	return statusText(alg + ":" + enc[:12])
}

func statusTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// statusWhen is a time and its age: 2026-11-22T00:15:00Z (1h ago).
func statusWhen(t, now time.Time) string {
	return statusTime(t) + " (" + statusAgo(now.Sub(t)) + ")"
}

func statusAgo(d time.Duration) string {
	switch {
	case d < 0:
		return "in the future"
	case d < time.Minute:
		return "just now"
	}
	days := d / (24 * time.Hour)
	rest := statusDuration(d.Truncate(time.Minute) - days*24*time.Hour)
	switch {
	case days == 0:
		return rest + " ago"
	case rest == "0s":
		return strconv.FormatInt(int64(days), 10) + "d ago"
	}
	return strconv.FormatInt(int64(days), 10) + "d" + rest + " ago"
}

// statusDuration renders a duration in hours, minutes and seconds, leaving
// out zero parts: 2h, 1h30m, 24h. time.ParseDuration reads it back.
func statusDuration(d time.Duration) string {
	if d < time.Second {
		return d.String()
	}
	hours := d / time.Hour
	d -= hours * time.Hour
	mins := d / time.Minute
	secs := (d - mins*time.Minute) / time.Second
	var b strings.Builder
	if hours > 0 {
		b.WriteString(strconv.FormatInt(int64(hours), 10) + "h")
	}
	if mins > 0 {
		b.WriteString(strconv.FormatInt(int64(mins), 10) + "m")
	}
	if secs > 0 {
		b.WriteString(strconv.FormatInt(int64(secs), 10) + "s")
	}
	return b.String()
}

func statusPlural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	if strings.HasSuffix(noun, "y") {
		return strconv.Itoa(n) + " " + strings.TrimSuffix(noun, "y") + "ies"
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

func statusBy(reason, actor string) string {
	s := "no reason given"
	if reason != "" {
		s = strconv.Quote(reason)
	}
	if actor != "" {
		s += " by " + statusText(actor)
	}
	return s
}

func statusLabelReason(label, reason string) string {
	s := ""
	if label != "" {
		s += " (a gate of label " + statusText(label) + " failed)"
	}
	if reason != "" {
		s += ": " + strconv.Quote(reason)
	}
	return s
}

func statusOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// statusText keeps ledger text (reasons, actors, versions from another
// writer) on one line and out of the tab-aligned columns.
func statusText(s string) string {
	return strings.Map(func(c rune) rune {
		if c < 0x20 || c == 0x7f {
			return ' '
		}
		return c
	}, s)
}
