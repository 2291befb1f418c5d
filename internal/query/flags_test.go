package query

import (
	"testing"

	"github.com/ladder-release/ladder/internal/testutil/parsetest"
)

func TestParseStatusFlags(t *testing.T) {
	row := parsetest.Row[statusOptions]
	parsetest.Table(t, parsetest.Pure(parseStatusFlags),
		row("none", nil, statusOptions{}, ""),
		row("json", map[string]string{"json": "true"}, statusOptions{json: true}, ""),
		row("json false", map[string]string{"json": "False"}, statusOptions{}, ""),
		row("history", map[string]string{"history": "testing"}, statusOptions{history: "testing"}, ""),
		row("json not a boolean", map[string]string{"json": "maybe"}, statusOptions{}, `--json: "maybe" is not a boolean`),
		row("history empty", map[string]string{"history": ""}, statusOptions{}, "--history needs a label or channel name (--history NAME)"),
	)
}

func TestParseCatalogFlags(t *testing.T) {
	row := parsetest.Row[catalogOptions]
	parsetest.Table(t, parsetest.Pure(parseCatalogFlags),
		row("json by default", nil, catalogOptions{}, ""),
		row("json", map[string]string{"format": "json"}, catalogOptions{}, ""),
		row("yaml", map[string]string{"format": "yaml"}, catalogOptions{yaml: true}, ""),
		row("neither", map[string]string{"format": "xml"}, catalogOptions{}, `--format "xml": want json or yaml`),
	)
}
