package actiontest

import (
	"os"

	"github.com/ladder-release/ladder/internal/action"
)

// Record is one name/value record of a GITHUB_OUTPUT file.
type Record = action.Record

// ParseOutputFile parses a GITHUB_OUTPUT file as the runner does
// (action.ParseOutputFile).
func ParseOutputFile(data []byte) ([]Record, error) { return action.ParseOutputFile(data) }

// ReadOutputs reads the GITHUB_OUTPUT file at path and returns the outputs
// as the runner sees them: a later record for a name overrides an earlier
// one. (For a process run the way a runner runs it; a TestEnv has Outputs.)
func ReadOutputs(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return action.OutputsOf(data)
}
