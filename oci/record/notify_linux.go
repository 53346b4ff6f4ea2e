package record

import (
	"os"
	"strconv"
	"unsafe"

	"golang.org/x/sys/unix"
)

// notif is struct seccomp_notif; resp is struct seccomp_notif_resp.
type notif struct {
	id    uint64
	pid   uint32
	flags uint32
	nr    int32
	arch  uint32
	ip    uint64
	args  [6]uint64
}

type resp struct {
	id    uint64
	val   int64
	error int32
	flags uint32
}

var (
	_ [80 - unsafe.Sizeof(notif{})]byte
	_ [unsafe.Sizeof(notif{}) - 80]byte
	_ [24 - unsafe.Sizeof(resp{})]byte
	_ [unsafe.Sizeof(resp{}) - 24]byte
)

const flagContinue = 1 // SECCOMP_USER_NOTIF_FLAG_CONTINUE

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

// recv receives one notification. ENOENT means its task died first.
func recv(fd int, n *notif) error {
	*n = notif{} // the kernel insists on a zeroed buffer
	return ioctl(fd, unix.SECCOMP_IOCTL_NOTIF_RECV, unsafe.Pointer(n))
}

// proceed lets the notified call run. ENOENT means its task died
// meanwhile (a fatal signal): the normal end of that notification.
func proceed(fd int, id uint64) error {
	r := resp{id: id, flags: flagContinue}
	err := ioctl(fd, unix.SECCOMP_IOCTL_NOTIF_SEND, unsafe.Pointer(&r))
	if err == unix.ENOENT {
		return nil
	}
	return err
}

// idValid reports whether a notification still waits: its task has not
// died, so what was read about its pid was about that task.
func idValid(fd int, id uint64) bool {
	const ioctlIDValid = 0x40082102 // SECCOMP_IOCTL_NOTIF_ID_VALID, _IOW('!', 2, __u64)
	return ioctl(fd, ioctlIDValid, unsafe.Pointer(&id)) == nil
}

// isListener reports whether fd is a seccomp notify listener.
func isListener(fd int) bool {
	link, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
	return err == nil && link == "anon_inode:seccomp notify"
}
