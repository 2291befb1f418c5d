package oci_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/ladder-release/ladder/internal/testutil/hermetic"
)

// TestMain keeps this machine's registry credentials (and git configuration)
// out of every test of the package (oci and oci_test: one test binary):
// oci.New without WithAuth reads the Docker config keychain.
func TestMain(m *testing.M) {
	cleanup, err := hermetic.Setup()
	if err != nil {
		fmt.Fprintln(os.Stderr, "TestMain:", err)
		os.Exit(2)
	}
	code := m.Run()
	cleanup()
	os.Exit(code)
}

// TestKeychainIsHermetic: TestMain's environment holds no credentials.
func TestKeychainIsHermetic(t *testing.T) { hermetic.Check(t) }
