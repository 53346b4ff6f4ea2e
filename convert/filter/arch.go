package filter

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"sync"

	"github.com/oci-sbx/oci-sbx/convert/syscalls"
	"github.com/oci-sbx/oci-sbx/internal/suggest"
)

// auditArches maps libseccomp architecture names to the AUDIT_ARCH_*
// values the kernel puts in seccomp_data (linux/audit.h). x32 shares
// x86_64's value: its syscall numbers carry bit 30 instead.
var auditArches = map[string]uint32{
	"aarch64":     0xc00000b7,
	"arm":         0x40000028,
	"mips":        0x00000008,
	"mips64":      0x80000008,
	"mips64n32":   0xa0000008,
	"mipsel":      0x40000008,
	"mipsel64":    0xc0000008,
	"mipsel64n32": 0xe0000008,
	"parisc":      0x0000000f,
	"parisc64":    0x8000000f,
	"ppc":         0x00000014,
	"ppc64":       0x80000015,
	"ppc64le":     0xc0000015,
	"riscv64":     0xc00000f3,
	"s390":        0x00000016,
	"s390x":       0x80000016,
	"x32":         0xc000003e,
	"x86":         0x40000003,
	"x86_64":      0xc000003e,
}

// X32SyscallBit is the bit x32 syscall numbers carry on x86_64
// (__X32_SYSCALL_BIT).
const X32SyscallBit = 0x40000000

// nrBases are the first syscall numbers of the ABIs whose numbering does
// not start at 0.
var nrBases = map[string]uint32{
	"x32":         X32SyscallBit,
	"mips":        4000,
	"mipsel":      4000,
	"mips64":      5000,
	"mipsel64":    5000,
	"mips64n32":   6000,
	"mipsel64n32": 6000,
}

// NumberRange is how many syscall numbers above an ABI's base Cases and
// Compare try: every Linux ABI numbers its syscalls below it, except for
// arm's few private calls from 0xf0001.
const NumberRange = 1024

// AuditArch returns the AUDIT_ARCH_* value of a libseccomp architecture
// name, as seccomp_data.arch carries it.
func AuditArch(arch string) (uint32, error) {
	if v, ok := auditArches[arch]; ok {
		return v, nil
	}
	if _, err := syscalls.ArchSpec(arch); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("no AUDIT_ARCH value known for %q", arch)
}

// NumberBase returns the first syscall number of an architecture's ABI:
// 0 for most, 4000 for MIPS o32, 0x40000000 for x32.
func NumberBase(arch string) uint32 {
	return nrBases[arch]
}

// syscallNames maps, per architecture, syscall numbers to names.
var syscallNames = sync.OnceValue(func() map[string]map[uint32]string {
	out := map[string]map[uint32]string{}
	names := syscalls.AllSyscalls()
	for _, arch := range syscalls.Arches() {
		m := map[uint32]string{}
		for _, name := range names {
			if nr, ok := syscalls.SyscallNumber(arch, name); ok {
				m[uint32(nr)] = name
			}
		}
		out[arch] = m
	}
	return out
})

// SyscallName returns the name of a syscall number on an architecture, or
// "" when no syscall has it.
func SyscallName(arch string, nr uint32) string {
	return syscallNames()[arch][nr]
}

// Syscall returns the number of a syscall on an architecture, as
// seccomp_data.nr carries it.
func Syscall(arch, name string) (uint32, error) {
	if nr, ok := syscalls.SyscallNumber(arch, name); ok {
		return uint32(nr), nil
	}
	if via := syscalls.SyscallMultiplexer(arch, name); via != "" {
		return 0, fmt.Errorf("%s has no syscall number of its own on %s: it is made through %s", name, arch, via)
	}
	if syscalls.IsSyscall(name) {
		return 0, fmt.Errorf("%s is not a syscall on %s (it is on %s)", name, arch, listOrNone(syscalls.SyscallArches(name)))
	}
	return 0, suggest.UnknownName("syscall", name, syscalls.AllSyscalls())
}

// ParseSyscall reads a syscall name or number for an architecture. A
// number below bit 30 given for x32 gets the bit, as every x32 number
// carries it.
func ParseSyscall(arch, s string) (uint32, error) {
	if s == "" {
		return 0, fmt.Errorf("empty syscall")
	}
	if c := s[0]; c >= '0' && c <= '9' || c == '-' {
		v, err := strconv.ParseInt(s, 0, 64)
		if err != nil || v < -1<<31 || v > 1<<32-1 {
			return 0, fmt.Errorf("syscall number %q is not a 32-bit number", s)
		}
		nr := uint32(v)
		if arch == "x32" && nr < X32SyscallBit {
			nr |= X32SyscallBit
		}
		return nr, nil
	}
	return Syscall(arch, s)
}

func listOrNone(s []string) string {
	if len(s) == 0 {
		return "no architecture libseccomp knows"
	}
	return fmt.Sprint(s)
}

// maxSyscall returns the highest syscall number an architecture has.
func maxSyscall(arch string) uint32 {
	var hi uint32
	for nr := range syscallNames()[arch] {
		hi = max(hi, nr)
	}
	return hi
}

// Numbers returns the syscall numbers worth trying on an architecture:
// every number from its base to NumberRange above it, every syscall it
// has beyond that and the number after it, the numbers just past the
// highest syscall, and the edges of the 32-bit range
// (bit 30 set, the sign bit, -1), in ascending order. For x86_64 the
// numbers with bit 30 set are left to x32.
func Numbers(arch string) []uint32 {
	base := NumberBase(arch)
	nrs := make([]uint32, 0, NumberRange+8)
	for n := range uint32(NumberRange) {
		nrs = append(nrs, base+n)
	}
	hi := maxSyscall(arch)
	extra := []uint32{hi + 1, hi + 2, X32SyscallBit - 1, X32SyscallBit, 0x7fffffff, 0x80000000, 0xffffffff}
	if base > 0 {
		extra = append(extra, base-1)
	}
	for nr := range syscallNames()[arch] {
		if nr >= base+NumberRange {
			extra = append(extra, nr, nr+1) // arm's private calls from 0xf0001
		}
	}
	for _, n := range extra {
		if arch == "x86_64" && n&X32SyscallBit != 0 {
			continue // the kernel takes these as x32 calls: Numbers("x32") has them
		}
		if !slices.Contains(nrs, n) {
			nrs = append(nrs, n)
		}
	}
	sort.Slice(nrs, func(i, j int) bool { return nrs[i] < nrs[j] })
	return nrs
}
