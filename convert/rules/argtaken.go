package rules

import (
	"fmt"

	"github.com/oci-sbx/oci-sbx/convert/syscalls"
)

// CheckTaken refuses a condition on an argument the syscall does not take
// on one of the architectures (nil: the native one), by the kernel's own
// declaration of it (syscalls.ArgCount). seccomp hands the filter six
// registers whatever the call, so "getpid: arg0 == 0" compares a register
// the kernel never reads for getpid: the caller sets it as it likes, which
// makes a denial one it steps around and an allow one it meets at will.
// Nothing loads differently; the rule just cannot mean what it says.
func (c Cond) CheckTaken(name string, arches []string) error {
	if len(arches) == 0 {
		arches = []string{syscalls.NativeArch()}
	}
	for _, a := range arches {
		if !syscalls.HasSyscall(a, name) {
			continue
		}
		n, ok := syscalls.ArgCount(a, name)
		if !ok || int(c.Arg) < n {
			continue
		}
		takes := "no arguments"
		switch n {
		case 0:
		case 1:
			takes = "one argument (arg0)"
		default:
			takes = fmt.Sprintf("%d arguments (arg0 to arg%d)", n, n-1)
		}
		return fmt.Errorf("%s takes %s on %s, so %q compares a register the kernel does not read for it: the caller sets it as it likes, and the rule applies or not at its choice; drop the condition, or compare the argument meant",
			name, takes, a, c.String())
	}
	return nil
}

// CheckTaken checks the conditions of one rule against each of its
// syscalls, once a syscall: against the condition on the highest
// argument (a syscall that takes it takes every lower one), so the work
// grows with the names plus the conditions, never their product. It
// returns the condition at fault with the error.
func CheckTaken(names []string, conds []Cond, arches []string) (Cond, error) {
	if len(conds) == 0 {
		return Cond{}, nil
	}
	high := conds[0]
	for _, c := range conds[1:] {
		if c.Arg > high.Arg {
			high = c
		}
	}
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			continue
		}
		seen[n] = true
		if err := high.CheckTaken(n, arches); err != nil {
			return high, err
		}
	}
	return Cond{}, nil
}
