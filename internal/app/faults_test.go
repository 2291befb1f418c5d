package app

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ladder-release/ladder/internal/ledger"
	"github.com/ladder-release/ladder/internal/lock"
	"github.com/ladder-release/ladder/internal/testutil/regproxy"
)

// waits records every wait the app asked for.
type waits struct {
	mu sync.Mutex
	ds []time.Duration
}

func (w *waits) sleep(ctx context.Context, d time.Duration) error {
	w.mu.Lock()
	w.ds = append(w.ds, d)
	w.mu.Unlock()
	return ctx.Err()
}

func (w *waits) count(d time.Duration) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, x := range w.ds {
		if x == d {
			n++
		}
	}
	return n
}

// TestPublishThroughRegistryFaults is SPEC section 7's registry-fault
// promise: with 30% of registry requests failing (500, 502, 503, 429 with
// Retry-After, dropped and reset connections), every publish completes or
// fails with a clear message, Retry-After is honoured, and after a rerun the
// ledger and the registry agree.
func TestPublishThroughRegistryFaults(t *testing.T) {
	for _, reg := range registries {
		t.Run(reg.name, func(t *testing.T) {
			proxy := regproxy.Start(t, reg.start(t))
			w := newWorld(t, worldOpt{registry: proxy.Host()})
			cfg := withLedger(w.s1Config(""), "file:ledger.json")
			w.writeConfig(t, cfg)
			var slept waits
			const publishes = 12
			failures, reruns := 0, 0
			for i := 0; i < publishes; i++ {
				// a new commit of cli makes each lock a new one (build-bundle
				// checks that every commit exists in its repository)
				cli := w.gh.Commit("rancher/elemental-cli", "main", fmt.Sprintf("cli: fix %d", i))
				l := lock.Lock{Schema: lock.Schema, Product: "elemental", Channel: "stable", Created: now, Components: []lock.Entry{
					{Name: "cli", Repo: "rancher/elemental-cli", Ref: cli, Version: lock.Short(cli), Commit: cli},
					{Name: "toolkit", Repo: "rancher/elemental-toolkit", Ref: "refs/tags/v0.9.0", Version: "0.9.0", Commit: w.c["tk2"]},
					{Name: "operator", Repo: "rancher/elemental-operator", Ref: "refs/tags/operator/v1.0.0", Version: "1.0.0", Commit: w.c["op1"]},
					{Name: "os", Git: w.osRepo.HTTPURL(), Ref: "refs/tags/v1.2.3", Version: "1.2.3", Commit: w.c["os3"]},
				}}
				name := fmt.Sprintf("lock-%d.json", i)
				if err := os.WriteFile(filepath.Join(w.ws, name), l.JSON(), 0o644); err != nil {
					t.Fatal(err)
				}
				for attempt := 0; ; attempt++ {
					// every fourth publish meets a storm on its first attempt, so
					// that some publishes fail and are rerun
					rate := 0.30
					if i%4 == 3 && attempt == 0 {
						rate = 0.95
					}
					proxy.SetFaults(regproxy.Faults{Rate: rate, Seed: int64(7 + 100*i + attempt)})
					res := w.runActionSleeping(t, "build-bundle", map[string]string{"channel": "stable", "lock-file": name}, slept.sleep)
					if res.code == 0 {
						break
					}
					failures++
					// a failure names what failed and where, never a bare status
					if !strings.Contains(res.stdout, "::error::") || !strings.Contains(res.stdout, proxy.Host()) {
						t.Errorf("publish %d failed without a clear message:\n%s", i, res.stdout)
					}
					if attempt == 5 {
						t.Fatalf("publish %d still failing after 5 reruns:\n%s", i, res.stdout)
					}
					reruns++
				}
			}
			if failures == 0 {
				t.Error("no publish failed: the fail-then-rerun path was not exercised")
			}
			st := proxy.Stats()
			t.Logf("%d registry requests, %d faults injected (%v), %d publishes failed and were rerun", st.Total, st.FaultTotal(), st.Faults, reruns)
			if st.FaultTotal() < st.Total/5 {
				t.Fatalf("only %d of %d requests faulted; the test is not testing", st.FaultTotal(), st.Total)
			}
			if n429 := st.Faults[regproxy.Fault429]; n429 == 0 || slept.count(time.Second) < n429/2 {
				t.Errorf("%d 429s with Retry-After: 1 injected, only %d waits of 1s: Retry-After not honoured", n429, slept.count(time.Second))
			}
			// faults off: the registry must now agree with the ledger
			proxy.SetFaults(regproxy.Faults{})
			doc := w.fileLedger(t)
			if len(doc.Bundles) != publishes {
				t.Errorf("%d bundles in the ledger after %d publishes", len(doc.Bundles), publishes)
			}
			c := newTestOCI(t)
			for _, b := range doc.Bundles {
				d, err := c.Head(context.Background(), w.repo()+":"+b.Version)
				if err != nil || d.Digest != b.Digest {
					t.Errorf("version %s: registry %s (%v), ledger %s", b.Version, d.Digest, err, b.Digest)
				}
			}
			h, _ := doc.Head(ledger.ChannelStream("stable"))
			if d, err := c.Head(context.Background(), w.repo()+":stable"); err != nil || d.Digest != h.Digest {
				t.Errorf("tag stable %s (%v), ledger head %s", d.Digest, err, h.Digest)
			}
		})
	}
}

// runActionSleeping is runAction with a recording sleep.
func (w *world) runActionSleeping(t *testing.T, name string, inputs map[string]string, sleep func(context.Context, time.Duration) error) result {
	t.Helper()
	return w.runWith(t, name, inputs, nil, func() time.Time { return now }, sleep)
}

// TestRerunFinishesTaggingAfterLedgerWrite: the claim reached the ledger,
// then every tag write failed. The run fails naming the tag; a rerun of the
// same lock publishes nothing new and writes the missing tags.
func TestRerunFinishesTaggingAfterLedgerWrite(t *testing.T) {
	w, proxy := proxiedS1World(t, "file:ledger.json")
	resolveOK(t, w, map[string]string{"channel": "stable"})
	var slept waits
	res := w.runRefused(t, proxy, isTagPut, "build-bundle", map[string]string{"channel": "stable"}, nil, &slept, "every tag refused")
	if res.code != ExitFailure || !strings.Contains(res.stdout, "::error::tagging ") {
		t.Fatalf("exit %d, want a failure naming the tag:\n%s", res.code, res.stdout)
	}
	doc := w.fileLedger(t)
	b, ok := doc.Bundle("0.0.1")
	if !ok {
		t.Fatal("the claim did not reach the ledger; this test needs it to")
	}
	again := w.runActionSleeping(t, "build-bundle", map[string]string{"channel": "stable"}, slept.sleep)
	if again.code != 0 || again.outputs["published"] != "false" || again.outputs["version"] != "0.0.1" {
		t.Fatalf("rerun: exit %d %v\n%s", again.code, again.outputs, again.stdout)
	}
	c := newTestOCI(t)
	for _, tag := range []string{"0.0.1", "stable"} {
		if d, err := c.Head(context.Background(), w.repo()+":"+tag); err != nil || d.Digest != b.Digest {
			t.Errorf("after the rerun, tag %s: %v %s, ledger %s", tag, err, d.Digest, b.Digest)
		}
	}
	if n := len(w.fileLedger(t).Bundles); n != 1 {
		t.Errorf("rerun added bundles: %d", n)
	}
}

// lostAnswerProxy forwards to the GitHub simulator; the first ledger write
// (a contents PUT) reaches GitHub, and its answer is lost (the connection is
// closed), so the GitHub store retries it, meets a 409 and decides again on
// the ledger that already holds the write.
func lostAnswerProxy(t *testing.T, w *world) (apiURL string, dropped *atomic.Int32) {
	upstream, _ := url.Parse(w.gh.URL())
	dropped = new(atomic.Int32)
	proxy := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, req *http.Request) {
		if req.Method == http.MethodPut && strings.Contains(req.URL.Path, "/contents/") && dropped.CompareAndSwap(0, 1) {
			out := req.Clone(req.Context())
			out.URL.Scheme, out.URL.Host, out.RequestURI = upstream.Scheme, upstream.Host, ""
			resp, err := http.DefaultTransport.RoundTrip(out)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			conn, _, _ := rw.(http.Hijacker).Hijack()
			conn.Close()
			return
		}
		httputil.NewSingleHostReverseProxy(upstream).ServeHTTP(rw, req)
	}))
	t.Cleanup(proxy.Close)
	return proxy.URL + strings.TrimPrefix(w.gh.URL(), upstream.Scheme+"://"+upstream.Host), dropped
}

// heldProxy forwards to the GitHub simulator, holding the first ledger write
// (a contents PUT) until release is closed; reached is closed when it
// arrives.
func heldProxy(t *testing.T, w *world) (apiURL string, reached, release chan struct{}) {
	upstream, _ := url.Parse(w.gh.URL())
	reached, release = make(chan struct{}), make(chan struct{})
	var once atomic.Bool
	proxy := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, req *http.Request) {
		if req.Method == http.MethodPut && strings.Contains(req.URL.Path, "/contents/") && once.CompareAndSwap(false, true) {
			close(reached)
			<-release
		}
		httputil.NewSingleHostReverseProxy(upstream).ServeHTTP(rw, req)
	}))
	t.Cleanup(proxy.Close)
	return proxy.URL + strings.TrimPrefix(w.gh.URL(), upstream.Scheme+"://"+upstream.Host), reached, release
}
