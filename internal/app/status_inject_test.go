package app

import (
	"context"
	"encoding/json"
	"github.com/ladder-release/ladder/internal/status"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ladder-release/ladder/internal/ledger"
)

// Ledger text that tries to forge workflow commands: the runner processes a
// line holding the legacy "##[" anywhere, or starting (after leading white
// space) with "::". A reason can hold a newline: promote-label's reason input
// is only trimmed, and the ledger accepts any string from any writer.
const (
	statusInjectSetOutput  = "hotfix ##[set-output name=version;]9.9.9-evil"
	statusInjectLineStart  = "::error::forged"
	statusInjectNewline    = "rolled out\n::error file=x::forged after a newline\r##[warning]and after a CR"
	statusInjectQuarantine = "gate failed: op ##[add-mask]sha256"
	statusInjectActor      = "mallory ##[error]actor"
	statusInjectHold       = "::notice::held"
)

// statusInjectWorkspace is statusConfig with a ledger whose reasons, actor and
// hold try to forge workflow commands.
func statusInjectWorkspace(t *testing.T) string {
	t.Helper()
	ws, store := statusStore(t)
	t0 := now.Add(-5 * 24 * time.Hour)
	_, err := store.Update(context.Background(), ledger.Message{What: "status inject test"}, func(d *ledger.Document) error {
		var errs []error
		check := func(err error) { errs = append(errs, err) }
		publish := func(version string, at time.Time) {
			check(d.AddBundle(ledger.Bundle{Version: version, Digest: statusDigest(version), Channel: "stage", Created: at, Actor: "ci", Mode: ledger.ModeArtifact}))
			check(d.Append(ledger.ChannelStream("stage"), ledger.Entry{Version: version, At: at, Actor: "ci", Decision: "published"}))
		}
		promote := func(label, version string, at time.Time, e ledger.Entry) {
			e.Version, e.At, e.Decision = version, at, "promoted"
			check(d.Append(ledger.LabelStream(label), e))
		}
		publish("1.0.0", t0)
		promote("candidate", "1.0.0", t0.Add(time.Hour), ledger.Entry{Actor: "alice", Reason: statusInjectLineStart})
		publish("1.1.0", t0.Add(24*time.Hour))
		promote("candidate", "1.1.0", t0.Add(25*time.Hour), ledger.Entry{Actor: statusInjectActor, Reason: statusInjectNewline})
		publish("1.2.0", t0.Add(48*time.Hour))
		check(d.Quarantine(statusDigest("1.2.0"), ledger.Quarantine{Reason: statusInjectQuarantine, Label: "candidate", Actor: "ladder-bot", At: t0.Add(50 * time.Hour)}))
		promote("candidate", "1.2.0", t0.Add(52*time.Hour), ledger.Entry{Actor: "alice", Reason: statusInjectSetOutput, Forced: true})
		check(d.Hold("candidate", ledger.Hold{Reason: statusInjectHold, Actor: "alice", At: t0.Add(53 * time.Hour)}))
		for _, err := range errs {
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ws
}

// statusRunnerLines splits stdout the way the runner reads it (.NET ReadLine: a
// line ends at "\n", "\r" or "\r\n").
func statusRunnerLines(out string) []string {
	out = strings.ReplaceAll(out, "\r\n", "\n")
	return strings.FieldsFunc(out, func(c rune) bool { return c == '\n' || c == '\r' })
}

// statusRunnerCommand is the workflow command the runner would read in line, if
// any: "::NAME ...::DATA" after leading white space, or "##[NAME ...]DATA"
// anywhere in the line.
func statusRunnerCommand(line string) (name string, ok bool) {
	if rest, found := strings.CutPrefix(strings.TrimLeft(line, " \t"), "::"); found {
		cmd, _, _ := strings.Cut(rest, "::")
		name, _, _ = strings.Cut(cmd, " ")
		return name, true
	}
	if i := strings.Index(line, "##["); i >= 0 {
		cmd, _, _ := strings.Cut(line[i+len("##["):], "]")
		name, _, _ = strings.Cut(cmd, " ")
		name, _, _ = strings.Cut(name, ";")
		return name, true
	}
	return "", false
}

// statusRunnerProcessed models the runner reading stdout: it returns every line
// the runner would process as a workflow command, other than the
// stop-commands fence itself. After "::stop-commands::TOKEN" no line is
// processed until a command named TOKEN (compared ignoring case, as the
// runner does) resumes processing.
func statusRunnerProcessed(out string) []string {
	var processed []string
	stop := ""
	for _, line := range statusRunnerLines(out) {
		name, ok := statusRunnerCommand(line)
		switch {
		case !ok:
		case stop != "":
			if strings.EqualFold(name, stop) {
				stop = ""
			}
		case strings.EqualFold(name, "stop-commands"):
			_, tok, _ := strings.Cut(strings.TrimLeft(line, " \t")[len("::"):], "::")
			if tok == "" {
				processed = append(processed, line) // the runner refuses an empty token
				continue
			}
			stop = tok
		default:
			processed = append(processed, line)
		}
	}
	if stop != "" {
		// An unterminated fence processes nothing, but leaves the runner
		// ignoring every later command of the step: flag it.
		processed = append(processed, "(stop-commands never resumed)")
	}
	return processed
}

func TestStatusRunnerModel(t *testing.T) {
	for _, tc := range []struct {
		out  string
		want int
	}{
		{"plain\ntext: a:b\n", 0},
		{"x ##[set-output name=v;]1\n", 1},
		{"  ::error::x\n", 1},
		{"a\r::error::x\n", 1},
		{"a ::error::x\n", 0},
		{"::stop-commands::t1\n::error::x\n##[add-mask]y\n::t1::\n", 0},
		{"::stop-commands::t1\n::error::x\n::T1::\n::error::y\n", 1},
		{"::stop-commands::t1\n::error::x\n", 1},
	} {
		if got := statusRunnerProcessed(tc.out); len(got) != tc.want {
			t.Errorf("statusRunnerProcessed(%q) = %q, want %d lines", tc.out, got, tc.want)
		}
	}
}

// TestStatusInjectionInActions: inside GitHub Actions no line status prints
// (table, --history, --json) is processed by the runner as a workflow
// command, whatever the ledger holds; --json still decodes to the ledger's
// strings; outside Actions the output is unchanged.
func TestStatusInjectionInActions(t *testing.T) {
	ws := statusInjectWorkspace(t)
	plainEnv := map[string]string{"GITHUB_WORKSPACE": ws}
	actionsEnv := map[string]string{"GITHUB_WORKSPACE": ws, "GITHUB_ACTIONS": "true"}
	for _, tc := range []struct {
		name string
		args []string
		json bool
	}{
		{"table", nil, false},
		{"json", []string{"--json"}, true},
		{"history", []string{"--history", "candidate"}, false},
		{"history json", []string{"--history", "candidate", "--json"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plain := runStatus(t, plainEnv, tc.args...)
			in := runStatus(t, actionsEnv, tc.args...)
			if plain.code != ExitOK || in.code != ExitOK {
				t.Fatalf("exit %d / %d\n%s%s", plain.code, in.code, plain.stderr, in.stderr)
			}
			// The fixture is dangerous: printed raw, the runner would act on it.
			if len(statusRunnerProcessed(plain.stdout)) == 0 {
				t.Fatalf("the fixture forges no command outside Actions, the test proves nothing:\n%s", plain.stdout)
			}
			if got := statusRunnerProcessed(in.stdout); len(got) > 0 {
				t.Errorf("in Actions the runner would process %d line(s) as workflow commands: %q\nstdout:\n%s", len(got), got, in.stdout)
			}
			if !tc.json {
				// One fence around the output, the output itself unchanged.
				lines := strings.SplitAfter(in.stdout, "\n")
				first, last := lines[0], lines[len(lines)-2]
				tok, ok := strings.CutPrefix(strings.TrimSuffix(first, "\n"), "::stop-commands::")
				if !ok || last != "::"+tok+"::\n" || lines[len(lines)-1] != "" {
					t.Fatalf("text output in Actions is not fenced by stop-commands:\n%s", in.stdout)
				}
				if body := strings.Join(lines[1:len(lines)-2], ""); body != plain.stdout {
					t.Errorf("the fenced text differs from the output outside Actions:\n%s\n---\n%s", body, plain.stdout)
				}
				return
			}
			// --json: valid JSON, decoding to what it decodes to outside Actions,
			// with neither sequence in its bytes.
			if strings.Contains(in.stdout, "::") || strings.Contains(in.stdout, "##[") {
				t.Errorf("--json in Actions holds :: or ##[:\n%s", in.stdout)
			}
			var a, b any
			if err := json.Unmarshal([]byte(in.stdout), &a); err != nil {
				t.Fatalf("--json in Actions is not valid JSON: %v\n%s", err, in.stdout)
			}
			if err := json.Unmarshal([]byte(plain.stdout), &b); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(a, b) {
				t.Errorf("--json decodes differently in Actions:\n%s\n---\n%s", in.stdout, plain.stdout)
			}
			// Only the two sequences are escaped.
			undo := strings.NewReplacer(`:\u003a`, "::", `#\u0023[`, "##[").Replace(in.stdout)
			if undo != plain.stdout {
				t.Errorf("--json in Actions changed more than the escaped sequences:\n%s\n---\n%s", in.stdout, plain.stdout)
			}
		})
	}

	// The reasons decode back verbatim.
	var rep status.Report
	if err := json.Unmarshal([]byte(runStatus(t, actionsEnv, "--json").stdout), &rep); err != nil {
		t.Fatal(err)
	}
	var cand *status.Stream
	for i := range rep.Streams {
		if rep.Streams[i].Stream == "label:candidate" {
			cand = &rep.Streams[i]
		}
	}
	if cand == nil || cand.Reason != statusInjectSetOutput || cand.Hold == nil || cand.Hold.Reason != statusInjectHold ||
		cand.Quarantined == nil || cand.Quarantined.Reason != statusInjectQuarantine {
		t.Errorf("--json candidate: %+v", cand)
	}
	if len(rep.Quarantines) != 1 || rep.Quarantines[0].Reason != statusInjectQuarantine {
		t.Errorf("--json quarantines: %+v", rep.Quarantines)
	}
	var h status.History
	if err := json.Unmarshal([]byte(runStatus(t, actionsEnv, "--history", "candidate", "--json").stdout), &h); err != nil {
		t.Fatal(err)
	}
	var reasons, actors []string
	for _, m := range h.Moves {
		reasons, actors = append(reasons, m.Reason), append(actors, m.Actor)
	}
	if want := []string{statusInjectLineStart, statusInjectNewline, statusInjectSetOutput}; !reflect.DeepEqual(reasons, want) {
		t.Errorf("--history --json reasons = %q, want %q", reasons, want)
	}
	if want := []string{"alice", statusInjectActor, "alice"}; !reflect.DeepEqual(actors, want) {
		t.Errorf("--history --json actors = %q, want %q", actors, want)
	}
}

// TestStatusInActionsCleanOutputUnchanged: in Actions, output that holds
// nothing a runner would read as a command is printed exactly as outside.
func TestStatusInActionsCleanOutputUnchanged(t *testing.T) {
	ws := statusWorkspace(t)
	for _, args := range [][]string{nil, {"--json"}, {"--history", "production"}, {"--history", "production", "--json"}} {
		plain := runStatus(t, map[string]string{"GITHUB_WORKSPACE": ws}, args...)
		in := runStatus(t, map[string]string{"GITHUB_WORKSPACE": ws, "GITHUB_ACTIONS": "true"}, args...)
		if plain.code != ExitOK || in.code != ExitOK {
			t.Fatalf("%q: exit %d / %d", args, plain.code, in.code)
		}
		if strings.Contains(plain.stdout, "::") || strings.Contains(plain.stdout, "##[") {
			t.Fatalf("%q: the clean fixture holds :: or ##[", args)
		}
		if in.stdout != plain.stdout {
			t.Errorf("%q: clean output changed in Actions:\n%s\n---\n%s", args, in.stdout, plain.stdout)
		}
	}
}
