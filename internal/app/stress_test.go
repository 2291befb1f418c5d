package app

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Masterminds/semver/v3"

	"github.com/ladder-release/ladder/internal/action/actiontest"
	"github.com/ladder-release/ladder/internal/channel"
	"github.com/ladder-release/ladder/internal/ghsim"
	"github.com/ladder-release/ladder/internal/ledger"
	"github.com/ladder-release/ladder/internal/lock"
	"github.com/ladder-release/ladder/internal/oci"
	"github.com/ladder-release/ladder/internal/promote"
	"github.com/ladder-release/ladder/internal/testutil/registry"
	"github.com/ladder-release/ladder/internal/testutil/regproxy"
)

// TestStress is issue 11 point 8: build-bundle and promote-label processes
// of the real binary, many at once, for several rounds, against the CNCF
// registry behind a proxy that fails 30% of requests (5xx, 429 with
// Retry-After, dropped and reset connections) and a GitHub whose contents
// API answers stale ledger reads (and a 502 now and then). Channel dev
// (prerelease, retention keep 2) and channel stable (bump: patch) each get
// half of the build-bundle processes; label testing follows dev and is moved
// by the promote-label processes.
//
// Each round the components advance and every build-bundle process gets a
// lock of its own, resolved at a moment of its own (the lock's created):
// two by two in the same second, and published in a shuffled order, the
// earliest-resolved lock of each channel last of all (a slow job). Each
// round also reruns two jobs of the round before (same GITHUB_RUN_ID, same
// lock) while the new ones publish, and two of the last round after it. A
// process that fails is run again with the same run id, at most
// stressAttempts times; then, with every fault off, each run that still
// failed is rerun once more and must finish, and testing is promoted once
// more.
//
// After each round, each channel's head in the ledger is checked; at the
// end, every promise of SPEC section 7 on concurrency, order and reruns (and
// section 5's "no tag left on a deleted bundle") is checked on the ledger,
// read from the simulator's state, and the registry, every tag listed and
// read. Each violation is reported with the invariant's name (as issue 11
// words it) and the versions, digests and locks involved.
//
// -short: 4 build-bundle and 2 promote-label processes, one round, keep 1.
func TestStress(t *testing.T) {
	// keep 2: every round publishes at least one dev bundle (the newest lock
	// is never superseded), so three rounds always leave one to delete; with
	// keep 3 a round whose newest lock published first (the others then
	// superseded) left exactly 3, and retention went untested
	size := stressSize{builds: 16, promotes: 8, rounds: 3, keep: 2}
	if testing.Short() {
		size = stressSize{builds: 4, promotes: 2, rounds: 1, keep: 1}
	}
	s := newStress(t, size)
	start := time.Now()
	for r := 0; r < size.rounds; r++ {
		s.round(r)
	}
	s.finalReruns()
	s.quiet()
	t.Logf("%d build-bundle and %d promote-label processes (attempts included) in %v, GOMAXPROCS %d; registry %s; %d stale ledger reads and %d GitHub 502s injected",
		s.count("build-bundle"), s.count("promote-label"), time.Since(start).Round(time.Millisecond), runtime.GOMAXPROCS(0), s.regStats, s.staleInjected, s.ghFaultsInjected)
	s.check()
}

// stressAttempts bounds how often one run is tried under faults (the same
// GITHUB_RUN_ID each time, as GitHub's "re-run job" does).
const stressAttempts = 3

const (
	stressRepo    = "acme/rel"
	stressProduct = "rel"
	stressLedger  = stressProduct + ".json"
)

// stressSize: build-bundle and promote-label processes per round, rounds,
// and dev's retention (keep).
type stressSize struct{ builds, promotes, rounds, keep int }

// stressJob is one workflow run: a build-bundle of one lock into one
// channel, or a promote-label of testing.
type stressJob struct {
	name     string // for messages: "r1 dev#3", "r1 promote#2", "rerun of r0 dev#1"
	action   string // build-bundle or promote-label
	channel  string
	round    int
	rank     int // order of resolution among its channel's locks of the round
	runID    string
	sha      string
	lockFile string
	lock     lock.Lock
	rerunOf  *stressJob
}

// stressOutcome is one process's end.
type stressOutcome struct {
	job     *stressJob
	attempt int // 1.. under faults; 0: the rerun with every fault off
	code    int
	outputs map[string]string
	err     string // the process's error annotation, or why it could not run
	seq     int    // order of completion over the whole test
}

type stress struct {
	t        *testing.T
	size     stressSize
	bin      string
	gh       *ghsim.Server
	proxy    *regproxy.Proxy
	upstream string // the registry itself, for the checks
	ws       string
	procDirs string

	mu       sync.Mutex
	outcomes []stressOutcome
	seq      int
	jobs     []*stressJob // build-bundle jobs, reruns excluded

	regStats         regproxy.Stats
	staleInjected    int
	ghFaultsInjected int
	lastCreated      time.Time
}

func newStress(t *testing.T, size stressSize) *stress {
	up := registry.Distribution(t)
	s := &stress{t: t, size: size, bin: ladderBinary(t), upstream: up, ws: t.TempDir(), procDirs: t.TempDir()}
	s.proxy = regproxy.Start(t, up)
	s.gh = ghsim.NewServer(t, ghsim.WithRateLimit(1_000_000))
	for _, r := range []string{stressRepo, "acme/app", "acme/lib"} {
		s.gh.CreateRepo(r)
	}
	s.gh.AddToken(actiontest.Token, map[string]string{"*": "read", stressRepo: "write"})
	cfg := fmt.Sprintf(`version: 1
product: %s
registry: %s/acme/rel
ledger: github
components:
  app: {repo: acme/app}
  lib: {repo: acme/lib}
channels:
  dev:
    track: {branch: main}
    version: {prerelease: dev}
    retention: {keep: %d}
  stable:
    track: {semver: ">=0.1.0"}
    version: {bump: patch}
labels:
  testing: {from: dev}
`, stressProduct, s.proxy.Host(), size.keep)
	if err := os.MkdirAll(filepath.Join(s.ws, ".github"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.ws, ".github", "ladder.yaml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return s
}

// round advances the components, writes one lock per build-bundle job and
// runs the round's processes under faults.
func (s *stress) round(r int) {
	t := s.t
	t.Helper()
	perChannel := s.size.builds / 2
	// Resolution moments: 600 ms apart per channel, stable 150 ms after dev,
	// so locks pair up within one second; before the round starts, after
	// every lock of the rounds before.
	base := time.Now().UTC().Add(-5 * time.Second)
	if !base.After(s.lastCreated) {
		base = s.lastCreated.Add(time.Second)
	}
	libSHA := s.gh.Commit("acme/lib", "main", fmt.Sprintf("lib: round %d", r))
	libTag := fmt.Sprintf("v1.%d.0", r)
	s.gh.Tag("acme/lib", libTag, libSHA)
	var round []*stressJob
	for ci, ch := range []string{"dev", "stable"} {
		for k := 0; k < perChannel; k++ {
			app := s.gh.Commit("acme/app", "main", fmt.Sprintf("app: round %d, %s lock %d", r, ch, k))
			e := []lock.Entry{
				{Name: "app", Repo: "acme/app", Ref: "refs/heads/main", Version: "main", Commit: app},
				{Name: "lib", Repo: "acme/lib", Ref: "refs/heads/main", Version: "main", Commit: libSHA},
			}
			if ch == "stable" {
				tag := fmt.Sprintf("v0.%d.%d", r+1, k)
				s.gh.Tag("acme/app", tag, app)
				e[0].Ref, e[0].Version = "refs/tags/"+tag, strings.TrimPrefix(tag, "v")
				e[1].Ref, e[1].Version = "refs/tags/"+libTag, strings.TrimPrefix(libTag, "v")
			}
			created := base.Add(time.Duration(k)*600*time.Millisecond + time.Duration(ci)*150*time.Millisecond)
			if created.After(s.lastCreated) {
				s.lastCreated = created
			}
			j := &stressJob{
				name: fmt.Sprintf("r%d %s#%d", r, ch, k), action: "build-bundle", channel: ch, round: r, rank: k,
				runID: fmt.Sprint(10000 + 1000*r + 100*ci + k), sha: stressSHA(1, r, 10*ci+k),
				lockFile: fmt.Sprintf("lock-r%d-%s-%d.json", r, ch, k),
				lock:     lock.Lock{Schema: lock.Schema, Product: stressProduct, Channel: ch, Created: created, Components: e},
			}
			if err := os.WriteFile(filepath.Join(s.ws, j.lockFile), j.lock.JSON(), 0o644); err != nil {
				t.Fatal(err)
			}
			round = append(round, j)
		}
	}
	s.jobs = append(s.jobs, round...)
	for i := 0; i < s.size.promotes; i++ {
		round = append(round, &stressJob{name: fmt.Sprintf("r%d promote#%d", r, i), action: "promote-label", round: r,
			runID: fmt.Sprint(50000 + 1000*r + i), sha: stressSHA(2, r, i)})
	}
	if r > 0 {
		round = append(round, s.reruns(r-1)...)
	}
	s.run(r, round)
}

// reruns picks two build-bundle jobs of round r to run again: dev's newest
// lock (published, most likely) and stable's oldest (the slow job).
func (s *stress) reruns(r int) []*stressJob {
	var out []*stressJob
	perChannel := s.size.builds / 2
	for _, j := range s.jobs {
		if j.round == r && (j.channel == "dev" && j.rank == perChannel-1 || j.channel == "stable" && j.rank == 0) {
			c := *j
			c.name, c.rerunOf = "rerun of "+j.name, j
			out = append(out, &c)
		}
	}
	return out
}

// finalReruns reruns two jobs of the last round, under faults, with a few
// promotions alongside.
func (s *stress) finalReruns() {
	last := s.size.rounds - 1
	jobs := s.reruns(last)
	for i := 0; i < s.size.promotes/2; i++ {
		jobs = append(jobs, &stressJob{name: fmt.Sprintf("final promote#%d", i), action: "promote-label", round: last + 1,
			runID: fmt.Sprint(90000 + i), sha: stressSHA(3, 0, i)})
	}
	s.run(last+1, jobs)
}

// run starts the jobs in a shuffled order, 25 ms apart, each with two stale
// ledger reads injected before it (and a GitHub 502 before every fourth);
// the earliest-resolved lock of each channel waits for its channel's other
// locks of the round to finish first.
func (s *stress) run(r int, jobs []*stressJob) {
	s.proxy.SetFaults(regproxy.Faults{Rate: 0.30, Seed: int64(1 + r)})
	rng := rand.New(rand.NewSource(int64(42 + r)))
	rng.Shuffle(len(jobs), func(i, j int) { jobs[i], jobs[j] = jobs[j], jobs[i] })
	others := map[string]*sync.WaitGroup{"dev": {}, "stable": {}}
	slow := func(j *stressJob) bool { return j.action == "build-bundle" && j.rerunOf == nil && j.rank == 0 }
	for _, j := range jobs {
		if j.action == "build-bundle" && j.rerunOf == nil && !slow(j) {
			others[j.channel].Add(1)
		}
	}
	var wg sync.WaitGroup
	for i, j := range jobs {
		s.gh.StaleReads(stressRepo, stressLedger, 2)
		s.staleInjected += 2
		if i%4 == 3 {
			s.gh.Inject(ghsim.Fault{Method: http.MethodGet, Path: "/repos/" + stressRepo + "/contents/" + stressLedger, Status: http.StatusBadGateway})
			s.ghFaultsInjected++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if slow(j) {
				others[j.channel].Wait()
			}
			s.attempts(j)
			if j.action == "build-bundle" && j.rerunOf == nil && !slow(j) {
				others[j.channel].Done()
			}
		}()
		time.Sleep(25 * time.Millisecond)
	}
	wg.Wait()
	if r < s.size.rounds {
		doc := s.readLedger()
		s.checkHeads(doc, nil, s.describer(doc), fmt.Sprintf("after round %d", r))
	}
	st := s.proxy.Stats()
	s.regStats = mergeStats(s.regStats, st)
	s.proxy.Reset()
}

// stressSHA is a workflow run's GITHUB_SHA, distinct in its first 7
// characters (its sha- tag) for each kind of run, round and job.
func stressSHA(kind, round, job int) string {
	return fmt.Sprintf("%02x%02x%03x%033x", kind, round, job, 0)
}

func mergeStats(a, b regproxy.Stats) regproxy.Stats {
	out := regproxy.Stats{Total: a.Total + b.Total, ByMethod: map[string]int{}, ByKind: map[regproxy.Kind]int{}, Faults: map[regproxy.Fault]int{}}
	for _, s := range []regproxy.Stats{a, b} {
		for k, v := range s.ByKind {
			out.ByKind[k] += v
		}
		for k, v := range s.Faults {
			out.Faults[k] += v
		}
		for k, v := range s.ByMethod {
			out.ByMethod[k] += v
		}
	}
	return out
}

// attempts runs the job until it exits 0, at most stressAttempts times.
func (s *stress) attempts(j *stressJob) {
	for a := 1; a <= stressAttempts; a++ {
		if s.exec(j, a).code == 0 {
			return
		}
	}
}

// exec runs the job's process once and records its end.
func (s *stress) exec(j *stressJob, attempt int) stressOutcome {
	in := map[string]string{"token": actiontest.Token}
	if j.action == "build-bundle" {
		in["channel"], in["lock-file"] = j.channel, j.lockFile
	} else {
		in["label"] = "testing"
	}
	env := map[string]string{
		"GITHUB_API_URL":    s.gh.URL(),
		"GITHUB_SERVER_URL": s.gh.ServerURL(),
		"GITHUB_REPOSITORY": stressRepo,
		"GITHUB_WORKSPACE":  s.ws,
		"GITHUB_REF":        "refs/heads/main",
		"GITHUB_ACTOR":      "stress",
		"GITHUB_RUN_ID":     j.runID,
		"GITHUB_SHA":        j.sha,
	}
	o := stressOutcome{job: j, attempt: attempt, code: -1}
	dir, err := os.MkdirTemp(s.procDirs, "proc-")
	if err != nil {
		o.err = err.Error()
	} else {
		p, err := execProcess(s.bin, dir, j.action, in, env)
		o.code, o.outputs = p.code, p.outputs
		switch {
		case err != nil:
			o.code, o.err = -1, err.Error()
		case p.code != 0:
			o.err = errorAnnotation(p.stdout + p.stderr)
		}
	}
	s.mu.Lock()
	s.seq++
	o.seq = s.seq
	s.outcomes = append(s.outcomes, o)
	s.mu.Unlock()
	return o
}

// errorAnnotation is the first ::error:: line of a run's output (or its last
// line when there is none), shortened for a log.
func errorAnnotation(out string) string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	msg := lines[len(lines)-1]
	for _, l := range lines {
		if i := strings.Index(l, "::error"); i >= 0 {
			msg = l[i:]
			break
		}
	}
	if len(msg) > 400 {
		msg = msg[:400] + "..."
	}
	return msg
}

// final is each run's last outcome (keyed by job).
func (s *stress) final() map[*stressJob]stressOutcome {
	out := map[*stressJob]stressOutcome{}
	for _, o := range s.outcomes {
		if prev, ok := out[o.job]; !ok || o.seq > prev.seq {
			out[o.job] = o
		}
	}
	return out
}

func (s *stress) count(action string) int {
	n := 0
	for _, o := range s.outcomes {
		if o.job.action == action {
			n++
		}
	}
	return n
}

// quiet turns every fault off, reads the stale answers left over away,
// reruns each run that failed under faults (a rerun finishes the job: SPEC
// section 7, reruns) and promotes testing once more.
func (s *stress) quiet() {
	t := s.t
	s.proxy.SetFaults(regproxy.Faults{})
	left := s.gh.PendingFaults()
	for i := 0; s.gh.PendingFaults() > 0 && i < 1000; i++ {
		resp, err := http.Get(s.gh.URL() + "/repos/" + stressRepo + "/contents/" + stressLedger + "?ref=" + ledger.Branch)
		if err == nil {
			resp.Body.Close()
		}
	}
	t.Logf("%d of %d stale ledger reads and GitHub 502s were answered to the processes", s.staleInjected+s.ghFaultsInjected-left, s.staleInjected+s.ghFaultsInjected)
	var failed []*stressJob
	for j, o := range s.final() {
		if o.code != 0 {
			failed = append(failed, j)
		}
	}
	sort.Slice(failed, func(a, b int) bool { return failed[a].name < failed[b].name })
	for _, j := range failed {
		o := s.final()[j]
		t.Logf("failed %d times under faults: %s (%s run %s): %s", o.attempt, j.name, j.action, j.runID, o.err)
	}
	for _, j := range failed {
		if o := s.exec(j, 0); o.code != 0 {
			t.Errorf("a rerun finishes the job: %s (run %s) failed again with every fault off: exit %d: %s", j.name, j.runID, o.code, o.err)
		}
	}
	last := &stressJob{name: "quiet promote", action: "promote-label", round: s.size.rounds + 1, runID: "99999", sha: stressSHA(4, 0, 0)}
	if o := s.exec(last, 0); o.code != 0 {
		t.Errorf("label takes its source's newest: the last promotion, with every fault off, failed: exit %d: %s", o.code, o.err)
	}
}

// check reads the ledger and the registry and reports every broken promise.
func (s *stress) check() {
	t := s.t
	ctx := context.Background()
	doc := s.readLedger()
	if err := doc.Validate(); err != nil {
		t.Errorf("ledger valid: %v", err)
	}
	c := newTestOCI(t)
	repo := s.upstream + "/acme/rel"
	tags, err := c.Tags(ctx, repo)
	if err != nil {
		t.Fatal(err)
	}
	onTag := map[string]string{} // tag -> digest
	for _, tag := range tags {
		d, err := c.Head(ctx, repo+":"+tag)
		if errors.Is(err, oci.ErrNotFound) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		onTag[tag] = d.Digest
	}
	describe := s.describer(doc)
	for _, ch := range []string{"dev", "stable"} {
		t.Logf("stream %s: %s", ch, streamLog(doc, ledger.ChannelStream(ch), describe))
	}
	t.Logf("stream testing: %s", streamLog(doc, ledger.LabelStream("testing"), describe))
	t.Logf("%d bundles, %d deletions, %d registry tags", len(doc.Bundles), len(doc.Deletions), len(onTag))

	s.checkBundles(doc, onTag)
	s.checkHeads(doc, onTag, describe, "at the end")
	s.checkStreams(doc, describe)
	s.checkDeletions(doc, onTag)
	s.checkLabel(doc, onTag, describe)

	// the test itself: did it test what it says?
	switch {
	case len(doc.Deletions) > 0:
	case testing.Short():
		// one short round may publish a single dev bundle (the others
		// superseded by the order they finish in): nothing to delete
		t.Logf("retention was not exercised this time: nothing deleted with keep %d", s.size.keep)
	default:
		t.Errorf("the test did not exercise retention: nothing deleted with keep %d", s.size.keep)
	}
	if st := s.regStats; st.FaultTotal() < st.Total/5 {
		t.Errorf("only %d of %d registry requests faulted: the test is not testing faults", st.FaultTotal(), st.Total)
	}
}

// readLedger reads the ledger file from the simulator's state (no request,
// so no fault).
func (s *stress) readLedger() *ledger.Document {
	s.t.Helper()
	data, ok := s.gh.File(stressRepo, ledger.Branch, stressLedger)
	if !ok {
		s.t.Fatal("no ledger on GitHub")
	}
	doc, err := ledger.Parse(data)
	if err != nil {
		s.t.Fatal(err)
	}
	return doc
}

// describer names a bundle by version, digest and the job whose lock it
// holds, with the lock's resolution time.
func (s *stress) describer(doc *ledger.Document) func(digest string) string {
	byLock := map[string]*stressJob{}
	for _, j := range s.jobs {
		byLock[j.lock.Digest()] = j
	}
	return func(digest string) string {
		b, ok := doc.BundleByDigest(digest)
		if !ok {
			return digest + " (not in the ledger)"
		}
		if j := byLock[b.LockDigest]; j != nil {
			return fmt.Sprintf("%s (%s, lock of %s resolved %s)", b.Version, short(digest), j.name, j.lock.Created.Format("15:04:05.000"))
		}
		return fmt.Sprintf("%s (%s)", b.Version, short(digest))
	}
}

func short(digest string) string {
	if len(digest) > 19 {
		return digest[:19]
	}
	return digest
}

func streamLog(doc *ledger.Document, stream string, describe func(string) string) string {
	var parts []string
	for _, e := range doc.Stream(stream) {
		parts = append(parts, describe(e.Digest))
	}
	return strings.Join(parts, " -> ")
}

// checkBundles: every bundle in the ledger, no version reused, every version
// tag on its own digest, no lock twice.
func (s *stress) checkBundles(doc *ledger.Document, onTag map[string]string) {
	t := s.t
	ctx := context.Background()
	c := newTestOCI(t)
	versionOf := map[string]string{} // version -> digest, from the ledger and every output
	for _, b := range doc.Bundles {
		if d, dup := versionOf[b.Version]; dup && d != b.Digest {
			t.Errorf("no version reused: the ledger holds %s twice, as %s and %s", b.Version, d, b.Digest)
		}
		versionOf[b.Version] = b.Digest
	}
	// every output that names a bundle names one the ledger holds as it says
	for _, o := range s.outcomes {
		if o.job.action != "build-bundle" || o.outputs["digest"] == "" {
			continue
		}
		v, d := o.outputs["version"], o.outputs["digest"]
		b, ok := doc.Bundle(v)
		switch {
		case !ok:
			t.Errorf("every bundle in the ledger: %s (attempt %d) output version %s (%s), which the ledger does not hold", o.job.name, o.attempt, v, d)
			continue
		case b.Digest != d:
			t.Errorf("no version reused: %s (attempt %d) output version %s as %s, the ledger holds it as %s", o.job.name, o.attempt, v, d, b.Digest)
		}
		if o.outputs["published"] == "true" && (b.LockDigest != o.job.lock.Digest() || b.Channel != o.job.channel) {
			t.Errorf("every bundle in the ledger: %s published %s with lock %s into %s, the ledger has lock %s in %s",
				o.job.name, v, o.job.lock.Digest(), o.job.channel, b.LockDigest, b.Channel)
		}
	}
	// a rerun names the bundle its run published
	for _, j := range s.jobs {
		published := ""
		for _, o := range s.outcomes {
			if o.job == j && o.outputs["published"] == "true" {
				published = o.outputs["version"]
			}
		}
		for _, o := range s.outcomes {
			if o.job.rerunOf == j && o.code == 0 && published != "" && o.outputs["version"] != published {
				t.Errorf("a rerun finishes the job: %s published %s; its rerun (attempt %d) answered published=%s version %s",
					j.name, published, o.attempt, o.outputs["published"], o.outputs["version"])
			}
		}
	}
	// every version tag in the registry is a ledger bundle, on its digest
	for tag, d := range onTag {
		v := strings.ReplaceAll(tag, "_", "+")
		if _, err := semver.StrictNewVersion(v); err != nil {
			continue
		}
		b, ok := doc.Bundle(v)
		switch {
		case !ok:
			t.Errorf("every bundle in the ledger: registry tag %s holds %s, a version the ledger does not have", tag, d)
		case b.Digest != d:
			t.Errorf("every version tag on its own digest: tag %s is on %s, the ledger's %s is %s", tag, d, v, b.Digest)
		}
	}
	lockIn := map[string]string{} // channel + lock digest -> version
	for _, b := range doc.Bundles {
		if _, err := c.Head(ctx, s.upstream+"/acme/rel@"+b.Digest); err != nil {
			t.Errorf("every bundle in the ledger: the ledger's %s (%s) is not in the registry: %v", b.Version, b.Digest, err)
		}
		if !doc.Deleted(b.Version) && onTag[channel.VersionTag(b.Version)] != b.Digest {
			t.Errorf("every version tag on its own digest: the ledger's %s is %s, its tag holds %q", b.Version, b.Digest, onTag[channel.VersionTag(b.Version)])
		}
		key := b.Channel + " " + b.LockDigest
		if prev, dup := lockIn[key]; dup {
			name := "?"
			if j := s.lockJob(b.LockDigest); j != nil {
				name = j.name
			}
			t.Errorf("no lock twice: channel %s holds the lock of %s (%s) twice, as %s and %s", b.Channel, name, b.LockDigest, prev, b.Version)
		}
		lockIn[key] = b.Version
	}
}

func (s *stress) lockJob(digest string) *stressJob {
	for _, j := range s.jobs {
		if j.lock.Digest() == digest {
			return j
		}
	}
	return nil
}

// checkHeads: each channel on its last resolved lock. Of the locks whose
// publish ended well (published, or answered superseded or already
// published) or that the ledger holds, the one resolved last is the
// channel's head in the ledger and, when onTag is given (at the end, after
// the failed runs were rerun), under the channel's tag. when says at which
// point of the test.
func (s *stress) checkHeads(doc *ledger.Document, onTag map[string]string, describe func(string) string, when string) {
	t := s.t
	final := s.final()
	inLedger := map[string]bool{}
	for _, b := range doc.Bundles {
		inLedger[b.Channel+" "+b.LockDigest] = true
	}
	for _, ch := range []string{"dev", "stable"} {
		var want *stressJob
		for _, j := range s.jobs {
			if j.channel != ch {
				continue
			}
			ended := inLedger[ch+" "+j.lock.Digest()]
			for job, o := range final {
				ended = ended || (job == j || job.rerunOf == j) && o.code == 0
			}
			if ended && (want == nil || j.lock.Created.After(want.lock.Created)) {
				want = j
			}
		}
		head, ok := doc.Head(ledger.ChannelStream(ch))
		if !ok || want == nil {
			t.Errorf("each channel on its last resolved lock (%s): channel %s has no head (%v) or no lock ended well (%v)", when, ch, ok, want != nil)
			continue
		}
		hb, _ := doc.BundleByDigest(head.Digest)
		if hb.LockDigest != want.lock.Digest() {
			t.Errorf("each channel on its last resolved lock (%s): channel %s is on %s, but the last resolved lock that was published is %s's, resolved %s",
				when, ch, describe(head.Digest), want.name, want.lock.Created.Format("15:04:05.000"))
		}
		if onTag != nil && onTag[ch] != head.Digest {
			t.Errorf("each channel on its last resolved lock: registry tag %s is on %s, the ledger's head is %s", ch, onTag[ch], describe(head.Digest))
		}
	}
}

// checkStreams: versions increasing along each stream, and a valid upgrade
// graph.
func (s *stress) checkStreams(doc *ledger.Document, describe func(string) string) {
	t := s.t
	for _, name := range doc.StreamNames() {
		es := doc.Stream(name)
		for i := 1; i < len(es); i++ {
			if c, err := promote.Compare(es[i].Version, es[i-1].Version); err != nil || c <= 0 {
				t.Errorf("versions increasing along each stream: %s moved from %s to %s (move %d of %d)", name, describe(es[i-1].Digest), describe(es[i].Digest), i, len(es)-1)
			}
		}
		if _, err := doc.Graph(name); err != nil {
			t.Errorf("upgrade graph of %s: %v", name, err)
		}
	}
}

// checkDeletions: no deleted version tagged, and no tag at all (composite
// id, sha-…, extra tags) left on a deleted bundle (SPEC section 5).
func (s *stress) checkDeletions(doc *ledger.Document, onTag map[string]string) {
	t := s.t
	for _, del := range doc.Deletions {
		if d, ok := onTag[channel.VersionTag(del.Version)]; ok {
			t.Errorf("no deleted version tagged: retention deleted %s (%s), its tag is on %s", del.Version, del.Digest, d)
		}
		var left []string
		for tag, d := range onTag {
			if d == del.Digest && tag != channel.VersionTag(del.Version) {
				left = append(left, tag)
			}
		}
		if len(left) > 0 {
			slices.Sort(left)
			t.Errorf("no tag left on a deleted bundle (SPEC section 5): retention deleted %s (%s), tags %s still point at it", del.Version, short(del.Digest), strings.Join(left, ", "))
		}
	}
}

// checkLabel: the label on the highest version promoted, every promotion in
// its history, its tags on the ledger's values, and, after the last quiet
// promotion, on its source's newest.
func (s *stress) checkLabel(doc *ledger.Document, onTag map[string]string, describe func(string) string) {
	t := s.t
	stream := doc.Stream(ledger.LabelStream("testing"))
	head, ok := doc.Head(ledger.LabelStream("testing"))
	if !ok {
		t.Errorf("the label on the highest version: testing was never promoted")
		return
	}
	inStream := map[string]bool{}
	highest := ""
	for _, e := range stream {
		inStream[e.Version] = true
		if c, err := promote.Compare(e.Version, highest); highest == "" || err == nil && c > 0 {
			highest = e.Version
		}
	}
	for _, o := range s.outcomes {
		if o.job.action != "promote-label" || o.outputs["promoted"] != "true" {
			continue
		}
		v := o.outputs["version"]
		if !inStream[v] {
			t.Errorf("the label on the highest version: %s (attempt %d) promoted testing to %s, which its history lacks", o.job.name, o.attempt, v)
		}
		if c, err := promote.Compare(v, highest); err == nil && c > 0 {
			highest = v
		}
	}
	if head.Version != highest {
		t.Errorf("the label on the highest version: testing is on %s, the highest version promoted is %s", describe(head.Digest), highest)
	}
	if onTag["testing"] != head.Digest {
		t.Errorf("the label on the highest version: registry tag testing is on %s, the ledger's head is %s", onTag["testing"], describe(head.Digest))
	}
	if head.PreviousDigest != "" && onTag["testing-previous"] != head.PreviousDigest {
		t.Errorf("the label on the highest version: registry tag testing-previous is on %s, the ledger says %s", onTag["testing-previous"], describe(head.PreviousDigest))
	}
	if dev, ok := doc.Head(ledger.ChannelStream("dev")); ok && dev.Digest != head.Digest {
		t.Errorf("label takes its source's newest: after a last promotion with every fault off, testing is on %s, dev's head is %s", describe(head.Digest), describe(dev.Digest))
	}
}
