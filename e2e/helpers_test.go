//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oci-sbx/oci-sbx/internal/testutil"
)

// requireTool returns the path of the program name, or skips (fails under
// CI=true) when it is not installed.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		testutil.Missing(t, "this test needs %s: %v (apt-get install -y %s)", name, err, name)
	}
	return path
}

// reachableDir returns a new temporary directory, mode 0755, that other
// users can reach (t.TempDir's parent is 0700), removed when the test
// ends.
func reachableDir(t *testing.T, prefix string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// ageLateDirs takes every entry of a late stages' root, the collector's
// lock too, an hour into the past (a test cannot wait out the grace and
// the pause between collections), and returns the late stages'
// directories.
func ageLateDirs(t *testing.T, late string) []string {
	t.Helper()
	entries, err := os.ReadDir(late)
	if err != nil {
		t.Fatal(err)
	}
	past := time.Now().Add(-time.Hour)
	var dirs []string
	for _, e := range entries {
		if err := os.Chtimes(filepath.Join(late, e.Name()), past, past); err != nil {
			t.Fatal(err)
		}
		if e.IsDir() {
			dirs = append(dirs, e.Name())
		}
	}
	return dirs
}

// goBuild runs `go build -o out args…` in the module root, with cgo on or
// off.
func goBuild(t *testing.T, out string, cgo bool, args ...string) {
	t.Helper()
	cmd := exec.Command("go", append([]string{"build", "-o", out}, args...)...)
	cmd.Dir = testutil.Root(t)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if cgo {
		cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	}
	if output, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building %s: %v\n%s", filepath.Base(out), err, output)
	}
}

// goBuildSource builds a one-file Go program from src into dir/name.
func goBuildSource(t *testing.T, dir, name, src string) string {
	t.Helper()
	file := filepath.Join(dir, name+".go")
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	prog := filepath.Join(dir, name)
	goBuild(t, prog, false, file)
	return prog
}

// buildStatic builds oci-sbx as make build does: static, with the
// launcher as the entry point.
func buildStatic(t *testing.T, out string) {
	t.Helper()
	goBuild(t, out, true, append(testutil.StaticBuildArgs(t), "./cmd/oci-sbx")...)
}

// runCmd runs a program for at most a minute and returns its exit status
// and output; it fails the test only when the program cannot run at all or
// times out.
func runCmd(t *testing.T, name string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("%s %s: timed out\nstdout:\n%s\nstderr:\n%s", name, strings.Join(args, " "), out.String(), errOut.String())
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		t.Fatal(err)
	}
	return code, out.String(), errOut.String()
}

// checkDemoDenied checks the suspicious app's output under the demo
// profile: every activity fails with EPERM.
func checkDemoDenied(t *testing.T, output string) {
	t.Helper()
	checkActivities(t, output, nil, "Summary: 0 succeed, 3 failed")
	for _, want := range []string{"open /etc/passwd: operation not permitted", "open /proc: operation not permitted", "connect: operation not permitted"} {
		if !strings.Contains(output, want) {
			t.Errorf("output lacks %q", want)
		}
	}
}

// logMark is where the log file at path ends now (0 if there is none);
// logSince reads what was written to it after the mark, or all of it if
// the log started over since.
func logMark(path string) int64 {
	if fi, err := os.Stat(path); err == nil {
		return fi.Size()
	}
	return 0
}

func logSince(t *testing.T, path string, mark int64) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if mark > int64(len(data)) {
		mark = 0
	}
	return string(data[mark:])
}

// runcRelease is the version `runc --version` prints on its first line.
func runcRelease(t testing.TB, runc string) string {
	out, err := exec.Command(runc, "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.Fields(strings.SplitN(string(out), "\n", 2)[0])
	if len(fields) == 0 {
		t.Fatalf("runc --version printed %q", out)
	}
	return fields[len(fields)-1]
}
