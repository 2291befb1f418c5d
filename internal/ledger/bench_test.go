package ledger

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/ladder-release/ladder/internal/gh"
	"github.com/ladder-release/ladder/internal/ghsim"
)

// SPEC section 9: a publish into a ledger of 10,000 bundles costs at most
// twice a publish into an empty one; peak memory under 100 MB. A publish is
// one Update that adds a bundle and appends to a channel stream.
//
//	go test -run '^$' -bench 'Publish|Memory' -benchmem ./internal/ledger/
//
// Variants:
//   - github, against the in-process simulator, with no added latency and
//     with 20 ms per request (as the other section 9 benchmarks);
//   - cold: every op starts from a ledger this store has not seen (a fresh
//     job: GET contents, GET the blob when over 1 MB, parse, marshal, PUT);
//     warm: the store wrote the current ledger itself (a job that read the
//     ledger and then updates it: GET contents answers the sha it knows,
//     nothing is fetched or parsed again);
//   - file, cold and warm likewise.

var benchLatencies = []struct {
	name string
	d    time.Duration
}{{"latency=0", 0}, {"latency=20ms", 20 * time.Millisecond}}

// resetter puts the ledger back to a fixed document before each op, and
// returns a new store for it: a cold op is a new run, which has seen neither
// the document nor its revision (a store that had would take the reset for a
// stale read).
type resetter func() Store

func benchPublish(b *testing.B, s Store, reset resetter) {
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if reset != nil {
			b.StopTimer()
			s = reset()
			b.StartTimer()
		}
		if _, err := s.Update(ctx, Message{What: "publish", Actor: "bench"}, publishNext("bench", i)); err != nil {
			b.Fatal(err)
		}
	}
}

// timing measures the time requests spend in round trips (network, the
// simulator's work and its latency), so that a benchmark can report the
// client's own share: the rest.
type timing struct {
	next http.RoundTripper
	mu   sync.Mutex
	d    time.Duration
}

func (t *timing) RoundTrip(r *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.next.RoundTrip(r)
	t.mu.Lock()
	t.d += time.Since(start)
	t.mu.Unlock()
	return resp, err
}

func (t *timing) total() time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.d
}

func benchGitHub(b *testing.B, seed []byte, warm bool, latency time.Duration) {
	srv := ghsim.NewServer(b, ghsim.WithLatency(latency), ghsim.WithRateLimit(1<<30), ghsim.WithSecondaryLimit(0))
	srv.CreateRepo(repo)
	srv.PutFile(repo, Branch, "app.json", seed, "seed")
	rt := &timing{next: http.DefaultTransport}
	gc, err := gh.New(gh.WithAPIURL(srv.URL()), gh.WithToken("t0ken"), gh.WithHTTPClient(&http.Client{Transport: rt}))
	if err != nil {
		b.Fatal(err)
	}
	s := ghStore(b, gc.REST())
	reset := warmOrCold(b, s, warm, func() Store {
		srv.PutFile(repo, Branch, "app.json", seed, "reset")
		return ghStore(b, gc.REST())
	})
	rt.mu.Lock()
	rt.d = 0
	rt.mu.Unlock()
	benchPublish(b, s, reset)
	// The client's own time per op: what is not spent in round trips.
	b.ReportMetric(float64(b.Elapsed()-rt.total())/float64(b.N)/1e6, "client-ms/op")
}

func benchFile(b *testing.B, seed []byte, warm bool) {
	path := filepath.Join(b.TempDir(), "ledger.json")
	open := func() Store {
		if err := os.WriteFile(path, seed, 0o644); err != nil {
			b.Fatal(err)
		}
		s, err := File(path, "app")
		if err != nil {
			b.Fatal(err)
		}
		return s
	}
	s := open()
	benchPublish(b, s, warmOrCold(b, s, warm, open))
}

// warmOrCold readies s for benchPublish: warm, s becomes the last writer,
// so that it knows the current document (and sha), and nothing is reset;
// cold, reset is what starts each op.
func warmOrCold(b *testing.B, s Store, warm bool, reset resetter) resetter {
	b.Helper()
	if !warm {
		return reset
	}
	if _, err := s.Update(context.Background(), Message{What: "warm up"}, publishNext("warm", 0)); err != nil {
		b.Fatal(err)
	}
	return nil
}

func BenchmarkPublishEmpty(b *testing.B) {
	seed := NewDocument("app").Marshal()
	for _, l := range benchLatencies {
		b.Run("github/"+l.name, func(b *testing.B) { benchGitHub(b, seed, false, l.d) })
	}
	b.Run("file", func(b *testing.B) { benchFile(b, seed, false) })
}

var (
	bigOnce sync.Once
	bigSeed []byte
)

func seed10k(b *testing.B) []byte {
	bigOnce.Do(func() { bigSeed = bigDocument(b, 10000).Marshal() })
	return bigSeed
}

func BenchmarkPublish10k(b *testing.B) {
	seed := seed10k(b)
	b.Logf("ledger of 10,000 bundles: %.1f MB", float64(len(seed))/1e6)
	for _, l := range benchLatencies {
		b.Run("github/cold/"+l.name, func(b *testing.B) { benchGitHub(b, seed, false, l.d) })
		b.Run("github/warm/"+l.name, func(b *testing.B) { benchGitHub(b, seed, true, l.d) })
	}
	b.Run("file/cold", func(b *testing.B) { benchFile(b, seed, false) })
	b.Run("file/warm", func(b *testing.B) { benchFile(b, seed, true) })
}

// peakHeap runs f and returns the most heap memory in use while it ran,
// above what was live before (sampled every 100µs through runtime/metrics).
func peakHeap(f func()) uint64 {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	base := read()
	var peak uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(100 * time.Microsecond)
		defer t.Stop()
		for {
			if v := read(); v > peak {
				peak = v
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	f()
	close(stop)
	<-done
	if v := read(); v > peak {
		peak = v
	}
	if peak < base {
		return 0
	}
	return peak - base
}

// BenchmarkMemory10k: peak heap of loading a 10,000-bundle ledger and
// publishing into it, from a store that has never seen it. For github the
// figure includes the simulator, which runs in the same process (it holds
// the request body, the decoded blob and the new commit).
func BenchmarkMemory10k(b *testing.B) {
	seed := seed10k(b)
	ctx := context.Background()
	run := func(b *testing.B, open func() Store) {
		var worst uint64
		for i := 0; i < b.N; i++ {
			s := open()
			p := peakHeap(func() {
				if _, err := s.Read(ctx); err != nil {
					b.Fatal(err)
				}
				if _, err := s.Update(ctx, Message{What: "publish"}, publishNext("mem", i)); err != nil {
					b.Fatal(err)
				}
			})
			worst = max(worst, p)
		}
		b.ReportMetric(float64(worst)/1e6, "peak-MB")
	}
	b.Run("github/simulator-in-process", func(b *testing.B) {
		srv, c := sim(b, ghsim.WithRateLimit(1<<30))
		srv.PutFile(repo, Branch, "app.json", seed, "seed")
		run(b, func() Store {
			srv.PutFile(repo, Branch, "app.json", seed, "reset")
			return ghStore(b, c)
		})
	})
	b.Run("github/simulator-in-another-process", func(b *testing.B) {
		c := simProcess(b, seed)
		b.ResetTimer()
		run(b, func() Store { return ghStore(b, c) }) // a new store: a ledger it has never seen
	})
	b.Run("file", func(b *testing.B) {
		path := filepath.Join(b.TempDir(), "ledger.json")
		run(b, func() Store {
			if err := os.WriteFile(path, seed, 0o644); err != nil {
				b.Fatal(err)
			}
			s, _ := File(path, "app")
			return s
		})
	})
}

// BenchmarkParse10k and BenchmarkMarshal10k are the codec's share.
func BenchmarkParse10k(b *testing.B) {
	seed := seed10k(b)
	b.SetBytes(int64(len(seed)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Parse(seed); err != nil {
			b.Fatal(err)
		}
	}
}

// parse10k is the ledger of 10,000 bundles, parsed.
func parse10k(b *testing.B) *Document {
	b.Helper()
	d, err := Parse(seed10k(b))
	if err != nil {
		b.Fatal(err)
	}
	return d
}

func BenchmarkMarshal10k(b *testing.B) {
	d := parse10k(b)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		b.SetBytes(int64(len(d.Marshal())))
	}
}

func BenchmarkGraph10kFromLedger(b *testing.B) {
	d := parse10k(b)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := d.Graph(ChannelStream("dev")); err != nil {
			b.Fatal(err)
		}
		if _, err := d.Graph(LabelStream("current")); err != nil {
			b.Fatal(err)
		}
	}
}

const simEnv = "LADDER_LEDGER_SIM"

// TestSimHelperProcess is not a test: simProcess runs the test binary again
// with it to serve a GitHub simulator from another process, so that a
// benchmark's heap holds only the client's memory.
func TestSimHelperProcess(t *testing.T) {
	seedPath := os.Getenv(simEnv)
	if seedPath == "" {
		t.Skip("helper process only")
	}
	seed, err := os.ReadFile(seedPath)
	if err != nil {
		t.Fatal(err)
	}
	srv := ghsim.New(ghsim.WithRateLimit(1<<30), ghsim.WithSecondaryLimit(0))
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	srv.CreateRepo(repo)
	srv.PutFile(repo, Branch, "app.json", seed, "seed")
	fmt.Println(srv.URL())
	io.Copy(io.Discard, os.Stdin) //nolint:errcheck // until the parent closes it
}

func simProcess(b *testing.B, seed []byte) *github.Client {
	seedPath := filepath.Join(b.TempDir(), "seed.json")
	if err := os.WriteFile(seedPath, seed, 0o644); err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestSimHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), simEnv+"="+seedPath)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { stdin.Close(); cmd.Wait() }) //nolint:errcheck
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		b.Fatalf("simulator process: %v", err)
	}
	c, err := gh.New(gh.WithAPIURL(strings.TrimSpace(line)), gh.WithToken("t0ken"))
	if err != nil {
		b.Fatal(err)
	}
	return c.REST()
}
