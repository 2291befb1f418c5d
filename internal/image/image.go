// Package image describes ladder's container image without Docker: it reads
// the Dockerfile's stages, and assembles the final stage's filesystem (one
// layer per COPY) with go-containerregistry, so a test can push, pull, weigh
// and inspect what `docker build` ships without running a container.
package image

import (
	"archive/tar"
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Instruction is one Dockerfile instruction, its continuation lines joined.
type Instruction struct {
	Line int    // 1-based line where it starts
	Cmd  string // upper case: FROM, RUN, COPY, ENTRYPOINT, ...
	Args string // the rest, continuation backslashes and newlines removed
}

// ExecForm returns the arguments of an exec-form instruction
// (ENTRYPOINT ["/ladder"]); ok is false for the shell form.
func (in Instruction) ExecForm() (args []string, ok bool) {
	s := strings.TrimSpace(in.Args)
	if !strings.HasPrefix(s, "[") {
		return nil, false
	}
	if err := json.Unmarshal([]byte(s), &args); err != nil {
		return nil, false
	}
	return args, true
}

// Stage is one build stage: its FROM and the instructions after it.
type Stage struct {
	From         Instruction
	Base         string // the image it starts from (scratch, golang:1.26, ...)
	Name         string // the AS name; "" when none
	Instructions []Instruction
}

// Find returns the stage's instructions of one kind (upper case).
func (s Stage) Find(cmd string) []Instruction {
	var out []Instruction
	for _, in := range s.Instructions {
		if in.Cmd == cmd {
			out = append(out, in)
		}
	}
	return out
}

// Dockerfile is a parsed Dockerfile.
type Dockerfile struct {
	Args   []Instruction // ARG instructions before the first FROM
	Stages []Stage
}

// Final is the stage the image is built from: the last one.
func (d *Dockerfile) Final() Stage { return d.Stages[len(d.Stages)-1] }

// ParseDockerfile reads the instructions of a Dockerfile: comments and blank
// lines dropped, lines ending in a backslash joined with the next, grouped
// into stages by FROM. Parser directives and heredocs are not supported
// (ladder's Dockerfile uses neither).
func ParseDockerfile(data []byte) (*Dockerfile, error) {
	var (
		d       Dockerfile
		pending strings.Builder
		start   int
	)
	add := func() error {
		text := strings.TrimSpace(pending.String())
		pending.Reset()
		if text == "" {
			return nil
		}
		cmd, args, _ := strings.Cut(text, " ")
		in := Instruction{Line: start, Cmd: strings.ToUpper(cmd), Args: strings.TrimSpace(args)}
		if in.Cmd == "FROM" {
			f := strings.Fields(in.Args)
			var base, name string
			for i := 0; i < len(f); i++ {
				switch {
				case strings.HasPrefix(f[i], "--"): // --platform=...
				case base == "":
					base = f[i]
				case strings.EqualFold(f[i], "AS") && i+1 < len(f):
					name = f[i+1]
					i++
				}
			}
			if base == "" {
				return fmt.Errorf("line %d: FROM without an image", in.Line)
			}
			d.Stages = append(d.Stages, Stage{From: in, Base: base, Name: name})
			return nil
		}
		if len(d.Stages) == 0 {
			if in.Cmd != "ARG" {
				return fmt.Errorf("line %d: %s before the first FROM (only ARG may come first)", in.Line, in.Cmd)
			}
			d.Args = append(d.Args, in)
			return nil
		}
		s := &d.Stages[len(d.Stages)-1]
		s.Instructions = append(s.Instructions, in)
		return nil
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), " \t\r")
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") || (trimmed == "" && pending.Len() == 0) {
			continue // a comment, even inside a continued instruction
		}
		if pending.Len() == 0 {
			start = n
		}
		if cont, ok := strings.CutSuffix(line, `\`); ok {
			pending.WriteString(cont)
			pending.WriteByte(' ')
			continue
		}
		pending.WriteString(line)
		if err := add(); err != nil {
			return nil, err
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if pending.Len() > 0 {
		return nil, fmt.Errorf("line %d: the last instruction ends with a continuation backslash", start)
	}
	if err := add(); err != nil {
		return nil, err
	}
	if len(d.Stages) == 0 {
		return nil, errors.New("no FROM: a Dockerfile needs at least one stage")
	}
	return &d, nil
}

// File is one regular file of a layer.
type File struct {
	Path string // absolute, slash-separated: /etc/ssl/certs/ca-certificates.crt
	Data []byte
	Mode int64 // permission bits: 0o644, 0o755
}

// Layer builds a gzip-compressed OCI layer holding files and their parent
// directories, as a COPY does: owned by root, timestamps zero, sorted, so
// the same files always give the same digest.
func Layer(files ...File) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dirs := map[string]bool{}
	var names []string
	for _, f := range files {
		if !path.IsAbs(f.Path) || path.Clean(f.Path) != f.Path || f.Path == "/" {
			return nil, fmt.Errorf("layer file %q: want a clean absolute path", f.Path)
		}
		for d := path.Dir(f.Path); d != "/"; d = path.Dir(d) {
			dirs[d] = true
		}
	}
	for d := range dirs {
		names = append(names, d)
	}
	sort.Strings(names)
	for _, d := range names {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: strings.TrimPrefix(d, "/") + "/", Mode: 0o755, Format: tar.FormatPAX}); err != nil {
			return nil, err
		}
	}
	sorted := append([]File(nil), files...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Path < sorted[j].Path })
	for _, f := range sorted {
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: strings.TrimPrefix(f.Path, "/"), Mode: f.Mode, Size: int64(len(f.Data)), Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.Data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}, tarball.WithMediaType(types.OCILayer), tarball.WithCompressedCaching)
}

// Assemble builds an OCI image from scratch: the layers in order, the
// platform, and an exec-form entrypoint with no Cmd (nothing runs a shell).
func Assemble(platform v1.Platform, entrypoint []string, layers ...v1.Layer) (v1.Image, error) {
	if len(entrypoint) == 0 {
		return nil, errors.New("assemble: an entrypoint is needed")
	}
	base := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err := mutate.AppendLayers(base, layers...)
	if err != nil {
		return nil, fmt.Errorf("assemble: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("assemble: %w", err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant, cf.OSVersion = platform.OS, platform.Architecture, platform.Variant, platform.OSVersion
	cf.Config.Entrypoint = append([]string(nil), entrypoint...)
	cf.Config.Cmd = nil
	cf.Config.Shell = nil
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, fmt.Errorf("assemble: %w", err)
	}
	return img, nil
}

// Size is what a pull downloads: every compressed layer, the config blob
// and the manifest, in bytes.
func Size(img v1.Image) (int64, error) {
	m, err := img.Manifest()
	if err != nil {
		return 0, err
	}
	raw, err := img.RawManifest()
	if err != nil {
		return 0, err
	}
	total := m.Config.Size + int64(len(raw))
	for _, l := range m.Layers {
		total += l.Size
	}
	return total, nil
}

// Entry is one entry of an image's flattened filesystem.
type Entry struct {
	Path string // absolute: /ladder
	Type byte   // tar type flag
	Mode int64
	Size int64
}

// Files lists the image's flattened filesystem (the last layer wins, as in a
// container), sorted by path.
func Files(img v1.Image) ([]Entry, error) {
	var out []Entry
	err := walk(img, func(h *tar.Header, _ io.Reader) (bool, error) {
		out = append(out, Entry{Path: "/" + strings.TrimSuffix(path.Clean(h.Name), "/"), Type: h.Typeflag, Mode: h.Mode, Size: h.Size})
		return false, nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, err
}

// ReadFile returns the content and permission bits of the regular file at
// name (absolute) in the image's flattened filesystem.
func ReadFile(img v1.Image, name string) (data []byte, mode int64, err error) {
	want := path.Clean(strings.TrimPrefix(name, "/"))
	found := false
	err = walk(img, func(h *tar.Header, r io.Reader) (bool, error) {
		if path.Clean(h.Name) != want || h.Typeflag != tar.TypeReg {
			return false, nil
		}
		data, err = io.ReadAll(r)
		mode, found = h.Mode, true
		return true, err
	})
	if err == nil && !found {
		err = fmt.Errorf("%s: not a regular file in the image", name)
	}
	return data, mode, err
}

func walk(img v1.Image, fn func(*tar.Header, io.Reader) (stop bool, err error)) error {
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading the image's filesystem: %w", err)
		}
		stop, err := fn(h, tr)
		if err != nil || stop {
			return err
		}
	}
}
