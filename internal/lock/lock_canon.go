package lock

import "encoding/json"

// sortedJSON re-encodes JSON with every object's keys in lexical order
// (encoding/json sorts map keys), so the canonical form does not depend on
// struct field order.
func sortedJSON(b []byte) []byte {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		panic(err)
	}
	return marshal(v)
}
