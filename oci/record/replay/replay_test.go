package replay

import (
	"slices"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// TestStrict: the replay's profile kills by default and reports (errno
// rules that become notifications) every syscall the recorded profile
// names in no rule; a syscall it allows under conditions keeps the kill
// for the rest, and without read and write allowed (the listener's
// handover) nothing is reported.
func TestStrict(t *testing.T) {
	rec := &specs.LinuxSeccomp{
		DefaultAction: specs.ActErrno,
		Syscalls: []specs.LinuxSyscall{
			{Names: []string{"read", "write", "exit_group"}, Action: specs.ActAllow},
			{Names: []string{"ioctl"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{{Index: 1, Value: 0x5401, Op: specs.OpEqualTo}}},
		},
	}
	strict, reported := Strict(rec)
	if !reported || strict.DefaultAction != specs.ActKillProcess || strict.DefaultErrnoRet != nil {
		t.Fatalf("reported %v, default %s", reported, strict.DefaultAction)
	}
	if len(strict.Syscalls) != 3 || !slices.Equal(strict.Syscalls[0].Names, rec.Syscalls[0].Names) {
		t.Fatalf("rules %+v", strict.Syscalls)
	}
	extra := strict.Syscalls[2]
	if extra.Action != specs.ActErrno || extra.ErrnoRet == nil || *extra.ErrnoRet != 1 {
		t.Errorf("the reported rule: %+v", extra)
	}
	for _, n := range []string{"mkdir", "getdents64", "uname"} {
		if !slices.Contains(extra.Names, n) {
			t.Errorf("%s is not reported", n)
		}
	}
	for _, n := range []string{"read", "write", "exit_group", "ioctl"} {
		if slices.Contains(extra.Names, n) {
			t.Errorf("%s, which the profile names, is reported", n)
		}
	}
	if rec.DefaultAction != specs.ActErrno || len(rec.Syscalls) != 2 {
		t.Error("Strict changed the recorded profile")
	}

	rec.Syscalls[0].Names = []string{"read", "exit_group"}
	strict, reported = Strict(rec)
	if reported || len(strict.Syscalls) != 2 || strict.DefaultAction != specs.ActKillProcess {
		t.Errorf("without write: reported %v, %d rules, default %s", reported, len(strict.Syscalls), strict.DefaultAction)
	}
}
