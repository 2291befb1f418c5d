package app

import "testing"

// TestParseRetireInputs: retire's inputs, parsed without a server; every
// mistake is a usage error (exit 2) naming the input.
func TestParseRetireInputs(t *testing.T) {
	for _, c := range []struct {
		name    string
		set     map[string]string
		want    retireInputs
		wantErr string
	}{
		{"a channel", map[string]string{"channel": "stable", "reason": "Fedora 41 is end of life"}, retireInputs{channel: "stable", reason: "Fedora 41 is end of life"}, ""},
		{"a label, undo, dry run", map[string]string{"label": "current", "reason": "one more release", "undo": "true", "dry-run": "true"},
			retireInputs{label: "current", reason: "one more release", undo: true, dryRun: true}, ""},
		{"a GitHub App", map[string]string{"channel": "stable", "reason": "eol", "app-id": "42", "app-private-key": "PEM"}, retireInputs{channel: "stable", reason: "eol", appID: 42}, ""},
		{"neither channel nor label", map[string]string{"reason": "eol"}, retireInputs{}, "input channel or label: required, and neither is set"},
		{"both channel and label", map[string]string{"channel": "stable", "label": "current", "reason": "eol"}, retireInputs{}, `inputs channel ("stable") and label ("current") are both set`},
		{"no reason", map[string]string{"channel": "stable"}, retireInputs{}, "input reason: required"},
		{"a blank reason", map[string]string{"channel": "stable", "reason": "  "}, retireInputs{}, "input reason: required"},
		{"a reason with a control character", map[string]string{"channel": "stable", "reason": "eol\n::error::forged"}, retireInputs{}, "input reason: control character U+000A"},
		{"a reason with an escape", map[string]string{"label": "current", "reason": "\x1b[2Jgone"}, retireInputs{}, "input reason: control character U+001B"},
		{"undo not a boolean", map[string]string{"channel": "stable", "reason": "eol", "undo": "yes"}, retireInputs{}, `input undo: "yes" is not a boolean`},
		{"app-id without its key", map[string]string{"channel": "stable", "reason": "eol", "app-id": "42"}, retireInputs{}, "input app-id is set but app-private-key is empty"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseRetireInputs(getInputs(t, "retire", c.set))
			checkParse(t, got, err, c.want, c.wantErr)
		})
	}
}
