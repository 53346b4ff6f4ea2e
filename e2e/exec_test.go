//go:build e2e

package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/oci-sbx/oci-sbx/internal/testutil"
)

type execBins struct{ oci, static, pure, app string }

// execBuild builds oci-sbx (seccomp build), oci-sbx as make build does
// (static, the launcher as its entry point), a pure oci-sbx and the static
// suspicious app into dir.
func execBuild(t *testing.T, dir string) execBins {
	t.Helper()
	b := execBins{filepath.Join(dir, "oci-sbx"), filepath.Join(dir, "oci-sbx-static"), filepath.Join(dir, "oci-sbx-pure"), filepath.Join(dir, "suspicious-app")}
	goBuild(t, b.oci, true, "-tags", "seccomp", "./cmd/oci-sbx")
	buildStatic(t, b.static)
	goBuild(t, b.pure, false, "./cmd/oci-sbx")
	goBuild(t, b.app, false, "./testdata/suspicious-app")
	return b
}

// TestExec builds the binaries once; the subtests run them.
func TestExec(t *testing.T) {
	b := execBuild(t, t.TempDir())
	t.Run("demo", func(t *testing.T) { testExecDemo(t, b) })
	t.Run("make-demo", func(t *testing.T) { testMakeDemo(t, b) })
	t.Run("more-attempts", func(t *testing.T) { testExecMoreAttempts(t, b) })
	t.Run("groups-close-bypasses", func(t *testing.T) { testExecGroups(t, b) })
	t.Run("seccomp-kill", func(t *testing.T) { testExecSeccompKill(t, b) })
	t.Run("dynamic-target", func(t *testing.T) { testExecDynamicTarget(t, b) })
	t.Run("pure-build", func(t *testing.T) { testExecPureBuild(t, b) })
	t.Run("unchecked-where-seccomp-is-denied", func(t *testing.T) { testExecUnchecked(t, b) })
	// The launcher as a constructor (a plain go build) and as the entry
	// point, before the C library (make build).
	t.Run("warm-launch", func(t *testing.T) { testExecWarmLaunch(t, b.oci, b.app) })
	t.Run("warm-launch-static", func(t *testing.T) { testExecWarmLaunch(t, b.static, b.app) })
}

// execDemoProfile is testdata/demo.yaml, the rules of the demo; the OCI
// JSON form of the same rules stands in where the file is missing.
func execDemoProfile(t *testing.T) string {
	t.Helper()
	p := filepath.Join(testutil.Root(t), "testdata", "demo.yaml")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	p = filepath.Join(t.TempDir(), "demo.json")
	demo := `{"defaultAction":"SCMP_ACT_ALLOW","flags":[],"syscalls":[{"names":["openat","connect"],"action":"SCMP_ACT_ERRNO","errnoRet":1}]}`
	if err := os.WriteFile(p, []byte(demo), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func testExecDemo(t *testing.T, b execBins) {
	oci, app := b.oci, b.app
	profile := execDemoProfile(t)

	code, out, stderr := runCmd(t, app)
	if code != 0 || !strings.Contains(out, "Summary: 3 succeed, 0 failed\n") {
		t.Fatalf("unsandboxed: exit status %d\nstdout:\n%s\nstderr:\n%s", code, out, stderr)
	}

	code, out, stderr = runCmd(t, oci, "exec", "--report", "--profile", profile, "--", app)
	t.Logf("sandboxed stdout:\n%s\nstderr:\n%s", out, stderr)
	if code != 0 || !strings.Contains(out, "Summary: 0 succeed, 3 failed\n") {
		t.Fatalf("sandboxed: exit status %d", code)
	}
	for _, activity := range []string{"read_file", "count_processes", "access_network"} {
		if !strings.Contains(out, "=== "+activity+" fail ===\n") {
			t.Errorf("%s did not fail", activity)
		}
	}
	for _, re := range []string{
		`(?m)^oci-sbx: denied pid=\d+ openat\(AT_FDCWD, "/etc/passwd", O_RDONLY\|O_CLOEXEC\) = EPERM$`,
		`(?m)^oci-sbx: denied pid=\d+ openat\(AT_FDCWD, "/proc", O_RDONLY\|O_DIRECTORY\|O_CLOEXEC\) = EPERM$`,
		`(?m)^oci-sbx: denied pid=\d+ connect\(\d+, \{AF_INET 127\.0\.0\.1:\d+\}, 16\) = EPERM$`,
	} {
		if !regexp.MustCompile(re).MatchString(stderr) {
			t.Errorf("report lacks a line matching %s", re)
		}
	}
}

// testExecMoreAttempts runs the app's other ways to its goals under the
// demo profile: this only checks they run and report, since what gets
// through is the hardening work's business.
func testExecMoreAttempts(t *testing.T, b execBins) {
	oci, app := b.oci, b.app
	code, out, stderr := runCmd(t, oci, "exec", "--profile", execDemoProfile(t), "--", app,
		"-only", "-open", "-openat2", "-udp-sendto", "-tcp-fastopen", "-int80-open", "-x32-open")
	t.Logf("stdout:\n%s\nstderr:\n%s", out, stderr)
	if code != 0 || !regexp.MustCompile(`(?m)^Summary: \d+ succeed, \d+ failed$`).MatchString(out) {
		t.Fatalf("exit status %d", code)
	}
	// Denylists leak: open(2) is not openat.
	if !strings.Contains(out, "=== open ok ===") {
		t.Error("raw open was stopped by a profile that denies only openat")
	}
}

// testExecGroups runs the attempts the demo's denylist lets through, first
// under the demo (each succeeds) and then under the same intent written
// with groups (each fails): the groups name every syscall of the class.
func testExecGroups(t *testing.T, b execBins) {
	testutil.RequireRoot(t) // open_by_handle_at needs CAP_DAC_READ_SEARCH
	attempts := []string{"open", "creat", "openat2", "open_by_handle_at", "io_uring_openat", "io_uring_connect", "udp_sendto", "udp_sendmsg", "tcp_fastopen"}
	args := []string{"-only"}
	for _, a := range attempts {
		args = append(args, "-"+strings.ReplaceAll(a, "_", "-"))
	}
	groups := filepath.Join(t.TempDir(), "groups.yaml")
	if err := os.WriteFile(groups, []byte("default: allow\nrules:\n  - action: errno(EPERM)\n    syscalls: [\"@file-open\", \"@network-connect\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, run := range []struct {
		profile, outcome string
	}{{execDemoProfile(t), "ok"}, {groups, "fail"}} {
		code, out, stderr := runCmd(t, b.oci, append([]string{"exec", "--profile", run.profile, "--", b.app}, args...)...)
		if code != 0 {
			t.Fatalf("%s: exit status %d\n%s\n%s", run.profile, code, out, stderr)
		}
		for _, a := range attempts {
			if !strings.Contains(out, "=== "+a+" "+run.outcome+" ===") {
				t.Errorf("under %s, %s did not end %q:\n%s", filepath.Base(run.profile), a, run.outcome, out)
			}
		}
	}
}

func testExecSeccompKill(t *testing.T, b execBins) {
	oci := b.oci
	profile := filepath.Join(t.TempDir(), "kill.json")
	kill := `{"defaultAction":"SCMP_ACT_ALLOW","flags":[],"syscalls":[{"names":["getppid"],"action":"SCMP_ACT_KILL_PROCESS"}]}`
	if err := os.WriteFile(profile, []byte(kill), 0o644); err != nil {
		t.Fatal(err)
	}
	// The shell asks for its parent's pid at start, for $PPID.
	code, _, stderr := runCmd(t, oci, "exec", "--profile", profile, "--", "sh", "-c", "echo $PPID")
	if code != 128+31 || !strings.Contains(stderr, "killed by seccomp") {
		t.Fatalf("exit status %d, want 159; stderr:\n%s", code, stderr)
	}
	testutil.RequireRoot(t) // the kernel log names the syscall only to root
	if !strings.Contains(stderr, "for syscall getppid") {
		t.Errorf("stderr does not name getppid:\n%s", stderr)
	}
}

func testExecDynamicTarget(t *testing.T, b execBins) {
	oci := b.oci
	code, _, stderr := runCmd(t, oci, "exec", "--profile", execDemoProfile(t), "--", "cat", "/etc/passwd")
	if code != 126 || !regexp.MustCompile(`cat is dynamically linked: its loader \S+ld-linux\S* opens libc with openat, which this profile denies \(errno EPERM\)`).MatchString(stderr) {
		t.Errorf("exit status %d, stderr:\n%s", code, stderr)
	}
}

func testExecPureBuild(t *testing.T, b execBins) {
	pure, app := b.pure, b.app
	code, _, stderr := runCmd(t, pure, "exec", "--profile", execDemoProfile(t), "--", app)
	if code != 125 || !strings.Contains(stderr, "built without seccomp support: rebuild with CGO_ENABLED=1 -tags seccomp") {
		t.Errorf("exit status %d, stderr:\n%s", code, stderr)
	}
}

// testExecWarmLaunch runs the same command line twice: cold, through the
// Go code, which runs the app in a child; warm, through the launcher, which
// becomes the app. Both print the same, warnings included.
func testExecWarmLaunch(t *testing.T, oci, app string) {
	testutil.RequireRoot(t) // the cache is root's only
	cache := t.TempDir()
	if err := os.Chmod(cache, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("OCI_SBX_CACHE", cache)
	// Docker's format with an archMap: reading it warns that the compat
	// architectures are left out.
	profile := filepath.Join(t.TempDir(), "docker.json")
	docker := `{"defaultAction":"SCMP_ACT_ALLOW","archMap":[{"architecture":"SCMP_ARCH_X86_64","subArchitectures":["SCMP_ARCH_X86","SCMP_ARCH_X32"]}],` +
		`"syscalls":[{"names":["connect"],"action":"SCMP_ACT_ERRNO"}]}`
	if err := os.WriteFile(profile, []byte(docker), 0o644); err != nil {
		t.Fatal(err)
	}
	type run struct {
		pid            int
		code           int
		stdout, stderr string
	}
	exec1 := func() run {
		cmd := exec.Command(oci, "exec", "--profile", profile, "--", app, "-status")
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatal(err)
		}
		return run{cmd.Process.Pid, cmd.ProcessState.ExitCode(), out.String(), errOut.String()}
	}
	cold, warm := exec1(), exec1()
	t.Logf("cold: %+v\nwarm: %+v", cold, warm)
	if !strings.Contains(cold.stdout, "Summary: 2 succeed, 1 failed") || !strings.Contains(cold.stderr, "archMap") {
		t.Fatalf("cold run: exit %d\nstdout:\n%s\nstderr:\n%s", cold.code, cold.stdout, cold.stderr)
	}
	// The app prints its pid: oci-sbx's own when it replaced oci-sbx.
	self := func(r run) bool {
		return strings.Contains(r.stdout, fmt.Sprintf("status: pid %d: Seccomp: 2\n", r.pid))
	}
	if self(cold) {
		t.Errorf("cold run: the app ran in oci-sbx's process; want a child")
	}
	if !self(warm) {
		t.Errorf("warm run: the app did not replace oci-sbx:\n%s", warm.stdout)
	}
	// Pids, the count of processes and the port vary from run to run.
	numbers := regexp.MustCompile(`\d+`)
	if warm.code != cold.code || warm.stderr != cold.stderr || numbers.ReplaceAllString(warm.stdout, "N") != numbers.ReplaceAllString(cold.stdout, "N") {
		t.Errorf("warm run differs from cold run")
	}
}

// testMakeDemo runs what make demo runs, its output into a pipe as in a
// CI log: the app without and with the sandbox, and headings without a
// terminal's escape sequences.
func testMakeDemo(t *testing.T, b execBins) {
	bin := t.TempDir()
	for name, from := range map[string]string{"oci-sbx": b.static, "suspicious-app": b.app} {
		if err := os.Symlink(from, filepath.Join(bin, name)); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(filepath.Join(testutil.Root(t), "testdata", "demo.sh"))
	cmd.Env = append(os.Environ(), "BIN="+bin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("demo.sh: %v\n%s", err, out)
	}
	if !regexp.MustCompile(`(?s)Summary: 3 succeed, 0 failed.*Summary: 0 succeed, 3 failed`).Match(out) {
		t.Errorf("demo.sh does not show the app without, then with the sandbox:\n%s", out)
	}
	if bytes.ContainsRune(out, 0x1b) || !bytes.Contains(out, []byte("\n== The rules")) {
		t.Errorf("demo.sh writes escape sequences, or no headings, into a pipe:\n%q", out)
	}
}

// testExecUnchecked: where oci-sbx cannot load a filter itself (here a
// profile denies seccomp(2)), convert cannot build the profile to check
// it: it writes the profile with a warning saying so, rather than
// refusing it as if runc could not load it.
func testExecUnchecked(t *testing.T, b execBins) {
	dir := t.TempDir()
	deny := filepath.Join(dir, "no-seccomp.yaml")
	if err := os.WriteFile(deny, []byte("default: allow\nrules:\n  - {action: errno(EPERM), syscalls: [seccomp]}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "demo.json")
	code, _, stderr := runCmd(t, b.oci, "exec", "--profile", deny, "--", b.oci, "convert", "-o", out, execDemoProfile(t))
	if code != 0 || !strings.Contains(stderr, "the profile could not be built here to check it: loading the filter that catches the load: operation not permitted; written without that check") {
		t.Fatalf("exit status %d, stderr:\n%s", code, stderr)
	}
	if _, err := os.Stat(out); err != nil {
		t.Errorf("nothing written: %v", err)
	}
}
