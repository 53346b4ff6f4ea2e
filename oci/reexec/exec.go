package reexec

import (
	"errors"
	"fmt"
	"io/fs"
	"os/exec"
)

// ExecError is the program failing to start: not found, or found but not
// runnable (a directory, no execute permission, not a binary the kernel
// runs). Callers exit 127 for the first and 126 for the second, as env, sh,
// Podman and Docker do.
type ExecError struct {
	Op   string // "finding" or "executing"
	Path string // the program as given, or as found
	Err  error
}

func (e *ExecError) Error() string { return fmt.Sprintf("%s %q: %v", e.Op, e.Path, e.Err) }
func (e *ExecError) Unwrap() error { return e.Err }

// NotFound reports whether the program does not exist, rather than
// existing and failing to run.
func (e *ExecError) NotFound() bool {
	return errors.Is(e.Err, fs.ErrNotExist) || errors.Is(e.Err, exec.ErrNotFound)
}
