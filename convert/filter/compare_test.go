package filter

import (
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// allowX8664 allows everything on x86_64 and kills other architectures.
var allowX8664 = []bpf.Instruction{
	bpf.LoadAbsolute{Off: 4, Size: 4},
	bpf.JumpIf{Cond: bpf.JumpEqual, Val: x8664, SkipFalse: 1},
	bpf.RetConstant{Val: RetAllow},
	bpf.RetConstant{Val: RetKillThread},
}

// enosysAbove500 answers x86_64 numbers above 500 with ENOSYS.
var enosysAbove500 = []bpf.Instruction{
	bpf.LoadAbsolute{Off: 4, Size: 4},
	bpf.JumpIf{Cond: bpf.JumpEqual, Val: x8664, SkipFalse: 4},
	bpf.LoadAbsolute{Off: 0, Size: 4},
	bpf.JumpIf{Cond: bpf.JumpGreaterThan, Val: 500, SkipTrue: 1},
	bpf.RetConstant{Val: RetAllow},
	bpf.RetConstant{Val: RetErrno | uint32(unix.ENOSYS)},
	bpf.RetConstant{Val: RetKillThread},
}

func lines(ds []Difference) string {
	var b strings.Builder
	for _, d := range ds {
		b.WriteString(d.Case.Arch + " " + d.String() + ": " + d.A.String() + " / " + d.B.String() + "\n")
	}
	return b.String()
}

func TestCompare(t *testing.T) {
	// The condition of the profile is what makes socket's argument 0
	// worth trying at 40; neither program is read for it.
	vsock := &specs.LinuxSeccomp{Syscalls: []specs.LinuxSyscall{{
		Names: []string{"socket"}, Action: specs.ActErrno,
		Args: []specs.LinuxSeccompArg{{Index: 0, Value: unix.AF_VSOCK, Op: specs.OpEqualTo}},
	}}}
	for _, tc := range []struct {
		name     string
		a, b     []bpf.Instruction
		profiles []*specs.LinuxSeccomp
		want     string
	}{
		{"same", denyOpenat, denyOpenat, []*specs.LinuxSeccomp{vsock}, ""},
		{"argument case", denyOpenat, allowX8664, []*specs.LinuxSeccomp{vsock},
			"x86_64 socket(arg0=40): errno(EACCES) / allow\nx86_64 openat: errno(EPERM) / allow\n"},
		{"no profile, no argument case", denyOpenat, allowX8664, nil,
			"x86_64 openat: errno(EPERM) / allow\n"},
		{"runs of numbers no syscall has", allowX8664, enosysAbove500, nil,
			"x86_64 #501-#1023: allow / errno(ENOSYS)\nx86_64 #0x3fffffff: allow / errno(ENOSYS)\nx86_64 #0x80000000: allow / errno(ENOSYS)\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := lines(Compare(decode(t, tc.a), decode(t, tc.b), []string{"x86_64", "x86"}, tc.profiles...))
			if got != tc.want {
				t.Errorf("got:\n%swant:\n%s", got, tc.want)
			}
		})
	}
}

func TestUniform(t *testing.T) {
	allow, deny := decode(t, allowX8664), decode(t, denyOpenat)
	if act, ok := Uniform(allow, "x86"); !ok || act.String() != "kill-thread" {
		t.Errorf("x86: %v %v", act, ok)
	}
	if act, ok := Uniform(allow, "x86_64"); !ok || act.String() != "allow" {
		t.Errorf("x86_64: %v %v", act, ok)
	}
	if _, ok := Uniform(deny, "x86_64"); ok {
		t.Error("a program that denies openat is uniform")
	}
}

func TestCases(t *testing.T) {
	masked := &specs.LinuxSeccomp{Syscalls: []specs.LinuxSyscall{{
		Names: []string{"openat", "connect"}, Action: specs.ActAllow,
		Args: []specs.LinuxSeccompArg{{Index: 2, Value: unix.O_ACCMODE, ValueTwo: unix.O_RDONLY, Op: specs.OpMaskedEqual}},
	}}}
	has := func(cases []Case, nr uint32, arg int, v uint64) bool {
		for _, c := range cases {
			if c.Nr == nr && c.Varied&(1<<arg) != 0 && c.Args[arg] == v {
				return true
			}
		}
		return false
	}
	cases := Cases("x86_64", masked)
	for _, v := range []uint64{0, 1, 2, 3, ^uint64(unix.O_ACCMODE), 1 << 32} {
		if !has(cases, 257, 2, v) {
			t.Errorf("openat arg2 %#x is not tried", v)
		}
	}
	// On i386 arguments are 32 bits wide, and connect also goes through
	// socketcall: its argument 0 takes each call number.
	cases = Cases("x86", masked)
	if has(cases, 295, 2, 1<<32) || !has(cases, 295, 2, 0xfffffffc) {
		t.Error("i386 arguments are not cut to 32 bits")
	}
	if !has(cases, 102, 0, 3) || !has(cases, 102, 2, 1) {
		t.Error("socketcall does not get connect's call number and its condition")
	}
}
