//go:build linux && cgo && seccomp

package sandbox

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// lateEnv makes the test binary call ExecLate before any test runs; it
// then execs itself in the package's helper mode (helperEnv), so the
// filter is loaded only in that child, never in the test process.
const lateEnv = "SANDBOX_TEST_LATE"

func init() {
	mode, ok := os.LookupEnv(lateEnv)
	if !ok {
		return
	}
	os.Unsetenv(lateEnv)
	args := []string{os.Args[0]}
	if mode == "missing" {
		args = []string{"no-such-program"}
	}
	err := ExecLate(deny(unix.EPERM, "getppid"), args, append(os.Environ(), helperEnv+"="+mode,
		fmt.Sprintf("SANDBOX_TEST_NRS=%d", unix.SYS_GETPPID)))
	fmt.Println("ExecLate:", err)
	os.Exit(3)
}

func execLate(t *testing.T, mode string) (string, int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), lateEnv+"="+mode, "PATH=/nonexistent")
	out, err := cmd.Output()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), code
}

// ExecLate replaces the process with the program under the filter: the
// program itself finds its syscall denied, no_new_privs set and a filter
// loaded.
func TestExecLate(t *testing.T) {
	out, code := execLate(t, "syscalls")
	if want := fmt.Sprintf("%d errno=%d\n", unix.SYS_GETPPID, unix.EPERM); code != 0 || out != want {
		t.Errorf("exit %d, output %q, want %q", code, out, want)
	}
	out, code = execLate(t, "status")
	for _, want := range []string{"Seccomp: 2\n", "NoNewPrivs: 1\n"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("exit %d, output lacks %q:\n%s", code, want, out)
		}
	}
	// A program missing from PATH is reported before anything is loaded.
	out, code = execLate(t, "missing")
	if code != 3 || !strings.Contains(out, `ExecLate: finding "no-such-program": executable file not found`) {
		t.Errorf("exit %d, output %q", code, out)
	}
}
