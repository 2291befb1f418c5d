package source

import (
	"os"
	"testing"

	"github.com/ladder-release/ladder/internal/testutil/hermetic"
)

// TestMain: git reads no config of this machine (url.insteadOf, proxies) in these tests.
func TestMain(m *testing.M) { os.Exit(hermetic.Run(m)) }

func TestHermeticEnvironment(t *testing.T) { hermetic.Check(t) }
