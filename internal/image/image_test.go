package image

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"encoding/pem"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/ladder-release/ladder/internal/testutil/registry"
)

// maxImageBytes is SPEC section 9's bound: image under 25 MB.
const maxImageBytes = 25 << 20

const (
	versionVar = "github.com/ladder-release/ladder/internal/app.Version"
	caCerts    = "/etc/ssl/certs/ca-certificates.crt"
)

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root: %v", err)
	}
	return root
}

func readDockerfile(t *testing.T) *Dockerfile {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := ParseDockerfile(data)
	if err != nil {
		t.Fatalf("Dockerfile: %v", err)
	}
	return d
}

// linuxBuild runs `go build args` (which write bin) for linux/amd64 at the
// repository root, with env added, and returns the binary.
func linuxBuild(t *testing.T, env []string, bin string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("go", append([]string{"build"}, args...)...)
	cmd.Dir = repoRoot(t)
	cmd.Env = append(append(os.Environ(), "GOOS=linux", "GOARCH=amd64"), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", cmd, err, out)
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// goBuild finds the build stage's `go build` RUN and splits it into the
// environment assignments before `go` and the arguments after `go build`.
func goBuild(t *testing.T, d *Dockerfile) (in Instruction, env, args []string) {
	t.Helper()
	for _, s := range d.Stages[:len(d.Stages)-1] {
		for _, run := range s.Find("RUN") {
			words, err := shellWords(run.Args)
			if err != nil {
				t.Fatalf("Dockerfile:%d: %v", run.Line, err)
			}
			i := 0
			for i < len(words) && regexp.MustCompile(`^[A-Z_][A-Z0-9_]*=`).MatchString(words[i]) {
				i++
			}
			if i+1 < len(words) && words[i] == "go" && words[i+1] == "build" {
				return run, words[:i], words[i+2:]
			}
		}
	}
	t.Fatal("Dockerfile: no RUN ... go build in a build stage")
	return
}

// shellWords splits a simple shell command line: blanks separate words,
// single and double quotes group (no expansion is done but ${VAR} is kept).
func shellWords(s string) ([]string, error) {
	var (
		words []string
		cur   strings.Builder
		in    bool
		quote rune
	)
	for _, c := range s {
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else {
				cur.WriteRune(c)
			}
		case c == '"' || c == '\'':
			quote, in = c, true
		case c == ' ' || c == '\t':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		case strings.ContainsRune(";&|<>`", c):
			return nil, fmt.Errorf("shell operator %q: the build RUN must be one plain command", c)
		default:
			cur.WriteRune(c)
			in = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated %c quote", quote)
	}
	if in {
		words = append(words, cur.String())
	}
	return words, nil
}

// TestDockerfile checks the Dockerfile's shape: a build stage and a final
// stage from scratch (or distroless static) holding only the static binary
// and CA certificates, with an exec-form entrypoint and nothing that needs a
// shell.
func TestDockerfile(t *testing.T) {
	t.Parallel()
	d := readDockerfile(t)
	if len(d.Stages) != 2 {
		t.Fatalf("%d FROM instructions, want 2 (a build stage and the final stage)", len(d.Stages))
	}
	build, final := d.Stages[0], d.Final()
	if build.Name == "" {
		t.Errorf("Dockerfile:%d: the build stage has no AS name to copy from", build.From.Line)
	}
	if final.Base != "scratch" && !strings.HasPrefix(final.Base, "gcr.io/distroless/static") {
		t.Errorf("Dockerfile:%d: final stage FROM %s, want scratch or gcr.io/distroless/static", final.From.Line, final.Base)
	}
	for _, cmd := range []string{"RUN", "SHELL", "CMD"} {
		for _, in := range final.Find(cmd) {
			t.Errorf("Dockerfile:%d: %s in the final stage (it has no shell; nothing may need one)", in.Line, cmd)
		}
	}
	eps := final.Find("ENTRYPOINT")
	if len(eps) != 1 {
		t.Fatalf("final stage has %d ENTRYPOINT instructions, want 1", len(eps))
	}
	if args, ok := eps[0].ExecForm(); !ok || !slices.Equal(args, []string{"/ladder"}) {
		t.Errorf(`Dockerfile:%d: ENTRYPOINT %s, want the exec form ["/ladder"]`, eps[0].Line, eps[0].Args)
	}
	// The final stage copies exactly what TestImage assembles.
	var copies []string
	for _, c := range final.Find("COPY") {
		copies = append(copies, c.Args)
	}
	want := []string{
		"--from=" + build.Name + " " + caCerts + " " + caCerts,
		"--from=" + build.Name + " /out/ladder /ladder",
		"--from=" + build.Name + " /out/ladder-sign /ladder-sign",
	}
	if !slices.Equal(copies, want) {
		t.Errorf("final stage COPY:\n  %s\nwant:\n  %s", strings.Join(copies, "\n  "), strings.Join(want, "\n  "))
	}
	if n := len(final.Instructions); n != len(want)+1 {
		t.Errorf("final stage has %d instructions, want only the COPYs and the ENTRYPOINT", n)
	}

	run, env, args := goBuild(t, d)
	if !slices.Contains(env, "CGO_ENABLED=0") {
		t.Errorf("Dockerfile:%d: go build without CGO_ENABLED=0 (env %v): the binary must be static", run.Line, env)
	}
	if !slices.Contains(args, "-trimpath") {
		t.Errorf("Dockerfile:%d: go build without -trimpath: %v", run.Line, args)
	}
	if want := "-ldflags=-s -w -X " + versionVar + "=${VERSION}"; !slices.Contains(args, want) {
		t.Errorf("Dockerfile:%d: go build args %q lack %q", run.Line, args, want)
	}
	if i := slices.Index(args, "-o"); i < 0 || i+1 >= len(args) || args[i+1] != "/out/ladder" || args[len(args)-1] != "./cmd/ladder" {
		t.Errorf("Dockerfile:%d: want go build ... -o /out/ladder ./cmd/ladder, got %q", run.Line, args)
	}
}

func TestParseDockerfile(t *testing.T) {
	t.Parallel()
	d, err := ParseDockerfile([]byte(`ARG GO=1.26
# a comment
FROM --platform=$BUILDPLATFORM golang:${GO} AS build
RUN a \
    # a comment inside
    b
from scratch
ENTRYPOINT /bin/sh -c x
`))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Args) != 1 || len(d.Stages) != 2 {
		t.Fatalf("args %v stages %d", d.Args, len(d.Stages))
	}
	if s := d.Stages[0]; s.Base != "golang:${GO}" || s.Name != "build" || len(s.Instructions) != 1 || s.Instructions[0].Args != "a      b" || s.Instructions[0].Line != 4 {
		t.Errorf("stage 0: %+v", s)
	}
	if ep := d.Final().Find("ENTRYPOINT"); len(ep) != 1 {
		t.Errorf("final: %+v", d.Final())
	} else if _, ok := ep[0].ExecForm(); ok {
		t.Error("a shell-form ENTRYPOINT read as exec form")
	}
	for _, bad := range []string{"", "RUN x\nFROM scratch\n", "FROM\n", "FROM scratch\nRUN a \\\n"} {
		if _, err := ParseDockerfile([]byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// TestImage builds the ladder binary as the Dockerfile's build stage does,
// assembles the final stage's layers with go-containerregistry, pushes the
// image to an in-process registry, pulls it back and checks it: its size,
// its entrypoint, its files, and that the binary it holds is static and runs.
// No container runs: the binary is executed directly on the host.
func TestImage(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("-short: building the ladder binary")
	}
	certs := caBundleStandIn()
	d := readDockerfile(t)
	_, env, args := goBuild(t, d)
	bin := filepath.Join(t.TempDir(), "ladder")
	for i := range args {
		args[i] = strings.ReplaceAll(args[i], "${VERSION}", "test")
		if i > 0 && args[i-1] == "-o" {
			args[i] = bin
		}
	}
	binary := linuxBuild(t, env, bin, args...)
	// the signer, built as the Dockerfile's second go build does
	signBin := filepath.Join(t.TempDir(), "ladder-sign")
	signer := linuxBuild(t, env, signBin, "-trimpath", "-ldflags=-s -w", "-o", signBin, "./cmd/ladder-sign")

	certLayer, err := Layer(File{Path: caCerts, Data: certs, Mode: 0o644})
	if err != nil {
		t.Fatal(err)
	}
	binLayer, err := Layer(File{Path: "/ladder", Data: binary, Mode: 0o755})
	if err != nil {
		t.Fatal(err)
	}
	signLayer, err := Layer(File{Path: "/ladder-sign", Data: signer, Mode: 0o755})
	if err != nil {
		t.Fatal(err)
	}
	img, err := Assemble(v1.Platform{OS: "linux", Architecture: "amd64"}, []string{"/ladder"}, certLayer, binLayer, signLayer)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.ParseReference(registry.InProcess(t)+"/ladder:test", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatalf("pushing %s: %v", ref, err)
	}
	pulled, err := remote.Image(ref)
	if err != nil {
		t.Fatalf("pulling %s: %v", ref, err)
	}
	pushedDigest, _ := img.Digest()
	if got, _ := pulled.Digest(); got != pushedDigest {
		t.Errorf("pulled %s, pushed %s", got, pushedDigest)
	}

	size, err := Size(pulled)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := pulled.Manifest()
	t.Logf("image: %d bytes (%.2f MB) compressed: config %d, layers %d + %d + %d, manifest; binaries %d + %d bytes uncompressed",
		size, float64(size)/(1<<20), m.Config.Size, m.Layers[0].Size, m.Layers[1].Size, m.Layers[2].Size, len(binary), len(signer))
	if size >= maxImageBytes {
		t.Errorf("image is %d bytes, SPEC section 9 wants under %d (25 MB)", size, maxImageBytes)
	}

	cf, err := pulled.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cf.Config.Entrypoint, []string{"/ladder"}) || len(cf.Config.Cmd) != 0 || len(cf.Config.Shell) != 0 {
		t.Errorf("config: entrypoint %q cmd %q shell %q; want exec-form [/ladder], no cmd, no shell", cf.Config.Entrypoint, cf.Config.Cmd, cf.Config.Shell)
	}
	if cf.OS != "linux" || cf.Architecture != "amd64" {
		t.Errorf("platform %s/%s, want linux/amd64", cf.OS, cf.Architecture)
	}

	files, err := Files(pulled)
	if err != nil {
		t.Fatal(err)
	}
	var listing []string
	for _, f := range files {
		listing = append(listing, fmt.Sprintf("%s %c %o", f.Path, f.Type, f.Mode))
	}
	wantFiles := []string{"/etc 5 755", "/etc/ssl 5 755", "/etc/ssl/certs 5 755", caCerts + " 0 644", "/ladder 0 755", "/ladder-sign 0 755"}
	if !slices.Equal(listing, wantFiles) {
		t.Errorf("the image holds:\n  %s\nwant only:\n  %s", strings.Join(listing, "\n  "), strings.Join(wantFiles, "\n  "))
	}

	got, mode, err := ReadFile(pulled, "/ladder")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, binary) || mode != 0o755 {
		t.Fatalf("/ladder in the pulled image: %d bytes mode %o, want the %d bytes built, mode 755", len(got), mode, len(binary))
	}
	checkStatic(t, got)

	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skipf("cannot run a linux/amd64 binary on %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	exe := filepath.Join(t.TempDir(), "ladder")
	if err := os.WriteFile(exe, got, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(exe, "version").CombinedOutput()
	if err != nil || string(out) != "ladder test\n" {
		t.Errorf("/ladder version: %v, printed %q; want \"ladder test\\n\"", err, out)
	}
}

// caBundleSize bounds Debian's CA bundle from above: bookworm's
// ca-certificates 20230311 writes 219,597 bytes (144 certificates).
const caBundleSize = 256 << 10

// caBundleStandIn stands in for the CA bundle of the final stage. The
// Dockerfile copies it from the build stage (COPY --from=build, checked by
// TestDockerfile), that is from the golang:*-bookworm image's Debian
// ca-certificates package, never from the machine that builds: so this
// machine's /etc/ssl/certs is not read, and TestImage runs without it. The
// test checks where the file goes, its mode and what it weighs, not its
// certificates: the stand-in is PEM "CERTIFICATE" blocks of deterministic
// pseudo-random bytes, caBundleSize in all, which compress worse than real
// certificates, so the image size bound is checked against more than the
// real image holds.
func caBundleStandIn() []byte {
	rng := rand.NewChaCha8([32]byte{'l', 'a', 'd', 'd', 'e', 'r'})
	der := make([]byte, 1200) // about one certificate
	var buf bytes.Buffer
	for buf.Len() < caBundleSize {
		rng.Read(der)
		if err := pem.Encode(&buf, &pem.Block{Type: "CERTIFICATE", Bytes: der}); err != nil {
			panic(err) // a bytes.Buffer does not fail
		}
	}
	return buf.Bytes()
}

// checkStatic refuses a binary that needs a dynamic loader: no PT_INTERP,
// no dynamic section (a scratch image has no libc to load).
func checkStatic(t *testing.T, binary []byte) {
	t.Helper()
	f, err := elf.NewFile(bytes.NewReader(binary))
	if err != nil {
		t.Fatalf("/ladder is not an ELF file: %v", err)
	}
	defer f.Close()
	if f.Machine != elf.EM_X86_64 || f.Class != elf.ELFCLASS64 {
		t.Errorf("/ladder is %s %s, want EM_X86_64 ELFCLASS64", f.Machine, f.Class)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("/ladder has a %s program header: it is not static", p.Type)
		}
	}
	for _, s := range []string{".interp", ".dynamic"} {
		if f.Section(s) != nil {
			t.Errorf("/ladder has a %s section: it is not static", s)
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("/ladder imports %v", libs)
	}
}

// TestLayerIsDeterministic: the same files give the same layer digest, so a
// rebuild with nothing changed pushes nothing new.
func TestLayerIsDeterministic(t *testing.T) {
	t.Parallel()
	digest := func(files ...File) v1.Hash {
		l, err := Layer(files...)
		if err != nil {
			t.Fatal(err)
		}
		h, err := l.Digest()
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	a := File{Path: "/a/b", Data: []byte("x"), Mode: 0o644}
	c := File{Path: "/c", Data: []byte("y"), Mode: 0o755}
	if digest(a, c) != digest(c, a) {
		t.Error("file order changed the layer digest")
	}
	if _, err := Layer(File{Path: "rel"}); err == nil {
		t.Error("a relative path was accepted")
	}
	l, _ := Layer(a)
	rc, _ := l.Uncompressed()
	defer rc.Close()
	tr := tar.NewReader(rc)
	var names []string
	for h, err := tr.Next(); err == nil; h, err = tr.Next() {
		names = append(names, h.Name)
		if h.Uid != 0 || h.Gid != 0 || !h.ModTime.IsZero() && h.ModTime.Unix() != 0 {
			t.Errorf("%s: uid %d gid %d mtime %s", h.Name, h.Uid, h.Gid, h.ModTime)
		}
	}
	if strings.Join(names, ",") != "a/,a/b" {
		t.Errorf("layer entries %v, want the parent directory then the file", names)
	}
}
