package action

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Workflow commands are lines of the form
//
//	::name key=value,key=value::message
//
// The runner splits stdout into lines at LF, CR and CRLF, so a message or a
// property value that held a raw line break could end the command and start
// another (a branch named "x\n::add-mask::..." or "x\n::set-output ...").
// Escaping as the toolkit does (command.ts escapeData, escapeProperty) keeps
// every command on one line; the runner unescapes it.

// EscapeData escapes a workflow command message: % as %25, CR as %0D, LF as
// %0A.
func EscapeData(s string) string {
	s = strings.ReplaceAll(s, "%", "%25")
	s = strings.ReplaceAll(s, "\r", "%0D")
	return strings.ReplaceAll(s, "\n", "%0A")
}

// EscapeProperty escapes a workflow command property value: as EscapeData,
// and also : as %3A and , as %2C.
func EscapeProperty(s string) string {
	s = EscapeData(s)
	s = strings.ReplaceAll(s, ":", "%3A")
	return strings.ReplaceAll(s, ",", "%2C")
}

// property is one key=value of a command, in the order written.
type property struct{ key, value string }

// formatCommand renders one workflow command line, newline included.
func formatCommand(name string, props []property, msg string) string {
	var b strings.Builder
	b.WriteString("::")
	b.WriteString(name)
	for i, p := range props {
		if i == 0 {
			b.WriteByte(' ')
		} else {
			b.WriteByte(',')
		}
		b.WriteString(p.key)
		b.WriteByte('=')
		b.WriteString(EscapeProperty(p.value))
	}
	b.WriteString("::")
	b.WriteString(EscapeData(msg))
	b.WriteByte('\n')
	return b.String()
}

func (r *Runner) command(name string, props []property, msg string) {
	_ = r.write(formatCommand(name, props, msg)) // kept for Err
}

// Annotation says where an error, warning or notice points: a file
// (relative to the repository root), a 1-based line and column, and a title.
// Zero fields are left out.
type Annotation struct {
	File      string
	Line, Col int
	Title     string
}

func (a Annotation) properties() []property {
	var props []property
	if a.Title != "" {
		props = append(props, property{"title", a.Title})
	}
	if a.File != "" {
		props = append(props, property{"file", a.File})
	}
	if a.Line > 0 {
		props = append(props, property{"line", strconv.Itoa(a.Line)})
	}
	if a.Col > 0 {
		props = append(props, property{"col", strconv.Itoa(a.Col)})
	}
	return props
}

// AddMask tells the runner to mask secret in the log from now on. The runner
// matches masks line by line, so each non-blank line of secret (split at LF,
// CR and CRLF) is masked on its own. Mask a secret before its first use;
// SecretInput does it for inputs.
//
// Outside a runner (GITHUB_ACTIONS is not "true": the CLI in a terminal)
// nothing masks the log, and the command would only print the secret: it
// writes nothing.
func (r *Runner) AddMask(secret string) {
	if r.getenv("GITHUB_ACTIONS") != "true" {
		return
	}
	seen := map[string]bool{}
	for _, line := range splitLines(secret) {
		if strings.TrimSpace(line) == "" || seen[line] {
			continue
		}
		seen[line] = true
		r.command("add-mask", nil, line)
	}
}

// splitLines splits s at LF, CR and CRLF, as the runner splits the log.
func splitLines(s string) []string {
	return strings.FieldsFunc(s, func(c rune) bool { return c == '\n' || c == '\r' })
}

// Errorf issues an error annotation with no position.
func (r *Runner) Errorf(format string, args ...any) {
	r.command("error", nil, fmt.Sprintf(format, args...))
}

// Warningf issues a warning annotation with no position.
func (r *Runner) Warningf(format string, args ...any) {
	r.command("warning", nil, fmt.Sprintf(format, args...))
}

// Noticef issues a notice annotation with no position.
func (r *Runner) Noticef(format string, args ...any) {
	r.command("notice", nil, fmt.Sprintf(format, args...))
}

// Debugf issues a debug message, only when RUNNER_DEBUG is 1 (debug logging
// enabled for the run).
func (r *Runner) Debugf(format string, args ...any) {
	if r.getenv("RUNNER_DEBUG") != "1" {
		return
	}
	r.command("debug", nil, fmt.Sprintf(format, args...))
}

// ErrorAt issues an error annotation pointing at pos:
//
//	::error title=T,file=F,line=L,col=C::message
func (r *Runner) ErrorAt(pos Annotation, msg string) {
	r.command("error", pos.properties(), msg)
}

// WarningAt issues a warning annotation pointing at pos.
func (r *Runner) WarningAt(pos Annotation, msg string) {
	r.command("warning", pos.properties(), msg)
}

// NoticeAt issues a notice annotation pointing at pos.
func (r *Runner) NoticeAt(pos Annotation, msg string) {
	r.command("notice", pos.properties(), msg)
}

// Group starts a collapsible group of log lines titled title.
func (r *Runner) Group(title string) { r.command("group", nil, title) }

// EndGroup ends the current group.
func (r *Runner) EndGroup() { r.command("endgroup", nil, "") }

// Infof prints a plain log message (see Print).
func (r *Runner) Infof(format string, args ...any) {
	r.Print(fmt.Sprintf(format, args...))
}

// Print writes text to the log as is, newline-terminated. When any part of it
// could be read as a workflow command ("::" or the legacy "##["), it is
// written between ::stop-commands::TOKEN and ::TOKEN::, with a random token
// that does not occur in text, so the runner processes no command in it.
func (r *Runner) Print(text string) {
	_ = r.print(text) // kept for Err
}

func (r *Runner) print(text string) error {
	if !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	if !strings.Contains(text, "::") && !strings.Contains(text, "##[") {
		return r.write(text)
	}
	for range maxDelimiterTries {
		r.mu.Lock()
		tok, err := r.token()
		r.mu.Unlock()
		if err != nil {
			return r.fail(err)
		}
		if strings.Contains(text, tok) {
			continue
		}
		return r.write("::stop-commands::" + tok + "\n" + text + "::" + tok + "::\n")
	}
	return r.fail(errors.New("no stop-commands token absent from the text after repeated tries"))
}

// fail records err for Err (when it is the first) and returns it.
func (r *Runner) fail(err error) error {
	err = fmt.Errorf("writing to stdout: %w", err)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err == nil {
		r.err = err
	}
	return err
}
