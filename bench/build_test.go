package bench

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ladder-release/ladder/internal/bundle"
	"github.com/ladder-release/ladder/internal/lock"
)

// fileSize is the one file both tools publish (SPEC section 9: 1 MB).
const fileSize = 1 << 20

// BenchmarkBuildBundleVsRegctl: build-bundle of one 1 MB file against
// `regctl artifact put` of the same file, on the CNCF distribution registry
// behind regproxy with 20 ms added per request (SPEC section 9: no more
// registry requests, wall time at most 1.0x).
//
// ladder runs as a workflow runs it: the binary as a process, a config with
// `ledger: file:ledger.json` and a channel with `version: {bump: patch}`, a
// fresh lock (another commit) per iteration so every iteration publishes,
// `files:` the 1 MB file. regctl pushes the same file as an artifact of
// ladder's artifact type under a new tag into its own repository. The two
// alternate which goes first.
//
// Sub-benchmarks: new-file writes a new 1 MB file (random bytes) per
// iteration, so both upload it; same-file publishes the same file every time,
// so after the first iteration both find the blob already there.
//
// Metrics per publish: ladder-req/op and regctl-req/op (every registry
// request), ladder-req-excl-extra-tags/op (without the requests for the tags
// regctl does not write: the channel tag, the composite id and sha-...),
// ladder-ms/op, regctl-ms/op and ladder/regctl-time (wall-time ratio). ns/op
// is the two together and means nothing on its own.
func BenchmarkBuildBundleVsRegctl(b *testing.B) {
	for _, mode := range []string{"new-file", "same-file", "new-file-same-tags"} {
		b.Run(mode, func(b *testing.B) { benchBuild(b, mode != "same-file", mode == "new-file-same-tags") })
	}
}

// benchBuild measures one publish by each tool. With sameTags, regctl also
// writes the three tags SPEC has ladder write besides the version (channel,
// composite id, sha-...), with `regctl image copy` as a user of regctl
// would: the like-for-like comparison.
func benchBuild(b *testing.B, newFile, sameTags bool) {
	s := newStage(b)
	const product, ch = "rel", "main"
	repo := s.host + "/acme/" + product
	peerRepo := s.host + "/acme/peer"
	w := newWorkspace(b, appConfig(product, repo, ch, ""))
	const rel = "dist/payload.bin"
	file := filepath.Join(w.dir, rel)
	if !newFile {
		w.writeRandom(b, rel, fileSize)
	}
	// a warm-up publish by each tool, outside the measurement: the first
	// push into an empty repository is not the case measured
	w.writeLock(b, "lock-warm.json", product, ch, commitSHA(0, 0))
	if newFile {
		w.writeRandom(b, rel, fileSize)
	}
	if _, err := runLadder(s.ladder, w, "build-bundle", map[string]string{"channel": ch, "lock-file": "lock-warm.json", "files": rel},
		map[string]string{"GITHUB_SHA": commitSHA(0, 0)}); err != nil {
		b.Fatal(err)
	}
	if err := s.regctlCmd(regctlPut(peerRepo+":warm", file)...); err != nil {
		b.Fatalf("regctl artifact put: %v", err)
	}
	craneRepo := s.host + "/acme/crane"
	craneFile := filepath.Join(b.TempDir(), "payload.tar.gz")
	writeGzip(b, file, craneFile)
	if err := s.craneCmd(cranePut(craneRepo+":warm", craneFile)...); err != nil {
		b.Fatalf("crane append: %v", err)
	}

	lad, peer, crane := newTally(), newTally(), newTally()
	var lastLadder, lastPeer, lastCrane sample
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		commit := commitSHA(1, i)
		lockFile := fmt.Sprintf("lock-%d.json", i)
		w.writeLock(b, lockFile, product, ch, commit)
		if newFile {
			w.writeRandom(b, rel, fileSize)
			writeGzip(b, file, craneFile)
		}
		var outs map[string]string
		runL := func() {
			sm := s.measure(b, "ladder build-bundle", func() error {
				var err error
				outs, err = runLadder(s.ladder, w, "build-bundle", map[string]string{"channel": ch, "lock-file": lockFile, "files": rel},
					map[string]string{"GITHUB_SHA": commit, "GITHUB_RUN_ID": fmt.Sprint(100 + i)})
				return err
			})
			if outs["published"] != "true" {
				b.Fatalf("iteration %d: ladder did not publish: %v", i, outs)
			}
			l := lockOf(b, w, lockFile)
			extra := map[string]bool{ch: true, l.CompositeID(): true, "sha-" + lock.Short(commit): true}
			norm := ladderNorm(outs["version"], ch, l.CompositeID(), "sha-"+lock.Short(commit))
			lad.add(sm, countExtra(sm.log, extra), norm)
			lastLadder = sm
		}
		tag := fmt.Sprintf("v0.0.%d", i+1)
		// with sameTags, the peers write the tags ladder writes besides
		// the version
		var extraTags []string
		if sameTags {
			extraTags = []string{"main", fmt.Sprintf("id-%d", i), fmt.Sprintf("sha-%d", i)}
		}
		runR := func() {
			sm := s.measure(b, "regctl artifact put", func() error {
				push := func() error { return s.regctlCmd(regctlPut(peerRepo+":"+tag, file)...) }
				return peerPublish(push, extraTags, func(extra string) error {
					return s.regctlCmd("image", "copy", peerRepo+":"+tag, peerRepo+":"+extra)
				})
			})
			peer.add(sm, 0, peerNorm(tag))
			lastPeer = sm
		}
		runC := func() {
			sm := s.measure(b, "crane append", func() error {
				push := func() error { return s.craneCmd(cranePut(craneRepo+":"+tag, craneFile)...) }
				return peerPublish(push, extraTags, func(extra string) error {
					return s.craneCmd("tag", craneRepo+":"+tag, extra)
				})
			})
			crane.add(sm, 0, peerNorm(tag))
			lastCrane = sm
		}
		b.StartTimer()
		alternate(i, runL, runR, runC)
	}
	b.StopTimer()
	finish(b, lad, peer, crane, "ladder build-bundle", lastLadder, "regctl artifact put", lastPeer, "crane append", lastCrane)
	// the fewest requests any client could spend on SPEC's writes here,
	// with no check at all (floor_test.go)
	newBlobs := 1 // the lock
	if newFile {
		newBlobs++
	}
	b.ReportMetric(float64(s.facts.floor(newBlobs, specTags)), "floor-req/op")
}

// peerPublish is a peer tool's publish: push, then tag each of extra,
// stopping at the first error.
func peerPublish(push func() error, extra []string, tag func(string) error) error {
	if err := push(); err != nil {
		return err
	}
	for _, t := range extra {
		if err := tag(t); err != nil {
			return err
		}
	}
	return nil
}

// cranePut is `crane append` of one layer (a gzip file) onto the empty
// image, pushed under ref: crane's way to push one file.
func cranePut(ref, layer string) []string {
	return []string{"append", "--oci-empty-base", "-f", layer, "-t", ref}
}

// writeGzip writes src as a gzip stream of stored blocks: crane takes a
// layer that is already compressed as it is, so it pushes the same 1 MB
// without spending CPU on compressing random bytes.
func writeGzip(b *testing.B, src, dst string) {
	b.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.NoCompression)
	zw.Write(data)
	zw.Close()
	if err := os.WriteFile(dst, buf.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
}

// regctlPut is `regctl artifact put` of one file as a ladder bundle's layer.
func regctlPut(ref, file string) []string {
	return []string{"artifact", "put", "--artifact-type", bundle.ArtifactType,
		"-f", file, "--file-media-type", bundle.FileMediaType, "--file-title", "--strip-dirs", ref}
}

func lockOf(b *testing.B, w *workspace, file string) lock.Lock {
	b.Helper()
	data, err := os.ReadFile(filepath.Join(w.dir, file))
	if err != nil {
		b.Fatal(err)
	}
	l, err := lock.Parse(data)
	if err != nil {
		b.Fatal(err)
	}
	return l
}

var (
	digestRE = regexp.MustCompile(`sha256:[0-9a-f]{64}`)
	uploadRE = regexp.MustCompile(`/blobs/uploads/[^/]+$`)
)

// manifestRef is the reference of a manifest request line, "" otherwise.
func manifestRef(line string) string {
	_, path, _ := strings.Cut(line, " ")
	i := strings.LastIndex(path, "/manifests/")
	if i < 0 {
		return ""
	}
	return path[i+len("/manifests/"):]
}

// countExtra counts the manifest requests whose reference is one of tags,
// and the manifest GET by digest right before a PUT of one of them (a tag
// write reads the manifest it points the tag at, unless it has the bytes).
func countExtra(log []string, tags map[string]bool) int {
	n := 0
	for i, l := range log {
		if !tags[manifestRef(l)] {
			continue
		}
		n++
		if i > 0 && strings.HasPrefix(l, "PUT ") && strings.HasPrefix(log[i-1], "GET ") && strings.HasPrefix(manifestRef(log[i-1]), "sha256:") {
			n++
		}
	}
	return n
}

// normaliser replaces the values that change from run to run with their role.
func normaliser(roles [][2]string) func(string) string {
	return func(l string) string {
		l = digestRE.ReplaceAllString(l, "<digest>")
		l = uploadRE.ReplaceAllString(l, "/blobs/uploads/<id>")
		if ref := manifestRef(l); ref != "" {
			for _, r := range roles {
				if ref == r[0] {
					l = strings.TrimSuffix(l, ref) + r[1]
					break
				}
			}
		}
		return l
	}
}

func ladderNorm(version, ch, id, sha string) func(string) string {
	return normaliser([][2]string{{strings.ReplaceAll(version, "+", "_"), "<version>"}, {ch, ch + " (channel)"},
		{id, "<composite-id>"}, {sha, "sha-<commit>"}})
}

func peerNorm(tag string) func(string) string { return normaliser([][2]string{{tag, "<tag>"}}) }

// report writes the side-by-side metrics and logs the per-op request lines.
func report(b *testing.B, lad, peer *tally) {
	b.Helper()
	b.ReportMetric(lad.perOp(lad.total), "ladder-req/op")
	b.ReportMetric(lad.perOp(lad.total-lad.extra), "ladder-req-excl-extra-tags/op")
	b.ReportMetric(peer.perOp(peer.total), "regctl-req/op")
	b.ReportMetric(float64(lad.wallPerOp().Microseconds())/1000, "ladder-ms/op")
	b.ReportMetric(float64(peer.wallPerOp().Microseconds())/1000, "regctl-ms/op")
	b.ReportMetric(float64(lad.wall)/float64(peer.wall), "ladder/regctl-time")
	b.ReportMetric(lad.perOp(lad.rt), "ladder-round-trips/op")
	b.ReportMetric(peer.perOp(peer.rt), "regctl-round-trips/op")
	b.ReportMetric(float64(lad.rt)/float64(peer.rt), "ladder/regctl-round-trips")
	// an estimate: the extra tag requests are sequential in ladder, each
	// costing at least the added latency
	est := lad.wall - time.Duration(lad.extra)*Latency
	b.ReportMetric(float64(est)/float64(peer.wall), "ladder-excl-extra-tags/regctl-time-est")
	b.Logf("%d runs each; per op:\n  ladder: %.3g requests (%.3g for tags regctl does not write), %s; %s\n  regctl: %.3g requests, %s; %s\n  ladder - regctl by kind: %s",
		lad.n, lad.perOp(lad.total), lad.perOp(lad.extra), lad.wallPerOp().Round(100_000), lad.kinds(),
		peer.perOp(peer.total), peer.wallPerOp().Round(100_000), peer.kinds(), kindDiff(lad, peer))
	b.Logf("ladder requests per op:\n%s", lad.requestLines())
	b.Logf("regctl requests per op:\n%s", peer.requestLines())
}
