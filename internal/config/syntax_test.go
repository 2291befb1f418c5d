package config_test

import (
	"strings"
	"testing"

	"github.com/ladder-release/ladder/internal/config"
)

// syntaxHead is a valid start; the cases add the broken part after it.
const syntaxHead = demoHead + `components:
  app: {repo: acme/app}
`

// TestYAMLSyntaxErrorsPointAtTheMistake: a YAML syntax error is reported at
// the line and column of the mistake (not at the start of the enclosing
// mapping, not at column 1), names the field there, and says what to do
// about the usual mistakes.
func TestYAMLSyntaxErrorsPointAtTheMistake(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		yaml string
		want string
	}{
		{
			// yaml.v3 says "line 7" (where channels.dev's mapping starts, 0-based)
			name: "key indented one space too few",
			yaml: syntaxHead + `channels:
  dev:
    track: {branch: main}
    version: {prerelease: dev}
  stable:
    track: {branch: main}
   version: {bump: patch}
`,
			want: "ladder.yaml:12:4: channels.stable: invalid YAML: did not find expected key; check the indentation",
		},
		{
			name: "key indented too few in a list item",
			yaml: syntaxHead + `channels:
  dev: {track: {branch: main}}
cascade:
  repos:
    - repo: acme/a
      when: {branch: main}
    - repo: acme/b
     when: {branch: main}
`,
			want: "ladder.yaml:13:6: cascade.repos[1]: invalid YAML: did not find expected '-' indicator; check the indentation",
		},
		{
			name: "tab indentation",
			yaml: syntaxHead + `channels:
  dev:
	  track: {branch: main}
`,
			want: "ladder.yaml:8:1: channels.dev.track: invalid YAML: found character that cannot start any token; a tab is used for indentation (YAML needs spaces)",
		},
		{
			name: "tab after spaces",
			yaml: syntaxHead + `channels:
  dev:
    track:
  	  branch: main
`,
			want: "ladder.yaml:9:3: channels.dev.track.branch: invalid YAML: found character that cannot start any token; a tab is used for indentation (YAML needs spaces)",
		},
		{
			name: "unquoted range in a flow mapping",
			yaml: syntaxHead + `channels:
  dev:
    track: {semver: >=1.0.0}
`,
			want: `ladder.yaml:8:21: channels.dev.track.semver: invalid YAML: found character that cannot start any token; quote the range: semver: ">=1.0.0"`,
		},
		{
			name: "unquoted range in a block mapping",
			yaml: syntaxHead + `channels:
  dev:
    track:
      semver: >=1.0.0   # not a folded scalar
`,
			want: `ladder.yaml:9:15: channels.dev.track.semver: invalid YAML: did not find expected comment or line break; quote the range: semver: ">=1.0.0"`,
		},
		{
			name: "unquoted range in a per-component policy",
			yaml: syntaxHead + `channels:
  dev:
    track: {branch: main}
    components:
      app: {semver: !=1.0.0, prerelease: true}
`,
			want: `ladder.yaml:10:21: channels.dev.components.app.semver: invalid YAML: did not find expected ',' or '}'; quote the range: semver: "!=1.0.0"`,
		},
		{
			// the quoted strings before the mistake are read as one token
			// each, commas and indicators inside them included, and the
			// comma right after one still ends its entry
			name: "unquoted range after quoted values in a flow mapping",
			yaml: syntaxHead + `channels:
  dev:
    track: {branch: main}
    components:
      app: {tag-prefix: 'v, =x', pin: "a",semver: !=1.0.0}
`,
			want: `ladder.yaml:10:51: channels.dev.components.app.semver: invalid YAML: did not find expected whitespace or line break; quote the range: semver: "!=1.0.0"`,
		},
		{
			name: "value starting with @",
			yaml: syntaxHead + `channels:
  dev:
    track: {branch: @main}
`,
			want: `ladder.yaml:8:21: channels.dev.track.branch: invalid YAML: found character that cannot start any token; quote the value: branch: "@main"`,
		},
		{
			name: "value holding a colon and a space",
			yaml: syntaxHead + `channels:
  dev:
    track: {branch: main}
    version: prerelease: dev
`,
			want: `ladder.yaml:9:14: channels.dev.version: invalid YAML: mapping values are not allowed in this context; quote the value: version: "prerelease: dev"`,
		},
		{
			name: "line indented under a value",
			yaml: syntaxHead + `channels:
  dev:
    track: main
      version: {prerelease: dev}
`,
			want: `ladder.yaml:9:7: channels.dev: invalid YAML: mapping values are not allowed in this context; check the indentation`,
		},
		{
			name: "flow sequence not closed over lines",
			yaml: syntaxHead + `channels:
  dev:
    track: {branch: main}
constraints:
  - same-version: [app,
      app
labels: {}
`,
			want: `ladder.yaml:10:19: constraints[0].same-version: invalid YAML: did not find expected ',' or ']'; check that this '[' is closed and that its items are separated by ','`,
		},
		{
			name: "quoted value not closed",
			yaml: syntaxHead + `channels:
  dev:
    track: {branch: "main}
`,
			want: `ladder.yaml:8:21: channels.dev.track.branch: invalid YAML: found unexpected end of stream; this quoted value is not closed`,
		},
		{
			name: "unknown anchor",
			yaml: syntaxHead + `channels:
  dev:
    track: *nope
`,
			want: `ladder.yaml:8:5: channels.dev: invalid YAML: unknown anchor 'nope' referenced`,
		},
		{
			name: "control character",
			yaml: syntaxHead + "channels:\n  dev:\n    track: {branch: ma\x01in}\n",
			want: `ladder.yaml:8:23: channels.dev: invalid YAML: control characters are not allowed`,
		},
		{
			name: "list item at the wrong indentation",
			yaml: syntaxHead + `channels:
  dev: {track: {branch: main}}
constraints:
  - same-version: [app]
 - same-version: [app]
`,
			want: `ladder.yaml:10:2: constraints: invalid YAML: did not find expected key; check the indentation`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := config.Parse("ladder.yaml", []byte(tc.yaml))
			errs, ok := err.(config.Errors)
			if !ok {
				t.Fatalf("error %v (%T), want config.Errors", err, err)
			}
			checkErrors(t, errs)
			if got := errs.Error(); got != tc.want {
				t.Errorf("got\n  %s\nwant\n  %s", got, tc.want)
			}
		})
	}
}

// TestYAMLSyntaxErrorOnAHugeFile: locating the mistake parses prefixes of
// the file, a logarithmic number of them.
func TestYAMLSyntaxErrorOnAHugeFile(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString(syntaxHead + "channels:\n")
	for i := 0; i < 5000; i++ {
		b.WriteString("  c" + strings.Repeat("x", i%7) + itoa(i) + ": {track: {branch: main}}\n")
	}
	b.WriteString("   bad: {track: {branch: main}}\n")
	_, err := config.Parse("ladder.yaml", []byte(b.String()))
	errs, ok := err.(config.Errors)
	if !ok || len(errs) != 1 {
		t.Fatalf("error %v", err)
	}
	if want := "ladder.yaml:5007:4: channels: invalid YAML: did not find expected key; check the indentation"; errs.Error() != want {
		t.Errorf("got %s, want %s", errs.Error(), want)
	}
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var d []byte
	for ; i > 0; i /= 10 {
		d = append([]byte{byte('0' + i%10)}, d...)
	}
	return string(d)
}
