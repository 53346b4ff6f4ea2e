package runtimes

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func TestTables(t *testing.T) {
	if len(All()) == 0 {
		t.Fatal("no runtime measured")
	}
	for _, r := range All() {
		if r.Name == "" || r.Version == "" || r.Kernel == "" || r.Arch == "" {
			t.Errorf("%+v: a table must say what it was measured on", r)
		}
		for _, ph := range Phases {
			needs := r.Phase(ph)
			if len(needs) == 0 {
				t.Errorf("%s: %s needs nothing", r, ph)
			}
			if !slices.IsSortedFunc(needs, func(a, b Need) int { return strings.Compare(a.Syscall, b.Syscall) }) {
				t.Errorf("%s: %s is not sorted by syscall", r, ph)
			}
			for _, n := range needs {
				if n.Errno && !n.Kill || n.Error == "" {
					t.Errorf("%s: %s: %+v", r, ph, n)
				}
			}
		}
		got, err := Lookup(r.Name, r.Version)
		if err != nil || got != r {
			t.Errorf("Lookup(%q, %q) = %v, %v", r.Name, r.Version, got, err)
		}
	}
	if d := Default(); d == nil || d.Name != "runc" {
		t.Errorf("Default() = %v", d)
	}
	if _, err := Lookup("runc", "0.0.1"); !errors.Is(err, ErrNotMeasured) {
		t.Errorf("Lookup of an unmeasured release: %v", err)
	}
}

func TestCompareVersions(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"1.1.5", "1.1.5", 0},
		{"1.1.5", "1.1.10", -1},
		{"1.2.0", "1.1.15", 1},
		{"1.1.5+ds1", "1.1.5", 1},
		{"1.3.0-rc.1", "1.2.9", 1},
	} {
		if got := compareVersions(tc.a, tc.b); got != tc.want {
			t.Errorf("compareVersions(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestConflicts(t *testing.T) {
	rt := &Runtime{Name: "runc", Version: "test", Needs: map[Phase][]Need{
		RuncNoNewPrivileges: {
			{Syscall: "openat", Errno: true, Kill: true, Error: "open exec fifo: operation not permitted"},
			{Syscall: "getpid", Kill: true, Sometimes: true, Error: "killed by signal 31"},
			{Syscall: "clone3", Errno: true, Kill: true, ENOSYSFallback: true, Error: "pthread_create failed: Operation not permitted"},
		},
	}}
	eperm := uint(1)
	enosys := uint(unix.ENOSYS)
	eagain := uint(unix.EAGAIN)
	clone3 := func(act specs.LinuxSeccompAction, ret *uint) *specs.LinuxSeccomp {
		return &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Names: []string{"clone3"}, Action: act, ErrnoRet: ret}}}
	}
	for _, tc := range []struct {
		name string
		p    *specs.LinuxSeccomp
		want []string // Conflict.String() of each
	}{
		{"allow all", &specs.LinuxSeccomp{DefaultAction: specs.ActAllow}, nil},
		{"errno on a call runc survives only being killed for", &specs.LinuxSeccomp{DefaultAction: specs.ActAllow,
			Syscalls: []specs.LinuxSyscall{{Names: []string{"getpid"}, Action: specs.ActErrno, ErrnoRet: &eperm}}}, nil},
		{"errno on openat", &specs.LinuxSeccomp{DefaultAction: specs.ActAllow,
			Syscalls: []specs.LinuxSyscall{{Names: []string{"openat"}, Action: specs.ActErrno, ErrnoRet: &eperm}}},
			[]string{`openat: the profile gives errno(EPERM); runc with noNewPrivileges true calls it after loading the filter and fails: "open exec fifo: operation not permitted"`}},
		{"a killing default", &specs.LinuxSeccomp{DefaultAction: specs.ActKillProcess,
			Syscalls: []specs.LinuxSyscall{{Names: []string{"openat", "clone3"}, Action: specs.ActAllow}}},
			[]string{`getpid: the profile gives kill-process (the default action); runc with noNewPrivileges true calls it after loading the filter and can fail: "killed by signal 31"`}},
		// The caller falls back from clone3 to clone on ENOSYS (measured),
		// and only on ENOSYS.
		{"ENOSYS on a call with a fallback", clone3(specs.ActErrno, &enosys), nil},
		{"EPERM on a call with a fallback", clone3(specs.ActErrno, &eperm),
			[]string{`clone3: the profile gives errno(EPERM); runc with noNewPrivileges true calls it after loading the filter and fails: "pthread_create failed: Operation not permitted"`}},
		{"another errno on a call with a fallback", clone3(specs.ActErrno, &eagain),
			[]string{`clone3: the profile gives errno(EAGAIN); runc with noNewPrivileges true calls it after loading the filter and fails: "pthread_create failed: Operation not permitted"`}},
		{"trace on a call with a fallback", clone3(specs.ActTrace, &enosys),
			[]string{`clone3: the profile gives trace(38); runc with noNewPrivileges true calls it after loading the filter and fails: "pthread_create failed: Operation not permitted"`}},
		{"a killing default on a call with a fallback", &specs.LinuxSeccomp{DefaultAction: specs.ActKillProcess,
			Syscalls: []specs.LinuxSyscall{{Names: []string{"openat", "getpid"}, Action: specs.ActAllow}}},
			[]string{`clone3: the profile gives kill-process (the default action); runc with noNewPrivileges true calls it after loading the filter and fails: "pthread_create failed: Operation not permitted"`}},
		{"an ENOSYS default on a call with a fallback", &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, DefaultErrnoRet: &enosys,
			Syscalls: []specs.LinuxSyscall{{Names: []string{"openat", "getpid"}, Action: specs.ActAllow}}}, nil},
		{"a condition", &specs.LinuxSeccomp{DefaultAction: specs.ActAllow,
			Syscalls: []specs.LinuxSyscall{{Names: []string{"openat"}, Action: specs.ActErrno, ErrnoRet: &eperm,
				Args: []specs.LinuxSeccompArg{{Index: 0, Value: 1, Op: specs.OpEqualTo}}}}},
			[]string{`openat: the profile gives errno(EPERM) when arg0 == 1; runc with noNewPrivileges true calls it after loading the filter and fails: "open exec fifo: operation not permitted"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cs, err := rt.Conflicts(tc.p, RuncNoNewPrivileges)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range cs {
				got = append(got, c.String())
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %q\nwant %q", got, tc.want)
			}
		})
	}
}
