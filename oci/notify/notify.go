package notify

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Data is the kernel's struct seccomp_data: the call as the filter saw it.
type Data struct {
	Nr                 int32
	Arch               uint32 // AUDIT_ARCH_*
	InstructionPointer uint64
	Args               [6]uint64
}

// Notif is struct seccomp_notif: one call waiting for an answer. Pid is
// the calling thread, in the pid namespace of the task that received it.
type Notif struct {
	ID    uint64
	Pid   uint32
	Flags uint32
	Data  Data
}

// Resp is struct seccomp_notif_resp. Error is a negative errno.
type Resp struct {
	ID    uint64
	Val   int64
	Error int32
	Flags uint32
}

// The ABI is fixed; the ioctl numbers encode these sizes.
var (
	_ [80 - unsafe.Sizeof(Notif{})]byte
	_ [unsafe.Sizeof(Notif{}) - 80]byte
	_ [24 - unsafe.Sizeof(Resp{})]byte
	_ [unsafe.Sizeof(Resp{}) - 24]byte
)

// ioctlIDValid is SECCOMP_IOCTL_NOTIF_ID_VALID, _IOW('!', 2, __u64).
// (Linux 5.0–5.16 defined it as _IOR; later kernels accept both, and the
// _IOW form is the one every kernel since 5.17 documents.)
const ioctlIDValid = 0x40082102

// FlagContinue (SECCOMP_USER_NOTIF_FLAG_CONTINUE) lets the call run. It
// decides nothing: the arguments a task passes by pointer can change
// between the check and the call. Only an Answer that asks for it
// (observing, never a policy) sets it.
const FlagContinue = 1

func ioctl(fd int, req uintptr, arg unsafe.Pointer) error {
	for {
		_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), req, uintptr(arg))
		if e == unix.EINTR {
			continue
		}
		if e != 0 {
			return e
		}
		return nil
	}
}

// Recv receives the next notification, blocking until there is one. It
// fails with ENOENT when the calling task died before it could be
// received; the listener is still good.
func Recv(fd int) (*Notif, error) {
	var n Notif // the kernel insists on a zeroed buffer
	if err := ioctl(fd, unix.SECCOMP_IOCTL_NOTIF_RECV, unsafe.Pointer(&n)); err != nil {
		return nil, &os.SyscallError{Syscall: "ioctl(SECCOMP_IOCTL_NOTIF_RECV)", Err: err}
	}
	return &n, nil
}

// IDValid reports whether the notification id is still waiting: its task
// has not died, so a pid read before the check named that task.
func IDValid(fd int, id uint64) bool {
	return ioctl(fd, ioctlIDValid, unsafe.Pointer(&id)) == nil
}

// ReadMemory reads len(b) bytes at addr of task pid's memory, through
// /proc/PID/mem: what a process may do to a task it could trace, such as
// its own child, or any task as root. The caller must check afterwards
// that the notification is still valid (IDValid), or the pid may name
// another task by then.
func ReadMemory(pid int, addr uint64, b []byte) error {
	mem, err := os.Open("/proc/" + strconv.Itoa(pid) + "/mem")
	if err != nil {
		return err
	}
	defer mem.Close()
	n, err := mem.ReadAt(b, int64(addr))
	if n == len(b) {
		return nil
	}
	if err == nil {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("reading %d bytes at %#x of pid %d: %w", len(b), addr, pid, err)
}

// ErrNotListener is returned by CheckListener for any other descriptor.
var ErrNotListener = errors.New("not a seccomp notify descriptor")

// CheckListener makes sure fd is a seccomp notify listener before anyone
// blocks on it: what a peer sends over a socket can be any descriptor.
func CheckListener(fd int) error {
	link, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
	if err != nil {
		return fmt.Errorf("checking descriptor %d: %w", fd, err)
	}
	if link != "anon_inode:seccomp notify" {
		return fmt.Errorf("checking descriptor %d (%s): %w", fd, link, ErrNotListener)
	}
	return nil
}

// CopyListener copies descriptor n of process pid into this process with
// pidfd_getfd (which needs ptrace access to pid: a child of this process,
// or root) and makes sure the copy is a seccomp listener. That is how a
// listener is taken from a process whose filter would notify sendmsg:
// the process only names the number. The copy is close-on-exec.
func CopyListener(pid, n int) (int, error) {
	pidfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return -1, fmt.Errorf("pidfd_open(%d): %w", pid, err)
	}
	defer unix.Close(pidfd)
	fd, err := unix.PidfdGetfd(pidfd, n, 0)
	if err != nil {
		return -1, fmt.Errorf("pidfd_getfd(%d, %d): %w", pid, n, err)
	}
	unix.CloseOnExec(fd)
	if err := CheckListener(fd); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}
