// Command oci-sbx converts, applies and checks seccomp profiles.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/oci-sbx/oci-sbx/cmd/oci-sbx/app"
	"github.com/oci-sbx/oci-sbx/oci/program"
	"github.com/oci-sbx/oci-sbx/oci/record"
	"github.com/oci-sbx/oci-sbx/oci/sandbox"
)

// nriPluginSocket is set by a runtime that starts oci-sbx as an NRI
// plugin from its plugin directory (NRI's api.PluginSocketEnvVar).
const nriPluginSocket = "NRI_PLUGIN_SOCKET"

func main() {
	// oci-sbx starts itself again to load a filter in a child: the
	// recorder's, the init child of exec (like "runc init"), and the child
	// whose load of the program runc's loader builds is caught (simulate,
	// diff, convert --to bpf). Each returns at once unless this process is
	// such a child; nothing else of oci-sbx runs in one.
	record.Init()
	sandbox.Init()
	program.Init()

	args := os.Args
	if len(args) == 1 && os.Getenv(nriPluginSocket) != "" {
		// containerd and CRI-O start the plugins in their NRI plugin
		// directory without arguments, handing over the connection.
		args = append(args, "nri")
	}
	ctx := context.Background()
	if app.WindsDown(args) {
		// The first SIGINT or SIGTERM asks the command to wind down
		// (stop its program, write what it recorded); a second one ends
		// oci-sbx at once. Every other command ends at the first, as any
		// Unix tool does: nothing it writes is left half-written.
		var stop context.CancelFunc
		ctx, stop = signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
		context.AfterFunc(ctx, stop)
	}
	err := app.New().Run(ctx, args)
	app.PrintError(os.Stderr, err)
	os.Exit(app.ExitCode(err))
}
