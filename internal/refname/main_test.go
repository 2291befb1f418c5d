package refname

import (
	"os"
	"testing"

	"github.com/ladder-release/ladder/internal/testutil/hermetic"
)

// TestMain: git check-ref-format, the reference the rules are checked against, reads no config of this machine.
func TestMain(m *testing.M) { os.Exit(hermetic.Run(m)) }

func TestHermeticEnvironment(t *testing.T) { hermetic.Check(t) }
