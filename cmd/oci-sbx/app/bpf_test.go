package app

import (
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/oci-sbx/oci-sbx/convert/filter"
	"github.com/oci-sbx/oci-sbx/internal/testutil"
	"github.com/oci-sbx/oci-sbx/oci/sandbox"
)

// writeProgram assembles a raw program (x/net/bpf's assembler) into a file.
func writeProgram(t *testing.T, name string, prog []bpf.Instruction) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, testutil.AssembleBPF(t, prog), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// argLow is the offset of the low half of argument 0 in seccomp_data.
func argLow() uint32 {
	if binary.NativeEndian.Uint16([]byte{1, 0}) == 1 {
		return 16
	}
	return 20
}

// vsockProgram kills architectures other than x86_64, denies openat with
// EPERM and socket(AF_VSOCK) with EACCES, and allows the rest.
func vsockProgram() []bpf.Instruction {
	return []bpf.Instruction{
		bpf.LoadAbsolute{Off: 4, Size: 4},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: unix.AUDIT_ARCH_X86_64, SkipFalse: 8},
		bpf.LoadAbsolute{Off: 0, Size: 4},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: 257, SkipTrue: 3},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: 41, SkipFalse: 3},
		bpf.LoadAbsolute{Off: argLow(), Size: 4},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: unix.AF_VSOCK, SkipTrue: 2, SkipFalse: 1},
		bpf.RetConstant{Val: filter.RetErrno | uint32(unix.EPERM)},
		bpf.RetConstant{Val: filter.RetAllow},
		bpf.RetConstant{Val: filter.RetErrno | uint32(unix.EACCES)},
		bpf.RetConstant{Val: filter.RetKillThread},
	}
}

// TestSimulateProgram simulates a raw program, which needs neither the
// seccomp build nor privileges.
func TestSimulateProgram(t *testing.T) {
	prog := writeProgram(t, "vsock.bpf", vsockProgram())
	for _, tc := range []struct {
		name string
		args []string
		code int
		out  string // stdout, or a part of stderr when code != 0
	}{
		{"denied", []string{prog, "openat", "AT_FDCWD", "0", "O_RDONLY"}, 0, "errno(EPERM)\n"},
		{"allowed", []string{prog, "read"}, 0, "allow\n"},
		{"by number", []string{prog, "257"}, 0, "errno(EPERM)\n"},
		{"argument constant", []string{prog, "socket", "AF_VSOCK", "SOCK_STREAM"}, 0, "errno(EACCES)\n"},
		{"argument number", []string{prog, "socket", "2"}, 0, "allow\n"},
		{"another architecture", []string{"--arch", "x86", prog, "openat"}, 0, "kill-thread\n"},
		{"x32 takes bit 30", []string{"--arch", "x32", prog, "257"}, 0, "allow\n"},
		{"from bpf", []string{"--from", "bpf", prog, "openat"}, 0, "errno(EPERM)\n"},
		{"no syscall", []string{prog}, 2, "simulate takes a FILE and a SYSCALL"},
		{"typo", []string{prog, "opnat"}, 2, `did you mean "openat"?`},
		{"multiplexed", []string{"--arch", "x86", prog, "recv"}, 2, "made through socketcall"},
		{"bad constant", []string{prog, "socket", "AF_VSOK"}, 2, `argument 0: unknown constant "AF_VSOK"`},
		{"seven arguments", []string{prog, "read", "1", "2", "3", "4", "5", "6", "7"}, 2, "at most 6 arguments"},
		{"arch alias", []string{"--arch", "amd64", prog, "read"}, 2, `did you mean "x86_64"?`},
		{"not a program", []string{"--from", "bpf", writeExecFile(t, "text", "default: allow\n"), "read"}, 1, "invalid seccomp program"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, stderr := runCLI(t, append([]string{"simulate"}, tc.args...)...)
			if code != tc.code {
				t.Fatalf("exit status %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, out, stderr)
			}
			if code == 0 && out != tc.out {
				t.Errorf("stdout %q, want %q", out, tc.out)
			}
			if code != 0 && !strings.Contains(stderr, tc.out) {
				t.Errorf("stderr lacks %q:\n%s", tc.out, stderr)
			}
		})
	}
}

func TestSimulateTrace(t *testing.T) {
	prog := writeProgram(t, "vsock.bpf", vsockProgram())
	code, out, stderr := runCLI(t, "simulate", "--trace", prog, "socket", "AF_VSOCK")
	if code != 0 {
		t.Fatalf("exit status %d: %s", code, stderr)
	}
	golden(t, "simulate-trace.txt", out)
}

// diffPrograms writes the raw programs the diff tests compare: a (the
// vsock program), allow (allow on x86_64, kill-thread elsewhere) and i386
// (allow everything).
func diffPrograms(t *testing.T) (a, allow, i386 string) {
	t.Helper()
	a = writeProgram(t, "a.bpf", vsockProgram())
	allow = writeProgram(t, "allow.bpf", []bpf.Instruction{
		bpf.LoadAbsolute{Off: 4, Size: 4},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: unix.AUDIT_ARCH_X86_64, SkipFalse: 1},
		bpf.RetConstant{Val: filter.RetAllow},
		bpf.RetConstant{Val: filter.RetKillThread},
	})
	i386 = writeProgram(t, "i386.bpf", []bpf.Instruction{bpf.RetConstant{Val: filter.RetAllow}})
	return a, allow, i386
}

// TestDiffPrograms compares raw programs.
func TestDiffPrograms(t *testing.T) {
	a, allow, i386 := diffPrograms(t)

	code, out, stderr := runCLI(t, "diff", a, a)
	if code != 0 || out != "" || stderr != "" {
		t.Errorf("same program: exit status %d\n%s%s", code, out, stderr)
	}
	// A raw program brings no argument values, so socket(AF_VSOCK) is not
	// tried; the profiles' conditions would bring it.
	code, out, _ = runCLI(t, "diff", "--arch", "x86_64,x86", a, allow)
	want := "ARCH    SYSCALL  " + a + "  " + allow + "\nx86_64  openat   errno(EPERM)"
	if code != 1 || !strings.HasPrefix(out, want) || strings.Count(out, "\n") != 2 {
		t.Errorf("exit status %d, output:\n%s\nwant:\n%s", code, out, want)
	}
	code, out, _ = runCLI(t, "diff", "--arch", "x86", allow, i386)
	if code != 1 || strings.Count(out, "\n") != 2 || !regexp.MustCompile(`(?m)^x86 +every syscall +kill-thread +allow$`).MatchString(out) {
		t.Errorf("uncovered architecture: exit status %d, output:\n%s", code, out)
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"one profile", []string{"diff", a}, 2, "diff takes two profiles"},
		{"missing file", []string{"diff", a, filepath.Join(t.TempDir(), "nope")}, 2, "no such file"},
		{"bad arch", []string{"diff", "--arch", "i386", a, a}, 2, `did you mean "x86"?`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit status %d (want %d), stderr:\n%s", code, tc.code, stderr)
			}
		})
	}
}

// requireExport skips a test of the program runc loads in a build that
// cannot export it, after checking that it says why; any user can export.
func requireExport(t *testing.T) {
	t.Helper()
	code, _, stderr := runCLI(t, "convert", "--to", "bpf", "-o", filepath.Join(t.TempDir(), "p.bpf"), demo)
	switch {
	case !sandbox.Supported:
		if code != 1 || !strings.Contains(stderr, "built without seccomp support") {
			t.Errorf("pure build: exit status %d, stderr:\n%s", code, stderr)
		}
		t.Skip("this build cannot export the program runc loads")
	case code != 0:
		t.Fatalf("exporting the program: exit status %d, stderr:\n%s", code, stderr)
	}
}

func TestConvertBPF(t *testing.T) {
	requireExport(t)
	file := filepath.Join(t.TempDir(), "demo.bpf")
	if code, _, stderr := runCLI(t, "convert", "--to", "bpf", "-o", file, demo); code != 0 {
		t.Fatalf("exit status %d: %s", code, stderr)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := filter.Decode(data); err != nil {
		t.Fatal(err)
	}
	// One architecture family: runc's output is the same every time.
	code, out, stderr := runCLI(t, "convert", "--to", "bpf", demo)
	if code != 0 || out != string(data) {
		t.Errorf("standard output: exit status %d, %d bytes (file %d)\n%s", code, len(out), len(data), stderr)
	}
	// The exported program and the profile say the same.
	for call, want := range map[string]string{"openat": "errno(EPERM)\n", "connect": "errno(EPERM)\n", "open": "allow\n"} {
		for _, input := range []string{file, demo} {
			if code, out, stderr := runCLI(t, "simulate", input, call); code != 0 || out != want {
				t.Errorf("simulate %s %s: exit status %d, %q, want %q\n%s", input, call, code, out, want, stderr)
			}
		}
	}
	notify := writeExecFile(t, "notify.yaml", "default: allow\nrules:\n  - {action: notify, syscalls: [mkdir]}\n")
	if code, _, stderr := runCLI(t, "convert", "--to", "bpf", notify); code != 0 || !strings.Contains(stderr, "SECCOMP_RET_USER_NOTIF") {
		t.Errorf("notify: exit status %d, stderr:\n%s", code, stderr)
	}
}

// TestDiffProfiles compares the demo with the same intent written with
// groups, by their programs.
func TestDiffProfiles(t *testing.T) {
	requireExport(t)
	groups := writeExecFile(t, "groups.yaml", "default: allow\nrules:\n  - action: errno(EPERM)\n    syscalls: [\"@file-open\", \"@network-connect\"]\n")
	code, out, stderr := runCLI(t, "diff", "--arch", "x86_64,x86", demo, groups)
	if code != 1 {
		t.Fatalf("exit status %d\n%s", code, stderr)
	}
	golden(t, "diff-demo-groups.txt", strings.ReplaceAll(out, groups, "groups.yaml"))
	if code, out, _ := runCLI(t, "diff", demo, demo); code != 0 || out != "" {
		t.Errorf("a profile and itself: exit status %d\n%s", code, out)
	}
}

// The values of one argument that differ alike share a line of text,
// smallest first; JSON lists each.
func TestDiffJoinsValues(t *testing.T) {
	requireExport(t)
	hardened := filepath.Join(t.TempDir(), "hardened.yaml")
	if code, _, stderr := runCLI(t, "convert", "-q", "--harden", "--to", "rules", "-o", hardened, demo); code != 0 {
		t.Fatalf("convert --harden: exit %d\n%s", code, stderr)
	}
	code, out, stderr := runCLI(t, "diff", "--arch", "x86_64", demo, hardened)
	if code != 1 {
		t.Fatalf("exit status %d\n%s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	socket := regexp.MustCompile(`(?m)^x86_64 +socket\(arg0=0,2,3,… (\d+) values\) +allow +errno\(EPERM\)$`).FindStringSubmatch(out)
	if socket == nil || strings.Count(out, "socket") != 1 || len(lines) > 30 {
		t.Errorf("socket's families are not one line, or the text is long (%d lines):\n%s", len(lines), out)
	}
	_, js, _ := runCLI(t, "diff", "--arch", "x86_64", "--format", "json", demo, hardened)
	if socket != nil && strings.Count(js, `"syscall": "socket"`) != testutil.Atoi(t, socket[1]) {
		t.Errorf("JSON does not list each of the %s values of socket's arg0:\n%.2000s", socket[1], js)
	}
}

// TestWritersCheckTheLoader: convert, merge, patch and the precreate hook
// refuse, and lint reports, a profile
// libseccomp builds into a program that does not do what it says (on
// aarch64, the conditional allow of openat never applies), and nothing is
// written or changed.
func TestWritersCheckTheLoader(t *testing.T) {
	requireExport(t)
	dir := t.TempDir()
	miscompiled := writeExecFile(t, "aarch64.json", `{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_AARCH64"], "flags": [],
		"syscalls": [{"names": ["open"], "action": "SCMP_ACT_ALLOW"},
			{"names": ["openat"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 2, "value": 4, "op": "SCMP_CMP_MASKED_EQ", "valueTwo": 4}]}]}`)
	bundle := filepath.Join(dir, "bundle")
	if err := os.MkdirAll(bundle, 0o755); err != nil {
		t.Fatal(err)
	}
	config := []byte(`{"ociVersion": "1.0.2", "process": {"args": ["true"]}, "root": {"path": "rootfs"}, "linux": {}}` + "\n")
	if err := os.WriteFile(filepath.Join(bundle, "config.json"), config, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	for _, args := range [][]string{
		{"convert", "-o", out, miscompiled},
		{"convert", "--to", "rules", "-o", out, miscompiled},
		{"merge", "--to", "oci", "-o", out, miscompiled},
		{"patch", "--profile", miscompiled, bundle},
		{"lint", miscompiled}, // [loader-differs]
	} {
		code, stdout, stderr := runCLI(t, args...)
		said := stdout + stderr
		if code != 1 || !strings.Contains(said, "on aarch64, openat(arg2=") || !strings.Contains(said, "the profile says allow, the program answers errno(EPERM)") {
			t.Errorf("%v: exit status %d, output:\n%s", args, code, said)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("an output was written: %v", err)
	}
	// The precreate hook (and so the NRI plugin, which shares its
	// reading) fails the container, saying why.
	rules, _ := json.Marshal("default: errno(EPERM)\narchitectures: [x86_64, aarch64]\nrules:\n  - {action: allow, syscalls: [open]}\n  - {action: allow, syscalls: [openat], when: [\"arg2 & 4 == 4\"]}\n")
	in := strings.Replace(hookConfig, "%s", `,"annotations":{"io.oci-sbx.rules":`+string(rules)+`}`, 1)
	code, stdout, stderr := runCLIInput(t, in, "hook", "precreate", "--log", "")
	if code != 1 || stdout != "" || !strings.Contains(stderr, "annotations io.oci-sbx.rules: libseccomp") || !strings.Contains(stderr, "on aarch64, openat(arg2=") {
		t.Errorf("hook precreate: exit status %d, stdout %q, stderr:\n%s", code, stdout, stderr)
	}
	if got, _ := os.ReadFile(filepath.Join(bundle, "config.json")); string(got) != string(config) {
		t.Errorf("the bundle changed:\n%s", got)
	}
}
