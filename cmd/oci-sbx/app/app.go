// Package app is the oci-sbx command line: a thin layer that turns flags
// into calls of the library packages.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/oci-sbx/oci-sbx/internal/suggest"
)

// New returns the oci-sbx command line.
func New() *cli.Command {
	cli.ShowCommandHelp = showCommandHelp
	cli.UsageCommandHelp = "show the commands, or one command's help"
	cli.ArgsUsageCommandHelp = "[COMMAND]"
	onUsageError := func(_ context.Context, c *cli.Command, err error, _ bool) error {
		return flagError(c, err)
	}
	root := &cli.Command{
		Name:    "oci-sbx",
		Usage:   "turn readable seccomp rules into every profile format, apply them, and prove them",
		Version: version(),
		Description: `Reads seccomp rules a person can write (YAML), libseccomp C, Docker and Podman
JSON, OCI config.json and Security Profiles Operator resources; writes each of
them, and the raw program runc's loader builds. It puts a profile into a runc
bundle or a Podman container (as its precreate hook), runs programs under it the
way runc does, and tells what a profile lets through and what it does to a call.

Start with the README's walk-through. oci-sbx help COMMAND (or oci-sbx COMMAND
--help) shows a command's help; after make install, so does man oci-sbx-COMMAND.`,
		// `oci-sbx help CMD` is CMD's help, as in podman and docker.
		EnableShellCompletion:           true,
		ConfigureShellCompletionCommand: configureCompletion,
		Commands: []*cli.Command{
			convertCommand(),
			execCommand(),
			lintCommand(),
			patchCommand(), lateCommand(),
			simulateCommand(),
			recordCommand(), mergeCommand(),
			diffCommand(),
			hookCommand(), agentCommand(), nriCommand(),
			versionCommand(),
			manCommand(),
		},
		Action: func(_ context.Context, c *cli.Command) error {
			if c.NArg() == 0 {
				// A first try without a command gets the commands, in a line.
				var names []string
				for _, sub := range c.Commands {
					if !sub.Hidden && sub.Name != "help" {
						names = append(names, sub.Name)
					}
				}
				return usageErrorf(c, "no command given: one of %s", strings.Join(names, ", "))
			}
			return unknownCommand(c, c.Args().First())
		},
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print no warnings or notes, except that runc cannot start a profile as written (or only with no-new-privileges)"},
		},
		Before: setComplete,
		// Errors are printed once, by main.
		ExitErrHandler: func(context.Context, *cli.Command, error) {},
		OnUsageError:   onUsageError,
	}
	// urfave/cli asks each command, not the root, about its usage errors.
	for _, sub := range root.Commands {
		sub.OnUsageError = onUsageError
		// exec and record exit with CMD's status: their own failures get
		// one CMD cannot be taken to have given.
		if sub.Name == "exec" || sub.Name == "record" {
			sub.Action, sub.OnUsageError = ownFailure(sub.Action), ownFailureOnUsage(onUsageError)
		}
	}
	return root
}

// windsDown are the commands that hold a program, a recording or a
// listener, and stop through their context when oci-sbx is signalled.
var windsDown = map[string]bool{"exec": true, "record": true, "agent": true, "nri": true}

// WindsDown reports whether the command args (os.Args) run stops through
// its context on SIGINT or SIGTERM, rather than ending at once.
func WindsDown(args []string) bool {
	for _, a := range args[1:] {
		if !strings.HasPrefix(a, "-") {
			return windsDown[a]
		}
	}
	return false
}

// ExitStatuses are oci-sbx's exit statuses, for oci-sbx(1) and
// docs/cli.md, which a test holds to this list.
var ExitStatuses = []struct{ Status, Meaning string }{
	{"0", "success; lint: no finding is an error; diff: the profiles act the same"},
	{"1", "failure: a profile that does not parse or cannot be used, a file that cannot be written; convert, merge --strict: output no runc can start (or, for docker, kubernetes and spo, only with no-new-privileges), refused and not written; lint: an error-level finding; diff: the profiles differ"},
	{"2", "a usage error (an unknown command or flag, a missing argument): one line and where to read more; lint, diff: the profile cannot be read"},
	{"99", "record --check: CMD made a call the profile does not allow; record --verify: the replay made a call the recorded profile does not allow"},
	{"125", "exec, record: oci-sbx itself failed, a usage error included (record --strict: the output refused, as for convert)"},
	{"126", "exec: CMD cannot run (not executable, or a dynamic program whose loader the profile stops); the late stage in a container: its profile cannot be loaded or was changed after patch"},
	{"127", "exec: CMD is not found"},
	{"128+N", "exec: CMD died of signal N"},
	{"any other", "exec, record: CMD's own exit status"},
}

// OwnFailure is the exit status of exec and record when oci-sbx itself
// fails, CMD having run or not: 125, as for env, podman run and docker run.
const OwnFailure = 125

// ownFailure gives the errors of an action that passes CMD's exit status
// through the status OwnFailure, unless they carry one of their own (CMD's,
// 126, 127).
func ownFailure(action cli.ActionFunc) cli.ActionFunc {
	return func(ctx context.Context, c *cli.Command) error {
		return asOwnFailure(action(ctx, c))
	}
}

func ownFailureOnUsage(f cli.OnUsageErrorFunc) cli.OnUsageErrorFunc {
	return func(ctx context.Context, c *cli.Command, err error, isSub bool) error {
		return asOwnFailure(f(ctx, c, err, isSub))
	}
}

func asOwnFailure(err error) error {
	var es *ExitStatus
	var se *StatusError
	if err == nil || errors.As(err, &es) || errors.As(err, &se) {
		return err
	}
	return &StatusError{Err: err, Code: OwnFailure}
}

// showCommandHelp is urfave/cli's help for `help NAME`, with an unknown
// NAME a usage error like an unknown command. `help hook config` is hook
// config's help, as `hook config --help` is: urfave/cli hands over NAME
// alone, and the words after it are the help command's.
func showCommandHelp(ctx context.Context, c *cli.Command, name string) error {
	parent, cmd := c, c.Command(name)
	if cmd == nil {
		return unknownCommand(c, name)
	}
	if h := c.Command("help"); h != nil && h.Args() != nil && h.Args().First() == name {
		for _, word := range h.Args().Tail() {
			next := cmd.Command(word)
			if next == nil || next.Name == "help" {
				return unknownCommand(cmd, word)
			}
			parent, cmd = cmd, next
		}
	}
	return cli.DefaultShowCommandHelp(ctx, parent, cmd.Name)
}

// flagError is the usage error for a flag urfave/cli (Go's flag package)
// refused, in the words the user typed: "--hardn", not "-hardn", and the
// closest flag the command has.
func flagError(c *cli.Command, err error) error {
	const undefined = "flag provided but not defined: -"
	msg := err.Error()
	name, ok := strings.CutPrefix(msg, undefined)
	if !ok {
		return usageErrorf(c, "%s", dashes.ReplaceAllString(msg, "${1}--${2}"))
	}
	var names []string
	for _, cmd := range []*cli.Command{c, c.Root()} {
		for _, f := range cmd.VisibleFlags() {
			names = append(names, f.Names()...)
		}
	}
	if sug := suggest.Closest(name, names); sug != "" {
		return usageErrorf(c, "unknown flag %s: did you mean %s?", flagName(name), flagName(sug))
	}
	return usageErrorf(c, "unknown flag %s", flagName(name))
}

// dashes finds a flag Go's flag package names with one dash ("for flag
// -harden:"), to write it as typed.
var dashes = regexp.MustCompile(`(flag )-([a-z][a-z-]+)`)

// flagName writes a flag's name as it is typed: -q, --quiet.
func flagName(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// unknownCommand is the usage error for a command c does not have.
func unknownCommand(c *cli.Command, name string) error {
	var names []string
	for _, sub := range c.Commands {
		if !sub.Hidden {
			names = append(names, sub.Name)
		}
	}
	if sug := suggest.Closest(name, names); sug != "" {
		return usageErrorf(c, "unknown command %q: did you mean %q?", name, sug)
	}
	return usageErrorf(c, "unknown command %q", name)
}

// UsageError is a mistake on the command line: exit status 2, the
// mistake and where to read more, never the whole help.
type UsageError struct {
	Err     error
	Command string // the full name of the command, e.g. "oci-sbx convert"
}

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// usageErrorf returns a UsageError for the command c.
func usageErrorf(c *cli.Command, format string, args ...any) error {
	name := "oci-sbx"
	if c != nil {
		name = c.FullName()
	}
	return &UsageError{Err: fmt.Errorf(format, args...), Command: name}
}

// PrintError prints an error the app returned as oci-sbx says it: one
// line, and for a usage error where to read more. An ExitStatus prints
// nothing: the program it stands for has spoken.
func PrintError(w io.Writer, err error) {
	var status *ExitStatus
	if err == nil || errors.As(err, &status) {
		return
	}
	fmt.Fprintf(w, "oci-sbx: %v\n", err)
	var ue *UsageError
	if errors.As(err, &ue) {
		fmt.Fprintf(w, "Run '%s --help' for more information.\n", ue.Command)
	}
}

// ExitStatus is an error that carries the exit status of a program that
// oci-sbx ran; main exits with it and prints nothing.
type ExitStatus struct{ Code int }

func (e *ExitStatus) Error() string { return fmt.Sprintf("exit status %d", e.Code) }

// StatusError is an error printed as any other, with an exit status of its
// own.
type StatusError struct {
	Err  error
	Code int
}

func (e *StatusError) Error() string { return e.Err.Error() }
func (e *StatusError) Unwrap() error { return e.Err }

// ExitCode maps an error returned by the app to the process exit status.
func ExitCode(err error) int {
	var ue *UsageError
	var es *ExitStatus
	var se *StatusError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &es):
		return es.Code
	case errors.As(err, &se):
		return se.Code
	case errors.As(err, &ue):
		return 2
	}
	return 1
}
