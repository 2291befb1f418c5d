package actiontest

import "github.com/ladder-release/ladder/internal/action"

// Record is one name/value record of a GITHUB_OUTPUT file.
type Record = action.Record

// ParseOutputFile parses a GITHUB_OUTPUT file as the runner does
// (action.ParseOutputFile).
func ParseOutputFile(data []byte) ([]Record, error) { return action.ParseOutputFile(data) }
