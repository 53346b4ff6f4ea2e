// Command oci-sbx converts, applies and checks seccomp profiles.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/oci-sbx/oci-sbx/cmd/oci-sbx/app"
	"github.com/oci-sbx/oci-sbx/oci/program"
	"github.com/oci-sbx/oci-sbx/oci/sandbox"
)

func main() {
	// oci-sbx starts itself again to load a filter in a child (the init
	// child of exec, like "runc init") and to catch the program runc's
	// loader builds (simulate, diff, convert --to bpf). Each returns at
	// once unless this process is such a child.
	sandbox.Init()
	program.Init()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := app.New().Run(ctx, os.Args)
	stop()
	app.PrintError(os.Stderr, err)
	os.Exit(app.ExitCode(err))
}
