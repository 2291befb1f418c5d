package demo

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ladder-release/ladder/internal/app"
	"github.com/ladder-release/ladder/internal/testutil/gotool"
	"github.com/ladder-release/ladder/internal/testutil/hermetic"
	"github.com/ladder-release/ladder/internal/testutil/syncbuf"
)

// commands is what cmd/ladder adds to ladder's own: the demo.
var commands = map[string]app.Command{"demo": Command}

// now is the clock the demo starts from.
var now = time.Date(2026, 11, 22, 1, 15, 0, 0, time.UTC)

// The demo runs in-process and reads the process environment.
func TestMain(m *testing.M) { os.Exit(hermetic.Run(m, gotool.Cleanup)) }

// demoEnv is the demo's environment: only PATH (for git) and TMPDIR (where
// it works) are given; any other key the demo reads is recorded, and the
// test fails on it (the demo must not depend on the caller's GITHUB_*).
type demoEnv struct {
	t    *testing.T
	vars map[string]string
	mu   sync.Mutex
	read map[string]bool
}

func newDemoEnv(t *testing.T) *demoEnv {
	return &demoEnv{t: t, vars: map[string]string{"PATH": os.Getenv("PATH"), "TMPDIR": t.TempDir()}, read: map[string]bool{}}
}

func (e *demoEnv) Getenv(k string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.read[k] = true
	return e.vars[k]
}

func (e *demoEnv) check() {
	e.t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	var extra []string
	for k := range e.read {
		if _, ok := e.vars[k]; !ok && k != "GITHUB_ACTIONS" { // read by Main's error path only
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	if len(extra) > 0 {
		e.t.Errorf("the demo read environment variables it was not given: %s", strings.Join(extra, ", "))
	}
	// everything the demo wrote is gone
	if left, err := os.ReadDir(e.vars["TMPDIR"]); err != nil || len(left) > 0 {
		e.t.Errorf("the demo left files behind in TMPDIR: %v %v", left, err)
	}
}

// TestDemo runs `ladder demo` through Main, as `go run ./cmd/ladder demo`
// does, and checks its narration: every step's outcome, the dispatches the
// simulator received, and the final `ladder status`.
func TestDemo(t *testing.T) {
	env := newDemoEnv(t)
	var stdout, stderr syncbuf.Buffer // read while the demo writes (--keep)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	start := time.Now()
	code := app.Main(ctx, []string{"demo"}, app.Deps{Getenv: env.Getenv, Stdout: &stdout, Stderr: &stderr, Now: func() time.Time { return now }, Commands: commands})
	t.Logf("ladder demo: exit %d in %s (wall time)", code, time.Since(start).Round(time.Millisecond))
	out := stdout.String()
	if code != app.ExitOK {
		t.Fatalf("ladder demo exited %d\nstderr:\n%s\nstdout:\n%s", code, stderr.String(), out)
	}
	env.check()

	// Each step's outcome, in this order.
	steps := []string{
		`(?m)^ 1\. resolve-channel dev: 4 components \(cli main@[0-9a-f]{7}, toolkit main@[0-9a-f]{7}, operator main@[0-9a-f]{7}, os main@[0-9a-f]{7}\) -> lock sha256:[0-9a-f]{12}, id [0-9a-f]{7}(-[0-9a-f]{7}){3}, version 0\.0\.1-dev\.20261122T\d{6}\.`,
		`(?m)^ 2\. build-bundle dev: published 0\.0\.1-dev\.20261122T\d{6}\.\S+ as sha256:[0-9a-f]{12}; tags `,
		`(?m)^ 3\. cascade-branches \(push to main\): dispatched 1 to acme/elemental-os`,
		`simulator received on acme/elemental-os: repository_dispatch "ladder-cascade"`,
		`(?m)^ 4\. resolve-channel staging: 4 components \(cli v0\.2\.1@[0-9a-f]{7}, toolkit v0\.10\.0@[0-9a-f]{7}, operator operator/v1\.2\.3@[0-9a-f]{7}, os v1\.2\.3@[0-9a-f]{7}\) .* version 1\.2\.3, changed=true`,
		`(?m)^ 5\. build-bundle staging: published 1\.2\.3 as sha256:`,
		`(?m)^ 6\. promote-label testing: pending, exit code 0, nothing moved: .*e2e.*soaking`,
		`(?m)^ 7\. promote-label testing: promoted 1\.2\.3 \(was nothing\)`,
		`(?m)^ 8\. promote-label current: promoted 1\.2\.3 \(was nothing\)`,
		`(?m)^ 9\. resolve-channel staging: .*operator operator/v1\.2\.4-rc\.1@.* version 1\.2\.4-rc\.1, changed=true`,
		`(?m)^10\. build-bundle staging: published 1\.2\.4-rc\.1 .*replaces 1\.2\.3`,
		`(?m)^11\. promote-label testing: promoted 1\.2\.4-rc\.1 \(was 1\.2\.3\)`,
		`(?m)^12\. promote-label current: failed, exit code 1: .*operator upgrade \(check run failure\)`,
		`the ledger: 1\.2\.4-rc\.1 \(sha256:[0-9a-f]{12}\) quarantined by label current; current stays on 1\.2\.3`,
		`(?m)^13\. resolve-channel staging: .* version 1\.2\.4, changed=true`,
		`(?m)^14\. build-bundle staging: published 1\.2\.4 .*replaces 1\.2\.4-rc\.1`,
		`(?m)^15\. promote-label testing: promoted 1\.2\.4 \(was 1\.2\.4-rc\.1\)`,
		`(?m)^16\. promote-label current: promoted 1\.2\.4 \(was 1\.2\.3\): from label testing; all checks passed; soaked`,
		`(?m)^17\. resolve-channel stable: 4 components \(cli v0\.2\.1@[0-9a-f]{7}, toolkit v0\.9\.0@[0-9a-f]{7}, operator operator/v1\.0\.0@[0-9a-f]{7}, os v1\.0\.2@[0-9a-f]{7}\) .* version 0\.0\.1, changed=true`,
		`(?m)^18\. build-bundle stable: published 0\.0\.1 as sha256:`,
		`(?m)^19\. cascade-branches \(channel stable published\): dispatched 1 to acme/elemental-iso`,
		`simulator received on acme/elemental-iso: repository_dispatch "stable-published", client_payload\.ladder: build its default branch; chain acme/elemental@main; source channel stable`,
		`(?m)^20\. cascade-branches \(push to production\): dispatched 1 to acme/elemental@staging, correlation id run-\d+-1-[0-9a-f]{12}`,
		`simulator received on acme/elemental: repository_dispatch "ladder-cascade", client_payload\.ladder: build staging; chain acme/elemental@production;`,
		`(?m)^21\. cascade-branches \(the run that dispatch started\): builds staging, then dispatched 1 to acme/elemental@snapshot; chain production -> staging`,
		`simulator received on acme/elemental: repository_dispatch "ladder-cascade", client_payload\.ladder: build snapshot; chain acme/elemental@production -> acme/elemental@staging;`,
		`(?m)^The ledger's audit trail: 11 commits on acme/elemental@ladder-ledger`,
		`ladder: quarantine 1\.2\.4-rc\.1 \(sha256:[0-9a-f]{12}\): gate of label current failed`,
		`testing -> 1\.2\.4, testing-previous -> 1\.2\.4-rc\.1, current -> 1\.2\.4, current-previous -> 1\.2\.3`,
		`(?m)^22\. retire dev: frozen at 0\.0\.1-dev\.\S+ \(sha256:[0-9a-f]{12}\), tagged dev and dev-eol; 0 end-of-life dispatches`,
		`(?m)^23\. build-bundle dev \(a new commit on main\): published=false, the channel is retired`,
		`(?m)^The OLM catalog \(export\.olm, story S7\): 127\.0\.0\.1:\d+/acme/elemental:catalog \(sha256:[0-9a-f]{12}\)`,
		`/configs/elemental/catalog\.json, label operators\.operatorframework\.io\.index\.configs\.v1=/configs; package elemental, default channel stable`,
		`channel candidate: head elemental\.v1\.2\.4, 3 entries`,
		`channel stable: head elemental\.v1\.2\.4, 2 entries`,
	}
	at := 0
	for _, s := range steps {
		loc := regexp.MustCompile(s).FindStringIndex(out[at:])
		if loc == nil {
			t.Fatalf("the demo's output lacks, after offset %d, %s\noutput:\n%s", at, s, out)
		}
		at += loc[1]
	}

	// The final ladder status.
	_, status, ok := strings.Cut(out, "\n$ ladder status\n")
	if !ok {
		t.Fatalf("no ladder status in the output:\n%s", out)
	}
	for _, s := range []string{
		`(?m)^elemental: registry 127\.0\.0\.1:\d+/acme/elemental, ledger github$`,
		`(?m)^as of 2026-11-25T\S+: 5 bundles published, 0 deleted by retention, 1 quarantined$`,
		`(?m)^channel dev \(retired\)\n  version   0\.0\.1-dev\.\S+ \(sha256:[0-9a-f]{12}\)$`,
		`(?m)^  retired   since 2026-11-25T\S+ \(.*\), "dev moves to the 2\.x repository" by \S+ in run \S+; frozen at 0\.0\.1-dev\.\S+, also tagged dev-eol$`,
		`(?m)^channel staging\n  version   1\.2\.4 \(sha256:[0-9a-f]{12}\)$`,
		`(?m)^channel stable\n  version   0\.0\.1 \(sha256:[0-9a-f]{12}\)$`,
		`(?m)^label testing \(from staging\)\n  version   1\.2\.4 \(sha256:[0-9a-f]{12}\)$`,
		`(?m)^label current \(from testing\)\n  version   1\.2\.4 \(sha256:[0-9a-f]{12}\)\n(.*\n){2}  previous  1\.2\.3 \(sha256:[0-9a-f]{12}\)\n  gates     checks: all; soak 24h; components: cli, toolkit, operator; a failure quarantines$`,
		`(?m)^  graph     head 1\.2\.4, replaces 1\.2\.3, skips 1\.2\.4-rc\.1 \(2 entries\)$`,
		`(?m)^quarantines\n  sha256:[0-9a-f]{12}  1\.2\.4-rc\.1  label current  since .*operator upgrade \(check run failure\)`,
	} {
		if !regexp.MustCompile(s).MatchString(status) {
			t.Errorf("ladder status lacks %s\nstatus:\n%s", s, status)
		}
	}
	if !strings.Contains(out, "\ndemo finished in ") {
		t.Errorf("the demo did not say it finished:\n%s", out)
	}
	// No secret: the workflow's token (ghp_ + 40 hex) appears nowhere.
	if m := regexp.MustCompile(`ghp_[0-9a-f]{8}`).FindString(out + stderr.String()); m != "" {
		t.Errorf("the demo printed a token (%s...)", m)
	}
	if strings.Contains(out, "::add-mask::") {
		t.Error("the demo printed an action's raw stdout (::add-mask::)")
	}
}

// TestDemoKeep: with --keep, the registry and the simulator stay up after
// the narration, answer what the printed commands ask, and go away (with the
// demo's files) when the context ends, as Ctrl-C ends it.
func TestDemoKeep(t *testing.T) {
	env := newDemoEnv(t)
	var stdout, stderr syncbuf.Buffer // read while the demo writes (--keep)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- app.Main(ctx, []string{"demo", "--keep"}, app.Deps{Getenv: env.Getenv, Stdout: &stdout, Stderr: &stderr, Now: func() time.Time { return now }, Commands: commands})
	}()
	deadline := time.After(2 * time.Minute)
	for !strings.Contains(stdout.String(), "a copy of the ledger as the demo left it") {
		select {
		case code := <-done:
			t.Fatalf("ladder demo --keep returned %d before Ctrl-C\nstderr:\n%s\nstdout:\n%s", code, stderr.String(), stdout.String())
		case <-deadline:
			t.Fatalf("ladder demo --keep printed no instructions within 2 minutes:\n%s", stdout.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	out := stdout.String()
	registry := regexp.MustCompile(`crane ls (127\.0\.0\.1:\d+)/acme/elemental`).FindStringSubmatch(out)
	api := regexp.MustCompile(`curl -s -H "Authorization: Bearer \$\(cat (\S+)\)" (http://127\.0\.0\.1:\d+)/repos/acme/elemental/branches`).FindStringSubmatch(out)
	if registry == nil || api == nil {
		t.Fatalf("no crane or curl instructions:\n%s", out)
	}
	get := func(url string, header http.Header) string {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header = header
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s\n%s", url, resp.Status, body)
		}
		return string(body)
	}
	tags := get("http://"+registry[1]+"/v2/acme/elemental/tags/list", nil)
	for _, want := range []string{`"current"`, `"current-previous"`, `"1.2.4"`, `"1.2.4-rc.1"`} {
		if !strings.Contains(tags, want) {
			t.Errorf("registry tags lack %s: %s", want, tags)
		}
	}
	token, err := os.ReadFile(api[1])
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, strings.TrimSpace(string(token))) {
		t.Error("the read-only token was printed; it should only be named by its file")
	}
	doc := get(api[2]+"/repos/acme/elemental/contents/elemental.json?ref=ladder-ledger", http.Header{
		"Authorization": {"Bearer " + strings.TrimSpace(string(token))},
		"Accept":        {"application/vnd.github.raw+json"},
	})
	if !strings.Contains(doc, `"product": "elemental"`) || !strings.Contains(doc, "1.2.4-rc.1") {
		t.Errorf("the ledger through the contents API:\n%s", doc)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(api[1]), "workspace", "ledger-snapshot.json")); err != nil {
		t.Errorf("no ledger snapshot in the workspace: %v", err)
	}

	cancel() // Ctrl-C
	select {
	case code := <-done:
		if code != app.ExitOK {
			t.Errorf("ladder demo --keep exited %d after Ctrl-C\nstderr:\n%s", code, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("ladder demo --keep did not stop after Ctrl-C")
	}
	if _, err := http.Get("http://" + registry[1] + "/v2/"); err == nil {
		t.Error("the registry still answers after Ctrl-C")
	}
	env.check()
}

func TestDemoRefusesUnknownFlags(t *testing.T) {
	env := newDemoEnv(t)
	var stdout, stderr bytes.Buffer
	code := app.Main(context.Background(), []string{"demo", "--keep-going"}, app.Deps{Getenv: env.Getenv, Stdout: &stdout, Stderr: &stderr, Commands: commands})
	if code == app.ExitOK || !strings.Contains(stderr.String(), "unknown flag --keep-going (flags: --keep)") {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
}
