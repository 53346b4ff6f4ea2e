//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oci-sbx/oci-sbx/internal/testutil"
)

// TestBPF exports the demo's program with convert --to bpf and hands it to
// bubblewrap, which loads raw programs (bwrap --seccomp FD): the program
// must stop the suspicious app exactly as oci-sbx exec does, and the app
// must get through without it.
func TestBPF(t *testing.T) {
	bwrap := requireTool(t, "bwrap")
	dir := t.TempDir()
	oci, app := filepath.Join(dir, "oci-sbx"), filepath.Join(dir, "suspicious-app")
	goBuild(t, oci, true, "-tags", "seccomp", "./cmd/oci-sbx")
	goBuild(t, app, false, "./testdata/suspicious-app")
	demo := filepath.Join(testutil.Root(t), "testdata", "demo.yaml")

	prog := filepath.Join(dir, "demo.bpf")
	if code, _, stderr := runCmd(t, oci, "convert", "--to", "bpf", "-o", prog, demo); code != 0 {
		t.Fatalf("convert --to bpf: exit status %d\n%s", code, stderr)
	}
	st, err := os.Stat(prog)
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() == 0 || st.Size()%8 != 0 {
		t.Fatalf("%s has %d bytes, not whole struct sock_filter instructions", prog, st.Size())
	}

	t.Run("bwrap-without-program", func(t *testing.T) {
		out := runBwrap(t, bwrap, "", app)
		checkActivities(t, out, map[string]bool{"read_file": true, "count_processes": true, "access_network": true}, "Summary: 3 succeed, 0 failed")
	})
	t.Run("bwrap-with-program", func(t *testing.T) {
		out := runBwrap(t, bwrap, prog, app)
		checkActivities(t, out, map[string]bool{"read_file": false, "count_processes": false, "access_network": false}, "Summary: 0 succeed, 3 failed")
		if !strings.Contains(out, "open /etc/passwd: operation not permitted") {
			t.Errorf("read_file did not fail with EPERM:\n%s", out)
		}
	})
	t.Run("simulate-the-raw-program", func(t *testing.T) {
		for call, want := range map[string]string{"openat": "errno(EPERM)\n", "open": "allow\n", "read": "allow\n"} {
			code, out, stderr := runCmd(t, oci, "simulate", prog, call)
			if code != 0 || out != want {
				t.Errorf("simulate %s: exit status %d, %q, want %q\n%s", call, code, out, want, stderr)
			}
		}
	})
}

// runBwrap runs the app in bubblewrap, with the raw program on fd 3 when
// prog is set, and returns its standard output.
func runBwrap(t *testing.T, bwrap, prog, app string) string {
	t.Helper()
	args := []string{"--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bwrap)
	if prog != "" {
		f, err := os.Open(prog)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		cmd.ExtraFiles = []*os.File{f} // fd 3
		args = append(args, "--seccomp", "3")
	}
	cmd.Args = append(append([]string{bwrap}, args...), "--", app)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("bwrap %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, out.String(), stderr.String())
	}
	return out.String()
}
