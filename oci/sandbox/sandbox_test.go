//go:build linux && cgo && seccomp

package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"

	"github.com/oci-sbx/oci-sbx/internal/testutil"
	"github.com/oci-sbx/oci-sbx/oci/loader"
	"github.com/oci-sbx/oci-sbx/oci/program"
)

// helperEnv selects what the test binary does when a test runs it as the
// sandboxed program. Filters are loaded only in those children (by the
// package's init mode), never in the test process.
const helperEnv = "SANDBOX_TEST_HELPER"

func TestMain(m *testing.M) {
	// The re-exec entry points, as cmd/oci-sbx's main calls them: Run's
	// init child, and the export child of the cache's program.Export.
	Init()
	program.Init()
	// Run as `exec …` to try the launcher (launch.c), which did not
	// launch: say so rather than run the tests.
	if len(os.Args) > 1 && os.Args[1] == "exec" {
		fmt.Println(notLaunched)
		os.Exit(3)
	}
	if mode, ok := os.LookupEnv(helperEnv); ok {
		os.Exit(helper(mode))
	}
	os.Exit(m.Run())
}

// helper is the sandboxed program.
func helper(mode string) int {
	switch mode {
	case "status":
		// What the kernel says about this process, and which
		// descriptors it inherited.
		status, err := os.ReadFile("/proc/self/status")
		if err != nil {
			fmt.Println("error:", err)
			return 1
		}
		for _, line := range strings.Split(string(status), "\n") {
			if strings.HasPrefix(line, "Seccomp:") || strings.HasPrefix(line, "NoNewPrivs:") || strings.HasPrefix(line, "Uid:") ||
				strings.HasPrefix(line, "Speculation_Store_Bypass:") {
				fmt.Println(strings.Join(strings.Fields(line), " "))
			}
		}
		// The Go runtime of this program opens descriptors of its own
		// (cgroup files, epoll), so the test checks what they point to.
		d, err := os.Open("/proc/self/fd")
		if err != nil {
			fmt.Println("error:", err)
			return 1
		}
		names, _ := d.Readdirnames(-1)
		for _, n := range names {
			if n != strconv.Itoa(int(d.Fd())) {
				l, _ := os.Readlink("/proc/self/fd/" + n)
				fmt.Printf("fd %s %s\n", n, l)
			}
		}
		return 0
	case "syscalls":
		// Raw calls, so that neither Go nor libc hides the result.
		for _, s := range strings.Fields(os.Getenv("SANDBOX_TEST_NRS")) {
			nr, _ := strconv.Atoi(s)
			_, _, errno := unix.RawSyscall6(uintptr(nr), 0, 0, 0, 0, 0, 0)
			fmt.Printf("%d errno=%d\n", nr, errno)
		}
		return 0
	case "mkdir":
		err := os.Mkdir(os.Getenv("SANDBOX_TEST_DIR"), 0o755)
		var errno syscall.Errno
		errors.As(err, &errno)
		fmt.Printf("mkdir errno=%d\n", errno)
		_, _, errno = unix.RawSyscall(unix.SYS_GETPPID, 0, 0, 0)
		fmt.Printf("getppid errno=%d\n", errno)
		return 0
	case "exit":
		code, _ := strconv.Atoi(os.Getenv("SANDBOX_TEST_CODE"))
		return code
	case "launched":
		// Started by the launcher: the pid it had, the filter, and the
		// descriptors beyond stdio it was left (none, but the runtime's).
		status, _ := os.ReadFile("/proc/self/status")
		fmt.Printf("pid %d\n", os.Getpid())
		for _, line := range strings.Split(string(status), "\n") {
			if strings.HasPrefix(line, "Seccomp:") || strings.HasPrefix(line, "NoNewPrivs:") {
				fmt.Println(strings.Join(strings.Fields(line), " "))
			}
		}
		_, _, errno := unix.RawSyscall(unix.SYS_GETPPID, 0, 0, 0)
		fmt.Printf("getppid errno=%d\n", errno)
		for fd := 3; fd < 64; fd++ {
			if l, err := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", fd)); err == nil && strings.Contains(l, "leak") {
				fmt.Printf("inherited fd %d %s\n", fd, l)
			}
		}
		code, _ := strconv.Atoi(os.Getenv("SANDBOX_TEST_CODE"))
		return code
	}
	fmt.Fprintln(os.Stderr, "unknown helper mode", mode)
	return 2
}

func self(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

type runOpts struct {
	env    []string
	report io.Writer
	cred   *Credential
	args   []string
	nnp    *bool
}

func run(t *testing.T, s *specs.LinuxSeccomp, mode string, o runOpts) (*Result, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	args := o.args
	if args == nil {
		args = []string{self(t)}
	}
	nnp := true
	if o.nnp != nil {
		nnp = *o.nnp
	}
	r, err := Run(context.Background(), Config{
		Seccomp:         s,
		NoNewPrivileges: nnp,
		Args:            args,
		Env:             append(os.Environ(), append([]string{helperEnv + "=" + mode}, o.env...)...),
		Stdout:          &out,
		Stderr:          &errOut,
		Report:          o.report,
		Credential:      o.cred,
	})
	if err == nil && r.Status() != 0 {
		t.Logf("helper %s: %v; stderr:\n%s", mode, r, errOut.String())
	}
	return r, out.String(), err
}

func TestStatusAndDescriptors(t *testing.T) {
	// Descriptors the parent leaks without close-on-exec reach the init
	// child; the program must not see them.
	marker := filepath.Join(t.TempDir(), "leaked")
	fd, err := unix.Open(marker, unix.O_RDWR|unix.O_CREAT, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	var p [2]int
	if err := unix.Pipe(p[:]); err != nil {
		t.Fatal(err)
	}
	leaked := []int{fd, p[0], p[1]}
	t.Cleanup(func() {
		for _, fd := range leaked {
			unix.Close(fd)
		}
	})
	var st unix.Stat_t
	if err := unix.Fstat(p[0], &st); err != nil {
		t.Fatal(err)
	}
	pipe := fmt.Sprintf("pipe:[%d]", st.Ino)
	for _, fd := range leaked {
		if flags, _ := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); flags&unix.FD_CLOEXEC != 0 {
			t.Fatalf("fd %d is close-on-exec; the test needs it inheritable", fd)
		}
	}

	r, out, err := run(t, testutil.Deny(unix.EPERM, "getppid"), "status", runOpts{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Status() != 0 {
		t.Fatalf("helper: %v", r)
	}
	for _, want := range []string{"Seccomp: 2\n", "NoNewPrivs: 1\n", "fd 0 ", "fd 1 ", "fd 2 "} {
		if !strings.Contains(out, want) {
			t.Errorf("helper output lacks %q:\n%s", want, out)
		}
	}
	for _, leak := range []string{marker, pipe} {
		if strings.Contains(out, " "+leak+"\n") {
			t.Errorf("the program inherited %s:\n%s", leak, out)
		}
	}
}

// TestFlags: an explicit empty flags list must reach runc's converter as
// such; without flags runc adds SECCOMP_FILTER_FLAG_SPEC_ALLOW, and the
// kernel then leaves the speculative store bypass mitigation off.
func TestFlags(t *testing.T) {
	for _, flags := range [][]specs.LinuxSeccompFlag{nil, {}, {specs.LinuxSeccompFlagLog}} {
		s := testutil.Deny(unix.EPERM, "getppid")
		s.Flags = flags
		data, err := encodeInitConfig(&initConfig{Profile: loader.Wire(s)})
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeInitConfig(data)
		if err != nil {
			t.Fatal(err)
		}
		if (got.Seccomp.Flags == nil) != (flags == nil) || len(got.Seccomp.Flags) != len(flags) {
			t.Errorf("flags %#v arrive as %#v", flags, got.Seccomp.Flags)
		}
	}

	// Where seccomp drives the mitigation, the kernel shows the difference.
	mode, _ := os.ReadFile("/sys/devices/system/cpu/vulnerabilities/spec_store_bypass")
	if !strings.Contains(string(mode), "seccomp") {
		t.Logf("not checked live: this kernel's store bypass mitigation does not follow seccomp (%s)", strings.TrimSpace(string(mode)))
		return
	}
	for _, tc := range []struct {
		flags []specs.LinuxSeccompFlag
		want  string
	}{
		{[]specs.LinuxSeccompFlag{}, "Speculation_Store_Bypass: thread force mitigated\n"},
		{nil, "Speculation_Store_Bypass: thread vulnerable\n"},
	} {
		s := testutil.Deny(unix.EPERM, "getppid")
		s.Flags = tc.flags
		_, out, err := run(t, s, "status", runOpts{})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out, tc.want) {
			t.Errorf("flags %#v: output lacks %q:\n%s", tc.flags, tc.want, out)
		}
	}
}

// TestFilteredUnderLoad runs the program 100 times while the test process
// keeps many goroutines busy: the filter must reach it every time, which
// fails when loading and execve happen on different threads.
func TestFilteredUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("100 runs")
	}
	var stop atomic.Bool
	var busy sync.WaitGroup
	for range 4 * runtime.GOMAXPROCS(0) {
		busy.Go(func() {
			for !stop.Load() {
				runtime.Gosched()
			}
		})
	}
	defer func() { stop.Store(true); busy.Wait() }()

	var filtered atomic.Int32
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for range 100 {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			_, out, err := run(t, testutil.Deny(unix.EPERM, "getppid"), "status", runOpts{})
			if err != nil {
				t.Error(err)
				return
			}
			if strings.Contains(out, "Seccomp: 2\n") {
				filtered.Add(1)
			}
		})
	}
	wg.Wait()
	if n := filtered.Load(); n != 100 {
		t.Errorf("filtered %d times out of 100", n)
	}
}

func TestDeniedErrno(t *testing.T) {
	dir := t.TempDir()
	s := testutil.Deny(unix.EACCES, "mkdirat", "mkdir")
	s.Syscalls = append(s.Syscalls, specs.LinuxSyscall{Names: []string{"getppid"}, Action: specs.ActErrno, ErrnoRet: testutil.Errno(unix.EXDEV)})
	env := []string{"SANDBOX_TEST_DIR=" + filepath.Join(dir, "x")}

	for _, report := range []bool{false, true} {
		t.Run(fmt.Sprintf("report=%v", report), func(t *testing.T) {
			var rep bytes.Buffer
			o := runOpts{env: env}
			if report {
				o.report = &rep
			}
			r, out, err := run(t, s, "mkdir", o)
			if err != nil {
				t.Fatal(err)
			}
			want := fmt.Sprintf("mkdir errno=%d\ngetppid errno=%d\n", unix.EACCES, unix.EXDEV)
			if r.Status() != 0 || out != want {
				t.Fatalf("got %v, output %q; want %q", r, out, want)
			}
			if !report {
				return
			}
			for _, want := range []string{
				fmt.Sprintf("denied pid=%d mkdirat(AT_FDCWD, %q, 0755) = EACCES\n", r.Pid, filepath.Join(dir, "x")),
				fmt.Sprintf("denied pid=%d getppid() = EXDEV\n", r.Pid),
			} {
				if !strings.Contains(rep.String(), want) {
					t.Errorf("report lacks %q:\n%s", want, rep.String())
				}
			}
			if _, err := os.Stat(filepath.Join(dir, "x")); err == nil {
				t.Error("the denied mkdir happened")
			}
		})
	}
}

// TestReportErrnoZero: an errno(0) rule makes the call return 0 without
// running. The report keeps it an errno rule and says so, since a
// listener never reports a success that did not happen.
func TestReportErrnoZero(t *testing.T) {
	var rep bytes.Buffer
	r, out, err := run(t, testutil.Deny(0, "getppid"), "syscalls", runOpts{report: &rep, env: []string{fmt.Sprintf("SANDBOX_TEST_NRS=%d", unix.SYS_GETPPID)}})
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("%d errno=0\n", unix.SYS_GETPPID); r.Status() != 0 || out != want {
		t.Fatalf("got %v, output %q; want %q", r, out, want)
	}
	if strings.Contains(rep.String(), "denied") || !strings.Contains(rep.String(), "note: calls of getppid are not reported: errno 0") {
		t.Errorf("report:\n%s", rep.String())
	}
}

func TestExitStatus(t *testing.T) {
	r, _, err := run(t, testutil.Deny(unix.EPERM, "getppid"), "exit", runOpts{env: []string{"SANDBOX_TEST_CODE=7"}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Status() != 7 || r.Signal != 0 {
		t.Errorf("got %v, want exit status 7", r)
	}
}

func TestKillProcess(t *testing.T) {
	s := &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Flags:         []specs.LinuxSeccompFlag{},
		Syscalls:      []specs.LinuxSyscall{{Names: []string{"getppid"}, Action: specs.ActKillProcess}},
	}
	r, out := runKill(t, s, "syscalls", runOpts{env: []string{fmt.Sprintf("SANDBOX_TEST_NRS=%d", unix.SYS_GETPPID)}})
	if !r.SeccompKill || r.Signal != unix.SIGSYS || r.Status() != 128+int(unix.SIGSYS) {
		t.Fatalf("got %v (output %q), want a seccomp kill", r, out)
	}
	if os.Geteuid() == 0 && r.Syscall != "getppid" {
		t.Errorf("the kill names syscall %q, want getppid (from /dev/kmsg)", r.Syscall)
	}
	t.Logf("%v", r)
}

// runKill runs a program the profile kills, as root until the kernel's
// log holds the audit record of the kill. The kernel prints those records
// through printk_ratelimit, a budget of the whole machine (10 lines per 5
// seconds): when other kills on the machine have spent it, the record of
// this one is dropped, and Run cannot name the syscall. So a run whose
// record the kernel did not print is run again once the budget is back,
// up to three times. Whatever the kernel did print, Run must have read:
// a record in the log for a run that names no syscall is an error.
func runKill(t *testing.T, s *specs.LinuxSeccomp, mode string, o runOpts) (*Result, string) {
	t.Helper()
	interval := 5 * time.Second
	if data, err := os.ReadFile("/proc/sys/kernel/printk_ratelimit"); err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(data))); err == nil {
			interval = time.Duration(n) * time.Second
		}
	}
	for try := 1; ; try++ {
		log := openKmsg() // nil unless root may read the kernel log
		r, out, err := run(t, s, mode, o)
		if err != nil {
			log.close()
			t.Fatal(err)
		}
		printed := log != nil && log.printed(r.Pid)
		log.close()
		switch {
		case log == nil || r.Syscall != "":
			return r, out
		case printed:
			t.Fatalf("the kernel log holds the audit record of pid %d, but the run names no syscall: %v", r.Pid, r)
		case try == 3:
			t.Fatalf("the kernel printed the audit record of none of %d seccomp kills (printk_ratelimit spent by other kills on the machine for %v)", try, time.Duration(try)*interval)
		}
		t.Logf("the kernel dropped the audit record of pid %d (printk_ratelimit): again in %v", r.Pid, interval)
		time.Sleep(interval)
	}
}

// printed reports whether the log, from where it was opened, holds a
// seccomp kill record for pid. It reads only what is there: Run has
// already waited for the record.
func (k *kmsg) printed(pid int) bool {
	buf := make([]byte, 8192)
	for {
		n, err := unix.Read(k.fd, buf)
		switch {
		case err == unix.EPIPE || err == unix.EINTR:
			continue
		case err != nil:
			return false
		}
		if _, ok := parseKillRecord(string(buf[:n]), pid); ok {
			return true
		}
	}
}

// allowlist returns an errno(EPERM)-default profile allowing every syscall
// libseccomp knows up to number max, except the ones named.
func allowlist(t *testing.T, max int, except ...string) *specs.LinuxSeccomp {
	t.Helper()
	var names []string
	for nr := range max + 1 {
		name, err := libseccomp.ScmpSyscall(nr).GetName()
		if err != nil || name == "" || slices.Contains(except, name) {
			continue
		}
		names = append(names, name)
	}
	return &specs.LinuxSeccomp{
		DefaultAction: specs.ActErrno,
		Flags:         []specs.LinuxSeccompFlag{},
		Syscalls:      []specs.LinuxSyscall{{Names: names, Action: specs.ActAllow}},
	}
}

// TestEnosysStub: runc's loader answers syscalls numbered above the
// profile's largest with ENOSYS (so programs fall back as on an older
// kernel), and the rest of the default-denied ones with the default errno.
func TestEnosysStub(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("syscall numbers are amd64's")
	}
	const futexWaitv, cachestat = 449, 451
	s := allowlist(t, 440, "getppid")
	nrs := fmt.Sprintf("SANDBOX_TEST_NRS=%d %d %d", unix.SYS_GETPPID, futexWaitv, cachestat)
	r, out, err := run(t, s, "syscalls", runOpts{env: []string{nrs}})
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("%d errno=%d\n%d errno=%d\n%d errno=%d\n", unix.SYS_GETPPID, unix.EPERM, futexWaitv, unix.ENOSYS, cachestat, unix.ENOSYS)
	if r.Status() != 0 || out != want {
		t.Errorf("got %v, output %q; want %q", r, out, want)
	}
}

func TestUnprivileged(t *testing.T) {
	testutil.RequireRoot(t) // to switch to nobody
	// nobody must be able to reach the program: a copy in a directory
	// anyone can search.
	dir, err := os.MkdirTemp("", "sandbox-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(dir, "helper")
	data, err := os.ReadFile(self(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(exe, data, 0o755); err != nil {
		t.Fatal(err)
	}
	nobody := &Credential{UID: 65534, GID: 65534}

	r, out, err := run(t, testutil.Deny(unix.EPERM, "getppid"), "status", runOpts{cred: nobody, args: []string{exe}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Seccomp: 2\n", "NoNewPrivs: 1\n", "Uid: 65534 65534 65534 65534\n"} {
		if r.Status() != 0 || !strings.Contains(out, want) {
			t.Errorf("got %v, output lacks %q:\n%s", r, want, out)
		}
	}

	// Without no_new_privs an unprivileged load must fail clearly.
	no := false
	_, _, err = run(t, testutil.Deny(unix.EPERM, "getppid"), "status", runOpts{cred: nobody, args: []string{exe}, nnp: &no})
	if err == nil || !strings.Contains(err.Error(), "CAP_SYS_ADMIN") {
		t.Errorf("got error %v, want one naming CAP_SYS_ADMIN", err)
	}
}

// TestDynamicLoader: the test binary uses cgo, so it is dynamically
// linked and its loader opens libc with openat.
func TestDynamicLoader(t *testing.T) {
	for _, tc := range []struct {
		name    string
		profile *specs.LinuxSeccomp
		outcome string
	}{
		{"errno", testutil.Deny(unix.EPERM, "openat", "connect"), "denies (errno EPERM)"},
		{"enosys-stub", allowlist(t, 200), "denies (errno ENOSYS)"},
		{"kill", &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Flags: []specs.LinuxSeccompFlag{},
			Syscalls: []specs.LinuxSyscall{{Names: []string{"openat"}, Action: specs.ActKillProcess}}}, "kills (SIGSYS)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := run(t, tc.profile, "exit", runOpts{})
			var le *LoaderError
			if !errors.As(err, &le) {
				t.Fatalf("got %v, want a LoaderError", err)
			}
			if le.Interp == "" || le.Syscall != "openat" || le.Outcome != tc.outcome {
				t.Errorf("got %+v, want interpreter, openat, %q", le, tc.outcome)
			}
			t.Log(err)
		})
	}
	// A profile that leaves openat alone passes.
	if _, _, err := run(t, testutil.Deny(unix.EPERM, "getppid"), "exit", runOpts{}); err != nil {
		t.Errorf("got %v", err)
	}
}

// TestCheckRefuses: profiles runc would refuse never reach a child.
func TestCheckRefuses(t *testing.T) {
	if _, err := Run(context.Background(), Config{Seccomp: testutil.Deny(unix.EPERM, "opnat"), Args: []string{"/bin/true"}}); !errors.Is(err, loader.ErrUnknownSyscall) {
		t.Errorf("Run: %v, want ErrUnknownSyscall", err)
	}
}

func TestNotFound(t *testing.T) {
	_, err := Run(context.Background(), Config{Seccomp: testutil.Deny(unix.EPERM, "getppid"), Args: []string{"no-such-program-here"}, Env: []string{"PATH=/nonexistent"}})
	if err == nil || !strings.Contains(err.Error(), "no-such-program-here") {
		t.Errorf("got %v", err)
	}
}

func TestParseKillRecord(t *testing.T) {
	rec := `6,1234,515436533,-;audit: type=1326 audit(1795926339.696:2): auid=4294967295 uid=0 gid=0 ses=4294967295 pid=10142 comm="k" exe="/tmp/k" sig=31 arch=c000003e syscall=110 compat=0 ip=0x7ff6930c74f7 code=0x80000000`
	if runtime.GOARCH != "amd64" {
		t.Skip("the record is from x86_64")
	}
	if got, ok := parseKillRecord(rec, 10142); !ok || got != "getppid" {
		t.Errorf("got %q, %v", got, ok)
	}
	if _, ok := parseKillRecord(rec, 10143); ok {
		t.Error("matched another pid")
	}
}

// TestSeccompKillReadsLog: the kernel log reader passes over other
// records, other pids' kills and overwritten records (EPIPE) to the kill
// record of its pid, one record a read as /dev/kmsg gives them.
func TestSeccompKillReadsLog(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("the records are from x86_64")
	}
	var fds [2]int
	if err := unix.Pipe2(fds[:], unix.O_CLOEXEC|unix.O_NONBLOCK|unix.O_DIRECT); err != nil { // O_DIRECT: a packet a write, as kmsg reads
		t.Fatal(err)
	}
	defer unix.Close(fds[1])
	rec := func(pid int) string {
		return fmt.Sprintf(`6,1234,515436533,-;audit: type=1326 audit(1795926339.696:2): auid=4294967295 uid=0 gid=0 ses=4294967295 pid=%d comm="k" exe="/tmp/k" sig=31 arch=c000003e syscall=110 compat=0 ip=0x7ff6930c74f7 code=0x80000000`, pid)
	}
	for _, line := range []string{"6,1,1,-;podman0: port 1(veth0) entered disabled state", rec(41), "4,2,2,-;kauditd_printk_skb: 3 callbacks suppressed", rec(42)} {
		if _, err := unix.Write(fds[1], []byte(line)); err != nil {
			t.Fatal(err)
		}
	}
	k := &kmsg{fd: fds[0]}
	defer k.close()
	if got := k.seccompKill(42); got != "getppid" {
		t.Errorf("seccompKill(42) = %q, want getppid", got)
	}
}

// BenchmarkStart compares the start-up cost of a sandboxed /bin/true with
// a plain fork and exec: the difference is the init child (a second exec
// of this binary) and the filter's compile and load.
func BenchmarkStart(b *testing.B) {
	p, err := exec.LookPath("true")
	if err != nil {
		testutil.Missing(b, "the benchmark runs true: %v", err)
	}
	b.Run("fork-exec", func(b *testing.B) {
		for b.Loop() {
			if err := exec.Command(p).Run(); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, report := range []bool{false, true} {
		b.Run(fmt.Sprintf("sandbox-report=%v", report), func(b *testing.B) {
			c := Config{Seccomp: testutil.Deny(unix.EPERM, "getppid"), NoNewPrivileges: true, Args: []string{p}}
			if report {
				c.Report = io.Discard
			}
			for b.Loop() {
				r, err := Run(context.Background(), c)
				if err != nil || r.Status() != 0 {
					b.Fatal(r, err)
				}
			}
		})
	}
}
