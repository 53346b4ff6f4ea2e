// Package app is the oci-sbx command line: a thin layer that turns flags
// into calls of the library packages.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/urfave/cli/v3"

	"github.com/oci-sbx/oci-sbx/internal/suggest"
)

// Version is the oci-sbx version, set at link time.
var Version = "dev"

// New returns the oci-sbx command line.
func New() *cli.Command {
	cli.ShowCommandHelp = showCommandHelp
	onUsageError := func(_ context.Context, c *cli.Command, err error, _ bool) error {
		return usageErrorf(c, "%v", err)
	}
	root := &cli.Command{
		Name:    "oci-sbx",
		Usage:   "turn readable seccomp rules into every profile format, apply them, and prove them",
		Version: Version,
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
				return usageErrorf(c, "no command given")
			}
			return unknownCommand(c, c.Args().First())
		},
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print no warnings or notes, except that runc cannot start a profile as written (or only with no-new-privileges)"},
		},
		// Errors are printed once, by main.
		ExitErrHandler: func(context.Context, *cli.Command, error) {},
		OnUsageError:   onUsageError,
	}
	// urfave/cli asks each command, not the root, about its usage errors.
	for _, sub := range root.Commands {
		sub.OnUsageError = onUsageError
	}
	return root
}

// showCommandHelp is urfave/cli's help for `help NAME`, with an unknown
// NAME a usage error like an unknown command.
func showCommandHelp(ctx context.Context, c *cli.Command, name string) error {
	for _, sub := range c.Commands {
		if sub.HasName(name) {
			return cli.DefaultShowCommandHelp(ctx, c, name)
		}
	}
	return unknownCommand(c, name)
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
