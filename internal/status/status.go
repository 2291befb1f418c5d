// Package status is what `ladder status` reports: every channel and label
// of a config with the bundle it holds, since when, gates, holds, the
// upgrade graph's head, retirements, quarantines and deletions, or one stream's history;
// built from a config and a ledger document (Of, HistoryOf) and printed for
// a person (WriteText, WriteHistory) or as JSON (WriteJSON). Reading the
// config, the ledger or the registry, and guarding what reaches a runner's
// stdout, are the command's (internal/query/status.go).
package status

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ladder-release/ladder/internal/config"
	"github.com/ladder-release/ladder/internal/ledger"
)

// Report is what `ladder status --json` prints. Times are RFC 3339 in
// UTC; ages are whole seconds before Now; digests are full.
type Report struct {
	Product     string       `json:"product"`
	Registry    string       `json:"registry"`
	Ledger      string       `json:"ledger"` // github | file:PATH | none
	Now         time.Time    `json:"now"`
	Bundles     int          `json:"bundles"` // published, ever (deleted ones included)
	Note        string       `json:"note,omitempty"`
	Streams     []Stream     `json:"streams"`     // channels, then labels, in config order; then unconfigured, sorted
	Quarantines []Quarantine `json:"quarantines"` // oldest first
	Deletions   []Deletion   `json:"deletions"`   // oldest first
}

// Stream is one channel or label. Version, digest, since and the head
// move's fields are absent when the stream never moved.
type Stream struct {
	Name         string     `json:"name"`
	Kind         string     `json:"kind"`   // channel | label
	Stream       string     `json:"stream"` // the ledger's key: channel:NAME or label:NAME
	Unconfigured bool       `json:"unconfigured,omitempty"`
	From         string     `json:"from,omitempty"` // labels: where candidates come from
	Version      string     `json:"version,omitempty"`
	Digest       string     `json:"digest,omitempty"`
	Since        *time.Time `json:"since,omitempty"`
	AgeSeconds   *int64     `json:"ageSeconds,omitempty"`
	Decision     string     `json:"decision,omitempty"` // of the move to the head
	Forced       bool       `json:"forced,omitempty"`
	Actor        string     `json:"actor,omitempty"`
	Run          string     `json:"run,omitempty"`
	Reason       string     `json:"reason,omitempty"`
	Moves        int        `json:"moves"`
	Previous     *Ref       `json:"previous,omitempty"`   // labels: <label>-previous
	Gates        *Gates     `json:"gates,omitempty"`      // labels
	Quarantine   bool       `json:"quarantine,omitempty"` // labels: a failed gate quarantines the candidate
	Hold         *Hold      `json:"hold,omitempty"`
	Graph        *Graph     `json:"graph,omitempty"`
	GraphError   string     `json:"graphError,omitempty"`
	Quarantined  *Reason    `json:"quarantined,omitempty"` // the head's bundle is in quarantine (a forced move)
	Retired      *Retired   `json:"retired,omitempty"`     // retired with ladder retire: frozen at Version
}

// Retired is a stream's retirement (ladder retire): when, by whom, from
// which run, why; its final value is the stream's Version and Digest, also
// tagged <name>-eol. Notify are the cascade.repos targets told of it,
// Pending those not told yet (a rerun of retire tells them).
type Retired struct {
	At         time.Time `json:"at"`
	AgeSeconds int64     `json:"ageSeconds"`
	Actor      string    `json:"actor,omitempty"`
	Run        string    `json:"run,omitempty"`
	Reason     string    `json:"reason"`
	Tag        string    `json:"tag"` // <name>-eol
	Notify     []string  `json:"notify,omitempty"`
	Pending    []string  `json:"pending,omitempty"`
}

// RetireEvent is one retire or undo of a stream, in its history.
type RetireEvent struct {
	At      time.Time `json:"at"`
	Action  string    `json:"action"` // retire | undo
	Version string    `json:"version,omitempty"`
	Digest  string    `json:"digest,omitempty"`
	Actor   string    `json:"actor,omitempty"`
	Run     string    `json:"run,omitempty"`
	Reason  string    `json:"reason,omitempty"`
}

type Ref struct {
	Version string `json:"version"`
	Digest  string `json:"digest"`
}

// Gates are a label's gates from the config. Checks is empty when
// AllChecks is set or no check is required.
type Gates struct {
	Checks     []string `json:"checks"`
	AllChecks  bool     `json:"allChecks"`
	Soak       string   `json:"soak,omitempty"` // a Go duration: 2h, 1h30m
	Components []string `json:"components,omitempty"`
}

type Hold struct {
	Reason     string    `json:"reason,omitempty"`
	Actor      string    `json:"actor,omitempty"`
	At         time.Time `json:"at"`
	AgeSeconds int64     `json:"ageSeconds"`
}

type Reason struct {
	Reason string `json:"reason,omitempty"`
	Label  string `json:"label,omitempty"`
}

// Graph is the head of a stream's upgrade graph and its edges.
type Graph struct {
	Head      string   `json:"head"`
	Replaces  string   `json:"replaces,omitempty"`
	Skips     []string `json:"skips,omitempty"` // publish order
	Entries   int      `json:"entries"`
	Retracted []string `json:"retracted,omitempty"`
}

type Quarantine struct {
	Digest   string     `json:"digest"`
	Version  string     `json:"version"`
	Reason   string     `json:"reason,omitempty"`
	Label    string     `json:"label,omitempty"`
	Actor    string     `json:"actor,omitempty"`
	At       time.Time  `json:"at"`
	Released *time.Time `json:"released,omitempty"` // set: no longer in force
}

type Deletion struct {
	Version string    `json:"version"`
	Digest  string    `json:"digest"`
	At      time.Time `json:"at"`
	Reason  string    `json:"reason,omitempty"`
}

// History is what `ladder status --history NAME --json` prints.
type History struct {
	Product string    `json:"product"`
	Name    string    `json:"name"`
	Kind    string    `json:"kind"`
	Stream  string    `json:"stream"`
	Now     time.Time `json:"now"`
	Moves   []Move    `json:"moves"` // oldest first
	// Retirements are its retires and undos (ladder retire), oldest first.
	Retirements []RetireEvent `json:"retirements,omitempty"`
}

// Move is one move of a stream. From is absent for the first.
type Move struct {
	At       time.Time `json:"at"`
	From     *Ref      `json:"from,omitempty"`
	To       Ref       `json:"to"`
	Decision string    `json:"decision"`
	Forced   bool      `json:"forced"`
	Actor    string    `json:"actor,omitempty"`
	Run      string    `json:"run,omitempty"`
	Reason   string    `json:"reason,omitempty"`
}

// JSONDefang rewrites JSON printed by json.MarshalIndent so that it
// holds neither "::" nor "##[", without changing what it decodes to: "::"
// becomes ":\u003a" and "##[" becomes "#\u0023[". Both sequences can only
// occur inside strings (outside them MarshalIndent writes ":" followed by a
// space, and never "#"), and the character before each inserted escape is a
// literal ":" or "#", never a backslash, so each escape is read as one
// character. The replacements cannot create a new occurrence of either.
func JSONDefang(s string) string {
	s = strings.ReplaceAll(s, "::", `:\u003a`)
	return strings.ReplaceAll(s, "##[", `#\u0023[`)
}

func WriteJSON(w io.Writer, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(data, '\n'))
	return err
}

func LedgerName(l config.Ledger) string {
	switch l.Kind {
	case config.LedgerFile:
		return "file:" + l.Path
	case "":
		return string(config.LedgerGitHub)
	}
	return string(l.Kind)
}

// Of is the pure step: the config and the ledger, as of now.
func Of(cfg *config.Config, doc *ledger.Document, now time.Time) *Report {
	rep := &Report{
		Product: cfg.Product, Registry: cfg.Registry, Ledger: LedgerName(cfg.Ledger), Now: now,
		Bundles: len(doc.Bundles), Streams: []Stream{}, Quarantines: []Quarantine{}, Deletions: []Deletion{},
	}
	seen := map[string]bool{}
	for _, ch := range cfg.Channels {
		key := ledger.ChannelStream(ch.Name)
		seen[key] = true
		rep.Streams = append(rep.Streams, StreamOf(doc, ledger.KindChannel, ch.Name, "", now))
	}
	for _, l := range cfg.Labels {
		key := ledger.LabelStream(l.Name)
		seen[key] = true
		s := StreamOf(doc, ledger.KindLabel, l.Name, ledger.SourceStream(cfg, l.From), now)
		s.From = l.From
		s.Gates = GatesOf(l.Gates)
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
		s := StreamOf(doc, kind, name, "", now)
		s.Unconfigured = true
		rep.Streams = append(rep.Streams, s)
	}

	for digest, q := range doc.Quarantines {
		sq := Quarantine{Digest: digest, Reason: q.Reason, Label: q.Label, Actor: q.Actor, At: q.At.UTC()}
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
		rep.Deletions = append(rep.Deletions, Deletion{Version: d.Version, Digest: d.Digest, At: d.At.UTC(), Reason: d.Reason})
	}
	return rep
}

func StreamOf(doc *ledger.Document, kind, name, source string, now time.Time) Stream {
	key := kind + ":" + name
	s := Stream{Name: name, Kind: kind, Stream: key, Moves: len(doc.Stream(key))}
	if h, ok := doc.Head(key); ok {
		since := h.At.UTC()
		age := int64(now.Sub(since) / time.Second)
		s.Version, s.Digest, s.Since, s.AgeSeconds = h.Version, h.Digest, &since, &age
		s.Decision, s.Forced, s.Actor, s.Run, s.Reason = h.Decision, h.Forced, h.Actor, h.Run, h.Reason
		if kind == ledger.KindLabel && h.PreviousVersion != "" {
			s.Previous = &Ref{Version: h.PreviousVersion, Digest: h.PreviousDigest}
		}
		if q, in := doc.Quarantined(h.Digest); in {
			s.Quarantined = &Reason{Reason: q.Reason, Label: q.Label}
		}
		g, err := doc.GraphFrom(key, source)
		if err != nil {
			s.GraphError = err.Error()
		} else if len(g.Entries) > 0 {
			head := g.Entries[len(g.Entries)-1]
			sg := &Graph{Head: g.Head, Replaces: head.Replaces, Skips: head.Skips, Entries: len(g.Entries)}
			for _, rt := range g.Retracted {
				sg.Retracted = append(sg.Retracted, rt.Version)
			}
			s.Graph = sg
		}
	}
	if r, ok := doc.Retired(key); ok {
		s.Retired = &Retired{At: r.At.UTC(), AgeSeconds: int64(now.Sub(r.At) / time.Second), Actor: r.Actor, Run: r.Run,
			Reason: r.Reason, Tag: name + "-eol", Notify: r.Notify, Pending: r.Pending()}
	}
	if kind == ledger.KindLabel {
		if h, ok := doc.Held(name); ok {
			s.Hold = &Hold{Reason: h.Reason, Actor: h.Actor, At: h.At.UTC(), AgeSeconds: int64(now.Sub(h.At) / time.Second)}
		}
	}
	return s
}

func GatesOf(g config.Gates) *Gates {
	sg := &Gates{Checks: append([]string{}, g.Checks...), AllChecks: g.AllChecks, Components: g.Components}
	if g.AllChecks {
		sg.Checks = []string{}
	}
	if g.Soak > 0 {
		sg.Soak = statusDuration(g.Soak)
	}
	return sg
}

// HistoryOf finds the stream NAME names and lists its moves.
func HistoryOf(cfg *config.Config, doc *ledger.Document, name string, now time.Time) (*History, error) {
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
	h := &History{Product: cfg.Product, Name: bare, Kind: kind, Stream: key, Now: now, Moves: []Move{}}
	for _, e := range doc.Stream(key) {
		m := Move{At: e.At.UTC(), To: Ref{Version: e.Version, Digest: e.Digest},
			Decision: e.Decision, Forced: e.Forced, Actor: e.Actor, Run: e.Run, Reason: e.Reason}
		if e.PreviousVersion != "" || e.PreviousDigest != "" {
			m.From = &Ref{Version: e.PreviousVersion, Digest: e.PreviousDigest}
		}
		h.Moves = append(h.Moves, m)
	}
	for _, ev := range doc.RetireLog {
		if ev.Stream == key {
			h.Retirements = append(h.Retirements, RetireEvent{At: ev.At.UTC(), Action: ev.Action, Version: ev.Version, Digest: ev.Digest,
				Actor: ev.Actor, Run: ev.Run, Reason: ev.Reason})
		}
	}
	return h, nil
}

func statusList(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// WriteText prints the report for a person.
func WriteText(out io.Writer, rep *Report) error {
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
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", ShortDigest(q.Digest), statusText(q.Version), label, state, statusBy(q.Reason, q.Actor))
		}
		tw.Flush()
	}
	if len(rep.Deletions) > 0 {
		b.WriteString("\ndeleted by retention\n")
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		for _, d := range rep.Deletions {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", statusText(d.Version), ShortDigest(d.Digest), statusWhen(d.At, rep.Now), statusOr(statusText(d.Reason), "-"))
		}
		tw.Flush()
	}
	_, err := io.WriteString(out, b.String())
	return err
}

func writeStreamText(b *strings.Builder, s Stream, now time.Time) {
	b.WriteString(s.Kind + " " + s.Name)
	if s.From != "" {
		b.WriteString(" (from " + s.From + ")")
	}
	if s.Unconfigured {
		b.WriteString(" (in the ledger, not in the config)")
	}
	if s.Retired != nil {
		b.WriteString(" (retired)")
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
		row("version", statusText(s.Version)+" ("+ShortDigest(s.Digest)+")")
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
	if r := s.Retired; r != nil {
		v := "since " + statusWhen(r.At, now) + ", " + statusBy(r.Reason, r.Actor)
		if r.Run != "" {
			v += " in run " + statusText(r.Run)
		}
		v += "; frozen at " + statusText(s.Version) + ", also tagged " + statusText(r.Tag)
		if len(r.Pending) > 0 {
			v += "; not yet told: " + statusText(strings.Join(r.Pending, ", ")) + " (rerun ladder retire)"
		}
		row("retired", v)
	}
	if s.Quarantined != nil {
		row("warning", "the bundle it holds is quarantined"+statusLabelReason(s.Quarantined.Label, s.Quarantined.Reason))
	}
	if s.Kind == ledger.KindLabel {
		if s.Previous != nil {
			row("previous", statusText(s.Previous.Version)+" ("+ShortDigest(s.Previous.Digest)+")")
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

func statusGatesText(g *Gates, quarantine bool) string {
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

// WriteHistory prints every move of one stream, oldest first.
func WriteHistory(out io.Writer, h *History) error {
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
				from = statusText(m.From.Version) + " " + ShortDigest(m.From.Digest)
			}
			forced := "no"
			if m.Forced {
				forced = "yes"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", statusTime(m.At), from,
				statusText(m.To.Version)+" "+ShortDigest(m.To.Digest), statusOr(statusText(m.Decision), "-"), forced,
				statusOr(statusText(m.Actor), "-"), statusOr(statusText(m.Run), "-"), statusOr(statusText(m.Reason), "-"))
		}
		tw.Flush()
	}
	for _, ev := range h.Retirements {
		what := "retired at " + statusText(ev.Version) + " " + ShortDigest(ev.Digest)
		if ev.Action != "retire" {
			what = "retirement undone (it was at " + statusText(ev.Version) + ")"
		}
		fmt.Fprintf(&b, "%s %s, %s", statusTime(ev.At), what, statusBy(ev.Reason, ev.Actor))
		if ev.Run != "" {
			b.WriteString(" in run " + statusText(ev.Run))
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(out, b.String())
	return err
}

// ShortDigest is sha256: and the first 12 hex digits.
func ShortDigest(d string) string {
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
