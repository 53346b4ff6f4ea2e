//go:build linux && cgo && seccomp

package program

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"
	"unsafe"

	"github.com/opencontainers/runc/libcontainer/seccomp"
	"github.com/opencontainers/runc/libcontainer/specconv"
	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/oci-sbx/oci-sbx/convert/filter"
	"github.com/oci-sbx/oci-sbx/convert/syscalls"
	"github.com/oci-sbx/oci-sbx/oci/loader"
	"github.com/oci-sbx/oci-sbx/oci/notify"
	"github.com/oci-sbx/oci-sbx/oci/reexec"
)

// The hidden export mode: both the argv[0] and the variable must be
// present, and the variable names a socket, so a user cannot enter it by
// accident. The profile travels over the socket as one JSON line
// (loader.Profile).
const (
	childArg0 = "oci-sbx-export"
	childEnv  = "_OCI_SBX_EXPORT_SOCKET"
	msgError  = "error " // the child failed; the rest of the line says why
	timeout   = 30 * time.Second
)

// errCaught is how this process answers the child's load: the program
// never reaches the kernel.
const errCaught = unix.ECANCELED

// Init enters the export mode when this process is Export's child, and
// then never returns; otherwise it returns at once. Both filters of the
// child cover its calling thread only: the one that notifies, and runc's,
// whose load it catches.
func Init() { reexec.Child{Arg0: childArg0, Env: childEnv}.Enter(childMain) }

func childMain(fd int) int {
	err := childRun(fd)
	msg := strings.ReplaceAll(err.Error(), "\n", " ")
	_, _ = unix.Write(fd, []byte(msgError+msg+"\n"))
	return 125
}

// childRun puts the thread under the catching filter, hands its listener
// to the parent, and lets runc's code load the profile. The parent
// answers the load with errCaught, so childRun returns only errors.
func childRun(sock int) error {
	var p loader.Profile
	if err := reexec.ReadLine(sock, &p); err != nil {
		return fmt.Errorf("reading the profile: %w", err)
	}
	config, err := specconv.SetupSeccomp(p.Spec())
	if err != nil {
		return fmt.Errorf("converting the profile: %w", err)
	}
	if config == nil {
		return ErrNoFilter
	}
	// no_new_privs lets an unprivileged process load a filter; the
	// program does not depend on it.
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("setting no_new_privs: %w", err)
	}
	listener, err := loadCatcher()
	if err != nil {
		return err
	}
	if err := unix.Sendmsg(sock, []byte("listener\n"), unix.UnixRights(listener), nil, 0); err != nil {
		return fmt.Errorf("handing over the listener: %w", err)
	}
	unix.Close(listener)
	if _, err := seccomp.InitSeccomp(config); !errors.Is(err, errCaught) {
		return fmt.Errorf("loading the seccomp filter: the load was not caught (%v)", err)
	}
	return errors.New("the load was caught") // the parent has the program
}

// catcher is the filter the child loads first: seccomp(2) and
// prctl(PR_SET_SECCOMP, …) of the native architecture notify, everything
// else runs. runc loads with seccomp(2), or with prctl when it passes no
// flags.
func catcher() ([]unix.SockFilter, error) {
	audit, err := filter.AuditArch(syscalls.NativeArch())
	if err != nil {
		return nil, err
	}
	const (
		ldW  = unix.BPF_LD | unix.BPF_W | unix.BPF_ABS
		jeq  = unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K
		ret  = unix.BPF_RET | unix.BPF_K
		nr   = 0  // offsetof(struct seccomp_data, nr)
		arch = 4  // offsetof(struct seccomp_data, arch)
		arg0 = 16 // the low half of args[0] on a little-endian host
	)
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		return nil, errors.New("catching the load: a big-endian host is not supported")
	}
	return []unix.SockFilter{
		{Code: ldW, K: arch},
		{Code: jeq, K: audit, Jt: 0, Jf: 5},
		{Code: ldW, K: nr},
		{Code: jeq, K: unix.SYS_SECCOMP, Jt: 4, Jf: 0},
		{Code: jeq, K: unix.SYS_PRCTL, Jt: 0, Jf: 2},
		{Code: ldW, K: arg0},
		{Code: jeq, K: unix.PR_SET_SECCOMP, Jt: 1, Jf: 0},
		{Code: ret, K: unix.SECCOMP_RET_ALLOW},
		{Code: ret, K: unix.SECCOMP_RET_USER_NOTIF},
	}, nil
}

func loadCatcher() (int, error) {
	f, err := catcher()
	if err != nil {
		return -1, err
	}
	fprog := unix.SockFprog{Len: uint16(len(f)), Filter: &f[0]}
	fd, _, e := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, unix.SECCOMP_FILTER_FLAG_NEW_LISTENER, uintptr(unsafe.Pointer(&fprog)))
	runtime.KeepAlive(f)
	if e != 0 {
		return -1, fmt.Errorf("loading the filter that catches the load: %w", e)
	}
	return int(fd), nil
}

// Export returns the program runc loads for the profile on this host, as
// raw struct sock_filter bytes in host byte order.
//
// Flags (log, spec_allow, a notify listener) are not part of the program.
// With more than one architecture family (x86_64 and x86), runc orders the
// sections of its stub by Go map iteration, so two exports may list them
// in a different order: the verdicts are the same.
func Export(ctx context.Context, s *specs.LinuxSeccomp) ([]byte, error) {
	if s == nil || (s.DefaultAction == "" && len(s.Syscalls) == 0) {
		return nil, ErrNoFilter
	}
	// A notify rule needs no agent to be exported.
	if err := loader.Check(s); err != nil && !errors.Is(err, loader.ErrNotifyAgent) {
		return nil, err
	}
	// The child needs well under a second; a hang is a bug, not a wait.
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	msg, err := json.Marshal(loader.Wire(s))
	if err != nil {
		return nil, fmt.Errorf("encoding the profile: %w", err)
	}

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
	proc, err := os.StartProcess("/proc/self/exe", []string{childArg0}, &os.ProcAttr{
		Env:   []string{childEnv + "=3"},
		Files: []*os.File{devNull, devNull, devNull, childSock},
	})
	devNull.Close()
	childSock.Close()
	if err != nil {
		return nil, fmt.Errorf("starting the export child: %w", err)
	}
	defer func() {
		_ = proc.Kill()
		_, _ = proc.Wait()
	}()
	stop := context.AfterFunc(ctx, func() { _ = proc.Kill() })
	defer stop()

	if _, err := sock.Write(append(msg, '\n')); err != nil {
		return nil, failure(ctx, sock, nil, fmt.Errorf("sending the profile: %w", err))
	}
	r := bufio.NewReader(sock)
	listener, err := receiveListener(sock)
	if err != nil {
		return nil, failure(ctx, sock, r, err)
	}
	defer unix.Close(listener)
	if err := notify.CheckListener(listener); err != nil {
		return nil, failure(ctx, sock, r, err)
	}
	var prog []byte
	var readErr error
	err = notify.Serve(ctx, listener, func(n *notify.Notif) notify.Answer {
		if prog != nil || readErr != nil {
			return notify.Answer{Errno: errCaught} // caught already
		}
		ptr, ok := loadArg(n)
		if !ok {
			// libseccomp probing what the kernel supports: let it.
			return notify.Answer{Continue: true}
		}
		p, err := readProgram(int(n.Pid), ptr)
		switch {
		case !notify.IDValid(listener, n.ID):
			// The child died: what was read may be another process's.
		case err != nil:
			readErr = err
		default:
			prog = p
		}
		_ = proc.Kill() // the program is all we wanted
		return notify.Answer{Errno: errCaught}
	})
	switch {
	case prog != nil:
		return prog, nil
	case readErr != nil:
		return nil, failure(ctx, sock, r, fmt.Errorf("reading the program from the export child: %w", readErr))
	case err != nil:
		return nil, failure(ctx, sock, r, err)
	}
	return nil, failure(ctx, sock, r, errors.New("the export child ended without loading a filter"))
}

// loadArg returns the struct sock_fprog pointer of a call that loads a
// filter: seccomp(SECCOMP_SET_MODE_FILTER, flags, prog) or
// prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, prog). Any other call the
// catcher sends (libseccomp's probes of the kernel's features, which pass
// no program) runs as it is.
func loadArg(n *notify.Notif) (uint64, bool) {
	a := n.Data.Args
	switch n.Data.Nr {
	case unix.SYS_SECCOMP:
		return a[2], uint32(a[0]) == unix.SECCOMP_SET_MODE_FILTER && a[2] != 0
	case unix.SYS_PRCTL:
		return a[2], uint32(a[0]) == unix.PR_SET_SECCOMP && uint32(a[1]) == unix.SECCOMP_MODE_FILTER && a[2] != 0
	}
	return 0, false
}

// readProgram reads a struct sock_fprog and the instructions it points
// to from task pid's memory, and checks them as the kernel would.
func readProgram(pid int, addr uint64) ([]byte, error) {
	var fprog unix.SockFprog
	hdr := make([]byte, unsafe.Sizeof(fprog))
	if err := notify.ReadMemory(pid, addr, hdr); err != nil {
		return nil, fmt.Errorf("reading struct sock_fprog: %w", err)
	}
	n := binary.NativeEndian.Uint16(hdr)
	ptr := binary.NativeEndian.Uint64(hdr[unsafe.Offsetof(fprog.Filter):])
	if n == 0 || n > 4096 { // BPF_MAXINSNS
		return nil, fmt.Errorf("a program of %d instructions", n)
	}
	prog := make([]byte, int(n)*unix.SizeofSockFilter)
	if err := notify.ReadMemory(pid, ptr, prog); err != nil {
		return nil, fmt.Errorf("reading %d instructions: %w", n, err)
	}
	if _, err := filter.Decode(prog); err != nil {
		return nil, fmt.Errorf("checking the program: %w", err)
	}
	return prog, nil
}

// receiveListener takes the listener the child sends with its first line.
func receiveListener(sock *os.File) (int, error) {
	buf := make([]byte, 4096)
	oob := make([]byte, unix.CmsgSpace(4))
	n, oobn, _, _, err := unix.Recvmsg(int(sock.Fd()), buf, oob, unix.MSG_CMSG_CLOEXEC)
	if err != nil {
		return -1, fmt.Errorf("receiving the listener: %w", err)
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		// The child's own account of why it has no listener.
		if msg, ok := strings.CutPrefix(strings.TrimSuffix(string(buf[:n]), "\n"), msgError); ok {
			return -1, errors.New(msg)
		}
		return -1, fmt.Errorf("receiving the listener: %q came without it", buf[:n])
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		for _, fd := range fds {
			unix.Close(fd)
		}
		return -1, fmt.Errorf("receiving the listener: %q came without it", buf[:n])
	}
	return fds[0], nil
}

// failure prefers the child's own account of what went wrong, and the
// context's error when it was cancelled.
func failure(ctx context.Context, sock *os.File, r *bufio.Reader, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("exporting the program: %w", ctx.Err())
	}
	if r == nil {
		r = bufio.NewReader(sock)
	}
	_ = sock.SetReadDeadline(time.Now().Add(time.Second))
	for {
		line, rerr := r.ReadString('\n')
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
