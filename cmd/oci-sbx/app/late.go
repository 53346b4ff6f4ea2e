package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"

	"github.com/oci-sbx/oci-sbx/oci/late"
	"github.com/oci-sbx/oci-sbx/oci/stage"

	"github.com/urfave/cli/v3"
)

// lateCommand is the late stage that `oci-sbx patch` puts in front of a
// container's process; nobody types it, so it is hidden.
func lateCommand() *cli.Command {
	return &cli.Command{
		Name:      "late",
		Usage:     "load a profile and exec a container's process (the late stage oci-sbx patch sets up)",
		ArgsUsage: "[--agent SOCKET] PROFILE -- CMD [ARGS...]",
		Hidden:    true,
		// Everything after PROFILE belongs to CMD.
		SkipFlagParsing: true,
		Action:          runLate,
	}
}

// runLate loads PROFILE (OCI JSON as patch writes it, named by its
// SHA-256, which is checked) and execs CMD under it. Like env(1), it exits 127 when CMD is not found and 126 for any
// other failure, so the container's status tells it apart from CMD's own.
func runLate(_ context.Context, c *cli.Command) error {
	args := c.Args().Slice()
	// --agent SOCKET: the agent's socket where the profile names the one
	// bound into a container (exec --bundle on the host sets it).
	agent := ""
	if len(args) > 1 && args[0] == stage.AgentFlag {
		agent, args = args[1], args[2:]
	}
	if len(args) < 3 || args[1] != "--" {
		return usageErrorf(c, "late takes [--agent SOCKET] PROFILE -- CMD [ARGS...]")
	}
	fail := func(code int, err error) error {
		fmt.Fprintf(c.Root().ErrWriter, "oci-sbx: late stage: %v\n", err)
		return &ExitStatus{Code: code}
	}
	s, err := late.ReadProfile(args[0])
	if err != nil {
		return fail(126, err)
	}
	if agent != "" && s.ListenerPath == stage.AgentSocketPath {
		s.ListenerPath = agent
	}
	err = late.ExecLate(s, args[2:], os.Environ())
	var ce *late.CommandError
	if errors.As(err, &ce) && (errors.Is(err, exec.ErrNotFound) || errors.Is(err, os.ErrNotExist)) {
		return fail(127, err)
	}
	return fail(126, err)
}
