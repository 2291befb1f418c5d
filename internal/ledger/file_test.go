package ledger

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ladder-release/ladder/internal/testutil/fixture"
)

// publishNext is the fn of one publish as build-bundle does it: claim the
// next version from the document it is given (so a re-applied fn claims a
// fresh one), add the bundle, and move the channel to it. A bundle already
// in the ledger (a write that landed although its answer was lost) is
// ErrNoChange.
func publishNext(writer string, i int) func(*Document) error {
	return func(d *Document) error {
		digest := fixture.Digest(writer, i)
		if _, ok := d.BundleByDigest(digest); ok {
			return ErrNoChange
		}
		v := fmt.Sprintf("1.0.%d", d.BundleCount()+1)
		if err := d.AddBundle(Bundle{Version: v, Digest: digest, Channel: "dev", Actor: writer,
			Created: fixture.T0, Mode: ModeArtifact}); err != nil {
			return err
		}
		return d.Append(ChannelStream("dev"), Entry{Version: v, At: fixture.T0, Actor: writer, Decision: "published"})
	}
}

// checkNoLoss asserts every writer's bundles are in the ledger, once each,
// with versions 1.0.1..1.0.N and a stream entry per bundle.
func checkNoLoss(t *testing.T, d *Document, writers []string, perWriter int) {
	t.Helper()
	want := len(writers) * perWriter
	if len(d.Bundles) != want {
		t.Fatalf("%d bundles, want %d", len(d.Bundles), want)
	}
	for i, b := range d.Bundles {
		if v := fmt.Sprintf("1.0.%d", i+1); b.Version != v {
			t.Fatalf("bundle %d has version %s, want %s", i, b.Version, v)
		}
	}
	for _, w := range writers {
		for i := 0; i < perWriter; i++ {
			if _, ok := d.BundleByDigest(fixture.Digest(w, i)); !ok {
				t.Fatalf("writer %s's publish %d is lost", w, i)
			}
		}
	}
	s := d.Stream(ChannelStream("dev"))
	if len(s) != want {
		t.Fatalf("channel:dev has %d entries, want %d", len(s), want)
	}
	for i, e := range s {
		if e.Version != d.Bundles[i].Version || (i > 0 && e.PreviousVersion != s[i-1].Version) {
			t.Fatalf("channel:dev entry %d: %+v", i, e)
		}
	}
	if _, err := d.Graph(ChannelStream("dev")); err != nil {
		t.Fatal(err)
	}
}

func TestFileStore(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sub", "ledger.json")
	s, err := File(path, "app")
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.Read(ctx)
	if err != nil || d.Product != "app" || len(d.Bundles) != 0 {
		t.Fatalf("Read of a missing file: %+v, %v", d, err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatal("Read created the file")
	}
	d, err = s.Update(ctx, Message{What: "publish"}, publishNext("a", 0))
	if err != nil || len(d.Bundles) != 1 {
		t.Fatalf("Update: %v", err)
	}
	// ErrNoChange skips the write: the file keeps its content, its inode
	// (no rename over it) and the old modification time it is given here.
	old := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
	content, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	before, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	d, err = s.Update(ctx, Message{What: "noop"}, publishNext("a", 0))
	if err != nil || len(d.Bundles) != 1 {
		t.Fatalf("a no-change Update: %v", err)
	}
	after, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if !after.ModTime().Equal(old) || !os.SameFile(before, after) {
		t.Errorf("a no-change Update wrote the file: modified %s (was %s), same file %v",
			after.ModTime().UTC(), old, os.SameFile(before, after))
	}
	if now, err := os.ReadFile(path); err != nil || string(now) != string(content) {
		t.Errorf("a no-change Update changed the file (%v):\n%s\nwas:\n%s", err, now, content)
	}
	// An error from fn writes nothing and comes back as is.
	boom := errors.New("boom")
	if _, err := s.Update(ctx, Message{}, func(d *Document) error {
		if err := d.AddBundle(Bundle{Version: "9.0.0", Digest: fixture.Digest("9.0.0"), Channel: "dev"}); err != nil {
			t.Error(err) // fn must change the document for "writes nothing" to show anything
		}
		return boom
	}); err != boom {
		t.Fatalf("got %v, want fn's error", err)
	}
	// A fresh store (another process) reads what was written.
	s2, _ := File(path, "app")
	d, err = s2.Read(ctx)
	if err != nil || len(d.Bundles) != 1 || d.Bundles[0].Version != "1.0.1" {
		t.Fatalf("fresh read: %v %+v", err, d)
	}
	// The document handed out is the caller's: changing it changes nothing stored.
	d.Bundles[0].Version = "mutated"
	if d, _ := s2.Read(ctx); d.Bundles[0].Version != "1.0.1" {
		t.Error("a returned document shares memory with the store's cache")
	}
	// Another product's ledger is refused.
	other, _ := File(path, "other")
	if _, err := other.Read(ctx); err == nil || !strings.Contains(err.Error(), `product "app", not "other"`) {
		t.Errorf("reading another product's ledger: %v", err)
	}
	// No temporary files left behind.
	entries, _ := os.ReadDir(filepath.Dir(path))
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}

func TestFileStoreNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.json")
	newer := []byte(`{"schema": 3, "product": "app", "bundles": [], "attestations": {}}`)
	if err := os.WriteFile(path, newer, 0o644); err != nil {
		t.Fatal(err)
	}
	s, _ := File(path, "app")
	updateRefused(t, s, func(err error) bool {
		var se *SchemaError
		return errors.As(err, &se) && says("ledger schema 3 is newer than this ladder understands (2); upgrade ladder")(err)
	})
	if got, _ := os.ReadFile(path); string(got) != string(newer) {
		t.Error("the newer ledger was rewritten")
	}
}

const (
	helperEnv    = "LADDER_LEDGER_HELPER"
	helperWrites = 25
)

// TestFileStoreHelperProcess is not a test: TestFileStoreConcurrent runs the
// test binary again with it to get writers in separate processes.
func TestFileStoreHelperProcess(t *testing.T) {
	spec := os.Getenv(helperEnv)
	if spec == "" {
		t.Skip("helper process only")
	}
	path, writer, _ := strings.Cut(spec, "|")
	s, err := File(path, "app")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < helperWrites; i++ {
		if _, err := s.Update(context.Background(), Message{What: "publish " + writer}, publishNext(writer, i)); err != nil {
			t.Fatalf("%s publish %d: %v", writer, i, err)
		}
	}
}

// TestFileStoreConcurrent: 8 goroutines and 4 processes each publish 25
// times into one file ledger, claiming the next version each time: no
// update is lost and no version is used twice.
func TestFileStoreConcurrent(t *testing.T) {
	if os.Getenv(helperEnv) != "" {
		t.Skip("in a helper process")
	}
	path := filepath.Join(t.TempDir(), "ledger.json")
	var writers []string
	var wg sync.WaitGroup
	errs := make(chan error, 16)

	for p := 0; p < 4; p++ {
		w := "proc" + strconv.Itoa(p)
		writers = append(writers, w)
		cmd := exec.Command(os.Args[0], "-test.run=^TestFileStoreHelperProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), helperEnv+"="+path+"|"+w)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if out, err := cmd.CombinedOutput(); err != nil {
				errs <- fmt.Errorf("%s: %v\n%s", w, err, out)
			}
		}()
	}
	for g := 0; g < 8; g++ {
		w := "goroutine" + strconv.Itoa(g)
		writers = append(writers, w)
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := File(path, "app") // one store per writer, as separate jobs have
			if err != nil {
				errs <- err
				return
			}
			for i := 0; i < helperWrites; i++ {
				if _, err := s.Update(context.Background(), Message{What: "publish " + w}, publishNext(w, i)); err != nil {
					errs <- fmt.Errorf("%s publish %d: %v", w, i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	s, _ := File(path, "app")
	d, err := s.ReadAll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	checkNoLoss(t, d, writers, helperWrites)
}

func TestFileStoreCancelledWhileLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.json")
	s, _ := File(path, "app")
	holding := make(chan struct{})
	done := make(chan struct{})
	go func() {
		s.Update(context.Background(), Message{}, func(*Document) error { //nolint:errcheck
			close(holding)
			<-done
			return ErrNoChange
		})
	}()
	<-holding
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := s.Update(ctx, Message{}, publishNext("late", 0))
	close(done)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "ledger lock") {
		t.Fatalf("got %v, want a deadline waiting for the lock", err)
	}
}

func TestNoneStore(t *testing.T) {
	s, err := None("app")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		d, err := s.Update(ctx, Message{}, publishNext("a", i))
		if err != nil {
			t.Fatal(err)
		}
		// Nothing persists: each Update starts from an empty ledger, so
		// both claim 1.0.1 (the race SPEC section 6 documents).
		if len(d.Bundles) != 1 || d.Bundles[0].Version != "1.0.1" {
			t.Fatalf("update %d: %+v", i, d.Bundles)
		}
	}
	if d, _ := s.Read(ctx); len(d.Bundles) != 0 || d.Product != "app" {
		t.Errorf("Read: %+v", d)
	}
}
