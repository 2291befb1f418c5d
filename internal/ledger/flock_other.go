//go:build !unix

package ledger

import (
	"errors"
	"os"
)

func tryLock(*os.File) (bool, error) {
	return false, errors.New("the file ledger needs flock(2), which this system does not have; use ledger: github or none")
}

func unlock(*os.File) error { return nil }
