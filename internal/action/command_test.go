package action_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/ladder-release/ladder/internal/action"
)

// TestEscape: a workflow command's data and its properties, escaped as the
// runner unescapes them.
func TestEscape(t *testing.T) {
	t.Parallel()
	wantEach(t, "EscapeData", action.EscapeData, map[string]string{
		"":                       "",
		"plain text":             "plain text",
		"100%":                   "100%25",
		"%0A":                    "%250A",
		"a\nb":                   "a%0Ab",
		"a\r\nb":                 "a%0D%0Ab",
		"a:b,c":                  "a:b,c",
		"x\n::set-output name=a": "x%0A::set-output name=a",
	})
	wantEach(t, "EscapeProperty", action.EscapeProperty, map[string]string{
		"":                       "",
		".github/ladder.yaml":    ".github/ladder.yaml",
		"C:\\dir\\file,1":        "C%3A\\dir\\file%2C1",
		"100%":                   "100%25",
		"a\r\nb":                 "a%0D%0Ab",
		"f,line=9,col=1::forged": "f%2Cline=9%2Ccol=1%3A%3Aforged",
	})
}

// commandRunner is a Runner inside a runner (GITHUB_ACTIONS=true).
func commandRunner(t *testing.T, vars map[string]string) (*action.Runner, *bytes.Buffer) {
	var stdout bytes.Buffer
	env := map[string]string{"GITHUB_ACTIONS": "true"}
	for k, v := range vars {
		env[k] = v
	}
	return action.New(mapEnv(t, env, "RUNNER_DEBUG"), &stdout), &stdout
}

// TestAddMaskOutsideARunnerPrintsNothing: in a terminal nothing masks the
// log, so ::add-mask:: would only print the secret.
func TestAddMaskOutsideARunnerPrintsNothing(t *testing.T) {
	t.Parallel()
	var stdout bytes.Buffer
	r := action.New(mapEnv(t, map[string]string{"GITHUB_ACTIONS": ""}), &stdout)
	r.AddMask("ghp_secret")
	if stdout.Len() != 0 {
		t.Errorf("printed %q outside a runner", stdout.String())
	}
}

func TestAnnotations(t *testing.T) {
	t.Parallel()
	r, stdout := commandRunner(t, nil)
	pos := action.Annotation{File: ".github/ladder.yaml", Line: 12, Col: 5}
	r.ErrorAt(pos, "channel stable: unknown stream")
	r.WarningAt(action.Annotation{File: "a,b:c.yaml", Line: 1, Title: "50% done"}, "w")
	r.NoticeAt(action.Annotation{}, "no position")
	r.ErrorAt(action.Annotation{File: "f.yaml", Line: 3}, "multi\nline\r\nmessage 100%")
	r.Errorf("plain %s", "error")
	r.Warningf("plain %d", 2)
	r.Noticef("note")
	r.Group("resolve: stable")
	r.EndGroup()
	want := "::error file=.github/ladder.yaml,line=12,col=5::channel stable: unknown stream\n" +
		"::warning title=50%25 done,file=a%2Cb%3Ac.yaml,line=1::w\n" +
		"::notice::no position\n" +
		"::error file=f.yaml,line=3::multi%0Aline%0D%0Amessage 100%25\n" +
		"::error::plain error\n" +
		"::warning::plain 2\n" +
		"::notice::note\n" +
		"::group::resolve: stable\n" +
		"::endgroup::\n"
	if stdout.String() != want {
		t.Errorf("stdout =\n%s\nwant\n%s", stdout.String(), want)
	}
	if err := r.Err(); err != nil {
		t.Error(err)
	}
}

// Untrusted text (a branch name, a payload, a commit message) in a message,
// a title or a file name never becomes a second command: each call writes
// exactly one line, with no CR, starting with its own command.
func TestCommandInjection(t *testing.T) {
	t.Parallel()
	evil := []string{
		"x\n::set-output name=forged::evil",
		"x\r::add-mask::evil",
		"x\r\n::error::forged",
		"::add-mask::secret",
		"x\n##[set-output name=forged;]evil",
		"%0A::add-mask::x",
		"x\u2028::warning::y",
	}
	for _, s := range evil {
		r, stdout := commandRunner(t, map[string]string{"RUNNER_DEBUG": "1"})
		calls := map[string]func(){
			"error":    func() { r.Errorf("%s", s) },
			"warning":  func() { r.Warningf("%s", s) },
			"notice":   func() { r.Noticef("%s", s) },
			"debug":    func() { r.Debugf("%s", s) },
			"errorAt":  func() { r.ErrorAt(action.Annotation{File: s, Line: 1, Title: s}, s) },
			"group":    func() { r.Group(s) },
			"add-mask": func() { r.AddMask(s) },
		}
		for name, call := range calls {
			stdout.Reset()
			call()
			out := stdout.String()
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			if name == "add-mask" {
				// One command per line of the secret, each on its own line.
				if want := len(strings.FieldsFunc(s, func(c rune) bool { return c == '\n' || c == '\r' })); len(lines) != want {
					t.Errorf("AddMask(%q) wrote %d lines, want %d: %q", s, len(lines), want, out)
				}
			} else if len(lines) != 1 {
				t.Errorf("%s(%q) wrote %d lines: %q", name, s, len(lines), out)
			}
			for _, l := range lines {
				if strings.Contains(l, "\r") || !strings.HasPrefix(l, "::") {
					t.Errorf("%s(%q) wrote line %q", name, s, l)
				}
				// The command name ends at the first space or "::".
				if cmd := strings.FieldsFunc(l[2:], func(c rune) bool { return c == ' ' || c == ':' })[0]; cmd != map[string]string{"errorAt": "error", "add-mask": "add-mask"}[name] && cmd != name {
					t.Errorf("%s(%q) wrote a %s command: %q", name, s, cmd, l)
				}
			}
		}
	}
}

func TestAddMask(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ secret, want string }{
		{"", ""},
		{"   ", ""},
		{"s3cr3t", "::add-mask::s3cr3t\n"},
		{"100%sure", "::add-mask::100%25sure\n"},
		{"a:b,c", "::add-mask::a:b,c\n"},
		// A multi-line secret (a PEM key): each non-blank line on its own,
		// as the runner masks the log line by line.
		{"-----BEGIN KEY-----\nAAAA\r\nBBBB\n\n  \n-----END KEY-----\n", "::add-mask::-----BEGIN KEY-----\n::add-mask::AAAA\n::add-mask::BBBB\n::add-mask::-----END KEY-----\n"},
		{"x\ry\rx", "::add-mask::x\n::add-mask::y\n"},
	} {
		r, stdout := commandRunner(t, nil)
		r.AddMask(tc.secret)
		if stdout.String() != tc.want {
			t.Errorf("AddMask(%q) wrote %q, want %q", tc.secret, stdout.String(), tc.want)
		}
	}
}

func TestSecretInputMasksBeforeReturning(t *testing.T) {
	t.Parallel()
	var stdout bytes.Buffer
	var r *action.Runner
	r = action.New(func(key string) string {
		if key == "GITHUB_ACTIONS" {
			return "true"
		}
		if key != "INPUT_REGISTRY-PASSWORD" {
			t.Errorf("getenv(%q)", key)
		}
		if stdout.Len() != 0 {
			t.Error("something was written before the secret was read")
		}
		return " hunter2 \n"
	}, &stdout)
	if got := r.SecretInput("registry-password"); got != "hunter2" {
		t.Errorf("SecretInput = %q", got)
	}
	if got, want := stdout.String(), "::add-mask::hunter2\n"; got != want {
		t.Errorf("stdout = %q, want %q", got, want)
	}
}

func TestDebugf(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ debug, want string }{
		{"", ""},
		{"0", ""},
		{"true", ""},
		{"1", "::debug::lock a%0Ab\n"},
	} {
		r, stdout := commandRunner(t, map[string]string{"RUNNER_DEBUG": tc.debug})
		r.Debugf("lock %s", "a\nb")
		if stdout.String() != tc.want {
			t.Errorf("RUNNER_DEBUG=%q: stdout = %q, want %q", tc.debug, stdout.String(), tc.want)
		}
	}
}

func TestPrint(t *testing.T) {
	t.Parallel()
	r, stdout := commandRunner(t, nil)
	r.Infof("resolved %s to %s", "stable", "abc1234")
	r.Print("two\nlines\n")
	if got, want := stdout.String(), "resolved stable to abc1234\ntwo\nlines\n"; got != want {
		t.Errorf("stdout = %q, want %q", got, want)
	}

	// Text that could hold a command is fenced with stop-commands and a
	// token that does not occur in it.
	for _, text := range []string{"branch x\n::add-mask::y", "  ::error::x", "see ##[set-output name=a;]b", "std::string"} {
		stdout.Reset()
		r.Print(text)
		out := stdout.String()
		first, rest, _ := strings.Cut(out, "\n")
		tok, ok := strings.CutPrefix(first, "::stop-commands::")
		if !ok || len(tok) != 36 || strings.Contains(text, tok) {
			t.Errorf("Print(%q) = %q: not fenced with a fresh token", text, out)
			continue
		}
		if want := text + "\n::" + tok + "::\n"; rest != want {
			t.Errorf("Print(%q) = %q", text, out)
		}
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("pipe closed") }

func TestErrKeepsFirstWriteError(t *testing.T) {
	t.Parallel()
	r := action.New(mapEnv(t, map[string]string{"GITHUB_ACTIONS": "true"}), failWriter{})
	if r.Err() != nil {
		t.Fatal("Err before any write")
	}
	r.AddMask("secret")
	r.Errorf("x")
	if err := r.Err(); err == nil || !strings.Contains(err.Error(), "pipe closed") {
		t.Errorf("Err() = %v", err)
	}
}

// FuzzCommand: a message always makes exactly one command line, which the
// runner unescapes back to the message.
func FuzzCommand(f *testing.F) {
	for _, s := range []string{"", "x", "%", "%0A", "\r\n", "x\n::set-output name=a::b", "::add-mask::x"} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, msg, file string) {
		var stdout bytes.Buffer
		r := action.New(mapEnv(t, nil), &stdout)
		r.ErrorAt(action.Annotation{File: file, Line: 7}, msg)
		out := stdout.String()
		if strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, "\n") || strings.Contains(out, "\r") {
			t.Fatalf("not one line: %q", out)
		}
		props, data, ok := strings.Cut(strings.TrimSuffix(strings.TrimPrefix(out, "::error "), "\n"), "::")
		if !ok {
			t.Fatalf("no message separator: %q", out)
		}
		if got := unescape(data, false); got != msg {
			t.Fatalf("message %q came back as %q", msg, got)
		}
		if file == "" {
			return
		}
		if strings.Count(props, ",") != 1 || !strings.HasPrefix(props, "file=") {
			t.Fatalf("properties %q", props)
		}
		if got := unescape(strings.TrimSuffix(strings.TrimPrefix(props, "file="), ",line=7"), true); got != file {
			t.Fatalf("file %q came back as %q", file, got)
		}
	})
}

// unescape is the runner's unescaping (ActionCommand.cs).
func unescape(s string, property bool) string {
	pairs := []string{"%0D", "\r", "%0A", "\n"}
	if property {
		pairs = append(pairs, "%3A", ":", "%2C", ",")
	}
	s = strings.NewReplacer(pairs...).Replace(s)
	return strings.ReplaceAll(s, "%25", "%")
}
