// Package workspace reads files out of a workflow's workspace without ever
// leaving it (SPEC section 7, Confinement): a link out of the workspace is
// refused, naming it.
package workspace

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// File is one file read: its path relative to the workspace
// (slash-separated, clean) and its contents.
type File struct {
	Path string
	Data []byte
}

// Read expands the globs patterns (relative to dir, the workspace) and reads
// every match. A pattern that matches nothing is an error: a bundle missing
// a file it was asked to carry is worse than no bundle. Nothing outside the
// workspace is read, whatever links it holds: a match whose path resolves
// outside it (a link to /proc/self/environ, or a glob through a linked
// directory) is refused, naming the link, and the files are read through an
// os.Root of the workspace, which refuses to follow a link out even if one
// appears after the check.
func Read(dir string, patterns []string) ([]File, error) {
	if len(patterns) == 0 {
		return nil, nil
	}
	base, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("the workspace: %w", err)
	}
	realBase, err := filepath.EvalSymlinks(base)
	if err != nil {
		return nil, fmt.Errorf("the workspace: %w", err)
	}
	root, err := os.OpenRoot(realBase)
	if err != nil {
		return nil, fmt.Errorf("the workspace: %w", err)
	}
	defer root.Close()
	seen := map[string]bool{}
	var out []File
	for _, p := range patterns {
		matches, err := filepath.Glob(filepath.Join(base, p))
		if err != nil {
			return nil, fmt.Errorf("pattern %q: %w", p, err)
		}
		found := 0
		for _, m := range matches {
			rel, err := filepath.Rel(base, m)
			if err != nil || !filepath.IsLocal(rel) {
				return nil, fmt.Errorf("%s (matched by %q) is outside the workspace", m, p)
			}
			resolved, err := filepath.EvalSymlinks(m)
			if errors.Is(err, os.ErrNotExist) {
				continue // a dangling link: not a file
			}
			if err != nil {
				return nil, fmt.Errorf("%w", err)
			}
			inside, err := filepath.Rel(realBase, resolved)
			if err != nil || !filepath.IsLocal(inside) {
				return nil, outsideError(p, base, realBase, rel, resolved)
			}
			title := path.Clean(filepath.ToSlash(rel))
			if seen[title] { // matched by an earlier pattern too
				found++
				continue
			}
			data, ok, err := readRegular(root, inside)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", title, err)
			}
			if !ok {
				continue // a directory, a device...
			}
			found++
			seen[title] = true
			out = append(out, File{Path: title, Data: data})
		}
		if found == 0 {
			return nil, fmt.Errorf("pattern %q matched no file under %s", p, base)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// linkOut finds, on the way from base to base/rel, the first symbolic link
// that resolves outside the workspace (realBase: base with its own links
// resolved). It returns that link (relative to base, slash-separated), what
// it says (its target as written) and where it leads; ok is false when no
// link on the way leaves the workspace.
func linkOut(base, realBase, rel string) (link, target, resolved string, ok bool) {
	cur := base
	for _, part := range strings.Split(rel, string(filepath.Separator)) {
		cur = filepath.Join(cur, part)
		fi, err := os.Lstat(cur)
		if err != nil {
			return "", "", "", false
		}
		if fi.Mode()&os.ModeSymlink == 0 {
			continue
		}
		to, err := filepath.EvalSymlinks(cur)
		if err != nil || within(realBase, to) {
			continue
		}
		target, _ = os.Readlink(cur)
		l, _ := filepath.Rel(base, cur)
		return filepath.ToSlash(l), target, to, true
	}
	return "", "", "", false
}

// within: p (absolute, links resolved) is dir or under it.
func within(dir, p string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && filepath.IsLocal(rel)
}

// outsideError names what takes rel, a match of pattern (relative to the
// workspace, resolving to resolved), out of it: the link on its way, or else
// the path it resolves to.
func outsideError(pattern, base, realBase, rel, resolved string) error {
	link, target, to, ok := linkOut(base, realBase, rel)
	if !ok {
		return fmt.Errorf("%s (matched by %q) resolves to %s, outside the workspace", filepath.ToSlash(rel), pattern, resolved)
	}
	where := target
	if to != target {
		where = fmt.Sprintf("%s (%s)", target, to)
	}
	matched := ""
	if link != filepath.ToSlash(rel) {
		matched = fmt.Sprintf(" (pattern %q matched %s through it)", pattern, filepath.ToSlash(rel))
	}
	return fmt.Errorf("%s is a symbolic link to %s, outside the workspace%s", link, where, matched)
}

// readRegular reads name (relative to root, links already resolved) when it
// is a regular file; ok is false for anything else (a directory, a device).
// root refuses a path that leaves it, links included.
func readRegular(root *os.Root, name string) (data []byte, ok bool, err error) {
	// Stat before opening: opening a named pipe would wait for a writer.
	if st, err := root.Stat(name); err != nil || !st.Mode().IsRegular() {
		return nil, false, err
	}
	f, err := root.Open(name)
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, false, err
	}
	if !st.Mode().IsRegular() {
		return nil, false, nil
	}
	data, err = io.ReadAll(f)
	if err != nil {
		return nil, false, err
	}
	return data, true, nil
}
