package bundle

import (
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/ladder-release/ladder/internal/lock"
)

// buildPushList parses an input the way docker/build-push-action parses its
// `labels` and `annotations` inputs (@docker/actions-toolkit Util.getInputList
// with ignoreComma: csv-parse over the whole input with relaxed quotes and
// relaxed column counts, skipping empty lines; a record of several fields is
// joined back with commas; every item trimmed).
func buildPushList(t *testing.T, input string) []string {
	t.Helper()
	r := csv.NewReader(strings.NewReader(input))
	r.LazyQuotes = true
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("build-push-action would fail to parse %q: %v", input, err)
	}
	var out []string
	for _, rec := range recs {
		item := strings.TrimSpace(strings.Join(rec, ","))
		if item != "" {
			out = append(out, item)
		}
	}
	return out
}

func sample() Info {
	return Info{
		Lock: lock.Lock{Schema: 1, Product: "elemental", Channel: "staging", Components: []lock.Entry{
			{Name: "cli", Repo: "rancher/elemental-cli", Ref: "refs/tags/v0.2.1", Version: "0.2.1", Commit: strings.Repeat("b", 40)},
			{Name: "os", Git: "https://git.example.com/os.git?a=1,b=2", Ref: "refs/heads/main", Version: "main", Commit: strings.Repeat("c", 40)},
		}},
		Version:  "1.4.1-staging.20261122T011500.bbbbbbb-ccccccc",
		Revision: strings.Repeat("d", 40),
		Source:   "https://github.com/acme/elemental",
		Created:  time.Date(2026, 11, 22, 1, 15, 0, 0, time.UTC),
	}
}

func TestAnnotationsUseOCIKeys(t *testing.T) {
	t.Parallel()
	a := Annotations(sample())
	want := map[string]string{
		"org.opencontainers.image.version":  "1.4.1-staging.20261122T011500.bbbbbbb-ccccccc",
		"org.opencontainers.image.revision": strings.Repeat("d", 40),
		"org.opencontainers.image.source":   "https://github.com/acme/elemental",
		"org.opencontainers.image.created":  "2026-11-22T01:15:00Z",
		"org.opencontainers.image.title":    "elemental",
		"dev.ladder.channel":                "staging",
		"dev.ladder.id":                     "bbbbbbb-ccccccc",
		"dev.ladder.component.cli":          "0.2.1@" + strings.Repeat("b", 40),
	}
	for k, v := range want {
		if a[k] != v {
			t.Errorf("%s = %q, want %q", k, a[k], v)
		}
	}
	if !strings.HasPrefix(a[KeyLockDigest], "sha256:") {
		t.Errorf("lock digest %q", a[KeyLockDigest])
	}
}

func TestKeyValuesAcceptedAsIsByBuildPushAction(t *testing.T) {
	t.Parallel()
	kv, err := KeyValues(Annotations(sample()))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(kv, "\n")
	got := buildPushList(t, kv)
	if strings.Join(got, "\n") != strings.Join(lines, "\n") {
		t.Fatalf("build-push-action would read\n%q\nfrom\n%q", got, lines)
	}
	for _, l := range lines {
		k, _, ok := strings.Cut(l, "=")
		if !ok || !(strings.HasPrefix(k, "org.opencontainers.image.") || strings.HasPrefix(k, Prefix)) {
			t.Errorf("line %q is not an OCI or %s key=value", l, Prefix)
		}
	}
}

func TestKeyValuesRefusesValuesBuildPushActionWouldMangle(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"a\nb", `say "hi"`, " padded", "x\r", "tab\there"} {
		_, err := KeyValues(map[string]string{"dev.ladder.component.x": v})
		if err == nil || !strings.Contains(err.Error(), "dev.ladder.component.x") {
			t.Errorf("value %q: err = %v, want an error naming the key", v, err)
		}
	}
}
