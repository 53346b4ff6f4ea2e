// Command calls makes each system call it is named with arguments that
// make an allowed call fail in the kernel (a NULL path, descriptor -1),
// so that a call a seccomp filter denies stands out by the filter's
// errno, and prints one line per call: "NAME ERRNO-NAME" ("NAME OK" when
// it succeeded). The e2e tests read from it which profile a container
// runs under. NAME@N passes N as a path call's first argument (its
// directory descriptor). "calls wait" sleeps until it is killed, for
// podman exec.
package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

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
	// Not path calls: connect(-1, NULL, 0) fails with EBADF, add_key
	// with a NULL type with EFAULT.
	"connect": unix.SYS_CONNECT,
	"add_key": unix.SYS_ADD_KEY,
}

// atFDCWD is AT_FDCWD as a register holds it.
var atFDCWD = func() uintptr { fd := unix.AT_FDCWD; return uintptr(fd) }()

func main() {
	if len(os.Args) == 2 && os.Args[1] == "wait" {
		time.Sleep(time.Hour)
		return
	}
	status := 0
	for _, arg := range os.Args[1:] {
		// NAME@N passes N as the first argument (a descriptor) instead of
		// AT_FDCWD, to probe a filter's conditions on it.
		name, fd, hasFD := strings.Cut(arg, "@")
		arg0 := atFDCWD
		if hasFD {
			n, err := strconv.ParseInt(fd, 0, 64)
			if err != nil {
				fmt.Fprintf(os.Stderr, "calls: %q: %v\n", arg, err)
				status = 2
				continue
			}
			arg0 = uintptr(n)
		}
		nr, ok := calls[name]
		if !ok {
			fmt.Fprintf(os.Stderr, "calls: unknown call %q\n", name)
			status = 2
			continue
		}
		// symlinkat takes the path first; NULL fails it the same way.
		_, _, e := unix.Syscall6(nr, arg0, 0, atFDCWD, 0, 0, 0)
		switch name {
		case "symlinkat":
			_, _, e = unix.Syscall(nr, 0, atFDCWD, 0)
		case "connect":
			_, _, e = unix.Syscall(nr, ^uintptr(0), 0, 0)
		case "add_key":
			_, _, e = unix.Syscall6(nr, 0, 0, 0, 0, 0, 0)
		}
		if e == 0 {
			fmt.Printf("%s OK\n", arg)
			continue
		}
		fmt.Printf("%s %s\n", arg, unix.ErrnoName(e))
	}
	os.Exit(status)
}
