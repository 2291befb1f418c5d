package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ladder-release/ladder/internal/channel"
	"github.com/ladder-release/ladder/internal/ledger"
	"github.com/ladder-release/ladder/internal/testutil/registry"
)

// Retention leaves no tag at all on a bundle it deleted (SPEC section 5), so
// that the registry's garbage collection can reclaim it, and a tag it
// deleted never comes back (SPEC section 7, reruns).

// withRetention gives channel ch (dev, staging or stable in s1Config)
// retention keep.
func withRetention(t *testing.T, cfg, ch string, keep int) string {
	t.Helper()
	rule := map[string]string{"dev": "    version: {prerelease: dev}\n", "staging": "    version: {from: operator}\n", "stable": "    version: {bump: patch}\n"}[ch]
	if rule == "" || !strings.Contains(cfg, rule) {
		t.Fatalf("withRetention: no version rule of channel %s in the config", ch)
	}
	return strings.Replace(cfg, rule, rule+fmt.Sprintf("    retention: {keep: %d}\n", keep), 1)
}

// tagsByDigest reads every tag of the product's repository: digest -> its
// tags, sorted.
func (w *world) tagsByDigest(t *testing.T) map[string][]string {
	t.Helper()
	tags, err := w.oci(t).Tags(context.Background(), w.repo())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, tag := range tags {
		if d := w.tagDigest(t, tag); d != "" {
			out[d] = append(out[d], tag)
		}
	}
	for _, ts := range out {
		slices.Sort(ts)
	}
	return out
}

// sha is a GITHUB_SHA made of one hex letter; its sha- tag is "sha-" and
// seven of them.
func sha(c string) string { return strings.Repeat(c, 40) }

// TestRetentionLeavesNoTagOnADeletedBundle: after retention, a deleted
// bundle has no tag left: not its version, nor the views its publish wrote
// (composite id, sha-…, the tags input), which the ledger records with the
// bundle. A view that names another bundle by then stays where it is.
func TestRetentionLeavesNoTagOnADeletedBundle(t *testing.T) {
	type pub struct {
		sha   string // GITHUB_SHA
		extra string // the tags input
		image string // image mode: one of two images, "I" or "J"
	}
	for _, tc := range []struct {
		name string
		// dev: each publish is a new lock (a commit to cli before it);
		// stable: the same pinned lock each time, published with force
		channel string
		keep    int
		pubs    []pub
		// legacy: before the last publish, the ledger forgets the views of
		// the bundles it holds, as a ledger written before it kept them
		legacy bool
		// the tags on each publish's bundle at the end; $v is its version
		// tag, $id its composite id
		want [][]string
	}{
		{"every tag of a deleted bundle goes", "dev", 1,
			[]pub{{sha("a"), "candidate-a", ""}, {sha("b"), "candidate-b", ""}, {sha("c"), "candidate-c", ""}, {sha("d"), "candidate-d", ""}}, false,
			[][]string{{}, {}, {}, {"$v", "$id", "dev", "sha-ddddddd", "candidate-d"}}},
		{"a sha- tag and an extra tag that moved to the kept bundle stay on it", "dev", 1,
			[]pub{{sha("e"), "candidate", ""}, {sha("e"), "candidate", ""}, {sha("e"), "candidate", ""}}, false,
			[][]string{{}, {}, {"$v", "$id", "dev", "sha-eeeeeee", "candidate"}}},
		{"a composite id that moved to a newer bundle of the same lock stays on it", "stable", 1,
			[]pub{{sha("a"), "", ""}, {sha("b"), "", ""}}, false,
			[][]string{{}, {"$v", "$id", "stable", "sha-bbbbbbb"}}},
		{"a bundle recorded before the ledger kept its views loses its version and composite id", "dev", 1,
			[]pub{{sha("a"), "candidate-a", ""}, {sha("b"), "candidate-b", ""}}, true,
			[][]string{{"sha-aaaaaaa", "candidate-a"}, {"$v", "$id", "dev", "sha-bbbbbbb", "candidate-b"}}},
		// one image under two versions is one manifest: what the kept
		// version's publish wrote stays on it, the deleted one's goes
		{"an image kept under another version keeps that version's views", "stable", 2,
			[]pub{{sha("a"), "candidate-x", "I"}, {sha("a"), "candidate-y", "I"}, {sha("c"), "candidate-z", "J"}}, false,
			[][]string{{"0.0.2", "sha-aaaaaaa", "candidate-y"}, {"0.0.2", "sha-aaaaaaa", "candidate-y"}, {"$v", "$id", "stable", "sha-ccccccc", "candidate-z"}}},
		{"an image whose versions are all deleted loses every view", "stable", 1,
			[]pub{{sha("a"), "candidate-x", "I"}, {sha("b"), "candidate-y", "I"}, {sha("c"), "candidate-z", "J"}}, false,
			[][]string{{}, {}, {"$v", "$id", "stable", "sha-ccccccc", "candidate-z"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, worldOpt{})
			w.writeConfig(t, withRetention(t, withLedger(w.s1Config(""), "file:ledger.json"), tc.channel, tc.keep))
			images := map[string]string{}
			for _, n := range []string{"I", "J"} {
				images[n] = w.registry + "/team/app@" + pushImage(t, w.registry+"/team/app:"+n)
			}
			var versions []string
			for i, p := range tc.pubs {
				if tc.channel == "dev" && i > 0 {
					w.gh.Commit("rancher/elemental-cli", "main", fmt.Sprintf("cli: retention %d", i))
				}
				if tc.legacy && i == len(tc.pubs)-1 {
					forgetViews(t, w)
				}
				in := map[string]string{"channel": tc.channel, "lock-file": "none.json", "tags": p.extra}
				if tc.channel == "stable" {
					in["force"] = "true"
				}
				if p.image != "" {
					in["image"] = images[p.image]
				}
				res := w.runAction(t, "build-bundle", in, map[string]string{"GITHUB_SHA": p.sha})
				if res.code != 0 || res.outputs["published"] != "true" {
					t.Fatalf("publish %d: exit %d %v\n%s", i, res.code, res.outputs, res.stdout)
				}
				versions = append(versions, res.outputs["version"])
			}
			doc := w.fileLedger(t)
			tags := w.tagsByDigest(t)
			for i, v := range versions {
				b, _ := doc.Bundle(v)
				if deleted := i < len(versions)-tc.keep; doc.Deleted(v) != deleted {
					t.Errorf("%s: deleted %v, want %v (retention keep %d)", v, doc.Deleted(v), deleted, tc.keep)
				}
				var want []string
				for _, tag := range tc.want[i] {
					tag = strings.NewReplacer("$v", channel.VersionTag(v), "$id", b.ID).Replace(tag)
					want = append(want, tag)
				}
				slices.Sort(want)
				if got := tags[b.Digest]; !slices.Equal(got, want) {
					t.Errorf("bundle %d (%s, %s): tags %q, want %q", i, v, b.Digest, got, want)
				}
			}
		})
	}
}

// forgetViews drops the views recorded with every bundle of the file
// ledger, as a ledger written before bundles had them.
func forgetViews(t *testing.T, w *world) {
	t.Helper()
	store, err := ledger.File(filepath.Join(w.ws, "ledger.json"), "elemental")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Update(context.Background(), ledger.Message{What: "test: a ledger from before bundles' tags"}, func(d *ledger.Document) error {
		for i := range d.Bundles {
			d.Bundles[i].Tags = nil
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(w.ws, "ledger.json"))
	if err != nil || strings.Contains(string(data), `"tags"`) {
		t.Fatalf("setup: the ledger still records tags (%v)", err)
	}
}

// TestBuildRecordsTheViewsItWrote: the ledger's bundle names the views its
// publish wrote besides the version and channel tags.
func TestBuildRecordsTheViewsItWrote(t *testing.T) {
	w := newS1World(t, "file:ledger.json")
	res := w.runAction(t, "build-bundle", map[string]string{"channel": "dev", "lock-file": "none.json", "tags": "candidate\nqa"}, map[string]string{"GITHUB_SHA": sha("c")})
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stdout)
	}
	b, _ := w.fileLedger(t).Bundle(res.outputs["version"])
	if want := []string{b.ID, "sha-ccccccc", "candidate", "qa"}; !slices.Equal(b.Tags, want) {
		t.Errorf("ledger bundle tags %q, want %q", b.Tags, want)
	}
}

// TestRetentionLetsGarbageCollectionReclaim: four bundles of four locks,
// each with a file of its own, published with keep: 1 into the real CNCF
// registry; retention deletes the three older ones, and the registry's own
// `garbage-collect --delete-untagged` then removes their manifests, locks and
// files from its storage, while the kept bundle's stay.
func TestRetentionLetsGarbageCollectionReclaim(t *testing.T) {
	srv := registry.StartDistribution(t)
	w := newWorld(t, worldOpt{registry: srv.Host})
	w.writeConfig(t, withRetention(t, withLedger(w.s1Config(""), "file:ledger.json"), "dev", 1))
	var versions []string
	for i, c := range []string{"a", "b", "c", "d"} {
		if i > 0 {
			w.gh.Commit("rancher/elemental-cli", "main", fmt.Sprintf("cli: gc %d", i))
		}
		if err := os.WriteFile(filepath.Join(w.ws, "payload.txt"), []byte("payload of bundle "+c+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		res := w.runAction(t, "build-bundle", map[string]string{"channel": "dev", "lock-file": "none.json", "files": "payload.txt", "tags": "candidate-" + c},
			map[string]string{"GITHUB_SHA": sha(c)})
		if res.code != 0 || res.outputs["published"] != "true" {
			t.Fatalf("publish %s: exit %d %v\n%s", c, res.code, res.outputs, res.stdout)
		}
		versions = append(versions, res.outputs["version"])
	}
	doc := w.fileLedger(t)
	if len(doc.Deletions) != 3 {
		t.Fatalf("retention keep 1 deleted %d of 4 bundles: %+v", len(doc.Deletions), doc.Deletions)
	}
	blobs := make([][]string, len(versions)) // the manifest, the lock, the file
	for i, v := range versions {
		b, _ := doc.Bundle(v)
		blobs[i] = manifestBlobs(t, srv.Host, "acme/elemental", b.Digest)
		if len(blobs[i]) != 3 {
			t.Fatalf("bundle %s: blobs %v, want the manifest, the lock and one file", v, blobs[i])
		}
	}
	out, err := srv.GarbageCollect("--delete-untagged")
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range versions {
		kept := i == len(versions)-1
		for _, d := range blobs[i] {
			has, err := srv.HasBlob(d)
			if err != nil {
				t.Fatal(err)
			}
			if has != kept {
				t.Errorf("after garbage-collect, blob %s of bundle %s (deleted by retention: %v) in the storage: %v", d, v, doc.Deleted(v), has)
			}
		}
	}
	if t.Failed() {
		t.Logf("garbage-collect said:\n%s", out)
	}
}

// manifestBlobs: the digests of the manifest digest in repo, its config and
// its layers, read from the registry.
func manifestBlobs(t *testing.T, host, repo, digest string) []string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, "http://"+host+"/v2/"+repo+"/manifests/"+digest, nil)
	req.Header.Set("Accept", "application/vnd.oci.image.manifest.v1+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m struct {
		Config struct{ Digest string }
		Layers []struct{ Digest string }
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET manifest %s: %s", digest, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatal(err)
	}
	out := []string{digest, m.Config.Digest}
	for _, l := range m.Layers {
		out = append(out, l.Digest)
	}
	return out
}

// TestRerunDoesNotBringBackDeletedTags: run A publishes lock A in dev and
// stops at its version tag (its views are written); job B publishes lock B,
// and B's retention (keep 1) deletes A's bundle with every tag it has. A's
// rerun (same run id and commit) finds its bundle deleted: it writes none of
// its tags again (no PUT of them at all), and none is left on the bundle.
func TestRerunDoesNotBringBackDeletedTags(t *testing.T) {
	w, proxy := proxiedWorld(t)
	w.writeConfig(t, withRetention(t, withLedger(w.s1Config(""), "file:ledger.json"), "dev", 1))
	resolveOK(t, w, map[string]string{"channel": "dev"})
	data, err := os.ReadFile(filepath.Join(w.ws, "ladder-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(w.ws, "lockA.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	inA := map[string]string{"channel": "dev", "lock-file": "lockA.json", "tags": "candidate-a"}
	envA := map[string]string{"GITHUB_SHA": sha("a")} // run 4242
	isVersionPut := func(r *http.Request) bool { return isTagPut(r) && strings.Contains(r.URL.Path, "-dev.") }
	w.runRefused(t, proxy, isVersionPut, "build-bundle", inA, envA, &waits{}, "A (its version tag refused)")
	a := w.fileLedger(t).Bundles[0]
	// The views go out concurrently with the failing version tag, and the
	// first failure cancels what has not started: write those missing, as a
	// slower registry would have let A do.
	for _, tag := range a.Tags {
		if w.tagDigest(t, tag) == "" {
			if err := w.oci(t).Tag(context.Background(), w.repo(), a.Digest, tag); err != nil {
				t.Fatal(err)
			}
		}
	}
	if w.tagDigest(t, "candidate-a") != a.Digest || w.tagDigest(t, a.ID) != a.Digest {
		t.Fatalf("setup: A's views should be written: %v", w.tagsByDigest(t))
	}

	w.gh.Commit("rancher/elemental-cli", "main", "cli: B")
	b := w.runAction(t, "build-bundle", map[string]string{"channel": "dev", "lock-file": "none.json", "tags": "candidate-b"},
		map[string]string{"GITHUB_SHA": sha("b"), "GITHUB_RUN_ID": "4343"})
	if b.code != 0 || b.outputs["published"] != "true" {
		t.Fatalf("B: exit %d %v\n%s", b.code, b.outputs, b.stdout)
	}
	if !w.fileLedger(t).Deleted(a.Version) {
		t.Fatalf("setup: B's retention did not delete A's %s", a.Version)
	}
	if left := w.tagsByDigest(t)[a.Digest]; len(left) > 0 {
		t.Errorf("B's retention left tags %q on A's deleted bundle", left)
	}

	proxy.Reset()
	again := w.runWith(t, "build-bundle", inA, envA, func() time.Time { return now }, (&waits{}).sleep)
	if again.code != 0 || again.outputs["published"] != "false" || again.outputs["digest"] != a.Digest {
		t.Fatalf("rerun of A: exit %d %v, want published=false naming A's bundle %s\n%s", again.code, again.outputs, a.Digest, again.stdout)
	}
	for _, tag := range []string{channel.VersionTag(a.Version), a.ID, "sha-aaaaaaa", "candidate-a"} {
		for _, r := range proxy.Requests() {
			if strings.HasPrefix(r, "PUT ") && strings.HasSuffix(r, "/manifests/"+tag) {
				t.Errorf("rerun of A wrote tag %s of its deleted bundle again: %s", tag, r)
			}
		}
	}
	if left := w.tagsByDigest(t)[a.Digest]; len(left) > 0 {
		t.Errorf("after A's rerun, tags %q are on A's deleted bundle %s", left, a.Version)
	}
}

// TestRerunFinishesDeletingTheViews: a run records a retention deletion and
// stops before the deleted bundle has lost all its tags; its rerun deletes
// the rest, the views included.
func TestRerunFinishesDeletingTheViews(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fails func(r *http.Request) bool // the DELETEs that fail in the first run
	}{
		{"stopped before the version tag", func(r *http.Request) bool { return r.Method == http.MethodDelete }},
		{"stopped between the version tag and the views", func(r *http.Request) bool {
			return r.Method == http.MethodDelete && !strings.Contains(r.URL.Path, "-dev.")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, proxy := proxiedWorld(t)
			w.writeConfig(t, withRetention(t, withLedger(w.s1Config(""), "file:ledger.json"), "dev", 1))
			first := w.runAction(t, "build-bundle", map[string]string{"channel": "dev", "lock-file": "none.json", "tags": "candidate-a"},
				map[string]string{"GITHUB_SHA": sha("a"), "GITHUB_RUN_ID": "4141"})
			if first.code != 0 {
				t.Fatalf("first publish: exit %d\n%s", first.code, first.stdout)
			}
			old, _ := w.fileLedger(t).Bundle(first.outputs["version"])

			w.gh.Commit("rancher/elemental-cli", "main", "cli: moves")
			resolveOK(t, w, map[string]string{"channel": "dev"})
			in := map[string]string{"channel": "dev", "tags": "candidate-b"}
			env := map[string]string{"GITHUB_SHA": sha("b")}
			res := w.runRefused(t, proxy, tc.fails, "build-bundle", in, env, &waits{}, "a tag deletion refused")
			if !strings.Contains(res.stdout, "failed (delete it by hand)") {
				t.Fatalf("exit %d, want a tag deletion to fail:\n%s", res.code, res.stdout)
			}
			if left := w.tagsByDigest(t)[old.Digest]; !w.fileLedger(t).Deleted(old.Version) || !slices.Contains(left, old.ID) {
				t.Fatalf("setup: want %s recorded deleted with its views still there, tags %q", old.Version, left)
			}

			again := w.runWith(t, "build-bundle", in, env, func() time.Time { return now }, (&waits{}).sleep)
			if again.code != 0 || again.outputs["published"] != "false" {
				t.Fatalf("rerun: exit %d %v\n%s", again.code, again.outputs, again.stdout)
			}
			if left := w.tagsByDigest(t)[old.Digest]; len(left) > 0 {
				t.Errorf("after the rerun, tags %q are on %s; the ledger records it deleted", left, old.Version)
			}
		})
	}
}

// Review findings against issue 11 (the lead decides), in image mode: each
// test fails on the code as it is.

// "A tag retention deleted never comes back" (issue 11 point 4, SPEC section
// 7 Reruns), image mode: lock A is published as image A; lock B's publish
// deletes A with every tag it had. A rerun of A's job (or any later job
// whose lock is A's again) finds A in the ledger and finishes it; finish
// calls ensureIDTag whatever the ledger says of A, so A's composite id tag
// is written back onto the deleted image (a PUT), and only the sweep of
// retention that follows deletes it again: a run stopped in between, or a
// failing DELETE, leaves it there. TestRerunDoesNotBringBackDeletedTags
// holds artifact mode to "no PUT of them at all"; image mode misses it.
func TestReviewImageRerunBringsBackTheDeletedCompositeID(t *testing.T) {
	w, proxy := proxiedWorld(t) // staging (from: operator) in image mode, keep 1
	w.writeConfig(t, withRetention(t, withLedger(w.s1Config(""), "file:ledger.json"), "staging", 1))
	imgA := pushImage(t, w.registry+"/acme/elemental-os:build-a")
	imgB := pushImage(t, w.registry+"/acme/elemental-os:build-b")
	la := w.resolveAt(t, "staging", "a.json", now)
	inA := map[string]string{"channel": "staging", "lock-file": "a.json", "image": w.registry + "/acme/elemental-os:build-a"}
	a := buildOK(t, w, inA)
	if a.outputs["digest"] != imgA {
		t.Fatalf("setup: A %v", a.outputs)
	}
	w.gh.Tag("rancher/elemental-operator", "operator/v1.2.5", w.gh.Commit("rancher/elemental-operator", "main", "operator: four"))
	w.resolveAt(t, "staging", "b.json", now.Add(time.Minute))
	b := buildOK(t, w, map[string]string{"channel": "staging", "lock-file": "b.json", "image": w.registry + "/acme/elemental-os:build-b"})
	if b.outputs["digest"] != imgB || !w.fileLedger(t).Deleted(a.outputs["version"]) {
		t.Fatalf("setup: B %v; A deleted: %v", b.outputs, w.fileLedger(t).Deleted(a.outputs["version"]))
	}
	if left := w.tagsByDigest(t)[imgA]; len(left) > 0 {
		t.Fatalf("setup: B's retention left %q on A", left)
	}

	proxy.Reset()
	again := buildOK(t, w, inA)
	if again.outputs["published"] != "false" {
		t.Fatalf("rerun of A: %v", again.outputs)
	}
	for _, r := range proxy.Requests() {
		if strings.HasPrefix(r, "PUT ") && strings.HasSuffix(r, "/manifests/"+la.CompositeID()) {
			t.Errorf("the rerun of A wrote the composite id of its deleted image again: %s", r)
		}
	}
	if left := w.tagsByDigest(t)[imgA]; len(left) > 0 {
		t.Errorf("after A's rerun, tags %q are back on A's deleted image (composite id %s)", left, la.CompositeID())
	}
}
