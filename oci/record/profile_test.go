package record

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert"
	"github.com/oci-sbx/oci-sbx/convert/filter"
	"github.com/oci-sbx/oci-sbx/internal/testutil"
)

func golden(t *testing.T, name, got string) {
	t.Helper()
	testutil.Golden(t, filepath.Join("testdata", name), []byte(got))
}

func nr(t *testing.T, arch, name string) uint32 {
	t.Helper()
	n, err := filter.Syscall(arch, name)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestProfileGolden: what a recording becomes, as a person reads it —
// the header, arguments as masked compares with their names in the
// comments, per-architecture notes, pointers that hide values, the cap on
// distinct values, and a base's rules kept, its deny of a needed call
// replaced. The profile reads back and compiles.
func TestProfileGolden(t *testing.T) {
	rec := NewRecording()
	add := func(arch, name string, n int, exe string, args ...uint64) {
		var a [6]uint64
		copy(a[:], args)
		for range n {
			rec.Add(arch, nr(t, arch, name), a, exe)
		}
	}
	add("x86_64", "read", 10, "/bin/a")
	add("x86_64", "read", 3, "/bin/b")
	add("x86", "read", 1, "/bin/b")
	add("x86_64", "socket", 2, "/bin/a", 1, 1|0x80000) // AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC
	add("x86_64", "socket", 1, "/bin/a", 2, 2)         // AF_INET, SOCK_DGRAM
	add("x86_64", "clone", 4, "/bin/a", 0x3d0f00)      // a thread: no namespace
	add("x86_64", "clone", 1, "/bin/a", 0x10000000|17) // CLONE_NEWUSER
	add("x86_64", "clone3", 2, "/bin/a")
	add("x86_64", "io_uring_setup", 1, "/bin/a", 8)
	add("x86", "socketcall", 1, "/bin/b", 1)
	add("x86_64", "prctl", 1, "/bin/a", 15) // allowed by the base in the same words: once
	add("x86_64", "prctl", 1, "/bin/a", 38) // PR_SET_NO_NEW_PRIVS: new
	add("x86_64", "ptrace", 1, "/bin/a")
	for i := range maxValues + 6 {
		add("x86_64", "ioctl", 1, "/bin/c", 3, uint64(0x5400+i))
	}
	rec.Add("x86_64", 999, [6]uint64{}, "/bin/c")

	base, err := NewBase(readProfile(t, `default: errno(EPERM)
architectures: [x86_64]
rules:
  - {action: allow, syscalls: [write]}
  - {action: errno(EACCES), syscalls: [ptrace, kcmp]}
  - {action: allow, syscalls: [prctl], when: ["arg0 & 0xffffffff == 15"]}
`))
	if err != nil {
		t.Fatal(err)
	}
	p, notes, err := Profile(rec, base)
	if err != nil {
		t.Fatal(err)
	}
	h := Header{
		Command: []string{"/bin/a", "--flag", "it's"}, Kernel: "Linux 6.18 x86_64", Date: "2026-01-02T03:04:05Z",
		Version: "test", Base: "base.yaml", Status: "exit status 0",
		Leftovers: []Process{{Pid: 42, Comm: "d", Exe: "/bin/d"}}, Notes: notes, Arches: observedArches(rec),
	}
	text := h.String() + p.String()
	golden(t, "profile.yaml", text)
	s, err := convert.Read("profile.yaml", []byte(text), convert.Rules, convert.Options{Warn: func(m string) { t.Log(m) }})
	if err != nil {
		t.Fatalf("the profile does not read back: %v", err)
	}
	if len(s.Architectures) != 2 {
		t.Errorf("architectures %v", s.Architectures)
	}
	if got := fmt.Sprint(s.DefaultAction); got != "SCMP_ACT_ERRNO" {
		t.Errorf("default %s", got)
	}
}

// TestProfileRefusesAllowingBase: adding allows to a base that allows by
// default would mean nothing.
func TestProfileRefusesAllowingBase(t *testing.T) {
	base, err := NewBase(readProfile(t, "default: allow\nrules: [{action: errno(EPERM), syscalls: [ptrace]}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := Profile(NewRecording(), base); err == nil {
		t.Fatal("no error")
	}
}

// TestCheckStart: a recording written for an engine is checked as
// convert checks engine output: a profile runc cannot start under is
// alerted about (even when notes are not wanted), rules are not.
func TestCheckStart(t *testing.T) {
	denyAll := &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Architectures: []specs.Arch{}, Flags: []specs.LinuxSeccompFlag{}}
	for _, tc := range []struct {
		format convert.Format
		alert  bool
	}{{convert.OCI, true}, {convert.Docker, true}, {convert.Rules, false}} {
		var alerts []string
		if err := checkStart(denyAll, Options{Format: tc.format, Alert: func(m string) { alerts = append(alerts, m) }}); err != nil {
			t.Fatal(err)
		}
		if got := len(alerts) > 0 && strings.Contains(alerts[0], "runc-cannot-start"); got != tc.alert {
			t.Errorf("%s: alerts %q, want runc-cannot-start: %v", tc.format, alerts, tc.alert)
		}
	}
}
