package config

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// DefaultEventType is the repository_dispatch event type cascade-branches sends
// when the config does not name one.
const DefaultEventType = "ladder-cascade"

var (
	topKeys       = []string{"version", "product", "registry", "ledger", "components", "channels", "constraints", "labels", "cascade", "export", "signing"}
	componentKeys = []string{"repo", "git", "tag-prefix"}
	channelKeys   = []string{"track", "components", "version", "retention"}
	policyKeys    = []string{"branch", "semver", "prerelease", "pin", "label"}
	versionKeys   = []string{"prerelease", "from", "bump"}
	retentionKeys = []string{"keep"}
	constraintKey = []string{"same-version"}
	labelKeys     = []string{"from", "gates", "quarantine", "sign", "deployment"}
	deployKeys    = []string{"environment"}
	gateKeys      = []string{"checks", "soak", "components", "signed"}
	cascadeKeys   = []string{"event-type", "branches", "repos"}
	repoKeys      = []string{"repo", "when", "event-type"}
	whenKeys      = []string{"branch", "channel", "label"}
	exportKeys    = []string{"olm"}
	olmKeys       = []string{"package", "channels", "default-channel"}
)

func (p *parser) config(root *yaml.Node) *Config {
	entries, ok := p.mapping(root, "", topKeys)
	if !ok {
		return nil
	}
	p.require(root, "", entries, "version", "product", "registry", "components", "channels")
	get := func(k string) *entry { return find(entries, k) }

	// Collect names first: references may point forward in the file.
	p.components = p.keyNames(get("components"))
	p.channels = p.keyNames(get("channels"))
	p.labels = p.keyNames(get("labels"))

	c := &Config{Ledger: Ledger{Kind: LedgerGitHub}}
	if e := get("version"); e != nil {
		if v, ok := p.integer(e.val, e.path); ok {
			c.Version = v
			if v != 1 {
				p.errorf(e.val, e.path, "unsupported version %d (this ladder reads version 1)", v)
			}
		}
	}
	if e := get("product"); e != nil {
		if s, ok := p.str(e.val, e.path); ok {
			c.Product = s
			if !productRe.MatchString(s) {
				p.errorf(e.val, e.path, "invalid product name %q: must match %s", s, productPattern)
			}
		}
	}
	if e := get("registry"); e != nil {
		c.Registry = p.checked(e, "OCI repository", registryProblem)
	}
	if e := get("ledger"); e != nil {
		c.Ledger = p.ledger(e)
	}
	if e := get("components"); e != nil {
		c.Components = nameSection(p, e, "component", p.component)
	}
	if e := get("channels"); e != nil {
		c.Channels = nameSection(p, e, "channel", p.channel)
	}
	if e := get("constraints"); e != nil {
		c.Constraints = p.constraintSection(e)
	}
	if e := get("labels"); e != nil {
		c.Labels = nameSection(p, e, "", p.label)
	}
	p.labelCycles(c)
	if e := get("cascade"); e != nil {
		c.Cascade = p.cascadeSection(e)
	}
	if e := get("export"); e != nil {
		c.Export = p.exportSection(e)
	}
	if e := get("signing"); e != nil {
		c.Signing = p.signingSection(e)
	}
	return c
}

// keyNames lists the keys of a name mapping (components, channels, labels)
// without reporting anything: the section's own pass reports its errors.
func (p *parser) keyNames(e *entry) []string {
	if e == nil {
		return nil
	}
	n := deref(e.val)
	if n.Kind != yaml.MappingNode {
		return nil
	}
	q := &parser{file: p.file, pos: map[string]Pos{}, vals: map[string]Pos{}, misspelt: map[string]bool{}, merging: map[*yaml.Node]bool{}}
	var names []string
	for _, x := range q.entries(n, e.path, 0) {
		names = append(names, x.name)
	}
	return names
}

func (p *parser) ledger(e *entry) Ledger {
	l := Ledger{Kind: LedgerGitHub, Pos: p.at(e.key)}
	s, ok := p.str(e.val, e.path)
	if !ok {
		return l
	}
	var why string
	l.Kind, l.Path, why = parseLedger(s)
	if why != "" {
		p.errorf(e.val, e.path, "invalid ledger %q: %s", s, why)
	}
	return l
}

// nameSection parses a mapping of names (components, channels, labels):
// one T per entry, in file order, made by item. With required (the kind of
// thing, "component"), an empty mapping is an error.
func nameSection[T any](p *parser, e *entry, required string, item func(entry) T) []T {
	entries, ok := p.mapping(e.val, e.path, nil)
	if !ok {
		return nil
	}
	if required != "" && len(entries) == 0 {
		p.errorf(e.val, e.path, "at least one %s is required", required)
	}
	out := make([]T, 0, len(entries))
	for _, x := range entries {
		out = append(out, item(x))
	}
	return out
}

func (p *parser) component(ce entry) Component {
	comp := Component{Name: ce.name, Pos: p.at(ce.key)}
	if !componentRe.MatchString(ce.name) {
		p.errorf(ce.key, ce.path, "invalid component name %q: must match %s", ce.name, componentPattern)
	}
	fields, ok := p.mapping(ce.val, ce.path, componentKeys)
	if !ok {
		return comp
	}
	repo, git := find(fields, "repo"), find(fields, "git")
	switch {
	case repo == nil && git == nil && !p.anyMisspelt(ce.path, "repo", "git"):
		p.errorf(ce.val, ce.path, `one of "repo" (owner/name on GitHub) or "git" (a git URL) is required`)
	case repo != nil && git != nil:
		second := git
		if less(p.at(git.key), p.at(repo.key)) {
			second = repo
		}
		p.errorf(second.key, ce.path, `"repo" and "git" are mutually exclusive`)
	}
	if repo != nil {
		comp.Repo = p.checked(repo, "GitHub repository", repoProblem)
	}
	if git != nil {
		comp.Git = p.checked(git, "git URL", gitURLProblem)
	}
	if tp, s, ok := p.strField(fields, "tag-prefix"); ok {
		comp.TagPrefix = s
		if why := refProblem(s + "v1.0.0"); s != "" && why != "" {
			p.errorf(tp.val, tp.path, "invalid tag prefix %q: tags such as %q would not be valid git tag names (%s)", s, s+"v1.0.0", why)
		}
	}
	return comp
}

// checked reads the string at e and returns it ("" if it is not one); where
// problem finds something wrong with it, that is the error "invalid WHAT
// "VALUE": WHY".
func (p *parser) checked(e *entry, what string, problem func(string) string) string {
	s, ok := p.str(e.val, e.path)
	if !ok {
		return ""
	}
	if why := problem(s); why != "" {
		p.errorf(e.val, e.path, "invalid %s %q: %s", what, s, why)
	}
	return s
}

func (p *parser) unknownComponent(n *yaml.Node, path, name string) bool {
	if contains(p.components, name) {
		return false
	}
	p.errorf(n, path, "unknown component %q%s", name, suggest(name, p.components))
	return true
}

func (p *parser) channel(ce entry) Channel {
	ch := Channel{Name: ce.name, Pos: p.at(ce.key), Retention: Retention{All: true}}
	if why := tagNameProblem(ce.name, "channel"); why != "" {
		p.errorf(ce.key, ce.path, "%s", why)
	}
	fields, ok := p.mapping(ce.val, ce.path, channelKeys)
	if !ok {
		return ch
	}
	p.require(ce.val, ce.path, fields, "track")
	var pinNode *yaml.Node
	if t := find(fields, "track"); t != nil {
		ch.Track, pinNode = p.policy(t.val, t.path, true)
		ch.Track.Pos = p.at(t.key)
	}
	if cc := find(fields, "components"); cc != nil {
		if ch.Track.Label != "" {
			p.errorf(cc.key, cc.path, "per-component policies are not allowed when the channel tracks a label")
		} else if overrides, ok := p.mapping(cc.val, cc.path, nil); ok {
			ch.Components = map[string]Policy{}
			for _, o := range overrides {
				p.unknownComponent(o.key, o.path, o.name)
				pol, _ := p.policy(o.val, o.path, false)
				pol.Pos = p.at(o.key)
				ch.Components[o.name] = pol
			}
		}
	}
	if ch.Track.Pins != nil && pinNode != nil {
		for _, comp := range p.components {
			if _, ok := ch.Track.Pins[comp]; ok {
				continue
			}
			if _, ok := ch.Components[comp]; ok || p.misspelt[join(ce.path, "track.pin."+comp)] {
				continue
			}
			p.errorf(pinNode, join(ce.path, "track.pin"), "missing pin for component %q (pin every component, or give it a policy under %s.components)", comp, ce.path)
		}
	}
	if v := find(fields, "version"); v != nil {
		ch.Version = p.versionRule(v)
	}
	if r := find(fields, "retention"); r != nil {
		ch.Retention = p.retention(r)
	}
	return ch
}

// policy parses a channel's track (track true) or a per-component policy. For a
// track with a pin mapping it also returns that mapping's node.
func (p *parser) policy(n *yaml.Node, path string, track bool) (Policy, *yaml.Node) {
	var pol Policy
	var pinNode *yaml.Node
	fields, ok := p.mapping(n, path, policyKeys)
	if !ok {
		return pol, nil
	}
	var kinds []*entry
	for _, k := range []string{"branch", "semver", "pin", "label"} {
		if e := find(fields, k); e != nil {
			kinds = append(kinds, e)
		}
	}
	if !track {
		if e := find(fields, "label"); e != nil {
			p.errorf(e.key, e.path, "only a whole channel can follow a label (track: {label: ...}), not one component")
			return pol, nil
		}
	}
	misspelt := p.anyMisspelt(path, "branch", "semver", "pin", "label")
	switch {
	case len(kinds) == 0 && misspelt:
	case len(kinds) == 0 && track:
		p.errorf(n, path, `one of "branch", "semver", "pin" or "label" is required`)
	case len(kinds) == 0:
		p.errorf(n, path, `one of "branch", "semver" or "pin" is required`)
	case len(kinds) > 1:
		p.errorf(kinds[1].key, path, "%q and %q are mutually exclusive", kinds[0].name, kinds[1].name)
	}
	if e := find(fields, "prerelease"); e != nil {
		if find(fields, "semver") == nil {
			p.errorf(e.key, e.path, `only allowed with "semver"`)
		}
		pol.Prerelease, _ = p.boolean(e.val, e.path)
	}
	if e := find(fields, "branch"); e != nil {
		pol.Branch = p.checked(e, "branch name", refProblem)
	}
	if e := find(fields, "semver"); e != nil {
		pol.Semver = p.checked(e, "semver constraint", constraintProblem)
	}
	if e := find(fields, "pin"); e != nil {
		if track {
			pinNode = deref(e.val)
			pins, ok := p.mapping(e.val, e.path, nil)
			if ok {
				pol.Pins = map[string]string{}
				for _, pe := range pins {
					if p.unknownComponent(pe.key, pe.path, pe.name) {
						if s := suggestion(pe.name, p.components); s != "" {
							p.misspelt[join(e.path, s)] = true // not reported missing as well
						}
					}
					if s, ok := p.str(pe.val, pe.path); ok {
						pol.Pins[pe.name] = s
						p.checkPin(pe.val, pe.path, s)
					} else {
						pol.Pins[pe.name] = ""
					}
				}
			} else {
				pinNode = nil
			}
		} else if s, ok := p.str(e.val, e.path); ok {
			pol.Pin = s
			p.checkPin(e.val, e.path, s)
		}
	}
	if e, s, ok := p.strField(fields, "label"); ok {
		pol.Label = s
		if !contains(p.labels, s) {
			p.errorf(e.val, e.path, "unknown label %q: no such label under labels%s", s, suggest(s, p.labels))
		}
	}
	return pol, pinNode
}

func (p *parser) checkPin(n *yaml.Node, path, s string) {
	if hexSHARe.MatchString(s) {
		return
	}
	if why := refProblem(s); why != "" {
		p.errorf(n, path, "invalid pin %q: neither a git tag name (%s) nor a full 40-hex commit SHA", s, why)
	}
}

func (p *parser) versionRule(e *entry) VersionRule {
	v := VersionRule{Pos: p.at(e.key)}
	fields, ok := p.mapping(e.val, e.path, versionKeys)
	if !ok {
		return v
	}
	var set []*entry
	for i := range fields {
		set = append(set, &fields[i])
	}
	switch {
	case len(set) == 0 && p.anyMisspelt(e.path, versionKeys...):
	case len(set) == 0:
		p.errorf(e.val, e.path, `one of "prerelease", "from" or "bump" is required`)
	case len(set) > 1:
		p.errorf(set[1].key, e.path, "%q and %q are mutually exclusive", set[0].name, set[1].name)
	}
	if f, s, ok := p.strField(fields, "prerelease"); ok {
		v.Prerelease = s
		if !prereleaseRe.MatchString(s) {
			p.errorf(f.val, f.path, "invalid prerelease %q: must be one semver prerelease identifier (letters, digits and \"-\"; no leading zero in a number)", s)
		}
	}
	if f, s, ok := p.strField(fields, "from"); ok {
		v.From = s
		p.unknownComponent(f.val, f.path, s)
	}
	if f, s, ok := p.strField(fields, "bump"); ok {
		v.Bump = s
		if s != "major" && s != "minor" && s != "patch" {
			p.errorf(f.val, f.path, "invalid bump %q: expected major, minor or patch", s)
		}
	}
	return v
}

func (p *parser) retention(e *entry) Retention {
	r := Retention{All: true, Pos: p.at(e.key)}
	fields, ok := p.mapping(e.val, e.path, retentionKeys)
	if !ok {
		return r
	}
	p.require(e.val, e.path, fields, "keep")
	if k := find(fields, "keep"); k != nil {
		n := deref(k.val)
		var i int
		switch {
		case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" && n.Value == "all":
		case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!int" && n.Decode(&i) == nil && i >= 1:
			r.All, r.Keep = false, i
		default:
			p.errorf(n, k.path, `expected "all" or an integer >= 1, got %s`, describeValue(n))
		}
	}
	return r
}

// describeValue is describe, but shows an integer's value.
func describeValue(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!int" {
		return n.Value
	}
	return describe(n)
}

func (p *parser) constraintSection(e *entry) []Constraint {
	items, ok := p.sequence(e.val, e.path)
	if !ok {
		return nil
	}
	var out []Constraint
	for i, it := range items {
		path := index(e.path, i)
		c := Constraint{Pos: p.at(deref(e.val).Content[i])}
		fields, ok := p.mapping(it, path, constraintKey)
		if !ok {
			continue
		}
		p.require(it, path, fields, "same-version")
		if f := find(fields, "same-version"); f != nil {
			items, ok := p.names(f.val, f.path, "component")
			if ok {
				if n := len(deref(f.val).Content); n < 2 {
					p.errorf(f.val, f.path, "at least 2 components are required, got %d", n)
				}
				for _, it := range items {
					p.unknownComponent(it.node, it.path, it.name)
				}
				c.SameVersion = strs(items)
			}
		}
		out = append(out, c)
	}
	return out
}

func (p *parser) label(le entry) Label {
	l := Label{Name: le.name, Pos: p.at(le.key)}
	if why := tagNameProblem(le.name, "label"); why != "" {
		p.errorf(le.key, le.path, "%s", why)
	} else if contains(p.channels, le.name) {
		p.errorf(le.key, le.path, "label %q has the same name as a channel; they share the registry's tags", le.name)
	}
	fields, ok := p.mapping(le.val, le.path, labelKeys)
	if !ok {
		return l
	}
	p.require(le.val, le.path, fields, "from")
	if f, s, ok := p.strField(fields, "from"); ok {
		l.From = s
		switch {
		case s == le.name && !contains(p.channels, s):
			p.errorf(f.val, f.path, "label %q cannot come from itself", s)
		case !contains(p.channels, s) && !contains(p.labels, s):
			p.errorf(f.val, f.path, "unknown channel or label %q%s", s, suggest(s, append(append([]string{}, p.channels...), p.labels...)))
		}
	}
	if g := find(fields, "gates"); g != nil {
		l.Gates = p.gates(g)
	}
	if q := find(fields, "quarantine"); q != nil {
		l.Quarantine, _ = p.boolean(q.val, q.path)
	}
	if s := find(fields, "sign"); s != nil {
		l.Sign, _ = p.boolean(s.val, s.path)
	}
	if d := find(fields, "deployment"); d != nil {
		l.Deployment = p.deployment(d)
	}
	return l
}

// maxEnvironment is GitHub's limit on an environment name.
const maxEnvironment = 255

// deployment parses a label's `deployment: {environment: E}`.
func (p *parser) deployment(e *entry) *Deployment {
	d := &Deployment{Pos: p.at(e.key)}
	fields, ok := p.mapping(e.val, e.path, deployKeys)
	if !ok {
		return d
	}
	p.require(e.val, e.path, fields, "environment")
	if f, s, ok := p.strField(fields, "environment"); ok {
		switch {
		case strings.TrimSpace(s) == "":
			p.errorf(f.val, f.path, "empty environment: name the GitHub environment the label's moves deploy to (environment: production)")
		case utf8.RuneCountInString(s) > maxEnvironment:
			p.errorf(f.val, f.path, "environment is %d characters long; GitHub allows at most %d", utf8.RuneCountInString(s), maxEnvironment)
		}
		d.Environment = s
	}
	return d
}

func (p *parser) gates(e *entry) Gates {
	g := Gates{Pos: p.at(e.key)}
	fields, ok := p.mapping(e.val, e.path, gateKeys)
	if !ok {
		return g
	}
	if f := find(fields, "checks"); f != nil {
		n := deref(f.val)
		switch {
		case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" && n.Value == "all":
			g.AllChecks = true
		case n.Kind == yaml.SequenceNode && len(n.Content) == 0:
			// an empty list would gate on nothing and promote everything
			p.errorf(n, f.path, "an empty list checks nothing: list at least one check (checks: [build]), or checks: all")
		case n.Kind == yaml.SequenceNode:
			items, _ := p.names(n, f.path, "check")
			g.Checks = []string{}
			for _, it := range items {
				if strings.TrimSpace(it.name) == "" {
					p.errorf(it.node, it.path, "empty check name")
					continue
				}
				g.Checks = append(g.Checks, it.name)
			}
		default:
			p.errorf(n, f.path, `expected "all" or a list of check names, got %s`, describe(n))
		}
	}
	if f, s, ok := p.strField(fields, "soak"); ok {
		d, why := parseDuration(s)
		if why != "" {
			p.errorf(f.val, f.path, "invalid duration %q: %s", s, why)
		}
		g.Soak = d
	}
	if f := find(fields, "components"); f != nil {
		items, _ := p.names(f.val, f.path, "component")
		for _, it := range items {
			p.unknownComponent(it.node, it.path, it.name)
		}
		g.Components = strs(items)
	}
	if f := find(fields, "signed"); f != nil {
		g.Signed = p.signedGate(f)
	}
	return g
}

// labelCycles reports cycles among labels' `from` and channels that track a label.
// Every such node has at most one successor, so each cycle is found by walking.
func (p *parser) labelCycles(c *Config) {
	type node struct {
		next  string
		pos   Pos
		field string
		valAt Pos
	}
	nodes := map[string]node{}
	var order []string
	for _, l := range c.Labels {
		if l.From == "" {
			continue
		}
		f := join("labels."+l.Name, "from")
		nodes[l.Name] = node{next: l.From, pos: l.Pos, field: f, valAt: p.valuePos(f)}
		order = append(order, l.Name)
	}
	for _, ch := range c.Channels {
		if ch.Track.Label == "" {
			continue
		}
		if _, dup := nodes[ch.Name]; dup {
			continue
		}
		f := "channels." + ch.Name + ".track.label"
		nodes[ch.Name] = node{next: ch.Track.Label, pos: ch.Pos, field: f, valAt: p.valuePos(f)}
		order = append(order, ch.Name)
	}
	sort.SliceStable(order, func(i, j int) bool { return less(nodes[order[i]].pos, nodes[order[j]].pos) })
	done := map[string]bool{}
	for _, start := range order {
		if done[start] {
			continue
		}
		path := []string{start}
		seen := map[string]bool{start: true}
		cur := start
		for {
			n, ok := nodes[cur]
			if !ok {
				break
			}
			cur = n.next
			if cur == start {
				for _, x := range path {
					done[x] = true
				}
				if len(path) == 1 {
					break // a label from itself is reported on its own
				}
				s := nodes[start]
				p.errs = append(p.errs, &Error{Pos: s.valAt, Field: s.field,
					Message: fmt.Sprintf("%s: cycle %s -> %s", s.field, strings.Join(path, " -> "), start)})
				break
			}
			if seen[cur] {
				break
			}
			seen[cur] = true
			path = append(path, cur)
		}
	}
}

// valuePos is the position of field's value.
func (p *parser) valuePos(field string) Pos {
	if pos, ok := p.vals[field]; ok {
		return pos
	}
	if pos, ok := p.pos[field]; ok {
		return pos
	}
	return Pos{File: p.file, Line: 1, Col: 1}
}

func less(a, b Pos) bool {
	if a.Line != b.Line {
		return a.Line < b.Line
	}
	return a.Col < b.Col
}

func (p *parser) cascadeSection(e *entry) *Cascade {
	c := &Cascade{EventType: DefaultEventType, Pos: p.at(e.key)}
	fields, ok := p.mapping(e.val, e.path, cascadeKeys)
	if !ok {
		return c
	}
	if f := find(fields, "event-type"); f != nil {
		c.EventType = p.eventType(f)
	}
	if f := find(fields, "branches"); f != nil {
		c.Branches = p.branches(f)
	}
	if f := find(fields, "repos"); f != nil {
		items, ok := p.sequence(f.val, f.path)
		if ok {
			for i, it := range items {
				c.Repos = append(c.Repos, p.cascadeRepo(it, index(f.path, i), p.at(deref(f.val).Content[i])))
			}
		}
	}
	return c
}

func (p *parser) eventType(e *entry) string {
	s, ok := p.str(e.val, e.path)
	if !ok {
		return ""
	}
	if n := utf8.RuneCountInString(s); n < 1 || n > 100 {
		p.errorf(e.val, e.path, "must be 1 to 100 characters (GitHub's limit for a repository_dispatch event type), got %d", n)
	}
	return s
}

func (p *parser) branches(e *entry) map[string][]string {
	entries, ok := p.mapping(e.val, e.path, nil)
	if !ok {
		return nil
	}
	out := map[string][]string{}
	var order []string
	keyAt := map[string]Pos{}
	for _, be := range entries {
		if why := refProblem(be.name); why != "" {
			p.errorf(be.key, be.path, "invalid branch name %q: %s", be.name, why)
		}
		targets, ok := p.names(be.val, be.path, "branch")
		if !ok {
			continue
		}
		for _, t := range targets {
			if why := refProblem(t.name); why != "" {
				p.errorf(t.node, t.path, "invalid branch name %q: %s", t.name, why)
			}
		}
		out[be.name] = strs(targets)
		order = append(order, be.name)
		keyAt[be.name] = p.at(be.key)
	}
	for _, cyc := range cycles(order, out) {
		p.errs = append(p.errs, &Error{Pos: keyAt[cyc[0]], Field: e.path,
			Message: fmt.Sprintf("%s: cycle %s", e.path, strings.Join(cyc, " -> "))})
	}
	return out
}

// cycles finds the cycles of a directed graph by depth-first search from each
// node in order. Each cycle is reported once, starting and ending at its member
// that comes first in order.
func cycles(order []string, edges map[string][]string) [][]string {
	rank := map[string]int{}
	for i, n := range order {
		rank[n] = i
	}
	const (
		white = iota
		grey
		black
	)
	color := map[string]int{}
	var stack []string
	var out [][]string
	seen := map[string]bool{}
	var visit func(string)
	visit = func(n string) {
		color[n] = grey
		stack = append(stack, n)
		for _, m := range edges[n] {
			switch color[m] {
			case white:
				visit(m)
			case grey:
				var cyc []string
				for i := len(stack) - 1; i >= 0; i-- {
					if stack[i] == m {
						cyc = append([]string{}, stack[i:]...)
						break
					}
				}
				// Rotate to start at the member that comes first.
				first := 0
				for i, x := range cyc {
					if rank[x] < rank[cyc[first]] {
						first = i
					}
				}
				cyc = append(cyc[first:], cyc[:first]...)
				cyc = append(cyc, cyc[0])
				key := strings.Join(cyc, "\x00")
				if !seen[key] {
					seen[key] = true
					out = append(out, cyc)
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[n] = black
	}
	for _, n := range order {
		if color[n] == white {
			visit(n)
		}
	}
	return out
}

func (p *parser) cascadeRepo(n *yaml.Node, path string, at Pos) CascadeRepo {
	r := CascadeRepo{Pos: at}
	fields, ok := p.mapping(n, path, repoKeys)
	if !ok {
		return r
	}
	p.require(n, path, fields, "repo", "when")
	if f := find(fields, "repo"); f != nil {
		r.Repo = p.checked(f, "GitHub repository", repoProblem)
	}
	if f := find(fields, "event-type"); f != nil {
		r.EventType = p.eventType(f)
	}
	if f := find(fields, "when"); f != nil {
		when, ok := p.mapping(f.val, f.path, whenKeys)
		if ok {
			var set []*entry
			for _, k := range whenKeys {
				if x := find(when, k); x != nil {
					set = append(set, x)
				}
			}
			sort.SliceStable(set, func(i, j int) bool { return less(p.at(set[i].key), p.at(set[j].key)) })
			switch {
			case len(set) == 0 && !p.anyMisspelt(f.path, whenKeys...):
				p.errorf(f.val, f.path, `one of "branch", "channel" or "label" is required`)
			case len(set) > 1:
				p.errorf(set[1].key, f.path, "%q and %q are mutually exclusive", set[0].name, set[1].name)
			}
			b, c, l := find(when, "branch"), find(when, "channel"), find(when, "label")
			if b != nil {
				r.When.Branch = p.checked(b, "branch name", refProblem)
			}
			if c != nil {
				if s, ok := p.str(c.val, c.path); ok {
					r.When.Channel = s
					if !contains(p.channels, s) {
						p.errorf(c.val, c.path, "unknown channel %q%s", s, suggest(s, p.channels))
					}
				}
			}
			if l != nil {
				if s, ok := p.str(l.val, l.path); ok {
					r.When.Label = s
					if !contains(p.labels, s) {
						p.errorf(l.val, l.path, "unknown label %q%s", s, labelsNamed(s, p.labels))
					}
				}
			}
		}
	}
	return r
}

// labelsNamed names the labels a reference could have meant: the closest
// first when one is near, then all of them.
func labelsNamed(s string, labels []string) string {
	if len(labels) == 0 {
		return ": the config has no labels"
	}
	return fmt.Sprintf("%s; labels: %s", suggest(s, labels), strings.Join(labels, ", "))
}
