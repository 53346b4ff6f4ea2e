//go:build linux && cgo && seccomp

package late

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"

	"github.com/opencontainers/runc/libcontainer/seccomp"
	"github.com/opencontainers/runc/libcontainer/specconv"
	"github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"github.com/oci-sbx/oci-sbx/oci/loader"
	"github.com/oci-sbx/oci-sbx/oci/notify"
	"github.com/oci-sbx/oci-sbx/oci/reexec"
)

// ExecLate loads s into the calling process and replaces the process with
// args, the way runc applies a profile right before it execs the
// container's process: it locks the OS thread, sets no_new_privs, loads
// the filter with runc's seccomp.InitSeccomp on that thread and calls
// execve from it. It is the late stage of a profile split for a container
// (package stage): the container's process itself, so there is no parent
// left behind, and signals and the exit status are the program's own.
//
// args[0] is looked up in the PATH of env, as runc looks up
// process.args[0]. ExecLate returns only on failure, and a failure after
// the load leaves the process filtered.
func ExecLate(s *specs.LinuxSeccomp, args, env []string) error {
	if len(args) == 0 {
		return errors.New("no command")
	}
	// Notify rules need an agent: with a listenerPath (see notify.ForReport)
	// the listener goes to it.
	if err := loader.Check(s); err != nil && (s.ListenerPath == "" || !errors.Is(err, loader.ErrNotifyAgent)) {
		return err
	}
	path, err := reexec.LookPath(args[0], env, "")
	if err != nil {
		return &CommandError{Err: err}
	}
	config, err := specconv.SetupSeccomp(s)
	if err != nil {
		return fmt.Errorf("converting the profile: %w", err)
	}
	logrus.SetOutput(io.Discard) // runc's loader logs; the program's stderr is not the place
	var agent *notify.LateHandover
	if s.ListenerPath != "" {
		st := &specs.ContainerProcessState{Version: specs.Version, Pid: os.Getpid(), Metadata: s.ListenerMetadata}
		if agent, err = notify.DialAgent(s.ListenerPath, st); err != nil {
			return err
		}
	}

	// The filter covers the thread that loads it (runc never passes
	// TSYNC), and execve must run on that thread to hand it on.
	runtime.LockOSThread()
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("setting no_new_privs: %w", err)
	}
	fd, err := seccomp.InitSeccomp(config)
	if err != nil {
		return fmt.Errorf("loading the seccomp filter: %w", err)
	}
	if fd >= 0 && agent == nil {
		// Check refuses notify rules, which need an agent; this is
		// defence against a listener nobody would answer.
		return errors.New("loading the seccomp filter: a notify listener was created, and nobody would answer it")
	}
	if fd >= 0 {
		// The listener and the connection are close-on-exec: the
		// program does not inherit them.
		if err := agent.Send(fd); err != nil {
			return err
		}
	}
	for {
		err = unix.Exec(path, args, env)
		if err != unix.EINTR {
			return &CommandError{Err: fmt.Errorf("executing %q: %w", path, err)}
		}
	}
}
