// Command oci-sbx converts, applies and checks seccomp profiles.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/oci-sbx/oci-sbx/cmd/oci-sbx/app"
	"github.com/oci-sbx/oci-sbx/oci/record"
)

func main() {
	// The recorder's init child: load the recording filter, exec the
	// program. Nothing else of oci-sbx runs in it.
	if record.IsInit() {
		os.Exit(record.Init())
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := app.New().Run(ctx, os.Args)
	stop()
	app.PrintError(os.Stderr, err)
	os.Exit(app.ExitCode(err))
}
