package cli_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/ladder-release/ladder/internal/cli"
	"github.com/ladder-release/ladder/internal/testutil/parsetest"
)

func TestCheckFlags(t *testing.T) {
	for _, c := range []struct {
		name    string
		flags   map[string]string
		bare    []string
		allowed []string
		wantErr string
	}{
		{"allowed", map[string]string{"config": "x"}, nil, []string{"config"}, ""},
		{"a command that takes none", map[string]string{"json": "true"}, nil, nil, "unknown flag --json (this command takes none)"},
		{"unknown, the first in order named, the close one suggested", map[string]string{"jsn": "true", "zz": ""}, nil, []string{"config", "history", "json"},
			`unknown flag --jsn (flags: --config, --history, --json) (did you mean "json"?)`},
		{"unknown before bare", map[string]string{"x": "", "config": ""}, []string{"config"}, []string{"config"}, "unknown flag --x"},
		{"a flag without its value", map[string]string{"config": ""}, []string{"config"}, []string{"config"}, "--config needs a value (--config PATH)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := cli.CheckFlags(c.flags, c.bare, c.allowed)
			parsetest.Check(t, 0, err, 0, c.wantErr)
		})
	}
}

// TestMisuse: a usage error is one, wrapped or not; nil stays nil.
func TestMisuse(t *testing.T) {
	if !cli.IsUsage(cli.Misuse(errors.New("x"))) || cli.Misuse(nil) != nil || cli.IsUsage(errors.New("x")) || !cli.IsUsage(fmt.Errorf("w: %w", cli.Misuse(errors.New("x")))) {
		t.Error("Misuse/IsUsage")
	}
}
