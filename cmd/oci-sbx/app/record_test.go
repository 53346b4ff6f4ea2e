package app

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oci-sbx/oci-sbx/convert"
	"github.com/oci-sbx/oci-sbx/internal/testutil"
	"github.com/oci-sbx/oci-sbx/oci/record"
	"github.com/oci-sbx/oci-sbx/oci/sandbox"
)

// busybox returns the static busybox (Debian's busybox-static), as
// /proc/PID/exe names it: a program whose runs repeat call for call.
func busybox(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("busybox")
	if err != nil {
		testutil.Missing(t, "busybox is not installed (apt-get install busybox-static)")
	}
	if p, err = filepath.EvalSymlinks(p); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestRecordCheckVerify goes the whole way through the command line:
// record a program, check the same run against the recording (nothing
// new), check another run (the new call is named, exit 99), verify the
// recording by replaying under it, and write it in every output format.
func TestRecordCheckVerify(t *testing.T) {
	dir := t.TempDir()
	bb := busybox(t)
	prof := filepath.Join(dir, "ls.yaml")

	code, _, stderr := runCLI(t, "record", "-o", prof, "--", bb, "ls", "/")
	if code != 0 {
		t.Fatalf("record: exit %d\n%s", code, stderr)
	}
	data, err := os.ReadFile(prof)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	for _, want := range []string{"# Command: " + bb + " ls / (exit status 0)", "default: errno(EPERM)", "syscalls: [getdents64]", "calls by " + bb} {
		if !strings.Contains(text, want) {
			t.Errorf("the profile lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "syscalls: [uname]") {
		t.Errorf("ls never called uname, yet the profile allows it:\n%s", text)
	}

	code, _, stderr = runCLI(t, "record", "--check", prof, "--", bb, "ls", "/")
	if code != 0 {
		t.Errorf("check of the recorded run: exit %d\n%s", code, stderr)
	}
	code, _, stderr = runCLI(t, "record", "--check", prof, "--", bb, "uname", "-a")
	if code != CheckFailed || !strings.Contains(stderr, "not in "+prof+": x86_64 uname by "+bb) ||
		!strings.Contains(stderr, " made 1 kind of call that "+prof+" does not allow") {
		t.Errorf("check of another run: exit %d, want %d naming uname, one kind of call\n%s", code, CheckFailed, stderr)
	}
	// A program's own 99 does not pass for a failed check.
	code, _, stderr = runCLI(t, "record", "--check", prof, "--", bb, "sh", "-c", "exit 99")
	if code != 1 && code != CheckFailed {
		t.Errorf("a program exiting 99: exit %d\n%s", code, stderr)
	}

	if sandbox.Supported {
		code, _, stderr = runCLI(t, "record", "--verify", "-o", filepath.Join(dir, "v.yaml"), "--", bb, "ls", "/")
		if code != 0 {
			t.Errorf("record --verify: exit %d\n%s", code, stderr)
		}
	}

	for _, to := range []convert.Format{convert.OCI, convert.Docker, convert.Kubernetes, convert.SPO} {
		out := filepath.Join(dir, "ls."+string(to))
		code, _, stderr = runCLI(t, "--quiet", "record", "--to", string(to), "-o", out, "--", bb, "ls", "/")
		if code != 0 {
			t.Errorf("record --to %s: exit %d\n%s", to, code, stderr)
			continue
		}
		// A program recorded outside a container made none of the
		// calls runc makes after loading the filter: said so, --quiet
		// or not, and once.
		if n := strings.Count(stderr, "oci-sbx: warning: "+string(to)+" output: [runc-cannot-start]"); n != 1 {
			t.Errorf("record --to %s: said %d times that runc cannot start it, want once\n%s", to, n, stderr)
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

	// The raw program: what ls made is allowed, what it never made not.
	if sandbox.Supported {
		out := filepath.Join(dir, "ls.bpf")
		if code, _, stderr = runCLI(t, "record", "--to", "bpf", "-o", out, "--", bb, "ls", "/"); code != 0 {
			t.Fatalf("record --to bpf: exit %d\n%s", code, stderr)
		}
		for call, want := range map[string]string{"getdents64": "allow", "uname": "errno(EPERM)"} {
			code, stdout, stderr := runCLI(t, "simulate", out, call)
			if code != 0 || !strings.Contains(stdout, want) {
				t.Errorf("simulate %s of the recorded program: exit %d, want %s\n%s%s", call, code, want, stdout, stderr)
			}
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

// TestVerifyFailsLoudly: a replay that makes a call the recording lacks
// names it — with its arguments and the executable — as it names the
// write of the error message that follows, and fails with the
// check's status, 99, without killing anything; and a profile missing a
// call the program makes fails its replay even where the program
// swallows the errno (busybox ls prints nothing and exits 0 when
// getdents64 fails).
func TestVerifyFailsLoudly(t *testing.T) {
	bb := busybox(t)
	dir := t.TempDir()
	flag := filepath.Join(dir, "ran")
	script := "if [ -e " + flag + " ]; then " + bb + " mkdir " + filepath.Join(dir, "d") + "; else " + bb + " touch " + flag + "; fi"
	code, _, stderr := runCLI(t, "record", "--verify", "-o", filepath.Join(dir, "p.yaml"), "--", bb, "sh", "-c", script)
	if code != CheckFailed || !strings.Contains(stderr, "oci-sbx: denied by the recorded profile: mkdir(\""+filepath.Join(dir, "d")+"\"") ||
		!strings.Contains(stderr, " by pid ") || !strings.Contains(stderr, bb) ||
		!strings.Contains(stderr, "verifying: the replay under the recorded profile failed: it refused 2 kinds of call: x86_64 mkdir, x86_64 write") {
		t.Errorf("a replay that calls mkdir, which the recorded run never did: exit %d, want %d naming mkdir\n%s", code, CheckFailed, stderr)
	}

	prof := filepath.Join(dir, "ls.yaml")
	if code, _, stderr = runCLI(t, "record", "-o", prof, "--", bb, "ls", "/"); code != 0 {
		t.Fatalf("record: exit %d\n%s", code, stderr)
	}
	data, _ := os.ReadFile(prof)
	cut := strings.Replace(string(data), "syscalls: [getdents64]", "syscalls: [getdents]", 1)
	p, err := convert.Read("cut.yaml", []byte(cut), convert.Rules, convert.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := record.Verify(t.Context(), record.Config{Args: []string{bb, "ls", "/"}}, p, nil)
	if !errors.Is(err, record.ErrReplay) || res == nil {
		t.Fatalf("the replay without getdents64 passed: %v, %v", res, err)
	}
	if res.Status != 0 || len(res.Denied) != 1 || !strings.HasPrefix(res.Denied[0].Text, "getdents64(") || res.Denied[0].Exe != bb {
		t.Errorf("the replay without getdents64: %s, denied %+v", res.String, res.Denied)
	}
}

// TestRecordStrict: engine output of a program recorded outside a
// container, which runc cannot start under, is refused with --strict and
// not written (exit 125); rules output passes.
func TestRecordStrict(t *testing.T) {
	bb := busybox(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "ls.json")
	code, _, stderr := runCLI(t, "record", "--strict", "--to", "docker", "-o", out, "--", bb, "true")
	if code != 125 || !strings.Contains(stderr, "refusing to write docker output") {
		t.Errorf("record --strict --to docker: exit %d\n%s", code, stderr)
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the refused output was written: %v", err)
	}
	if code, _, stderr = runCLI(t, "record", "--strict", "-o", filepath.Join(dir, "ls.yaml"), "--", bb, "true"); code != 0 {
		t.Errorf("record --strict, rules output: exit %d\n%s", code, stderr)
	}
}
