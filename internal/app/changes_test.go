package app

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ladder-release/ladder/internal/action"
	"github.com/ladder-release/ladder/internal/ghsim"
	"github.com/ladder-release/ladder/internal/testutil/golden"
)

// changeJSON is one component of the `changes` output.
type changeJSON struct {
	From     string `json:"from"`
	To       string `json:"to"`
	Commits  *int   `json:"commits"`
	BehindBy int    `json:"behindBy"`
	URL      string `json:"url"`
	Status   string `json:"status"`
	Range    string `json:"range"`
	Note     string `json:"note"`
	Subjects []struct {
		SHA     string `json:"sha"`
		Subject string `json:"subject"`
		Author  string `json:"author"`
	} `json:"subjects"`
}

func parseChanges(t *testing.T, s string) map[string]changeJSON {
	t.Helper()
	var m map[string]changeJSON
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("changes %q: %v", s, err)
	}
	return m
}

// compares counts the compare requests the simulator answered.
func (w *world) compares() int {
	n := 0
	for _, r := range w.gh.Requests() {
		if strings.Contains(r.Path, "/compare/") {
			n++
		}
	}
	return n
}

// TestChangesBuildBundle: issue 16 point 1 (S8). build-bundle compares the
// new lock with the one it replaces: an unchanged component is identical
// with no API call; one that moved forward lists its commits (count, first
// subjects with authors, the compare view); a force-pushed branch is
// diverged; a git: component gets its range, no API call; a first publish
// has nothing to compare ({}).
func TestChangesBuildBundle(t *testing.T) {
	w := newWorld(t, worldOpt{})
	clk := newClock()
	w.writeConfig(t, w.promoteConfig("file:ledger.json", "  testing: {from: dev}\n", ""))
	first := w.runAt(t, clk, "build-bundle", map[string]string{"channel": "dev", "version": "1.0.1", "lock-file": "none.json"})
	if first.code != 0 || first.outputs["changes"] != "{}" {
		t.Fatalf("first publish: exit %d, changes %q, want {}", first.code, first.outputs["changes"])
	}
	if strings.Contains(first.summary, "What changed") {
		t.Errorf("a first publish has nothing to compare with:\n%s", first.summary)
	}

	a := w.gh.CommitBy("rancher/elemental-cli", "main", "feat: a\n\nwith a body", ghsim.Signature{Name: "Ann Author", Email: "ann@example.com"})
	b := w.gh.CommitBy("rancher/elemental-cli", "main", "fix: b", ghsim.Signature{Name: "Bo", Email: "bo@example.com"})
	// operator's main is force-pushed: back to op1, then a commit of its own
	w.gh.SetBranch("rancher/elemental-operator", "main", w.c["op1"])
	op := w.gh.Commit("rancher/elemental-operator", "main", "operator: rewritten")
	os4 := w.osRepo.Commit("main", "os: four")
	before := w.compares()
	clk.Advance(1e9)
	res := w.runAt(t, clk, "build-bundle", map[string]string{"channel": "dev", "version": "1.0.2", "lock-file": "none.json"})
	if res.code != 0 || res.outputs["published"] != "true" || res.outputs["replaces"] != "1.0.1" {
		t.Fatalf("exit %d %v\n%s", res.code, res.outputs, res.stdout)
	}
	if n := w.compares() - before; n != 2 {
		t.Errorf("%d compare requests, want 2 (cli and operator: toolkit did not move, os is git:)", n)
	}
	m := parseChanges(t, res.outputs["changes"])
	cli := m["cli"]
	if cli.Status != "ahead" || cli.Commits == nil || *cli.Commits != 2 || cli.From != w.c["cli3"] || cli.To != b ||
		cli.URL != w.gh.ServerURL()+"/rancher/elemental-cli/compare/"+w.c["cli3"]+"..."+b {
		t.Errorf("cli %+v", cli)
	}
	if len(cli.Subjects) != 2 || cli.Subjects[0].SHA != a || cli.Subjects[0].Subject != "feat: a" || cli.Subjects[0].Author != "Ann Author" ||
		cli.Subjects[1].Subject != "fix: b" || cli.Subjects[1].Author != "Bo" {
		t.Errorf("cli subjects %+v", cli.Subjects)
	}
	if tk := m["toolkit"]; tk.Status != "identical" || tk.Commits == nil || *tk.Commits != 0 || tk.From != tk.To {
		t.Errorf("toolkit %+v", tk)
	}
	if o := m["operator"]; o.Status != "diverged" || o.Commits == nil || *o.Commits != 1 || o.BehindBy != 2 || o.To != op ||
		len(o.Subjects) != 1 || o.Subjects[0].Subject != "operator: rewritten" {
		t.Errorf("operator (force-pushed) %+v", o)
	}
	if o := m["os"]; o.Status != "unknown" || o.Commits != nil || o.Range != w.c["os3"]+".."+os4 {
		t.Errorf("os (git:) %+v", o)
	}
	for _, want := range []string{
		"### What changed since 1.0.1",
		"| cli | main " + w.c["cli3"][:7] + " | main " + b[:7] + " | ahead | [2](<" + w.gh.ServerURL() + "/rancher/elemental-cli/compare/",
		a[:7] + " feat: a (Ann Author)<br>" + b[:7] + " fix: b (Bo) |",
		"| toolkit |", "| identical | 0 | - |",
		"| operator |", "| diverged | [1 (2 behind)](<", "diverged: the old commit is not an ancestor of the new one (a force-push?)",
		"| os |", "| unknown | unknown | " + w.c["os3"][:7] + ".." + os4[:7] + "<br>a git: component: the commit range, no compare API |",
	} {
		if !strings.Contains(res.summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, res.summary)
		}
	}
	golden.Compare(t, filepath.Join("testdata", "summary", "build-bundle-changes.md"), []byte(w.normalizeChanges(res.summary)))
}

// normalizeChanges is normalize, plus the simulator's commit SHAs (its
// clock is the test's, but its sequence is shared) and URL.
func (w *world) normalizeChanges(s string) string {
	s = strings.ReplaceAll(w.normalize(s), w.gh.ServerURL(), "GITHUB_SERVER")
	return s
}

// TestChangesManyCommits: more commits than the compare API lists (250 on a
// page without paging, ladder asks for the first 20): the count is GitHub's
// total, 20 subjects are listed, the oldest first, and the rest is the
// count and the link.
func TestChangesManyCommits(t *testing.T) {
	w, clk := testingWorld(t)
	var shas []string
	for i := range 260 {
		shas = append(shas, w.gh.Commit("rancher/elemental-cli", "main", fmt.Sprintf("cli: change %d", i+1)))
	}
	clk.Advance(1e9)
	res := w.runAt(t, clk, "build-bundle", map[string]string{"channel": "dev", "version": "1.0.2", "lock-file": "none.json"})
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stdout)
	}
	cli := parseChanges(t, res.outputs["changes"])["cli"]
	if cli.Status != "ahead" || cli.Commits == nil || *cli.Commits != 260 || len(cli.Subjects) != 20 ||
		cli.Subjects[0].SHA != shas[0] || cli.Subjects[19].Subject != "cli: change 20" || cli.URL == "" {
		t.Errorf("cli: %d subjects, count %v, url %q", len(cli.Subjects), cli.Commits, cli.URL)
	}
	for _, want := range []string{"| ahead | [260](<", "cli: change 20", "<br>and 240 more |"} {
		if !strings.Contains(res.summary, want) {
			t.Errorf("summary lacks %q", want)
		}
	}
	if strings.Contains(res.summary, "cli: change 21") {
		t.Error("the summary lists more than 20 commits")
	}
}

// TestChangesAPIError: GitHub's compare failing (a 5xx that outlasts the
// retries, a 404) does not stop the publish: exit 0, published, that
// component's changes unknown in the summary and the output, saying why.
func TestChangesAPIError(t *testing.T) {
	for _, c := range []struct {
		name   string
		status int
		times  int
		want   string
	}{
		{"5xx after every retry", 502, 20, "answered 502"},
		{"not found", 404, 1, "answered 404"},
	} {
		t.Run(c.name, func(t *testing.T) {
			w, clk := testingWorld(t)
			w.gh.Commit("rancher/elemental-cli", "main", "cli: four")
			w.gh.Commit("rancher/elemental-toolkit", "main", "toolkit: three")
			w.gh.Inject(ghsim.Fault{Method: "GET", Path: "/repos/rancher/elemental-cli/compare/**", Status: c.status, Times: c.times})
			clk.Advance(1e9)
			res := w.runAt(t, clk, "build-bundle", map[string]string{"channel": "dev", "version": "1.0.2", "lock-file": "none.json"})
			if res.code != 0 || res.outputs["published"] != "true" {
				t.Fatalf("exit %d %v\n%s", res.code, res.outputs, res.stdout)
			}
			m := parseChanges(t, res.outputs["changes"])
			if cli := m["cli"]; cli.Status != "unknown" || cli.Commits != nil || !strings.Contains(cli.Note, "the changes are unknown") || !strings.Contains(cli.Note, c.want) {
				t.Errorf("cli %+v", cli)
			}
			if tk := m["toolkit"]; tk.Status != "ahead" || tk.Commits == nil || *tk.Commits != 1 {
				t.Errorf("toolkit (its compare worked) %+v", tk)
			}
			if !strings.Contains(res.summary, "| cli |") || !strings.Contains(res.summary, "| unknown | unknown | the changes are unknown: ") {
				t.Errorf("summary:\n%s", res.summary)
			}
		})
	}
}

// TestChangesUntrustedText: a commit subject or author name is whatever its
// pusher wrote: it reaches neither a workflow command nor a GITHUB_OUTPUT
// record unescaped (a forged delimiter or ::set-output changes no output),
// and renders as text in the summary (no HTML, no link, no cell break).
func TestChangesUntrustedText(t *testing.T) {
	w, clk := testingWorld(t)
	evil := "::set-output name=published::false " + action.DelimiterPrefix + "0 published<<EOF"
	w.gh.CommitBy("rancher/elemental-cli", "main", evil+"\n"+action.DelimiterPrefix+"0\npublished<<EOF\nfalse\nEOF",
		ghsim.Signature{Name: "<img src=x onerror=alert(1)> | [x](javascript:alert(1)) ::error::forged", Email: "e@example.com"})
	w.gh.CommitBy("rancher/elemental-cli", "main", "##[set-output name=version;]0.0.0", ghsim.Signature{Name: "Eve"})
	clk.Advance(1e9)
	res := w.runAt(t, clk, "build-bundle", map[string]string{"channel": "dev", "version": "1.0.2", "lock-file": "none.json"})
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stdout)
	}
	if res.outputs["published"] != "true" || res.outputs["version"] != "1.0.2" {
		t.Errorf("a commit message changed an output: %v", res.outputs)
	}
	cli := parseChanges(t, res.outputs["changes"])["cli"]
	if len(cli.Subjects) != 2 || cli.Subjects[0].Subject != evil || !strings.HasPrefix(cli.Subjects[0].Author, "<img") {
		t.Errorf("the output does not carry the text as written: %+v", cli.Subjects)
	}
	for _, line := range strings.Split(res.stdout, "\n") {
		if strings.HasPrefix(line, "::set-output") || strings.HasPrefix(line, "::error::forged") || strings.Contains(line, "##[set-output") {
			t.Errorf("stdout holds a workflow command from a commit: %q", line)
		}
	}
	for _, bad := range []string{"<img", "[x](javascript", "| [x]", "onerror=alert(1)> |"} {
		if strings.Contains(res.summary, bad) {
			t.Errorf("summary holds %q unescaped:\n%s", bad, res.summary)
		}
	}
	if !strings.Contains(res.summary, "&lt;img src=x onerror=alert(1)&gt; \\| \\[x\\](javascript:alert(1)) ::error::forged") {
		t.Errorf("summary does not show the author as text:\n%s", res.summary)
	}
}

// TestChangesPromoteLabel: promote-label compares the label's new value with
// its previous one: nothing on its first move, the commits on a promotion,
// behind on a rollback; an API error leaves it unknown and the label moves.
func TestChangesPromoteLabel(t *testing.T) {
	w, clk := testingWorld(t)
	res := promoteWant(t, w, clk, map[string]string{"label": "testing"}, 0, "promoted")
	if res.outputs["changes"] != "{}" || strings.Contains(res.summary, "What changed") {
		t.Errorf("first move: changes %q\n%s", res.outputs["changes"], res.summary)
	}
	c4 := w.gh.CommitBy("rancher/elemental-cli", "main", "cli: four", ghsim.Signature{Name: "Ann"})
	publishDev(t, w, clk, "1.0.2")
	res = promoteWant(t, w, clk, map[string]string{"label": "testing"}, 0, "promoted")
	m := parseChanges(t, res.outputs["changes"])
	if cli := m["cli"]; cli.Status != "ahead" || cli.Commits == nil || *cli.Commits != 1 || cli.From != w.c["cli3"] || cli.To != c4 ||
		len(cli.Subjects) != 1 || cli.Subjects[0].Author != "Ann" {
		t.Errorf("promotion: cli %+v", cli)
	}
	if !strings.Contains(res.summary, "### What changed since 1.0.1") || !strings.Contains(res.summary, "cli: four (Ann)") {
		t.Errorf("summary:\n%s", res.summary)
	}
	res = promoteWant(t, w, clk, map[string]string{"label": "testing", "mode": "rollback"}, 0, "held")
	if cli := parseChanges(t, res.outputs["changes"])["cli"]; cli.Status != "behind" || cli.Commits == nil || *cli.Commits != 0 || cli.BehindBy != 1 {
		t.Errorf("rollback: cli %+v", cli)
	}
	if !strings.Contains(res.summary, "behind: the new commit is an ancestor of the old one (a rollback?)") {
		t.Errorf("rollback summary:\n%s", res.summary)
	}
	res = promoteWant(t, w, clk, map[string]string{"label": "testing", "mode": "release"}, 0, "noop")
	if res.outputs["changes"] != "{}" {
		t.Errorf("a release moves nothing: changes %s", res.outputs["changes"])
	}

	// an API error: the label moves, the changes of cli are unknown
	w.gh.Commit("rancher/elemental-cli", "main", "cli: five")
	publishDev(t, w, clk, "1.0.3")
	w.gh.Inject(ghsim.Fault{Method: "GET", Path: "/repos/rancher/elemental-cli/compare/**", Status: 500, Times: 20})
	res = promoteWant(t, w, clk, map[string]string{"label": "testing"}, 0, "promoted")
	if cli := parseChanges(t, res.outputs["changes"])["cli"]; cli.Status != "unknown" || cli.Commits != nil || !strings.Contains(cli.Note, "answered 500") {
		t.Errorf("API error: cli %+v", cli)
	}
	if w.tagDigest(t, "testing") != res.outputs["digest"] || !strings.Contains(res.summary, "the changes are unknown") {
		t.Errorf("the label did not move, or the summary does not say the changes are unknown:\n%s", res.summary)
	}
}

// testingWorld is a world whose file ledger holds dev's 1.0.1, with the
// label testing promoting from dev.
func testingWorld(t *testing.T) (*world, *fakeClock) {
	t.Helper()
	w := newWorld(t, worldOpt{})
	clk := newClock()
	w.writeConfig(t, w.promoteConfig("file:ledger.json", "  testing: {from: dev}\n", ""))
	publishDev(t, w, clk, "1.0.1")
	return w, clk
}
