// Command ladder is every ladder action and its CLI.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/ladder-release/ladder/internal/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := app.Main(ctx, os.Args[1:], app.Deps{Getenv: os.Getenv, Stdout: os.Stdout, Stderr: os.Stderr})
	stop()
	os.Exit(code)
}
