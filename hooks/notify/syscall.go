package notify

import (
	"strconv"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/oci-sbx/oci-sbx/convert/rules"
)

// auditArches maps the AUDIT_ARCH_* value of a notification to the
// architecture names of convert/rules. x32 shares x86_64's value; its
// calls carry bit 30 in the number.
var auditArches = map[uint32]string{
	unix.AUDIT_ARCH_X86_64:      "x86_64",
	unix.AUDIT_ARCH_I386:        "x86",
	unix.AUDIT_ARCH_AARCH64:     "aarch64",
	unix.AUDIT_ARCH_ARM:         "arm",
	unix.AUDIT_ARCH_RISCV64:     "riscv64",
	unix.AUDIT_ARCH_S390:        "s390",
	unix.AUDIT_ARCH_S390X:       "s390x",
	unix.AUDIT_ARCH_PPC:         "ppc",
	unix.AUDIT_ARCH_PPC64:       "ppc64",
	unix.AUDIT_ARCH_PPC64LE:     "ppc64le",
	unix.AUDIT_ARCH_MIPS:        "mips",
	unix.AUDIT_ARCH_MIPSEL:      "mipsel",
	unix.AUDIT_ARCH_MIPS64:      "mips64",
	unix.AUDIT_ARCH_MIPSEL64:    "mipsel64",
	unix.AUDIT_ARCH_MIPS64N32:   "mips64n32",
	unix.AUDIT_ARCH_MIPSEL64N32: "mipsel64n32",
	unix.AUDIT_ARCH_PARISC:      "parisc",
	unix.AUDIT_ARCH_PARISC64:    "parisc64",
}

const x32Bit = 0x40000000

// byNumber inverts the syscall table of convert/rules, once.
var byNumber = sync.OnceValue(func() map[string]map[int]string {
	m := map[string]map[int]string{}
	names := rules.AllSyscalls()
	for _, arch := range rules.Arches() {
		t := map[int]string{}
		for _, name := range names {
			if nr, ok := rules.SyscallNumber(arch, name); ok {
				t[nr] = name
			}
		}
		m[arch] = t
	}
	return m
})

// ArchName returns the architecture of a notification's call in the names of
// convert/rules (x86_64, x32, x86, aarch64, …), or the AUDIT_ARCH value in
// hex when it is not one of them.
func (d *Data) ArchName() string {
	arch, ok := auditArches[d.Arch]
	if !ok {
		return "audit-arch-0x" + strconv.FormatUint(uint64(d.Arch), 16)
	}
	if arch == "x86_64" && d.Nr&x32Bit != 0 {
		return "x32"
	}
	return arch
}

// SyscallName returns the name of the call, or "syscall_N" for a number
// the table does not know on that architecture.
func (d *Data) SyscallName() string {
	if name, ok := byNumber()[d.ArchName()][int(d.Nr)]; ok {
		return name
	}
	return "syscall_" + strconv.Itoa(int(d.Nr))
}
