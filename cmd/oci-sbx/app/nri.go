package app

import (
	"context"
	"fmt"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/oci-sbx/oci-sbx/convert"
	"github.com/oci-sbx/oci-sbx/hooks"
	"github.com/oci-sbx/oci-sbx/hooks/nri"
	"github.com/oci-sbx/oci-sbx/oci/stage"
)

// DefaultNRISocket is where containerd and CRI-O listen for NRI plugins.
const DefaultNRISocket = "/var/run/nri/nri.sock"

func nriCommand() *cli.Command {
	return &cli.Command{
		Name:  "nri",
		Usage: "apply profiles named by pod annotations on a Kubernetes node (an NRI plugin)",
		Description: `An NRI plugin for containerd (2.0 and later, with NRI enabled) and CRI-O: it
registers with the runtime on --socket and, for every container the runtime
creates, applies the seccomp profile the pod's annotations name:

   oci-sbx.io/profile: NAME              a file beneath --profiles, any format convert reads
   oci-sbx.io/rules: RULES               inline rules (at most 64 KiB)
   oci-sbx.io/engine-profile: replace    drop the kubelet's profile instead of keeping it
   oci-sbx.io/report: SOCKET             report the profile's errno denials to oci-sbx agent,
                                         whose socket is beneath --agents
   oci-sbx.io/record: NAME               record the container to NAME beneath --records
   oci-sbx.io/KEY.CONTAINER              the same for one container of the pod

The kubelet's profile (RuntimeDefault or Localhost) stays in force: the container
gets the exact intersection of both profiles, or the kubelet's profile with
oci-sbx's loaded on top of it by the late stage. A profile runc cannot start
under (one that denies openat) is applied by the late stage: a static oci-sbx
(--late-binary, copied into --late-dir) bound read-only at /.oci-sbx that loads
the profile and execs the container's process. In the host's PID namespace the
plugin removes the profiles in --late-dir no created or running container holds
and nobody used for ten minutes; elsewhere (a pod without hostPID) it cannot see
every container and removes none.

A container's own key wins over the pod's; its profile or rules replace the
pod's profile or rules. Any other key in the oci-sbx.io/ namespace, a
per-container key that only looks like the container's name, a name (or an
extends) outside --profiles, a missing file, a profile writable by anyone but
root or a profile that does not parse refuses the container, with the reason in
the runtime's error and on standard error.

Started by the runtime from its NRI plugin directory (as NN-oci-sbx), oci-sbx
runs this command with the defaults, which the runtime's configuration file for
the plugin (NN-oci-sbx.conf) can change in YAML: profiles: DIR, lateDir: DIR,
lateBinary: FILE, records: DIR, agents: DIR. SIGINT or SIGTERM unregisters the
plugin.
One plugin registers per node at a time: it holds an flock on nri.lock in
--late-dir, and a second one waits for it.

The annotations are read when a container is created: set them in the pod's
metadata (a Deployment's pod template), not on a running pod.

Examples:
   oci-sbx nri --profiles /etc/oci-sbx/profiles
   # and in a pod's metadata:  annotations: {oci-sbx.io/profile: demo.yaml}`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "socket", Aliases: []string{"s"}, Value: DefaultNRISocket, Usage: "the runtime's NRI socket `PATH`"},
			&cli.StringFlag{Name: "profiles", Value: hooks.DefaultProfiles, Usage: "read the profiles annotations name beneath `DIR`"},
			&cli.StringFlag{Name: "late-dir", Value: hooks.DefaultLateDir, Usage: "keep the late stage's files in `DIR`, a host path"},
			&cli.StringFlag{Name: "records", Value: hooks.DefaultRecords, Usage: "write the profiles oci-sbx.io/record records beneath `DIR`"},
			&cli.StringFlag{Name: "agents", Value: hooks.DefaultAgents, Usage: "find the agents' sockets oci-sbx.io/report names beneath `DIR`, a host path"},
			&cli.StringFlag{Name: "record-run", Value: hooks.DefaultRecordRun, Usage: "keep the recorders' sockets and logs in `DIR`, a host path"},
			&cli.StringFlag{Name: "late-binary", Usage: "a static oci-sbx with seccomp support for the late stage, `FILE` (default: this one, or oci-sbx-static beside it)"},
		},
		Action: runNRI,
	}
}

func runNRI(ctx context.Context, c *cli.Command) error {
	if c.NArg() != 0 {
		return usageErrorf(c, "nri takes no arguments")
	}
	errw := c.Root().ErrWriter
	logf := func(msg string) {
		fmt.Fprintf(errw, "%s oci-sbx nri: %s\n", time.Now().UTC().Format(time.RFC3339), msg)
	}
	opt := nri.Options{
		Profiles:  c.String("profiles"),
		LateDir:   c.String("late-dir"),
		Records:   c.String("records"),
		Agents:    c.String("agents"),
		RecordRun: c.String("record-run"),
		Convert:   convert.Options{Warn: logf, Check: cachedCheck()},
		Log:       logf,
	}
	// Without a binary for the late stage the plugin still applies every
	// profile runc can start under, and refuses the rest, saying why.
	if bin, err := stage.FindBinary(c.String("late-binary")); err != nil {
		if c.IsSet("late-binary") {
			return err
		}
		logf(fmt.Sprintf("no late stage: %v", err))
	} else {
		opt.LateBinary = bin
	}
	logf(fmt.Sprintf("registering on %s, profiles beneath %s", c.String("socket"), opt.Profiles))
	return nri.New(opt).Run(ctx, c.String("socket"))
}
