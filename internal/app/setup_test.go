package app

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ladder-release/ladder/internal/ledger"
	"github.com/ladder-release/ladder/internal/testutil/registry"
	"github.com/ladder-release/ladder/internal/testutil/regproxy"
)

// The set-ups most app tests share (world_test.go builds the world itself).

// registries are the two registries a test may run against:
// go-containerregistry's in this process and the CNCF distribution
// registry.
var registries = []struct {
	name  string
	start func(testing.TB) string
}{{"in-process", registry.InProcess}, {"distribution", registry.Distribution}}

// newS1World is a world whose config is story S1's with a ledger of kind
// (withLedger).
func newS1World(t *testing.T, kind string) *world {
	t.Helper()
	w := newWorld(t, worldOpt{})
	w.writeConfig(t, withLedger(w.s1Config(""), kind))
	return w
}

// proxiedWorld is a world (no config written yet) whose registry is behind
// a proxy that can fail, hold or count its requests.
func proxiedWorld(t *testing.T) (*world, *regproxy.Proxy) {
	t.Helper()
	proxy := regproxy.Start(t, registry.InProcess(t))
	return newWorld(t, worldOpt{registry: proxy.Host()}), proxy
}

// proxiedS1World is newS1World with the registry behind a proxy.
func proxiedS1World(t *testing.T, kind string) (*world, *regproxy.Proxy) {
	t.Helper()
	w, proxy := proxiedWorld(t)
	w.writeConfig(t, withLedger(w.s1Config(""), kind))
	return w, proxy
}

// newPromoteWorld is a world whose config is promoteConfig(kind, labels,
// ""), with a fresh clock.
func newPromoteWorld(t *testing.T, kind, labels string) (*world, *fakeClock) {
	t.Helper()
	w := newWorld(t, worldOpt{})
	w.writeConfig(t, w.promoteConfig(kind, labels, ""))
	return w, newClock()
}

// runRefused runs action name while the registry behind proxy answers 503
// to every request match picks, and clears the faults afterwards. The run
// must fail: a run that gets through anyway fails the test (what says what
// the run is). extra is environment beside the inputs (another
// GITHUB_RUN_ID); the run's waits are recorded in slept.
func (w *world) runRefused(t *testing.T, proxy *regproxy.Proxy, match func(*http.Request) bool, name string, inputs, extra map[string]string, slept *waits, what string) result {
	t.Helper()
	proxy.SetFaults(regproxy.Faults{Rate: 1, Kinds: []regproxy.Fault{regproxy.Fault503}, Match: match})
	res := w.runWith(t, name, inputs, extra, func() time.Time { return now }, slept.sleep)
	proxy.SetFaults(regproxy.Faults{})
	if res.code == 0 {
		t.Fatalf("%s: exit 0 while the registry refused its requests: %v", what, res.outputs)
	}
	return res
}

// editLockDoc rewrites the workspace's ladder-lock.json through f, on the
// whole document.
func editLockDoc(t *testing.T, w *world, f func(doc map[string]any)) {
	t.Helper()
	p := filepath.Join(w.ws, "ladder-lock.json")
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	f(doc)
	if data, err = json.Marshal(doc); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// editLock rewrites the workspace's ladder-lock.json through f, on its
// components.
func editLock(t *testing.T, w *world, f func(comps []any) []any) {
	t.Helper()
	editLockDoc(t, w, func(doc map[string]any) { doc["components"] = f(doc["components"].([]any)) })
}

// fileState opens w's file ledger and reads its state.
func fileState(t *testing.T, w *world) (*ledger.FileStore, *ledger.Document) {
	t.Helper()
	s, err := ledger.File(filepath.Join(w.ws, "ledger.json"), "elemental")
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s, st
}

// wantNoTrace fails the test when a failed run set an output or wrote the
// workspace file rel (the ledger, the lock).
func (w *world) wantNoTrace(t *testing.T, res result, rel string) {
	t.Helper()
	if len(res.outputs) != 0 {
		t.Errorf("outputs set on failure: %v", res.outputs)
	}
	if _, err := os.Stat(filepath.Join(w.ws, rel)); !os.IsNotExist(err) {
		t.Errorf("%s was written on failure", rel)
	}
}

// githubLedgerFile is the GitHub ledger's file (branch ladder-ledger of
// acme/elemental) as the simulator holds it, and the document it parses to.
func (w *world) githubLedgerFile(t *testing.T) ([]byte, *ledger.Document) {
	t.Helper()
	data, ok := w.gh.File("acme/elemental", "ladder-ledger", "elemental.json")
	if !ok {
		t.Fatal("no ledger file on branch ladder-ledger")
	}
	doc, err := ledger.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return data, doc
}

// writeFile writes content to dir/name (name may hold directories) and
// returns the file's path.
func writeFile(tb testing.TB, dir, name, content string) string {
	tb.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		tb.Fatal(err)
	}
	return p
}
