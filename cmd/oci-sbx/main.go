// Command oci-sbx converts, applies and checks seccomp profiles.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/oci-sbx/oci-sbx/cmd/oci-sbx/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := app.New().Run(ctx, os.Args)
	stop()
	app.PrintError(os.Stderr, err)
	os.Exit(app.ExitCode(err))
}
