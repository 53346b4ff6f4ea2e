package record

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
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/oci-sbx/oci-sbx/convert"
	"github.com/oci-sbx/oci-sbx/convert/filter"
	"github.com/oci-sbx/oci-sbx/internal/testutil"
	"github.com/oci-sbx/oci-sbx/oci/notify"
	export "github.com/oci-sbx/oci-sbx/oci/program"
	"github.com/oci-sbx/oci-sbx/oci/sandbox"
)

// The test binary is its own init child, as oci-sbx is, and a recorder
// that a test can kill (helperEnv).
const (
	helperEnv   = "OCI_SBX_RECORD_TEST_HELPER"
	nsHelperEnv = "OCI_SBX_RECORD_TEST_NS_HELPER"
)

var target string // the static marker program, built once

func TestMain(m *testing.M) {
	Init()
	// Replay runs the profile with sandbox.Run, which starts this binary
	// again as its init child or export child.
	sandbox.Init()
	export.Init()
	if args, ok := os.LookupEnv(helperEnv); ok {
		// Everything but ioctl runs unrecorded: once this recorder is
		// gone, the target can still write what it saw.
		s, err := convert.Read("base", []byte("default: allow\nrules: [{action: errno(EPERM), syscalls: [ioctl]}]\n"), "", convert.Options{})
		if err != nil {
			panic(err)
		}
		base, err := NewBase(s)
		if err != nil {
			panic(err)
		}
		_, err = Run(context.Background(), Config{Args: strings.Fields(args), Stderr: os.Stderr, Base: base})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	if args, ok := os.LookupEnv(nsHelperEnv); ok {
		// A recorder started in a pid namespace of its own (mode, then
		// the command): it prints each kind of call it recorded and by
		// which executables.
		f := strings.Fields(args)
		res, err := Run(context.Background(), Config{Args: f[1:], Mode: Mode(f[0])})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		calls, seen := res.Recording.Calls()
		for _, c := range calls {
			for exe := range seen[c].Exes {
				fmt.Printf("%s %s\n", c.Name(), exe)
			}
		}
		os.Exit(0)
	}
	dir, err := os.MkdirTemp("", "record-target-")
	if err != nil {
		panic(err)
	}
	target = filepath.Join(dir, "record-target")
	build := exec.Command("go", "build", "-o", target, "../../testdata/record-target")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building the record target: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// The shape of testdata/record-target's process tree.
const (
	children      = 4
	grandchildren = 2
	mainThreads   = 8
	childThreads  = 4
	grandThreads  = 2
	execveatRole  = 30 // a child that replaces itself through execveat
)

func marker(role, thread int) uint64 { return 0x5eed0000 | uint64(role)<<8 | uint64(thread) }

// wantMarkers lists every marker request the target makes.
func wantMarkers() []uint64 {
	var out []uint64
	for t := range mainThreads {
		out = append(out, marker(0, t))
	}
	for c := 1; c <= children; c++ {
		for t := range childThreads {
			out = append(out, marker(c, t))
		}
		for g := range grandchildren {
			for t := range grandThreads {
				out = append(out, marker(16+2*(c-1)+g, t))
			}
		}
	}
	for t := range grandThreads {
		out = append(out, marker(execveatRole, t))
	}
	return out
}

func ioctlValues(t *testing.T, rec *Recording, arch string) map[uint64]Seen {
	t.Helper()
	nr, err := filter.Syscall(arch, "ioctl")
	if err != nil {
		t.Fatal(err)
	}
	calls, seen := rec.Calls()
	out := map[uint64]Seen{}
	for _, c := range calls {
		if c.Arch == arch && c.Nr == nr {
			out[c.Values[0]] = seen[c]
		}
	}
	return out
}

// checkMarkers finds every marker once in got, made by the target.
// recordLoad records the target under load — its own calls, and every
// core kept busy by the test (c's Args and Stderr are
// set here), and checks that it succeeded and that every marker is in the
// recording; it returns the result and the ioctl requests recorded.
func recordLoad(t *testing.T, c Config) (*Result, map[uint64]Seen) {
	t.Helper()
	var stderr bytes.Buffer
	c.Args, c.Stderr = []string{target, "-load", "300"}, &stderr
	// Every core busy besides: threads get preempted, calls interleave.
	burn, stop := context.WithCancel(context.Background())
	for range runtime.NumCPU() {
		go func() {
			for burn.Err() == nil {
			}
		}()
	}
	res, err := Run(context.Background(), c)
	stop()
	if err != nil {
		t.Fatal(err)
	}
	if res.Status() != 0 {
		t.Fatalf("target: %s\n%s", status(res), stderr.String())
	}
	got := ioctlValues(t, res.Recording, "x86_64")
	checkMarkers(t, got)
	checkExecs(t, res.Recording)
	return res, got
}

func checkMarkers(t *testing.T, got map[uint64]Seen) {
	t.Helper()
	for _, m := range wantMarkers() {
		s, ok := got[m]
		if !ok {
			t.Errorf("marker %#x is missing", m)
			continue
		}
		if s.Count != 1 || s.Exes[target] != 1 {
			t.Errorf("marker %#x: seen %d times, by %v; want once by %s", m, s.Count, s.Exes, target)
		}
	}
}

// checkExecs finds the target's execveat, and the calls of the dynamic
// loader of the program the target ran (/bin/true), attributed to it.
func checkExecs(t *testing.T, rec *Recording) {
	t.Helper()
	dyn, err := filepath.EvalSymlinks("/bin/true")
	if err != nil {
		t.Fatal(err)
	}
	calls, seen := rec.Calls()
	var execveat bool
	byDyn := map[string]bool{}
	for _, c := range calls {
		execveat = execveat || c.Name() == "execveat" && seen[c].Exes[target] > 0
		if seen[c].Exes[dyn] > 0 {
			byDyn[c.Name()] = true
		}
	}
	if !execveat {
		t.Error("the execveat is missing")
	}
	// ld.so maps libc (mmap, openat) and the program exits (exit_group).
	for _, n := range []string{"openat", "mmap", "exit_group"} {
		if !byDyn[n] {
			t.Errorf("no %s by %s, the dynamic program: %v", n, dyn, byDyn)
		}
	}
}

// checkCompat finds the target's one i386 ioctl and its x32 getpid in rec.
func checkCompat(t *testing.T, rec *Recording) {
	t.Helper()
	if s := ioctlValues(t, rec, "x86")[0x5eedff00]; s.Count != 1 {
		t.Errorf("the i386 ioctl was seen %d times, want 1", s.Count)
	}
	calls, _ := rec.Calls()
	x32 := false
	for _, c := range calls {
		x32 = x32 || c.Arch == "x32" && c.Name() == "getpid"
	}
	if !x32 {
		t.Error("the x32 getpid is missing")
	}
}

// TestNothingLost records a program whose threads, children and
// grandchildren each make a marker call once, between hundreds of other
// calls made at the same time, and finds every marker in the recording,
// attributed to the target's executable, together with its i386 and x32
// calls.
func TestNothingLost(t *testing.T) {
	for _, nnp := range []bool{false, true} {
		t.Run(fmt.Sprintf("no_new_privs=%v", nnp), func(t *testing.T) {
			res, got := recordLoad(t, Config{NoNewPrivileges: nnp})
			// 40 markers and 2 kinds of load, far below the cap.
			if len(got) != len(wantMarkers())+2 {
				t.Errorf("%d distinct ioctl requests, want %d", len(got), len(wantMarkers())+2)
			}
			if runtime.GOARCH == "amd64" {
				checkCompat(t, res.Recording)
			}
			if res.Notifications < uint64(len(wantMarkers())*300) {
				t.Errorf("only %d notifications: the load did not reach the recorder", res.Notifications)
			}
		})
	}
}

// TestKilled: a program killed by a signal still yields what it did, and
// its status says how it ended.
func TestKilled(t *testing.T) {
	res, err := Run(context.Background(), Config{Args: []string{target, "-load", "10", "-mode", "selfkill"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Signal != syscall.SIGKILL || res.Status() != 137 {
		t.Fatalf("status %d (signal %v), want 137", res.Status(), res.Signal)
	}
	got := ioctlValues(t, res.Recording, "x86_64")
	for _, m := range wantMarkers()[:mainThreads] {
		if _, ok := got[m]; !ok {
			t.Errorf("marker %#x is missing", m)
		}
	}
	calls, _ := res.Recording.Calls()
	killed := false
	for _, c := range calls {
		killed = killed || c.Name() == "kill"
	}
	if !killed {
		t.Error("the kill call itself is missing")
	}
}

// TestDaemon: a descendant that outlives the program is named, and the
// recorder returns without waiting for it.
func TestDaemon(t *testing.T) {
	var out bytes.Buffer
	start := time.Now()
	res, err := Run(context.Background(), Config{Args: []string{target, "-load", "1", "-mode", "daemon"}, Stdout: &out})
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(out.String()))
	if err != nil {
		t.Fatalf("target printed %q", out.String())
	}
	defer unix.Kill(pid, unix.SIGKILL)
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Run took %v: it waited for the daemon", d)
	}
	if len(res.Leftovers) != 1 || res.Leftovers[0].Pid != pid || res.Leftovers[0].Exe != target {
		t.Fatalf("leftovers %v, want pid %d (%s)", res.Leftovers, pid, target)
	}
	if res.Status() != 0 {
		t.Errorf("status %d", res.Status())
	}
}

// TestVerifyDaemon: a replay whose program leaves a daemon says that the
// daemon's later calls are not checked.
func TestVerifyDaemon(t *testing.T) {
	var out bytes.Buffer
	o, err := Record(context.Background(), Options{Config: Config{Args: []string{target, "-load", "1", "-mode", "daemon"}, Stdout: &out}, Stdout: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	// The Go runtime of the target makes some calls at its own pace
	// (preemption signals, threads ending): a second run may make one the
	// first did not, and a refused thread exit can bring the daemon down
	// before it is named. They are allowed here; this test is about the
	// daemon.
	p := *o.Profile
	p.Syscalls = append(slices.Clone(p.Syscalls), specs.LinuxSyscall{Action: specs.ActAllow,
		Names: []string{"tgkill", "exit", "futex", "nanosleep", "sched_yield", "madvise", "mmap", "munmap", "mprotect", "sigaltstack", "rt_sigprocmask", "rt_sigreturn", "clone", "clone3", "gettid", "getpid"}})
	var alerts []string
	_, err = Verify(context.Background(), Config{Args: []string{target, "-load", "1", "-mode", "daemon"}, Stdout: &out}, &p, func(m string) { alerts = append(alerts, m) })
	for _, f := range strings.Fields(out.String()) {
		if pid, err := strconv.Atoi(f); err == nil {
			unix.Kill(pid, unix.SIGKILL)
		}
	}
	if err != nil && !errors.Is(err, ErrReplay) {
		t.Fatal(err)
	}
	found := false
	for _, a := range alerts {
		found = found || strings.Contains(a, target) && strings.HasSuffix(a, "was still running when the replayed command exited; its later calls are not checked")
	}
	if !found {
		t.Errorf("alerts %q name no daemon", alerts)
	}
}

// TestRecorderDies: when the recorder is killed, the program is not left
// waiting: its notified calls fail with ENOSYS. (Here only ioctl is
// notified; a program whose every call is notified cannot even exit then:
// exit_group fails too.)
func TestRecorderDies(t *testing.T) {
	flag := filepath.Join(t.TempDir(), "flag")
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	rec := exec.Command(self)
	rec.Env = append(os.Environ(), helperEnv+"="+target+" -mode untilenosys "+flag)
	rec.Stderr = os.Stderr
	if err := rec.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor := func(want string) bool {
		for range 1000 {
			if b, _ := os.ReadFile(flag); string(b) == want {
				return true
			}
			time.Sleep(10 * time.Millisecond)
		}
		return false
	}
	if !waitFor("started\n") {
		rec.Process.Kill()
		rec.Wait()
		t.Fatal("the target never started")
	}
	if err := rec.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	rec.Wait()
	if !waitFor("ENOSYS\n") {
		t.Fatal("the target never saw ENOSYS once the recorder was gone")
	}
}

// TestBaseRunsUnrecorded: with an earlier recording as the base, a second
// run records only what is new — in every mode: notify answers it far
// less often, and eBPF skips what the base allows in the kernel.
func TestBaseRunsUnrecorded(t *testing.T) {
	first, err := Run(context.Background(), Config{Args: []string{target, "-load", "50"}})
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := Profile(first.Recording, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := readProfile(t, p.String())
	base, err := NewBase(s)
	if err != nil {
		t.Fatal(err)
	}
	// A base lacking the markers of one child: exactly those are new.
	text := p.String()
	for th := range childThreads {
		text = strings.Replace(text, fmt.Sprintf("\"arg1 & 0xffffffff == %#x\"", marker(2, th)), "\"arg1 & 0xffffffff == 1\"", 1)
	}
	lacking, err := NewBase(readProfile(t, text))
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []Mode{ModeNotify, ModeEBPF} {
		t.Run(string(mode), func(t *testing.T) {
			if mode == ModeEBPF && os.Geteuid() != 0 {
				testutil.Missing(t, "eBPF recording needs root")
			}
			second, err := Run(context.Background(), Config{Args: []string{target, "-load", "50"}, Base: base, Mode: mode})
			if err != nil {
				t.Fatal(err)
			}
			// What the first run did is in the base; the Go runtime may
			// make a call or two it did not make the first time.
			if n := second.Recording.Len(); n > 3 {
				calls, _ := second.Recording.Calls()
				t.Errorf("%d kinds of call recorded again: %v", n, calls)
			}
			if mode == ModeNotify && second.Notifications*10 > first.Notifications {
				t.Errorf("%d notifications with the base, %d without", second.Notifications, first.Notifications)
			}

			var checked []Call
			c := Config{Args: []string{target, "-load", "50"}, Base: lacking, Mode: mode}
			if mode == ModeNotify {
				c.Check = func(c Call, exe string) { checked = append(checked, c) }
			}
			third, err := Run(context.Background(), c)
			if err != nil {
				t.Fatal(err)
			}
			got := ioctlValues(t, third.Recording, "x86_64")
			for th := range childThreads {
				if s, ok := got[marker(2, th)]; !ok || s.Count != 1 {
					t.Errorf("the marker %#x the base lacks was recorded %d times, want once", marker(2, th), s.Count)
				}
			}
			if len(got) != childThreads {
				t.Errorf("ioctl requests recorded: %v, want only child 2's markers", got)
			}
			if mode == ModeNotify && len(checked) < childThreads {
				t.Errorf("check saw %v", checked)
			}
		})
	}
}

// TestEBPFNothingLost is TestNothingLost for the eBPF recorder.
func TestEBPFNothingLost(t *testing.T) {
	if os.Geteuid() != 0 {
		testutil.Missing(t, "the eBPF recorder needs root")
	}
	res, got := recordLoad(t, Config{Mode: ModeEBPF})
	if s := got[0x5eedfe00]; s.Count < uint64(len(wantMarkers())*150) {
		t.Errorf("the load's ioctl was counted %d times", s.Count)
	}
	checkCompat(t, res.Recording)
}

// TestSetIDUnderNoNewPrivs: a set-user-ID program recorded under the
// no_new_privs the recorder sets runs without its privileges, and the
// result names it; the same program without the bit is not named.
func TestSetIDUnderNoNewPrivs(t *testing.T) {
	testutil.RequireRoot(t)
	data, err := os.ReadFile(target)
	if err != nil {
		t.Fatal(err)
	}
	setuid := filepath.Join(t.TempDir(), "setuid-target")
	if err := os.WriteFile(setuid, data, 0o755); err != nil {
		t.Fatal(err)
	}
	// Owned by another user: the bit would change who runs it.
	if err := os.Chown(setuid, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(setuid, 0o755|os.ModeSetuid); err != nil {
		t.Fatal(err)
	}
	for exe, want := range map[string][]string{setuid: {setuid}, target: nil} {
		res, err := Run(context.Background(), Config{NoNewPrivileges: true, Args: []string{exe, "-mode", "grand", "-role", "1", "-load", "1"}})
		if err != nil {
			t.Fatal(err)
		}
		if res.Status() != 0 || !slices.Equal(res.Unprivileged, want) {
			t.Errorf("%s: status %d, unprivileged %v, want %v", exe, res.Status(), res.Unprivileged, want)
		}
	}
}

// TestRecordsItsOwnExecutable: a program that is the recorder's own
// executable (this test binary, run with no test) is recorded like any
// other in both modes — its Go runtime's calls, not only its execve —
// while the recorder's own calls before the execve are not.
func TestRecordsItsOwnExecutable(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	self = selfPath(self)
	modes := []Mode{ModeNotify}
	if os.Geteuid() == 0 {
		modes = append(modes, ModeEBPF)
	}
	for _, mode := range modes {
		t.Run(string(mode), func(t *testing.T) {
			res, err := Run(context.Background(), Config{Mode: mode, Args: []string{self, "-test.run=^$"}})
			if err != nil {
				t.Fatal(err)
			}
			if res.Status() != 0 {
				t.Fatalf("status %d", res.Status())
			}
			kinds := callsBy(res.Recording, self)
			for _, want := range []string{"execve", "rt_sigaction", "mmap", "clone"} {
				if !kinds[want] {
					t.Errorf("%s by %s is missing; seen %v", want, self, kinds)
				}
			}
		})
	}
}

// TestRecordFailsBeforeRunning: an output file whose directory cannot
// take it fails the recording before the program runs, not after.
func TestRecordFailsBeforeRunning(t *testing.T) {
	ran := filepath.Join(t.TempDir(), "ran")
	_, err := Record(context.Background(), Options{
		Output: filepath.Join(t.TempDir(), "missing", "p.yaml"),
		Config: Config{Mode: ModeNotify, Args: []string{"/bin/sh", "-c", "echo > " + ran}},
	})
	if err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("got %v", err)
	}
	if _, err := os.Stat(ran); err == nil {
		t.Error("the program ran although its recording could not be written")
	}
}

// TestVerifyReportsArgumentMiss: a program that made only AF_UNIX sockets
// gets no AF_INET socket under its recording, and a replay that makes one
// names it — the call with its arguments, the executable — and fails,
// without killing anything; a replay of the same run passes.
func TestVerifyReportsArgumentMiss(t *testing.T) {
	for _, mode := range []Mode{ModeNotify, ModeEBPF} {
		t.Run(string(mode), func(t *testing.T) {
			if mode == ModeEBPF && os.Geteuid() != 0 {
				testutil.Missing(t, "eBPF recording needs root")
			}
			// What Go's runtime does only when the machine is busy (a
			// preemption signal, a yield) comes from the base, so that
			// the replays repeat the recorded run call for call.
			base, err := NewBase(readProfile(t, "default: errno(EPERM)\nrules: [{action: allow, syscalls: [sched_yield, getpid, gettid, tgkill, rt_sigreturn, futex, nanosleep, madvise, mmap, munmap, epoll_pwait]}]\n"))
			if err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(t.TempDir(), "socket.yaml")
			o, err := Record(context.Background(), Options{Config: Config{Args: []string{target, "-mode", "socket", "unix"}, Mode: mode, Base: base}, Output: out})
			if err != nil {
				t.Fatal(err)
			}
			text, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(text, []byte("syscalls: [socket]")) || !bytes.Contains(text, []byte("AF_UNIX")) || bytes.Contains(text, []byte("AF_INET")) {
				t.Fatalf("the recording of AF_UNIX sockets:\n%s", text)
			}
			var alerts []string
			alert := func(m string) { alerts = append(alerts, m) }
			if rr, err := Verify(context.Background(), Config{Args: []string{target, "-mode", "socket", "unix"}}, o.Profile, alert); err != nil || len(rr.Denied) != 0 {
				t.Fatalf("the replay of the recorded run: %v (%v)", err, alerts)
			}
			rr, err := Verify(context.Background(), Config{Args: []string{target, "-mode", "socket", "unix", "inet"}}, o.Profile, alert)
			if !errors.Is(err, ErrReplay) || rr == nil {
				t.Fatalf("a replay making an AF_INET socket: %v", err)
			}
			if rr.Status != 0 {
				t.Errorf("the replay ended with %s: a refused call must not kill", rr.String)
			}
			if len(rr.Denied) != 1 || rr.Denied[0].Call.Name() != "socket" || rr.Denied[0].Exe != target || rr.Denied[0].Errno != unix.EPERM ||
				!strings.HasPrefix(rr.Denied[0].Text, "socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC") {
				t.Fatalf("denials %+v", rr.Denied)
			}
			if len(alerts) != 1 || !strings.Contains(alerts[0], "socket(AF_INET") || !strings.Contains(alerts[0], target) || !strings.Contains(err.Error(), "socket") {
				t.Errorf("alerts %q, error %v", alerts, err)
			}
		})
	}
}

// TestVerifyOtherArch: a replay's call on an architecture the profile
// does not list (the target's one i386 ioctl) is refused and named with
// its architecture, and the program goes on.
func TestVerifyOtherArch(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("the target makes an i386 call on amd64 only")
	}
	base, err := NewBase(readProfile(t, "default: errno(EPERM)\nrules: [{action: allow, syscalls: [sched_yield, getpid, gettid, tgkill, rt_sigreturn, futex, nanosleep, madvise, mmap, munmap, epoll_pwait]}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "p.yaml")
	args := []string{target, "-load", "1"}
	if _, err := Record(context.Background(), Options{Config: Config{Args: args, Base: base, Mode: ModeNotify}, Output: out}); err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	cut := strings.Replace(string(text), "architectures: [x32, x86, x86_64]", "architectures: [x32, x86_64]", 1)
	if cut == string(text) {
		t.Fatalf("the recording lists no i386:\n%s", text)
	}
	var alerts []string
	rr, err := Verify(context.Background(), Config{Args: args}, readProfile(t, cut), func(m string) { alerts = append(alerts, m) })
	if !errors.Is(err, ErrReplay) || rr == nil || rr.Status != 0 {
		t.Fatalf("the replay without i386: %v (%+v)", err, rr)
	}
	if len(rr.Denied) != 1 || rr.Denied[0].Call.Arch != "x86" || rr.Denied[0].Call.Name() != "ioctl" || len(alerts) != 1 || !strings.Contains(alerts[0], ") on x86 = EPERM by pid ") {
		t.Errorf("denials %+v, alerts %q", rr.Denied, alerts)
	}
}

// TestVerifyCannotRun: a replay that cannot start is not a profile found
// short.
func TestVerifyCannotRun(t *testing.T) {
	_, err := Verify(context.Background(), Config{Args: []string{"/nonexistent/program"}}, readProfile(t, "default: errno(EPERM)\nrules: [{action: allow, syscalls: [execve]}]\n"), nil)
	if err == nil || errors.Is(err, ErrReplay) {
		t.Errorf("replaying a program that does not exist: %v", err)
	}
}

// TestHandshakeFromAnotherThread: the init child loads its filter on the
// thread Go's scheduler gave it, which need not be its first; the
// handshake from that thread starts the recording all the same (else the
// run would be recorded as making no call at all), and that thread is the
// child until its execve.
func TestHandshakeFromAnotherThread(t *testing.T) {
	// Two goroutines, each on a thread of its own: at most one of them is
	// the process's first thread.
	tids := make(chan int, 2)
	release := make(chan struct{})
	defer close(release)
	for range 2 {
		go func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			tids <- unix.Gettid()
			<-release
		}()
	}
	tid := <-tids
	if tid == os.Getpid() {
		tid = <-tids
	}
	if !handshakeFrom(&notify.Notif{Pid: uint32(tid), Data: notify.Data{Nr: handshakeNr}}, int32(os.Getpid())) {
		t.Errorf("a handshake from thread %d of %d was not taken", tid, os.Getpid())
	}
	// Another process's call of the same number starts nothing, nor does
	// another call of the child's.
	if handshakeFrom(&notify.Notif{Pid: 1, Data: notify.Data{Nr: handshakeNr}}, int32(os.Getpid())) {
		t.Error("a handshake from pid 1 started the recording")
	}
	if handshakeFrom(&notify.Notif{Pid: uint32(tid), Data: notify.Data{Nr: unix.SYS_GETPID}}, int32(os.Getpid())) {
		t.Error("getpid was taken for the handshake")
	}
}

// TestReusedThreadID: a thread that makes a call and then dies without one
// of its own (its process exits from another thread) leaves its id free;
// a later process of another executable given that id (clone3's set_tid,
// as pid_max's wrap-around would) is named by its own executable, not by
// what the recorder knew of the dead thread.
func TestReusedThreadID(t *testing.T) {
	testutil.RequireRoot(t) // set_tid needs CAP_SYS_ADMIN
	if runtime.GOARCH != "amd64" {
		t.Skip("the target starts the process by clone3 in amd64 assembly")
	}
	other := filepath.Join(t.TempDir(), "record-target-copy")
	b, err := os.ReadFile(target)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(other, b, 0o755); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	res, err := Run(context.Background(), Config{Args: []string{target, "-mode", "reuse", other}, Stderr: &stderr, Mode: ModeNotify})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status() != 0 {
		t.Fatalf("target: %s\n%s", status(res), stderr.String())
	}
	got := ioctlValues(t, res.Recording, "x86_64")
	for m, exe := range map[uint64]string{marker(40, 0): target, marker(41, 0): other} {
		if s := got[m]; s.Count != 1 || s.Exes[exe] != 1 {
			t.Errorf("marker %#x: seen %d times, by %v; want once by %s", m, s.Count, s.Exes, exe)
		}
	}
}

// TestExecFromAnotherThread: a thread other than the first execs a
// program while the first thread keeps making calls; the new image takes
// over the first thread's id, and each of its calls is named by its own
// executable, never by the old image's that the recorder saw under that
// id a moment before. The window is a race: several runs.
func TestExecFromAnotherThread(t *testing.T) {
	dyn, err := filepath.EvalSymlinks("/bin/true")
	if err != nil {
		t.Fatal(err)
	}
	for run := range 10 {
		var stderr bytes.Buffer
		res, err := Run(context.Background(), Config{Args: []string{target, "-mode", "threadexec", dyn}, Stderr: &stderr, Mode: ModeNotify})
		if err != nil {
			t.Fatal(err)
		}
		if res.Status() != 0 {
			t.Fatalf("target: %s\n%s", status(res), stderr.String())
		}
		calls, seen := res.Recording.Calls()
		for _, c := range calls {
			// The old image's threads end without exit_group.
			if c.Name() == "exit_group" && (seen[c].Count != 1 || seen[c].Exes[dyn] != 1) {
				t.Errorf("run %d: exit_group seen %d times, by %v; want once by %s", run, seen[c].Count, seen[c].Exes, dyn)
			}
		}
	}
}

// TestRecordsItselfWithExecAllowed: with a base that lets execve run
// unseen, no call marks the end of the init child's set-up, and the
// program may be oci-sbx itself; its calls are still all recorded.
func TestRecordsItselfWithExecAllowed(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	self = selfPath(self)
	base, err := NewBase(readProfile(t, "default: errno(EPERM)\nrules: [{action: allow, syscalls: [execve, execveat]}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	for run := range 2 {
		res, err := Run(context.Background(), Config{Mode: ModeNotify, Base: base, Args: []string{self, "-test.run=^$"}})
		if err != nil {
			t.Fatal(err)
		}
		if res.Status() != 0 {
			t.Fatalf("status %d", res.Status())
		}
		kinds := callsBy(res.Recording, self)
		// The first thread's first calls: the runtime's set-up.
		for _, want := range []string{"arch_prctl", "rt_sigaction", "mmap", "clone", "exit_group"} {
			if !kinds[want] {
				t.Errorf("run %d: %s by %s is missing; seen %v", run, want, self, kinds)
			}
		}
	}
}

// TestEBPFInPidNamespace: the eBPF recorder tells its own fork child's
// calls (before it execs the program) from the program's by the parent's
// tgid, which the kernel holds in the initial pid namespace; a recorder
// running in a pid namespace of its own (a container, unshare --pid)
// still leaves them out, rather than recording oci-sbx's calls as the
// program's.
func TestEBPFInPidNamespace(t *testing.T) {
	testutil.RequireRoot(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dyn, err := filepath.EvalSymlinks("/bin/true")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self, "-test.run=^$")
	cmd.Env = append(os.Environ(), nsHelperEnv+"=ebpf "+dyn)
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID}
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && strings.Contains(string(ee.Stderr), ErrEBPFUnsupported.Error()) {
			testutil.Missing(t, "eBPF recording: %s", ee.Stderr)
		}
		t.Fatalf("the recorder in a pid namespace: %v\n%s", err, out)
	}
	var byDyn int
	for line := range strings.Lines(string(out)) {
		name, exe, _ := strings.Cut(strings.TrimSpace(line), " ")
		if exe == dyn {
			byDyn++
		} else if name != "execve" {
			t.Errorf("%s by %s recorded: the program only ran %s", name, exe, dyn)
		}
	}
	if byDyn == 0 {
		t.Errorf("no call of %s recorded:\n%s", dyn, out)
	}
}

// TestNotifyRefusesForeignProc: in a pid namespace whose /proc is another
// namespace's, the notify recorder would read who called from another
// process's /proc entry (or none): it refuses before running anything.
func TestNotifyRefusesForeignProc(t *testing.T) {
	testutil.RequireRoot(t) // a pid namespace of its own
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self, "-test.run=^$")
	cmd.Env = append(os.Environ(), nsHelperEnv+"=notify /bin/true")
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID}
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "another pid namespace's") {
		t.Errorf("recording in a pid namespace with the parent's /proc: %v, want a refusal naming /proc\n%s", err, out)
	}
}

// callsBy names the kinds of call a recording saw exe make.
func callsBy(r *Recording, exe string) map[string]bool {
	calls, seen := r.Calls()
	kinds := map[string]bool{}
	for _, c := range calls {
		if seen[c].Exes[exe] > 0 {
			kinds[c.Name()] = true
		}
	}
	return kinds
}
