package config

import _ "embed"

//go:embed schema.json
var schema []byte

// Schema returns a JSON Schema (draft 2020-12) of the config format, for editors
// and `ladder schema`. It checks structure (types, required and unknown keys,
// enums, name patterns); references between sections, semver constraints and
// cycles are only checked by Parse.
func Schema() []byte {
	return append([]byte(nil), schema...)
}
