package rules

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oci-sbx/oci-sbx/internal/testutil"
	"github.com/opencontainers/runtime-spec/specs-go"
)

func compileString(t *testing.T, src string, opt CompileOptions) (*specs.LinuxSeccomp, error) {
	t.Helper()
	p, err := Parse("t.yaml", []byte(src))
	if err != nil {
		return nil, err
	}
	return p.Compile(opt)
}

func TestCompile(t *testing.T) {
	u := func(v uint) *uint { return &v }
	tests := []struct {
		name string
		src  string
		want specs.LinuxSeccomp
	}{
		{
			name: "demo",
			src:  "default: allow\nrules:\n  - action: errno(EPERM)\n    syscalls: [openat, connect]\n",
			want: specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{
				{Names: []string{"connect", "openat"}, Action: specs.ActErrno, ErrnoRet: u(1)},
			}},
		},
		{
			name: "kill means kill-process and errno numbers",
			src:  "default: errno(38)\nrules:\n  - {action: kill, syscalls: ptrace}\n  - {action: allow, syscalls: [read]}\n",
			want: specs.LinuxSeccomp{DefaultAction: specs.ActErrno, DefaultErrnoRet: u(38), Syscalls: []specs.LinuxSyscall{
				{Names: []string{"ptrace"}, Action: specs.ActKillProcess},
				{Names: []string{"read"}, Action: specs.ActAllow},
			}},
		},
		{
			name: "conditions with constants and masks",
			src: `default: errno(EPERM)
architectures: [x86_64]
rules:
  - action: allow
    syscalls: [socket]
    when: ["arg0 == AF_UNIX", "arg1 & 0xf == SOCK_STREAM"]
`,
			want: specs.LinuxSeccomp{DefaultAction: specs.ActErrno, DefaultErrnoRet: u(1), Architectures: []specs.Arch{specs.ArchX86_64},
				Syscalls: []specs.LinuxSyscall{{Names: []string{"socket"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{
					{Index: 0, Value: 1, Op: specs.OpEqualTo},
					{Index: 1, Value: 0xf, ValueTwo: 1, Op: specs.OpMaskedEqual},
				}}}},
		},
		{
			name: "same-argument masks merge into one exact condition",
			src:  "default: allow\nrules:\n  - action: errno(EACCES)\n    syscalls: [openat]\n    when: [\"arg2 & O_ACCMODE == O_WRONLY\", \"arg2 & O_CREAT == O_CREAT\"]\n",
			want: specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Names: []string{"openat"}, Action: specs.ActErrno, ErrnoRet: u(13),
				Args: []specs.LinuxSeccompArg{{Index: 2, Value: 0x43, ValueTwo: 0x41, Op: specs.OpMaskedEqual}}}}},
		},
		{
			name: "same-direction bounds keep the tighter",
			src:  "default: allow\nrules:\n  - action: errno(EPERM)\n    syscalls: [dup2]\n    when: [\"arg1 >= 3\", \"arg1 > 10\"]\n",
			want: specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Names: []string{"dup2"}, Action: specs.ActErrno, ErrnoRet: u(1),
				Args: []specs.LinuxSeccompArg{{Index: 1, Value: 10, Op: specs.OpGreaterThan}}}}},
		},
		{
			name: "uint64 values survive",
			src:  "default: allow\nrules:\n  - action: errno(EPERM)\n    syscalls: [ioctl]\n    when: [\"arg1 == 18446744073709551516\", \"arg0 == -1\"]\n",
			want: specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Names: []string{"ioctl"}, Action: specs.ActErrno, ErrnoRet: u(1),
				Args: []specs.LinuxSeccompArg{{Index: 1, Value: 18446744073709551516, Op: specs.OpEqualTo}, {Index: 0, Value: 1<<64 - 1, Op: specs.OpEqualTo}}}}},
		},
		{
			name: "a rule equal to the default is dropped",
			src:  "default: allow\nflags: [SECCOMP_FILTER_FLAG_LOG]\nrules:\n  - {action: allow, syscalls: [read]}\n",
			want: specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Flags: []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagLog}},
		},
		{
			name: "group resolved for aarch64 leaves out open",
			src:  "default: allow\narchitectures: [aarch64]\nrules:\n  - {action: errno(EPERM), syscalls: [\"@io-uring\"]}\n",
			want: specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Architectures: []specs.Arch{specs.ArchAARCH64}, Syscalls: []specs.LinuxSyscall{
				{Names: []string{"io_uring_enter", "io_uring_register", "io_uring_setup"}, Action: specs.ActErrno, ErrnoRet: u(1)},
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := compileString(t, tt.src, CompileOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if d := diffJSON(t, got, &tt.want); d != "" {
				t.Error(d)
			}
		})
	}
}

func TestGroupAarch64HasNoOpen(t *testing.T) {
	got, err := compileString(t, "default: allow\narchitectures: [aarch64]\nrules:\n  - {action: errno(EPERM), syscalls: [\"@file-open\"]}\n", CompileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	names := strings.Join(got.Syscalls[0].Names, " ")
	if !strings.Contains(names, "openat") || strings.Contains(" "+names+" ", " open ") {
		t.Errorf("@file-open on aarch64 = %s; want openat and no open", names)
	}
}

func TestExtendsOverrides(t *testing.T) {
	u := func(v uint) *uint { return &v }
	base := &specs.LinuxSeccomp{
		DefaultAction: specs.ActErrno, DefaultErrnoRet: u(1), Architectures: []specs.Arch{specs.ArchX86_64},
		Syscalls: []specs.LinuxSyscall{{Names: []string{"read", "ptrace", "write"}, Action: specs.ActAllow}},
	}
	var gotRef string
	opt := CompileOptions{Base: func(ref string, arches []string) (*specs.LinuxSeccomp, error) {
		gotRef = ref
		return base, nil
	}}
	got, err := compileString(t, "extends: docker-default\nrules:\n  - {action: errno(EPERM), syscalls: [ptrace]}\n", opt)
	if err != nil {
		t.Fatal(err)
	}
	if gotRef != "docker-default" {
		t.Errorf("base asked for %q", gotRef)
	}
	// ptrace's errno rule equals the default, so the base's allow simply
	// goes; the rule stays, for runc's ENOSYS stub, which would otherwise
	// answer ptrace, above every other name, with ENOSYS.
	want := &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, DefaultErrnoRet: u(1), Architectures: []specs.Arch{specs.ArchX86_64},
		Syscalls: []specs.LinuxSyscall{{Names: []string{"read", "write"}, Action: specs.ActAllow}, {Names: []string{"ptrace"}, Action: specs.ActErrno, ErrnoRet: u(1)}}}
	if d := diffJSON(t, got, want); d != "" {
		t.Error(d)
	}
}

// TestErrors checks every message a user can get, with its position, in
// one golden file.
func TestErrors(t *testing.T) {
	cases := []struct{ name, src string }{
		{"typo in syscall", "default: allow\nrules:\n  - {action: errno(EPERM), syscalls: [opnat]}\n"},
		{"unknown action", "default: allow\nrules:\n  - {action: deny, syscalls: [openat]}\n"},
		{"action typo", "default: alow\n"},
		{"unknown errno", "default: errno(EPRM)\n"},
		{"errno zero", "default: allow\nrules:\n  - {action: errno(0), syscalls: [openat]}\n"},
		{"unknown architecture", "default: allow\narchitectures: [x86-64]\n"},
		{"unknown constant", "default: allow\nrules:\n  - {action: errno(EPERM), syscalls: [socket], when: [\"arg0 == AF_INTE\"]}\n"},
		{"bad argument index", "default: allow\nrules:\n  - {action: errno(EPERM), syscalls: [socket], when: [\"arg6 == 1\"]}\n"},
		{"runc would OR", "default: allow\nrules:\n  - action: errno(EPERM)\n    syscalls: [socket]\n    when: [\"arg0 >= 2\", \"arg0 <= 10\"]\n"},
		{"unknown group", "default: allow\nrules:\n  - {action: errno(EPERM), syscalls: [\"@fle-open\"]}\n"},
		{"unknown key", "default: allow\nrule:\n  - {action: errno(EPERM), syscalls: [openat]}\n"},
		{"malformed yaml", "default: allow\nrules:\n  - action: [errno(EPERM)\n"},
		{"missing default", "rules: []\n"},
		{"equally strict denials", "default: allow\nrules:\n  - {action: errno(EPERM), syscalls: [\"@file-open\"]}\n  - {action: errno(EACCES), syscalls: [openat]}\n"},
		{"lowering needs two conditions on one argument", "default: errno(EPERM)\nrules:\n  - {action: allow, syscalls: [socket], when: [\"arg1 > 1\"]}\n  - {action: kill, syscalls: [socket], when: [\"arg1 == 5\"]}\n"},
		{"notify on write", "default: allow\nrules:\n  - {action: notify, syscalls: [write]}\n"},
		{"notify default", "default: notify\n"},
		{"several errors", "default: allw\nrules:\n  - {action: errno(EPERM), syscalls: [opnat, conect]}\n  - {syscalls: [read]}\n"},
		{"rule not a mapping", "default: allow\nrules:\n  - openat\n"},
		{"mask bits outside", "default: allow\nrules:\n  - {action: errno(EPERM), syscalls: [openat], when: [\"arg2 & 1 == 2\"]}\n"},
		{"extends without base", "extends: nowhere\n"},
	}
	var out strings.Builder
	for _, c := range cases {
		_, err := compileString(t, c.src, CompileOptions{})
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		var list ErrorList
		if !errors.As(err, &list) {
			t.Errorf("%s: error %T is not an ErrorList", c.name, err)
		}
		for _, e := range list {
			if !e.Pos.IsValid() || e.File != "t.yaml" {
				t.Errorf("%s: error without position: %v", c.name, e)
			}
		}
		out.WriteString("# " + c.name + "\n" + err.Error() + "\n\n")
	}
	testutil.Golden(t, "testdata/errors.golden", []byte(out.String()))
}

// TestRoundTrip checks that a profile prints in rules syntax that parses
// back to the same profile.
func TestRoundTrip(t *testing.T) {
	srcs, _ := filepath.Glob("../../testdata/*.yaml")
	srcs = append(srcs, "testdata/roundtrip.yaml")
	for _, path := range srcs {
		t.Run(filepath.Base(path), func(t *testing.T) {
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			p, err := Parse(path, src)
			if err != nil {
				t.Fatal(err)
			}
			first, err := p.Compile(CompileOptions{})
			if err != nil {
				t.Fatal(err)
			}
			back, err := FromSeccomp(first)
			if err != nil {
				t.Fatal(err)
			}
			p2, err := Parse("printed", []byte(back.String()))
			if err != nil {
				t.Fatalf("printed form does not parse: %v\n%s", err, back)
			}
			second, err := p2.Compile(CompileOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if d := diffJSON(t, first, second); d != "" {
				t.Errorf("rules -> OCI -> rules -> OCI changed the profile:\n%s", d)
			}
			if p2.String() != back.String() {
				t.Errorf("printing is not stable:\n%s\n---\n%s", back, p2)
			}
		})
	}
}

func TestParseCondRoundTrip(t *testing.T) {
	for _, s := range []string{"arg0 == 1", "arg1 != 0x1000", "arg2 & 3 == 1", "arg5 <= 4095", "arg3 > 0xffffffffffffffff", "arg4 < 7", "arg0 >= 2"} {
		c, err := ParseCond(s)
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		if c.String() != s {
			t.Errorf("ParseCond(%q).String() = %q", s, c.String())
		}
	}
}

func TestActionRoundTrip(t *testing.T) {
	for _, s := range []string{"allow", "errno(EPERM)", "errno(ENOSYS)", "kill-process", "kill-thread", "trap", "log", "notify", "trace(7)"} {
		a, err := ParseAction(s)
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		if a.String() != s {
			t.Errorf("ParseAction(%q).String() = %q", s, a)
		}
		act, ret := a.Spec()
		back, err := ActionFromSpec(act, ret)
		if err != nil || back != a {
			t.Errorf("%q through OCI = %v, %v", s, back, err)
		}
	}
	if a, _ := ActionFromSpec(specs.ActKill, nil); a.Kind != KillThread {
		t.Errorf("SCMP_ACT_KILL = %v, want kill-thread as runc reads it", a)
	}
}

// FuzzParse checks that the parser never panics, and that whatever it
// accepts prints in a form that parses back to the same thing.
func FuzzParse(f *testing.F) {
	srcs, _ := filepath.Glob("../../testdata/*.yaml")
	srcs = append(srcs, "testdata/roundtrip.yaml")
	for _, path := range srcs {
		if b, err := os.ReadFile(path); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("default: allow\nrules:\n  - {action: errno(EPERM), syscalls: [openat], when: [\"arg2 & 3 == 1\"]}\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		p, err := Parse("f", src)
		if err != nil {
			return
		}
		p2, err := Parse("g", []byte(p.String()))
		if err != nil {
			t.Fatalf("printed form does not parse: %v\n%s", err, p)
		}
		if p.String() != p2.String() {
			t.Fatalf("print/parse not stable:\n%s\n---\n%s", p, p2)
		}
		p.Compile(CompileOptions{})
	})
}
