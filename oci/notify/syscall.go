package notify

import (
	"strconv"
	"sync"

	"github.com/oci-sbx/oci-sbx/convert/filter"
	"github.com/oci-sbx/oci-sbx/convert/syscalls"
)

// AuditArches maps each AUDIT_ARCH_* value to the architectures (names
// of convert/rules) that share it: x32 shares x86_64's, its calls carry
// bit 30 in the number.
var AuditArches = sync.OnceValue(func() map[uint32][]string {
	m := map[uint32][]string{}
	for _, a := range syscalls.Arches() {
		if v, err := filter.AuditArch(a); err == nil {
			m[v] = append(m[v], a)
		}
	}
	return m
})

// ArchOf names the ABI of a call from what seccomp_data carries: the
// AUDIT_ARCH_* value and, where two ABIs share it (x86_64 and x32), the
// number's base. ok is false for an architecture libseccomp does not know.
func ArchOf(audit, nr uint32) (arch string, ok bool) {
	var best string
	for _, a := range AuditArches()[audit] {
		if filter.NumberBase(a) <= nr && (best == "" || filter.NumberBase(a) > filter.NumberBase(best)) {
			best = a
		}
	}
	return best, best != ""
}

// ArchName returns the architecture of a notification's call in the names
// of convert/rules (x86_64, x32, x86, aarch64, …), or the AUDIT_ARCH value
// in hex when it is not one of them.
func (d *Data) ArchName() string {
	if arch, ok := ArchOf(d.Arch, uint32(d.Nr)); ok {
		return arch
	}
	return "audit-arch-0x" + strconv.FormatUint(uint64(d.Arch), 16)
}

// SyscallName returns the name of the call, or "syscall_N" for a number
// the table does not know on that architecture.
func (d *Data) SyscallName() string {
	if name := filter.SyscallName(d.ArchName(), uint32(d.Nr)); name != "" {
		return name
	}
	return "syscall_" + strconv.Itoa(int(d.Nr))
}
