package app

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/ladder-release/ladder/internal/ghsim"
)

// TestResolveThousandsOfTags: a component with 2,000 tags under its
// tag-prefix, listed over git in one go, resolves to the highest version in
// range; tags outside the prefix (unprefixed, a look-alike prefix) never
// count, however high; an annotated winner is peeled to its commit.
func TestResolveThousandsOfTags(t *testing.T) {
	w := newWorld(t, worldOpt{})
	const repo = "rancher/elemental-operator"
	commits := map[string]string{}
	for i := 0; i < 2000; i++ {
		name := fmt.Sprintf("operator/v1.%d.%d", i/100, i%100)
		c := w.gh.Commit(repo, "main", name)
		commits[name] = c
		if name == "operator/v1.7.99" {
			w.gh.AnnotatedTag(repo, name, c, "the winner")
			continue
		}
		w.gh.Tag(repo, name, c)
	}
	decoy := w.gh.Commit(repo, "main", "decoys")
	for _, name := range []string{"v1.7.100", "operator-x/v1.7.200", "operator/v1.8.0-rc.1", "operator/v2.0.0", "v1.7.101"} {
		w.gh.Tag(repo, name, decoy)
	}
	cfg := strings.Replace(w.s1Config(""), `operator: {semver: "~1.2", prerelease: true}`, `operator: {semver: "~1.7"}`, 1)
	w.writeConfig(t, cfg)
	w.gh.ResetStats()
	res, l := resolveOK(t, w, map[string]string{"channel": "staging"})
	wantEntry(t, l, "operator", "refs/tags/operator/v1.7.99", "1.7.99", commits["operator/v1.7.99"])
	if res.outputs["version"] != "1.7.99" {
		t.Errorf("version = %s, want the operator's 1.7.99", res.outputs["version"])
	}
	perRepo := map[string]int{}
	for _, r := range w.gh.Requests() {
		if !r.Git {
			t.Errorf("a REST request: %s %s", r.Method, r.Path)
		}
		perRepo[strings.TrimSuffix(strings.Join(strings.Split(r.Path, "/")[1:3], "/"), ".git")]++
	}
	if perRepo[repo] != 1 {
		t.Errorf("%d requests for %s's 2,000 tags, want 1 (requests by repository: %v)", perRepo[repo], repo, perRepo)
	}
}

// TestResolveGitRefusals: a token the server refuses, or one that cannot
// read a component's repository, fails resolve-channel with an annotation
// that names the component and says what is wrong, without the token.
func TestResolveGitRefusals(t *testing.T) {
	for _, c := range []struct {
		name   string
		token  string
		setup  func(w *world)
		want   string
		reason string
	}{
		{"a wrong token", "ghs_wrongwrongwrongwrongwrongwrongwrong1", nil,
			`component (cli|toolkit|operator): branch "main": listing refs of rancher/elemental-\w+: http://127\.0\.0\.1:\d+ refused the token \(401`, "not a valid token"},
		{"a token without access", "ghs_narrownarrownarrownarrownarrownarro", func(w *world) {
			w.gh.AddToken("ghs_narrownarrownarrownarrownarrownarro", map[string]string{"rancher/elemental-toolkit": "read", "rancher/elemental-operator": "read"})
		}, `component cli: branch "main": listing refs of rancher/elemental-cli: repository rancher/elemental-cli not found at http://127\.0\.0\.1:\d+ or the token cannot read it \(404`, "contents: read"},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t, worldOpt{})
			w.writeConfig(t, w.s1Config(""))
			if c.setup != nil {
				c.setup(w)
			}
			res := w.runAction(t, "resolve-channel", map[string]string{"channel": "dev", "token": c.token}, nil)
			if res.code != ExitFailure {
				t.Fatalf("exit %d, want %d:\n%s", res.code, ExitFailure, res.stdout)
			}
			re := regexp.MustCompile(`(?m)^::error file=\.github/ladder\.yaml,line=\d+,col=\d+::.*` + c.want + `.*` + regexp.QuoteMeta(c.reason))
			if !re.MatchString(res.stdout) {
				t.Errorf("no annotation matching %s:\n%s", re, res.stdout)
			}
			if rest := strings.TrimPrefix(res.stdout, "::add-mask::"+c.token+"\n"); strings.Contains(rest, c.token) || strings.Contains(res.stderr, c.token) {
				t.Error("the token was printed")
			}
		})
	}
}

// TestResolveGitRetries: git's answers go through the GitHub retry policy:
// a 502 and a dropped connection on the listing are retried, and resolve
// succeeds.
func TestResolveGitRetries(t *testing.T) {
	w := newWorld(t, worldOpt{})
	w.writeConfig(t, w.s1Config(""))
	w.gh.Inject(ghsim.Fault{Method: http.MethodPost, Path: "/rancher/elemental-cli.git/git-upload-pack", Status: http.StatusBadGateway})
	w.gh.Inject(ghsim.Fault{Method: http.MethodPost, Path: "/rancher/elemental-toolkit.git/git-upload-pack", Drop: true})
	_, l := resolveOK(t, w, map[string]string{"channel": "dev"})
	wantEntry(t, l, "cli", "refs/heads/main", "main", w.c["cli3"])
	if n := w.gh.PendingFaults(); n != 0 {
		t.Errorf("%d faults not met", n)
	}
	if n := w.gh.Counts()[ghsim.RouteGitUploadPack]; n != 5 {
		t.Errorf("%d ls-refs requests, want 5 (3 components and 2 retries)", n)
	}
	if n := w.gh.Counts()[ghsim.RouteGitInfoRefs]; n != 0 {
		t.Errorf("%d advertisements read, want none (ls-refs is answered alone)", n)
	}
}
