package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v3"

	"github.com/oci-sbx/oci-sbx/convert"
	"github.com/oci-sbx/oci-sbx/hooks"
	"github.com/oci-sbx/oci-sbx/oci"
	"github.com/oci-sbx/oci-sbx/oci/stage"
)

func hookCommand() *cli.Command {
	onUsageError := func(_ context.Context, c *cli.Command, err error, _ bool) error {
		return usageErrorf(c, "%v", err)
	}
	return &cli.Command{
		Name:  "hook",
		Usage: "OCI hook: Podman's precreate filter and its hooks.d document",
		Description: `oci-sbx as an OCI runtime hook, for Podman (podman --hooks-dir DIR, or the
system's /usr/share/containers/oci/hooks.d): a container started with

   podman run --annotation io.oci-sbx.profile=web.yaml ...
   podman run --annotation "\"io.oci-sbx.rules=$(sed 's/"/""/g' rules.yaml)\"" ...

gets that profile (web.yaml beneath /etc/oci-sbx/profiles) before its runtime
starts it, applied as oci-sbx patch applies it, and never less confining than
the engine's own profile. (Podman reads --annotation as CSV: unquoted, a value
ends at its first comma or newline, hence the quotes around the rules.)
--annotation io.oci-sbx.report=SOCKET in addition sends the profile's denials
to an oci-sbx agent listening on SOCKET, a socket beneath /run/oci-sbx/agents.

   mkdir -p /etc/containers/oci/hooks.d && oci-sbx hook config --dir /etc/containers/oci/hooks.d`,
		Commands: []*cli.Command{
			{
				Name:  "precreate",
				Usage: "read a container's config.json on standard input, write it with its profile applied",
				Description: `Podman's precreate stage: the config.json Podman is about to create a container
with comes in on standard input, and the config to use goes to standard output.

The profile comes from the annotation io.oci-sbx.profile (a file beneath
--profiles: a relative name inside it, an absolute one only inside it; relative
symlinks inside it work, none lead out; any format convert reads) or
io.oci-sbx.rules (the rules themselves, YAML, at most 64 KiB; one line only in
flow style, {...}, since one line of block YAML is what Podman leaves of rules
not quoted as CSV). An extends in either reads beneath --profiles too. The
directory, those on the way to it (a sticky one such as /tmp aside), those a
name passes through and the profile must be writable by root only. A file that
does not parse is never quoted, only where parsing stopped.

The engine's linux.seccomp (Podman's default profile) stays in force: where the
exact intersection of both profiles can be proved, linux.seccomp holds it;
otherwise linux.seccomp keeps the engine's profile and the late stage loads the
annotation's on top (filters stack: the stricter answer wins, and between two
errnos the annotation's). io.oci-sbx.engine-profile=replace applies the
annotation's profile alone. A process started later with podman exec gets
linux.seccomp only: the intersection, or with stacking the engine's profile.
Rules runc cannot start with go into a late stage: a static oci-sbx
(oci-sbx-static next to this binary, or this binary if static) bound into the
container at /.oci-sbx loads them right before the container's process; its
profile is kept in --late-dir, where the hook removes the profiles no created or
running container holds and nobody used for ten minutes (Podman runs the hook
again when it starts a stopped container).

io.oci-sbx.report=SOCKET turns the profile's errno rules into notifications for
the oci-sbx agent on SOCKET, which reports each denied call and answers it with
the same errno. SOCKET is a socket beneath --agents (a relative name inside it,
an absolute one only inside it), a directory only root can write: runc connects
to it as root and the late stage binds it into the container, so no other
socket of the host may be named; nor may a listenerPath in the profile. Denials by read, write and the default action stay as they are,
unreported: read and write hand the listener to the agent, and runc cannot
notify the default action. With a late stage, the late stage notifies, through
the socket bound into the container at /.oci-sbx/agent.sock.

io.oci-sbx.record=NAME records the container instead: the hook starts oci-sbx
record --listen on a fresh socket under /run/oci-sbx/record (in a session of
its own; its log beside the socket) and gives the container a recording filter
with that socket as listenerPath. runc hands the recorder the listener where it
loads the container's filter; when the container has exited the recorder writes
the profile to NAME beneath --records (a relative name inside it, an absolute
one only inside it; symlinks inside it work, none lead out). The engine's
profile stays in force unless io.oci-sbx.engine-profile=replace: the filter is
that profile with its allows turned into notifications, so calls it denies stay
denied and unseen, and the recording is what the container needs within it.

A config without io.oci-sbx. annotations passes through byte for byte. Any
other key in that namespace, in any case (io.oci-sbx.profil, IO.OCI-SBX.RULES),
refuses the container with a suggestion: a typo must not start it unconfined.
Any error is printed and exits non-zero, and Podman then refuses to create the
container rather than start it without its profile. Podman (4.3) shows only
"executing [oci-sbx hook precreate]: exit status 1", so the error also goes to
--log (mode 0600; never through a symlink, to a FIFO or to a file with another
link).`,
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "profiles", Value: hooks.DefaultProfiles, Usage: "read the profiles that io.oci-sbx.profile names beneath `DIR`"},
					&cli.StringFlag{Name: "late-dir", Value: hooks.DefaultLateDir, Usage: "host `DIR` for the profiles of late stages"},
					&cli.StringFlag{Name: "records", Value: hooks.DefaultRecords, Usage: "write the profiles that io.oci-sbx.record names beneath `DIR`"},
					&cli.StringFlag{Name: "agents", Value: hooks.DefaultAgents, Usage: "find the agents' sockets that io.oci-sbx.report names beneath `DIR`"},
					&cli.StringFlag{Name: "log", Value: hooks.DefaultLog, Usage: "also append errors to `FILE`, where Podman, which discards a hook's standard error, leaves them (\"\" for none)"},
				},
				OnUsageError: onUsageError,
				Action:       runHookPrecreate,
			},
			{
				Name:  "config",
				Usage: "print the hooks.d document that registers this oci-sbx as Podman's precreate hook",
				Description: `Prints the hooks.d 1.0.0 document (JSON) that makes Podman run this oci-sbx,
by its absolute path, as the precreate hook (reading profiles beneath
--profiles) of every container ("when": {"always": true}): the hook refuses
a misspelt key and a key that only looks like the io.oci-sbx. namespace
(another hyphen, a Cyrillic o, a space), which no annotation pattern could
list. A container without oci-sbx annotations gets its config back
unchanged; the cost is one exec of the hook per container.
--dir writes it to DIR/oci-sbx.json instead, atomically. DIR must exist: a
misspelt directory, which Podman would never read, is an error. Podman reads
/usr/share/containers/oci/hooks.d and /etc/containers/oci/hooks.d (neither exists
until something is installed there), or the directories --hooks-dir names.

Examples:
   mkdir -p /etc/containers/oci/hooks.d && oci-sbx hook config --dir /etc/containers/oci/hooks.d
   podman --hooks-dir "$dir" run --annotation io.oci-sbx.profile=demo.yaml ...`,
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "dir", Usage: "write the document into `DIR` as oci-sbx.json"},
					&cli.StringFlag{Name: "profiles", Value: hooks.DefaultProfiles, Usage: "the hook reads the profiles annotations name beneath `DIR` (an absolute path)"},
					&cli.StringFlag{Name: "records", Value: hooks.DefaultRecords, Usage: "the hook writes the recordings annotations name beneath `DIR` (an absolute path)"},
					&cli.StringFlag{Name: "agents", Value: hooks.DefaultAgents, Usage: "the hook finds the agents' sockets annotations name beneath `DIR` (an absolute path)"},
				},
				OnUsageError: onUsageError,
				Action:       runHookConfig,
			},
		},
		Action: func(_ context.Context, c *cli.Command) error {
			if c.NArg() == 0 {
				return usageErrorf(c, "hook needs a subcommand: precreate or config")
			}
			return usageErrorf(c, "unknown hook subcommand %q (want precreate or config)", c.Args().First())
		},
	}
}

func runHookPrecreate(_ context.Context, c *cli.Command) error {
	if c.NArg() != 0 {
		return usageErrorf(c, "hook precreate takes no arguments: the config comes on standard input")
	}
	opt := hooks.PrecreateOptions{
		LateBinary: func() (string, error) { return stage.FindBinary("") },
		LateDir:    c.String("late-dir"),
		Profiles:   c.String("profiles"),
		Records:    c.String("records"),
		Agents:     c.String("agents"),
		Convert:    convert.Options{Warn: func(msg string) { fmt.Fprintf(c.Root().ErrWriter, "oci-sbx: %s\n", msg) }, Check: warnOptions(c).Check},
	}
	return hooks.RunPrecreate(c.Root().Reader, c.Root().Writer, c.String("log"), opt)
}

func runHookConfig(_ context.Context, c *cli.Command) error {
	if c.NArg() != 0 {
		return usageErrorf(c, "hook config takes no arguments")
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding this oci-sbx: %w", err)
	}
	doc, err := hooks.NewHooksD(self, hooks.Dirs{Profiles: c.String("profiles"), Records: c.String("records"), Agents: c.String("agents")})
	if err != nil {
		return err
	}
	data, err := doc.Marshal()
	if err != nil {
		return err
	}
	dir := c.String("dir")
	if dir == "" {
		_, err = c.Root().Writer.Write(data)
		return err
	}
	if fi, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("--dir %s does not exist: create it (mkdir -p) if it is one Podman reads", dir)
	} else if err == nil && !fi.IsDir() {
		return fmt.Errorf("--dir %s is not a directory", dir)
	}
	path := filepath.Join(dir, hooks.HooksDFile)
	if err := oci.WriteFileAtomic(path, data, 0o644); err != nil {
		return err
	}
	notef(c, "wrote %s\n", path)
	return nil
}
