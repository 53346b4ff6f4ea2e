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

// nriPluginSocket is set by a runtime that starts oci-sbx as an NRI
// plugin from its plugin directory (NRI's api.PluginSocketEnvVar).
const nriPluginSocket = "NRI_PLUGIN_SOCKET"

func main() {
	// The recorder's init child: load the recording filter, exec the
	// program. Nothing else of oci-sbx runs in it.
	if record.IsInit() {
		os.Exit(record.Init())
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	args := os.Args
	if len(args) == 1 && os.Getenv(nriPluginSocket) != "" {
		// containerd and CRI-O start the plugins in their NRI plugin
		// directory without arguments, handing over the connection.
		args = append(args, "nri")
	}
	err := app.New().Run(ctx, args)
	stop()
	app.PrintError(os.Stderr, err)
	os.Exit(app.ExitCode(err))
}
