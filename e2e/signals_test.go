//go:build e2e

package e2e

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSignals: a command that only reads and writes ends at the first
// SIGINT, as any Unix tool does (it used to wait on its input for ever);
// record winds down at the first SIGTERM, stopping its program and
// writing what it saw, and ends at once at a second one.
func TestSignals(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "oci-sbx")
	buildStatic(t, bin)

	// start runs oci-sbx in a process group of its own, killed with
	// everything it started when the test ends.
	start := func(stdin bool, args ...string) (*exec.Cmd, chan error) {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if stdin {
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { w.Close() }) // open: convert - would wait on it for ever
			cmd.Stdin = r
			defer r.Close()
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		return cmd, done
	}
	ended := func(done chan error, within time.Duration) (syscall.WaitStatus, bool) {
		t.Helper()
		select {
		case err := <-done:
			var ee *exec.ExitError
			if err != nil && !errors.As(err, &ee) {
				t.Fatal(err)
			}
			if ee == nil {
				return 0, true
			}
			return ee.Sys().(syscall.WaitStatus), true
		case <-time.After(within):
			return 0, false
		}
	}

	t.Run("convert", func(t *testing.T) {
		cmd, done := start(true, "convert", "-")
		time.Sleep(300 * time.Millisecond)
		_ = cmd.Process.Signal(syscall.SIGINT)
		ws, ok := ended(done, 5*time.Second)
		if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGINT {
			t.Errorf("convert - after SIGINT: ended %v, status %v", ok, ws)
		}
	})

	t.Run("record", func(t *testing.T) {
		out := filepath.Join(dir, "sleep.yaml")
		cmd, done := start(false, "record", "-o", out, "--", "sleep", "30")
		time.Sleep(time.Second)
		_ = cmd.Process.Signal(syscall.SIGTERM)
		ws, ok := ended(done, 10*time.Second)
		if !ok || ws.ExitStatus() != 128+int(syscall.SIGTERM) {
			t.Fatalf("record after SIGTERM: ended %v, status %v", ok, ws)
		}
		data, err := os.ReadFile(out)
		if err != nil || !strings.Contains(string(data), "killed by signal 15") || !strings.Contains(string(data), "nanosleep") {
			t.Errorf("the profile of the interrupted run (%v):\n%s", err, data)
		}
	})

	t.Run("record-twice", func(t *testing.T) {
		// The program ignores SIGTERM: the first signal cannot end the
		// recording; the second ends oci-sbx.
		out := filepath.Join(dir, "stubborn.yaml")
		cmd, done := start(false, "record", "-o", out, "--", "sh", "-c", "trap '' TERM; sleep 30")
		time.Sleep(time.Second)
		_ = cmd.Process.Signal(syscall.SIGTERM)
		if _, ok := ended(done, time.Second); ok {
			t.Fatal("record ended at the first SIGTERM while its program ran on")
		}
		_ = cmd.Process.Signal(syscall.SIGTERM)
		ws, ok := ended(done, 5*time.Second)
		if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
			t.Errorf("record after a second SIGTERM: ended %v, status %v", ok, ws)
		}
	})
}
