// Command checker runs operator-registry's own code on a file-based catalog,
// so that OLM's rules, not a copy of them, decide whether a catalog ladder
// generated is valid. It is its own Go module: operator-registry and its
// Kubernetes dependencies stay out of ladder's go.mod and binary. Package
// internal/testutil/opm builds it once and runs it.
//
//	checker validate DIR   what `opm validate DIR` does: load every catalog
//	                       file under DIR (declcfg.LoadFS) and convert it to
//	                       the model, which validates it
//	                       (declcfg.ConvertToModel, model.Validate); exit 1
//	                       with operator-registry's error on stderr
//	checker render DIR     load DIR and write it back as `opm render` does
//	                       (declcfg.WriteJSON), without validating
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/operator-framework/operator-registry/alpha/declcfg"
	"github.com/operator-framework/operator-registry/pkg/lib/config"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: checker validate|render DIR")
		os.Exit(2)
	}
	ctx := context.Background()
	root := os.DirFS(os.Args[2])
	var err error
	switch os.Args[1] {
	case "validate":
		err = config.Validate(ctx, root) // the body of `opm validate`
	case "render":
		var cfg *declcfg.DeclarativeConfig
		if cfg, err = declcfg.LoadFS(ctx, root); err == nil {
			err = declcfg.WriteJSON(*cfg, os.Stdout)
		}
	default:
		fmt.Fprintf(os.Stderr, "checker: unknown command %q (validate or render)\n", os.Args[1])
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
