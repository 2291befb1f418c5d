// Package graph computes the OLM-style upgrade graph of a stream (the history
// of a channel or a label) and checks it against the rules of
// operator-registry's model: exactly one head, no cycles in the replaces
// chain, nothing stranded, no entry replacing itself.
//
// Pure: it imports only the standard library.
//
// # How a graph is built
//
// Build takes the product's bundles in publish order and the versions that
// entered the stream, in the order they entered. Walking the stream, it keeps
// a chain: the current head is its last element.
//
//   - A version that is new to the chain replaces the current head, and skips
//     every bundle published after the head and before itself that is not in
//     the chain (in publish order). In the usual case that is exactly "the
//     bundles published in between that never entered this stream": stage
//     A,B,C,D and production A,D give D replaces A, skips [B, C] in production
//     and D replaces C, skips [] in stage. BuildFrom narrows that to the
//     bundles that entered the stream's source (the `from` of a label; a
//     channel is its own source): a channel's graph skips nothing of another
//     channel, and a label's skips only what its source offered in between.
//   - A version published before the current head (a rollback: a label put
//     back on an earlier bundle, whether or not that bundle was in the stream
//     before) retracts every chain entry published after it. A re-entered
//     version becomes the head again with the edges it had; a version that was
//     never in the chain replaces the last entry published before it.
//     Retracted entries leave the graph (they are listed in Retracted): an
//     upgrade graph cannot go down, and keeping them would give the stream two
//     heads. The next version to enter skips them, so a cluster that installed
//     a retracted bundle still has an upgrade path: stream A,B,C,B,D gives
//     D replaces B, skips [C].
//   - The first entry replaces nothing and skips nothing.
//
// So the chain always runs in publish order, and the graph Build returns is
// valid by construction; Build validates it anyway before returning it, so a
// caller never writes a graph that breaks the rules.
package graph

import (
	"errors"
	"fmt"
	"github.com/ladder-release/ladder/internal/mermaid"
	"sort"
	"strings"
)

// Bundle is one published bundle: its immutable version and its digest.
type Bundle struct {
	Version string
	Digest  string
}

// Entry is one node of an upgrade graph.
type Entry struct {
	Version  string   `json:"version"`
	Digest   string   `json:"digest,omitempty"`
	Replaces string   `json:"replaces,omitempty"` // "" for the first entry (the tail)
	Skips    []string `json:"skips,omitempty"`    // publish order
}

// Retraction is an entry that left the graph because the stream went back to
// a bundle published before it.
type Retraction struct {
	Version string `json:"version"`
	Digest  string `json:"digest,omitempty"`
	By      string `json:"by"` // the version whose entry went back past it
}

// Graph is the upgrade graph of one stream.
type Graph struct {
	Stream  string  `json:"stream"`
	Head    string  `json:"head,omitempty"`
	Entries []Entry `json:"entries"` // the replaces chain, tail first, head last
	// Retracted lists every retraction in the order it happened, including
	// those of a version that entered the stream again later.
	Retracted []Retraction `json:"retracted,omitempty"`
}

// Problems Validate and Build report; errors.Is matches them through an *Error.
var (
	ErrEmptyVersion   = errors.New("empty version")
	ErrDuplicate      = errors.New("duplicate version")
	ErrUnknownVersion = errors.New("version never published")
	ErrNoHead         = errors.New("no head")
	ErrMultipleHeads  = errors.New("multiple heads")
	ErrCycle          = errors.New("cycle in the replaces chain")
	ErrStranded       = errors.New("stranded entries")
	ErrSelfReplace    = errors.New("entry replaces itself")
	ErrSelfSkip       = errors.New("entry skips itself")
)

// Error is an invalid graph or input: every problem found, each naming the
// versions at fault.
type Error struct {
	Stream   string
	Problems []error
}

func (e *Error) Error() string {
	return Explain(fmt.Sprintf("upgrade graph of stream %q is invalid", e.Stream), e.Problems)
}

// Explain renders what is wrong with subject: "subject: problem" for one
// problem, else "subject:" and a line "  - problem" for each. The errors
// that gather every problem (this package's Error, catalog's) read alike.
func Explain(subject string, problems []error) string {
	if len(problems) == 1 {
		return subject + ": " + problems[0].Error()
	}
	var b strings.Builder
	b.WriteString(subject + ":")
	for _, p := range problems {
		b.WriteString("\n  - ")
		b.WriteString(p.Error())
	}
	return b.String()
}

// Unwrap gives errors.Is and errors.As the problems.
func (e *Error) Unwrap() []error { return e.Problems }

func (e *Error) add(kind error, format string, args ...any) {
	e.Problems = append(e.Problems, fmt.Errorf("%w: "+format, append([]any{kind}, args...)...))
}

// positions returns the publish position (index) of each of versions. Those
// never published are one problem, "<what> names "v1", "v2"", and position 0
// (not to be used: the caller returns the error first).
func (e *Error) positions(index map[string]int, versions []string, what string) []int {
	positions := make([]int, len(versions))
	var unknown []string
	for k, v := range versions {
		i, ok := index[v]
		if !ok {
			unknown = append(unknown, fmt.Sprintf("%q", v))
			continue
		}
		positions[k] = i
	}
	if len(unknown) > 0 {
		e.add(ErrUnknownVersion, "%s names %s", what, strings.Join(unknown, ", "))
	}
	return positions
}

func (e *Error) orNil() error {
	if len(e.Problems) == 0 {
		return nil
	}
	return e
}

// Build computes the upgrade graph of stream from the product's bundles in
// publish order and the versions that entered the stream, in order. It fails,
// naming the versions, when a bundle has no version or appears twice, when the
// stream names a version never published, or when the result does not
// validate. An empty stream gives an empty graph. Any bundle published
// between two entries can be skipped; BuildFrom narrows that to a source.
func Build(stream string, published []Bundle, entered []string) (*Graph, error) {
	return build(stream, published, entered, nil)
}

// BuildFrom is Build for a stream whose candidates come from a source: an
// entry skips only the bundles published in between that entered the source
// (source lists their versions, in any order) or this stream itself (an
// entry a rollback retracted stays skippable, so a cluster that installed it
// keeps an upgrade path). A channel is its own source, so its graph skips
// nothing of another channel. A source naming a version never published is
// an error.
func BuildFrom(stream string, published []Bundle, entered, source []string) (*Graph, error) {
	if source == nil {
		source = []string{} // nil is Build's "every bundle"
	}
	return build(stream, published, entered, source)
}

// build is Build with source nil (every bundle can be skipped) and BuildFrom.
func build(stream string, published []Bundle, entered, source []string) (*Graph, error) {
	bad := &Error{Stream: stream}
	index := make(map[string]int, len(published))
	for i, b := range published {
		if b.Version == "" {
			bad.add(ErrEmptyVersion, "published bundle #%d (digest %q) has no version", i+1, b.Digest)
			continue
		}
		if j, dup := index[b.Version]; dup {
			bad.add(ErrDuplicate, "%s is published twice (#%d and #%d)", b.Version, j+1, i+1)
			continue
		}
		index[b.Version] = i
	}
	positions := bad.positions(index, entered, "the stream")
	var fromSource []int
	if source != nil {
		fromSource = bad.positions(index, source, "the source of the stream")
	}
	if err := bad.orNil(); err != nil {
		return nil, err // before any position is used: an unknown version has none
	}
	// skippable[i]: published[i] may be skipped (nil: every bundle)
	var skippable []bool
	if source != nil {
		skippable = make([]bool, len(published))
		for _, i := range append(fromSource, positions...) {
			skippable[i] = true
		}
	}
	skip := func(i int) bool { return skippable == nil || skippable[i] }

	g := &Graph{Stream: stream}
	if len(entered) == 0 {
		return g, nil
	}
	// chain holds publish positions, strictly increasing; the head is last.
	chain := make([]int, 0, min(len(entered), len(published)))
	for k, i := range positions {
		for len(chain) > 0 && chain[len(chain)-1] > i {
			r := published[chain[len(chain)-1]]
			g.Retracted = append(g.Retracted, Retraction{Version: r.Version, Digest: r.Digest, By: entered[k]})
			chain = chain[:len(chain)-1]
		}
		if len(chain) > 0 && chain[len(chain)-1] == i {
			continue // re-entry of the head: nothing moves
		}
		chain = append(chain, i)
	}

	// One backing array for every skips list: the gaps between chain
	// entries add up to at most len(published).
	nskips := 0
	for k := 1; k < len(chain); k++ {
		if skippable == nil {
			nskips += chain[k] - chain[k-1] - 1
			continue
		}
		for j := chain[k-1] + 1; j < chain[k]; j++ {
			if skippable[j] {
				nskips++
			}
		}
	}
	skips := make([]string, 0, nskips)
	g.Entries = make([]Entry, len(chain))
	for k, i := range chain {
		e := Entry{Version: published[i].Version, Digest: published[i].Digest}
		if k > 0 {
			prev := chain[k-1]
			e.Replaces = published[prev].Version
			start := len(skips)
			for j := prev + 1; j < i; j++ {
				if skip(j) {
					skips = append(skips, published[j].Version)
				}
			}
			if len(skips) > start {
				e.Skips = skips[start:len(skips):len(skips)]
			}
		}
		g.Entries[k] = e
	}
	g.Head = g.Entries[len(g.Entries)-1].Version
	if err := g.Validate(); err != nil {
		return nil, err
	}
	return g, nil
}

// Validate checks g against the rules of an upgrade graph, whatever built it:
// versions set and unique, no entry replacing or skipping itself, exactly one
// head (an entry that no other entry replaces or skips), no cycle in the
// replaces chain from the head, and no stranded entry (every entry reachable
// from the head by replaces, or skipped by some entry). Replaces may name a
// version outside the graph: the chain ends there. When Head is set it must
// be the head the edges say. An empty graph is valid.
func (g *Graph) Validate() error {
	bad := &Error{Stream: g.Stream}
	n := len(g.Entries)
	if n == 0 {
		if g.Head != "" {
			bad.add(ErrNoHead, "the graph has no entries but names head %s", g.Head)
		}
		return bad.orNil()
	}
	// One map from version to entry index; edges to versions outside the
	// graph matter to neither heads nor strandedness.
	byVersion := make(map[string]int, n)
	ignore := make([]bool, n) // empty or duplicate entries
	var dups []string
	for i, e := range g.Entries {
		switch _, dup := byVersion[e.Version]; {
		case e.Version == "":
			bad.add(ErrEmptyVersion, "entry #%d has no version", i+1)
			ignore[i] = true
		case dup:
			dups = append(dups, e.Version)
			ignore[i] = true
		default:
			byVersion[e.Version] = i
		}
	}
	if len(dups) > 0 {
		bad.add(ErrDuplicate, "%s appear more than once", strings.Join(sortedUnique(dups), ", "))
	}
	const outside = -1
	replaces := make([]int, n) // entry index of the replaced entry, or outside
	incoming := make([]bool, n)
	skipped := make([]bool, n)
	for i, e := range g.Entries {
		replaces[i] = outside
		if ignore[i] {
			continue
		}
		if e.Replaces == e.Version {
			bad.add(ErrSelfReplace, "%s replaces itself", e.Version)
		} else if j, in := byVersion[e.Replaces]; in && e.Replaces != "" {
			replaces[i] = j
			incoming[j] = true
		}
		for _, s := range e.Skips {
			if s == e.Version {
				bad.add(ErrSelfSkip, "%s skips itself", e.Version)
				continue
			}
			if j, in := byVersion[s]; in {
				incoming[j] = true
				skipped[j] = true
			}
		}
	}

	head := outside
	var heads []string
	for i, e := range g.Entries {
		if !ignore[i] && !incoming[i] {
			head = i
			heads = append(heads, e.Version)
		}
	}
	switch {
	case len(heads) == 0:
		bad.add(ErrNoHead, "every entry is replaced or skipped by another (%s)", describeCycle(g, byVersion))
		return bad
	case len(heads) > 1:
		bad.add(ErrMultipleHeads, "%s (a stream has exactly one)", strings.Join(sortedUnique(heads), ", "))
		return bad
	}
	headVersion := g.Entries[head].Version
	if g.Head != "" && g.Head != headVersion {
		bad.add(ErrMultipleHeads, "the graph names head %s but its edges make %s the head", g.Head, headVersion)
	}

	// Follow replaces from the head, as operator-registry does: a replaces
	// edge onto a skipped entry ends the walk, since the skip covers it.
	onChain := make([]bool, n)
	onChain[head] = true
	path := []string{headVersion}
	for cur := head; ; {
		next := replaces[cur]
		if next == outside || skipped[next] {
			break
		}
		if onChain[next] {
			path = append(path, g.Entries[next].Version)
			bad.add(ErrCycle, "%s", strings.Join(path, " -> "))
			return bad
		}
		if len(path) < 8 {
			path = append(path, g.Entries[next].Version)
		} else if len(path) == 8 {
			path = append(path, "...")
		}
		onChain[next] = true
		cur = next
	}
	var stranded []string
	for i, e := range g.Entries {
		if !ignore[i] && !onChain[i] && !skipped[i] {
			stranded = append(stranded, e.Version)
		}
	}
	if len(stranded) > 0 {
		bad.add(ErrStranded, "%s (not reachable from head %s by replaces, and skipped by nothing)",
			strings.Join(sortedUnique(stranded), ", "), headVersion)
	}
	return bad.orNil()
}

// describeCycle names the versions of one cycle when every entry has an
// incoming edge (there is then a cycle through replaces or skips).
func describeCycle(g *Graph, byVersion map[string]int) string {
	for _, start := range g.Entries {
		seen := map[string]int{}
		var path []string
		for cur := start.Version; ; {
			if at, ok := seen[cur]; ok {
				return "cycle " + strings.Join(append(path[at:], cur), " -> ")
			}
			i, in := byVersion[cur]
			if !in {
				break
			}
			seen[cur] = len(path)
			path = append(path, cur)
			cur = g.Entries[i].Replaces
			if cur == "" {
				break
			}
		}
	}
	names := make([]string, 0, len(g.Entries))
	for _, e := range g.Entries {
		names = append(names, e.Version)
	}
	return strings.Join(sortedUnique(names), ", ")
}

func sortedUnique(s []string) []string {
	s = append([]string(nil), s...)
	sort.Strings(s)
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// Entry returns the entry for version.
func (g *Graph) Entry(version string) (Entry, bool) {
	for i := len(g.Entries) - 1; i >= 0; i-- {
		if g.Entries[i].Version == version {
			return g.Entries[i], true
		}
	}
	return Entry{}, false
}

// Mermaid renders the graph as a mermaid flowchart for a step summary: one
// node per entry, a solid edge per replaces, a dotted edge per skip, the head
// marked. At most limit entries are drawn, the newest (0: all).
func (g *Graph) Mermaid(limit int) string {
	entries := g.Entries
	if limit > 0 && len(entries) > limit {
		entries = entries[len(entries)-limit:]
	}
	ids := make(map[string]string, len(entries))
	id := func(v string) string {
		if s, ok := ids[v]; ok {
			return s
		}
		s := fmt.Sprintf("n%d", len(ids))
		ids[v] = s
		return s
	}
	var b strings.Builder
	b.WriteString("flowchart RL\n")
	for _, e := range entries {
		label := e.Version
		if e.Version == g.Head {
			label += " (head)"
		}
		fmt.Fprintf(&b, "  %s[\"%s\"]\n", id(e.Version), mermaid.Text(label))
	}
	for _, e := range entries {
		if e.Replaces != "" {
			if _, drawn := ids[e.Replaces]; drawn {
				fmt.Fprintf(&b, "  %s -->|replaces| %s\n", ids[e.Version], ids[e.Replaces])
			}
		}
	}
	for _, e := range entries {
		for _, s := range e.Skips {
			if _, drawn := ids[s]; !drawn {
				fmt.Fprintf(&b, "  %s[\"%s\"]\n", id(s), mermaid.Text(s))
			}
			fmt.Fprintf(&b, "  %s -.->|skips| %s\n", ids[e.Version], ids[s])
		}
	}
	return b.String()
}
