//go:build linux && cgo && seccomp

package sandbox

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/opencontainers/runc/libcontainer/seccomp"
	"github.com/opencontainers/runc/libcontainer/specconv"
	"github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
)

// The hidden export mode, entered like the init mode: argv[0] and a
// variable naming the socket.
const (
	exportArg0 = "oci-sbx-export"
	exportEnv  = "_OCI_SBX_EXPORT_SOCKET"
	msgReady   = "ready"

	exportTimeout = 30 * time.Second
)

func init() {
	if len(os.Args) != 1 || os.Args[0] != exportArg0 {
		return
	}
	v, ok := os.LookupEnv(exportEnv)
	if !ok {
		return
	}
	// The filter is loaded on the main thread, the one the parent traces.
	runtime.LockOSThread()
	os.Exit(exportMain(v))
}

func exportMain(v string) int {
	fd, err := strconv.Atoi(v)
	var st unix.Stat_t
	if err != nil || fd < 3 || unix.Fstat(fd, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFSOCK {
		fmt.Fprintf(os.Stderr, "oci-sbx export: %s does not name a socket; this mode is for oci-sbx's own use\n", exportEnv)
		return 125
	}
	logrus.SetOutput(io.Discard)
	err = exportRun(fd)
	msg := strings.ReplaceAll(err.Error(), "\n", " ")
	_, _ = unix.Write(fd, []byte(msgError+msg+"\n"))
	return 125
}

// exportRun loads the profile with runc's code once the parent traces this
// thread. The parent takes the program at the end of the load and kills
// this process, so exportRun returns only on failure.
func exportRun(sock int) error {
	cfg, err := readInitConfig(sock)
	if err != nil {
		return err
	}
	// The program does not depend on no_new_privs; setting it lets the
	// load succeed whatever the capabilities.
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("setting no_new_privs: %w", err)
	}
	config, err := specconv.SetupSeccomp(cfg.Seccomp)
	if err != nil {
		return fmt.Errorf("converting the profile: %w", err)
	}
	if config == nil {
		return ErrNoFilter
	}
	if _, err := unix.Write(sock, []byte(msgReady+"\n")); err != nil {
		return fmt.Errorf("reporting ready: %w", err)
	}
	ack := make([]byte, 1)
	if n, err := unix.Read(sock, ack); n != 1 || err != nil {
		return fmt.Errorf("waiting for the tracer: %w", errors.Join(err, io.ErrUnexpectedEOF))
	}
	if _, err := seccomp.InitSeccomp(config); err != nil {
		return fmt.Errorf("loading the seccomp filter: %w", err)
	}
	return errors.New("the filter was loaded but the parent did not read it back")
}

// ExportBPF returns the program runc loads for the profile on this host —
// libseccomp's filter behind runc's ENOSYS stub — as raw struct
// sock_filter bytes in host byte order, what bwrap --seccomp and crun's
// run.oci.seccomp_bpf_data take.
//
// No call of runc returns that program, so a child process loads the
// profile with runc's libcontainer/seccomp while this process traces it,
// and reads the program back from the kernel with
// PTRACE_SECCOMP_GET_FILTER when the load returns, before the child runs
// a single instruction under it. That needs CAP_SYS_ADMIN, and this
// process must not be under seccomp itself (ErrReadBackDenied).
//
// Flags (log, spec_allow, a notify listener) are not part of the program.
// With more than one architecture family (x86_64 and x86), runc orders the
// sections of its stub by Go map iteration, so two exports may list them
// in a different order: the verdicts are the same.
func ExportBPF(ctx context.Context, s *specs.LinuxSeccomp) ([]byte, error) {
	if s == nil || (s.DefaultAction == "" && len(s.Syscalls) == 0) {
		return nil, ErrNoFilter
	}
	// A notify rule needs no agent to be exported.
	if err := Check(s); err != nil && !errors.Is(err, ErrNotifyAgent) {
		return nil, err
	}
	if err := canReadBack(); err != nil {
		return nil, err
	}
	// The child needs well under a second; a hang is a bug, not a wait.
	ctx, cancel := context.WithTimeout(ctx, exportTimeout)
	defer cancel()
	config, err := encodeInitConfig(&initConfig{Seccomp: s})
	if err != nil {
		return nil, fmt.Errorf("encoding the profile: %w", err)
	}

	// ptrace requests are answered only for the thread that attached.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()

	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("creating the export socket: %w", err)
	}
	sock := os.NewFile(uintptr(fds[0]), "export socket")
	defer sock.Close()
	childSock := os.NewFile(uintptr(fds[1]), "export socket")
	devNull, err := os.Open(os.DevNull)
	if err != nil {
		childSock.Close()
		return nil, err
	}
	proc, err := os.StartProcess("/proc/self/exe", []string{exportArg0}, &os.ProcAttr{
		Env:   []string{exportEnv + "=3"},
		Files: []*os.File{devNull, devNull, devNull, childSock},
	})
	devNull.Close()
	childSock.Close()
	if err != nil {
		return nil, fmt.Errorf("starting the export child: %w", err)
	}
	c := &exportChild{pid: proc.Pid, sock: bufio.NewReader(sock)}
	defer proc.Release()
	defer c.kill()
	stop := context.AfterFunc(ctx, func() { _ = unix.Kill(c.pid, unix.SIGKILL) })
	defer stop()

	if _, err := sock.Write(config); err != nil {
		return nil, c.failure(ctx, fmt.Errorf("sending the profile: %w", err))
	}
	if line, err := c.sock.ReadString('\n'); strings.TrimSuffix(line, "\n") != msgReady {
		return nil, c.failure(ctx, fmt.Errorf("the export child did not get ready: %q: %w", line, err))
	}
	if err := c.trace(); err != nil {
		return nil, c.failure(ctx, err)
	}
	if _, err := sock.Write([]byte{'\n'}); err != nil {
		return nil, c.failure(ctx, fmt.Errorf("starting the load: %w", err))
	}
	prog, err := c.awaitFilter()
	if err != nil {
		return nil, c.failure(ctx, err)
	}
	return prog, nil
}

// canReadBack fails early where the kernel would refuse
// PTRACE_SECCOMP_GET_FILTER.
func canReadBack() error {
	if !hasCapSysAdmin() {
		return fmt.Errorf("%w (uid %d lacks CAP_SYS_ADMIN)", ErrReadBackDenied, os.Getuid())
	}
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return nil // the kernel will say
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "Seccomp:"); ok && strings.TrimSpace(v) != "0" {
			return fmt.Errorf("%w (this process is under seccomp mode %s)", ErrReadBackDenied, strings.TrimSpace(v))
		}
	}
	return nil
}

// exportChild is the traced export child.
type exportChild struct {
	pid    int
	sock   *bufio.Reader
	reaped bool
}

// trace attaches to the child's main thread, which is waiting for the go
// ahead, and sets it to stop at every syscall.
func (c *exportChild) trace() error {
	// EXITKILL: the child never outlives this process with a filter.
	opts := unix.PTRACE_O_TRACESYSGOOD | unix.PTRACE_O_EXITKILL
	if _, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_SEIZE, uintptr(c.pid), 0, uintptr(opts), 0, 0); e != 0 {
		return fmt.Errorf("attaching to the export child: %w%s", e, yamaHint(e))
	}
	if err := unix.PtraceInterrupt(c.pid); err != nil {
		return fmt.Errorf("stopping the export child: %w", err)
	}
	if _, err := c.wait(); err != nil {
		return err
	}
	if err := unix.PtraceSyscall(c.pid, 0); err != nil {
		return fmt.Errorf("resuming the export child: %w", err)
	}
	return nil
}

// yamaHint explains an EPERM from ptrace under Yama's ptrace_scope 3.
func yamaHint(e unix.Errno) string {
	if e != unix.EPERM {
		return ""
	}
	if b, err := os.ReadFile("/proc/sys/kernel/yama/ptrace_scope"); err == nil && strings.TrimSpace(string(b)) == "3" {
		return " (kernel.yama.ptrace_scope is 3: no process may trace another)"
	}
	return ""
}

// wait waits for the next stop and fails when the child ended instead.
func (c *exportChild) wait() (unix.WaitStatus, error) {
	var ws unix.WaitStatus
	for {
		_, err := unix.Wait4(c.pid, &ws, unix.WALL, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return ws, fmt.Errorf("waiting for the export child: %w", err)
		}
		if ws.Exited() || ws.Signaled() {
			c.reaped = true
			return ws, fmt.Errorf("the export child ended (%s) before its filter could be read", describeStatus(ws))
		}
		return ws, nil
	}
}

func describeStatus(ws unix.WaitStatus) string {
	if ws.Signaled() {
		return "signal " + ws.Signal().String()
	}
	return "exit status " + strconv.Itoa(ws.ExitStatus())
}

// awaitFilter resumes the child from syscall stop to syscall stop until
// its thread holds a filter: at the stop after the load, before the first
// instruction under the filter runs.
func (c *exportChild) awaitFilter() ([]byte, error) {
	for {
		ws, err := c.wait()
		if err != nil {
			return nil, err
		}
		inject := 0
		switch sig := ws.StopSignal(); {
		case sig == unix.SIGTRAP|0x80: // a syscall stop
			prog, err := readFilter(c.pid)
			switch {
			case err == nil:
				return prog, nil
			case err == unix.EACCES:
				return nil, ErrReadBackDenied
			case err != unix.EINVAL: // EINVAL: no filter yet
				return nil, fmt.Errorf("reading the filter back: %w", err)
			}
		case uint32(ws)>>16 == unix.PTRACE_EVENT_STOP: // interrupt or group stop
		default: // a signal for the child: deliver it
			inject = int(sig)
		}
		if err := unix.PtraceSyscall(c.pid, inject); err != nil {
			return nil, fmt.Errorf("resuming the export child: %w", err)
		}
	}
}

// readFilter reads the newest filter of a stopped tracee.
func readFilter(pid int) ([]byte, error) {
	n, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_SECCOMP_GET_FILTER, uintptr(pid), 0, 0, 0, 0)
	if e != 0 {
		return nil, e
	}
	buf := make([]byte, n*uintptr(unix.SizeofSockFilter))
	m, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_SECCOMP_GET_FILTER, uintptr(pid), 0, uintptr(unsafe.Pointer(&buf[0])), 0, 0)
	if e != 0 {
		return nil, e
	}
	return buf[:m*uintptr(unix.SizeofSockFilter)], nil
}

// failure prefers the child's own account of what went wrong, and the
// context's error when it was cancelled.
func (c *exportChild) failure(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("exporting the program: %w", ctx.Err())
	}
	c.kill()
	for {
		line, rerr := c.sock.ReadString('\n')
		if msg, ok := strings.CutPrefix(strings.TrimSuffix(line, "\n"), msgError); ok {
			if strings.Contains(msg, ErrNoFilter.Error()) {
				return ErrNoFilter
			}
			return errors.New(msg)
		}
		if rerr != nil {
			return err
		}
	}
}

// kill ends the child and reaps it.
func (c *exportChild) kill() {
	if c.reaped {
		return
	}
	_ = unix.Kill(c.pid, unix.SIGKILL)
	var ws unix.WaitStatus
	for {
		_, err := unix.Wait4(c.pid, &ws, unix.WALL, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil || ws.Exited() || ws.Signaled() {
			c.reaped = true
			return
		}
	}
}
