// Package lock is the resolved set of component versions: one entry per
// component, its canonical JSON, its digest and its composite id. Pure: it
// imports only the standard library.
package lock

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Schema is the lock document's schema version.
const Schema = 1

// MaxCompositeID is the longest composite id; longer ones fall back to "id-" + 12 hex.
const MaxCompositeID = 128

// Entry is one component, resolved.
type Entry struct {
	Name    string `json:"name"`
	Repo    string `json:"repo,omitempty"` // owner/name for repo: components
	Git     string `json:"git,omitempty"`  // remote URL for git: components
	Ref     string `json:"ref"`            // what was resolved: refs/heads/main, refs/tags/v1.2.3, or the pinned SHA
	Version string `json:"version"`        // the tag without prefix, or the branch name for a branch head
	Commit  string `json:"commit"`         // full 40-hex commit SHA
}

// Lock is the resolved set. Components keep config order.
type Lock struct {
	Schema     int       `json:"schema"`
	Product    string    `json:"product"`
	Channel    string    `json:"channel,omitempty"`
	Components []Entry   `json:"components"`
	Created    time.Time `json:"created,omitzero"`
}

var shaRE = regexp.MustCompile(`^[0-9a-f]{40}$`)

// repoRE is a GitHub owner/name: it goes into API paths, so nothing else
// (no more slashes, no "..", no "#" or "?") passes.
var repoRE = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?/[A-Za-z0-9_.-]+$`)

// Validate checks that a lock is well formed; it names the field at fault.
func (l Lock) Validate() error {
	if l.Schema != Schema {
		return fmt.Errorf("lock: schema: got %d, this ladder reads %d", l.Schema, Schema)
	}
	if l.Product == "" {
		return fmt.Errorf("lock: product: must not be empty")
	}
	if len(l.Components) == 0 {
		return fmt.Errorf("lock: components: must not be empty")
	}
	seen := map[string]bool{}
	for i, e := range l.Components {
		where := fmt.Sprintf("lock: components[%d]", i)
		if e.Name == "" {
			return fmt.Errorf("%s.name: must not be empty", where)
		}
		if seen[e.Name] {
			return fmt.Errorf("%s.name: %q appears twice", where, e.Name)
		}
		seen[e.Name] = true
		if (e.Repo == "") == (e.Git == "") {
			return fmt.Errorf("%s (%s): exactly one of repo and git must be set", where, e.Name)
		}
		if _, name, _ := strings.Cut(e.Repo, "/"); e.Repo != "" && (!repoRE.MatchString(e.Repo) || name == "." || name == "..") {
			return fmt.Errorf("%s.repo (%s): %q is not a GitHub owner/name", where, e.Name, e.Repo)
		}
		if e.Ref == "" {
			return fmt.Errorf("%s.ref (%s): must not be empty", where, e.Name)
		}
		if !shaRE.MatchString(e.Commit) {
			return fmt.Errorf("%s.commit (%s): %q is not a full 40-hex lowercase commit SHA", where, e.Name, e.Commit)
		}
	}
	return nil
}

// canonical is what the digest covers: everything but the timestamp and the
// channel (the same set of commits has one digest whichever channel resolved it).
type canonical struct {
	Components []Entry `json:"components"`
	Product    string  `json:"product"`
	Schema     int     `json:"schema"`
}

// Canonical returns the canonical JSON the digest is computed over: keys in
// lexical order, no insignificant whitespace, no HTML escaping.
func (l Lock) Canonical() []byte {
	return sortedJSON(marshal(canonical{Components: l.Components, Product: l.Product, Schema: l.Schema}))
}

// Digest is "sha256:" + hex of the canonical JSON.
func (l Lock) Digest() string {
	sum := sha256.Sum256(l.Canonical())
	return "sha256:" + hex.EncodeToString(sum[:])
}

// CompositeID is the 7-character short SHAs joined by "-" in config order, or
// "id-" + 12 hex digits of the digest when that would exceed 128 characters.
func (l Lock) CompositeID() string {
	parts := make([]string, len(l.Components))
	for i, e := range l.Components {
		parts[i] = Short(e.Commit)
	}
	id := strings.Join(parts, "-")
	if len(id) > MaxCompositeID {
		return "id-" + strings.TrimPrefix(l.Digest(), "sha256:")[:12]
	}
	return id
}

// Short is the 7-character short form of a commit SHA.
func Short(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}

// Versions maps component name to version (or ref, when it has no version).
func (l Lock) Versions() map[string]string {
	m := make(map[string]string, len(l.Components))
	for _, e := range l.Components {
		v := e.Version
		if v == "" {
			v = e.Ref
		}
		m[e.Name] = v
	}
	return m
}

// Entry returns the named component's entry.
func (l Lock) Entry(name string) (Entry, bool) {
	for _, e := range l.Components {
		if e.Name == name {
			return e, true
		}
	}
	return Entry{}, false
}

// JSON is the lock file's content: canonical key order, indented for people.
func (l Lock) JSON() []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(l); err != nil {
		panic(err) // a Lock always encodes
	}
	return buf.Bytes()
}

// Compact is the lock as one line of JSON (the `lock` output).
func (l Lock) Compact() []byte { return marshal(l) }

// Parse reads a lock file and validates it; errors name the field.
func Parse(data []byte) (Lock, error) {
	var l Lock
	if err := noDuplicateKeys(data); err != nil {
		return Lock{}, fmt.Errorf("lock: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		return Lock{}, fmt.Errorf("lock: %w", err)
	}
	if dec.More() {
		return Lock{}, fmt.Errorf("lock: trailing data after the JSON document")
	}
	if err := l.Validate(); err != nil {
		return Lock{}, err
	}
	return l, nil
}

func marshal(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(err)
	}
	return bytes.TrimRight(buf.Bytes(), "\n")
}

// noDuplicateKeys refuses a JSON document with a key twice in one object:
// encoding/json keeps the last, so what a reviewer reads in a lock (the
// first) would not be what is published. The error names the key and where
// it is. (Syntax errors are left to the decoder.)
func noDuplicateKeys(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	type frame struct {
		object bool
		keys   map[string]bool
		path   string
		index  int
		key    bool // the next token of an object is a key
	}
	var stack []*frame
	where := func() string {
		if len(stack) == 0 {
			return "the document"
		}
		return stack[len(stack)-1].path
	}
	// child is the path of the value about to start in the current container.
	var pending string
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil // end of input, or a syntax error the decoder reports
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.object && top.key {
			if k, ok := tok.(string); ok {
				if top.keys[k] {
					return fmt.Errorf("%s: key %q appears twice", where(), k)
				}
				top.keys[k] = true
				top.key = false
				pending = top.path + "." + k
				continue
			}
		}
		if top != nil && !top.object {
			pending = fmt.Sprintf("%s[%d]", top.path, top.index)
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			path := pending
			if top == nil {
				path = "lock"
			}
			stack = append(stack, &frame{object: tok == json.Delim('{'), keys: map[string]bool{}, path: path, key: true})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		// a value (or a closed container) ended: the parent moves on
		if len(stack) > 0 {
			p := stack[len(stack)-1]
			if p.object {
				p.key = true
			} else {
				p.index++
			}
		}
	}
}
