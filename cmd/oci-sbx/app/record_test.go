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
	"github.com/oci-sbx/oci-sbx/oci/record/replay"
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
		// or not.
		if !strings.Contains(stderr, "oci-sbx: warning: "+string(to)+" output: [runc-cannot-start]") {
			t.Errorf("record --to %s: no word that runc cannot start it\n%s", to, stderr)
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

// TestVerifyFailsLoudly: a profile that lacks a call the program makes
// fails the replay, naming the syscall. (busybox ls swallows the EPERM
// the profile's own default would give, and exits 0: hence the replay
// fails on any denial it sees, whatever the program makes of it.)
func TestVerifyFailsLoudly(t *testing.T) {
	if !sandbox.Supported {
		t.Skip("the replay needs the seccomp build")
	}
	bb := busybox(t)
	prof := filepath.Join(t.TempDir(), "ls.yaml")
	code, _, stderr := runCLI(t, "record", "-o", prof, "--", bb, "ls", "/")
	if code != 0 {
		t.Fatalf("record: exit %d\n%s", code, stderr)
	}
	data, _ := os.ReadFile(prof)
	cut := strings.Replace(string(data), "syscalls: [getdents64]", "syscalls: [getdents]", 1)
	p, err := convert.Read("cut.yaml", []byte(cut), convert.Rules, convert.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := replay.Run(t.Context(), record.Config{Args: []string{bb, "ls", "/"}}, p)
	if err == nil || !errors.Is(err, record.ErrReplay) {
		t.Fatalf("the replay without getdents64 passed: %v, %v", res, err)
	}
	if !res.SeccompKill {
		t.Fatalf("replay: %v, %v", res, err)
	}
	// busybox ls never reads, so the replay cannot hand a listener over
	// (replay.Strict) and kills: as root the kernel's audit record names
	// the call.
	if os.Geteuid() == 0 && !strings.Contains(err.Error(), "getdents64") {
		t.Errorf("the replay's error does not name the call: %v", err)
	}
	// With read and write allowed, the replay reports the call itself,
	// with its arguments, root or not.
	withRW := strings.Replace(cut, "rules:\n", "rules:\n  - {action: allow, syscalls: [read, write]}\n", 1)
	if p, err = convert.Read("cut.yaml", []byte(withRW), convert.Rules, convert.Options{}); err != nil {
		t.Fatal(err)
	}
	res, err = replay.Run(t.Context(), record.Config{Args: []string{bb, "ls", "/"}}, p)
	if !errors.Is(err, record.ErrReplay) || !res.SeccompKill || !strings.Contains(err.Error(), "getdents64(") {
		t.Errorf("the replay without getdents64 (read and write allowed): %v, %v", res, err)
	}
}
