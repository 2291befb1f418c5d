package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ladder-release/ladder/internal/ghsim"

	ggcr "github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/ladder-release/ladder/internal/testutil/registry"
)

// snapshot is what build-bundle may change: the ledger file's bytes and
// every tag of the product's repository with its digest.
func (w *world) snapshot(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	data, err := os.ReadFile(filepath.Join(w.ws, "ledger.json"))
	switch {
	case errors.Is(err, os.ErrNotExist):
		b.WriteString("no ledger\n")
	case err != nil:
		t.Fatal(err)
	default:
		b.Write(data)
	}
	tags, _ := w.oci(t).Tags(context.Background(), w.repo())
	sort.Strings(tags)
	for _, tag := range tags {
		fmt.Fprintf(&b, "%s=%s\n", tag, w.tagDigest(t, tag))
	}
	return b.String()
}

// SPEC section 4: the tags input may not take a name that is ladder's. Each
// kind is refused, naming the input, the tag and why, and nothing changes:
// not the ledger, not one tag of the registry.
func TestBuildRefusesLaddersOwnTags(t *testing.T) {
	w := newS1World(t, "file:ledger.json")
	first := buildOK(t, w, map[string]string{"channel": "dev"})
	var firstTags []string
	if err := json.Unmarshal([]byte(first.outputs["tags"]), &firstTags); err != nil {
		t.Fatal(err)
	}
	w.gh.Commit("rancher/elemental-cli", "main", "cli: a new lock")
	resolveOK(t, w, map[string]string{"channel": "dev"})
	for _, c := range []struct{ name, tags, want string }{
		{"the next version", "0.0.3", `input tags: "0.0.3" parses as a version`},
		{"a version in its tag form", "1.2.3_build.1", `input tags: "1.2.3_build.1" parses as a version`},
		{"a version with a leading v", "v0.0.3", `input tags: "v0.0.3" parses as a version`},
		{"the channel's own version", firstTags[0], fmt.Sprintf("input tags: %q parses as a version", firstTags[0])},
		{"another channel", "staging", `input tags: "staging" is channel staging's tag; ladder moves it when build-bundle publishes into staging`},
		{"a label", "testing", `input tags: "testing" is label testing's tag; ladder moves it through promote-label`},
		{"a label's previous", "current-previous", `input tags: "current-previous" is label current's previous bundle`},
		{"a channel's end of life", "stable-eol", `input tags: "stable-eol" is where ladder keeps channel stable's final bundle`},
		{"a label's end of life", "testing-eol", `input tags: "testing-eol" is where ladder keeps label testing's final bundle`},
		{"a commit tag", "sha-abcdef1", `input tags: "sha-abcdef1" is a commit tag`},
		{"a composite id", "b366a24-c116a45-a123c56", `input tags: "b366a24-c116a45-a123c56" has the form of a composite id`},
		{"a long lock's id", "id-0123456789ab", `input tags: "id-0123456789ab" has the form of a composite id`},
		{"the catalog", "catalog", `input tags: "catalog" is the OLM catalog image's tag`},
		{"each bad tag named", "latest-build\ntesting\n0.0.3", `input tags: "testing" is label testing's tag; ladder moves it through promote-label` + "%0A" + `input tags: "0.0.3" parses as a version`},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := w.snapshot(t)
			res := w.runAction(t, "build-bundle", map[string]string{"channel": "dev", "tags": c.tags}, nil)
			if res.code == 0 || !strings.Contains(res.stdout, c.want) {
				t.Fatalf("exit %d, want an error containing %q:\n%s", res.code, c.want, res.stdout)
			}
			if len(res.outputs) != 0 {
				t.Errorf("outputs set: %v", res.outputs)
			}
			if after := w.snapshot(t); after != before {
				t.Errorf("the ledger or the registry changed:\nbefore:\n%s\nafter:\n%s", before, after)
			}
		})
	}
	t.Run("ordinary tags (control)", func(t *testing.T) {
		res := buildOK(t, w, map[string]string{"channel": "dev", "tags": "latest-build\nnightly-2024"})
		for _, tag := range []string{"latest-build", "nightly-2024"} {
			if d := w.tagDigest(t, tag); d != res.outputs["digest"] {
				t.Errorf("tag %s: %q, want %s", tag, d, res.outputs["digest"])
			}
		}
	})
}

// confinedWorkspace adds to w's workspace what a repository can commit: a
// file link and a directory link out of the workspace, a link to
// /proc/self/environ, links that stay inside (relative and absolute), and a
// file named "..notes". It returns the outside directory.
func confinedWorkspace(t *testing.T, w *world) string {
	t.Helper()
	outside := t.TempDir()
	link := func(target, name string) {
		t.Helper()
		if err := os.Symlink(target, filepath.Join(w.ws, name)); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, outside, "secret.txt", "OUTSIDE-SECRET")
	writeFile(t, outside, "etc/passwd", "OUTSIDE-SECRET")
	writeFile(t, w.ws, "dist/readme.md", "# readme")
	writeFile(t, w.ws, "..notes", "dot-dot notes")
	link(filepath.Join(outside, "secret.txt"), "notes.txt")
	link(filepath.Join(outside, "etc"), "docs")
	link("/proc/self/environ", "env.txt")
	link("dist/readme.md", "readme-link.md")
	link(filepath.Join(w.ws, "dist", "readme.md"), "readme-abs.md")
	link("dist", "dist-link")
	link("dist-link", "chain") // a link to a link, inside
	link("docs", "docs-chain") // a link to a link out
	rel, err := filepath.Rel(w.ws, filepath.Join(outside, "secret.txt"))
	if err != nil {
		t.Fatal(err)
	}
	link(rel, "relative-out.txt")
	return outside
}

// SPEC section 7, Confinement: nothing outside the workspace reaches a
// bundle, whatever links the repository holds. A match whose path leaves the
// workspace through a link is refused, naming the link, and nothing is
// written; links that stay inside, and a file named "..notes", are read.
func TestBuildFilesStayInTheWorkspace(t *testing.T) {
	w := newS1World(t, "file:ledger.json")
	outside := confinedWorkspace(t, w)
	real := func(p string) string {
		r, err := filepath.EvalSymlinks(p)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	for _, c := range []struct {
		name, files, want string
	}{
		{"a file link out", "notes.txt", "input files: notes.txt is a symbolic link to " + filepath.Join(outside, "secret.txt") + ", outside the workspace"},
		{"a link to /proc/self/environ", "env.txt", "input files: env.txt is a symbolic link to /proc/self/environ (/proc/"},
		{"a directory link out", "docs/*", "input files: docs is a symbolic link to " + filepath.Join(outside, "etc") + `, outside the workspace (pattern "docs/*" matched docs/passwd through it)`},
		{"a glob over the workspace", "*.txt", "input files: env.txt is a symbolic link to /proc/self/environ"},
		{"a relative link out", "relative-out.txt", "input files: relative-out.txt is a symbolic link to ../"},
		{"a link to a link out", "docs-chain/passwd", "input files: docs-chain is a symbolic link to docs (" + real(filepath.Join(outside, "etc")) + "), outside the workspace"},
		{"a path that climbs out", "../*/secret.txt", "is outside the workspace"},
		{"an allowed file, then a link out", "dist/readme.md\nnotes.txt", "input files: notes.txt is a symbolic link"},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := w.snapshot(t)
			res := w.runAction(t, "build-bundle", map[string]string{"channel": "dev", "files": c.files}, nil)
			if res.code == 0 || !strings.Contains(res.stdout, c.want) {
				t.Fatalf("exit %d, want an error containing %q:\n%s", res.code, c.want, res.stdout)
			}
			if strings.Contains(res.stdout, "OUTSIDE-SECRET") {
				t.Errorf("the error shows the outside file's content:\n%s", res.stdout)
			}
			if after := w.snapshot(t); after != before {
				t.Errorf("the ledger or the registry changed:\nbefore:\n%s\nafter:\n%s", before, after)
			}
		})
	}
	t.Run("links inside the workspace and ..notes", func(t *testing.T) {
		res := buildOK(t, w, map[string]string{"channel": "dev", "files": "readme-link.md\nreadme-abs.md\ndist-link/*\nchain/*\n..notes"})
		b, _, err := w.oci(t).ReadBundle(context.Background(), w.repo()+"@"+res.outputs["digest"])
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, f := range b.Files {
			data, err := w.oci(t).FetchFile(context.Background(), w.repo(), f.Digest)
			if err != nil {
				t.Fatal(err)
			}
			got[f.Path] = string(data)
		}
		want := map[string]string{
			"readme-link.md":      "# readme",
			"readme-abs.md":       "# readme",
			"dist-link/readme.md": "# readme",
			"chain/readme.md":     "# readme",
			"..notes":             "dot-dot notes",
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("bundle files %v, want %v", got, want)
		}
	})
}

// recordingBlobs is the in-process registry's blob store, keeping a copy of
// every blob pushed, so that a test can say what reached the registry.
type recordingBlobs struct {
	mem ggcr.BlobHandler
	mu  sync.Mutex
	all [][]byte
}

func newRecordingBlobs() *recordingBlobs {
	return &recordingBlobs{mem: ggcr.NewInMemoryBlobHandler()}
}

func (b *recordingBlobs) Get(ctx context.Context, repo string, h v1.Hash) (io.ReadCloser, error) {
	return b.mem.Get(ctx, repo, h)
}

func (b *recordingBlobs) Stat(ctx context.Context, repo string, h v1.Hash) (int64, error) {
	return b.mem.(ggcr.BlobStatHandler).Stat(ctx, repo, h)
}

func (b *recordingBlobs) Put(ctx context.Context, repo string, h v1.Hash, rc io.ReadCloser) error {
	data, err := io.ReadAll(rc)
	if err != nil {
		return err
	}
	b.mu.Lock()
	b.all = append(b.all, data)
	b.mu.Unlock()
	return b.mem.(ggcr.BlobPutHandler).Put(ctx, repo, h, io.NopCloser(bytes.NewReader(data)))
}

func (b *recordingBlobs) Delete(ctx context.Context, repo string, h v1.Hash) error {
	return b.mem.(ggcr.BlobDeleteHandler).Delete(ctx, repo, h)
}

func (b *recordingBlobs) blobs() [][]byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.all)
}

// The outside testers' report, replayed with the real binary: a workflow's
// secrets are in the action's environment (INPUT_TOKEN,
// INPUT_REGISTRY-PASSWORD), and the repository commits a link to
// /proc/self/environ, a file link out and a directory link out. Each
// build-bundle step fails naming the link; the ledger and the registry hold
// no bundle, and no blob pushed holds a secret. The last step (the control)
// shows that the registry records what it is sent and the secrets are where
// the link would have found them.
func TestBuildFilesKeepTheEnvironmentOutOfABundle(t *testing.T) {
	blobs := newRecordingBlobs()
	host := registry.InProcessWith(t, ggcr.WithReferrersSupport(true), ggcr.WithBlobHandler(blobs))
	w := newWorld(t, worldOpt{registry: host})
	w.writeConfig(t, withLedger(w.s1Config(""), "file:ledger.json"))
	outside := confinedWorkspace(t, w)
	const token = "ghp_ConfinementTokenSecret0123456789abcd"
	const password = "Registry-Password-Secret-hunter2"
	w.gh.AddToken(token, map[string]string{"*": "read", "acme/elemental": "write"})
	env := w.runnerEnv()
	inputs := func(files string) map[string]string {
		return map[string]string{"channel": "dev", "files": files, "token": token, "registry-username": "publisher", "registry-password": password}
	}
	for _, c := range []struct{ files, want string }{
		{"dist/readme.md\nenv.txt", "input files: env.txt is a symbolic link to /proc/self/environ"},
		{"notes.txt", "input files: notes.txt is a symbolic link to " + filepath.Join(outside, "secret.txt") + ", outside the workspace"},
		{"docs/*", "input files: docs is a symbolic link to " + filepath.Join(outside, "etc") + ", outside the workspace"},
	} {
		p := runProcess(t, "build-bundle", inputs(c.files), env)
		if p.code == 0 || !strings.Contains(p.stdout, c.want) {
			t.Errorf("files %q: exit %d, want an error containing %q:\n%s%s", c.files, p.code, c.want, p.stdout, p.stderr)
		}
		for _, line := range strings.Split(p.stdout+p.stderr, "\n") {
			if !strings.HasPrefix(line, "::add-mask::") && (strings.Contains(line, token) || strings.Contains(line, password)) {
				t.Errorf("files %q: the step printed a secret: %s", c.files, line)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(w.ws, "ledger.json")); err == nil {
		if n := len(w.fileLedger(t).Bundles); n != 0 {
			t.Errorf("%d bundles in the ledger", n)
		}
	}
	if tags, _ := w.oci(t).Tags(context.Background(), w.repo()); len(tags) != 0 {
		t.Errorf("registry tags written: %v", tags)
	}
	for i, b := range blobs.blobs() {
		for _, s := range []string{token, password, "OUTSIDE-SECRET"} {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("blob %d in the registry holds %q", i, s)
			}
		}
	}

	// control: a file of the workspace that holds the same text does reach
	// the registry, so the check above can see a secret in a blob
	if err := os.WriteFile(filepath.Join(w.ws, "dist", "copy.txt"), []byte("INPUT_TOKEN="+token), 0o644); err != nil {
		t.Fatal(err)
	}
	if p := runProcess(t, "build-bundle", inputs("dist/copy.txt"), env); p.code != 0 {
		t.Fatalf("control: exit %d\n%s%s", p.code, p.stdout, p.stderr)
	}
	seen := false
	for _, b := range blobs.blobs() {
		seen = seen || bytes.Contains(b, []byte(token))
	}
	if !seen {
		t.Error("control: no blob holds the published file's text")
	}
}

// setCommit sets the commit of component name in a lock's components.
func setCommit(name, sha string) func([]any) []any {
	return func(comps []any) []any {
		for _, c := range comps {
			if e := c.(map[string]any); e["name"] == name {
				e["commit"] = sha
			}
		}
		return comps
	}
}

// SPEC section 4: a lock handed to build-bundle holds exactly the config's
// components, from the config's sources, at commits that exist there. A lock
// missing a component, or naming a commit its repository lacks (on GitHub or
// on a git remote), is refused naming the component, the repository and the
// commit, and nothing is written.
func TestBuildRefusesALockTheSourcesDoNotHold(t *testing.T) {
	unknown := strings.Repeat("a", 40)
	for _, c := range []struct {
		name string
		edit func(w *world) func([]any) []any
		want string
	}{
		{"a missing component", func(*world) func([]any) []any {
			return func(comps []any) []any {
				return slices.DeleteFunc(comps, func(c any) bool { return c.(map[string]any)["name"] == "toolkit" })
			}
		}, `input lock-file ladder-lock.json: components: no entry for component "toolkit" of .github/ladder.yaml`},
		{"an unknown commit of a repo: component", func(*world) func([]any) []any { return setCommit("cli", unknown) },
			"input lock-file ladder-lock.json: components[0].commit (cli): commit " + unknown + " does not exist in rancher/elemental-cli"},
		{"another repository's commit", func(w *world) func([]any) []any { return setCommit("toolkit", w.c["cli1"]) },
			"components[1].commit (toolkit): commit " + "%s" + " does not exist in rancher/elemental-toolkit"},
		{"an unknown commit of a git: component", func(*world) func([]any) []any { return setCommit("os", unknown) },
			"input lock-file ladder-lock.json: components[3].commit (os): commit " + unknown + " does not exist in http://127.0.0.1:"},
		{"every bad commit named", func(*world) func([]any) []any {
			return func(comps []any) []any { return setCommit("os", unknown)(setCommit("cli", unknown)(comps)) }
		}, "components[0].commit (cli): commit " + unknown + " does not exist in rancher/elemental-cli%0Acomponents[3].commit (os)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := newS1World(t, "file:ledger.json")
			resolveOK(t, w, map[string]string{"channel": "dev"})
			editLock(t, w, c.edit(w))
			want := c.want
			if strings.Contains(want, "%s") {
				want = fmt.Sprintf(want, w.c["cli1"])
			}
			before := w.snapshot(t)
			res := w.runAction(t, "build-bundle", map[string]string{"channel": "dev"}, nil)
			if res.code == 0 || !strings.Contains(res.stdout, want) {
				t.Fatalf("exit %d, want an error containing %q:\n%s", res.code, want, res.stdout)
			}
			if after := w.snapshot(t); after != before {
				t.Errorf("the ledger or the registry changed:\nbefore:\n%s\nafter:\n%s", before, after)
			}
		})
	}
	t.Run("commits the sources hold (control)", func(t *testing.T) {
		w := newS1World(t, "file:ledger.json")
		resolveOK(t, w, map[string]string{"channel": "dev"})
		// older commits: no branch or tag points at cli1 or os1 (git: proves
		// it by fetching the commit)
		editLock(t, w, func(comps []any) []any { return setCommit("os", w.c["os1"])(setCommit("cli", w.c["cli1"])(comps)) })
		if res := buildOK(t, w, map[string]string{"channel": "dev"}); res.outputs["published"] != "true" {
			t.Errorf("outputs %v", res.outputs)
		}
	})
}

// barrierProxy forwards to the GitHub simulator and holds each request for a
// commit (GET .../commits/<40 hex>) until n of them have arrived: if
// build-bundle asked for the commits one after the other, the first would
// wait for ever. After a minute it gives up, lets them through and reports
// that they were not concurrent.
func barrierProxy(t *testing.T, w *world, n int) (apiURL string, arrived *atomic.Int32) {
	upstream, _ := url.Parse(w.gh.URL())
	arrived = new(atomic.Int32)
	all := make(chan struct{})
	commit := regexp.MustCompile(`/commits/[0-9a-f]{40}$`)
	proxy := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, req *http.Request) {
		if req.Method == http.MethodGet && commit.MatchString(req.URL.Path) {
			if arrived.Add(1) == int32(n) {
				close(all)
			}
			select {
			case <-all:
			case <-time.After(time.Minute):
				t.Errorf("%s waited a minute for the other commit requests: the commits were not checked concurrently", req.URL.Path)
			}
		}
		httputil.NewSingleHostReverseProxy(upstream).ServeHTTP(rw, req)
	}))
	t.Cleanup(proxy.Close)
	return proxy.URL + strings.TrimPrefix(w.gh.URL(), upstream.Scheme+"://"+upstream.Host), arrived
}

// SPEC section 4: the commits of a lock are checked with one request per
// component, concurrently: one GET .../commits/<sha> per repo: component
// (all three in flight at once) and one ref listing for the git: component.
func TestBuildChecksEachCommitOnceConcurrently(t *testing.T) {
	w := newS1World(t, "file:ledger.json")
	_, l := resolveOK(t, w, map[string]string{"channel": "dev"})
	api, arrived := barrierProxy(t, w, 3)
	w.gh.ResetStats()
	w.git.ResetRequests()
	res := w.runAction(t, "build-bundle", map[string]string{"channel": "dev"}, map[string]string{"GITHUB_API_URL": api})
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stdout)
	}
	per := map[string]int{}
	for _, r := range w.gh.Requests() {
		if r.Route == "GET /repos/{owner}/{repo}/commits/{ref...}" {
			per[r.Path]++
		}
	}
	want := map[string]int{}
	for _, e := range l.Components {
		if e.Repo != "" {
			want["/repos/"+e.Repo+"/commits/"+e.Commit] = 1
		}
	}
	if fmt.Sprint(per) != fmt.Sprint(want) {
		t.Errorf("commit requests %v, want one per repo: component %v", per, want)
	}
	if n := arrived.Load(); n != 3 {
		t.Errorf("%d commit requests through the proxy, want 3", n)
	}
	if n := w.git.RefAdvertisements(); n != 1 {
		t.Errorf("%d git commands reached the git: component's remote, want 1 (a ref listing: its commit is a branch tip):\n%s", n, strings.Join(w.git.Requests(), "\n"))
	}
}

// A lock of tags (stable pins tags) is checked with one REST request per
// repo: component, GET commits/tags/TAG, which also proves the tag names the
// lock's commit; no git listing.
func TestBuildChecksEachTagRefInOneRequest(t *testing.T) {
	w := newS1World(t, "file:ledger.json")
	_, l := resolveOK(t, w, map[string]string{"channel": "stable"})
	w.gh.ResetStats()
	if res := buildOK(t, w, map[string]string{"channel": "stable"}); res.outputs["published"] != "true" {
		t.Fatalf("build: %v", res.outputs)
	}
	per := map[string]int{}
	git := 0
	for _, r := range w.gh.Requests() {
		switch r.Route {
		case "GET /repos/{owner}/{repo}/commits/{ref...}":
			per[r.Path]++
		case ghsim.RouteGitInfoRefs, ghsim.RouteGitUploadPack:
			git++
		}
	}
	want := map[string]int{}
	for _, e := range l.Components {
		if tag, ok := strings.CutPrefix(e.Ref, "refs/tags/"); ok && e.Repo != "" {
			want["/repos/"+e.Repo+"/commits/tags/"+tag] = 1
		}
	}
	if len(want) == 0 || fmt.Sprint(per) != fmt.Sprint(want) {
		t.Errorf("commit requests %v, want one per tag of a repo: component %v", per, want)
	}
	if git != 0 {
		t.Errorf("%d git smart HTTP requests, want none: the tag is checked by REST", git)
	}
}
