package sandbox

import (
	"fmt"
	"io"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/oci-sbx/oci-sbx/oci/cache"
	"github.com/oci-sbx/oci-sbx/oci/loader"
	"github.com/oci-sbx/oci-sbx/oci/reexec"
	"github.com/opencontainers/runtime-spec/specs-go"
)

// ErrUnsupported is returned by a build without cgo and the seccomp tag.
var ErrUnsupported = loader.ErrUnsupported

// Supported reports whether this build can load seccomp filters.
const Supported = loader.Supported

// Config describes one run.
type Config struct {
	// Seccomp is the profile; nil runs the program without a filter.
	Seccomp *specs.LinuxSeccomp
	// NoNewPrivileges sets no_new_privs before loading, as runc's
	// process.noNewPrivileges does. Without it, loading needs
	// CAP_SYS_ADMIN.
	NoNewPrivileges bool
	// Args is the command; Args[0] is looked up in the PATH of Env,
	// relative to Dir.
	Args []string
	// Env is the program's environment; nil means the caller's.
	Env []string
	// Dir is the working directory; empty means the caller's.
	Dir string
	// Credential, if set, runs the program as that user (the caller needs
	// the privilege to switch).
	Credential *Credential

	Stdin          io.Reader
	Stdout, Stderr io.Writer

	// Report, if set, receives one line per syscall the profile denies
	// with an errno, and notes about denials that cannot be reported.
	// Run writes no more once it returns.
	Report io.Writer

	// Launch, if set, is the command line that asked for this run. When
	// the run starts from the cache and the launcher could start it the
	// same way, Run files the program under it too, so that the next run
	// of that command line starts without the Go runtime (see Launch).
	Launch *Launch
}

// Launch is an `oci-sbx exec --profile FILE [--] CMD [ARG...]` command line,
// with no other flag, as a binary importing this package sees it in its
// arguments. Such a binary starts with the launcher (package cache's
// launch.c), which runs before the Go runtime: when the cache holds the
// program for exactly this
// FILE (its name and bytes), this build, libseccomp and kernel, it sets
// no_new_privs, marks descriptors above 2 close-on-exec, loads the program
// as runc would and replaces itself with CMD, looked up as Run looks it up.
// So a warm start costs about one execve more than running CMD directly.
//
// Replacing itself, it cannot wait for CMD: CMD's exit status and death by
// a signal are its own, not an exit status of 128+N. For that reason
// profiles with a kill or trap action never launch this way (Run reports
// the syscall behind a seccomp kill); nor do profiles that keep a dynamic
// loader from opening libraries, or that read files besides FILE.
type Launch = cache.Launch

// Credential is a user to run as.
type Credential struct {
	UID, GID uint32
	Groups   []uint32 // supplementary groups; nil clears them
}

// Result is how the program ended.
type Result struct {
	Pid int
	// ExitCode is the exit status, or -1 when a signal ended the program.
	ExitCode int
	// Signal is the signal that ended the program, if any.
	Signal syscall.Signal
	// SeccompKill is set when the program died of SIGSYS, which is how a
	// seccomp kill action ends it.
	SeccompKill bool
	// Syscall names the syscall behind a seccomp kill, when the kernel's
	// audit record could be read ("" otherwise).
	Syscall string
}

// Status is the exit status a shell would report: the exit code, or 128
// plus the signal number.
func (r *Result) Status() int {
	if r.Signal != 0 {
		return 128 + int(r.Signal)
	}
	return r.ExitCode
}

func (r *Result) String() string {
	switch {
	case r.SeccompKill && r.Syscall != "":
		return fmt.Sprintf("killed by seccomp (%v) for syscall %s", r.Signal, r.Syscall)
	case r.SeccompKill:
		return fmt.Sprintf("killed by seccomp (%v); the kernel log (audit type=1326) names the syscall", r.Signal)
	case r.Signal != 0:
		return fmt.Sprintf("killed by signal %d (%s)", int(r.Signal), unix.SignalName(r.Signal))
	}
	return fmt.Sprintf("exit status %d", r.ExitCode)
}

// ExecError is the program failing to start (reexec.ExecError): callers
// exit 127 when it was not found and 126 when it could not run.
type ExecError = reexec.ExecError

// LoaderError is returned before running a dynamically linked program whose
// loader could not open its libraries under the profile.
type LoaderError struct {
	Path    string // the program
	Script  string // the script that names Path as its interpreter, if any
	Interp  string // the ELF interpreter (PT_INTERP) of Path
	Syscall string // the syscall the loader opens files with
	Outcome string // what the profile does to it: "denies (errno EPERM)", "kills (SIGSYS)"
}

func (e *LoaderError) Error() string {
	prog := e.Path
	if e.Script != "" {
		prog = fmt.Sprintf("%s is a script for %s, which", e.Script, e.Path)
	}
	return fmt.Sprintf("%s is dynamically linked: its loader %s opens libc with %s, which this profile %s; run a static binary or allow %s",
		prog, e.Interp, e.Syscall, e.Outcome, e.Syscall)
}
