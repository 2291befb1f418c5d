package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/ladder-release/ladder/internal/testutil/regproxy"
)

// SPEC section 4, build-bundle: `image` is "an existing image ref or digest
// to tag". A bare digest is that manifest in the product's own repository.
func TestBuildImageBareDigestIsInTheProductsRepository(t *testing.T) {
	w := newS1World(t, "file:ledger.json")
	img, err := random.Image(512, 1)
	if err != nil {
		t.Fatal(err)
	}
	imgDigest, _ := img.Digest()
	// pushed by digest only: no tag names it
	ref, err := name.ParseReference(w.repo() + "@" + imgDigest.String())
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	_, l := resolveOK(t, w, map[string]string{"channel": "staging"})
	res := buildOK(t, w, map[string]string{"channel": "staging", "image": imgDigest.String()})
	if res.outputs["published"] != "true" || res.outputs["digest"] != imgDigest.String() || res.outputs["ref"] != w.repo()+"@"+imgDigest.String() {
		t.Fatalf("outputs %v, image %s", res.outputs, imgDigest)
	}
	c := newTestOCI(t)
	for _, tag := range []string{res.outputs["version"], "staging", l.CompositeID()} {
		if d, err := c.Head(context.Background(), w.repo()+":"+tag); err != nil || d.Digest != imgDigest.String() {
			t.Errorf("tag %s: %v %s", tag, err, d.Digest)
		}
	}
	if refs, err := c.Referrers(context.Background(), w.repo()+"@"+imgDigest.String()); err != nil || len(refs) != 1 {
		t.Errorf("the lock is not attached: %v %v", refs, err)
	}
}

func TestBuildImageBadDigestIsRefused(t *testing.T) {
	w := newS1World(t, "file:ledger.json")
	hex := strings.Repeat("ab", 32)
	for _, image := range []string{
		"sha256:" + strings.ToUpper(hex), // uppercase
		"sha256:" + hex[:63],             // short
		"sha256:" + hex + "0",            // long
		"sha256:" + hex[:63] + "g",       // not hex
		"sha256:",
	} {
		t.Run(image, func(t *testing.T) {
			res := w.runAction(t, "build-bundle", map[string]string{"channel": "staging", "image": image}, nil)
			want := fmt.Sprintf("input image: %q is not a digest", image)
			if res.code != ExitUsage || !strings.Contains(res.stdout, want) || !strings.Contains(res.stdout, "64 lowercase hex") {
				t.Fatalf("exit %d, want an error containing %q:\n%s", res.code, want, res.stdout)
			}
			w.wantNoTrace(t, res, "ledger.json")
		})
	}
}

// SPEC section 4, resolve-channel: `version` is what build-bundle would
// publish the lock as. For an unchanged lock build-bundle publishes nothing
// and reports the channel's current bundle, so resolve-channel must say that
// version, not the next one.
func TestResolveVersionOfAnUnchangedLockIsTheCurrentBundles(t *testing.T) {
	for _, kind := range []string{"file:ledger.json", "none"} {
		t.Run(kind, func(t *testing.T) {
			w := newS1World(t, kind)
			first, _ := resolveOK(t, w, map[string]string{"channel": "stable"})
			published := buildOK(t, w, map[string]string{"channel": "stable"})
			if published.outputs["published"] != "true" || published.outputs["version"] != first.outputs["version"] {
				t.Fatalf("first publish %v, resolve said %s", published.outputs, first.outputs["version"])
			}
			again, _ := resolveOK(t, w, map[string]string{"channel": "stable"})
			if again.outputs["changed"] != "false" {
				t.Fatalf("changed = %s after publishing that lock", again.outputs["changed"])
			}
			build := buildOK(t, w, map[string]string{"channel": "stable"})
			if build.outputs["published"] != "false" {
				t.Fatalf("the unchanged lock was published again: %v", build.outputs)
			}
			if again.outputs["version"] != build.outputs["version"] || again.outputs["version"] != "0.0.1" {
				t.Errorf("resolve-channel says version %s, build-bundle reports %s (want 0.0.1)", again.outputs["version"], build.outputs["version"])
			}
			if !strings.Contains(again.outputs["annotations"], "org.opencontainers.image.version=0.0.1") {
				t.Errorf("annotations do not carry the current version:\n%s", again.outputs["annotations"])
			}
		})
	}
}

// SPEC section 4, build-bundle: output `tags` is a JSON array, also when
// nothing is published.
func TestBuildTagsOutputIsAnArrayWhenNothingIsPublished(t *testing.T) {
	w := newS1World(t, "file:ledger.json")
	dry := buildOK(t, w, map[string]string{"channel": "stable", "dry-run": "true"})
	resolveOK(t, w, map[string]string{"channel": "stable"})
	first := buildOK(t, w, map[string]string{"channel": "stable", "version": "3.0.0"})
	if first.outputs["published"] != "true" || first.outputs["tags"] == "[]" {
		t.Fatalf("first publish %v", first.outputs)
	}
	unchanged := buildOK(t, w, map[string]string{"channel": "stable"})
	already := buildOK(t, w, map[string]string{"channel": "stable", "version": "3.0.0", "force": "true"})
	for _, c := range []struct {
		name string
		res  result
	}{{"dry run", dry}, {"unchanged lock", unchanged}, {"version already holds this digest", already}} {
		if c.res.outputs["published"] != "false" {
			t.Errorf("%s: published %s", c.name, c.res.outputs["published"])
		}
		if got := c.res.outputs["tags"]; got != "[]" {
			t.Errorf("%s: tags output %q, want []", c.name, got)
		}
	}
}

// A channel whose version comes from a component (version: {from: C})
// computes the same version however often it is asked: when another digest
// holds that version, no retry can help, so build-bundle fails at once
// naming the version, both digests and the config field.
func TestBuildVersionFromTakenFailsAtOnce(t *testing.T) {
	w, proxy := proxiedWorld(t)
	cfg := withLedger(w.s1Config(""), "file:ledger.json")
	w.writeConfig(t, cfg)
	resolveOK(t, w, map[string]string{"channel": "staging"})
	first := buildOK(t, w, map[string]string{"channel": "staging"})
	version := first.outputs["version"]
	if first.outputs["published"] != "true" || version != "1.2.4-rc.1" {
		t.Fatalf("first publish %v", first.outputs)
	}
	// a new cli release changes the lock, not the operator's version
	w.gh.Tag("rancher/elemental-cli", "v0.4.0", w.c["cli3"])
	resolved, _ := resolveOK(t, w, map[string]string{"channel": "staging"})
	if resolved.outputs["changed"] != "true" || resolved.outputs["version"] != version {
		t.Fatalf("second resolve %v", resolved.outputs)
	}
	proxy.Reset()
	var slept waits
	start := time.Now()
	res := w.runActionSleeping(t, "build-bundle", map[string]string{"channel": "staging"}, slept.sleep)
	if res.code != ExitFailure {
		t.Fatalf("exit %d, want a failure:\n%s", res.code, res.stdout)
	}
	puts := proxy.Stats().ByKind[regproxy.ManifestPut]
	slept.mu.Lock()
	waited := append([]time.Duration(nil), slept.ds...)
	slept.mu.Unlock()
	t.Logf("%d manifest PUTs, waits %v, %v\n%s", puts, waited, time.Since(start), res.stdout)
	if len(waited) != 0 {
		t.Errorf("build-bundle waited %v: it retried a claim that cannot succeed", waited)
	}
	if puts != 0 {
		t.Errorf("%d manifest PUTs, want none: the ledger shows the version taken before anything is pushed", puts)
	}
	if pos := errorAt(cfg, "version: {from: operator}", "from"); !strings.Contains(res.stdout, pos) {
		t.Errorf("the error is not at channels.staging.version.from (%s):\n%s", pos, res.stdout)
	}
	for _, want := range []string{"version " + version, first.outputs["digest"], "channels.staging.version.from"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("the error does not name %q:\n%s", want, res.stdout)
		}
	}
	if n := len(w.fileLedger(t).Bundles); n != 1 {
		t.Errorf("%d bundles in the ledger, want 1", n)
	}
	if d, err := newTestOCI(t).Head(context.Background(), w.repo()+":"+version); err != nil || d.Digest != first.outputs["digest"] {
		t.Errorf("version tag %s: %v %s, want %s", version, err, d.Digest, first.outputs["digest"])
	}
}

// errorAt is the annotation prefix of an error at key, the first one in the
// first line of cfg that contains line.
func errorAt(cfg, line, key string) string {
	for i, l := range strings.Split(cfg, "\n") {
		if j := strings.Index(l, line); j >= 0 {
			return fmt.Sprintf("::error file=.github/ladder.yaml,line=%d,col=%d::", i+1, j+strings.Index(line, key)+1)
		}
	}
	return "(no line " + line + ")"
}

// The same when the registry lacks the version tag (deleted by hand, or a
// publish that stopped before tagging): the claim meets the taken version in
// the ledger itself, and fails there with the same message.
func TestBuildVersionFromTakenInTheLedgerOnly(t *testing.T) {
	w := newWorld(t, worldOpt{})
	cfg := withLedger(w.s1Config(""), "file:ledger.json")
	w.writeConfig(t, cfg)
	resolveOK(t, w, map[string]string{"channel": "staging"})
	first := buildOK(t, w, map[string]string{"channel": "staging"})
	version := first.outputs["version"]
	if err := newTestOCI(t).DeleteTag(context.Background(), w.repo(), version); err != nil {
		t.Fatal(err)
	}
	w.gh.Tag("rancher/elemental-cli", "v0.4.0", w.c["cli3"])
	resolveOK(t, w, map[string]string{"channel": "staging"})
	var slept waits
	res := w.runActionSleeping(t, "build-bundle", map[string]string{"channel": "staging"}, slept.sleep)
	if res.code != ExitFailure {
		t.Fatalf("exit %d, want a failure:\n%s", res.code, res.stdout)
	}
	if n := len(slept.ds); n != 0 {
		t.Errorf("%d waits: it retried a claim that cannot succeed", n)
	}
	want := errorAt(cfg, "version: {from: operator}", "from") + "version " + version + " is already published as " + first.outputs["digest"]
	if !strings.Contains(res.stdout, want) || !strings.Contains(res.stdout, "channels.staging.version.from gives "+version) {
		t.Errorf("want an error starting %q:\n%s", want, res.stdout)
	}
}

// version: {bump: patch} never proposes a version another channel holds
// (SPEC section 2, version): when dev published 0.0.2 under an explicit
// version, stable's next bump passes over it, at once, and says so.
func TestBuildVersionBumpPassesOverAVersionTakenElsewhere(t *testing.T) {
	w := newWorld(t, worldOpt{})
	cfg := withLedger(w.s1Config(""), "file:ledger.json")
	w.writeConfig(t, cfg)
	resolveOK(t, w, map[string]string{"channel": "stable"})
	if res := buildOK(t, w, map[string]string{"channel": "stable"}); res.outputs["version"] != "0.0.1" {
		t.Fatalf("stable: %v", res.outputs)
	}
	dev := buildOK(t, w, map[string]string{"channel": "dev", "version": "0.0.2", "lock-file": "dev.json"})
	if dev.outputs["published"] != "true" {
		t.Fatalf("dev: %v", dev.outputs)
	}
	var slept waits
	res := w.runActionSleeping(t, "build-bundle", map[string]string{"channel": "stable", "force": "true"}, slept.sleep)
	if res.code != 0 {
		t.Fatalf("exit %d:\n%s", res.code, res.stdout)
	}
	if res.outputs["version"] != "0.0.3" || res.outputs["replaces"] != "0.0.1" {
		t.Errorf("stable after dev's 0.0.2: %v, want 0.0.3 replacing 0.0.1", res.outputs)
	}
	if n := len(slept.ds); n != 0 {
		t.Errorf("%d waits: the bump went through the claim instead of passing over at once", n)
	}
	if !strings.Contains(res.summary, "The bump passed over 0.0.2 (held by channel dev)") {
		t.Errorf("summary does not name what the bump passed over:\n%s", res.summary)
	}
}

// A team moving from release scripts to ladder starts with an empty ledger
// and a registry that already holds their versions. The ledger grants 2.0.0
// (it has never seen it), but the registry's 2.0.0 is the script's image:
// build-bundle refuses, naming both digests, and changes nothing (the tag,
// the ledger).
func TestBuildVersionTagFromBeforeLadderIsNotOverwritten(t *testing.T) {
	w := newS1World(t, "file:ledger.json")
	script := pushImage(t, w.repo()+":2.0.0")
	resolveOK(t, w, map[string]string{"channel": "dev"})
	res := w.runAction(t, "build-bundle", map[string]string{"channel": "dev", "version": "2.0.0"}, nil)
	if res.code != ExitFailure {
		t.Fatalf("exit %d, want a failure:\n%s", res.code, res.stdout)
	}
	ours := ""
	for _, dg := range regexp.MustCompile(`sha256:[0-9a-f]{64}`).FindAllString(res.stdout, -1) {
		if dg != script {
			ours = dg
		}
	}
	if !strings.Contains(res.stdout, script) || ours == "" || !strings.Contains(res.stdout, "2.0.0") {
		t.Errorf("the error does not name the version and both digests (the registry's %s):\n%s", script, res.stdout)
	}
	if got, err := newTestOCI(t).Head(context.Background(), w.repo()+":2.0.0"); err != nil || got.Digest != script {
		t.Errorf("version tag 2.0.0: %v %s, want the script's %s", err, got.Digest, script)
	}
	if _, err := os.Stat(filepath.Join(w.ws, "ledger.json")); err == nil {
		if n := len(w.fileLedger(t).Bundles); n != 0 {
			t.Errorf("%d bundles in the ledger, want none", n)
		}
	}
	for _, tag := range []string{"dev", "sha-" + strings.Repeat("e", 7)} {
		if _, err := newTestOCI(t).Head(context.Background(), w.repo()+":"+tag); err == nil {
			t.Errorf("tag %s was written", tag)
		}
	}
}
