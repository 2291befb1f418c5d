package query

import (
	"testing"

	"github.com/ladder-release/ladder/internal/testutil/parsetest"
)

func TestParseStatusFlags(t *testing.T) {
	for _, c := range []struct {
		name    string
		flags   map[string]string
		want    statusOptions
		wantErr string
	}{
		{"none", nil, statusOptions{}, ""},
		{"json", map[string]string{"json": "true"}, statusOptions{json: true}, ""},
		{"json false", map[string]string{"json": "False"}, statusOptions{}, ""},
		{"history", map[string]string{"history": "testing"}, statusOptions{history: "testing"}, ""},
		{"json not a boolean", map[string]string{"json": "maybe"}, statusOptions{}, `--json: "maybe" is not a boolean`},
		{"history empty", map[string]string{"history": ""}, statusOptions{}, "--history needs a label or channel name (--history NAME)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseStatusFlags(c.flags)
			parsetest.Check(t, got, err, c.want, c.wantErr)
		})
	}
}

func TestParseCatalogFlags(t *testing.T) {
	for _, c := range []struct {
		name    string
		flags   map[string]string
		want    catalogOptions
		wantErr string
	}{
		{"json by default", nil, catalogOptions{}, ""},
		{"json", map[string]string{"format": "json"}, catalogOptions{}, ""},
		{"yaml", map[string]string{"format": "yaml"}, catalogOptions{yaml: true}, ""},
		{"neither", map[string]string{"format": "xml"}, catalogOptions{}, `--format "xml": want json or yaml`},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseCatalogFlags(c.flags)
			parsetest.Check(t, got, err, c.want, c.wantErr)
		})
	}
}
