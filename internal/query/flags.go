package query

import (
	"errors"
	"fmt"

	"github.com/ladder-release/ladder/internal/cli"
)

// statusOptions are `ladder status`'s flags.
type statusOptions struct {
	json    bool
	history string
}

func parseStatusFlags(flags map[string]string) (statusOptions, error) {
	var o statusOptions
	var err error
	if o.json, err = cli.FlagBool(flags, "json"); err != nil {
		return o, err
	}
	if v, ok := flags["history"]; ok {
		if v == "" || v == "true" {
			return o, cli.Misuse(errors.New("--history needs a label or channel name (--history NAME)"))
		}
		o.history = v
	}
	return o, nil
}

// catalogOptions are `ladder catalog`'s flags.
type catalogOptions struct {
	yaml bool
}

func parseCatalogFlags(flags map[string]string) (catalogOptions, error) {
	var o catalogOptions
	switch f, ok := flags["format"]; {
	case !ok || f == "json":
	case f == "yaml":
		o.yaml = true
	default:
		return o, cli.Misuse(fmt.Errorf("--format %q: want json or yaml", f))
	}
	return o, nil
}
