package notify

import (
	"strconv"
	"sync"

	"github.com/oci-sbx/oci-sbx/convert/filter"
	"github.com/oci-sbx/oci-sbx/convert/syscalls"
)

// archByAudit maps the AUDIT_ARCH_* value of a notification to the
// architecture names of convert/rules, from the table of convert/filter.
// x32 shares x86_64's value; its calls carry bit 30 in the number.
var archByAudit = sync.OnceValue(func() map[uint32]string {
	m := map[uint32]string{}
	for _, arch := range syscalls.Arches() {
		if v, err := filter.AuditArch(arch); err == nil && arch != "x32" {
			m[v] = arch
		}
	}
	return m
})

// ArchName returns the architecture of a notification's call in the names
// of convert/rules (x86_64, x32, x86, aarch64, …), or the AUDIT_ARCH value
// in hex when it is not one of them.
func (d *Data) ArchName() string {
	arch, ok := archByAudit()[d.Arch]
	if !ok {
		return "audit-arch-0x" + strconv.FormatUint(uint64(d.Arch), 16)
	}
	if arch == "x86_64" && uint32(d.Nr)&filter.X32SyscallBit != 0 {
		return "x32"
	}
	return arch
}

// SyscallName returns the name of the call, or "syscall_N" for a number
// the table does not know on that architecture.
func (d *Data) SyscallName() string {
	if name := filter.SyscallName(d.ArchName(), uint32(d.Nr)); name != "" {
		return name
	}
	return "syscall_" + strconv.Itoa(int(d.Nr))
}
