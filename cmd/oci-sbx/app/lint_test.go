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
	}{
		{name: "the demo has bypasses", args: []string{"lint", demo}, code: 1,
			stdout: "demo.yaml:8:16: error [bypass-file-open] openat is denied (errno(EPERM)), but other calls open files as well: creat, open"},
		{name: "a summary line", args: []string{"lint", demo}, code: 1, stdout: "demo.yaml: 3 errors, 5 warnings, 2 info\n"},
		{name: "warnings only", args: []string{"lint", clean}, code: 0, stdout: "0 errors, 1 warning, 1 info\n"},
		{name: "standard input", stdin: "default: allow\nrules:\n  - {action: trace, syscalls: [ptrace]}\n", args: []string{"lint", "-"}, code: 1,
			stdout: "<stdin>:3:14: error [trace-as-deny]"},
		{name: "a profile convert refuses", stdin: "default: allow\nrules:\n  - {action: errno(EPERM), syscalls: [opnat]}\n", args: []string{"lint", "-"}, code: 1,
			stdout: `<stdin>:3:39: error [unknown-syscall] unknown syscall "opnat": did you mean "openat"?`},
		{name: "architectures", args: []string{"lint", "--arch", "x86_64,x86,x32", demo}, code: 1, stdout: "[x32-listed]"},
		{name: "json", args: []string{"lint", "--format", "json", demo}, code: 1, stdout: `"id": "bypass-network"`},
		{name: "not a profile", stdin: "\n", args: []string{"lint", "-"}, code: 1, stderr: "the input is empty"},
		{name: "missing file", args: []string{"lint", filepath.Join(dir, "nope.yaml")}, code: 1, stderr: "no such file"},
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
			if tt.code == 2 {
				checkUsageError(t, errOut)
			}
		})
	}
	_, out, _ := runCLI(t, "lint", "--format", "json", demo)
	var report struct {
		Findings []struct{ ID, Severity string }
		Errors   int
	}
	if err := json.Unmarshal([]byte(out), &report); err != nil || report.Errors != 3 || len(report.Findings) != 10 {
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
	code, _, errOut = runCLI(t, "convert", "--harden", "--arch", "amd64", demo)
	if code != 1 || !strings.Contains(errOut, `"amd64": did you mean "x86_64"?`) {
		t.Errorf("bad arch: exit %d\n%s", code, errOut)
	}
}
