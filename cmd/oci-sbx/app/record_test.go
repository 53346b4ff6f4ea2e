package app

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oci-sbx/oci-sbx/convert"
	"github.com/oci-sbx/oci-sbx/oci/record"
	"github.com/oci-sbx/oci-sbx/oci/sandbox"
)

// The test binary serves as the recorder's init child, as oci-sbx does.
func TestMain(m *testing.M) {
	if record.IsInit() {
		os.Exit(record.Init())
	}
	os.Exit(m.Run())
}

// buildApp builds the suspicious app (static Go) for a test, and makes
// its runs repeatable: Go's runtime preempts a goroutine with a signal
// (getpid, tgkill) and yields (sched_yield) only when the machine is busy,
// so one run can need calls another did not make.
func buildApp(t *testing.T) string {
	t.Helper()
	t.Setenv("GODEBUG", "asyncpreemptoff=1")
	t.Setenv("GOMAXPROCS", "1")
	t.Setenv("GOGC", "off")
	bin := filepath.Join(t.TempDir(), "suspicious-app")
	cmd := exec.Command("go", "build", "-o", bin, "../../../testdata/suspicious-app")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the suspicious app: %v\n%s", err, out)
	}
	return bin
}

// TestRecordCheckVerify goes the whole way through the command line:
// record a program, check the same run against the recording (nothing
// new), check another run (the new calls are named, exit 99), verify the
// recording by replaying under it, and write it in every output format.
func TestRecordCheckVerify(t *testing.T) {
	dir := t.TempDir()
	app := buildApp(t)
	prof := filepath.Join(dir, "app.yaml")

	code, _, stderr := runCLI(t, "record", "-o", prof, "--", app)
	if code != 0 {
		t.Fatalf("record: exit %d\n%s", code, stderr)
	}
	data, err := os.ReadFile(prof)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	for _, want := range []string{"# Command: " + app + " (exit status 0)", "default: errno(EPERM)", "syscalls: [getdents64]", "calls by " + app} {
		if !strings.Contains(text, want) {
			t.Errorf("the profile lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "syscalls: [open]") {
		t.Errorf("the run never called open, yet the profile allows it:\n%s", text)
	}

	code, _, stderr = runCLI(t, "record", "--check", prof, "--", app)
	if code != 0 {
		t.Errorf("check of the recorded run: exit %d\n%s", code, stderr)
	}
	code, _, stderr = runCLI(t, "record", "--check", prof, "--", app, "--only", "--open")
	if code != CheckFailed || !strings.Contains(stderr, "x86_64 open by "+app) {
		t.Errorf("check of another run: exit %d, want %d naming open\n%s", code, CheckFailed, stderr)
	}

	if sandbox.Supported {
		code, _, stderr = runCLI(t, "record", "--verify", "-o", filepath.Join(dir, "v.yaml"), "--", app)
		if code != 0 {
			t.Errorf("record --verify: exit %d\n%s", code, stderr)
		}
	}

	for _, to := range []convert.Format{convert.OCI, convert.Docker, convert.Kubernetes, convert.SPO} {
		out := filepath.Join(dir, "app."+string(to))
		code, _, stderr = runCLI(t, "record", "--to", string(to), "-o", out, "--", app)
		if code != 0 {
			t.Errorf("record --to %s: exit %d\n%s", to, code, stderr)
			continue
		}
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		s, err := convert.Read(out, data, "", convert.Options{})
		if err != nil {
			t.Errorf("--to %s: reading it back: %v", to, err)
			continue
		}
		if s.DefaultAction != "SCMP_ACT_ERRNO" || len(s.Syscalls) < 10 {
			t.Errorf("--to %s: default %s, %d rules", to, s.DefaultAction, len(s.Syscalls))
		}
	}
}

// TestRecordExitStatus: the exit status is the program's.
func TestRecordExitStatus(t *testing.T) {
	code, _, stderr := runCLI(t, "record", "-o", filepath.Join(t.TempDir(), "p.yaml"), "--", "/bin/sh", "-c", "exit 7")
	if code != 7 {
		t.Errorf("exit %d, want 7\n%s", code, stderr)
	}
}

// TestVerifyFailsLoudly: a profile that lacks a call the program makes
// fails the replay, naming the syscall.
func TestVerifyFailsLoudly(t *testing.T) {
	if !sandbox.Supported {
		t.Skip("the replay needs the seccomp build")
	}
	app := buildApp(t)
	prof := filepath.Join(t.TempDir(), "app.yaml")
	code, _, stderr := runCLI(t, "record", "-o", prof, "--", app)
	if code != 0 {
		t.Fatalf("record: exit %d\n%s", code, stderr)
	}
	data, _ := os.ReadFile(prof)
	cut := strings.Replace(string(data), "syscalls: [getdents64]", "syscalls: [getdents]", 1)
	p, err := convert.Read("cut.yaml", []byte(cut), convert.Rules, convert.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := record.Replay(t.Context(), record.Config{Args: []string{app}}, p)
	if err == nil {
		t.Fatalf("the replay without getdents64 passed: %v", res)
	}
	if res == nil || !res.SeccompKill {
		t.Errorf("replay: %v, %v", res, err)
	}
	if os.Getuid() == 0 && !strings.Contains(err.Error(), "getdents64") {
		t.Logf("the kernel's audit record was not readable: %v", err)
	}
}
