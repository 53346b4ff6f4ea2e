//go:build e2e

package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/oci-sbx/oci-sbx/internal/testutil"
)

// TestUnprivilegedCLI runs what answers from the program runc's loader
// builds — simulate, diff, convert --to bpf — and lint as nobody (uid
// 65534, no capabilities, no groups), as a user without root runs them:
// the same answers as root's.
func TestUnprivilegedCLI(t *testing.T) {
	testutil.RequireRoot(t) // to become nobody
	dir := reachableDir(t, "oci-sbx-unprivileged-")
	bin := filepath.Join(dir, "oci-sbx")
	buildStatic(t, bin)
	demo, err := os.ReadFile(filepath.Join(testutil.Root(t), "testdata", "demo.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "demo.yaml"), demo, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	if err := os.Mkdir(out, 0o777); err != nil {
		t.Fatal(err)
	}
	// The umask would keep nobody out.
	if err := os.Chmod(out, 0o777); err != nil {
		t.Fatal(err)
	}
	run := func(uid uint32, args ...string) (string, string, int) {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=/nonexistent", "OCI_SBX_CACHE=off"}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: uid, Groups: []uint32{}}}
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return stdout.String(), stderr.String(), code
	}
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"simulate", "demo.yaml", "openat", "AT_FDCWD", "0", "O_RDONLY"}, 0},
		{[]string{"simulate", "--format", "json", "demo.yaml", "connect"}, 0},
		{[]string{"diff", "demo.yaml", "/usr/share/containers/seccomp.json"}, 1},
		{[]string{"lint", "--format", "json", "demo.yaml"}, 1},
		{[]string{"convert", "-q", "--to", "bpf", "-o", "-", "demo.yaml"}, 0},
	} {
		wantOut, _, _ := run(0, tc.args...)
		got, stderr, code := run(65534, tc.args...)
		if code != tc.code || got != wantOut || strings.Contains(stderr, "permission") || strings.Contains(stderr, "not permitted") {
			t.Errorf("oci-sbx %s as nobody: exit %d (want %d), stderr:\n%s\nstdout differs from root's: %v",
				strings.Join(tc.args, " "), code, tc.code, stderr, got != wantOut)
		}
	}
	// A program written by nobody simulates as root's does.
	if _, stderr, code := run(65534, "convert", "-q", "--to", "bpf", "-o", "out/demo.bpf", "demo.yaml"); code != 0 {
		t.Fatalf("convert --to bpf -o as nobody: exit %d\n%s", code, stderr)
	}
	if got, stderr, code := run(65534, "simulate", "out/demo.bpf", "openat"); code != 0 || got != "errno(EPERM)\n" {
		t.Errorf("simulate of nobody's program: exit %d, %q\n%s", code, got, stderr)
	}
}
