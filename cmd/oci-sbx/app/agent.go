package app

import (
	"context"
	"fmt"

	"github.com/urfave/cli/v3"

	"github.com/oci-sbx/oci-sbx/hooks"
)

func agentCommand() *cli.Command {
	return &cli.Command{
		Name:  "agent",
		Usage: "answer and report a container's seccomp notifications (the OCI listenerPath)",
		Description: `A seccomp agent: runc connects to --socket for each container process whose
profile has notify rules and a listenerPath naming the socket, and hands over the
filter's notify descriptor. The agent answers every notified call with the errno
the profile gave it and never lets a call run; the program sees the same error
it would have seen without the agent.

Each call is printed on standard output as one JSON line: the container id, the
pid (as this agent sees it), the architecture, the syscall, its six arguments in
hex, the call as strace would print it and its path or address when they could
be read from the process, and the answer. Containers connecting, ending and
sending something unusable are noted on standard error.

Profiles for the agent come from oci-sbx patch --report-to SOCKET, or from the
io.oci-sbx.report=NAME annotation with oci-sbx's Podman hook (or oci-sbx.io/report
with its NRI plugin), which names a socket beneath their --agents directory,
/run/oci-sbx/agents by default: they turn the errno rules into notify rules and
put each syscall's errno in listenerMetadata. A syscall the metadata does not
name is answered with EPERM. A missing directory of the socket is created
(mode 0755).

SIGINT or SIGTERM stops the agent and removes the socket. Containers still
running then get ENOSYS for their notified calls: still denied.

Examples:
   oci-sbx agent --socket /run/oci-sbx/agents/agent.sock > denials.jsonl
   oci-sbx patch --report-to /run/oci-sbx/agents/agent.sock --profile demo.yaml mybundle
   podman run --annotation io.oci-sbx.profile=demo.yaml --annotation io.oci-sbx.report=agent.sock ...`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "socket", Aliases: []string{"s"}, Usage: "listen on the unix socket `PATH` (created mode 0600; a stale one is replaced)"},
		},
		Action: runAgent,
	}
}

func runAgent(ctx context.Context, c *cli.Command) error {
	if c.NArg() != 0 {
		return usageErrorf(c, "agent takes no arguments")
	}
	socket := c.String("socket")
	if socket == "" {
		return usageErrorf(c, "agent needs --socket PATH")
	}
	errw := c.Root().ErrWriter
	a := &hooks.Agent{
		Events: c.Root().Writer,
		Log:    func(msg string) { fmt.Fprintf(errw, "oci-sbx agent: %s\n", msg) },
	}
	return a.ListenAndServe(ctx, socket)
}
