package app

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/ladder-release/ladder/internal/ledger"
	"github.com/ladder-release/ladder/internal/promote"
	"github.com/ladder-release/ladder/internal/testutil/registry"
)

// buildLadder builds cmd/ladder once for the test and returns the binary.
func buildLadder(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the ladder binary: not in -short")
	}
	bin := filepath.Join(t.TempDir(), "ladder")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/ladder")
	cmd.Dir = filepath.Join("..", "..") // the module root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/ladder: %v\n%s", err, out)
	}
	return bin
}

// TestPromoteConcurrentProcesses: issue 4 point 8 and SPEC section 7. Eight
// OS processes move one label at once, each to its own version, against the
// CNCF distribution registry and one file ledger: the label ends on the
// highest version, every process that promoted has its move in the label's
// stream, the stream's versions strictly increase, every other process was
// refused for a version below the label, and the registry's tags equal the
// ledger's head.
func TestPromoteConcurrentProcesses(t *testing.T) {
	bin := buildLadder(t)
	w := newWorld(t, worldOpt{registry: registry.Distribution(t)})
	clk := newClock()
	w.writeConfig(t, w.promoteConfig("file:ledger.json", "  testing: {from: dev}\n", ""))
	const n = 8
	digests := map[string]string{}
	for i := 1; i <= n; i++ {
		v := fmt.Sprintf("1.0.%d", i)
		digests[v] = publishDev(t, w, clk, v)
	}
	home := t.TempDir() // no Docker credentials of the host
	type outcome struct {
		version string
		code    int
		stdout  string
		stderr  string
	}
	results := make([]outcome, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		v := fmt.Sprintf("1.0.%d", i+1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(bin, "promote-label", "--label", "testing", "--from", v, "--config", filepath.Join(w.ws, ".github", "ladder.yaml"))
			cmd.Env = []string{
				"PATH=" + os.Getenv("PATH"),
				"HOME=" + home,
				"GITHUB_WORKSPACE=" + w.ws,
				"GITHUB_REPOSITORY=acme/elemental",
				"GITHUB_SERVER_URL=" + w.gh.ServerURL(),
				"GITHUB_API_URL=" + w.gh.URL(),
				fmt.Sprintf("GITHUB_ACTOR=job-%d", i),
				fmt.Sprintf("GITHUB_RUN_ID=%d", 100+i),
			}
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			<-start
			err := cmd.Run()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				code = -1
			}
			results[i] = outcome{version: v, code: code, stdout: stdout.String(), stderr: stderr.String()}
		}()
	}
	close(start)
	wg.Wait()

	decision := regexp.MustCompile(`(?m)^decision=(\w+)$`)
	promoted := map[string]bool{}
	for _, r := range results {
		m := decision.FindStringSubmatch(r.stdout)
		switch {
		case r.code == 0 && m != nil && m[1] == "promoted":
			promoted[r.version] = true
		case r.code == ExitFailure && m != nil && m[1] == "failed" &&
			regexp.MustCompile(`refusing to move label testing from 1\.0\.\d down to `+regexp.QuoteMeta(r.version)).MatchString(r.stderr):
			// lost the race to a higher version: refused, naming both
		default:
			t.Errorf("process for %s: exit %d\nstdout:\n%s\nstderr:\n%s", r.version, r.code, r.stdout, r.stderr)
		}
	}
	doc := w.fileLedger(t)
	stream := doc.Stream(ledger.LabelStream("testing"))
	head, ok := doc.Head(ledger.LabelStream("testing"))
	if !ok || head.Version != "1.0.8" {
		t.Fatalf("the label ends on %+v, want 1.0.8", head)
	}
	if len(stream) != len(promoted) {
		t.Errorf("%d moves in the stream (%s), %d processes promoted (%v)", len(stream), versionsOf(stream), len(promoted), promoted)
	}
	for i, e := range stream {
		if !promoted[e.Version] {
			t.Errorf("move %d to %s: no process says it promoted it", i, e.Version)
		}
		if e.Digest != digests[e.Version] || e.Decision != "promoted" || !strings.HasPrefix(e.Actor, "job-") || !strings.Contains(e.Run, "/actions/runs/1") {
			t.Errorf("move %d: %+v", i, e)
		}
		if i > 0 {
			if c, err := promote.Compare(e.Version, stream[i-1].Version); err != nil || c <= 0 {
				t.Errorf("stream not strictly increasing: %s", versionsOf(stream))
			}
			if e.PreviousVersion != stream[i-1].Version {
				t.Errorf("move %d: previous %s, want %s", i, e.PreviousVersion, stream[i-1].Version)
			}
		}
	}
	t.Logf("history of testing: %s", versionsOf(stream))
	if got := w.tagDigest(t, "testing"); got != head.Digest {
		t.Errorf("registry tag testing = %s, ledger head %s (%s)", got, head.Digest, head.Version)
	}
	if head.PreviousDigest != "" {
		if got := w.tagDigest(t, "testing-previous"); got != head.PreviousDigest {
			t.Errorf("registry tag testing-previous = %s, ledger %s", got, head.PreviousDigest)
		}
	}
}
