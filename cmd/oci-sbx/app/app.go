// Package app is the oci-sbx command line: a thin layer that turns flags
// into calls of the library packages.
package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/urfave/cli/v3"

	"github.com/oci-sbx/oci-sbx/internal/suggest"
)

// Version is the oci-sbx version, set at link time.
var Version = "dev"

// New returns the oci-sbx command line.
func New() *cli.Command {
	onUsageError := func(_ context.Context, c *cli.Command, err error, _ bool) error {
		return usageErrorf(c, "%v", err)
	}
	root := &cli.Command{
		Name:            "oci-sbx",
		Usage:           "turn readable seccomp rules into every profile format, apply them, and prove them",
		Version:         Version,
		HideHelpCommand: true,
		Commands: []*cli.Command{
			convertCommand(),
			execCommand(),
			lintCommand(),
			patchCommand(), lateCommand(),
			simulateCommand(),
			diffCommand(),
			hookCommand(), agentCommand(), nriCommand(),
			versionCommand(),
		},
		Action: func(_ context.Context, c *cli.Command) error {
			if c.NArg() == 0 {
				return usageErrorf(c, "no command given")
			}
			var names []string
			for _, sub := range c.Commands {
				names = append(names, sub.Name)
			}
			if sug := suggest.Closest(c.Args().First(), names); sug != "" {
				return usageErrorf(c, "unknown command %q: did you mean %q?", c.Args().First(), sug)
			}
			return usageErrorf(c, "unknown command %q", c.Args().First())
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

// UsageError is a mistake on the command line: exit status 2, with help.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// usageErrorf prints the command's help and returns a UsageError.
func usageErrorf(c *cli.Command, format string, args ...any) error {
	if c != nil {
		// Help after a mistake goes to standard error, with the mistake.
		root := c.Root()
		out := root.Writer
		root.Writer = root.ErrWriter
		_ = cli.ShowSubcommandHelp(c)
		root.Writer = out
		fmt.Fprintln(root.ErrWriter)
	}
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// ExitStatus is an error that carries the exit status of a program that
// oci-sbx ran; main exits with it and prints nothing.
type ExitStatus struct{ Code int }

func (e *ExitStatus) Error() string { return fmt.Sprintf("exit status %d", e.Code) }

// ExitCode maps an error returned by the app to the process exit status.
func ExitCode(err error) int {
	var ue *UsageError
	var es *ExitStatus
	switch {
	case err == nil:
		return 0
	case errors.As(err, &es):
		return es.Code
	case errors.As(err, &ue):
		return 2
	}
	return 1
}
