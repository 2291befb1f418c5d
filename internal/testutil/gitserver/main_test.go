package gitserver

import (
	"os"
	"testing"

	"github.com/ladder-release/ladder/internal/testutil/hermetic"
)

// TestMain: the client git the tests run reads no config of this machine.
func TestMain(m *testing.M) { os.Exit(hermetic.Run(m)) }

func TestHermeticEnvironment(t *testing.T) { hermetic.Check(t) }
