//go:build linux && cgo && seccomp

package late

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// lateEnv makes the test binary call ExecLate before any test runs; it
// then execs itself in helper mode (helperEnv), so the filter is loaded
// only in that child, never in the test process.
const (
	lateEnv   = "LATE_TEST_LATE"
	helperEnv = "LATE_TEST_HELPER"
)

func TestMain(m *testing.M) {
	if mode, ok := os.LookupEnv(helperEnv); ok {
		os.Exit(helper(mode))
	}
	if mode, ok := os.LookupEnv(lateEnv); ok {
		os.Exit(late(mode))
	}
	os.Exit(m.Run())
}

// helper is the program the late stage execs: it calls getppid, or
// prints what the kernel says about its seccomp state.
func helper(mode string) int {
	switch mode {
	case "syscalls":
		_, _, errno := unix.RawSyscall(unix.SYS_GETPPID, 0, 0, 0)
		fmt.Printf("%d errno=%d\n", unix.SYS_GETPPID, errno)
	case "status":
		status, err := os.ReadFile("/proc/self/status")
		if err != nil {
			fmt.Println("error:", err)
			return 1
		}
		for _, line := range strings.Split(string(status), "\n") {
			if strings.HasPrefix(line, "Seccomp:") || strings.HasPrefix(line, "NoNewPrivs:") {
				fmt.Println(strings.Join(strings.Fields(line), " "))
			}
		}
	}
	return 0
}

func late(mode string) int {
	os.Unsetenv(lateEnv)
	args := []string{os.Args[0]}
	if mode == "missing" {
		args = []string{"no-such-program"}
	}
	eperm := uint(unix.EPERM)
	s := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Flags: []specs.LinuxSeccompFlag{},
		Syscalls: []specs.LinuxSyscall{{Names: []string{"getppid"}, Action: specs.ActErrno, ErrnoRet: &eperm}}}
	err := ExecLate(s, args, append(os.Environ(), helperEnv+"="+mode))
	fmt.Println("ExecLate:", err)
	return 3
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
	if code != 3 || !strings.Contains(out, `ExecLate: finding "no-such-program": not found in the program's PATH`) {
		t.Errorf("exit %d, output %q", code, out)
	}
}
