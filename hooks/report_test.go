package hooks

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/oci-sbx/oci-sbx/convert"
	"github.com/oci-sbx/oci-sbx/internal/testutil"
)

func TestReportTo(t *testing.T) {
	in := &specs.LinuxSeccomp{
		DefaultAction:   specs.ActErrno,
		DefaultErrnoRet: testutil.Errno(unix.ENOSYS),
		Architectures:   []specs.Arch{specs.ArchX86_64},
		Flags:           []specs.LinuxSeccompFlag{},
		Syscalls: []specs.LinuxSyscall{
			{Names: []string{"exit_group"}, Action: specs.ActAllow},
			{Names: []string{"read"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{{Index: 0, Value: 99, Op: specs.OpEqualTo}}},
			{Names: []string{"openat", "write"}, Action: specs.ActErrno}, // EPERM by default
			{Names: []string{"connect"}, Action: specs.ActErrno, ErrnoRet: testutil.Errno(unix.ECONNREFUSED)},
			{Names: []string{"socket"}, Action: specs.ActErrno, ErrnoRet: testutil.Errno(unix.EACCES),
				Args: []specs.LinuxSeccompArg{{Index: 0, Value: unix.AF_INET, Op: specs.OpEqualTo}}},
			{Names: []string{"mkdir"}, Action: specs.ActErrno, ErrnoRet: testutil.Errno(unix.EROFS),
				Args: []specs.LinuxSeccompArg{{Index: 1, Value: 0o777, Op: specs.OpEqualTo}}},
			{Names: []string{"mkdir"}, Action: specs.ActErrno, ErrnoRet: testutil.Errno(unix.EACCES)},
			{Names: []string{"ptrace"}, Action: specs.ActKillProcess},
		},
	}
	orig := testutil.Rules(in)
	out, notes, err := ReportTo(in, "/run/agent.sock")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"[exit_group]:SCMP_ACT_ALLOW",
		"[read]:SCMP_ACT_ERRNO [{0 99 0 SCMP_CMP_EQ}]",
		"[write]:SCMP_ACT_ERRNO",
		"[openat]:SCMP_ACT_NOTIFY",
		"[connect]:SCMP_ACT_NOTIFY",
		"[socket]:SCMP_ACT_NOTIFY [{0 2 0 SCMP_CMP_EQ}]", // conditions stay
		"[mkdir]:SCMP_ACT_ERRNO(30) [{1 511 0 SCMP_CMP_EQ}]",
		"[mkdir]:SCMP_ACT_ERRNO(13)",
		"[ptrace]:SCMP_ACT_KILL_PROCESS",
	}
	if d := cmp.Diff(want, testutil.Rules(out)); d != "" {
		t.Errorf("rules (-want +got):\n%s", d)
	}
	if out.ListenerPath != "/run/agent.sock" || out.ListenerMetadata != `{"errnos":{"connect":111,"openat":1,"socket":13}}` {
		t.Errorf("listenerPath %q, listenerMetadata %q", out.ListenerPath, out.ListenerMetadata)
	}
	if out.DefaultAction != specs.ActErrno || *out.DefaultErrnoRet != uint(unix.ENOSYS) || out.Flags == nil || len(out.Architectures) != 1 {
		t.Errorf("the rest of the profile changed: %+v", out)
	}
	if d := cmp.Diff(orig, testutil.Rules(in)); d != "" {
		t.Errorf("ReportTo changed its input:\n%s", d)
	}
	wantNotes := []string{
		"denials by the default action (errno ENOSYS) are not reported",
		"denials of read and write are not reported",
		"denials of mkdir are not reported: their rules return different errnos",
	}
	if len(notes) != len(wantNotes) {
		t.Fatalf("notes %q", notes)
	}
	for i, n := range wantNotes {
		if !strings.HasPrefix(notes[i], n) {
			t.Errorf("note %d = %q, want it to start %q", i, notes[i], n)
		}
	}

	// The agent answers each call as the profile did.
	m, err := ParseMetadata(out.ListenerMetadata)
	if err != nil {
		t.Fatal(err)
	}
	for name, e := range map[string]unix.Errno{"openat": unix.EPERM, "connect": unix.ECONNREFUSED, "socket": unix.EACCES, "unknown": unix.EPERM} {
		if got := m.Errno(name); got != e {
			t.Errorf("Errno(%s) = %v, want %v", name, got, e)
		}
	}

	// The result is a profile runc and convert read.
	if err := convert.Equal(out, out); err != nil {
		t.Errorf("the result does not compare with itself: %v", err)
	}
}

func TestReportToRefuses(t *testing.T) {
	deny := specs.LinuxSyscall{Names: []string{"connect"}, Action: specs.ActErrno}
	for _, tc := range []struct {
		name   string
		s      *specs.LinuxSeccomp
		socket string
		want   error
		msg    string
	}{
		{"relative socket", &specs.LinuxSeccomp{DefaultAction: specs.ActAllow}, "agent.sock", nil, "must be an absolute path"},
		{"listenerPath set", &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, ListenerPath: "/other"}, "/a", ErrReportConflict, `listenerPath "/other"`},
		{"notify rule", &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{deny, {Names: []string{"bind"}, Action: specs.ActNotify}}}, "/a", ErrReportConflict, "a notify rule for bind"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := ReportTo(tc.s, tc.socket)
			if err == nil || tc.want != nil && !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %v, want %v containing %q", err, tc.want, tc.msg)
			}
		})
	}
}

func TestReportToNothing(t *testing.T) {
	s := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{
		{Names: []string{"ptrace"}, Action: specs.ActKillProcess},
		{Names: []string{"mkdir"}, Action: specs.ActErrno, ErrnoRet: testutil.Errno(0)}, // "success" without running
	}}
	out, notes, err := ReportTo(s, "/a")
	if err != nil {
		t.Fatal(err)
	}
	if out.ListenerPath != "" || out.ListenerMetadata != "" || !cmp.Equal(testutil.Rules(out), testutil.Rules(s)) {
		t.Errorf("changed a profile with nothing to report: %+v", out)
	}
	if len(notes) != 2 || !strings.Contains(notes[0], "calls of mkdir are not reported: errno 0") || notes[1] != "the profile has no errno rules to report" {
		t.Errorf("notes %q", notes)
	}
}

func TestParseMetadata(t *testing.T) {
	for _, bad := range []string{"", "{", `{"errnos":{"openat":0}}`, `{"errnos":{"openat":-1}}`, `{"errno":{}}`, `["x"]`} {
		if _, err := ParseMetadata(bad); err == nil {
			t.Errorf("ParseMetadata(%q) succeeded", bad)
		}
	}
	var none *Metadata
	if none.Errno("openat") != unix.EPERM {
		t.Error("no metadata does not answer EPERM")
	}
}

func TestReportLate(t *testing.T) {
	demo := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Flags: []specs.LinuxSeccompFlag{}, Syscalls: []specs.LinuxSyscall{
		{Names: []string{"openat", "connect"}, Action: specs.ActErrno, ErrnoRet: testutil.Errno(unix.EPERM)},
		{Names: []string{"ptrace"}, Action: specs.ActKillProcess},
	}}
	// What a split gives runc: openat let through for runc itself.
	early := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Flags: []specs.LinuxSeccompFlag{}, Syscalls: []specs.LinuxSyscall{
		{Names: []string{"connect"}, Action: specs.ActErrno, ErrnoRet: testutil.Errno(unix.EPERM)},
		{Names: []string{"ptrace"}, Action: specs.ActKillProcess},
	}}
	e, l, notes, err := ReportLate(early, demo, LateAgentSocket)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"[connect]:SCMP_ACT_ALLOW", "[ptrace]:SCMP_ACT_KILL_PROCESS"}, testutil.Rules(e)); d != "" {
		t.Errorf("early (-want +got):\n%s", d)
	}
	if e.ListenerPath != "" || e.ListenerMetadata != "" {
		t.Errorf("the early profile notifies: %q %q", e.ListenerPath, e.ListenerMetadata)
	}
	if d := cmp.Diff([]string{"[openat connect]:SCMP_ACT_NOTIFY", "[ptrace]:SCMP_ACT_KILL_PROCESS"}, testutil.Rules(l)); d != "" {
		t.Errorf("late (-want +got):\n%s", d)
	}
	if l.ListenerPath != LateAgentSocket || l.ListenerMetadata != `{"errnos":{"connect":1,"openat":1}}` {
		t.Errorf("late listener %q %q", l.ListenerPath, l.ListenerMetadata)
	}
	if len(notes) != 0 {
		t.Errorf("notes %q", notes)
	}
	if d := cmp.Diff([]string{"[connect]:SCMP_ACT_ERRNO(1)", "[ptrace]:SCMP_ACT_KILL_PROCESS"}, testutil.Rules(early)); d != "" {
		t.Errorf("ReportLate changed its input:\n%s", d)
	}
}
