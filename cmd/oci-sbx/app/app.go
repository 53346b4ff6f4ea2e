// Package app is the oci-sbx command line: a thin layer that turns flags
// into calls of the library packages.
package app

import (
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"
)

// Version is the oci-sbx version, set at link time.
var Version = "dev"

// New returns the oci-sbx application.
func New() *cli.App {
	return &cli.App{
		Name:                 "oci-sbx",
		Usage:                "turn readable seccomp rules into every profile format, apply them, and prove them",
		Version:              Version,
		HideHelpCommand:      true,
		EnableBashCompletion: false,
		Commands: []*cli.Command{
			convertCommand(),
			execCommand(),
			versionCommand(),
		},
		// Errors are printed once, by main.
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError: func(c *cli.Context, err error, _ bool) error {
			return usageErrorf(c, "%v", err)
		},
	}
}

// UsageError is a mistake on the command line: exit status 2, with help.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// usageErrorf prints the command's help and returns a UsageError.
func usageErrorf(c *cli.Context, format string, args ...any) error {
	if c != nil {
		_ = cli.ShowSubcommandHelp(c)
		fmt.Fprintln(c.App.ErrWriter)
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
