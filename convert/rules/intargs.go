package rules

import (
	"fmt"
	"slices"
	"strings"
)

// The kernel reads many arguments as 32-bit ints while libseccomp compares
// all 64 bits: what follows finds those arguments, masks compares on them,
// and names compares that can never, or always, match as written.

// maskIntArgs rewrites equalities on 32-bit arguments as masked
// equalities, splitting a rule whose syscalls disagree about which
// arguments are 32-bit.
func maskIntArgs(p *Profile) []string {
	var notes []string
	var out []Rule
	for _, r := range p.Rules {
		for _, c := range r.When {
			if !maskable(c) && slices.ContainsFunc(r.Syscalls, func(n Name) bool { return Escapable(n.Name, r.Action, c) }) {
				notes = append(notes, fmt.Sprintf("%s: %q compares a 32-bit argument as 64 bits and cannot be masked (seccomp has no masked %s): garbage in the upper half gets past it", ruleNames(r), c.String(), opSyntax[c.Op]))
			}
		}
		// Group the syscalls by the conditions to mask for them.
		var keys []string
		groups := map[string][]Name{}
		for _, n := range r.Syscalls {
			key := ""
			for i, c := range r.When {
				if maskable(c) && IntArg(n.Name, c.Arg) {
					key += fmt.Sprintf("%d,", i)
				}
			}
			if _, ok := groups[key]; !ok {
				keys = append(keys, key)
			}
			groups[key] = append(groups[key], n)
		}
		for _, key := range keys {
			m := r
			m.Syscalls = groups[key]
			if key == "" {
				out = append(out, m)
				continue
			}
			m.When = slices.Clone(r.When)
			var changed []string
			for i, c := range m.When {
				if strings.Contains(","+key, fmt.Sprintf(",%d,", i)) {
					m.When[i] = lowerHalf(c)
					changed = append(changed, fmt.Sprintf("%q became %q", c.String(), m.When[i].String()))
				}
			}
			notes = append(notes, fmt.Sprintf("%s: %s: the kernel reads the argument as 32 bits and ignores the upper half that the filter compares", ruleNames(m), strings.Join(changed, ", ")))
			out = append(out, m)
		}
	}
	p.Rules = out
	return notes
}

// maskable: an equality whose value a 32-bit argument can hold, as
// itself or sign-extended (-1 is 0xffffffffffffffff), or a masked
// equality whose mask reaches into the upper half.
func maskable(c Cond) bool {
	switch c.Op {
	case OpEQ:
		return c.Value <= 0xffffffff || c.Value >= 0xffffffff80000000
	case OpMaskedEQ:
		return c.Mask>>32 != 0 && (c.Value>>32 == 0 || c.Value>>32 == c.Mask>>32)
	}
	return false
}

// lowerHalf returns a condition on a 32-bit argument as the kernel reads
// it: an equality or masked equality on the lower 32 bits only.
func lowerHalf(c Cond) Cond {
	mask := uint64(0xffffffff)
	if c.Op == OpMaskedEQ {
		mask &= c.Mask
	}
	return Cond{Arg: c.Arg, Op: OpMaskedEQ, Mask: mask, Value: c.Value & mask, Pos: c.Pos}
}

// escapable reports whether garbage in the upper half of a 32-bit
// argument gets a call past the condition: a denial that must match
// (==, <, <=, a mask with upper bits) stops matching, an allowance that
// must match (!=, >, >=) starts matching.
func escapable(a Action, c Cond) bool {
	if a.IsDeny() {
		switch c.Op {
		case OpEQ, OpLT, OpLE:
			return true
		case OpMaskedEQ:
			return c.Mask>>32 != 0
		}
		return false
	}
	switch c.Op {
	case OpNE, OpGT, OpGE:
		return true
	}
	return false
}

// Constant32 reports whether a condition on an argument the kernel reads
// as 32 bits gives the same answer for every value a caller passing such
// an int produces (0 to 0xffffffff: libseccomp compares all 64 bits), and
// which answer: "arg0 > -1" never holds (-1 is 0xffffffffffffffff),
// "arg0 != -1" always does, and so do "arg0 >= 0" and "arg0 <= 0xffffffff"
// for every value at all. It is false for an argument that is not 32-bit.
func Constant32(name string, c Cond) (holds, constant bool) {
	if !IntArg(name, c.Arg) {
		return false, false
	}
	return constant32(c)
}

func constant32(c Cond) (holds, constant bool) {
	const top = 0xffffffff // the largest value a 32-bit argument carries
	v := c.Value
	switch c.Op {
	case OpEQ:
		return false, v > top
	case OpNE:
		return true, v > top
	case OpGT:
		return false, v >= top
	case OpGE:
		if v == 0 {
			return true, true
		}
		return false, v > top
	case OpLT:
		if v == 0 {
			return false, true
		}
		return true, v > top
	case OpLE:
		return true, v >= top
	case OpMaskedEQ:
		if (v&c.Mask)>>32 != 0 {
			return false, true
		}
		if c.Mask&top == 0 {
			return v&c.Mask == 0, true
		}
	}
	return false, false
}

// ConstantReason says what a condition Constant32 found constant does to
// its rule, for a note: the rule never applies, or applies to every call.
func ConstantReason(c Cond, holds bool) string {
	if holds {
		return fmt.Sprintf("%q always holds for an argument the kernel reads as 32 bits (a caller passes 0 to 0xffffffff), so the condition lets every call through to the rule's action", c.String())
	}
	return fmt.Sprintf("%q never holds for an argument the kernel reads as 32 bits (a caller passes 0 to 0xffffffff; libseccomp compares all 64), so the rule never applies", c.String())
}

// Escapable reports whether a condition on a syscall argument can be
// slipped past with garbage in the upper half of an argument the kernel
// reads as 32 bits, for a rule with the given action.
func Escapable(name string, a Action, c Cond) bool {
	return IntArg(name, c.Arg) && escapable(a, c)
}

// LowerHalf returns the masked form of an equality on a 32-bit argument,
// and whether there is one: "arg0 == AF_INET" becomes
// "arg0 & 0xffffffff == AF_INET". Seccomp has no masked <, <=, > or >=.
func LowerHalf(c Cond) (Cond, bool) {
	if !maskable(c) {
		return c, false
	}
	return lowerHalf(c), true
}

// intArgs lists, per syscall, the arguments the kernel declares as 32-bit
// (int, unsigned int, pid_t, uid_t, umode_t …; from the SYSCALL_DEFINE
// prototypes of Linux 6.x) among the syscalls profiles filter by
// argument. A 64-bit filter sees the whole register; the kernel only its
// lower half.
var intArgs = map[string][]uint{
	"accept4": {0, 3}, "bind": {0, 2}, "bpf": {0, 2}, "chmod": {1}, "chown": {1, 2},
	"close": {0}, "connect": {0, 2}, "creat": {1}, "dup": {0}, "dup2": {0, 1}, "dup3": {0, 1, 2},
	"epoll_ctl": {0, 1, 2}, "eventfd2": {0, 1}, "execveat": {0, 4}, "exit": {0}, "exit_group": {0},
	"faccessat": {0, 2}, "faccessat2": {0, 2, 3}, "fanotify_init": {0, 1}, "fchmod": {0, 1},
	"fchmodat": {0, 2}, "fchown": {0, 1, 2}, "fchownat": {0, 2, 3, 4}, "fcntl": {0, 1}, "flock": {0, 1},
	"getrandom": {2}, "getsockopt": {0, 1, 2}, "inotify_add_watch": {0, 2}, "io_uring_enter": {0, 1, 2, 3},
	"io_uring_register": {0, 1, 3}, "io_uring_setup": {0}, "ioctl": {0, 1}, "ioprio_set": {0, 1, 2},
	"keyctl": {0}, "kill": {0, 1}, "lchown": {1, 2}, "linkat": {0, 2, 4}, "listen": {0, 1}, "madvise": {2},
	"memfd_create": {1}, "mkdirat": {0, 2}, "mknod": {1, 2}, "mknodat": {0, 2, 3}, "newfstatat": {0, 3},
	"open": {1, 2}, "openat": {0, 2, 3}, "perf_event_open": {1, 2, 3}, "personality": {0},
	"pidfd_getfd": {0, 1, 2}, "pidfd_open": {0, 1}, "pipe2": {1}, "prctl": {0}, "process_vm_readv": {0},
	"process_vm_writev": {0}, "quotactl": {0}, "read": {0}, "reboot": {0, 1, 2}, "recvfrom": {0, 3},
	"recvmsg": {0, 2}, "renameat2": {0, 2, 4}, "rt_sigaction": {0}, "rt_sigprocmask": {0},
	"sched_setscheduler": {0, 1}, "seccomp": {0, 1}, "sendmsg": {0, 2}, "sendto": {0, 3, 5},
	"setfsgid": {0}, "setfsuid": {0}, "setgid": {0}, "setns": {0, 1}, "setpriority": {0, 1, 2},
	"setregid": {0, 1}, "setresgid": {0, 1, 2}, "setresuid": {0, 1, 2}, "setreuid": {0, 1},
	"setsockopt": {0, 1, 2, 4}, "setuid": {0}, "signalfd4": {0, 3}, "socket": {0, 1, 2},
	"socketpair": {0, 1, 2}, "statx": {0, 2, 3}, "syslog": {0, 2}, "tgkill": {0, 1, 2},
	"timerfd_create": {0, 1}, "tkill": {0, 1}, "umask": {0}, "umount2": {1}, "unlinkat": {0, 2},
	"wait4": {0, 2}, "waitid": {0, 1, 3}, "write": {0},
}

// IntArg reports whether the kernel reads the syscall's argument as 32
// bits, so that a 64-bit comparison of it needs a 0xffffffff mask.
func IntArg(name string, arg uint) bool {
	return slices.Contains(intArgs[name], arg)
}

// typeArgs are arguments that carry a value in their low bits and flags
// above it, per syscall: the argument's index and the bits the kernel
// reads as the value. socket and socketpair take the type in the bits of
// SOCK_TYPE_MASK (0xf), with SOCK_NONBLOCK and SOCK_CLOEXEC beside it, so
// "arg1 == SOCK_RAW" misses SOCK_RAW | SOCK_NONBLOCK, the same socket.
var typeArgs = map[string]struct {
	Arg  uint
	Mask uint64
}{
	"socket":     {1, 0xf},
	"socketpair": {1, 0xf},
}

// FlagEscapable reports whether a denial's condition on an argument of
// typeArgs compares flag bits too, so that a caller slips past it by
// setting a flag, and returns the condition on the value's bits alone.
func FlagEscapable(name string, a Action, c Cond) (Cond, bool) {
	t, ok := typeArgs[name]
	if !ok || c.Arg != t.Arg || !a.IsDeny() {
		return c, false
	}
	switch c.Op {
	case OpEQ:
		if c.Value&^t.Mask != 0 {
			return c, false
		}
		return Cond{Arg: c.Arg, Op: OpMaskedEQ, Mask: t.Mask, Value: c.Value}, true
	case OpMaskedEQ:
		if c.Mask&^t.Mask == 0 || c.Value&^t.Mask != 0 || c.Mask&t.Mask != t.Mask {
			return c, false
		}
		return Cond{Arg: c.Arg, Op: OpMaskedEQ, Mask: t.Mask, Value: c.Value}, true
	}
	return c, false
}

// maskTypeArgs rewrites a denial's equality on a type argument as one on
// the type's bits alone (see typeArgs).
func maskTypeArgs(p *Profile) []string {
	var notes []string
	var out []Rule
	for _, r := range p.Rules {
		var typed, rest []Name
		for _, n := range r.Syscalls {
			if slices.ContainsFunc(r.When, func(c Cond) bool { _, ok := FlagEscapable(n.Name, r.Action, c); return ok }) {
				typed = append(typed, n)
			} else {
				rest = append(rest, n)
			}
		}
		if len(typed) == 0 {
			out = append(out, r)
			continue
		}
		if len(rest) > 0 {
			o := r
			o.Syscalls = rest
			out = append(out, o)
		}
		m := r
		m.Syscalls = typed
		m.When = slices.Clone(r.When)
		var changed []string
		for i, c := range m.When {
			if tc, ok := FlagEscapable(typed[0].Name, r.Action, c); ok {
				m.When[i] = tc
				changed = append(changed, fmt.Sprintf("%q became %q", c.String(), tc.String()))
			}
		}
		notes = append(notes, fmt.Sprintf("%s: %s: the type is the argument's low bits, and SOCK_NONBLOCK or SOCK_CLOEXEC beside it would slip past the comparison", ruleNames(m), strings.Join(changed, ", ")))
		out = append(out, m)
	}
	p.Rules = out
	return notes
}
