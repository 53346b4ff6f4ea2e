package format

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/oci-sbx/oci-sbx/internal/testutil"
)

func TestEqualSame(t *testing.T) {
	eq := func(v uint64) specs.LinuxSeccompArg {
		return specs.LinuxSeccompArg{Index: 0, Value: v, Op: specs.OpEqualTo}
	}
	tests := []struct {
		name string
		a, b *specs.LinuxSeccomp
	}{
		{"both nil", nil, nil},
		{"KILL is KILL_THREAD",
			&specs.LinuxSeccomp{DefaultAction: specs.ActKill, Syscalls: []specs.LinuxSyscall{{Names: []string{"ptrace"}, Action: specs.ActKill}}},
			&specs.LinuxSeccomp{DefaultAction: specs.ActKillThread, Syscalls: []specs.LinuxSyscall{{Names: []string{"ptrace"}, Action: specs.ActKillThread}}}},
		{"ERRNO without errnoRet is EPERM",
			&specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Syscalls: []specs.LinuxSyscall{{Names: []string{"openat"}, Action: specs.ActErrno}}},
			&specs.LinuxSeccomp{DefaultAction: specs.ActErrno, DefaultErrnoRet: testutil.Errno(1), Syscalls: []specs.LinuxSyscall{{Names: []string{"openat"}, Action: specs.ActErrno, ErrnoRet: testutil.Errno(1)}}}},
		{"a rule with the default action is dropped",
			&specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Names: []string{"read", "write"}, Action: specs.ActAllow}}},
			&specs.LinuxSeccomp{DefaultAction: specs.ActAllow}},
		{"errno rule equal to the default errno is dropped",
			&specs.LinuxSeccomp{DefaultAction: specs.ActErrno, DefaultErrnoRet: testutil.Errno(38), Syscalls: []specs.LinuxSyscall{{Names: []string{"clone3"}, Action: specs.ActErrno, ErrnoRet: testutil.Errno(38)}}},
			&specs.LinuxSeccomp{DefaultAction: specs.ActErrno, DefaultErrnoRet: testutil.Errno(38)}},
		{"conditions on one index are ORed by runc",
			&specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Syscalls: []specs.LinuxSyscall{{Names: []string{"socket"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{eq(1), eq(10)}}}},
			&specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Syscalls: []specs.LinuxSyscall{
				{Names: []string{"socket"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{eq(10)}},
				{Names: []string{"socket"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{eq(1)}}}}},
		{"order of conditions, names, rules and architectures",
			&specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Architectures: []specs.Arch{specs.ArchX86_64, specs.ArchX86}, Syscalls: []specs.LinuxSyscall{
				{Names: []string{"openat", "open"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{{Index: 1, Value: 1, Op: specs.OpEqualTo}, {Index: 2, Value: 3, Op: specs.OpNotEqual}}},
				{Names: []string{"connect"}, Action: specs.ActErrno}}},
			&specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Architectures: []specs.Arch{specs.ArchX86, specs.ArchX86_64, specs.ArchX86}, Syscalls: []specs.LinuxSyscall{
				{Names: []string{"connect"}, Action: specs.ActErrno, ErrnoRet: testutil.Errno(1)},
				{Names: []string{"open"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{{Index: 2, Value: 3, Op: specs.OpNotEqual}, {Index: 1, Value: 1, Op: specs.OpEqualTo}}},
				{Names: []string{"openat"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{{Index: 2, Value: 3, Op: specs.OpNotEqual}, {Index: 1, Value: 1, Op: specs.OpEqualTo}}}}}},
		{"nil and empty flags (documented)",
			&specs.LinuxSeccomp{DefaultAction: specs.ActAllow},
			&specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Flags: []specs.LinuxSeccompFlag{}}},
		{"errnoRet ignored outside ERRNO and TRACE",
			&specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActAllow, ErrnoRet: testutil.Errno(5), Args: []specs.LinuxSeccompArg{{Index: 0, Value: 3, Op: specs.OpEqualTo}}}}},
			&specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{{Index: 0, Value: 3, Op: specs.OpEqualTo}}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := Equal(tt.a, tt.b); err != nil {
				t.Errorf("Equal(a, b) = %v", err)
			}
			if err := Equal(tt.b, tt.a); err != nil {
				t.Errorf("Equal(b, a) = %v", err)
			}
		})
	}
}

func TestEqualDifferences(t *testing.T) {
	base := func(rules ...specs.LinuxSyscall) *specs.LinuxSeccomp {
		return &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: rules}
	}
	errnoRule := func(name string, ret uint) specs.LinuxSyscall {
		return specs.LinuxSyscall{Names: []string{name}, Action: specs.ActErrno, ErrnoRet: testutil.Errno(unix.Errno(ret))}
	}
	arg := func(i uint, v uint64) specs.LinuxSeccompArg {
		return specs.LinuxSeccompArg{Index: i, Value: v, Op: specs.OpEqualTo}
	}
	tests := []struct {
		name string
		a, b *specs.LinuxSeccomp
		want []string
	}{
		{"a denied syscall", base(errnoRule("openat", 1)), base(), []string{"openat: errno(EPERM) vs allow"}},
		{"another errno", base(errnoRule("openat", 1)), base(errnoRule("openat", 13)), []string{"openat: errno(EPERM) vs errno(EACCES)"}},
		{"default action",
			&specs.LinuxSeccomp{DefaultAction: specs.ActErrno, DefaultErrnoRet: testutil.Errno(38)},
			&specs.LinuxSeccomp{DefaultAction: specs.ActErrno},
			[]string{"default action: errno(ENOSYS) vs errno(EPERM)"}},
		{"a rule with the default action sets runc's ENOSYS stub",
			&specs.LinuxSeccomp{DefaultAction: specs.ActKillProcess, Architectures: []specs.Arch{specs.ArchX86_64}, Syscalls: []specs.LinuxSyscall{
				{Names: []string{"read"}, Action: specs.ActAllow}, {Names: []string{"prctl"}, Action: specs.ActKillProcess}}},
			&specs.LinuxSeccomp{DefaultAction: specs.ActKillProcess, Architectures: []specs.Arch{specs.ArchX86_64}, Syscalls: []specs.LinuxSyscall{
				{Names: []string{"read"}, Action: specs.ActAllow}}},
			[]string{"ENOSYS above (runc's stub, x86_64): prctl (157) vs none"}},
		{"kill-process is not kill-thread",
			&specs.LinuxSeccomp{DefaultAction: specs.ActKillProcess}, &specs.LinuxSeccomp{DefaultAction: specs.ActKill},
			[]string{"default action: kill-process vs kill-thread"}},
		{"architectures",
			&specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Architectures: []specs.Arch{specs.ArchX86_64}},
			&specs.LinuxSeccomp{DefaultAction: specs.ActAllow},
			[]string{"architectures: [SCMP_ARCH_X86_64] vs none"}},
		{"flags",
			&specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Flags: []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagLog}},
			&specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Flags: []specs.LinuxSeccompFlag{}},
			[]string{"flags: [SECCOMP_FILTER_FLAG_LOG] vs none"}},
		{"listener",
			&specs.LinuxSeccomp{DefaultAction: specs.ActAllow, ListenerPath: "/run/a.sock", ListenerMetadata: "m"},
			&specs.LinuxSeccomp{DefaultAction: specs.ActAllow},
			[]string{`listenerPath: "/run/a.sock" vs ""`, `listenerMetadata: "m" vs ""`}},
		{"conditions on different indexes are ANDed, on one index ORed",
			base(specs.LinuxSyscall{Names: []string{"socket"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{arg(0, 1), arg(1, 2)}}),
			base(specs.LinuxSyscall{Names: []string{"socket"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{arg(0, 1), arg(0, 2)}}),
			[]string{"socket: errno(EPERM) when arg0 == 1 && arg1 == 2; otherwise allow vs errno(EPERM) when arg0 == 1; errno(EPERM) when arg0 == 2; otherwise allow"}},
		{"one profile absent", &specs.LinuxSeccomp{DefaultAction: specs.ActAllow}, nil, []string{"seccomp: present vs none"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Equal(tt.a, tt.b)
			var diff *DiffError
			if !errors.As(err, &diff) {
				t.Fatalf("Equal = %v, want a *DiffError", err)
			}
			if got := strings.Join(diff.Diffs, "\n"); got != strings.Join(tt.want, "\n") {
				t.Errorf("differences:\n%s\nwant:\n%s", got, strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestEqualErrorText(t *testing.T) {
	a := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow}
	b := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow}
	for i := range 12 {
		a.Syscalls = append(a.Syscalls, specs.LinuxSyscall{Names: []string{fmt.Sprintf("sys%02d", i)}, Action: specs.ActErrno})
	}
	err := Equal(a, b)
	if err == nil {
		t.Fatal("no difference found")
	}
	lines := strings.Split(err.Error(), "\n")
	if lines[0] != "profiles differ in 12 places:" || len(lines) != 12 || lines[11] != "\t… and 2 more" || lines[1] != "\tsys00: errno(EPERM) vs allow" {
		t.Errorf("error text:\n%s", err)
	}
	one := Equal(&specs.LinuxSeccomp{DefaultAction: specs.ActAllow}, &specs.LinuxSeccomp{DefaultAction: specs.ActLog})
	if one == nil || one.Error() != "profiles differ in 1 place:\n\tdefault action: allow vs log" {
		t.Errorf("error text: %v", one)
	}
}

func TestEqualInvalid(t *testing.T) {
	valid := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow}
	tests := []struct {
		name string
		s    *specs.LinuxSeccomp
		want string
	}{
		{"unknown action", &specs.LinuxSeccomp{DefaultAction: "SCMP_ACT_DENY"}, `reading the second profile: defaultAction: unknown seccomp action "SCMP_ACT_DENY"`},
		{"errno 0", &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Names: []string{"x"}, Action: specs.ActErrno, ErrnoRet: testutil.Errno(0)}}}, "syscalls[0]: errno(0)"},
		{"arg index", &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Names: []string{"x"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{{Index: 6, Op: specs.OpEqualTo}}}}}, "syscalls[0].args[0]: argument index 6"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Equal(valid, tt.s)
			var diff *DiffError
			if err == nil || errors.As(err, &diff) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Equal = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
