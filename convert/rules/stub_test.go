package rules

import (
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert/syscalls"
)

// A rule with the default action is dropped from the compiled profile
// only where it does not set the bound of runc's ENOSYS stub.
func TestStubBoundKept(t *testing.T) {
	if syscalls.NativeArch() != "x86_64" {
		t.Skip("the syscall numbers are worked out for an x86_64 host")
	}
	for _, tc := range []struct {
		src  string
		kept string // the names of the default-action rule, "" for none
	}{
		{"default: kill-thread\nrules:\n  - {action: allow, syscalls: [read]}\n  - {action: kill-thread, syscalls: [prctl]}\n", "prctl"},
		{"default: kill-thread\nrules:\n  - {action: allow, syscalls: [prctl]}\n  - {action: kill-thread, syscalls: [read]}\n", ""},
		{"default: errno(ENOSYS)\nrules:\n  - {action: allow, syscalls: [read]}\n  - {action: errno(ENOSYS), syscalls: [prctl]}\n", ""},
		{"default: allow\nrules:\n  - {action: errno(EPERM), syscalls: [read]}\n  - {action: allow, syscalls: [prctl]}\n", ""},
	} {
		var warns []string
		s, err := compileString(t, tc.src, CompileOptions{Warn: func(e *Error) { warns = append(warns, e.Msg) }})
		if err != nil {
			t.Fatal(err)
		}
		var kept []string
		for _, sc := range s.Syscalls {
			if sc.Action == s.DefaultAction {
				kept = append(kept, sc.Names...)
			}
		}
		if got := strings.Join(kept, " "); got != tc.kept {
			t.Errorf("%s: default-action rule for %q, want %q", tc.src, got, tc.kept)
		}
		if tc.kept != "" && strings.Contains(strings.Join(warns, "\n"), "changes nothing") {
			t.Errorf("%s: says the rule that sets the stub changes nothing: %q", tc.src, warns)
		}
	}
}

// A call libseccomp multiplexes counts nothing toward runc's stub there,
// and a rule for it above the bound is named in a warning.
func TestStubMultiplexed(t *testing.T) {
	if syscalls.NativeArch() != "x86_64" {
		t.Skip("the syscall numbers are worked out for an x86_64 host")
	}
	s := &specs.LinuxSeccomp{DefaultAction: specs.ActKillProcess, Architectures: []specs.Arch{specs.ArchX86_64, specs.ArchX86},
		Syscalls: []specs.LinuxSyscall{{Names: []string{"mmap", "socket"}, Action: specs.ActAllow}}}
	b := StubBounds(s)
	if b["x86"].Name != "mmap" || b["x86_64"].Name != "socket" {
		t.Errorf("bounds %v, want mmap on x86 and socket on x86_64", b)
	}
	var warns []string
	p, err := FromSeccomp(s)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Compile(CompileOptions{Warn: func(e *Error) { warns = append(warns, e.Msg) }}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(warns, "\n"), "on x86 runc answers socket with ENOSYS") {
		t.Errorf("no warning names socket on x86: %q", warns)
	}
}
