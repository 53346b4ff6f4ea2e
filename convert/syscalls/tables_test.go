package syscalls

import (
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func TestTableArches(t *testing.T) {
	want := []string{
		"aarch64", "arm", "mips", "mips64", "mips64n32", "mipsel", "mipsel64", "mipsel64n32",
		"parisc", "parisc64", "ppc", "ppc64", "ppc64le", "riscv64", "s390", "s390x", "x32",
		"x86", "x86_64",
	}
	if got := Arches(); !slices.Equal(got, want) {
		t.Fatalf("Arches() = %v, want %v", got, want)
	}
	// The generated table and the OCI name map must cover the same set.
	var gen []string
	for a := range syscallTable {
		gen = append(gen, a)
	}
	sort.Strings(gen)
	if !slices.Equal(gen, want) {
		t.Errorf("generated table covers %v, want %v", gen, want)
	}
	for _, a := range want {
		if n := len(archTableOf(a).nr); n < 250 {
			t.Errorf("%s has only %d syscalls", a, n)
		}
	}
}

func TestSyscallNumber(t *testing.T) {
	tests := []struct {
		name, arch, syscall string
		nr                  int
		ok                  bool
	}{
		{"openat x86_64", "x86_64", "openat", 257, true},
		{"openat aarch64", "aarch64", "openat", 56, true},
		{"open x86_64", "x86_64", "open", 2, true},
		{"no open on aarch64", "aarch64", "open", 0, false},
		{"no open on riscv64", "riscv64", "open", 0, false},
		{"open x86", "x86", "open", 5, true},
		{"read x86_64 is zero", "x86_64", "read", 0, true},
		{"x32 bit", "x32", "openat", 0x40000000 | 257, true},
		{"x32 own numbers", "x32", "execve", 0x40000000 | 520, true},
		{"mips o32 base", "mips", "open", 4005, true},
		{"mips64 base", "mips64", "read", 5000, true},
		{"mips64n32 base", "mips64n32", "read", 6000, true},
		{"arm private", "arm", "set_tls", 0x0f0005, true},
		{"multiplexed direct", "x86", "connect", 362, true},
		{"multiplexed only", "x86", "recv", 0, false},
		{"mips o32 multiplexed direct", "mips", "connect", 4170, true},
		{"unknown arch", "amd64", "openat", 0, false},
		{"unknown syscall", "x86_64", "opnat", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nr, ok := SyscallNumber(tt.arch, tt.syscall)
			if nr != tt.nr || ok != tt.ok {
				t.Errorf("SyscallNumber(%q, %q) = %d, %v; want %d, %v", tt.arch, tt.syscall, nr, ok, tt.nr, tt.ok)
			}
		})
	}
}

func TestSyscallX32Bit(t *testing.T) {
	for name, nr := range archTableOf("x32").nr {
		if nr&0x40000000 == 0 {
			t.Errorf("x32 %s = %#x lacks the x32 bit", name, nr)
		}
	}
	for _, arch := range Arches() {
		if arch == "x32" {
			continue
		}
		for name, nr := range archTableOf(arch).nr {
			if nr < 0 || nr&0x40000000 != 0 {
				t.Errorf("%s %s = %#x", arch, name, nr)
			}
		}
	}
}

func TestSyscallMultiplexer(t *testing.T) {
	tests := []struct{ arch, name, want string }{
		{"x86", "connect", "socketcall"},
		{"x86", "sendto", "socketcall"},
		{"s390x", "socket", "socketcall"},
		{"ppc64le", "shmat", "ipc"},
		{"x86", "open", ""},
		{"x86_64", "connect", ""},
		{"aarch64", "recv", ""},
		{"nope", "connect", ""},
	}
	for _, tt := range tests {
		if got := SyscallMultiplexer(tt.arch, tt.name); got != tt.want {
			t.Errorf("SyscallMultiplexer(%q, %q) = %q, want %q", tt.arch, tt.name, got, tt.want)
		}
	}
	if !HasSyscall("x86", "connect") || HasSyscall("aarch64", "open") || !HasSyscall("aarch64", "openat") {
		t.Error("HasSyscall: want connect on x86, no open on aarch64, openat on aarch64")
	}
}

func TestSyscallLookup(t *testing.T) {
	if !IsSyscall("openat") || !IsSyscall("open") || !IsSyscall("set_tls") {
		t.Error("IsSyscall: openat, open and set_tls are syscalls")
	}
	for _, s := range []string{"", "opnat", "@file-open", "OPENAT"} {
		if IsSyscall(s) {
			t.Errorf("IsSyscall(%q) = true", s)
		}
	}
	arches := SyscallArches("open")
	if slices.Contains(arches, "aarch64") || !slices.Contains(arches, "x86_64") || !slices.Contains(arches, "x32") {
		t.Errorf("SyscallArches(open) = %v", arches)
	}
	if got := SyscallArches("openat"); !slices.Equal(got, Arches()) {
		t.Errorf("SyscallArches(openat) = %v, want every architecture", got)
	}
	if got := SyscallArches("connect"); !slices.Contains(got, "x86") {
		t.Errorf("SyscallArches(connect) = %v, want x86 (via socketcall)", got)
	}
	if got := SyscallArches("opnat"); len(got) != 0 {
		t.Errorf("SyscallArches(opnat) = %v", got)
	}
	all := AllSyscalls()
	if !sort.StringsAreSorted(all) || len(all) < 400 || slices.Compact(slices.Clone(all))[len(all)-1] != all[len(all)-1] {
		t.Errorf("AllSyscalls() is not a sorted set of the syscalls (%d names)", len(all))
	}
	all[0] = "clobbered"
	if AllSyscalls()[0] == "clobbered" {
		t.Error("AllSyscalls returns the package's own slice")
	}
}

func TestArchSpec(t *testing.T) {
	tests := []struct {
		name    string
		want    specs.Arch
		wantErr string
	}{
		{"x86_64", specs.ArchX86_64, ""},
		{"aarch64", specs.ArchAARCH64, ""},
		{"x32", specs.ArchX32, ""},
		{"mipsel64n32", specs.ArchMIPSEL64N32, ""},
		{"riscv64", specs.ArchRISCV64, ""},
		{"amd64", "", `unknown architecture "amd64": did you mean "x86_64"?`},
		{"arm64", "", `unknown architecture "arm64": did you mean "aarch64"?`},
		{"x86_46", "", `unknown architecture "x86_46": did you mean "x86_64"?`},
		{"SCMP_ARCH_X86", "", `unknown architecture "SCMP_ARCH_X86": did you mean "x86"?`},
		{"native", "", `unknown architecture "native"`},
		{"sparc64", "", `unknown architecture "sparc64" (libseccomp`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ArchSpec(tt.name)
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("ArchSpec(%q) error = %v, want %q", tt.name, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ArchSpec(%q) = %q, %v; want %q", tt.name, got, err, tt.want)
			}
			back, err := ArchFromSpec(got)
			if err != nil || back != tt.name {
				t.Errorf("ArchFromSpec(%q) = %q, %v; want %q", got, back, err, tt.name)
			}
		})
	}
	for _, a := range Arches() {
		s, err := ArchSpec(a)
		if err != nil {
			t.Fatal(err)
		}
		if back, err := ArchFromSpec(s); err != nil || back != a {
			t.Errorf("%s → %s → %s, %v", a, s, back, err)
		}
	}
	for _, bad := range []specs.Arch{specs.ArchLOONGARCH64, "SCMP_ARCH_NOPE", ""} {
		if _, err := ArchFromSpec(bad); err == nil {
			t.Errorf("ArchFromSpec(%q) succeeded", bad)
		}
	}
	// A list keeps the order and leaves out what ArchFromSpec refuses.
	list := []specs.Arch{specs.ArchX86, specs.ArchLOONGARCH64, specs.ArchX86_64, "SCMP_ARCH_NOPE", specs.ArchX32}
	if got, want := ArchesFromSpec(list), []string{"x86", "x86_64", "x32"}; !slices.Equal(got, want) {
		t.Errorf("ArchesFromSpec(%q) = %q, want %q", list, got, want)
	}
	if got := ArchesFromSpec(nil); got != nil {
		t.Errorf("ArchesFromSpec(nil) = %q, want nil", got)
	}
}

func TestArchNativeAndSub(t *testing.T) {
	if n := NativeArch(); n != "" {
		if _, err := ArchSpec(n); err != nil {
			t.Errorf("NativeArch() = %q: %v", n, err)
		}
	}
	for goarch, want := range map[string]string{"amd64": "x86_64", "arm64": "aarch64", "386": "x86", "mips64le": "mipsel64", "ppc64le": "ppc64le"} {
		if got := goArches[goarch]; got != want {
			t.Errorf("GOARCH %s → %q, want %q", goarch, got, want)
		}
	}
	tests := []struct {
		arch string
		want []string
	}{
		{"x86_64", []string{"x86", "x32"}},
		{"aarch64", []string{"arm"}},
		{"mips64", []string{"mips", "mips64n32"}},
		{"mipsel64n32", []string{"mipsel", "mipsel64"}},
		{"s390x", []string{"s390"}},
		{"riscv64", nil},
		{"x86", nil},
	}
	for _, tt := range tests {
		if got := SubArches(tt.arch); !slices.Equal(got, tt.want) {
			t.Errorf("SubArches(%q) = %v, want %v", tt.arch, got, tt.want)
		}
	}
	for arch, subs := range subArches {
		for _, s := range append([]string{arch}, subs...) {
			if _, ok := archSpecs[s]; !ok {
				t.Errorf("subArches names unknown architecture %q", s)
			}
		}
	}
	SubArches("x86_64")[0] = "clobbered"
	if SubArches("x86_64")[0] != "x86" {
		t.Error("SubArches returns the package's own slice")
	}
}
func TestErrno(t *testing.T) {
	tests := []struct {
		in      string
		want    uint
		wantErr string
	}{
		{"EPERM", 1, ""},
		{"ENOENT", 2, ""},
		{"EACCES", 13, ""},
		{"ENOSYS", uint(unix.ENOSYS), ""}, // 38, but 89 on mips
		{"EAGAIN", uint(unix.EAGAIN), ""},
		{"EWOULDBLOCK", uint(unix.EAGAIN), ""},
		{"EOPNOTSUPP", uint(unix.EOPNOTSUPP), ""},
		{"ENOTSUP", uint(unix.EOPNOTSUPP), ""},
		{"0", 0, ""},
		{"1", 1, ""},
		{"4095", 4095, ""},
		{"4096", 0, `errno "4096" is not a number from 1 to 4094`},
		{"-1", 0, `unknown errno "-1"`},
		{"0x1", 0, `errno "0x1" is not a number`},
		{"EPRM", 0, `unknown errno "EPRM": did you mean "EPERM"?`},
		{"eperm", 0, `unknown errno "eperm": did you mean "EPERM"?`},
		{"ENOSYSTEM", 0, `unknown errno "ENOSYSTEM": did you mean "ENOSYS"?`},
		{"", 0, `unknown errno ""`},
		{"PERMISSION", 0, `unknown errno "PERMISSION" (want a name`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseErrno(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Errorf("ParseErrno(%q) = %d, %v; want error %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ParseErrno(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestErrnoRoundTrip(t *testing.T) {
	for n := uint(0); n <= maxErrno; n++ {
		name := ErrnoName(n)
		back, err := ParseErrno(name)
		if err != nil || back != n {
			t.Fatalf("ErrnoName(%d) = %q, which parses as %d, %v", n, name, back, err)
		}
	}
	aliases := []string{"EWOULDBLOCK", "EDEADLOCK", "ENOTSUP", "EOPNOTSUPP"}
	for name, n := range errnoNumbers() {
		// Only the aliases may print as another name.
		if got := ErrnoName(n); got != name && !slices.Contains(aliases, name) {
			t.Errorf("ErrnoName(%d) = %q, want %q", n, got, name)
		}
	}
	if len(errnoNumbers()) < 130 {
		t.Errorf("only %d errno names", len(errnoNumbers()))
	}
	for n, want := range map[uint]string{1: "EPERM", 13: "EACCES", uint(unix.ENOSYS): "ENOSYS", 0: "0", 600: "600", 5000: "5000"} {
		if got := ErrnoName(n); got != want {
			t.Errorf("ErrnoName(%d) = %q, want %q", n, got, want)
		}
	}
}
func TestConstant(t *testing.T) {
	tests := []struct {
		name string
		want uint64
	}{
		{"AF_UNIX", 1},
		{"AF_INET", 2},
		{"AF_INET6", 10},
		{"AF_NETLINK", 16},
		{"AT_FDCWD", 0xffffffffffffff9c},
		{"O_RDONLY", 0},
		{"O_WRONLY", 1},
		{"O_RDWR", 2},
		{"O_ACCMODE", 3},
		{"MSG_FASTOPEN", 0x20000000},
		{"PER_LINUX", 0},
		{"PER_LINUX32", 8},
		{"PER_QUERY", 0xffffffff},
		{"CLONE_NEWUSER", 0x10000000},
		{"CLONE_CLEAR_SIGHAND", 0x100000000},
		{"S_IFMT", 0o170000},
		{"S_IFREG", 0o100000},
		{"MS_BIND", 0x1000},
		{"PR_SET_NO_NEW_PRIVS", 38},
		{"PROT_EXEC", 4},
		{"IPPROTO_TCP", 6},
		{"F_SETFL", 4},
		{"SIGKILL", 9},
		{"SIGSYS", 31},
		{"SEEK_END", 2},
		{"SEEK_HOLE", 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Constant(tt.name)
			if !ok || got != tt.want {
				t.Errorf("Constant(%q) = %#x, %v; want %#x", tt.name, got, ok, tt.want)
			}
		})
	}
	for _, name := range []string{"", "af_unix", "AF_UNXI", "O_READONLY"} {
		if _, ok := Constant(name); ok {
			t.Errorf("Constant(%q) is known", name)
		}
	}
	names := ConstantNames()
	if !sort.StringsAreSorted(names) || len(names) != len(constants) {
		t.Errorf("ConstantNames() is not the sorted list of constants")
	}
	for _, must := range []string{"O_CREAT", "O_EXCL", "O_TRUNC", "O_APPEND", "O_NONBLOCK", "O_CLOEXEC", "O_DIRECTORY",
		"O_NOFOLLOW", "O_PATH", "O_TMPFILE", "SOCK_STREAM", "SOCK_NONBLOCK", "SOCK_CLOEXEC", "TIOCSTI", "TIOCLINUX",
		"MAP_SHARED", "MAP_ANONYMOUS", "F_DUPFD_CLOEXEC", "IPPROTO_UDP", "S_IFDIR"} {
		if _, ok := Constant(must); !ok {
			t.Errorf("Constant(%q) is missing", must)
		}
	}
	if v, _ := Constant("O_TMPFILE"); v&mustConst(t, "O_DIRECTORY") == 0 {
		t.Error("O_TMPFILE does not include O_DIRECTORY")
	}
}

func mustConst(t *testing.T, name string) uint64 {
	t.Helper()
	v, ok := Constant(name)
	if !ok {
		t.Fatalf("no constant %s", name)
	}
	return v
}
