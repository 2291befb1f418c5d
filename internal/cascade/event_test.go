package cascade

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const (
	sha4 = "4444444444444444444444444444444444444444"
	sha6 = "6666666666666666666666666666666666666666"
)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseEventFixtures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		event   string
		file    string
		ref     string
		repo    string
		want    Trigger
		payload string // want Cascade.Payload, compact
	}{
		{
			name: "push to a branch", event: "push", file: "push.json", ref: "refs/heads/ignored",
			want: Trigger{Event: "push", Repo: "acme/package-storage", Branch: "production", SHA: sha4},
		},
		{
			name: "GITHUB_REPOSITORY wins over the payload", event: "push", file: "push.json", repo: "acme/other",
			want: Trigger{Event: "push", Repo: "acme/other", Branch: "production", SHA: sha4},
		},
		{
			name: "tag deletion triggers nothing", event: "push", file: "push.tag-deleted.json",
			want: Trigger{Event: "push", Repo: "acme/package-storage", Skip: `push deleting tag "v0.11.0" triggers no cascade`},
		},
		{
			name: "branch deletion triggers nothing", event: "push", file: "push.branch-deleted.json",
			want: Trigger{Event: "push", Repo: "acme/package-storage", Branch: "feature/old", Skip: `branch "feature/old" was deleted: nothing to rebuild`},
		},
		{
			name: "cascaded repository_dispatch", event: "repository_dispatch", file: "repository_dispatch.json", ref: "refs/heads/snapshot",
			want: Trigger{Event: "repository_dispatch", Repo: "acme/package-storage", Branch: "staging", EventType: "ladder-cascade",
				Cascade: &Envelope{
					CorrelationID: "run-7100-1",
					Chain:         []Hop{{Repo: "acme/package-storage", Branch: "production", SHA: sha4}},
					Branch:        "staging",
					Source:        Source{Repo: "acme/package-storage", Ref: "refs/heads/production", SHA: sha4},
				}},
			payload: `{"big":123456789012345678901234567890,"reason":"release endpoint 0.11.0; $(id) ` + "`whoami`" + `","ticket":149}`,
		},
		{
			name: "cross-repo dispatch builds the default branch", event: "repository_dispatch", file: "repository_dispatch.cross-repo.json",
			want: Trigger{Event: "repository_dispatch", Repo: "acme/elemental-iso", Branch: "main", EventType: "stable-published",
				Cascade: &Envelope{
					CorrelationID: "run-8200-1",
					Chain:         []Hop{{Repo: "acme/elemental-os", Branch: "main", SHA: sha6}},
					Source:        Source{Repo: "acme/elemental-os", Ref: "refs/heads/main", SHA: sha6, Channel: "stable"},
				}},
		},
		{
			name: "repository_dispatch that is not ladder's", event: "repository_dispatch", file: "repository_dispatch.foreign.json",
			want: Trigger{Event: "repository_dispatch", Repo: "acme/elemental-iso", EventType: "on-demand-test",
				Skip: `repository_dispatch "on-demand-test" carries no client_payload.ladder: not a cascade from ladder`},
		},
		{
			name: "workflow_dispatch", event: "workflow_dispatch", file: "workflow_dispatch.json", ref: "refs/heads/ignored",
			want: Trigger{Event: "workflow_dispatch", Repo: "acme/package-storage", Branch: "staging"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseEvent(tt.event, fixture(t, tt.file), tt.ref, tt.repo)
			if err != nil {
				t.Fatal(err)
			}
			if got.Cascade != nil {
				if string(got.Cascade.Payload) != tt.payload {
					t.Errorf("payload = %s, want %s", got.Cascade.Payload, tt.payload)
				}
				got.Cascade.Payload = nil
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
				if got.Cascade != nil && tt.want.Cascade != nil {
					t.Errorf("envelope got  %+v\nenvelope want %+v", *got.Cascade, *tt.want.Cascade)
				}
			}
		})
	}
}

func TestParseEventFallbacks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		event, body string
		ref, repo   string
		want        Trigger
	}{
		{"push without an event file uses GITHUB_REF", "push", "", "refs/heads/staging", "acme/os",
			Trigger{Event: "push", Repo: "acme/os", Branch: "staging"}},
		{"push without ref in the payload uses GITHUB_REF", "push", `{"after":"` + sha4 + `"}`, "refs/heads/staging", "",
			Trigger{Event: "push", Branch: "staging", SHA: sha4}},
		{"push of a tag", "push", `{"ref":"refs/tags/v1.0.0","after":"` + sha4 + `"}`, "", "",
			Trigger{Event: "push", SHA: sha4, Skip: `push of tag "v1.0.0" triggers no cascade (only a branch push does)`}},
		{"push of another ref", "push", `{"ref":"refs/notes/commits"}`, "", "",
			Trigger{Event: "push", Skip: `push of "refs/notes/commits" (not a branch) triggers no cascade (only a branch push does)`}},
		{"new branch", "push", `{"ref":"refs/heads/feature/x","created":true,"before":"0000000000000000000000000000000000000000","after":"` + sha4 + `"}`, "", "",
			Trigger{Event: "push", Branch: "feature/x", SHA: sha4}},
		{"workflow_dispatch on a tag", "workflow_dispatch", `{"ref":"refs/tags/v1.0.0"}`, "", "",
			Trigger{Event: "workflow_dispatch", Skip: `workflow_dispatch on tag "v1.0.0" triggers no cascade (only a run on a branch does)`}},
		{"workflow_dispatch without ref uses GITHUB_REF", "workflow_dispatch", `{"inputs":{}}`, "refs/heads/main", "",
			Trigger{Event: "workflow_dispatch", Branch: "main"}},
		{"repository_dispatch without client_payload", "repository_dispatch", `{"action":"deploy","client_payload":null}`, "", "",
			Trigger{Event: "repository_dispatch", EventType: "deploy", Skip: `repository_dispatch "deploy" carries no client_payload.ladder: not a cascade from ladder`}},
		{"cross-repo dispatch without top-level branch uses GITHUB_REF", "repository_dispatch",
			`{"action":"x","client_payload":{"ladder":{"correlation_id":"c1","chain":[{"repo":"a/b","branch":"main"}],"source":{"repo":"a/b"}}}}`,
			"refs/heads/trunk", "",
			Trigger{Event: "repository_dispatch", EventType: "x", Branch: "trunk",
				Cascade: &Envelope{CorrelationID: "c1", Chain: []Hop{{Repo: "a/b", Branch: "main"}}, Source: Source{Repo: "a/b"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseEvent(tt.event, []byte(tt.body), tt.ref, tt.repo)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// dispatchWith is a repository_dispatch event of ladder's event type whose
// client_payload.ladder is the given JSON.
func dispatchWith(ladder string) string {
	return `{"action":"ladder-cascade","branch":"main","client_payload":{"ladder":` + ladder + `}}`
}

const goodChain = `[{"repo":"acme/os","branch":"production","sha":"` + sha4 + `"}]`
const goodSource = `{"repo":"acme/os","ref":"refs/heads/production","sha":"` + sha4 + `"}`

func envelope(id, chain, branch, source string) string {
	return `{"correlation_id":` + id + `,"chain":` + chain + `,"branch":` + branch + `,"source":` + source + `}`
}

func TestParseEventErrors(t *testing.T) {
	t.Parallel()
	rd := "repository_dispatch"
	tests := []struct {
		name, event, body, ref, repo string
		want                         string
	}{
		{"malformed JSON", "push", `{"ref": "refs/heads/main",`, "", "",
			"push event: invalid JSON at byte 26: unexpected end of input"},
		{"truncated JSON", "push", `{"ref": "refs/he`, "", "",
			"push event: invalid JSON at byte 16: unexpected end of input"},
		{"trailing data", "push", `{"ref":"refs/heads/main"} {}`, "", "",
			"push event: invalid JSON at byte 26: data after the end of the document"},
		{"not an object", "push", `["refs/heads/main"]`, "", "",
			"push event: must be an object, got array"},
		{"ref wrong type", "push", `{"ref": 42}`, "", "",
			"push event: ref: must be a string, got number"},
		{"ref missing everywhere", "push", `{}`, "", "",
			"push event: ref: missing, and GITHUB_REF is empty"},
		{"deleted wrong type", "push", `{"ref":"refs/heads/main","deleted":"yes"}`, "", "",
			"push event: deleted: must be a boolean, got string"},
		{"after not a sha", "push", `{"ref":"refs/heads/main","after":"abc"}`, "", "",
			`push event: after: "abc": expected a full commit SHA (40 or 64 lowercase hex digits)`},
		{"invalid branch in ref", "push", `{"ref":"refs/heads/a..b"}`, "", "",
			`push event: ref: "refs/heads/a..b": contains ".."`},
		{"invalid branch in GITHUB_REF", "push", ``, "refs/heads/bad branch", "",
			`push event: GITHUB_REF: "refs/heads/bad branch": contains a space or control character`},
		{"invalid GITHUB_REPOSITORY", "push", `{"ref":"refs/heads/main"}`, "", "not a repo",
			`push event: GITHUB_REPOSITORY: "not a repo": expected owner/name (letters, digits, "-" in the owner; letters, digits, ".", "_", "-" in the name)`},
		{"repository wrong type", "push", `{"ref":"refs/heads/main","repository":"acme/os"}`, "", "",
			"push event: repository: must be an object, got string"},
		{"repository.full_name wrong type", "push", `{"ref":"refs/heads/main","repository":{"full_name":7}}`, "", "",
			"push event: repository.full_name: must be a string, got number"},
		{"workflow_dispatch ref wrong type", "workflow_dispatch", `{"ref":{"name":"main"}}`, "", "",
			"workflow_dispatch event: ref: must be a string, got object"},
		{"action missing", rd, `{"client_payload":{}}`, "", "",
			"repository_dispatch event: action: event_type is 0 characters; GitHub requires 1 to 100"},
		{"action wrong type", rd, `{"action":true}`, "", "",
			"repository_dispatch event: action: must be a string, got boolean"},
		{"client_payload wrong type", rd, `{"action":"x","client_payload":[1]}`, "", "",
			"repository_dispatch event: client_payload: must be an object, got array"},
		{"ladder's event type without envelope", rd, `{"action":"ladder-cascade","client_payload":{"unit":true}}`, "", "",
			`repository_dispatch event: client_payload.ladder: missing: event type "ladder-cascade" is ladder's, but the payload carries no cascade envelope`},
		{"envelope wrong type", rd, dispatchWith(`"hello"`), "", "",
			"repository_dispatch event: client_payload.ladder: must be an object, got string"},
		{"correlation id missing", rd, dispatchWith(`{"chain":[]}`), "", "",
			"repository_dispatch event: client_payload.ladder.correlation_id: missing"},
		{"correlation id wrong type", rd, dispatchWith(envelope(`12`, goodChain, `"staging"`, goodSource)), "", "",
			"repository_dispatch event: client_payload.ladder.correlation_id: must be a string, got number"},
		{"correlation id empty", rd, dispatchWith(envelope(`""`, goodChain, `"staging"`, goodSource)), "", "",
			`repository_dispatch event: client_payload.ladder.correlation_id: "": empty`},
		{"correlation id too long", rd, dispatchWith(envelope(`"`+strings.Repeat("a", 129)+`"`, goodChain, `"staging"`, goodSource)), "", "",
			`repository_dispatch event: client_payload.ladder.correlation_id: "` + strings.Repeat("a", 80) + `"... (129 bytes): 129 characters, at most 128`},
		{"correlation id with a newline", rd, dispatchWith(envelope(`"a\n::error::x"`, goodChain, `"staging"`, goodSource)), "", "",
			`repository_dispatch event: client_payload.ladder.correlation_id: "a\n::error::x": expected letters, digits, ".", "_", ":", "-", starting with a letter or digit`},
		{"chain missing", rd, dispatchWith(`{"correlation_id":"c1"}`), "", "",
			"repository_dispatch event: client_payload.ladder.chain: missing"},
		{"chain wrong type", rd, dispatchWith(envelope(`"c1"`, `{}`, `"staging"`, goodSource)), "", "",
			"repository_dispatch event: client_payload.ladder.chain: must be an array, got object"},
		{"chain empty", rd, dispatchWith(envelope(`"c1"`, `[]`, `"staging"`, goodSource)), "", "",
			"repository_dispatch event: client_payload.ladder.chain: empty: a cascaded run has at least its sender in the chain"},
		{"chain too long", rd, dispatchWith(envelope(`"c1"`, `[`+strings.Repeat(`{"repo":"a/b"},`, 100)+`{"repo":"a/b"}]`, `"staging"`, goodSource)), "", "",
			"repository_dispatch event: client_payload.ladder.chain: 101 entries, at most 100"},
		{"chain entry wrong type", rd, dispatchWith(envelope(`"c1"`, `[{"repo":"a/b"},"a/c"]`, `"staging"`, goodSource)), "", "",
			"repository_dispatch event: client_payload.ladder.chain[1]: must be an object, got string"},
		{"chain repo wrong type", rd, dispatchWith(envelope(`"c1"`, `[{"repo":"a/b"},{"repo":"a/c"},{"repo":1}]`, `"staging"`, goodSource)), "", "",
			"repository_dispatch event: client_payload.ladder.chain[2].repo: must be a string, got number"},
		{"chain repo invalid", rd, dispatchWith(envelope(`"c1"`, `[{"repo":"a/b"},{"repo":"a/c"},{"repo":"../etc"}]`, `"staging"`, goodSource)), "", "",
			`repository_dispatch event: client_payload.ladder.chain[2].repo: "../etc": expected owner/name (letters, digits, "-" in the owner; letters, digits, ".", "_", "-" in the name)`},
		{"chain repo missing", rd, dispatchWith(envelope(`"c1"`, `[{"branch":"main"}]`, `"staging"`, goodSource)), "", "",
			"repository_dispatch event: client_payload.ladder.chain[0].repo: missing"},
		{"chain branch invalid", rd, dispatchWith(envelope(`"c1"`, `[{"repo":"a/b","branch":"-rf"}]`, `"staging"`, goodSource)), "", "",
			`repository_dispatch event: client_payload.ladder.chain[0].branch: "-rf": starts with "-"`},
		{"chain sha invalid", rd, dispatchWith(envelope(`"c1"`, `[{"repo":"a/b","sha":"HEAD"}]`, `"staging"`, goodSource)), "", "",
			`repository_dispatch event: client_payload.ladder.chain[0].sha: "HEAD": expected a full commit SHA (40 or 64 lowercase hex digits)`},
		{"branch wrong type", rd, dispatchWith(envelope(`"c1"`, goodChain, `["staging"]`, goodSource)), "", "",
			"repository_dispatch event: client_payload.ladder.branch: must be a string, got array"},
		{"branch invalid", rd, dispatchWith(envelope(`"c1"`, goodChain, `"staging\n::set-output name=x::y"`, goodSource)), "", "",
			`repository_dispatch event: client_payload.ladder.branch: "staging\n::set-output name=x::y": contains a space or control character`},
		{"branch too long", rd, dispatchWith(envelope(`"c1"`, goodChain, `"`+strings.Repeat("b", 256)+`"`, goodSource)), "", "",
			`repository_dispatch event: client_payload.ladder.branch: "` + strings.Repeat("b", 80) + `"... (256 bytes): 256 bytes, at most 255`},
		{"source missing", rd, dispatchWith(`{"correlation_id":"c1","chain":` + goodChain + `}`), "", "",
			"repository_dispatch event: client_payload.ladder.source: missing"},
		{"source wrong type", rd, dispatchWith(envelope(`"c1"`, goodChain, `"staging"`, `null`)), "", "",
			"repository_dispatch event: client_payload.ladder.source: must be an object, got null"},
		{"source ref invalid", rd, dispatchWith(envelope(`"c1"`, goodChain, `"staging"`, `{"repo":"a/b","ref":"production"}`)), "", "",
			`repository_dispatch event: client_payload.ladder.source.ref: "production": expected "refs/heads/NAME" or "refs/tags/NAME"`},
		{"source sha wrong type", rd, dispatchWith(envelope(`"c1"`, goodChain, `"staging"`, `{"repo":"a/b","sha":4}`)), "", "",
			"repository_dispatch event: client_payload.ladder.source.sha: must be a string, got number"},
		{"source channel invalid", rd, dispatchWith(envelope(`"c1"`, goodChain, `"staging"`, `{"repo":"a/b","channel":"a b"}`)), "", "",
			`repository_dispatch event: client_payload.ladder.source.channel: "a b": not a valid channel name (an OCI tag: letters, digits, "_", ".", "-", at most 128)`},
		{"payload not an object", rd, dispatchWith(`{"correlation_id":"c1","chain":` + goodChain + `,"branch":"staging","source":` + goodSource + `,"payload":[1,2]}`), "", "",
			"repository_dispatch event: client_payload.ladder.payload: must be an object, got array"},
		{"top-level branch invalid", rd, `{"action":"x","branch":"a:b","client_payload":{"ladder":` + envelope(`"c1"`, goodChain, `""`, goodSource) + `}}`, "", "",
			`repository_dispatch event: branch: "a:b": contains ":"`},
		{"no branch at all", rd, `{"action":"x","client_payload":{"ladder":` + envelope(`"c1"`, goodChain, `""`, goodSource) + `}}`, "", "",
			"repository_dispatch event: client_payload.ladder.branch: empty, and neither the payload's branch nor GITHUB_REF names one"},
		{"no branch and GITHUB_REF a tag", rd, `{"action":"x","client_payload":{"ladder":` + envelope(`"c1"`, goodChain, `""`, goodSource) + `}}`, "refs/tags/v1", "",
			`repository_dispatch event: client_payload.ladder.branch: empty, and GITHUB_REF is tag "v1", not a branch`},
		{"event type too long", rd, `{"action":"` + strings.Repeat("e", 101) + `"}`, "", "",
			"repository_dispatch event: action: event_type is 101 characters; GitHub requires 1 to 100"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseEvent(tt.event, []byte(tt.body), tt.ref, tt.repo)
			if err == nil {
				t.Fatalf("no error; got %+v", got)
			}
			if err.Error() != tt.want {
				t.Errorf("error\n got: %s\nwant: %s", err, tt.want)
			}
			var ee *EventError
			if !errors.As(err, &ee) {
				t.Errorf("error is %T, want *EventError", err)
			}
		})
	}
}

func TestParseEventUnsupported(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"", "pull_request", "schedule", "release"} {
		_, err := ParseEvent(name, []byte(`{}`), "refs/heads/main", "acme/os")
		if !errors.Is(err, ErrUnsupportedEvent) {
			t.Errorf("%q: err = %v, want ErrUnsupportedEvent", name, err)
		}
	}
	_, err := ParseEvent("pull_request", nil, "", "")
	want := `unsupported event: "pull_request" cannot start a cascade (push, repository_dispatch and workflow_dispatch can; otherwise name the branch)`
	if err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
}

// The envelope's fields of the wrong type never panic and always name a path.
func TestParseEventEveryEnvelopeFieldTyped(t *testing.T) {
	t.Parallel()
	base := map[string]any{
		"correlation_id": "c1",
		"chain":          []any{map[string]any{"repo": "a/b", "branch": "main", "sha": sha4}},
		"branch":         "staging",
		"source":         map[string]any{"repo": "a/b", "ref": "refs/heads/main", "sha": sha4, "channel": "stable"},
		"payload":        map[string]any{"k": "v"},
	}
	paths := []string{"correlation_id", "chain", "branch", "source", "payload",
		"chain.0", "chain.0.repo", "chain.0.branch", "chain.0.sha",
		"source.repo", "source.ref", "source.sha", "source.channel"}
	for _, path := range paths {
		for _, bad := range []any{12.5, true, []any{}, map[string]any{}} {
			doc := deepCopy(base).(map[string]any)
			if !set(doc, strings.Split(path, "."), bad) {
				t.Fatalf("bad path %s", path)
			}
			body, _ := json.Marshal(map[string]any{"action": "ladder-cascade", "client_payload": map[string]any{"ladder": doc}})
			_, err := ParseEvent("repository_dispatch", body, "refs/heads/main", "a/b")
			wantPath := "client_payload.ladder." + strings.ReplaceAll(path, ".0", "[0]")
			switch {
			case path == "payload" && isObject(bad):
				if err != nil {
					t.Errorf("%s = %v: %v", path, bad, err)
				}
			case path == "chain" && isArray(bad):
				if err == nil || !strings.Contains(err.Error(), wantPath+": empty") {
					t.Errorf("%s = %v: %v", path, bad, err)
				}
			case err == nil:
				t.Errorf("%s = %#v: no error", path, bad)
			case !strings.Contains(err.Error(), wantPath+": ") && !strings.Contains(err.Error(), wantPath+"."):
				t.Errorf("%s = %#v: error %q does not name %s", path, bad, err, wantPath)
			}
		}
	}
}

func isObject(v any) bool { _, ok := v.(map[string]any); return ok }
func isArray(v any) bool  { _, ok := v.([]any); return ok }

func deepCopy(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

func set(doc any, path []string, v any) bool {
	for i, p := range path {
		last := i == len(path)-1
		switch d := doc.(type) {
		case map[string]any:
			if last {
				d[p] = v
				return true
			}
			doc = d[p]
		case []any:
			if p != "0" || len(d) == 0 {
				return false
			}
			if last {
				d[0] = v
				return true
			}
			doc = d[0]
		default:
			return false
		}
	}
	return false
}

func TestIsFullSHAAndCheckEventType(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{
		strings.Repeat("a", 40): true, strings.Repeat("0", 64): true,
		strings.Repeat("a", 39): false, strings.Repeat("A", 40): false, strings.Repeat("g", 40): false, "": false,
	} {
		if got := IsFullSHA(s); got != want {
			t.Errorf("IsFullSHA(%q) = %v", s, got)
		}
	}
	if err := CheckEventType(strings.Repeat("é", 100)); err != nil {
		t.Errorf("100 characters (200 bytes): %v", err)
	}
	for _, bad := range []string{"", strings.Repeat("x", 101)} {
		if err := CheckEventType(bad); err == nil {
			t.Errorf("CheckEventType(%d characters): no error", len(bad))
		}
	}
}
