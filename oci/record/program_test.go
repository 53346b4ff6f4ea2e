package record

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/oci-sbx/oci-sbx/convert"
	"github.com/oci-sbx/oci-sbx/convert/filter"
	"github.com/oci-sbx/oci-sbx/convert/syscalls"
	"github.com/oci-sbx/oci-sbx/oci/notify"
)

func decode(t *testing.T, ins []unix.SockFilter) *filter.Program {
	t.Helper()
	raw := make([]byte, 0, 8*len(ins))
	for _, i := range ins {
		raw = binary.NativeEndian.AppendUint16(raw, i.Code)
		raw = append(raw, i.Jt, i.Jf)
		raw = binary.NativeEndian.AppendUint32(raw, i.K)
	}
	p, err := filter.Decode(raw)
	if err != nil {
		t.Fatalf("the kernel would refuse the recording filter: %v", err)
	}
	return p
}

func readProfile(t testing.TB, text string) *specs.LinuxSeccomp {
	t.Helper()
	s, err := convert.Read("test", []byte(text), "", convert.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestProgramSound runs the recording filter in the BPF interpreter over
// every syscall number of every architecture, with the argument values the
// base's conditions make interesting: the filter may allow a call only
// where the base allows it, and must allow what the base allows whatever
// the arguments (that is the fast path), and notify everything else.
func TestProgramSound(t *testing.T) {
	bases := map[string]string{
		"none": "",
		"recorded": `default: errno(EPERM)
architectures: [x86_64, x86]
rules:
  - {action: allow, syscalls: [read, write, openat, close, exit_group]}
  - {action: allow, syscalls: [socket], when: ["arg0 & 0xffffffff == AF_UNIX", "arg1 & 0xf == SOCK_STREAM"]}
  - {action: allow, syscalls: [ioctl], when: ["arg1 & 0xffffffff == 0x5401"]}
  - {action: allow, syscalls: [ioctl], when: ["arg1 & 0xffffffff == 0x5413"]}
  - {action: allow, syscalls: [clone], when: ["arg0 & 0x7e020000 == 0"]}
  - {action: allow, syscalls: [mmap], when: ["arg2 <= 3", "arg3 > 1", "arg4 != 5", "arg5 >= 0x10000"]}
  - {action: allow, syscalls: [prctl], when: ["arg0 < 16"]}
`,
		"conditional deny": `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
  {"names": ["read"], "action": "SCMP_ACT_ALLOW"},
  {"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 16, "op": "SCMP_CMP_LT"}]},
  {"names": ["personality"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13, "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]}]}`,
		"docker-default": "extends: docker-default\n",
		"allow by default": `default: allow
rules:
  - {action: errno(EPERM), syscalls: [ptrace]}
  - {action: kill, syscalls: [socket], when: ["arg0 == AF_INET"]}
`,
		// Runs of consecutive numbers, single numbers between them,
		// conditions next to unconditional neighbours, every x86 ABI.
		"three ABIs": `default: errno(EPERM)
architectures: [x86_64, x86, x32]
rules:
  - {action: allow, syscalls: [read, write, open, close, stat, fstat, lstat, poll, mmap, exit_group, getppid, openat2]}
  - {action: allow, syscalls: [lseek], when: ["arg2 & 0xffffffff == 1"]}
  - {action: allow, syscalls: [mprotect], when: ["arg2 & 0xffffffff == 1"]}
  - {action: allow, syscalls: [brk], when: ["arg0 == 0"]}
  - {action: allow, syscalls: [ioctl], when: ["arg1 & 0xffffffff == 0x5401"]}
  - {action: errno(EPERM), syscalls: [ioctl], when: ["arg1 & 0xffffffff == 0x5402"]}
`,
		// ABIs whose numbers start above 0 (MIPS o32 at 4000, n64 at
		// 5000, n32 at 6000), and others' trees.
		"other architectures": `default: errno(EPERM)
architectures: [aarch64, arm, mipsel, mipsel64, mipsel64n32, riscv64]
rules:
  - {action: allow, syscalls: [read, write, close, exit_group, getppid, openat, mmap]}
  - {action: allow, syscalls: [ioctl], when: ["arg1 & 0xffffffff == 0x5401"]}
`,
	}
	// Conditions on a hundred syscalls: a tree whose halves are beyond
	// a conditional jump's reach.
	var many strings.Builder
	many.WriteString("default: errno(EPERM)\nrules:\n")
	for _, n := range syscalls.AllSyscalls() {
		nr, ok := syscalls.SyscallNumber("x86_64", n)
		if args, known := syscalls.ArgCount("x86_64", n); ok && known && args >= 2 && nr < 300 {
			fmt.Fprintf(&many, "  - {action: allow, syscalls: [%s], when: [\"arg0 & 0xffffffff == 1\", \"arg1 <= 7\"]}\n", n)
		}
	}
	bases["many conditions"] = many.String()
	// The bases whose conditions the program checks itself.
	checksInKernel := map[string]bool{"recorded": true, "three ABIs": true, "other architectures": true, "many conditions": true}
	for name, text := range bases {
		t.Run(name, func(t *testing.T) {
			var s *specs.LinuxSeccomp
			if text != "" {
				s = readProfile(t, text)
			}
			b, err := NewBase(s)
			if err != nil {
				t.Fatal(err)
			}
			ins, err := Program(b)
			if err != nil {
				t.Fatal(err)
			}
			if len(ins) > maxInstructions {
				t.Fatalf("%d instructions", len(ins))
			}
			prog := decode(t, ins)
			insns := prog.Instructions()
			// Conditions stay in the kernel unless the program would be
			// too long with them.
			full, err := program(b, true)
			if err != nil {
				t.Fatal(err)
			}
			withConds := len(full) <= maxInstructions
			fast, condFast := 0, 0
			for _, label := range filter.AllArches() {
				var profiles []*specs.LinuxSeccomp
				if s != nil {
					profiles = append(profiles, s)
				}
				cases := filter.Cases(label, profiles...)
				// The numbers next to each one too: a search that puts a
				// boundary one off shows there.
				for _, nr := range filter.Numbers(label) {
					cases = append(cases, filter.Case{Arch: label, Nr: nr - 1}, filter.Case{Arch: label, Nr: nr + 1})
				}
				for _, c := range cases {
					d := c.Data()
					res, pcs := prog.Trace(d)
					got := res.String()
					// What the recorder makes of the call, as the
					// filter does: by AUDIT_ARCH and number.
					arch, _ := notify.ArchOf(d.Arch, uint32(d.Nr))
					allowed := b.Allows(arch, uint32(d.Nr), d.Args)
					switch {
					case got == "allow" && !allowed:
						t.Errorf("%s: the filter allows a call the base does not", c)
					case got != "allow" && got != "notify":
						t.Errorf("%s: the filter returns %s", c, got)
					case got == "allow":
						fast++
					}
					v, _, pure := b.classify(arch, uint32(d.Nr))
					if v == depends && pure && withConds && allowed && got != "allow" {
						t.Errorf("%s: allowed by the base's conditions, which the filter checks, but the filter says %s", c, got)
					}
					if v == always && got != "allow" {
						t.Errorf("%s: always allowed by the base, but the filter says %s", c, got)
					}
					if v == never && got != "notify" {
						t.Errorf("%s: never allowed by the base, but the filter says %s", c, got)
					}
					if v == depends && got == "allow" {
						condFast++
					}
					if v != depends {
						// Decided by the number alone: the kernel's action
						// cache takes what is allowed, and the search is
						// logarithmic, not a scan of every number.
						for _, pc := range pcs {
							if i := insns[pc]; readsArgs(i) {
								t.Errorf("%s: decided by its number, but the path reads %v", c, i)
								break
							}
						}
						if limit := 8 + 2*bits.Len(uint(len(ins))); len(pcs) > limit {
							t.Errorf("%s: %d instructions run, more than %d", c, len(pcs), limit)
						}
					}
				}
			}
			if (text == "") != (fast == 0) {
				t.Errorf("%d calls allowed in the kernel", fast)
			}
			if checksInKernel[name] && condFast == 0 {
				t.Error("no call allowed under conditions in the kernel")
			}
			// The handshake is notified whatever the base says.
			if got := prog.Run(filter.Data{Nr: handshakeNr, Arch: 0xc000003e}).String(); got != "notify" {
				t.Errorf("handshake: %s", got)
			}
		})
	}
}

// readsArgs reports whether an instruction loads from seccomp_data past
// the number and the architecture.
func readsArgs(i bpf.Instruction) bool {
	l, ok := i.(bpf.LoadAbsolute)
	return ok && l.Off >= 8
}

func TestBaseAction(t *testing.T) {
	s := readProfile(t, `{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"], "syscalls": [
  {"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}]},
  {"names": ["personality"], "action": "SCMP_ACT_ALLOW"},
  {"names": ["personality"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13, "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]}]}`)
	b, err := NewBase(s)
	if err != nil {
		t.Fatal(err)
	}
	nr := func(arch, name string) uint32 {
		n, err := filter.Syscall(arch, name)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, tc := range []struct {
		arch, name string
		args       [6]uint64
		want       bool
	}{
		{"x86_64", "socket", [6]uint64{unix.AF_UNIX}, true},
		{"x86_64", "socket", [6]uint64{unix.AF_INET}, false},
		// A 32-bit ABI compares the low half only, as libseccomp does.
		{"x86", "socket", [6]uint64{1<<32 | unix.AF_UNIX}, true},
		{"x86_64", "socket", [6]uint64{1<<32 | unix.AF_UNIX}, false},
		{"x86_64", "personality", [6]uint64{0}, true},
		// runc's libseccomp keeps the unconditional rule and drops the
		// conditional one, and so does reading the profile.
		{"x86_64", "personality", [6]uint64{8}, true},
		{"x32", "personality", [6]uint64{0}, false}, // not an architecture of the base
		{"x86_64", "ptrace", [6]uint64{}, false},
	} {
		if got := b.Allows(tc.arch, nr(tc.arch, tc.name), tc.args); got != tc.want {
			t.Errorf("%s %s%v: allowed %v, want %v", tc.arch, tc.name, tc.args, got, tc.want)
		}
	}
	if fmt.Sprint(b.Default()) != "errno(EPERM)" {
		t.Errorf("default %v", b.Default())
	}
}

// TestBaseAllowsSeen: a recorded kind of call, known only by its syscall
// and chosen arguments (as the eBPF recorder knows it), is the base's when
// the base's conditions read only those bits and allow it; never when a
// condition reads more.
func TestBaseAllowsSeen(t *testing.T) {
	ioctl := func(req uint64) Call {
		return Call{Arch: "x86_64", Nr: 16, Values: [2]uint64{req}}
	}
	tests := []struct {
		base string
		call Call
		want bool
	}{
		{`[{action: allow, syscalls: [ioctl], when: ["arg1 & 0xffffffff == 0x5401"]}]`, ioctl(0x5401), true},
		{`[{action: allow, syscalls: [ioctl], when: ["arg1 & 0xffffffff == 0x5401"]}]`, ioctl(0x5402), false},
		{`[{action: allow, syscalls: [ioctl], when: ["arg1 & 0xff == 0x01"]}]`, ioctl(0x5401), true},
		{`[{action: allow, syscalls: [ioctl], when: ["arg1 == 0x5401"]}]`, ioctl(0x5401), false},    // reads the upper half too
		{`[{action: allow, syscalls: [ioctl], when: ["arg2 == 0"]}]`, ioctl(0x5401), false},         // an argument not kept
		{`[{action: allow, syscalls: [ioctl]}]`, Call{Arch: "x86_64", Nr: 16, AnyArgs: true}, true}, // whatever the arguments
		{`[{action: allow, syscalls: [ioctl], when: ["arg1 & 0xffffffff == 0x5401"]}]`, Call{Arch: "x86_64", Nr: 16, AnyArgs: true}, false},
		{`[{action: allow, syscalls: [socket], when: ["arg0 & 0xffffffff == 1", "arg1 & 15 == 1"]}]`, Call{Arch: "x86_64", Nr: 41, Values: [2]uint64{1, 1}}, true},
		{`[{action: allow, syscalls: [socket], when: ["arg0 & 0xffffffff == 1", "arg1 & 15 == 1"]}]`, Call{Arch: "x86_64", Nr: 41, Values: [2]uint64{2, 1}}, false},
		{`[{action: allow, syscalls: [ioctl]}, {action: errno(EPERM), syscalls: [ioctl], when: ["arg1 & 0xffffffff == 0x5401"]}]`, ioctl(0x5401), false},
	}
	for _, tt := range tests {
		b, err := NewBase(readProfile(t, "default: errno(EPERM)\nrules: "+tt.base+"\n"))
		if err != nil {
			t.Fatal(err)
		}
		if got := b.allowsSeen(tt.call); got != tt.want {
			t.Errorf("base %s, call %s: %v, want %v", tt.base, tt.call, got, tt.want)
		}
	}
}
