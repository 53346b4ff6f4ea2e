// Command calls makes each system call it is named with a NULL path, so
// that an allowed call fails with EFAULT and a call a seccomp filter
// denies fails with the filter's errno, and prints one line per call:
// "NAME ERRNO-NAME". The e2e tests read from it which profile a
// container runs under.
package main

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// calls take a path as their second argument (after a directory fd).
var calls = map[string]uintptr{
	"openat":    unix.SYS_OPENAT,
	"mkdirat":   unix.SYS_MKDIRAT,
	"unlinkat":  unix.SYS_UNLINKAT,
	"symlinkat": unix.SYS_SYMLINKAT,
	"linkat":    unix.SYS_LINKAT,
	"renameat2": unix.SYS_RENAMEAT2,
	"fchmodat":  unix.SYS_FCHMODAT,
	"fchownat":  unix.SYS_FCHOWNAT,
	"mknodat":   unix.SYS_MKNODAT,
	"faccessat": unix.SYS_FACCESSAT,
}

// atFDCWD is AT_FDCWD as a register holds it.
var atFDCWD = func() uintptr { fd := unix.AT_FDCWD; return uintptr(fd) }()

func main() {
	status := 0
	for _, name := range os.Args[1:] {
		nr, ok := calls[name]
		if !ok {
			fmt.Fprintf(os.Stderr, "calls: unknown call %q\n", name)
			status = 2
			continue
		}
		// symlinkat takes the path first; NULL fails it the same way.
		_, _, e := unix.Syscall6(nr, atFDCWD, 0, atFDCWD, 0, 0, 0)
		if name == "symlinkat" {
			_, _, e = unix.Syscall(nr, 0, atFDCWD, 0)
		}
		fmt.Printf("%s %s\n", name, unix.ErrnoName(e))
	}
	os.Exit(status)
}
