package syscalls

import "slices"

type argCount struct{ n, wide uint8 }

// narrowABIs pass a 64-bit argument in two registers (and arm and mips
// o32 align the pair with a third): there a syscall may take more
// arguments than on a 64-bit ABI.
var narrowABIs = []string{"x86", "arm", "mips", "mipsel", "ppc", "s390", "parisc"}

// ArgCount returns how many arguments the syscall takes on the
// architecture at most (ok false: not known, as for a syscall the
// generated table's kernel does not have). On a 64-bit ABI it is what the
// kernel's SYSCALL_DEFINE declares; on a 32-bit one each argument 64 bits
// wide may take three registers. An argument index at or above it is a
// register the kernel never reads as an argument of that call: the caller
// sets it as it likes.
func ArgCount(arch, name string) (int, bool) {
	c, ok := argTable[name]
	if !ok {
		return 0, false
	}
	n := int(c.n)
	if slices.Contains(narrowABIs, arch) {
		n += 2 * int(c.wide)
	}
	return min(n, 6), true
}
