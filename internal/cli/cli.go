// Package cli is the command line's plumbing: flags parsed, positional
// arguments told from flags, CLI defaults for action.yml's, and the usage and
// help texts rendered from the commands and the actions' metadata. The
// dispatch (which command runs, with which environment) is internal/app's.
package cli

import (
	"fmt"
	"io"
	"maps"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/ladder-release/ladder/actions"
)

// Flag is one flag of a CLI-only command: its name, what its value looks
// like ("" for a boolean) and what it does.
type Flag struct{ Name, Value, Doc string }

// FlagNames lists a command's flags; booleans, those that take no value.
func FlagNames(flags []Flag) (names, booleans []string) {
	for _, f := range flags {
		names = append(names, f.Name)
		if f.Value == "" {
			booleans = append(booleans, f.Name)
		}
	}
	return names, booleans
}

// WantsHelp: the arguments ask for help (--help anywhere, or -h first; a
// value never starts with --, so --help is never an input's value).
func WantsHelp(args []string) bool {
	return slices.Contains(args, "--help") || (len(args) > 0 && args[0] == "-h")
}

// Usage prints what `ladder` alone prints: the commands (name: usage line).
func Usage(w io.Writer, commands map[string]string) {
	fmt.Fprintln(w, "usage: ladder COMMAND [--input-name value ...]")
	fmt.Fprintln(w, "\ncommands:")
	for _, n := range slices.Sorted(maps.Keys(commands)) {
		fmt.Fprintf(w, "  %-16s %s\n", n, commands[n])
	}
	fmt.Fprintln(w, "\n`ladder NAME --help` (or `ladder help NAME`) describes a command: its inputs or flags, and an action's outputs.")
	fmt.Fprintln(w, "Inside a GitHub Actions runner, inputs come from INPUT_* as the runner sets them.")
	fmt.Fprintln(w, "Exit codes: 0 done, 1 failed, 2 a usage error (unknown command, flag or input; a missing or malformed value).")
}

// CommandHelp prints what `ladder NAME --help` prints for a CLI-only
// command: its usage line and flags.
func CommandHelp(w io.Writer, name, usage string, flags []Flag) {
	var line strings.Builder
	fmt.Fprintf(&line, "usage: ladder %s", name)
	for _, f := range flags {
		if f.Value == "" {
			fmt.Fprintf(&line, " [--%s]", f.Name)
		} else {
			fmt.Fprintf(&line, " [--%s %s]", f.Name, f.Value)
		}
	}
	fmt.Fprintf(w, "%s\n\n%s\n", line.String(), usage)
	if len(flags) > 0 {
		fmt.Fprintln(w, "\nflags:")
		for _, f := range flags {
			fmt.Fprintln(w, strings.TrimRight(fmt.Sprintf("  --%-20s %s", strings.TrimSpace(f.Name+" "+f.Value), f.Doc), " "))
		}
	}
}

// ActionHelp prints what `ladder NAME --help` prints for an action: its
// description, inputs (with defaults) and outputs, read from the action.yml
// the runner reads.
func ActionHelp(w io.Writer, name string, meta *actions.Metadata) {
	var required []string
	for _, n := range meta.InputNames() {
		if meta.Inputs[n].Required {
			required = append(required, "--"+n+" VALUE")
		}
	}
	fmt.Fprintf(w, "usage: ladder %s %s[--input-name value ...]\n\n%s\n\ninputs:\n", name, strings.Join(append(required, ""), " "), oneLine(meta.Description))
	for _, n := range meta.InputNames() {
		in := meta.Inputs[n]
		var notes []string
		switch {
		case in.Required:
			notes = append(notes, "required")
		case strings.Contains(in.Default, "github.token"):
			notes = append(notes, "default: $GITHUB_TOKEN or $GH_TOKEN; in a runner, "+in.Default)
		case in.Default != "":
			notes = append(notes, "default: "+in.Default)
		}
		line := oneLine(in.Description)
		if len(notes) > 0 {
			line += " (" + strings.Join(notes, "; ") + ")"
		}
		fmt.Fprintf(w, "  --%-20s %s\n", n, line)
	}
	fmt.Fprintln(w, "\noutputs:")
	for _, n := range meta.OutputNames() {
		fmt.Fprintf(w, "  %-22s %s\n", n, oneLine(meta.Outputs[n].Description))
	}
}

// oneLine joins a description's lines.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// Lookup tells a variable set to "" from one not set, through a getenv that
// cannot: the runner sets every declared input, so an INPUT_ that reads empty
// while GITHUB_ACTIONS is "true" counts as present. Outside a runner, empty is
// absent.
func Lookup(getenv func(string) string, key string) (string, bool) {
	v := getenv(key)
	if v != "" {
		return v, true
	}
	return "", getenv("GITHUB_ACTIONS") == "true"
}

// Default turns an action.yml default into what the CLI uses: the
// ${{ github.token }} expression becomes GITHUB_TOKEN (or GH_TOKEN).
func Default(getenv func(string) string, def string) string {
	if strings.Contains(def, "${{") {
		if strings.Contains(def, "github.token") {
			if t := getenv("GITHUB_TOKEN"); t != "" {
				return t
			}
			return getenv("GH_TOKEN")
		}
		return ""
	}
	return def
}

// BoolInput: an action's boolean inputs are those whose action.yml default
// is "true" or "false" (force, dry-run); a CLI-only command's are the flags
// its command entry lists without a value (status --json).
func BoolInput(meta *actions.Metadata, name string) bool {
	in, ok := meta.Inputs[name]
	return ok && (in.Default == "true" || in.Default == "false")
}

// ParseFlags reads --name value and --name=value pairs. A flag followed by
// nothing or by another flag has no value: a boolean (isBool) then means
// true; any other is listed in bare, in order, with the value "".
func ParseFlags(args []string, isBool func(string) bool) (flags map[string]string, bare []string, err error) {
	flags = map[string]string{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "--") || len(a) == 2 {
			return nil, nil, fmt.Errorf("unexpected argument %q: inputs are given as --name value", a)
		}
		name, val, hasVal := strings.Cut(a[2:], "=")
		if !hasVal {
			switch {
			case i+1 < len(args) && !strings.HasPrefix(args[i+1], "--"):
				val = args[i+1]
				i++
			case isBool(name):
				val = "true" // a bare boolean flag
			default:
				bare = append(bare, name)
			}
		}
		if _, dup := flags[name]; dup {
			return nil, nil, fmt.Errorf("--%s given twice", name)
		}
		flags[name] = val
	}
	return flags, bare, nil
}

// SplitPositional separates the positional arguments of a command that takes
// them from its flags, wherever they are: a flag's value is the argument
// after it unless the flag is diff's boolean (--json) or has its value after "=".
func SplitPositional(args []string) (positional, flags []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "--") || len(a) == 2 {
			positional = append(positional, a)
			continue
		}
		flags = append(flags, a)
		if name := a[2:]; !strings.Contains(name, "=") && name != "json" && i+1 < len(args) && !strings.HasPrefix(args[i+1], "--") {
			flags = append(flags, args[i+1])
			i++
		}
	}
	return positional, flags
}

// flagValues says what a flag's value is, for "--NAME needs ..." errors.
var flagValues = map[string][2]string{
	"config":  {"a value", "PATH"},
	"history": {"a label or channel name", "NAME"},
	"format":  {"json or yaml", "json|yaml"},
}

// NeedsValue is the error about a flag given without a value.
func NeedsValue(name string) error {
	if v, ok := flagValues[name]; ok {
		return fmt.Errorf("--%s needs %s (--%s %s)", name, v[0], name, v[1])
	}
	return fmt.Errorf("--%s needs a value", name)
}

// VersionLine is what `ladder version` prints: "ladder VERSION", then what
// the Go toolchain recorded of the build when it recorded where the source
// came from: the commit (short) and whether the tree was modified, and the
// Go version, as in "ladder dev (commit b366a24, modified) go1.26.8".
// VERSION is the one set at build time (-ldflags -X ...app.Version=), else
// the module version `go install ...@VERSION` recorded (such a build has no
// commit), else "dev". A build that recorded neither (the Dockerfile builds
// with -buildvcs=false and sets the version) prints "ladder VERSION" alone.
func VersionLine(version string, bi *debug.BuildInfo) string {
	if bi == nil {
		return "ladder " + version
	}
	var rev string
	modified := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	details := rev != ""
	if version == "dev" && rev == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		version, details = bi.Main.Version, true
	}
	line := "ladder " + version
	if rev != "" {
		if len(rev) > 7 {
			rev = rev[:7]
		}
		line += " (commit " + rev
		if modified {
			line += ", modified"
		}
		line += ")"
	}
	if details && bi.GoVersion != "" {
		line += " " + bi.GoVersion
	}
	return line
}
