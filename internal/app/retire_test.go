package app

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ladder-release/ladder/internal/action/actiontest"
	"github.com/ladder-release/ladder/internal/ledger"
	"github.com/ladder-release/ladder/internal/status"
	"github.com/ladder-release/ladder/internal/testutil/opm"
	"github.com/ladder-release/ladder/internal/testutil/regproxy"
)

// retireWorld is S1 with a file ledger, testing from dev and current from
// testing, and cascade.repos entries when channel dev (acme/elemental-iso,
// its own event type) and when label testing (acme/mirror-sync); the
// workflow's token may dispatch to both.
func retireWorld(t *testing.T) (*world, *fakeClock) {
	t.Helper()
	w := newWorld(t, worldOpt{})
	for _, r := range []string{"acme/elemental-iso", "acme/mirror-sync"} {
		w.gh.CreateRepo(r)
	}
	w.gh.AddToken(actiontest.Token, map[string]string{"*": "read", "acme/elemental": "write", "acme/elemental-iso": "write", "acme/mirror-sync": "write"})
	w.writeConfig(t, w.promoteConfig("file:ledger.json", "  testing: {from: dev}\n  current: {from: testing}\n", "")+`cascade:
  repos:
    - {repo: acme/elemental-iso, when: {channel: dev}, event-type: dev-eol}
    - {repo: acme/mirror-sync, when: {label: testing}}
`)
	return w, newClock()
}

// eolPayload is ladder's envelope of a dispatch.
type eolPayload struct {
	Ladder struct {
		EOL    bool `json:"eol"`
		Bundle struct {
			Version string `json:"version"`
			Digest  string `json:"digest"`
		} `json:"bundle"`
		Source struct {
			Channel string `json:"channel"`
			Label   string `json:"label"`
		} `json:"source"`
	} `json:"ladder"`
}

func dispatchesTo(t *testing.T, w *world, repo string) []eolPayload {
	t.Helper()
	var out []eolPayload
	for _, d := range w.gh.Dispatches(repo) {
		var p eolPayload
		if err := json.Unmarshal(d.ClientPayload, &p); err != nil {
			t.Fatalf("%s: %v: %s", repo, err, d.ClientPayload)
		}
		out = append(out, p)
	}
	return out
}

// TestRetireChannel is story S6's end of life, on a channel: one ledger
// write records who, when, why, from which run and the final value; the
// registry shows it as <name> and <name>-eol; the cascade.repos entry when
// the channel gets one dispatch with "eol": true; afterwards build-bundle
// answers retired (exit 0, nothing written, the reason and date named),
// cascade-branches from it dispatches nothing, a second retire is refused;
// --undo reverses it (recorded) and build-bundle publishes again, the -eol
// tag staying where it was.
func TestRetireChannel(t *testing.T) {
	w, clk := retireWorld(t)
	d1 := publishDev(t, w, clk, "1.0.1")
	before := w.fileLedger(t).Revision

	res := w.runAt(t, clk, "retire", map[string]string{"channel": "dev", "reason": "the 1.x line ends"})
	if res.code != 0 {
		t.Fatalf("retire: exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	for k, v := range map[string]string{"retired": "true", "version": "1.0.1", "digest": d1, "dispatched": "1", "undelivered": "[]"} {
		if res.outputs[k] != v {
			t.Errorf("output %s = %q, want %q", k, res.outputs[k], v)
		}
	}
	doc := w.fileLedger(t)
	r, ok := doc.Retired(ledger.ChannelStream("dev"))
	if !ok || r.Version != "1.0.1" || r.Digest != d1 || r.Actor != "octocat" || r.Reason != "the 1.x line ends" ||
		r.Run != w.gh.ServerURL()+"/acme/elemental/actions/runs/4242" || !r.At.Equal(clk.Now()) {
		t.Fatalf("retirement %+v", r)
	}
	if len(r.Pending()) != 0 || len(doc.RetireLog) != 1 || doc.RetireLog[0].Action != "retire" {
		t.Errorf("pending %v, log %+v", r.Pending(), doc.RetireLog)
	}
	// the retirement, then which dispatch went out
	if doc.Revision != before+2 {
		t.Errorf("revision %d -> %d: want the retirement and the dispatch record", before, doc.Revision)
	}
	for _, tag := range []string{"dev", "dev-eol"} {
		if got := w.tagDigest(t, tag); got != d1 {
			t.Errorf("tag %s on %s, want %s", tag, got, d1)
		}
	}
	iso := dispatchesTo(t, w, "acme/elemental-iso")
	if len(iso) != 1 || !iso[0].Ladder.EOL || iso[0].Ladder.Bundle.Version != "1.0.1" || iso[0].Ladder.Bundle.Digest != d1 || iso[0].Ladder.Source.Channel != "dev" {
		t.Fatalf("dispatches to the iso repo: %+v", iso)
	}
	if ds := w.gh.Dispatches("acme/elemental-iso"); ds[0].EventType != "dev-eol" {
		t.Errorf("event type %s", ds[0].EventType)
	}
	if len(w.gh.Dispatches("acme/mirror-sync")) != 0 {
		t.Error("the label's entry was told of the channel's end")
	}
	if !strings.Contains(res.summary, "ladder retire: channel dev") || !strings.Contains(res.summary, "the 1.x line ends") {
		t.Errorf("summary:\n%s", res.summary)
	}

	// ladder status shows it retired, as text and JSON
	senv := map[string]string{"GITHUB_WORKSPACE": w.ws}
	if st := runStatus(t, senv); st.code != 0 || !strings.Contains(st.stdout, "channel dev (retired)\n") ||
		!strings.Contains(st.stdout, `retired   since 2026-11-22T01:15:00Z (just now), "the 1.x line ends" by octocat`) || !strings.Contains(st.stdout, "frozen at 1.0.1, also tagged dev-eol") {
		t.Errorf("status:\n%s%s", st.stdout, st.stderr)
	}
	var rep status.Report
	st := runStatus(t, senv, "--json")
	if err := json.Unmarshal([]byte(st.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	for _, s := range rep.Streams {
		if (s.Stream == "channel:dev") != (s.Retired != nil) {
			t.Errorf("status --json: %s retired %+v", s.Stream, s.Retired)
		}
		if s.Retired != nil && (s.Retired.Reason != "the 1.x line ends" || s.Retired.Tag != "dev-eol" || len(s.Retired.Pending) != 0) {
			t.Errorf("status --json: %+v", s.Retired)
		}
	}

	// build-bundle: retired, exit 0, nothing written
	rev := w.fileLedger(t).Revision
	b := w.runAt(t, clk, "build-bundle", map[string]string{"channel": "dev", "version": "1.0.2", "force": "true", "lock-file": "none.json"})
	if b.code != 0 || b.outputs["published"] != "false" || b.outputs["digest"] != "" {
		t.Fatalf("build-bundle of a retired channel: exit %d %v\n%s", b.code, b.outputs, b.stderr)
	}
	for _, s := range []string{b.summary, b.stdout} {
		if !strings.Contains(s, "channel dev was retired at 2026-11-22T01:15:00Z by octocat: the 1.x line ends") {
			t.Errorf("the reason and date are not named:\n%s", s)
		}
	}
	if w.fileLedger(t).Revision != rev || w.tagDigest(t, "1.0.2") != "" {
		t.Error("build-bundle of a retired channel wrote something")
	}

	// cascade-branches from it: nothing dispatched, says why
	c := w.runAtEnv(t, clk, "cascade-branches", map[string]string{"channel": "dev"}, map[string]string{"GITHUB_RUN_ATTEMPT": "1"})
	if c.code != 0 || c.outputs["dispatched"] != "0" || !strings.Contains(c.summary, "channel dev was retired at") || !strings.Contains(c.summary, "cascades from it stop") {
		t.Errorf("cascade from a retired channel: exit %d %v\n%s", c.code, c.outputs, c.summary)
	}
	if n := len(w.gh.Dispatches("acme/elemental-iso")); n != 1 {
		t.Errorf("%d dispatches to the iso repo, want the one end-of-life dispatch", n)
	}

	// a second retire is refused, and tells nobody again
	again := w.runWith(t, "retire", map[string]string{"channel": "dev", "reason": "again"}, map[string]string{"GITHUB_RUN_ID": "5000"}, clk.Now, clk.Sleep)
	if again.code != ExitFailure || !strings.Contains(again.stdout, "channel dev was already retired at 2026-11-22T01:15:00Z by octocat: the 1.x line ends") {
		t.Errorf("second retire: exit %d %s", again.code, again.stdout)
	}
	if w.fileLedger(t).Revision != rev || len(w.gh.Dispatches("acme/elemental-iso")) != 1 {
		t.Error("a refused retire wrote or told something")
	}

	// undo: recorded, and the channel publishes again
	clk.Advance(24 * 3600 * 1e9)
	u := w.runAt(t, clk, "retire", map[string]string{"channel": "dev", "undo": "true", "reason": "one more 1.x release"})
	if u.code != 0 || u.outputs["retired"] != "false" || u.outputs["dispatched"] != "0" {
		t.Fatalf("undo: exit %d %v\n%s", u.code, u.outputs, u.stderr)
	}
	doc = w.fileLedger(t)
	if _, still := doc.Retired(ledger.ChannelStream("dev")); still || len(doc.RetireLog) != 2 {
		t.Fatalf("after undo: log %+v", doc.RetireLog)
	}
	if ev := doc.RetireLog[1]; ev.Action != "undo" || ev.Actor != "octocat" || ev.Reason != "one more 1.x release" || ev.Version != "1.0.1" || !ev.At.Equal(clk.Now()) {
		t.Errorf("undo event %+v", ev)
	}
	d2 := publishDev(t, w, clk, "1.0.2")
	if w.tagDigest(t, "dev") != d2 || w.tagDigest(t, "dev-eol") != d1 {
		t.Errorf("after undo and a publish: dev on %s, dev-eol on %s", w.tagDigest(t, "dev"), w.tagDigest(t, "dev-eol"))
	}
	if u2 := w.runAt(t, clk, "retire", map[string]string{"channel": "dev", "undo": "true", "reason": "x"}); u2.code != ExitFailure || !strings.Contains(u2.stdout, "channel dev is not retired: nothing to undo") {
		t.Errorf("undo of what is not retired: exit %d %s", u2.code, u2.stdout)
	}
}

// TestRetireLabel: a retired label answers promote-label with decision
// retired (exit 0, nothing written, reason and date named); a label whose
// from is the retired one says so instead of promoting; cascade-branches
// from the label dispatches nothing; retention never deletes what it held.
func TestRetireLabel(t *testing.T) {
	w, clk := retireWorld(t)
	publishDev(t, w, clk, "1.0.1")
	promoteWant(t, w, clk, map[string]string{"label": "testing"}, 0, "promoted")
	publishDev(t, w, clk, "1.0.2")
	res := w.runAt(t, clk, "retire", map[string]string{"label": "testing", "reason": "testing moves to a new pipeline"})
	if res.code != 0 || res.outputs["version"] != "1.0.1" || res.outputs["dispatched"] != "1" {
		t.Fatalf("retire: exit %d %v\n%s", res.code, res.outputs, res.stderr)
	}
	mirror := dispatchesTo(t, w, "acme/mirror-sync")
	if len(mirror) != 1 || !mirror[0].Ladder.EOL || mirror[0].Ladder.Source.Label != "testing" || mirror[0].Ladder.Bundle.Version != "1.0.1" {
		t.Fatalf("dispatches to the mirror: %+v", mirror)
	}
	if w.tagDigest(t, "testing-eol") != w.tagDigest(t, "testing") {
		t.Error("testing-eol is not on the final value")
	}
	rev := w.fileLedger(t).Revision
	p := promoteWant(t, w, clk, map[string]string{"label": "testing"}, 0, "retired")
	if !strings.Contains(p.outputs["reason"], "label testing was retired at 2026-11-22T01:15:00Z (testing moves to a new pipeline)") ||
		p.outputs["version"] != "1.0.1" || p.outputs["promoted"] != "false" || !strings.Contains(p.summary, "retired") {
		t.Errorf("promote of a retired label: %v\n%s", p.outputs, p.summary)
	}
	for _, mode := range []string{"rollback", "hold"} {
		promoteWant(t, w, clk, map[string]string{"label": "testing", "mode": mode, "reason": "x"}, 0, "retired")
	}
	q := promoteWant(t, w, clk, map[string]string{"label": "current"}, 0, "retired")
	if !strings.Contains(q.outputs["reason"], "label current promotes from label testing was retired at") {
		t.Errorf("promote from a retired label: %v", q.outputs)
	}
	if w.fileLedger(t).Revision != rev {
		t.Error("promote-label wrote to the ledger")
	}
	c := w.runAtEnv(t, clk, "cascade-branches", map[string]string{"label": "testing"}, map[string]string{"GITHUB_RUN_ATTEMPT": "1"})
	if c.code != 0 || c.outputs["dispatched"] != "0" || len(w.gh.Dispatches("acme/mirror-sync")) != 1 {
		t.Errorf("cascade from a retired label: exit %d %v", c.code, c.outputs)
	}
	// undo: promotions work again
	if u := w.runAt(t, clk, "retire", map[string]string{"label": "testing", "undo": "true", "reason": "back"}); u.code != 0 {
		t.Fatalf("undo: %d %s", u.code, u.stderr)
	}
	promoteWant(t, w, clk, map[string]string{"label": "testing"}, 0, "promoted")
}

// TestRetireRerunSendsOnlyWhatIsNotDone: a retire whose end-of-life
// dispatch could not go out records the retirement and the dispatches that
// went out, fails naming the one that did not, and its rerun sends only
// that one.
func TestRetireRerunSendsOnlyWhatIsNotDone(t *testing.T) {
	w, clk := retireWorld(t)
	w.gh.CreateRepo("acme/archive")
	cfg := w.currentConfig(t) + "    - {repo: acme/archive, when: {channel: dev}}\n"
	w.writeConfig(t, cfg)
	publishDev(t, w, clk, "1.0.1")
	// acme/archive refuses the workflow's token
	res := w.runAt(t, clk, "retire", map[string]string{"channel": "dev", "reason": "eol"})
	if res.code != ExitFailure || !strings.Contains(res.stdout, "the retirement of channel dev is recorded, but 1 of 2 end-of-life dispatches not sent") ||
		!strings.Contains(res.stdout, "token cannot dispatch to acme/archive") || res.outputs["dispatched"] != "1" || !strings.Contains(res.outputs["undelivered"], "acme/archive") {
		t.Fatalf("retire with a target refused: exit %d %v\n%s\n%s", res.code, res.outputs, res.stdout, res.stderr)
	}
	r, _ := w.fileLedger(t).Retired(ledger.ChannelStream("dev"))
	if strings.Join(r.Notified, ",") != "acme/elemental-iso" || strings.Join(r.Pending(), ",") != "acme/archive" {
		t.Fatalf("notified %v pending %v", r.Notified, r.Pending())
	}
	w.gh.AddToken(actiontest.Token, map[string]string{"*": "read", "acme/elemental": "write", "acme/elemental-iso": "write", "acme/archive": "write"})
	again := w.runWith(t, "retire", map[string]string{"channel": "dev", "reason": "eol"}, map[string]string{"GITHUB_RUN_ID": "4243"}, clk.Now, clk.Sleep)
	if again.code != 0 || again.outputs["dispatched"] != "1" {
		t.Fatalf("rerun: exit %d %v\n%s", again.code, again.outputs, again.stderr)
	}
	if len(w.gh.Dispatches("acme/elemental-iso")) != 1 || len(w.gh.Dispatches("acme/archive")) != 1 {
		t.Errorf("dispatches: iso %d, archive %d; want one each", len(w.gh.Dispatches("acme/elemental-iso")), len(w.gh.Dispatches("acme/archive")))
	}
	doc := w.fileLedger(t)
	if r, _ := doc.Retired(ledger.ChannelStream("dev")); len(r.Pending()) != 0 || len(doc.RetireLog) != 1 {
		t.Errorf("after the rerun: pending %v, log %d", r.Pending(), len(doc.RetireLog))
	}
	// the same workflow run again finishes (tags), telling nobody; another run is refused
	if same := w.runAt(t, clk, "retire", map[string]string{"channel": "dev", "reason": "eol"}); same.code != 0 || same.outputs["dispatched"] != "0" {
		t.Errorf("a rerun of the same run: exit %d %v", same.code, same.outputs)
	}
	if third := w.runWith(t, "retire", map[string]string{"channel": "dev", "reason": "eol"}, map[string]string{"GITHUB_RUN_ID": "4244"}, clk.Now, clk.Sleep); third.code != ExitFailure || !strings.Contains(third.stdout, "already retired") {
		t.Errorf("a retire after everything was done: exit %d %s", third.code, third.stdout)
	}
}

// TestRetireBadInput: every mistake is a clear error naming the field and
// writes nothing: a mistake in how retire was called exits 2; what the run
// finds wrong (a name the config lacks, with a suggestion; a ledger: none)
// exits 1.
func TestRetireBadInput(t *testing.T) {
	w, clk := retireWorld(t)
	publishDev(t, w, clk, "1.0.1")
	rev := w.fileLedger(t).Revision
	env := map[string]string{"GITHUB_WORKSPACE": w.ws, "GITHUB_API_URL": w.gh.URL()}
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"retire", "--reason", "eol"}, ExitUsage, "ladder retire: input channel or label: required, and neither is set"},
		{[]string{"retire", "--channel", "dev", "--label", "testing", "--reason", "eol"}, ExitUsage, `ladder retire: inputs channel ("dev") and label ("testing") are both set`},
		{[]string{"retire", "--channel", "dev"}, ExitUsage, "ladder retire: input reason: required"},
		{[]string{"retire", "--channel", "dev", "--reason", "eol\r\nforged"}, ExitUsage, "ladder retire: input reason: control character U+000D"},
		{[]string{"retire", "--channel", "dev", "--reason", "eol", "--undo", "maybe"}, ExitUsage, `ladder retire: input undo: "maybe" is not a boolean`},
		{[]string{"retire", "--chanel", "dev", "--reason", "eol"}, ExitUsage, `unknown input --chanel`},
		{[]string{"retire", "--channel", "dve", "--reason", "eol"}, ExitFailure, `input channel: "dve" is not a channel of .github/ladder.yaml (channels: dev, staging, stable) (did you mean "dev"?)`},
		{[]string{"retire", "--label", "curent", "--reason", "eol"}, ExitFailure, `input label: "curent" is not a label of .github/ladder.yaml (labels: testing, current) (did you mean "current"?)`},
		{[]string{"retire", "--channel", "staging", "--reason", "eol"}, ExitFailure, "channel staging has never held a bundle"},
		{[]string{"retire", "--channel", "dev", "--undo", "--reason", "eol"}, ExitFailure, "channel dev is not retired: nothing to undo"},
	} {
		code, _, stderr := cliRun(t, env, c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", c.args, code, stderr, c.code, c.want)
		}
	}
	if w.fileLedger(t).Revision != rev || w.tagDigest(t, "dev-eol") != "" {
		t.Error("bad input wrote something")
	}
	w.writeConfig(t, strings.Replace(w.currentConfig(t), "ledger: file:ledger.json", "ledger: none", 1))
	if code, _, stderr := cliRun(t, env, "retire", "--channel", "dev", "--reason", "eol"); code != ExitFailure || !strings.Contains(stderr, "ladder.yaml:4:1: retire needs a ledger") {
		t.Errorf("ledger none: exit %d %s", code, stderr)
	}
}

// TestRetireDryRun changes nothing and says what it would do.
func TestRetireDryRun(t *testing.T) {
	w, clk := retireWorld(t)
	publishDev(t, w, clk, "1.0.1")
	rev := w.fileLedger(t).Revision
	res := w.runAt(t, clk, "retire", map[string]string{"channel": "dev", "reason": "eol", "dry-run": "true"})
	if res.code != 0 || res.outputs["retired"] != "true" || res.outputs["version"] != "1.0.1" || !strings.Contains(res.stdout, "dry run, nothing written: channel dev retired") {
		t.Fatalf("dry run: exit %d %v\n%s", res.code, res.outputs, res.stdout)
	}
	if w.fileLedger(t).Revision != rev || w.tagDigest(t, "dev-eol") != "" || len(w.gh.Dispatches("acme/elemental-iso")) != 0 {
		t.Error("a dry run wrote something")
	}
}

// TestRetiredInTheCatalog: `ladder catalog` deprecates the OLM channel that
// follows a retired label (olm.deprecations, the reason and date in its
// message), and operator-registry accepts the catalog.
func TestRetiredInTheCatalog(t *testing.T) {
	ws := catalogWorkspace(t, "")
	store, err := ledger.File(filepath.Join(ws, "ledger", "operator.json"), "operator")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Update(context.Background(), ledger.Message{What: "retire canary"}, func(d *ledger.Document) error {
		return d.Retire(ledger.LabelStream("canary"), ledger.Retirement{At: now.Add(-time.Hour), Actor: "carol", Reason: "canaries moved to the fleet"})
	}); err != nil {
		t.Fatal(err)
	}
	res := runCatalog(t, map[string]string{"GITHUB_WORKSPACE": ws})
	if res.code != ExitOK {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	want := `{
    "schema": "olm.deprecations",
    "package": "acme-operator",
    "entries": [
        {
            "reference": {
                "schema": "olm.channel",
                "name": "canary"
            },
            "message": "ladder label canary was retired on 2026-11-22: canaries moved to the fleet"
        }
    ]
}`
	if !strings.Contains(res.stdout, want) || strings.Count(res.stdout, "olm.deprecations") != 1 {
		t.Errorf("catalog:\n%s", res.stdout)
	}
	if err := opm.Validate(t, map[string][]byte{"acme-operator/catalog.json": []byte(res.stdout)}); err != nil {
		t.Errorf("operator-registry refuses the catalog: %v", err)
	}
}

// review15World: label testing from dev, followed by the OLM channel
// stable, no cascade.repos target (so a retirement has nothing pending),
// the registry behind a proxy that can refuse requests.
func review15World(t *testing.T) (*world, *fakeClock, *regproxy.Proxy) {
	t.Helper()
	w, p := proxiedWorld(t)
	w.writeConfig(t, w.promoteConfig("file:ledger.json", "  testing: {from: dev}\n", "")+`export:
  olm:
    package: elemental-operator
    channels: {stable: testing}
    default-channel: stable
`)
	return w, newClock(), p
}

// refuse makes the registry answer 500 to every request whose path ends
// with suffix.
func refuse(p *regproxy.Proxy, suffix string) {
	p.SetIntercept(func(rw http.ResponseWriter, r *http.Request) bool {
		if strings.HasSuffix(r.URL.Path, suffix) {
			rw.WriteHeader(http.StatusInternalServerError)
			return true
		}
		return false
	})
}

// TestReview15RetireRerunAfterRegistryDown: the registry fails after the
// retirement's ledger write (first the <name>-eol tag, then the catalog
// push). The step fails saying "rerun retire to put them right"; that
// rerun, from another workflow run or the command line (no run id), must
// put the registry right (tags, catalog) and exit 0, not answer "already
// retired" and leave the registry without the retirement for good.
func TestReview15RetireRerunAfterRegistryDown(t *testing.T) {
	w, clk, p := review15World(t)
	publishDev(t, w, clk, "1.0.0")
	promoteWant(t, w, clk, map[string]string{"label": "testing", "from": "1.0.0"}, 0, "promoted")

	// 1. the <name>-eol tag cannot be written
	refuse(p, "/manifests/testing-eol")
	res := w.runAt(t, clk, "retire", map[string]string{"label": "testing", "reason": "eol"})
	if res.code != ExitFailure || !strings.Contains(res.stdout+res.stderr, "rerun retire to put them right") {
		t.Fatalf("retire with the registry refusing the eol tag: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	if strings.Contains(res.stdout, "tagged testing and testing-eol") || !strings.Contains(res.stdout, "the tags testing and testing-eol are not written yet") {
		t.Errorf("retire whose tags failed claims them, or does not say they are missing:\n%s", res.stdout)
	}
	p.SetIntercept(nil)
	if _, ok := w.fileLedger(t).Retired(ledger.LabelStream("testing")); !ok || w.tagDigest(t, "testing-eol") != "" {
		t.Fatal("setup: the retirement is not recorded, or testing-eol was written")
	}
	clk.Advance(time.Minute)
	again := w.runAtEnv(t, clk, "retire", map[string]string{"label": "testing", "reason": "eol"}, map[string]string{"GITHUB_RUN_ID": "5001"})
	if again.code != ExitOK || again.outputs["retired"] != "true" || again.outputs["dispatched"] != "0" {
		t.Fatalf("rerun of retire after the registry came back: exit %d %v\n%s%s", again.code, again.outputs, again.stdout, again.stderr)
	}
	if d := w.tagDigest(t, "testing-eol"); d == "" || d != w.tagDigest(t, "testing") {
		t.Errorf("after the rerun testing-eol is %q, want testing's %q", d, w.tagDigest(t, "testing"))
	}
	if n := len(w.fileLedger(t).RetireLog); n != 1 {
		t.Errorf("the rerun recorded again: %d retire-log events", n)
	}
	// now that the registry shows it, a retire is refused again
	if third := w.runAtEnv(t, clk, "retire", map[string]string{"label": "testing", "reason": "eol"}, map[string]string{"GITHUB_RUN_ID": "5002"}); third.code != ExitFailure || !strings.Contains(third.stdout, "already retired") {
		t.Errorf("a retire of what is retired and shown: exit %d\n%s", third.code, third.stdout)
	}

	// 2. the tags are written, the catalog push fails
	clk.Advance(time.Minute)
	if u := w.runAt(t, clk, "retire", map[string]string{"label": "testing", "undo": "true", "reason": "back"}); u.code != ExitOK {
		t.Fatalf("undo: exit %d\n%s", u.code, u.stderr)
	}
	clk.Advance(time.Minute)
	refuse(p, "/manifests/catalog")
	res = w.runAt(t, clk, "retire", map[string]string{"label": "testing", "reason": "eol again"})
	if res.code != ExitFailure || !strings.Contains(res.stdout+res.stderr, "was not republished") {
		t.Fatalf("retire with the registry refusing the catalog: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	p.SetIntercept(nil)
	clk.Advance(time.Minute)
	if again := w.runAtEnv(t, clk, "retire", map[string]string{"label": "testing", "reason": "eol again"}, map[string]string{"GITHUB_RUN_ID": "5003"}); again.code != ExitOK {
		t.Fatalf("rerun of retire after the catalog push failed: exit %d\n%s%s", again.code, again.stdout, again.stderr)
	}
	if _, cat := pulledCatalog(t, w); !strings.Contains(cat, `"olm.deprecations"`) || !strings.Contains(cat, "eol again") {
		t.Errorf("after the rerun the catalog image does not deprecate stable:\n%s", cat)
	}
}

// TestReview15RetireRacesPromotion: promote-label decides on a pending gate
// and polls; meanwhile another run retires the label and the gate passes.
// The decision made again inside the compare-and-swap must see the
// retirement: decision retired (exit 0, the reason named), the label and
// its tags unmoved, nothing recorded but the retirement.
func TestReview15RetireRacesPromotion(t *testing.T) {
	w := newWorld(t, worldOpt{})
	clk := newClock()
	w.writeConfig(t, retentionConfig(w, true))
	publishDev(t, w, clk, "1.0.1")
	promoteWant(t, w, clk, map[string]string{"label": "testing", "from": "1.0.1", "force": "true", "reason": "first"}, 0, "promoted")
	first := w.tagDigest(t, "testing")
	publishDev(t, w, clk, "1.0.2")
	clk.onSleep = func(n int) {
		if n == 1 { // while promote-label polls its pending gate
			r := w.runWith(t, "retire", map[string]string{"label": "testing", "reason": "testing closes"}, map[string]string{"GITHUB_RUN_ID": "6000"}, newClock().Now, nil)
			if r.code != ExitOK {
				t.Errorf("retire during the poll: exit %d\n%s", r.code, r.stdout)
			}
			w.gh.AddCheckRun("rancher/elemental-cli", w.c["cli3"], "build", "completed", "success")
		}
	}
	res := promoteWant(t, w, clk, map[string]string{"label": "testing", "wait": "10m"}, 0, "retired")
	if !strings.Contains(res.outputs["reason"], "testing closes") || res.outputs["promoted"] != "false" {
		t.Errorf("promotion after the retirement: %v", res.outputs)
	}
	doc := w.fileLedger(t)
	if h, _ := doc.Head(ledger.LabelStream("testing")); h.Version != "1.0.1" || w.tagDigest(t, "testing") != first {
		t.Errorf("label testing moved past its retirement: head %s", h.Version)
	}
}
