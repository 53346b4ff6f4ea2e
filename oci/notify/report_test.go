package notify

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/oci-sbx/oci-sbx/internal/testutil"
)

// TestForReport is the one policy for turning errno rules into notify
// rules, for `exec --report` and the agent alike.
func TestForReport(t *testing.T) {
	in := &specs.LinuxSeccomp{
		DefaultAction: specs.ActErrno, // EPERM: not reportable
		Flags:         []specs.LinuxSeccompFlag{},
		Syscalls: []specs.LinuxSyscall{
			{Names: []string{"exit_group", "openat"}, Action: specs.ActAllow},
			{Names: []string{"write", "connect"}, Action: specs.ActErrno, ErrnoRet: testutil.Errno(unix.EIO)},
			{Names: []string{"read"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{{Index: 0, Value: 99, Op: specs.OpEqualTo}}},
			{Names: []string{"socket"}, Action: specs.ActErrno, ErrnoRet: testutil.Errno(unix.EACCES),
				Args: []specs.LinuxSeccompArg{{Index: 0, Value: unix.AF_INET, Op: specs.OpEqualTo}}},
			{Names: []string{"mkdirat"}, Action: specs.ActErrno, ErrnoRet: testutil.Errno(unix.EACCES)},
			{Names: []string{"mkdirat"}, Action: specs.ActErrno, ErrnoRet: testutil.Errno(unix.EROFS)},
			{Names: []string{"sync", "getppid"}, Action: specs.ActErrno, ErrnoRet: testutil.Errno(0)},
			{Names: []string{"ptrace"}, Action: specs.ActKillProcess},
		},
	}
	before := testutil.Rules(in)
	r, err := ForReport(in)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"[exit_group openat]:SCMP_ACT_ALLOW",
		"[write]:SCMP_ACT_ERRNO(5)",
		"[connect]:SCMP_ACT_NOTIFY",
		"[read]:SCMP_ACT_ERRNO [{0 99 0 SCMP_CMP_EQ}]",
		"[socket]:SCMP_ACT_NOTIFY [{0 2 0 SCMP_CMP_EQ}]", // conditions stay
		"[mkdirat]:SCMP_ACT_ERRNO(13)",
		"[mkdirat]:SCMP_ACT_ERRNO(30)",
		"[sync getppid]:SCMP_ACT_ERRNO(0)",
		"[ptrace]:SCMP_ACT_KILL_PROCESS",
	}
	if d := cmp.Diff(want, testutil.Rules(r.Profile)); d != "" {
		t.Errorf("rules (-want +got):\n%s", d)
	}
	if d := cmp.Diff(Errnos{"connect": uint(unix.EIO), "socket": uint(unix.EACCES)}, r.Errnos); d != "" {
		t.Errorf("errnos (-want +got):\n%s", d)
	}
	wantNotes := []string{
		"denials by the default action (errno EPERM) are not reported: runc cannot use notify for the default action",
		"denials of read and write are not reported: the listener is handed over with write and read (and runc refuses notify for write)",
		"denials of mkdirat are not reported: their rules return different errnos, which a listener could not tell apart",
		"calls of getppid, sync are not reported: errno 0 makes them return 0 without running, a success a listener never reports",
	}
	if d := cmp.Diff(wantNotes, r.Notes); d != "" {
		t.Errorf("notes (-want +got):\n%s", d)
	}
	if d := cmp.Diff(before, testutil.Rules(in)); d != "" {
		t.Errorf("ForReport changed its input:\n%s", d)
	}
	if r.Profile.Flags == nil || r.Profile.ListenerPath != "" {
		t.Errorf("the rest of the profile changed: %+v", r.Profile)
	}

	// The listener answers with those errnos, and EPERM for anything else.
	for name, e := range map[string]unix.Errno{"connect": unix.EIO, "socket": unix.EACCES, "getppid": unix.EPERM, "other": unix.EPERM} {
		if got := r.Errnos.Answer(name); got != e {
			t.Errorf("Answer(%s) = %v, want %v", name, got, e)
		}
	}
	if got := (Errnos{"x": 0}).Answer("x"); got != unix.EPERM {
		t.Errorf("Answer of errno 0 = %v, want EPERM", got)
	}
}

func TestForReportNothing(t *testing.T) {
	in := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Names: []string{"ptrace"}, Action: specs.ActKillProcess}}}
	r, err := ForReport(in)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Errnos) != 0 || !cmp.Equal(testutil.Rules(r.Profile), testutil.Rules(in)) || len(r.Notes) != 1 || r.Notes[0] != "the profile has no errno rules to report" {
		t.Errorf("%+v", r)
	}
}

func TestForReportRefuses(t *testing.T) {
	for name, s := range map[string]*specs.LinuxSeccomp{
		"listenerPath":   {DefaultAction: specs.ActAllow, ListenerPath: "/other"},
		"notify rule":    {DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Names: []string{"bind"}, Action: specs.ActNotify}}},
		"notify default": {DefaultAction: specs.ActNotify},
	} {
		if _, err := ForReport(s); !errors.Is(err, ErrReportConflict) || !strings.HasPrefix(err.Error(), "reporting denials: ") {
			t.Errorf("%s: %v", name, err)
		}
	}
}
