package app

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLint(t *testing.T) {
	dir := t.TempDir()
	clean := filepath.Join(dir, "clean.yaml")
	if err := os.WriteFile(clean, []byte("default: errno(ENOSYS)\nextends: docker-default\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		stdin  string
		args   []string
		code   int
		stdout string // substring
		stderr string // substring
		// trouble: exit status 2 for a profile that cannot be read, not
		// for a mistake on the command line
		trouble bool
	}{
		{name: "the demo has bypasses", args: []string{"lint", demo}, code: 1,
			stdout: "demo.yaml:8:16: error [bypass-file-open] openat is denied (errno(EPERM)), but other calls open files as well: creat, open"},
		{name: "a summary line", args: []string{"lint", demo}, code: 1, stdout: "demo.yaml: 4 errors, 5 warnings, 3 info\n"},
		{name: "warnings only", args: []string{"lint", clean}, code: 0, stdout: "0 errors, 1 warning, 1 info\n"},
		{name: "standard input", stdin: "default: allow\nrules:\n  - {action: trace, syscalls: [ptrace]}\n", args: []string{"lint", "-"}, code: 1,
			stdout: "<stdin>:3:14: error [trace-as-deny]"},
		{name: "a profile convert refuses", stdin: "default: allow\nrules:\n  - {action: errno(EPERM), syscalls: [opnat]}\n", args: []string{"lint", "-"}, code: 1,
			stdout: `<stdin>:3:39: error [unknown-syscall] unknown syscall "opnat": did you mean "openat"?`},
		// What runc prints is the measured message of the call denied, not the demo's.
		{name: "runc's own words", stdin: "default: allow\nrules:\n  - {action: errno(EPERM), syscalls: [fstatfs]}\n", args: []string{"lint", "-"}, code: 0,
			stdout: `runc itself still calls fstatfs, and fails (denied fstatfs, it stops with "ensure /proc/self/fd is on procfs: operation not permitted")`},
		{name: "architectures", args: []string{"lint", "--arch", "x86_64,x86,x32", demo}, code: 1, stdout: "[x32-listed]"},
		{name: "json", args: []string{"lint", "--format", "json", demo}, code: 1, stdout: `"id": "bypass-network"`},
		// Trouble is 2, never 1: a CI gate must not read "cannot lint" as "has errors".
		{name: "not a profile", stdin: "\n", args: []string{"lint", "-"}, code: 2, stderr: "the input is empty", trouble: true},
		{name: "missing file", args: []string{"lint", filepath.Join(dir, "nope.yaml")}, code: 2, stderr: "no such file", trouble: true},
		{name: "no file", args: []string{"lint"}, code: 2, stderr: "lint takes one FILE"},
		{name: "unknown format", args: []string{"lint", "--format", "xml", demo}, code: 2, stderr: `--format: want text or json, not "xml"`},
		{name: "unknown input format", args: []string{"lint", "--from", "yaml", demo}, code: 2, stderr: `unknown format "yaml"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLIInput(t, tt.stdin, tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, out, errOut)
			}
			if !strings.Contains(out, tt.stdout) {
				t.Errorf("stdout lacks %q:\n%s", tt.stdout, out)
			}
			if !strings.Contains(errOut, tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, errOut)
			}
			if tt.code == 1 && tt.stderr == "" && errOut != "" {
				t.Errorf("findings are not an error message:\n%s", errOut)
			}
			if tt.code == 2 && !tt.trouble {
				checkUsageError(t, errOut)
			}
		})
	}
	_, out, _ := runCLI(t, "lint", "--format", "json", demo)
	var report struct {
		Findings []struct{ ID, Severity string }
		Errors   int
	}
	if err := json.Unmarshal([]byte(out), &report); err != nil || report.Errors != 4 || len(report.Findings) != 12 {
		t.Errorf("json: %v, %d errors, %d findings", err, report.Errors, len(report.Findings))
	}
}

// TestConvertHarden: the hardened demo lints without errors, and the notes
// say what changed.
func TestConvertHarden(t *testing.T) {
	code, out, errOut := runCLI(t, "convert", "--harden", demo)
	if code != 0 || !strings.Contains(errOut, "oci-sbx: harden: creat, io_uring_enter, io_uring_register, io_uring_setup, open, open_by_handle_at, openat2: denied with errno(EPERM), like openat") {
		t.Fatalf("exit %d\nstderr: %s", code, errOut)
	}
	code, lintOut, _ := runCLIInput(t, out, "lint", "-")
	if code != 0 || strings.Contains(lintOut, "error [") {
		t.Errorf("lint of the hardened demo: exit %d\n%s", code, lintOut)
	}
	code, rulesOut, _ := runCLI(t, "convert", "--harden", "--to", "rules", demo)
	if code != 0 || !strings.Contains(rulesOut, "    syscalls: [sendto]\n    when: [\"arg4 != 0\"]\n") {
		t.Errorf("rules output: exit %d\n%s", code, rulesOut)
	}
	// Read back, it names no syscall this host lacks (socketcall on x86_64).
	if code, _, errOut := runCLIInput(t, rulesOut, "convert", "--to", "rules", "-"); code != 0 || errOut != "" {
		t.Errorf("reading the hardened rules back: exit %d\n%s", code, errOut)
	}
	code, _, errOut = runCLI(t, "convert", "--harden", "--arch", "amd64", demo)
	if code != 2 || !strings.Contains(errOut, `"amd64": did you mean "x86_64"?`) {
		t.Errorf("bad arch: exit %d\n%s", code, errOut)
	}
}

// TestConvertCannotStart: engine output that no runc can start (the demo
// denies openat, which runc calls after loading the filter) gets lint's
// finding on stderr and still goes out; --strict refuses it; formats no
// engine loads before the process starts, and profiles runc can start,
// get no such word.
func TestConvertCannotStart(t *testing.T) {
	for _, to := range []string{"oci", "docker", "kubernetes", "spo"} {
		code, out, errOut := runCLI(t, "convert", "--to", to, demo)
		if code != 0 || out == "" || !strings.Contains(errOut, "oci-sbx: warning: "+to+" output: [runc-cannot-start]") || !strings.Contains(errOut, "oci-sbx patch") {
			t.Errorf("--to %s: exit %d\n%s", to, code, errOut)
		}
		code, out, errOut = runCLI(t, "convert", "--strict", "--to", to, demo)
		if code != 1 || out != "" || !strings.Contains(errOut, "refusing to write "+to+" output that no runc can start") {
			t.Errorf("--strict --to %s: exit %d, %d bytes out\n%s", to, code, len(out), errOut)
		}
	}
	if _, _, errOut := runCLI(t, "--quiet", "convert", "--to", "docker", demo); !strings.Contains(errOut, "[runc-cannot-start]") {
		t.Errorf("--quiet silenced that no runc can start the profile: %q", errOut)
	}
	if _, _, errOut := runCLI(t, "convert", "--to", "rules", demo); strings.Contains(errOut, "runc-cannot-start") {
		t.Errorf("--to rules: %s", errOut)
	}
	code, _, errOut := runCLIInput(t, "default: allow\nrules:\n  - {action: errno(EPERM), syscalls: [connect]}\n", "convert", "--strict", "-")
	if code != 0 || errOut != "" {
		t.Errorf("a profile runc can start: exit %d\n%s", code, errOut)
	}
}

// TestConvertNeedsNoNewPrivileges: a profile runc can start only with
// noNewPrivileges (it denies a call runc makes when it sets the user and
// capabilities, after loading the filter, as it does when
// noNewPrivileges is false) is said so for every engine output, --quiet
// or not: docker run, podman run and the kubelet leave noNewPrivileges
// false unless asked. --strict refuses docker, kubernetes and spo output;
// oci output goes into a config.json whose noNewPrivileges is the user's.
func TestConvertNeedsNoNewPrivileges(t *testing.T) {
	for _, call := range []string{"capset", "setgroups", "chdir", "getcwd"} {
		src := "default: allow\nrules:\n  - {action: errno(EPERM), syscalls: [" + call + "]}\n"
		for _, to := range []string{"oci", "docker", "kubernetes", "spo"} {
			code, out, errOut := runCLIInput(t, src, "--quiet", "convert", "--to", to, "-")
			if code != 0 || out == "" || !strings.Contains(errOut, "oci-sbx: warning: "+to+" output: [runc-needs-nnp]") || !strings.Contains(errOut, call) {
				t.Errorf("%s --to %s: exit %d\n%s", call, to, code, errOut)
			}
			code, out, errOut = runCLIInput(t, src, "convert", "--strict", "--to", to, "-")
			if refuse := to != "oci"; refuse != (code == 1) || refuse != (out == "") || !strings.Contains(errOut, "runc-needs-nnp") {
				t.Errorf("%s --strict --to %s: exit %d, %d bytes out\n%s", call, to, code, len(out), errOut)
			}
		}
	}
	if _, _, errOut := runCLIInput(t, "default: allow\nrules:\n  - {action: errno(EPERM), syscalls: [capset]}\n", "convert", "--to", "rules", "-"); strings.Contains(errOut, "runc-needs-nnp") {
		t.Errorf("--to rules: %s", errOut)
	}
}

// TestMergeCannotStart: merge writes engine output with the same word as
// convert: an allowlist of a program's own calls lacks what runc calls
// after loading the filter.
func TestMergeCannotStart(t *testing.T) {
	dir := t.TempDir()
	rec := filepath.Join(dir, "rec.yaml")
	if err := os.WriteFile(rec, []byte("default: errno(EPERM)\nrules:\n  - {action: allow, syscalls: [read, write, exit_group, execve, brk, mmap]}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, to := range []string{"oci", "docker", "kubernetes", "spo"} {
		code, out, errOut := runCLI(t, "--quiet", "merge", "--to", to, rec, rec)
		if code != 0 || out == "" || !strings.Contains(errOut, "oci-sbx: warning: "+to+" output: [runc-cannot-start]") {
			t.Errorf("--to %s: exit %d\n%s", to, code, errOut)
		}
		code, out, errOut = runCLI(t, "merge", "--strict", "--to", to, rec, rec)
		if code != 1 || out != "" || !strings.Contains(errOut, "refusing to write "+to+" output that no runc can start") {
			t.Errorf("--strict --to %s: exit %d, %d bytes out\n%s", to, code, len(out), errOut)
		}
	}
	if code, _, errOut := runCLI(t, "merge", "--strict", rec, rec); code != 0 || strings.Contains(errOut, "runc-cannot-start") {
		t.Errorf("--to rules: exit %d\n%s", code, errOut)
	}
}

// TestConvertDockerCaps: docker output keeps Docker's capability
// conditions for the engine; --cap-add adds to the default set for the
// flattened formats, where --caps replaces it.
func TestConvertDockerCaps(t *testing.T) {
	src := "extends: docker-default\nrules:\n  - {action: errno(EPERM), syscalls: [ptrace]}\n"
	code, out, errOut := runCLIInput(t, src, "convert", "--to", "docker", "-")
	if code != 0 || !strings.Contains(out, `"includes": {`) || !strings.Contains(out, `"CAP_SYS_ADMIN"`) {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	code, flat, _ := runCLIInput(t, src, "convert", "--to", "docker", "--cap-add", "SYS_ADMIN", "-")
	if code != 0 || strings.Contains(flat, `"includes"`) {
		t.Errorf("--cap-add: exit %d, conditions kept", code)
	}
	allowed := func(args ...string) map[string]bool {
		t.Helper()
		_, out, errOut := runCLIInput(t, src, append([]string{"convert", "--to", "oci"}, append(args, "-")...)...)
		var s struct {
			Syscalls []struct {
				Names  []string
				Action string
			}
		}
		if err := json.Unmarshal([]byte(out), &s); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, errOut)
		}
		m := map[string]bool{}
		for _, r := range s.Syscalls {
			for _, n := range r.Names {
				m[n] = m[n] || r.Action == "SCMP_ACT_ALLOW"
			}
		}
		return m
	}
	if a := allowed("--cap-add", "SYS_ADMIN"); !a["mount"] || !a["chroot"] {
		t.Errorf("--cap-add SYS_ADMIN: mount %v, chroot %v; want both allowed", a["mount"], a["chroot"])
	}
	if a := allowed("--caps", "CAP_SYS_ADMIN"); !a["mount"] || a["chroot"] {
		t.Errorf("--caps CAP_SYS_ADMIN: mount %v, chroot %v; want the set replaced", a["mount"], a["chroot"])
	}
	if a := allowed("--cap-drop", "SYS_CHROOT"); a["chroot"] {
		t.Error("--cap-drop SYS_CHROOT: chroot allowed")
	}
}

// TestLintCaps: lint reads the profile resolved for docker run's default
// capabilities, changed by --cap-add as docker run changes them.
func TestLintCaps(t *testing.T) {
	src := `{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38, "flags": [], "syscalls": [
		{"names": ["read", "write", "exit_group"], "action": "SCMP_ACT_ALLOW"},
		{"names": ["bpf"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}}]}`
	_, plain, _ := runCLIInput(t, src, "lint", "-")
	_, added, _ := runCLIInput(t, src, "lint", "--cap-add", "SYS_ADMIN", "-")
	if strings.Contains(plain, "allows bpf") || !strings.Contains(added, "allows bpf") {
		t.Errorf("without --cap-add:\n%s\nwith --cap-add SYS_ADMIN:\n%s", plain, added)
	}
}
