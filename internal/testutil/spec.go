package testutil

import (
	"fmt"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Rules prints a profile's rules one a line, "[names]:ACTION(errno) args",
// for a test to compare with cmp.Diff.
func Rules(s *specs.LinuxSeccomp) []string {
	var out []string
	for _, r := range s.Syscalls {
		line := fmt.Sprintf("%v:%s", r.Names, r.Action)
		if r.ErrnoRet != nil {
			line += fmt.Sprintf("(%d)", *r.ErrnoRet)
		}
		if len(r.Args) > 0 {
			line += fmt.Sprintf(" %v", r.Args)
		}
		out = append(out, line)
	}
	return out
}

// Errno is e as a rule's errnoRet.
func Errno(e unix.Errno) *uint { v := uint(e); return &v }

// Deny is a profile that allows everything but names, which fail with
// errno.
func Deny(errno unix.Errno, names ...string) *specs.LinuxSeccomp {
	return &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Flags:         []specs.LinuxSeccompFlag{},
		Syscalls:      []specs.LinuxSyscall{{Names: names, Action: specs.ActErrno, ErrnoRet: Errno(errno)}},
	}
}
