package ledger

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"net/http"

	"context"
	"github.com/ladder-release/ladder/internal/ghsim"
	"github.com/ladder-release/ladder/internal/testutil/fixture"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Hostile or corrupt ledgers in the state + history layout: each gives a
// clear error naming the file and the field, and changes nothing.

// TestHugeSegmentCountRefused: a state claiming far more segments than any
// ledger holds is an error naming the missing segment, not an allocation of
// a slice of that many (which kills the process).
func TestHugeSegmentCountRefused(t *testing.T) {
	ctx := context.Background()
	state := []byte(`{"schema": 2, "product": "app", "revision": 3, "history": {"segments": 1000000000000, "bundles": 0, "deletions": 0, "pinned": 0, "pinnedDeletions": 0}}`)
	path := filepath.Join(t.TempDir(), "ledger.json")
	if err := os.WriteFile(path, state, 0o644); err != nil {
		t.Fatal(err)
	}
	fs, _ := File(path, "app")
	srv, c := sim(t)
	srv.Commit(repo, Branch, "create the ledger branch")
	srv.PutFile(repo, Branch, "app.json", state, "hostile")
	for name, s := range map[string]Store{"file": fs, "github": ghStore(t, c)} {
		t.Run(name, func(t *testing.T) {
			var err error
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Fatalf("ReadAll panicked: %v", r)
					}
				}()
				_, err = s.ReadAll(ctx)
			}()
			t.Log(err)
			if err == nil || !strings.Contains(err.Error(), "000001.json") {
				t.Errorf("ReadAll: %v, want an error naming the missing segment 000001.json", err)
			}
		})
	}
	if got, _ := os.ReadFile(path); string(got) != string(state) {
		t.Error("the state was changed")
	}
}

// hostileTarball is a gzipped tar, entries under one top directory as
// GitHub's, whose last entry is name with a header claiming size bytes and
// holding none.
func hostileTarball(t *testing.T, files map[string][]byte, name string, size int64) string {
	t.Helper()
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	for p, data := range files {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "acme-app-1234567/" + p, Mode: 0o644, Size: int64(len(data))}); err != nil {
			t.Fatal(err)
		}
		tw.Write(data)
	}
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "acme-app-1234567/" + name, Mode: 0o644, Size: size}); err != nil {
		t.Fatal(err)
	}
	tb.Write(make([]byte, 1024)) // a little of it, then the end
	var zb bytes.Buffer
	z := gzip.NewWriter(&zb)
	z.Write(tb.Bytes())
	z.Close()
	return zb.String()
}

// TestTarballEntryTooBig: an archive entry whose header claims a size far
// beyond any file of the ledger (a segment is under 1 MB) is refused with
// its name, without allocating that size.
func TestTarballEntryTooBig(t *testing.T) {
	ctx := context.Background()
	srv, c := sim(t)
	s := ghStore(t, c, small)
	for i := 0; i < 40; i++ {
		if _, err := s.Update(ctx, Message{What: "publish"}, publishNext("a", i)); err != nil {
			t.Fatal(err)
		}
	}
	state, _ := srv.File(repo, Branch, "app.json")
	srv.Inject(ghsim.Fault{Method: "GET", Path: "/repos/acme/app/tarball/**",
		Status: http.StatusOK, Body: hostileTarball(t, map[string][]byte{"app.json": state}, "app.history/000001.json", 1<<40)})
	var err error
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("ReadAll panicked: %v", r)
			}
		}()
		_, err = ghStore(t, c).ReadAll(ctx)
	}()
	t.Log(err)
	if err == nil || !strings.Contains(err.Error(), "app.history/000001.json") {
		t.Errorf("ReadAll: %v, want an error naming app.history/000001.json", err)
	}
}

// TestGitHubBigMigrationConflictRetries: a schema-1 ledger over 1 MB (read
// through the blob API) migrates; another writer lands between this one's
// reading and moving the branch; the migration retries on the other's
// ledger, and nothing of either is lost.
func TestGitHubBigMigrationConflictRetries(t *testing.T) {
	ctx := context.Background()
	srv, c := sim(t)
	data := bigDocument(t, 3000).Marshal()
	if len(data) <= 1<<20 {
		t.Fatalf("the document is %d bytes, not over 1 MB", len(data))
	}
	srv.Commit(repo, Branch, "create the ledger branch")
	srv.PutFile(repo, Branch, "app.json", data, "ladder: an older release")
	other := ghStore(t, c)
	var once sync.Once
	srv.Inject(ghsim.Fault{Method: "PATCH", Path: "/repos/acme/app/git/refs/**", Before: func() {
		once.Do(func() {
			if _, err := other.Update(ctx, Message{What: "publish other"}, publishNext("other", 0)); err != nil {
				t.Error(err)
			}
		})
	}})
	if _, err := ghStore(t, c).Update(ctx, Message{What: "publish mine"}, publishNext("mine", 0)); err != nil {
		t.Fatal(err)
	}
	if n := answered(srv, routeUpdateRef, http.StatusUnprocessableEntity); n != 1 {
		t.Errorf("%d PATCH ref refused, want 1", n)
	}
	d, err := ghStore(t, c).ReadAll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Bundles) != 3002 {
		t.Errorf("%d bundles, want 3002", len(d.Bundles))
	}
	for _, w := range []string{"mine", "other"} {
		if _, ok := d.BundleByDigest(fixture.Digest(w, 0)); !ok {
			t.Errorf("%s's publish is lost", w)
		}
	}
	for _, p := range srv.Paths(repo, Branch) {
		if data, _ := srv.File(repo, Branch, p); len(data) > 1<<20 {
			t.Errorf("%s is %d bytes, over 1 MB", p, len(data))
		}
	}
}
