package syscalls

//go:generate go run -tags seccomp ./internal/mksyscalls
//go:generate go run ./internal/mkargs

import (
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/internal/suggest"
)

// archSpecs maps the libseccomp architecture names the rules language uses
// to their OCI spelling. It lists exactly the architectures of the
// generated syscall table; a test keeps the two in step.
var archSpecs = map[string]specs.Arch{
	"aarch64":     specs.ArchAARCH64,
	"arm":         specs.ArchARM,
	"mips":        specs.ArchMIPS,
	"mips64":      specs.ArchMIPS64,
	"mips64n32":   specs.ArchMIPS64N32,
	"mipsel":      specs.ArchMIPSEL,
	"mipsel64":    specs.ArchMIPSEL64,
	"mipsel64n32": specs.ArchMIPSEL64N32,
	"parisc":      specs.ArchPARISC,
	"parisc64":    specs.ArchPARISC64,
	"ppc":         specs.ArchPPC,
	"ppc64":       specs.ArchPPC64,
	"ppc64le":     specs.ArchPPC64LE,
	"riscv64":     specs.ArchRISCV64,
	"s390":        specs.ArchS390,
	"s390x":       specs.ArchS390X,
	"x32":         specs.ArchX32,
	"x86":         specs.ArchX86,
	"x86_64":      specs.ArchX86_64,
}

// archAliases are the other spellings people type (Go's GOARCH, uname -m,
// Debian's): they are refused, but the error names the right one.
var archAliases = map[string]string{
	"amd64": "x86_64", "x86-64": "x86_64", "x64": "x86_64",
	"386": "x86", "i386": "x86", "i486": "x86", "i586": "x86", "i686": "x86", "ia32": "x86",
	"arm64": "aarch64", "armhf": "arm", "armel": "arm", "armv7l": "arm", "armv7": "arm",
	"mipsle": "mipsel", "mips64le": "mipsel64", "mips64el": "mipsel64",
	"powerpc": "ppc", "powerpc64": "ppc64", "powerpc64le": "ppc64le", "ppc64el": "ppc64le",
	"hppa": "parisc", "hppa64": "parisc64",
}

// subArches are the compat ABIs a kernel of the given architecture also
// runs, so a profile for it must cover them too. The pairs follow Docker's
// archMap, plus ppc64 → ppc and parisc64 → parisc, whose kernels run 32-bit
// programs as well.
var subArches = map[string][]string{
	"x86_64":      {"x86", "x32"},
	"aarch64":     {"arm"},
	"mips64":      {"mips", "mips64n32"},
	"mips64n32":   {"mips", "mips64"},
	"mipsel64":    {"mipsel", "mipsel64n32"},
	"mipsel64n32": {"mipsel", "mipsel64"},
	"parisc64":    {"parisc"},
	"ppc64":       {"ppc"},
	"s390x":       {"s390"},
}

// Arches returns the libseccomp names of every architecture the syscall
// table covers, sorted.
func Arches() []string {
	names := make([]string, 0, len(archSpecs))
	for name := range archSpecs {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// ArchSpec returns the OCI name of a libseccomp architecture name:
// "x86_64" gives SCMP_ARCH_X86_64.
func ArchSpec(name string) (specs.Arch, error) {
	if a, ok := archSpecs[name]; ok {
		return a, nil
	}
	return "", unknownArch(name)
}

func unknownArch(name string) error {
	if alt, ok := archAliases[strings.ToLower(name)]; ok {
		return fmt.Errorf("unknown architecture %q: did you mean %q?", name, alt)
	}
	if alt, err := ArchFromSpec(specs.Arch(name)); err == nil {
		return fmt.Errorf("unknown architecture %q: did you mean %q?", name, alt)
	}
	if sug := suggest.Closest(name, Arches()); sug != "" {
		return fmt.Errorf("unknown architecture %q: did you mean %q?", name, sug)
	}
	return fmt.Errorf("unknown architecture %q (libseccomp %s knows %s)", name, LibseccompVersion, strings.Join(Arches(), ", "))
}

// ArchFromSpec returns the libseccomp name of an OCI architecture. OCI
// names that libseccomp 2.5 cannot filter (SCMP_ARCH_LOONGARCH64, …) are
// errors rather than silently dropped.
func ArchFromSpec(a specs.Arch) (string, error) {
	for name, s := range archSpecs {
		if s == a {
			return name, nil
		}
	}
	switch a {
	case specs.ArchLOONGARCH64, specs.ArchM68K, specs.ArchSH, specs.ArchSHEB:
		return "", fmt.Errorf("architecture %q is not supported by libseccomp %s", a, LibseccompVersion)
	}
	return "", fmt.Errorf("unknown architecture %q", a)
}

// ArchesFromSpec returns the libseccomp names of the OCI architectures
// that have one, in order, leaving out those ArchFromSpec refuses.
func ArchesFromSpec(list []specs.Arch) []string {
	var out []string
	for _, a := range list {
		if name, err := ArchFromSpec(a); err == nil {
			out = append(out, name)
		}
	}
	return out
}

// goArches maps runtime.GOARCH to libseccomp names.
var goArches = map[string]string{
	"386":      "x86",
	"amd64":    "x86_64",
	"arm":      "arm",
	"arm64":    "aarch64",
	"mips":     "mips",
	"mipsle":   "mipsel",
	"mips64":   "mips64",
	"mips64le": "mipsel64",
	"ppc64":    "ppc64",
	"ppc64le":  "ppc64le",
	"riscv64":  "riscv64",
	"s390x":    "s390x",
}

// NativeArch returns the libseccomp name of the architecture this binary
// was built for, which is the host's unless it runs under emulation. It is
// "" where libseccomp has no name for it (loong64 in 2.5, wasm).
func NativeArch() string {
	return goArches[runtime.GOARCH]
}

// SubArches returns the compat ABIs that a kernel of the given architecture
// also accepts (x86_64 → x86, x32): Docker's archMap pairs, plus ppc64 →
// ppc and parisc64 → parisc. A filter for that kernel must cover them, or
// they are a way around it.
func SubArches(arch string) []string {
	return slices.Clone(subArches[arch])
}

// archTable is one architecture's syscalls.
type archTable struct {
	nr  map[string]int    // syscall numbers
	via map[string]string // calls filtered through socketcall or ipc
}

// syscallTables parses the generated table once, on first use, so
// programs that never look a syscall up pay nothing.
// archTables parses each architecture's table on first use: a command
// that checks names pays only for the architectures it asks about.
var archTables = func() map[string]func() *archTable {
	m := make(map[string]func() *archTable, len(syscallTable))
	for arch, list := range syscallTable {
		m[arch] = sync.OnceValue(func() *archTable { return parseArchTable(list) })
	}
	return m
}()

// archTableOf returns an architecture's table, or nil.
func archTableOf(arch string) *archTable {
	if f, ok := archTables[arch]; ok {
		return f()
	}
	return nil
}

func parseArchTable(list string) *archTable {
	n := strings.Count(list, " ") + 1
	t := &archTable{nr: make(map[string]int, n), via: map[string]string{}}
	for field := range strings.FieldsSeq(list) {
		name, rest, ok := strings.Cut(field, ":")
		if !ok {
			panic("syscalls: malformed syscall table entry " + strconv.Quote(field))
		}
		for rest != "" {
			var p string
			p, rest, _ = strings.Cut(rest, ":")
			if n, err := strconv.Atoi(p); err == nil {
				t.nr[name] = n
			} else {
				t.via[name] = p
			}
		}
	}
	return t
}

// allSyscalls is the sorted union of every architecture's syscalls.
var allSyscalls = sync.OnceValue(func() []string {
	seen := map[string]bool{}
	for arch := range archTables {
		t := archTableOf(arch)
		for name := range t.nr {
			seen[name] = true
		}
		for name := range t.via {
			seen[name] = true
		}
	}
	for _, name := range newerSyscalls {
		seen[name] = true
	}
	names := make([]string, 0, len(seen))
	for name := range seen {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
})

// SyscallNumber returns the number of a syscall on an architecture, as
// the kernel's seccomp_data sees it (x32 numbers carry bit 30, MIPS o32
// numbers start at 4000). It reports false when the syscall does not exist
// there. A multiplexed call (see SyscallMultiplexer) reports its direct
// syscall, when the architecture has one: connect on x86 is 362.
func SyscallNumber(arch, name string) (int, bool) {
	t := archTableOf(arch)
	if t == nil {
		return 0, false
	}
	n, ok := t.nr[name]
	return n, ok
}

// SyscallMultiplexer returns "socketcall" or "ipc" when libseccomp filters
// the named call on the architecture through that multiplexer as well as
// by its direct number: a rule for connect on x86 matches socketcall with
// arg0 == SYS_CONNECT and syscall 362. Some calls (recv on x86) exist only
// through the multiplexer. It returns "" otherwise.
func SyscallMultiplexer(arch, name string) string {
	if t := archTableOf(arch); t != nil {
		return t.via[name]
	}
	return ""
}

// HasSyscall reports whether a rule for the named call takes effect on the
// architecture: it is a syscall there, or libseccomp filters it through a
// multiplexer. Use it, not SyscallNumber, to warn about names that do
// nothing on a target (connect on x86 does something).
func HasSyscall(arch, name string) bool {
	t := archTableOf(arch)
	if t == nil {
		return false
	}
	if _, ok := t.nr[name]; ok {
		return true
	}
	_, ok := t.via[name]
	return ok
}

// newerSyscalls are Linux syscalls newer than the libseccomp release the
// table comes from. They are names, not typos: profiles such as Docker's
// default allow them. libseccomp cannot resolve them, so runc built
// against it skips their rules, and HasSyscall reports false everywhere.
var newerSyscalls = []string{
	"file_getattr", "file_setattr", // 6.17
	"getxattrat", "listxattrat", "removexattrat", "setxattrat", // 6.13
	"listmount", "statmount", // 6.8
	"lsm_get_self_attr", "lsm_list_modules", "lsm_set_self_attr", // 6.8
	"mseal",          // 6.10
	"open_tree_attr", // 6.15
	"riscv_hwprobe",  // 6.4
	"uretprobe",      // 6.11
}

// IsSyscall reports whether the name is a syscall on at least one
// architecture.
func IsSyscall(name string) bool {
	if HasSyscall(NativeArch(), name) {
		return true // most names, without parsing every table
	}
	_, ok := slices.BinarySearch(allSyscalls(), name)
	return ok
}

// SyscallArches returns the sorted architectures on which the named call
// can be filtered, directly or through a multiplexer.
func SyscallArches(name string) []string {
	var arches []string
	for _, arch := range Arches() {
		if HasSyscall(arch, name) {
			arches = append(arches, arch)
		}
	}
	return arches
}

// AllSyscalls returns the sorted union of the syscalls of every
// architecture.
func AllSyscalls() []string {
	return slices.Clone(allSyscalls())
}

// subcalls are the call numbers the multiplexers take in their first
// argument, the same on every architecture that has them (the kernel's
// include/uapi/linux/net.h SYS_* for socketcall, and the ipc calls
// SEMOP … SHMCTL); libseccomp translates a rule for the call into a rule
// on the multiplexer with arg0 equal to it.
var subcalls = map[string]map[string]uint64{
	"socketcall": {
		"socket": 1, "bind": 2, "connect": 3, "listen": 4, "accept": 5, "getsockname": 6, "getpeername": 7,
		"socketpair": 8, "send": 9, "recv": 10, "sendto": 11, "recvfrom": 12, "shutdown": 13, "setsockopt": 14,
		"getsockopt": 15, "sendmsg": 16, "recvmsg": 17, "accept4": 18, "recvmmsg": 19, "sendmmsg": 20,
	},
	"ipc": {
		"semop": 1, "semget": 2, "semctl": 3, "semtimedop": 4, "msgsnd": 11, "msgrcv": 12, "msgget": 13,
		"msgctl": 14, "shmat": 21, "shmdt": 22, "shmget": 23, "shmctl": 24,
	},
}

// Subcall returns the multiplexer through which libseccomp also filters
// the named call on the architecture (see SyscallMultiplexer) and the
// call's number in the multiplexer's first argument.
func Subcall(arch, name string) (mux string, call uint64, ok bool) {
	mux = SyscallMultiplexer(arch, name)
	call, ok = subcalls[mux][name]
	return mux, call, ok
}

// Subcalls returns the call numbers a multiplexer (socketcall, ipc)
// knows, sorted.
func Subcalls(mux string) []uint64 {
	var out []uint64
	for _, n := range subcalls[mux] {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}
