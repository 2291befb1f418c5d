// Package source is where refs come from: git's smart HTTP protocol at the
// GitHub server (and its REST API for commit pins) for `repo:`
// components and the git protocol for `git:` components. It gathers the plain
// values the pure channel package decides over.
package source

import (
	"context"
	"errors"
)

// Tag is one tag a component offers, peeled: Commit is the commit an annotated
// tag points at, never the tag object.
type Tag struct {
	Name   string // full tag name, prefix included: operator/v1.2.3
	Commit string // 40-hex commit SHA
}

// Source reads the refs of one component repository.
type Source interface {
	// Branch returns the commit at the head of branch.
	Branch(ctx context.Context, branch string) (commit string, err error)
	// Tags lists every tag whose name starts with prefix ("" for all), peeled.
	Tags(ctx context.Context, prefix string) ([]Tag, error)
	// Commit resolves a pin: a tag name, or a full 40-hex commit SHA that must
	// exist in the repository. A ref that does not exist returns ErrNotFound.
	Commit(ctx context.Context, ref string) (commit string, err error)
}

// ErrNotFound is returned (wrapped) when a branch, tag or commit does not exist.
var ErrNotFound = errors.New("not found")
