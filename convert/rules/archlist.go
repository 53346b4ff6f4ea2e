package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/oci-sbx/oci-sbx/convert/syscalls"
)

// bigEndian lists the big-endian architectures libseccomp knows.
var bigEndian = []string{"mips", "mips64", "mips64n32", "ppc", "ppc64", "s390", "s390x", "parisc", "parisc64", "sheb"}

// CheckArchitectures refuses an architecture list runc cannot load or
// that cannot mean what it says on a machine whose own architecture is
// primary. runc always adds the machine's own architecture, and
// libseccomp refuses to mix byte orders in one filter, so:
//
//   - a list mixing byte orders never loads: an error;
//   - a list naming a compat ABI of primary but not primary itself (x86
//     without x86_64 on x86_64) filters primary's calls too: an error;
//   - a list for another machine (aarch64 on x86_64) means what it says
//     only there: note says what happens here.
//
// It returns the index of the entry at fault (-1: the list as a whole).
func CheckArchitectures(list []string, primary string) (at int, note string, err error) {
	if len(list) == 0 {
		return -1, "", nil
	}
	for i, a := range list {
		if slices.Contains(bigEndian, a) != slices.Contains(bigEndian, list[0]) {
			return i, "", fmt.Errorf("architecture %q is %s-endian and %q is not: libseccomp cannot put both in one filter, so runc fails to load it; write one profile per byte order",
				a, endian(a), list[0])
		}
	}
	if primary == "" || slices.Contains(list, primary) {
		return -1, "", nil
	}
	for i, a := range list {
		if slices.Contains(syscalls.SubArches(primary), a) {
			return i, "", fmt.Errorf("architectures [%s] name %s but not %s, which runc always adds on %s: the rules would filter %s calls too, which the list does not say; add %s (or convert with --arch %s for a machine whose own architecture is %s)",
				strings.Join(list, ", "), a, primary, primary, primary, primary, strings.Join(list, ","), list[0])
		}
	}
	if slices.Contains(bigEndian, primary) != slices.Contains(bigEndian, list[0]) {
		return -1, fmt.Sprintf("architectures [%s] are for another machine: runc adds the machine's own architecture, so on this one (%s) the profile fails to load (libseccomp cannot mix byte orders)",
			strings.Join(list, ", "), primary), nil
	}
	return -1, fmt.Sprintf("architectures [%s] are for another machine: runc adds the machine's own architecture, so on this one (%s) the rules would filter %s calls too",
		strings.Join(list, ", "), primary, primary), nil
}

func endian(arch string) string {
	if slices.Contains(bigEndian, arch) {
		return "big"
	}
	return "little"
}

// narrowArches are the architectures whose syscall arguments libseccomp
// compares as 32 bits (its ARCH_SIZE_32): in a filter for them it keeps
// only the lower half of a condition's value and mask. Measured with
// oci-sbx simulate against libseccomp 2.5.4 for x86, x32, arm and mipsel
// (and that aarch64, riscv64 and ppc64le keep all 64 bits).
var narrowArches = []string{"x86", "x32", "arm", "mips", "mipsel", "mips64n32", "mipsel64n32", "ppc", "s390", "parisc"}

// CheckWidth refuses a condition that libseccomp reads differently in the
// filter of one of the architectures (nil: the native one) because it
// compares arguments there as 32 bits: "arg1 > 0x100000000", which no
// 32-bit argument meets, becomes "arg1 > 0". A value that fits 32 bits
// reads the same, and so do "<= -1" and "> -1", whose lower half keeps
// their meaning.
func (c Cond) CheckWidth(arches []string) error {
	if len(arches) == 0 {
		arches = []string{syscalls.NativeArch()}
	}
	i := slices.IndexFunc(arches, func(a string) bool { return slices.Contains(narrowArches, a) })
	if i < 0 || c.Value>>32 == 0 {
		return nil
	}
	low := c
	low.Value, low.Mask = c.Value&0xffffffff, c.Mask&0xffffffff
	if (c.Op == OpLE || c.Op == OpGT) && low.Value == 0xffffffff {
		return nil
	}
	return fmt.Errorf("%q on %s: libseccomp compares %s arguments as 32 bits and drops the upper half of the value, so the filter tests %q there, which matches other calls than the condition written; write a value that fits 32 bits (-1 is 0xffffffff), or leave %s out of the architectures",
		c.String(), arches[i], arches[i], low.String(), arches[i])
}

// alwaysOnNarrow returns the first 32-bit architecture of arches on which
// every condition of when holds for every call, as libseccomp compares
// there (the lower half of the value and mask: "arg0 & 0x8000000000000000
// == 0" tests "arg0 & 0 == 0", and the rule is then one without
// conditions); "" when there is none.
func alwaysOnNarrow(when []Cond, arches []string) string {
	if len(when) == 0 {
		return ""
	}
	for _, c := range when {
		// Measured for a mask on the upper half alone: libseccomp then
		// takes the rule as one without conditions.
		if c.Op != OpMaskedEQ || c.Mask&0xffffffff != 0 || c.Value&0xffffffff != 0 {
			return ""
		}
	}
	for _, a := range arches {
		if slices.Contains(narrowArches, a) {
			return a
		}
	}
	return ""
}
