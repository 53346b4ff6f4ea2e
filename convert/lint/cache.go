package lint

import (
	"fmt"

	"github.com/oci-sbx/oci-sbx/convert/rules"
)

// The kernel's seccomp action cache (Linux 5.11): when the filter allows
// a syscall of an architecture whatever the arguments — its path reads
// only the number and the architecture, and returns SECCOMP_RET_ALLOW —
// the kernel answers later calls from a bitmap without running the
// filter. runc's programs keep every unconditional allow on that path
// (measured with libseccomp 2.5.4 and runc 1.5.3: oci/sandbox
// TestAllowedSyscallsCached); what follows cannot take it.

// cache reports the allowed syscalls that run the filter on every call.
func (c *checker) cache() {
	var checked, logged []string
	for _, n := range c.d.Names() {
		cases := c.d.Cases(n)
		if len(cases) == 1 && len(cases[0].When) == 0 {
			if cases[0].Action.Kind == rules.Log {
				logged = append(logged, n)
			}
			continue
		}
		// Conditional: the default answers when the conditions fail.
		allows := !c.d.Default.IsDeny()
		for _, cs := range cases {
			allows = allows || !cs.Action.IsDeny()
		}
		if allows {
			checked = append(checked, n)
		}
	}
	if len(checked) > 0 {
		c.add(Finding{ID: "not-cached", Severity: Info, Syscalls: checked, anchor: checked[0],
			Reason: fmt.Sprintf("the kernel skips the filter for a syscall it allows whatever the arguments (its action cache, Linux 5.11); the filter reads the arguments of %s, so every call of %s runs the filter, allowed or not", and(checked), pluralThem(checked)),
			Fix:    "nothing, where the check is the point; on a syscall a program makes often (read, write, futex, mmap) check something it makes rarely instead"})
	}
	if len(logged) > 0 {
		c.add(Finding{ID: "not-cached", Severity: Info, Syscalls: logged, anchor: logged[0],
			Reason: fmt.Sprintf("%s %s allowed with log: the kernel's action cache keeps only allow, so every call runs the filter and writes an audit record", and(logged), isAre(logged)),
			Fix:    "allow them once the profile is settled"})
	}
	if c.d.Default.Kind == rules.Log {
		c.add(Finding{ID: "not-cached", Severity: Info,
			Reason: "the default action is log: the kernel's action cache keeps only allow, so every call of a syscall no rule allows runs the filter and writes an audit record",
			Fix:    "allow what the program needs and deny the rest, once the profile is settled"})
	}
}

func pluralThem(list []string) string {
	if len(list) == 1 {
		return "it"
	}
	return "them"
}
