// Package changes says what a bundle brings over the one it replaces (story
// S8): per component of the two locks, the commits between them, as GitHub's
// compare API answered for a repo: component (count, the first subjects with
// their authors, the compare view) and as a commit range for a git: one.
// Pure: the app gathers the compare answers and hands them in as plain
// values; this package decides what each component's change is and renders
// it as a markdown table and as JSON.
package changes

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ladder-release/ladder/internal/lock"
	"github.com/ladder-release/ladder/internal/redact"
)

// Shown is how many commit subjects a change lists (the first ones, oldest
// first); beyond it only the count and the compare view's link say more.
const Shown = 20

// Status is how the new commit stands to the old one: GitHub's compare
// statuses, plus unknown (no answer: a git: component, a changed source, an
// API error) and added or removed (a component only one lock has).
type Status string

// Statuses.
const (
	Ahead     Status = "ahead"
	Behind    Status = "behind"
	Diverged  Status = "diverged"
	Identical Status = "identical"
	Unknown   Status = "unknown"
	Added     Status = "added"
	Removed   Status = "removed"
)

// Commit is one commit a change lists. Subject and Author are untrusted text
// (whoever pushed the commit wrote them).
type Commit struct {
	SHA     string `json:"sha"`
	Subject string `json:"subject"`
	Author  string `json:"author"`
}

// Request is one compare the app asks GitHub for: base...head in Repo.
type Request struct {
	Component string
	Repo      string // owner/name
	Base      string // the old commit
	Head      string // the new commit
}

// Compare is GitHub's answer to a Request, as plain values, or the error
// that stopped it.
type Compare struct {
	Status       string // ahead, behind, diverged or identical
	AheadBy      int
	BehindBy     int
	TotalCommits int
	Commits      []Commit // as listed, oldest first (the message's whole text in Subject is fine: the first line is kept)
	URL          string   // html_url: the compare view
	Err          string   // the compare failed: the changes are unknown
}

// Change is what one component brings. Commits is nil when it is not known.
type Change struct {
	Component   string   `json:"-"`
	From        string   `json:"from"` // the old commit ("" for an added component)
	To          string   `json:"to"`   // the new commit ("" for a removed one)
	FromVersion string   `json:"fromVersion,omitempty"`
	ToVersion   string   `json:"toVersion,omitempty"`
	Commits     *int     `json:"commits"` // how many commits the new one brings (GitHub's total_commits); null: unknown
	BehindBy    int      `json:"behindBy,omitempty"`
	URL         string   `json:"url,omitempty"` // the compare view
	Status      Status   `json:"status"`
	Subjects    []Commit `json:"subjects"`        // the first Shown, oldest first
	Range       string   `json:"range,omitempty"` // a git: component: from..to
	Note        string   `json:"note,omitempty"`  // why the changes are unknown
}

// Set is the change of every component: the new lock's components in its
// order, then those only the old one has.
type Set struct {
	Changes []Change
}

// Plan lists the compares Build needs: one per component that both locks
// take from the same GitHub repository at different commits. A component
// whose commit did not change needs none.
func Plan(from, to lock.Lock) []Request {
	var out []Request
	for _, n := range to.Components {
		o, ok := from.Entry(n.Name)
		if !ok || o.Repo == "" || n.Repo == "" || !strings.EqualFold(o.Repo, n.Repo) || o.Commit == n.Commit {
			continue
		}
		out = append(out, Request{Component: n.Name, Repo: n.Repo, Base: o.Commit, Head: n.Commit})
	}
	return out
}

// Build decides every component's change from the two locks and the answers
// to Plan's requests, by component name. A request without an answer is
// unknown.
func Build(from, to lock.Lock, answers map[string]Compare) Set {
	s := Set{Changes: []Change{}}
	for _, n := range to.Components {
		o, ok := from.Entry(n.Name)
		if !ok {
			s.Changes = append(s.Changes, Change{Component: n.Name, To: n.Commit, ToVersion: n.Version, Status: Added,
				Subjects: []Commit{}, Note: "not in the previous bundle"})
			continue
		}
		s.Changes = append(s.Changes, change(o, n, answers))
	}
	for _, o := range from.Components {
		if _, ok := to.Entry(o.Name); !ok {
			s.Changes = append(s.Changes, Change{Component: o.Name, From: o.Commit, FromVersion: o.Version, Status: Removed,
				Subjects: []Commit{}, Note: "not in the new bundle"})
		}
	}
	return s
}

// Unreadable is the set when the old lock could not be read: every component of
// the new one, its changes unknown, saying why.
func Unreadable(to lock.Lock, why string) Set {
	s := Set{Changes: []Change{}}
	for _, n := range to.Components {
		s.Changes = append(s.Changes, Change{Component: n.Name, To: n.Commit, ToVersion: n.Version, Status: Unknown,
			Subjects: []Commit{}, Note: "the changes are unknown: " + why})
	}
	return s
}

func change(o, n lock.Entry, answers map[string]Compare) Change {
	c := Change{Component: n.Name, From: o.Commit, To: n.Commit, FromVersion: o.Version, ToVersion: n.Version,
		Status: Unknown, Subjects: []Commit{}}
	switch {
	case source(o) != source(n):
		c.Note = fmt.Sprintf("the source changed from %s to %s: no commits to compare", source(o), source(n))
	case o.Commit == n.Commit:
		c.Status, c.Commits = Identical, count(0)
	case n.Git != "":
		c.Range = o.Commit + ".." + n.Commit
		c.Note = "a git: component: the commit range, no compare API"
	default:
		a, ok := answers[n.Name]
		switch {
		case !ok:
			c.Note = "not compared"
		case a.Err != "":
			c.Note = "the changes are unknown: " + a.Err
		default:
			st := Status(a.Status)
			switch st {
			case Ahead, Behind, Diverged, Identical:
			default:
				c.Note = fmt.Sprintf("the changes are unknown: GitHub answered status %q", a.Status)
				return c
			}
			c.Status, c.Commits, c.BehindBy, c.URL = st, count(a.TotalCommits), a.BehindBy, a.URL
			for i, cm := range a.Commits {
				if i == Shown {
					break
				}
				c.Subjects = append(c.Subjects, Commit{SHA: cm.SHA, Subject: clip(Subject(cm.Subject), MaxSubject), Author: clip(cm.Author, MaxAuthor)})
			}
		}
	}
	return c
}

// source names where a component comes from, to tell a moved one, as the
// output shows it: a git remote without the credentials its URL may hold
// (they are not where it comes from: a rotated token moves nothing; and the
// note reaches the step summary and the changes output).
func source(e lock.Entry) string {
	if e.Repo != "" {
		return "repo " + strings.ToLower(e.Repo)
	}
	u, _ := redact.URL(e.Git)
	return "git " + u
}

func count(n int) *int { return &n }

// MaxSubject and MaxAuthor bound what a change shows of a commit: both are
// untrusted text whose length anyone who can push a commit controls, and
// GitHub drops a step summary over 1 MiB whole.
const (
	MaxSubject = 300
	MaxAuthor  = 100
)

// clip cuts s to at most n bytes, on a rune boundary, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// Subject is the first line of a commit message.
func Subject(message string) string {
	s, _, _ := strings.Cut(message, "\n")
	return strings.TrimSuffix(s, "\r")
}

// JSON is the set as the `changes` output carries it: a compact object,
// component -> change.
func (s Set) JSON() string {
	m := make(map[string]Change, len(s.Changes))
	for _, c := range s.Changes {
		m[c.Component] = c
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err) // strings, ints and slices of them always marshal
	}
	return string(b)
}

// Markdown renders the set as a table: component, from, to, commits (a link
// to the compare view when GitHub gave one) and what they are. esc escapes
// untrusted plain text for markdown (the step summary's escaping): every
// version, subject, author and note goes through it; the table's own markup
// and the links ladder checked (safeURL) do not. Empty for an empty set.
func (s Set) Markdown(esc func(string) string) string {
	if len(s.Changes) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("| component | from | to | status | commits | changes |\n| --- | --- | --- | --- | --- | --- |\n")
	for _, c := range s.Changes {
		cells := []string{esc(c.Component), esc(side(c.FromVersion, c.From)), esc(side(c.ToVersion, c.To)), string(c.Status),
			commitsCell(c), detailCell(c, esc)}
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
	return b.String()
}

// side is one end of a change: version and short commit.
func side(version, commit string) string {
	switch {
	case commit == "":
		return "-"
	case version == "":
		return lock.Short(commit)
	}
	return version + " " + lock.Short(commit)
}

func commitsCell(c Change) string {
	if c.Commits == nil {
		return "unknown"
	}
	n := strconv.Itoa(*c.Commits)
	if c.BehindBy > 0 {
		n += " (" + strconv.Itoa(c.BehindBy) + " behind)"
	}
	if u, ok := safeURL(c.URL); ok && c.Status != Identical {
		return "[" + n + "](<" + u + ">)"
	}
	return n
}

func detailCell(c Change, esc func(string) string) string {
	var parts []string
	if c.Range != "" {
		parts = append(parts, esc(lock.Short(c.From)+".."+lock.Short(c.To)))
	}
	if c.Note != "" {
		parts = append(parts, esc(c.Note))
	}
	switch c.Status {
	case Diverged:
		parts = append(parts, "diverged: the old commit is not an ancestor of the new one (a force-push?)")
	case Behind:
		parts = append(parts, "behind: the new commit is an ancestor of the old one (a rollback?)")
	}
	for _, cm := range c.Subjects {
		line := esc(lock.Short(cm.SHA) + " " + cm.Subject)
		if cm.Author != "" {
			line += " (" + esc(cm.Author) + ")"
		}
		parts = append(parts, line)
	}
	if c.Commits != nil && *c.Commits > len(c.Subjects) && len(c.Subjects) > 0 {
		parts = append(parts, fmt.Sprintf("and %d more", *c.Commits-len(c.Subjects)))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, "<br>")
}

// safeURL is u fit for a markdown link destination in angle brackets: an
// absolute http(s) URL with a host, every byte outside a conservative set
// percent-encoded, so it can neither close the link nor the table cell nor
// open HTML.
func safeURL(u string) (string, bool) {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" || p.User != nil {
		return "", false
	}
	var b strings.Builder
	for i := 0; i < len(u); i++ {
		c := u[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', strings.IndexByte("-._~:/?#@!$&+,;=%", c) >= 0:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String(), true
}
