package main

import "golang.org/x/sys/unix"

// int80 makes an i386 system call from this 64-bit program.
func int80(nr, a1, a2, a3 uintptr) uintptr

// otherABIs makes one call through each other ABI an x86_64 kernel
// takes: i386 through int 0x80, and x32 through bit 30 of the number
// (a kernel built without x32 fails it with ENOSYS, after seccomp).
func otherABIs() {
	int80(i386Ioctl, 0xffffffff, i386Marker, 0)
	unix.Syscall(x32Getpid, 0, 0, 0)
}
