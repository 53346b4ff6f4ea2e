package record

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/oci-sbx/oci-sbx/oci/reexec"
)

// The hidden init mode: argv[0] and the variable must both be present,
// and the variable names the socket the parent talks on.
const (
	initArg0 = "oci-sbx-record-init"
	initEnv  = "_OCI_SBX_RECORD_SOCKET"
	initFd   = 3
)

// initConfig is what the parent sends the init child, as one JSON line.
type initConfig struct {
	Program         []unix.SockFilter `json:"program"`
	NoNewPrivileges bool              `json:"noNewPrivileges"`
	Path            string            `json:"path"`
	Args            []string          `json:"args"`
	Env             []string          `json:"env"`
}

// Lines the init child sends: the descriptor number its listener will
// have, or why it failed.
const (
	msgListener = "listener "
	msgError    = "error "
)

// Init is the recorder's init child, a reexec.Child that main enters
// explicitly: it loads the recording filter on its own thread and execs
// the program from that thread, so the filter covers the program and
// everything it starts. It returns at once unless this process is that
// child; the child itself exits, with 125 when it could not exec.
func Init() { reexec.Child{Arg0: initArg0, Env: initEnv}.Enter(initMain) }

func initMain(sock int) int {
	if err := initRun(sock); err != nil {
		_, _ = unix.Write(sock, []byte(msgError+strings.ReplaceAll(err.Error(), "\n", " ")+"\n"))
		return 125
	}
	return 0
}

func initRun(sock int) error {
	var cfg initConfig
	if err := reexec.ReadLine(sock, &cfg); err != nil {
		return fmt.Errorf("reading the init config: %w", err)
	}
	if len(cfg.Program) == 0 || len(cfg.Program) > maxInstructions {
		return fmt.Errorf("decoding the init config: a program of %d instructions", len(cfg.Program))
	}
	if cfg.NoNewPrivileges || !reexec.HasCapSysAdmin() {
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			return fmt.Errorf("setting no_new_privs: %w", err)
		}
	}
	// Only stdio reaches the program; the socket stays usable until
	// execve.
	if err := unix.CloseRange(3, math.MaxUint32, unix.CLOSE_RANGE_CLOEXEC); err != nil {
		return fmt.Errorf("marking inherited descriptors close-on-exec: %w", err)
	}

	// Everything execve needs is prepared before the load: after it,
	// every call this thread makes waits for the recorder.
	path, err := unix.BytePtrFromString(cfg.Path)
	if err != nil {
		return fmt.Errorf("preparing %q: %w", cfg.Path, err)
	}
	argv, err := cStrings(cfg.Args)
	if err != nil {
		return fmt.Errorf("preparing the arguments: %w", err)
	}
	envv, err := cStrings(cfg.Env)
	if err != nil {
		return fmt.Errorf("preparing the environment: %w", err)
	}
	prog := unix.SockFprog{Len: uint16(len(cfg.Program)), Filter: &cfg.Program[0]}

	// The listener gets the lowest free descriptor. The parent takes it
	// from this process with pidfd_getfd once it exists: handing it over
	// through the socket would need a call the filter notifies, and no
	// one could answer it yet.
	next, err := unix.FcntlInt(uintptr(sock), unix.F_DUPFD, 0)
	if err != nil {
		return fmt.Errorf("finding a free descriptor: %w", err)
	}
	unix.Close(next)
	if _, err := unix.Write(sock, []byte(msgListener+strconv.Itoa(next)+"\n")); err != nil {
		return fmt.Errorf("telling the listener's descriptor: %w", err)
	}

	flags := uintptr(unix.SECCOMP_FILTER_FLAG_NEW_LISTENER | unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
	lfd, _, errno := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, flags, uintptr(unsafe.Pointer(&prog)))
	if errno == unix.EINVAL {
		// Before Linux 5.19: no WAIT_KILLABLE_RECV. Go's preemption
		// signals can then interrupt a notified call, which the kernel
		// restarts.
		flags &^= unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
		lfd, _, errno = unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, flags, uintptr(unsafe.Pointer(&prog)))
	}
	if errno != 0 {
		return fmt.Errorf("loading the recording filter: %w", errno)
	}
	if int(lfd) != next {
		// The parent waits for a descriptor that will not come; it gives
		// up and says so.
		return fmt.Errorf("the listener got descriptor %d, not %d", lfd, next)
	}
	// Wait for the recorder: without this, a base that allows execve
	// would let the program start before anyone holds the listener, and
	// the listener closes at execve.
	_, _, _ = unix.RawSyscall(handshakeNr, 0, 0, 0)
	_, _, errno = unix.RawSyscall(unix.SYS_EXECVE, uintptr(unsafe.Pointer(path)), uintptr(unsafe.Pointer(&argv[0])), uintptr(unsafe.Pointer(&envv[0])))
	return fmt.Errorf("executing %q: %w", cfg.Path, errno)
}

// cStrings is a NULL-terminated array of C strings, for execve.
func cStrings(ss []string) ([]*byte, error) {
	out := make([]*byte, len(ss)+1)
	for i, s := range ss {
		p, err := unix.BytePtrFromString(s)
		if err != nil {
			return nil, err
		}
		out[i] = p
	}
	return out, nil
}
