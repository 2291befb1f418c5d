package ledger

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/ladder-release/ladder/internal/clock"
	"github.com/ladder-release/ladder/internal/config"
	"github.com/ladder-release/ladder/internal/gh"
	"github.com/ladder-release/ladder/internal/ghsim"
	"github.com/ladder-release/ladder/internal/testutil/fixture"
)

const repo = "acme/app"

// sim starts a GitHub simulator holding acme/app, and a client on it with
// ladder's retry policy on a clock that does not wait.
func sim(t testing.TB, opts ...ghsim.Option) (*ghsim.Server, *github.Client) {
	t.Helper()
	srv := ghsim.NewServer(t, opts...)
	srv.CreateRepo(repo)
	c, err := gh.New(gh.WithAPIURL(srv.URL()), gh.WithToken("t0ken"), gh.WithClock(clock.NewFake(time.Now())))
	if err != nil {
		t.Fatal(err)
	}
	return srv, c.REST()
}

// noWait retries conflicts at once (the jitter still spreads real writers).
var noWait = WithClock(clock.Funcs{SleepFunc: func(context.Context, time.Duration) error { return nil }})

func ghStore(t testing.TB, c *github.Client, opts ...Option) *GitHubStore {
	t.Helper()
	s, err := GitHub(c, repo, "app", append([]Option{noWait}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func count(srv *ghsim.Server, route string) int { return srv.Counts()[route] }

// statuses counts the answers srv gave to the requests to route, by status.
func statuses(srv *ghsim.Server, route string) map[int]int {
	n := map[int]int{}
	for _, r := range srv.Requests() {
		if r.Route == route {
			n[r.Status]++
		}
	}
	return n
}

// answered counts the requests to route that srv answered with status.
func answered(srv *ghsim.Server, route string, status int) int { return statuses(srv, route)[status] }

// onlyReads fails for each request srv answered that was not a GET: the
// store wrote.
func onlyReads(t *testing.T, srv *ghsim.Server) {
	t.Helper()
	for _, r := range srv.Requests() {
		if r.Method != http.MethodGet {
			t.Errorf("the store sent %s %s", r.Method, r.Path)
		}
	}
}

const (
	routeGetContents = "GET /repos/{owner}/{repo}/contents/{path...}"
	routePutContents = "PUT /repos/{owner}/{repo}/contents/{path...}"
	routeGetBlob     = "GET /repos/{owner}/{repo}/git/blobs/{sha}"
	routeCreateRef   = "POST /repos/{owner}/{repo}/git/refs"
)

func TestGitHubCreatesOnFirstWrite(t *testing.T) {
	ctx := context.Background()
	srv, c := sim(t)
	s := ghStore(t, c)

	d, err := s.Read(ctx)
	if err != nil || d.Product != "app" || len(d.Bundles) != 0 {
		t.Fatalf("Read before anything exists: %+v, %v", d, err)
	}
	if _, ok := srv.Head(repo, Branch); ok {
		t.Fatal("Read created the branch")
	}

	msg := Message{What: "publish dev 1.0.1", Actor: "octocat", Run: "https://github.com/acme/app/actions/runs/42"}
	if _, err := s.Update(ctx, msg, publishNext("a", 0)); err != nil {
		t.Fatal(err)
	}
	hist := srv.History(repo, Branch)
	if len(hist) != 1 || len(hist[0].Parents) != 0 {
		t.Fatalf("the ledger branch is not an orphan whose first commit is the write: %+v", hist)
	}
	if hist[0].Message != msg.String() {
		t.Errorf("commit message %q, want %q", hist[0].Message, msg.String())
	}
	for _, want := range []string{"ladder: publish dev 1.0.1", "actor: octocat", "run: https://github.com/acme/app/actions/runs/42"} {
		if !strings.Contains(hist[0].Message, want) {
			t.Errorf("commit message %q lacks %q", hist[0].Message, want)
		}
	}
	data, ok := srv.File(repo, Branch, "app.json")
	if !ok {
		t.Fatal("no app.json on the ledger branch")
	}
	got, err := Parse(data)
	if err != nil || len(got.Bundles) != 1 || got.Bundles[0].Version != "1.0.1" {
		t.Fatalf("stored ledger: %v %+v", err, got)
	}
	secondWrite(t, srv, s)
}

// secondWrite checks that the first write created the branch, once, and
// that the store's next write is a GET (the document it cached) and a PUT:
// no branch creation.
func secondWrite(t *testing.T, srv *ghsim.Server, s Store) {
	t.Helper()
	if n := count(srv, routeCreateRef); n != 1 {
		t.Errorf("%d branch creations, want 1", n)
	}
	srv.ResetStats()
	if _, err := s.Update(context.Background(), Message{What: "publish dev 1.0.2"}, publishNext("a", 1)); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Requests()); n != 2 {
		t.Errorf("the second write made %d requests, want 2 (GET and PUT contents): %+v", n, srv.Requests())
	}
}

// TestGitHubBranchCreatedConcurrently: the branch appears between our look
// and our creation; 422 "Reference already exists" is fine.
func TestGitHubBranchCreatedConcurrently(t *testing.T) {
	srv, c := sim(t)
	s := ghStore(t, c)
	srv.Inject(ghsim.Fault{Method: "POST", Path: "/repos/acme/app/git/refs", Before: func() {
		srv.Commit(repo, Branch, "someone else created the ledger branch")
	}})
	if _, err := s.Update(context.Background(), Message{What: "publish"}, publishNext("a", 0)); err != nil {
		t.Fatal(err)
	}
	if _, ok := srv.File(repo, Branch, "app.json"); !ok {
		t.Fatal("not written")
	}
}

// TestGitHubRacingWriters slips a whole write by another job in between a
// GET and a PUT, first when the file does not exist yet (422: sha wasn't
// supplied), then when it does (409): both writes land, in order, and the
// loser re-applied its change to the winner's document.
func TestGitHubRacingWriters(t *testing.T) {
	ctx := context.Background()
	srv, c := sim(t)
	// The branch exists (another product's ledger is on it): app.json's
	// first write is a PUT too (TestLedgerBranchCreatedByTwoStores races
	// the branch's creation).
	srv.PutFile(repo, Branch, "tools.json", NewDocument("tools").Marshal(), "another product's ledger")
	a, b := ghStore(t, c), ghStore(t, c)

	for round := 0; round < 2; round++ {
		var bErr error
		srv.Inject(ghsim.Fault{Method: "PUT", Path: "/repos/acme/app/contents/app.json", Before: func() {
			_, bErr = b.Update(ctx, Message{What: "publish by b"}, publishNext("b", round))
		}})
		calls := 0
		fn := publishNext("a", round)
		d, err := a.Update(ctx, Message{What: "publish by a"}, func(d *Document) error { calls++; return fn(d) })
		if err != nil || bErr != nil {
			t.Fatalf("round %d: a: %v, b: %v", round, err, bErr)
		}
		if calls != 2 {
			t.Errorf("round %d: a's fn ran %d times, want 2 (once more after the conflict)", round, calls)
		}
		want := []string{fmt.Sprintf("1.0.%d", 2*round+1), fmt.Sprintf("1.0.%d", 2*round+2)}
		bb, _ := d.BundleByDigest(fixture.Digest("b", round))
		ab, _ := d.BundleByDigest(fixture.Digest("a", round))
		if bb.Version != want[0] || ab.Version != want[1] {
			t.Errorf("round %d: b got %s and a got %s, want %v", round, bb.Version, ab.Version, want)
		}
	}
	if puts := statuses(srv, routePutContents); puts[http.StatusUnprocessableEntity] != 1 || puts[http.StatusConflict] != 1 {
		t.Errorf("PUT answers %v, want one 422 (file created under us) and one 409 (sha moved)", puts)
	}
	d, _ := ghStore(t, c).ReadAll(ctx)
	checkNoLoss(t, d, []string{"a", "b"}, 2)
}

// TestGitHubConcurrent: 8 writers, 25 publishes each, one ledger: no loss.
func TestGitHubConcurrent(t *testing.T) {
	ctx := context.Background()
	// 200 writes from one token in a second, far past GitHub's 80 a minute:
	// this test is about loss, not pacing.
	srv, c := sim(t, ghsim.WithSecondaryLimit(0))
	shared := ghStore(t, c, WithMaxAttempts(1000), WithBackoff(2*time.Millisecond, 100*time.Millisecond),
		WithClock(clock.System()))
	var writers []string
	var wg sync.WaitGroup
	var failed atomic.Int32
	for g := 0; g < 8; g++ {
		w := "job" + strconv.Itoa(g)
		writers = append(writers, w)
		// Half the writers share a store (and its cache), half have their own, as separate jobs do.
		s := shared
		if g%2 == 1 {
			s = ghStore(t, c, WithMaxAttempts(1000), WithBackoff(2*time.Millisecond, 100*time.Millisecond), WithClock(clock.System()))
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 25; i++ {
				if _, err := s.Update(ctx, Message{What: "publish " + w, Actor: w}, publishNext(w, i)); err != nil {
					t.Errorf("%s publish %d: %v", w, i, err)
					failed.Add(1)
					return
				}
			}
		}()
	}
	wg.Wait()
	if failed.Load() > 0 {
		t.FailNow()
	}
	d, err := ghStore(t, c).ReadAll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	checkNoLoss(t, d, writers, 25)
	if n := len(srv.History(repo, Branch)); n != 200 {
		t.Errorf("%d commits on the ledger branch, want 200 (one per publish)", n)
	}
	t.Logf("%d conflicts retried", answered(srv, routePutContents, http.StatusConflict))
}

// bigDocument is a ledger of n bundles, every one published into dev and
// every tenth promoted to current.
func bigDocument(tb testing.TB, n int) *Document {
	tb.Helper()
	d := NewDocument("app")
	d.Bundles = make([]Bundle, 0, n+1024)
	for i := 0; i < n; i++ {
		v := fmt.Sprintf("1.%d.%d-dev.20261122T011500.b366a24", i/1000, i%1000)
		b := Bundle{Version: v, Digest: fixture.Digest("big", i), LockDigest: fixture.Digest("lock", i),
			ID: "b366a24-c116a45-a123c56", Channel: "dev", Created: fixture.T0.Add(time.Duration(i) * time.Minute),
			Actor: "github-actions[bot]", Run: "https://github.com/acme/app/actions/runs/" + strconv.Itoa(9000000000+i),
			ArtifactType: "application/vnd.ladder.bundle.v1+json", Mode: ModeArtifact}
		if err := d.AddBundle(b); err != nil {
			tb.Fatal(err)
		}
		if err := d.Append(ChannelStream("dev"), Entry{Version: v, At: b.Created, Actor: b.Actor, Run: b.Run,
			Decision: "published"}); err != nil {
			tb.Fatal(err)
		}
		if i%10 == 0 {
			if err := d.Append(LabelStream("current"), Entry{Version: v, At: b.Created, Actor: b.Actor, Run: b.Run,
				Decision: "promoted", Reason: "gates passed: build, e2e"}); err != nil {
				tb.Fatal(err)
			}
		}
	}
	return d
}

// TestGitHubLargeDocument: a ledger over 1 MB comes back from GET contents
// without its content; the store reads the blob, and writes it back.
func TestGitHubLargeDocument(t *testing.T) {
	ctx := context.Background()
	srv, c := sim(t)
	big := bigDocument(t, 10000)
	data := big.Marshal()
	if len(data) <= 1<<20 {
		t.Fatalf("the document is %d bytes, not over 1 MB", len(data))
	}
	srv.Commit(repo, Branch, "create the ledger branch")
	srv.PutFile(repo, Branch, "app.json", data, "ladder: seed")

	d, err := ghStore(t, c).Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Bundles) != 10000 || count(srv, routeGetBlob) != 1 {
		t.Fatalf("%d bundles read, %d blob reads; want 10000 and 1", len(d.Bundles), count(srv, routeGetBlob))
	}
	s := ghStore(t, c)
	if _, err := s.Update(ctx, Message{What: "publish"}, publishNext("big", 10000)); err != nil {
		t.Fatal(err)
	}
	// (the write migrated the ledger into a state and segments: read it all)
	got, err := ghStore(t, c).ReadAll(ctx)
	if err != nil || len(got.Bundles) != 10001 || got.Bundles[10000].Version != "1.0.10001" {
		t.Fatalf("after the write: %v, %d bundles", err, len(got.Bundles))
	}
	// The next update finds the sha it wrote and reuses its document: no blob read.
	srv.ResetStats()
	if _, err := s.Update(ctx, Message{What: "publish"}, publishNext("big", 10001)); err != nil {
		t.Fatal(err)
	}
	if n := count(srv, routeGetBlob); n != 0 {
		t.Errorf("%d blob reads after our own write, want 0", n)
	}
	g, err := got.Graph(LabelStream("current"))
	if err != nil || len(g.Entries) != 1000 || len(g.Entries[999].Skips) != 9 {
		t.Errorf("graph of current: %v", err)
	}
}

func TestGitHubNewerSchemaWritesNothing(t *testing.T) {
	ctx := context.Background()
	srv, c := sim(t)
	srv.PutFile(repo, Branch, "app.json", []byte(`{"schema": 3, "product": "app", "bundles": [], "signatures": {}}`), "a newer ladder")
	srv.ResetStats()
	s := ghStore(t, c)
	if _, err := s.Read(ctx); err == nil || !strings.Contains(err.Error(), "ledger schema 3 is newer than this ladder understands (2); upgrade ladder") {
		t.Fatalf("Read: %v", err)
	}
	updateRefused(t, s, func(err error) bool {
		var se *SchemaError
		return errors.As(err, &se) && se.Found == 3
	})
	onlyReads(t, srv)
}

func TestGitHubNoChange(t *testing.T) {
	ctx := context.Background()
	srv, c := sim(t)
	s := ghStore(t, c)
	if _, err := s.Update(ctx, Message{What: "publish"}, publishNext("a", 0)); err != nil {
		t.Fatal(err)
	}
	srv.ResetStats()
	d, err := s.Update(ctx, Message{What: "publish again"}, publishNext("a", 0))
	if err != nil || len(d.Bundles) != 1 {
		t.Fatalf("%v %+v", err, d)
	}
	if n := count(srv, routePutContents); n != 0 {
		t.Errorf("ErrNoChange still wrote (%d PUTs)", n)
	}
}

// TestGitHubGivesUp: a ledger that changes under every attempt ends in
// ErrConflict after the bounded attempts, with the backoff asked each time.
func TestGitHubGivesUp(t *testing.T) {
	srv, c := sim(t)
	var waits []time.Duration
	s := ghStore(t, c, WithMaxAttempts(4), WithBackoff(100*time.Millisecond, 250*time.Millisecond),
		WithJitter(func(d time.Duration) time.Duration { return d }),
		WithClock(clock.Funcs{SleepFunc: func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }}))
	if _, err := s.Update(context.Background(), Message{What: "first"}, publishNext("x", 0)); err != nil {
		t.Fatal(err)
	}
	n := 0
	srv.Inject(ghsim.Fault{Method: "PUT", Path: "/repos/acme/app/contents/app.json", Times: 4, Before: func() {
		n++
		// another writer: each of its writes counts a revision, as ladder's do
		d := NewDocument("app")
		d.Revision = int64(1 + n)
		srv.PutFile(repo, Branch, "app.json", d.Marshal(), "meddler")
	}})
	_, err := s.Update(context.Background(), Message{What: "publish"}, publishNext("a", 0))
	if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "4 attempts") {
		t.Fatalf("got %v, want ErrConflict after 4 attempts", err)
	}
	want := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 250 * time.Millisecond}
	if fmt.Sprint(waits) != fmt.Sprint(want) {
		t.Errorf("waits %v, want %v", waits, want)
	}
}

// TestGitHubServerErrorsRetried: a 502 on any request of a write (the
// branch's creation on the first, the PUT on the next) is retried by the
// GitHub adapter's policy, and the write lands once.
func TestGitHubServerErrorsRetried(t *testing.T) {
	srv, c := sim(t)
	s := ghStore(t, c)
	for _, f := range []struct{ method, path string }{
		{"GET", "/repos/acme/app/contents/app.json"}, {"GET", "/repos/acme/app/git/ref/heads/ladder-ledger"},
		{"POST", "/repos/acme/app/git/trees"}, {"POST", "/repos/acme/app/git/commits"}, {"POST", "/repos/acme/app/git/refs"},
	} {
		srv.Inject(ghsim.Fault{Method: f.method, Path: f.path, Status: http.StatusBadGateway})
	}
	if _, err := s.Update(context.Background(), Message{What: "publish"}, publishNext("a", 0)); err != nil {
		t.Fatal(err)
	}
	srv.Inject(ghsim.Fault{Method: "GET", Path: "/repos/acme/app/contents/app.json", Status: http.StatusBadGateway})
	srv.Inject(ghsim.Fault{Method: "PUT", Path: "/repos/acme/app/contents/app.json", Status: http.StatusBadGateway})
	if _, err := s.Update(context.Background(), Message{What: "publish"}, publishNext("a", 1)); err != nil {
		t.Fatal(err)
	}
	if srv.PendingFaults() != 0 {
		t.Error("a fault was not used")
	}
	d, _ := ghStore(t, c).Read(context.Background())
	checkNoLoss(t, d, []string{"a"}, 2)
	if n := len(srv.History(repo, Branch)); n != 2 {
		t.Errorf("%d commits on the ledger branch, want 2", n)
	}
}

// TestGitHubLostAnswer: the PUT lands but its answer is lost (the
// connection drops after the write). The retried request conflicts with
// our own write; fn, applied again, sees its bundle and skips.
func TestGitHubLostAnswer(t *testing.T) {
	srv, c := sim(t)
	s := ghStore(t, c)
	if _, err := s.Update(context.Background(), Message{What: "first"}, publishNext("a", 0)); err != nil {
		t.Fatal(err)
	}
	other := ghStore(t, c)
	srv.Inject(ghsim.Fault{Method: "PUT", Path: "/repos/acme/app/contents/app.json", Drop: true, Before: func() {
		// the write goes through (by another store, standing for the lost one)
		if _, err := other.Update(context.Background(), Message{What: "landed"}, publishNext("a", 1)); err != nil {
			t.Error(err)
		}
	}})
	if _, err := s.Update(context.Background(), Message{What: "publish"}, publishNext("a", 1)); err != nil {
		t.Fatal(err)
	}
	d, _ := ghStore(t, c).Read(context.Background())
	checkNoLoss(t, d, []string{"a"}, 2)
}

func TestOpen(t *testing.T) {
	_, c := sim(t)
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		l    config.Ledger
		t    Target
		want string // type name, or an error substring
	}{
		{"default is github", config.Ledger{}, Target{Product: "app", Client: c, Repo: repo}, "*ledger.GitHubStore"},
		{"github", config.Ledger{Kind: config.LedgerGitHub}, Target{Product: "app", Client: c, Repo: repo}, "*ledger.GitHubStore"},
		{"github without a client", config.Ledger{Kind: config.LedgerGitHub}, Target{Product: "app", Repo: repo}, "needs a GitHub client"},
		{"github with a bad repo", config.Ledger{Kind: config.LedgerGitHub}, Target{Product: "app", Client: c, Repo: "app"}, `"app": want owner/name`},
		{"file, relative to the workspace", config.Ledger{Kind: config.LedgerFile, Path: "ledger.json"}, Target{Product: "app", Dir: dir}, "*ledger.FileStore"},
		{"file without a path", config.Ledger{Kind: config.LedgerFile}, Target{Product: "app"}, "needs a path"},
		{"none", config.Ledger{Kind: config.LedgerNone}, Target{Product: "app"}, "*ledger.NoneStore"},
		{"unknown", config.Ledger{Kind: "s3"}, Target{Product: "app"}, `unknown kind "s3"`},
		{"product that cannot name a file", config.Ledger{Kind: config.LedgerNone}, Target{Product: "../x"}, "cannot name a file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Open(tc.l, tc.t)
			got := fmt.Sprintf("%T", s)
			if err != nil {
				got = err.Error()
			}
			if !strings.Contains(got, tc.want) {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
			if fs, ok := s.(*FileStore); ok && fs.Path() != dir+"/ledger.json" {
				t.Errorf("file path %s", fs.Path())
			}
		})
	}
}

// TestGitHubInvisibleRepositoryIsAnError: GitHub answers 404 both for a
// ledger file that does not exist yet and for a repository the token cannot
// see; only the first is an empty ledger. The second must not read as
// "nothing published" (versions would restart).
func TestGitHubInvisibleRepositoryIsAnError(t *testing.T) {
	srv, c := sim(t)
	srv.CreateRepo("acme/other")
	srv.AddToken("t0ken", map[string]string{"acme/other": "write"}) // cannot see acme/app
	_, err := ghStore(t, c).Read(context.Background())
	if err == nil || !strings.Contains(err.Error(), "cannot be read with this token") {
		t.Fatalf("Read = %v, want an error naming the repository", err)
	}
	_, c2 := sim(t)
	doc, err := ghStore(t, c2).Read(context.Background())
	if err != nil || len(doc.Bundles) != 0 {
		t.Fatalf("a visible repository without a ledger: %v, %v", doc, err)
	}
}
