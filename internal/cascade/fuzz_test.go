package cascade

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzParseEvent: no input panics; an error is an *EventError or names the
// unsupported event; what parses is valid, and a plan from it round-trips:
// each dispatch, delivered as the next event, parses back to the same chain.
func FuzzParseEvent(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "events", "*.json"))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		for _, ev := range []string{"push", "repository_dispatch", "workflow_dispatch"} {
			f.Add(ev, b, "refs/heads/main", "acme/os")
		}
	}
	f.Add("push", []byte(`{"ref":"refs/heads/a..b"}`), "", "")
	f.Add("repository_dispatch", []byte(dispatchWith(envelope(`"c1"`, goodChain, `"staging"`, goodSource))), "", "acme/os")
	f.Add("repository_dispatch", []byte(`{"action":"x","client_payload":{"ladder":{"chain":[{"repo":1}]}}}`), "refs/tags/x", "")
	f.Add("workflow_dispatch", []byte(``), "refs/heads/main", "")

	rules := Rules{
		Branches: map[string][]string{"main": {"staging"}, "production": {"staging"}, "staging": {"snapshot"}},
		Repos:    []RepoRule{{Repo: "acme/down", WhenBranch: "main"}, {Repo: "acme/iso", WhenBranch: "staging", EventType: "s"}},
	}
	f.Fuzz(func(t *testing.T, event string, payload []byte, ref, repo string) {
		trig, err := ParseEvent(event, payload, ref, repo)
		if err != nil {
			var ee *EventError
			if !errors.As(err, &ee) && !errors.Is(err, ErrUnsupportedEvent) {
				t.Fatalf("error %T: %v", err, err)
			}
			return
		}
		if trig.Skip != "" {
			return
		}
		if err := CheckBranch(trig.Branch); err != nil {
			t.Fatalf("parsed an invalid branch: %v", err)
		}
		if trig.Cascade != nil {
			if err := trig.Cascade.validate(); err != nil {
				t.Fatalf("parsed an invalid envelope: %v", err)
			}
		}
		self := Repo{Repo: trig.Repo}
		if self.Repo == "" {
			self.Repo = "acme/os"
		}
		p, err := Plan(rules, trig, self, 0, "c1", nil)
		if err != nil {
			return // refused: a cycle, the depth, a limit
		}
		for _, d := range p.Dispatches {
			if err := d.Validate(); err != nil {
				t.Fatalf("planned a dispatch over a limit: %v", err)
			}
			next, err := json.Marshal(map[string]any{"action": d.EventType, "branch": "main", "client_payload": d.Body})
			if err != nil {
				t.Fatal(err)
			}
			back, err := ParseEvent("repository_dispatch", next, "", d.Repo)
			if err != nil {
				t.Fatalf("a planned dispatch does not parse back: %v\n%s", err, next)
			}
			if !reflect.DeepEqual(back.Cascade.Chain, p.Chain) || back.Cascade.CorrelationID != p.CorrelationID {
				t.Fatalf("round trip: chain %v, want %v", back.Cascade.Chain, p.Chain)
			}
		}
	})
}
