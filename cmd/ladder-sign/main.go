// Command ladder-sign is ladder's signer, a program of its own so that the
// ladder binary does not link sigstore-go (its size and start-up cost, see
// bench/RESULTS.md): `ladder-sign sign` or `ladder-sign verify`, one JSON
// request (internal/attest's SignRequest or VerifyRequest) on standard input,
// one JSON answer (internal/sigclient's Response) on standard output.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/ladder-release/ladder/internal/sign"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := sign.Main(ctx, os.Args[1:], os.Stdin, os.Stdout)
	stop()
	os.Exit(code)
}
