// Command ladder is every ladder action and its CLI.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/ladder-release/ladder/internal/app"
	"github.com/ladder-release/ladder/internal/demo"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := app.Main(ctx, os.Args[1:], app.Deps{Getenv: os.Getenv, Stdout: os.Stdout, Stderr: os.Stderr,
		Commands: map[string]app.Command{"demo": demo.Command}})
	stop()
	os.Exit(code)
}
