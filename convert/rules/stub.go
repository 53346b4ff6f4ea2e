package rules

import (
	"fmt"
	"slices"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/oci-sbx/oci-sbx/convert/syscalls"
)

// StubBound is where runc's ENOSYS stub starts on one architecture: runc
// answers ENOSYS, not the default action, for every syscall number above
// the highest one the profile names there, counting the names of rules
// it drops for having the default action, and not counting the calls
// libseccomp multiplexes there (socket on x86: libseccomp resolves the
// name to a pseudo number, so a rule for socket alone leaves its direct
// number, 359, above the bound).
type StubBound struct {
	Name string // the highest syscall named
	Nr   int
}

func (b StubBound) String() string {
	if b.Name == "" {
		return "none"
	}
	return fmt.Sprintf("%s (%d)", b.Name, b.Nr)
}

// StubBounds returns the bound of runc's ENOSYS stub on each architecture
// runc filters for the profile (the listed ones and the host's own), or
// nil where the default action lets calls run (runc then has no stub) or
// is errno(ENOSYS) itself.
func StubBounds(s *specs.LinuxSeccomp) map[string]StubBound {
	switch s.DefaultAction {
	case specs.ActAllow, specs.ActLog, specs.ActTrace:
		return nil
	case specs.ActErrno:
		if s.DefaultErrnoRet != nil && *s.DefaultErrnoRet == uint(unix.ENOSYS) {
			return nil // the stub answers as the default does
		}
	}
	var names []string
	for _, sc := range s.Syscalls {
		names = append(names, sc.Names...)
	}
	return stubBounds(stubArches(s.Architectures), names)
}

// stubArches are the architectures runc's stub covers: the listed ones
// and the host's own.
func stubArches(list []specs.Arch) []string {
	arches := syscalls.ArchesFromSpec(list)
	if n := syscalls.NativeArch(); n != "" && !slices.Contains(arches, n) {
		arches = append(arches, n)
	}
	return arches
}

func stubBounds(arches, names []string) map[string]StubBound {
	out := map[string]StubBound{}
	for _, arch := range arches {
		var b StubBound
		for _, n := range names {
			if syscalls.SyscallMultiplexer(arch, n) != "" {
				continue // libseccomp gives runc a pseudo number for it
			}
			if nr, ok := syscalls.SyscallNumber(arch, n); ok && (nr > b.Nr || nr == b.Nr && n < b.Name) {
				b = StubBound{Name: n, Nr: nr}
			}
		}
		out[arch] = b
	}
	return out
}

// keepStubBounds names again, in a rule with the default action, each
// syscall that set the bound of runc's ENOSYS stub in what the profile
// says (written: every name its rules and its base's give) but that
// compiling dropped (a rule with the default action, one libseccomp
// would ignore): without it the stub would start lower, and calls between
// the two bounds would fail with ENOSYS instead of meeting the default.
// runc drops the rule from the filter and counts it for the stub.
func keepStubBounds(out *specs.LinuxSeccomp, written []string) {
	have := StubBounds(out)
	if have == nil {
		return
	}
	want := stubBounds(stubArches(out.Architectures), written)
	var keep []string
	for arch, w := range want {
		if w.Nr > have[arch].Nr && !slices.Contains(keep, w.Name) {
			keep = append(keep, w.Name)
		}
	}
	if len(keep) == 0 {
		return
	}
	slices.Sort(keep)
	act := specs.LinuxSyscall{Names: keep, Action: out.DefaultAction}
	if out.DefaultAction == specs.ActErrno {
		act.ErrnoRet = out.DefaultErrnoRet
	}
	out.Syscalls = append(out.Syscalls, act)
}

// aboveStub lists, per architecture, the syscalls a rule gives an action
// other than the default whose number lies above the bound of runc's
// ENOSYS stub there: runc answers them with ENOSYS, whatever the rule
// says (a call libseccomp multiplexes, such as socket on x86, when the
// profile names nothing higher).
func aboveStub(out *specs.LinuxSeccomp) map[string][]string {
	bounds := StubBounds(out)
	if bounds == nil {
		return nil
	}
	def, _ := ActionFromSpec(out.DefaultAction, out.DefaultErrnoRet)
	hits := map[string][]string{}
	for _, sc := range out.Syscalls {
		if a, err := ActionFromSpec(sc.Action, sc.ErrnoRet); err != nil || a == def {
			continue
		}
		for arch, b := range bounds {
			for _, n := range sc.Names {
				if nr, ok := syscalls.SyscallNumber(arch, n); ok && nr > b.Nr && !slices.Contains(hits[arch], n) {
					hits[arch] = append(hits[arch], n)
				}
			}
		}
	}
	return hits
}

// StubNames returns the syscalls that set the bound of runc's ENOSYS stub
// on the given architectures (libseccomp names) for a profile naming
// names: one per architecture, sorted, none twice.
func StubNames(arches, names []string) []string {
	var out []string
	for _, b := range stubBounds(arches, names) {
		if b.Name != "" && !slices.Contains(out, b.Name) {
			out = append(out, b.Name)
		}
	}
	slices.Sort(out)
	return out
}
