package main

import (
	"fmt"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// int80 makes an i386 system call from this 64-bit program.
func int80(nr, a1, a2, a3 uintptr) uintptr

// otherABIs makes one call through each other ABI an x86_64 kernel
// takes: i386 through int 0x80, and x32 through bit 30 of the number
// (a kernel built without x32 fails it with ENOSYS, after seccomp).
func otherABIs() {
	int80(i386Ioctl, 0xffffffff, i386Marker, 0)
	unix.Syscall(x32Getpid, 0, 0, 0)
}

// forkMarker starts a copy of this process through clone3 (args, of
// size bytes) that makes the marker ioctl and exits at once.
func forkMarker(args unsafe.Pointer, size, marker uintptr) (pid, errno uintptr)

// markerAsPid makes the marker ioctl from a new process whose pid is tid,
// which must be free (clone3's set_tid, which needs CAP_SYS_ADMIN).
func markerAsPid(tid int, marker uint32) error {
	// struct clone_args up to set_tid_size (CLONE_ARGS_SIZE_VER1).
	var args struct {
		flags, pidfd, childTid, parentTid, exitSignal, stack, stackSize, tls, setTid, setTidSize uint64
	}
	set := [1]int32{int32(tid)}
	args.exitSignal, args.setTid, args.setTidSize = uint64(unix.SIGCHLD), uint64(uintptr(unsafe.Pointer(&set[0]))), 1
	pid, errno := forkMarker(unsafe.Pointer(&args), unsafe.Sizeof(args), uintptr(marker))
	for deadline := time.Now().Add(2 * time.Second); errno == uintptr(unix.EEXIST) && time.Now().Before(deadline); {
		// Another process may hold the number a moment longer.
		time.Sleep(10 * time.Millisecond)
		pid, errno = forkMarker(unsafe.Pointer(&args), unsafe.Sizeof(args), uintptr(marker))
	}
	if errno != 0 {
		return fmt.Errorf("clone3 with pid %d: %w", tid, unix.Errno(errno))
	}
	var ws unix.WaitStatus
	if _, err := unix.Wait4(int(pid), &ws, 0, nil); err != nil {
		return err
	}
	if ws.ExitStatus() != 0 {
		return fmt.Errorf("the copy with pid %d: %v", tid, ws)
	}
	return nil
}
