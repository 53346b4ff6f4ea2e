//go:build linux && cgo && seccomp

package sandbox

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"unsafe"

	"github.com/opencontainers/runc/libcontainer/configs"
	"github.com/opencontainers/runc/libcontainer/seccomp"
	"github.com/opencontainers/runc/libcontainer/specconv"
	"golang.org/x/sys/unix"

	"github.com/oci-sbx/oci-sbx/oci/reexec"
)

// Init enters the init mode when this process is the init child that Run
// started, and then never returns: it loads the filter and execs the
// program, like "runc init". Otherwise it returns at once. A binary that
// calls Run calls Init first thing in main (or in TestMain), so that it
// can serve as its own init child.
func Init() { reexec.Child{Arg0: initArg0, Env: initEnv}.Enter(initMain) }

// initMain loads the filter and execs the program; it returns only on
// failure, with the exit status for the child.
func initMain(fd int) int {
	if err := initRun(fd); err != nil {
		var ee *ExecError
		var errno unix.Errno
		if errors.As(err, &ee) && errors.As(ee.Err, &errno) {
			_, _ = unix.Write(fd, []byte(msgExec+strconv.Itoa(int(errno))+" "+ee.Path+"\n"))
			return 125
		}
		msg := strings.ReplaceAll(err.Error(), "\n", " ")
		_, _ = unix.Write(fd, []byte(msgError+msg+"\n"))
		return 125
	}
	return 0 // a probe that reported
}

func initRun(sock int) error {
	cfg, err := readInitConfig(sock)
	if err != nil {
		return err
	}
	if cfg.NoNewPrivileges {
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			return fmt.Errorf("setting no_new_privs: %w", err)
		}
	} else if cfg.Seccomp != nil && !reexec.HasCapSysAdmin() {
		return fmt.Errorf("loading a seccomp filter without no_new_privs needs CAP_SYS_ADMIN, which uid %d lacks: set no_new_privs (noNewPrivileges)", os.Getuid())
	}
	// Nothing but stdio may reach the program. close_range marks the
	// descriptors close-on-exec instead of closing them, which keeps the
	// socket and Go's own descriptors usable until execve.
	if err := unix.CloseRange(3, math.MaxUint32, unix.CLOSE_RANGE_CLOEXEC); err != nil {
		if err := cloexecFrom(3); err != nil {
			return fmt.Errorf("marking inherited descriptors close-on-exec: %w", err)
		}
	}
	var config *configs.Seccomp
	if cfg.Seccomp != nil {
		if config, err = specconv.SetupSeccomp(cfg.Seccomp); err != nil {
			return fmt.Errorf("converting the profile: %w", err)
		}
	}

	// Everything the calls after the load need is prepared now, so that
	// as few syscalls as possible run under the filter, none of them
	// allocating: a write and a read for the listener, then execve.
	var probePath *byte
	if cfg.Probe {
		probePath, _ = unix.BytePtrFromString("/")
	}
	msg := make([]byte, 0, 64)
	ack := make([]byte, 1)

	listener := -1
	if config != nil {
		if listener, err = seccomp.InitSeccomp(config); err != nil {
			return fmt.Errorf("loading the seccomp filter: %w", err)
		}
	}
	if cfg.Probe {
		// The call ld.so makes to open the library cache and libc.
		r, _, errno := unix.RawSyscall6(uintptr(cfg.ProbeNr), uintptr(atFdcwd), uintptr(unsafe.Pointer(probePath)), unix.O_RDONLY|unix.O_CLOEXEC, 0, 0, 0)
		if errno == 0 {
			unix.Close(int(r))
		}
		msg = strconv.AppendUint(append(msg, msgProbe...), uint64(errno), 10)
		_, _ = unix.Write(sock, append(msg, '\n'))
		return nil
	}
	if listener >= 0 {
		msg = strconv.AppendInt(append(msg, msgListener...), int64(listener), 10)
		if _, err := unix.Write(sock, append(msg, '\n')); err != nil {
			return fmt.Errorf("handing over the notify listener: write: %w", err)
		}
		// Wait until the parent holds a copy; the listener closes at
		// execve.
		if n, err := unix.Read(sock, ack); n != 1 || err != nil {
			if err == nil {
				err = io.ErrUnexpectedEOF
			}
			return fmt.Errorf("handing over the notify listener: read: %w (the report needs read and write allowed after the load, as runc's notify handover does)", err)
		}
	}
	for {
		err = unix.Exec(cfg.Path, cfg.Args, cfg.Env)
		if err != unix.EINTR {
			break
		}
	}
	return &ExecError{Op: "executing", Path: cfg.Path, Err: err}
}

func readInitConfig(sock int) (*initConfig, error) {
	var ic initConfig
	if err := reexec.ReadLine(sock, &ic); err != nil {
		return nil, fmt.Errorf("reading the init config: %w", err)
	}
	ic.Seccomp = ic.Spec()
	return &ic, nil
}

// atFdcwd is AT_FDCWD in a variable: a negative constant does not convert
// to uintptr.
var atFdcwd = unix.AT_FDCWD

// cloexecFrom marks descriptors from min on close-on-exec one by one, for
// kernels without close_range (before 5.11).
func cloexecFrom(min int) error {
	d, err := os.Open("/proc/self/fd")
	if err != nil {
		return err
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return err
	}
	for _, n := range names {
		if fd, err := strconv.Atoi(n); err == nil && fd >= min {
			unix.CloseOnExec(fd)
		}
	}
	return nil
}
