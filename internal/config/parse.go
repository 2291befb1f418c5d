package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// maxWork bounds the mapping keys visited in one file, so that a few aliases
// and merge keys cannot make parsing take exponential time.
const maxWork = 200000

// maxErrors is how many errors Parse reports at most.
const maxErrors = 200

// rootField is the Field of errors about the document as a whole.
const rootField = "(root)"

// Load reads and parses the config file at path. A read error is returned as is
// (wrapped); everything else is an Errors, as from Parse.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	return Parse(path, data)
}

// Parse parses and validates a config file. file is only used in positions.
// On failure the error is an Errors holding every problem found, sorted by
// position; each message starts with the dotted path of the field at fault.
func Parse(file string, data []byte) (*Config, error) {
	p := &parser{file: file, pos: map[string]Pos{}, vals: map[string]Pos{}, misspelt: map[string]bool{}, merging: map[*yaml.Node]bool{}}
	var cfg *Config
	if root := p.document(data); root != nil {
		cfg = p.config(root)
	}
	if len(p.errs) > 0 || cfg == nil {
		return nil, p.sorted()
	}
	cfg.File = file
	cfg.Pos = p.pos
	return cfg, nil
}

type parser struct {
	file string
	errs Errors
	pos  map[string]Pos // key positions, returned as Config.Pos
	vals map[string]Pos // value positions

	misspelt map[string]bool     // required keys an unknown key was suggested for
	merging  map[*yaml.Node]bool // mappings whose merge keys are being expanded

	work int // mapping keys visited, bounded by maxWork against alias bombs

	components []string // every component name in the file, valid or not
	channels   []string
	labels     []string
}

// sorted returns the errors in file order, without exact duplicates (an
// aliased node can be reached twice).
func (p *parser) sorted() Errors {
	sort.SliceStable(p.errs, func(i, j int) bool {
		a, b := p.errs[i].Pos, p.errs[j].Pos
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	out := p.errs[:0]
	seen := map[Error]bool{}
	for _, e := range p.errs {
		if seen[*e] {
			continue
		}
		if len(out) == maxErrors {
			n := 0
			for _, e := range p.errs {
				if !seen[*e] {
					seen[*e] = true
					n++
				}
			}
			out = append(out, &Error{Pos: e.Pos, Field: rootField,
				Message: fmt.Sprintf("%s: too many errors, %d more not shown", rootField, n)})
			break
		}
		seen[*e] = true
		out = append(out, e)
	}
	return out
}

func (p *parser) at(n *yaml.Node) Pos {
	if n == nil || n.Line < 1 {
		return Pos{File: p.file, Line: 1, Col: 1}
	}
	col := n.Column
	if col < 1 {
		col = 1
	}
	return Pos{File: p.file, Line: n.Line, Col: col}
}

// errorf records an error at node n about field. The message is prefixed with field.
func (p *parser) errorf(n *yaml.Node, field, format string, args ...any) {
	// Quoted values are the user's and may be huge (and repeated through aliases).
	verb := 0
	for i := 0; i < len(format); i++ {
		if format[i] != '%' || i+1 >= len(format) {
			continue
		}
		i++
		if format[i] == '%' {
			continue
		}
		for i+1 < len(format) && strings.IndexByte("+-# 0123456789.", format[i]) >= 0 {
			i++
		}
		if verb >= len(args) {
			break
		}
		if s, ok := args[verb].(string); ok && format[i] == 'q' {
			args[verb] = short(s)
		}
		verb++
	}
	field = short(field)
	p.errs = append(p.errs, &Error{Pos: p.at(n), Field: field, Message: field + ": " + fmt.Sprintf(format, args...)})
}

// parserProblems are yaml.v3's parser (as opposed to scanner) problems: it
// reports them with a 0-based line.
var parserProblems = map[string]bool{
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"did not find expected '-' indicator":    true,
	"did not find expected <document start>": true,
	"did not find expected <stream-start>":   true,
	"did not find expected key":              true,
	"did not find expected node content":     true,
	"found duplicate %TAG directive":         true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found undefined tag handle":             true,
}

// document decodes data into its single YAML document's root node.
func (p *parser) document(data []byte) (root *yaml.Node) {
	defer func() {
		// yaml.v3 has panicked on hostile input before; never let that escape.
		if r := recover(); r != nil {
			root = nil
			p.errorf(nil, rootField, "invalid YAML: %v", r)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			p.errorf(nil, rootField, "empty file: expected a mapping with version, product, registry, components and channels")
			return nil
		}
		p.yamlError(data, err)
		return nil
	}
	var next yaml.Node
	if err := dec.Decode(&next); err == nil {
		p.errorf(&next, rootField, "the file holds more than one YAML document; ladder reads exactly one")
	} else if !errors.Is(err, io.EOF) {
		p.yamlError(data, err)
	}
	root = &doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			p.errorf(nil, rootField, "empty file: expected a mapping with version, product, registry, components and channels")
			return nil
		}
		root = root.Content[0]
	}
	return root
}

// yamlError turns a yaml.v3 syntax error ("yaml: line 3: did not find
// expected key") into an Error at the line and column at fault, naming the
// field there and, for the usual mistakes, what to do (see syntax.go).
func (p *parser) yamlError(data []byte, err error) {
	e := locateSyntaxError(data, err)
	field := short(e.field)
	msg := field + ": invalid YAML: " + e.problem
	if e.hint != "" {
		msg += "; " + e.hint
	}
	p.errs = append(p.errs, &Error{Pos: Pos{File: p.file, Line: e.line, Col: e.col}, Field: field, Message: msg})
}

var bigIntRe = regexp.MustCompile(`^[-+]?[0-9]+$`)

// anyMisspelt says whether an unknown key under path was taken for one of keys.
func (p *parser) anyMisspelt(path string, keys ...string) bool {
	for _, k := range keys {
		if p.misspelt[join(path, k)] {
			return true
		}
	}
	return false
}

// spend counts n units of work and reports, once, when the budget is exhausted.
func (p *parser) spend(n int, at *yaml.Node, path string) bool {
	if p.work > maxWork {
		return false
	}
	if p.work += n; p.work > maxWork {
		p.errorf(at, fieldOr(path), "too many keys and items after expanding aliases and merge keys (more than %d)", maxWork)
		return false
	}
	return true
}

// join builds a dotted field path.
func join(path, key string) string {
	if key == "" {
		key = `""`
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// deref follows aliases.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// describe names the YAML type of n for "expected X, got Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.DocumentNode:
		return "a document"
	}
	switch n.ShortTag() {
	case "!!str":
		return fmt.Sprintf("the string %q", short(n.Value))
	case "!!int":
		return "an integer"
	case "!!float":
		return "a number"
	case "!!bool":
		return "a boolean"
	case "!!null":
		return "null"
	case "!!timestamp":
		return "a timestamp"
	case "!!binary":
		return "binary data"
	}
	return "a value tagged " + short(n.ShortTag())
}

// entry is one key of a mapping.
type entry struct {
	name string
	path string
	key  *yaml.Node
	val  *yaml.Node
}

// mapping checks that n is a mapping and returns its entries in file order,
// with merge keys (<<) expanded. It reports duplicate keys, non-scalar keys and,
// when known is not nil, unknown keys (which it drops). It records the position
// of every key under its dotted path.
func (p *parser) mapping(n *yaml.Node, path string, known []string) ([]entry, bool) {
	n = deref(n)
	if n.Kind != yaml.MappingNode {
		p.errorf(n, fieldOr(path), "expected a mapping, got %s", describe(n))
		return nil, false
	}
	entries := p.entries(n, path, 0)
	out := entries[:0]
	for _, e := range entries {
		if known != nil && !contains(known, e.name) {
			hint := suggest(e.name, known)
			if hint != "" {
				// A misspelt required key is not reported missing as well.
				p.misspelt[join(path, suggestion(e.name, known))] = true
			}
			p.errorf(e.key, e.path, "unknown key %q%s", e.name, hint)
			continue
		}
		p.pos[e.path] = p.at(e.key)
		p.vals[e.path] = p.at(e.val)
		out = append(out, e)
	}
	return out, true
}

// entries lists a mapping's keys, expanding merge keys; depth bounds merge recursion.
// Explicit keys override merged ones; among merged ones the first wins; merged
// entries take the place of their merge key.
func (p *parser) entries(n *yaml.Node, path string, depth int) []entry {
	type mergeItem struct {
		entry
		merged bool
	}
	var items []mergeItem
	explicit := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		kd := deref(k)
		if !p.spend(1, k, path) {
			return nil
		}
		if kd.Kind == yaml.ScalarNode && kd.ShortTag() == "!!merge" {
			if depth >= 10 {
				p.errorf(k, join(path, "<<"), "merge keys nested too deeply")
				continue
			}
			for _, m := range p.mergeSources(v, path) {
				if m == n || p.merging[m] {
					p.errorf(k, join(path, "<<"), "a merge key cannot merge a mapping into itself")
					continue
				}
				p.merging[n] = true
				for _, e := range p.entries(m, path, depth+1) {
					items = append(items, mergeItem{e, true})
				}
				delete(p.merging, n)
			}
			continue
		}
		if kd.Kind != yaml.ScalarNode {
			p.errorf(k, fieldOr(path), "expected a string key, got %s", describe(kd))
			continue
		}
		name := kd.Value
		if prev, dup := explicit[name]; dup {
			p.errorf(k, join(path, name), "duplicate key %q (first defined at line %d)", name, p.at(prev).Line)
			continue
		}
		explicit[name] = k
		items = append(items, mergeItem{entry{name: name, path: join(path, name), key: k, val: v}, false})
	}
	out := make([]entry, 0, len(items))
	emitted := map[string]bool{}
	for _, it := range items {
		if it.merged && (explicit[it.name] != nil || emitted[it.name]) {
			continue
		}
		emitted[it.name] = true
		out = append(out, it.entry)
	}
	return out
}

// mergeSources returns the mappings a merge key's value names.
func (p *parser) mergeSources(v *yaml.Node, path string) []*yaml.Node {
	v = deref(v)
	switch v.Kind {
	case yaml.MappingNode:
		return []*yaml.Node{v}
	case yaml.SequenceNode:
		var out []*yaml.Node
		for _, c := range v.Content {
			if c = deref(c); c.Kind == yaml.MappingNode {
				out = append(out, c)
			} else {
				p.errorf(c, join(path, "<<"), "expected a mapping to merge, got %s", describe(c))
			}
		}
		return out
	}
	p.errorf(v, join(path, "<<"), "expected a mapping to merge, got %s", describe(v))
	return nil
}

func fieldOr(path string) string {
	if path == "" {
		return rootField
	}
	return path
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// require reports every key of required missing from entries, at the mapping n.
func (p *parser) require(n *yaml.Node, path string, entries []entry, required ...string) {
	for _, r := range required {
		if find(entries, r) == nil && !p.misspelt[join(path, r)] {
			p.errorf(deref(n), join(path, r), "required key is missing")
		}
	}
}

func find(entries []entry, name string) *entry {
	for i := range entries {
		if entries[i].name == name {
			return &entries[i]
		}
	}
	return nil
}

// sequence checks that n is a list and returns its items, recording their positions.
func (p *parser) sequence(n *yaml.Node, path string) ([]*yaml.Node, bool) {
	n = deref(n)
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, path, "expected a list, got %s", describe(n))
		return nil, false
	}
	if !p.spend(len(n.Content), n, path) {
		return nil, false
	}
	items := make([]*yaml.Node, len(n.Content))
	for i, c := range n.Content {
		items[i] = deref(c)
		p.pos[index(path, i)] = p.at(c)
	}
	return items, true
}

// str checks that n is a string scalar.
func (p *parser) str(n *yaml.Node, path string) (string, bool) {
	n = deref(n)
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" {
		return n.Value, true
	}
	hint := ""
	if n.Kind == yaml.ScalarNode && n.ShortTag() != "!!null" {
		hint = fmt.Sprintf(`; quote it if you mean the string "%s"`, short(n.Value))
	}
	p.errorf(n, path, "expected a string, got %s%s", describe(n), hint)
	return "", false
}

// boolean checks that n is a boolean scalar.
func (p *parser) boolean(n *yaml.Node, path string) (bool, bool) {
	n = deref(n)
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!bool" {
		var b bool
		if err := n.Decode(&b); err == nil {
			return b, true
		}
	}
	p.errorf(n, path, "expected a boolean (true or false), got %s", describe(n))
	return false, false
}

// integer checks that n is an integer scalar.
func (p *parser) integer(n *yaml.Node, path string) (int, bool) {
	n = deref(n)
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!int" {
		var i int
		if err := n.Decode(&i); err != nil {
			p.errorf(n, path, "integer %s is out of range", short(n.Value))
			return 0, false
		}
		return i, true
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!float" && bigIntRe.MatchString(n.Value) {
		p.errorf(n, path, "integer %s is out of range", short(n.Value))
		return 0, false
	}
	p.errorf(n, path, "expected an integer, got %s", describe(n))
	return 0, false
}

// item is one element of a list of names.
type item struct {
	name string
	node *yaml.Node
	path string
}

// names checks that n is a list of distinct strings and returns them.
func (p *parser) names(n *yaml.Node, path, what string) ([]item, bool) {
	nodes, ok := p.sequence(n, path)
	if !ok {
		return nil, false
	}
	out := make([]item, 0, len(nodes))
	seen := map[string]bool{}
	for i, it := range nodes {
		s, ok := p.str(it, index(path, i))
		if !ok {
			continue
		}
		if seen[s] {
			p.errorf(it, index(path, i), "%s %q is listed twice", what, s)
			continue
		}
		seen[s] = true
		out = append(out, item{s, it, index(path, i)})
	}
	return out, true
}

// strs returns the names of items.
func strs(items []item) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.name
	}
	return out
}

// strField is the string value of key name among fields: ok is false when
// the key is absent, or not a string (which is reported).
func (p *parser) strField(fields []entry, name string) (f *entry, s string, ok bool) {
	if f = find(fields, name); f == nil {
		return nil, "", false
	}
	s, ok = p.str(f.val, f.path)
	return f, s, ok
}
