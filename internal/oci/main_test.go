package oci_test

import (
	"os"
	"testing"

	"github.com/ladder-release/ladder/internal/testutil/hermetic"
)

// TestMain keeps this machine's registry credentials (and git configuration)
// out of every test of the package (oci and oci_test: one test binary):
// oci.New without WithAuth reads the Docker config keychain.
func TestMain(m *testing.M) { os.Exit(hermetic.Run(m)) }

// TestKeychainIsHermetic: TestMain's environment holds no credentials.
func TestKeychainIsHermetic(t *testing.T) { hermetic.Check(t) } // sets the environment: not parallel
