//go:build linux && cgo && seccomp

package program_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
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
	"unsafe"

	"github.com/google/go-cmp/cmp"
	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/oci-sbx/oci-sbx/convert"
	"github.com/oci-sbx/oci-sbx/convert/filter"
	"github.com/oci-sbx/oci-sbx/convert/rules"
	"github.com/oci-sbx/oci-sbx/convert/syscalls"
	"github.com/oci-sbx/oci-sbx/internal/testutil"
	"github.com/oci-sbx/oci-sbx/oci/loader"
	"github.com/oci-sbx/oci-sbx/oci/program"
	"github.com/oci-sbx/oci-sbx/oci/sandbox"
)

// exportHelperEnv makes the test binary a helper child: "run" runs a
// profile's program through sandbox.Run (the export tests trace its
// grandchild); "export" prints the hex of the exported programs of the
// profiles in $SANDBOX_EXPORT_TEST_PROFILES.
const exportHelperEnv = "SANDBOX_EXPORT_TEST_HELPER"

func TestMain(m *testing.M) {
	// The re-exec entry points of the packages under test.
	sandbox.Init()
	program.Init()
	switch os.Getenv(exportHelperEnv) {
	case "run":
		os.Exit(exportHelperRun())
	case "export":
		os.Exit(exportHelperExport())
	}
	os.Exit(m.Run())
}

func exportHelperRun() int {
	var s specs.LinuxSeccomp
	if err := json.Unmarshal([]byte(os.Getenv("SANDBOX_EXPORT_TEST_PROFILE")), &s); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	s.Flags = []specs.LinuxSeccompFlag{}
	r, err := sandbox.Run(context.Background(), sandbox.Config{Seccomp: &s, NoNewPrivileges: true, Args: []string{os.Getenv("SANDBOX_EXPORT_TEST_PROG")}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Fprintln(os.Stderr, "the spinner ended:", r) // the test kills it with SIGKILL
	return 0
}

func exportHelperExport() int {
	var profiles []*specs.LinuxSeccomp
	if err := json.Unmarshal([]byte(os.Getenv("SANDBOX_EXPORT_TEST_PROFILES")), &profiles); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	fmt.Printf("uid=%d\n", os.Getuid())
	for _, s := range profiles {
		b, err := program.Export(context.Background(), s)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Println(hex.EncodeToString(b))
	}
	return 0
}

// goRuntime are the syscalls the Go runtime of Run's init child may make
// between the load and execve (a preemption signal's rt_sigreturn, a lock,
// an allocation): an allowlist without them kills the child now and then.
const goRuntime = "rt_sigreturn, rt_sigprocmask, futex, sched_yield, nanosleep, mmap, munmap, madvise"

// exportProfile is one of the profiles the export tests hold to their
// meaning.
type exportProfile struct {
	name string
	s    *specs.LinuxSeccomp
}

func exportProfiles(t *testing.T) []exportProfile {
	t.Helper()
	read := func(name, src string) *specs.LinuxSeccomp {
		s, err := convert.Read(name, []byte(src), convert.Rules, convert.Options{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return s
	}
	demo, err := os.ReadFile("../../testdata/demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	docker, err := convert.Builtin("docker-default", convert.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dockerMulti, err := convert.Builtin("docker-default", convert.Options{Arches: []string{"x86_64", "x86", "x32"}})
	if err != nil {
		t.Fatal(err)
	}
	return []exportProfile{
		{"demo", read("demo.yaml", string(demo))},
		{"docker-default", docker},
		{"docker-default-x86_64-x86-x32", dockerMulti},
		{"allowlist", read("allowlist.yaml", `
default: kill-process
rules:
  - syscalls: [execve, exit_group, read, write, close]
    action: allow
  - syscalls: [`+goRuntime+`]
    action: allow
  - syscalls: [openat]
    action: allow
    when: ["arg2 & O_ACCMODE == O_RDONLY"]
  - syscalls: [socket]
    action: allow
    when: ["arg0 == AF_UNIX", "arg1 & 0xf == SOCK_STREAM"]
  - syscalls: [mprotect]
    action: allow
    when: ["arg2 <= 3", "arg0 != 0"]
  - syscalls: [ioctl]
    action: errno(ENOTTY)
`)},
		{"errno-default", read("errno.yaml", `
default: errno(EACCES)
rules:
  - syscalls: [execve, exit_group, read, write]
    action: allow
  - syscalls: [`+goRuntime+`]
    action: allow
  - syscalls: [kill, tkill]
    action: errno(EPERM)
  - syscalls: [personality]
    action: allow
    when: ["arg0 == 0xffffffff"]
  - syscalls: [clone3]
    action: errno(ENOSYS)
`)},
		{"x86_64-x86-x32", read("multiarch.yaml", `
default: errno(EPERM)
architectures: [x86_64, x86, x32]
rules:
  - syscalls: [execve, exit_group, read, write]
    action: allow
  - syscalls: [`+goRuntime+`]
    action: allow
  - syscalls: [socket]
    action: allow
    when: ["arg0 == AF_UNIX"]
  - syscalls: [connect]
    action: errno(ECONNREFUSED)
  - syscalls: [semop]
    action: errno(EINVAL)
  - syscalls: [getpid]
    action: trap
`)},
	}
}

// TestExportMeaning runs each profile's exported program in the VM on
// every syscall number, the boundary numbers and the interesting argument
// values of several architectures, and checks each verdict against what
// the profile means, computed from the profile and the syscall table
// alone.
func TestExportMeaning(t *testing.T) {
	if syscalls.NativeArch() != "x86_64" {
		t.Skip("the expected verdicts are worked out for an x86_64 host")
	}
	for _, p := range exportProfiles(t) {
		t.Run(p.name, func(t *testing.T) {
			b, err := program.Export(context.Background(), p.s)
			if err != nil {
				t.Fatal(err)
			}
			prog, err := filter.Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			o := newOracle(t, p.s)
			arches := []struct {
				name  string
				audit uint32
				base  uint32
			}{
				{"x86_64", 0xc000003e, 0},
				{"x32", 0xc000003e, 0x40000000},
				{"x86", 0x40000003, 0},
				{"aarch64", 0xc00000b7, 0},
				{"unknown", 0x12345678, 0},
			}
			checked, bad := 0, 0
			for _, a := range arches {
				for _, nr := range testNumbers(a.base) {
					for _, args := range o.argCases(a.name, nr) {
						d := filter.Data{Nr: int32(nr), Arch: a.audit, Args: args}
						got := prog.Run(d).Action()
						want, err := o.verdict(a.audit, nr, args)
						if err != nil {
							t.Fatalf("%s nr %#x args %#x: %v", a.name, nr, args, err)
						}
						checked++
						if got != want {
							if bad++; bad <= 20 {
								t.Errorf("%s nr %d (%s) args %#x: program says %v, the profile means %v", a.name, nr, filter.SyscallName(a.name, nr), args, got, want)
							}
						}
					}
				}
			}
			if bad > 20 {
				t.Errorf("… %d mismatches in all", bad)
			}
			t.Logf("%d cases, %d instructions", checked, prog.Len())
		})
	}
}

// testNumbers are the syscall numbers tried: 0–1023 above the ABI's base,
// and the boundaries.
func testNumbers(base uint32) []uint32 {
	var nrs []uint32
	for n := range uint32(1024) {
		nrs = append(nrs, base+n)
	}
	return append(nrs, base+1024, 0x3fffffff, 0x40000000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff)
}

// oracle is what a profile means under runc on an x86_64 host, worked out
// independently of libseccomp: runc's rules (a rule with the default's
// action dropped, conditions on one argument split into separate rules),
// libseccomp's (the filter's architectures, the native one added; the
// kill-thread bad-architecture action; socketcall and ipc variants of the
// calls they multiplex, with argument 0 replaced by the call number;
// 32-bit ABIs compare only the low halves of arguments; on x86_64 without
// x32, numbers with bit 30 other than -1 are a bad architecture) and
// runc's ENOSYS stub (for a default other than allow, log or trace:
// ENOSYS for numbers above the highest syscall the profile names on each
// ABI, where libseccomp resolves the name to a real number — not the
// calls x86 multiplexes).
type oracle struct {
	def    rules.Action
	arches map[string]bool
	rules  []oracleRule
	stub   bool
	last   map[string]uint32
	names  map[string]bool // every name the profile mentions
}

type oracleRule struct {
	name  string
	act   rules.Action
	conds []rules.Cond
}

func newOracle(t *testing.T, s *specs.LinuxSeccomp) *oracle {
	t.Helper()
	def, err := rules.ActionFromSpec(s.DefaultAction, s.DefaultErrnoRet)
	if err != nil {
		t.Fatal(err)
	}
	o := &oracle{def: def, arches: map[string]bool{"x86_64": true}, last: map[string]uint32{}, names: map[string]bool{}}
	for _, a := range s.Architectures {
		name, err := syscalls.ArchFromSpec(a)
		if err != nil {
			t.Fatal(err)
		}
		o.arches[name] = true
	}
	o.stub = def.Kind != rules.Allow && def.Kind != rules.Log && def.Kind != rules.Trace
	for _, r := range s.Syscalls {
		act, err := rules.ActionFromSpec(r.Action, r.ErrnoRet)
		if err != nil {
			t.Fatal(err)
		}
		var conds []rules.Cond
		perArg := map[uint]int{}
		split := false
		for _, a := range r.Args {
			c, err := rules.CondFromSpec(a)
			if err != nil {
				t.Fatal(err)
			}
			conds = append(conds, c)
			if perArg[c.Arg]++; perArg[c.Arg] > 1 {
				split = true
			}
		}
		for _, name := range r.Names {
			o.names[name] = true
			// The stub counts every rule, even one runc then drops.
			for abi := range o.arches {
				if nr, ok := syscalls.SyscallNumber(abi, name); ok && syscalls.SyscallMultiplexer(abi, name) == "" {
					o.last[abi] = max(o.last[abi], uint32(nr))
				}
			}
			if act == def {
				continue
			}
			if split {
				for _, c := range conds {
					o.rules = append(o.rules, oracleRule{name, act, []rules.Cond{c}})
				}
			} else {
				o.rules = append(o.rules, oracleRule{name, act, conds})
			}
		}
	}
	return o
}

const (
	auditX8664 = 0xc000003e
	auditI386  = 0x40000003
	x32Bit     = 0x40000000
)

var (
	enosys  = rules.Action{Kind: rules.Errno, Ret: uint(unix.ENOSYS)}
	badArch = rules.Action{Kind: rules.KillThread}
)

func (o *oracle) verdict(audit, nr uint32, args [6]uint64) (rules.Action, error) {
	// runc's stub.
	if o.stub {
		switch audit {
		case auditX8664:
			abi := "x86_64"
			if nr&x32Bit != 0 {
				abi = "x32"
			}
			if o.last[abi] > 0 && nr > o.last[abi] {
				return enosys, nil
			}
		case auditI386:
			if o.last["x86"] > 0 && nr > o.last["x86"] {
				return enosys, nil
			}
		}
	}
	// libseccomp's filter.
	var abi string
	switch audit {
	case auditX8664:
		switch {
		case o.arches["x32"] && nr&x32Bit != 0:
			abi = "x32"
		case nr >= x32Bit && nr != 0xffffffff:
			return badArch, nil
		default:
			abi = "x86_64"
		}
	case auditI386:
		if !o.arches["x86"] {
			return badArch, nil
		}
		abi = "x86"
	default:
		return badArch, nil
	}
	narrow := abi == "x86" || abi == "x32" // libseccomp's 32-bit ABIs
	var matched []rules.Action
	for _, r := range o.rules {
		conds := r.conds
		n, ok := syscalls.SyscallNumber(abi, r.name)
		hit := ok && uint32(n) == nr
		if !hit {
			mux := syscalls.SyscallMultiplexer(abi, r.name)
			if mux == "" {
				continue
			}
			if n, ok := syscalls.SyscallNumber(abi, mux); !ok || uint32(n) != nr {
				continue
			}
			call, ok := muxCalls[r.name]
			if !ok {
				return rules.Action{}, fmt.Errorf("no %s call number for %s", mux, r.name)
			}
			conds = []rules.Cond{{Arg: 0, Op: rules.OpEQ, Value: call}}
			for _, c := range r.conds {
				if c.Arg != 0 {
					conds = append(conds, c)
				}
			}
		}
		all := true
		for _, c := range conds {
			v := args[c.Arg]
			if narrow {
				v, c.Value, c.Mask = v&0xffffffff, c.Value&0xffffffff, c.Mask&0xffffffff
			}
			all = all && c.Matches(v)
		}
		if all && !slices.Contains(matched, r.act) {
			matched = append(matched, r.act)
		}
	}
	switch len(matched) {
	case 0:
		return o.def, nil
	case 1:
		return matched[0], nil
	}
	return rules.Action{}, fmt.Errorf("rules with different actions match: %v", matched)
}

// muxCalls are the call numbers of socketcall(2) and ipc(2).
var muxCalls = map[string]uint64{
	"socket": 1, "bind": 2, "connect": 3, "listen": 4, "accept": 5, "getsockname": 6, "getpeername": 7,
	"socketpair": 8, "send": 9, "recv": 10, "sendto": 11, "recvfrom": 12, "shutdown": 13, "setsockopt": 14,
	"getsockopt": 15, "sendmsg": 16, "recvmsg": 17, "accept4": 18, "recvmmsg": 19, "sendmmsg": 20,
	"semop": 1, "semget": 2, "semctl": 3, "semtimedop": 4, "msgsnd": 11, "msgrcv": 12, "msgget": 13,
	"msgctl": 14, "shmat": 21, "shmdt": 22, "shmget": 23, "shmctl": 24,
}

// argCases returns all-zero arguments, and for a syscall with conditions
// every combination of the values around their operands.
func (o *oracle) argCases(abi string, nr uint32) [][6]uint64 {
	var vals [6][]uint64
	add := func(i uint, vs ...uint64) {
		for _, v := range vs {
			if abi == "x86" {
				v &= 0xffffffff // the kernel zero-extends i386 arguments
			}
			if !slices.Contains(vals[i], v) {
				vals[i] = append(vals[i], v)
			}
		}
	}
	for _, r := range o.rules {
		n, ok := syscalls.SyscallNumber(abi, r.name)
		direct := ok && uint32(n) == nr
		mux := syscalls.SyscallMultiplexer(abi, r.name)
		viaMux := false
		if m, ok := syscalls.SyscallNumber(abi, mux); mux != "" && ok && uint32(m) == nr {
			viaMux = true
			add(0, muxCalls[r.name], muxCalls[r.name]+1)
		}
		if !direct && !viaMux {
			continue
		}
		for _, c := range r.conds {
			add(c.Arg, 0, c.Value, c.Value+1, c.Value-1, c.Value|1<<32, c.Mask, c.Value|^c.Mask, ^uint64(0))
		}
	}
	cases := [][6]uint64{{}}
	for i, vs := range vals {
		if len(vs) == 0 {
			continue
		}
		var next [][6]uint64
		for _, c := range cases {
			for _, v := range vs {
				c[i] = v
				next = append(next, c)
			}
		}
		cases = next
	}
	return cases
}

// TestExportEqualsExec compares the exported program with what the kernel
// holds for a program that `oci-sbx exec` (Run) started under the same
// profile: a static program that spins without a syscall is traced after
// its execve and its filter read back.
func TestExportEqualsExec(t *testing.T) {
	testutil.RequireRoot(t) // reading the filter back from the kernel
	spin := buildSpinner(t)
	for _, p := range exportProfiles(t) {
		t.Run(p.name, func(t *testing.T) {
			exported, err := program.Export(context.Background(), p.s)
			if err != nil {
				t.Fatal(err)
			}
			loaded := execFilter(t, p.s, spin)
			if bytes.Equal(exported, loaded) {
				return
			}
			// runc's stub orders its architecture sections by Go map
			// iteration: with two families (x86_64 and x86) the bytes
			// may differ, libseccomp's part and every verdict may not.
			if len(exported) != len(loaded) {
				t.Fatalf("exported %d bytes, the kernel holds %d", len(exported), len(loaded))
			}
			a, b := mustDecode(t, exported), mustDecode(t, loaded)
			sa, sb := afterStub(t, exported), afterStub(t, loaded)
			if !bytes.Equal(sa, sb) {
				t.Fatalf("libseccomp's part differs:\nexported:\n%v\nloaded:\n%v", a, b)
			}
			if d := filter.Compare(a, b, []string{"x86_64", "x86", "x32", "aarch64"}, p.s); len(d) > 0 {
				t.Fatalf("verdicts differ: %v", d)
			}
			t.Logf("same program up to the order of runc's stub sections")
		})
	}
}

func mustDecode(t *testing.T, b []byte) *filter.Program {
	t.Helper()
	p, err := filter.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// afterStub returns libseccomp's program: what follows runc's stub, whose
// last instructions are "ja 1; ret ERRNO(ENOSYS)".
func afterStub(t *testing.T, b []byte) []byte {
	t.Helper()
	ja1 := []byte{0x05, 0, 0, 0, 1, 0, 0, 0}
	retEnosys := []byte{0x06, 0, 0, 0, 0x26, 0, 5, 0}
	marker := append(ja1, retEnosys...)
	for i := 0; i+len(marker) <= len(b); i += 8 {
		if bytes.Equal(b[i:i+len(marker)], marker) {
			return b[i+len(marker):]
		}
	}
	t.Fatal("the program has no ENOSYS stub, yet its bytes vary")
	return nil
}

// buildSpinner builds a static program whose only syscall is its execve.
func buildSpinner(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(dir, "spin.c")
	if err := os.WriteFile(src, []byte("void _start(void) { for (;;) ; }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "spin")
	if b, err := exec.Command("gcc", "-static", "-nostdlib", "-O0", "-o", out, src).CombinedOutput(); err != nil {
		t.Fatalf("building the spinner: %v\n%s", err, b)
	}
	return out
}

// execFilter runs spin under the profile through Run in a child process
// and reads the filter of the exec'd grandchild. The tracer must not be
// the grandchild's parent: its parent waits for it, and a tracer's stops
// would reach that wait.
func execFilter(t *testing.T, s *specs.LinuxSeccomp, spin string) []byte {
	t.Helper()
	profile, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), exportHelperEnv+"=run", "SANDBOX_EXPORT_TEST_PROFILE="+string(profile), "SANDBOX_EXPORT_TEST_PROG="+spin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() {
		_ = cmd.Process.Kill()
		<-done
	}()
	pid := 0
	for deadline := time.Now().Add(10 * time.Second); pid == 0; {
		select {
		case err := <-done:
			done <- err
			t.Fatalf("Run ended before the spinner was traced (%v); stderr:\n%s", err, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the spinner did not start; helper stderr:\n%s", stderr.String())
		}
		pid = findChild(cmd.Process.Pid, "spin")
		if pid == 0 {
			time.Sleep(5 * time.Millisecond)
		}
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := unix.PtraceSeize(pid); err != nil {
		t.Fatalf("PTRACE_SEIZE: %v", err)
	}
	if err := unix.PtraceInterrupt(pid); err != nil {
		t.Fatalf("PTRACE_INTERRUPT: %v", err)
	}
	var ws unix.WaitStatus
	if _, err := unix.Wait4(pid, &ws, unix.WALL, nil); err != nil || !ws.Stopped() {
		t.Fatalf("waiting for the spinner to stop: %v (status %#x)", err, ws)
	}
	n, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_SECCOMP_GET_FILTER, uintptr(pid), 0, 0, 0, 0)
	if e != 0 {
		t.Fatalf("PTRACE_SECCOMP_GET_FILTER: %v", e)
	}
	prog := make([]byte, n*8)
	if _, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_SECCOMP_GET_FILTER, uintptr(pid), 0, uintptr(unsafe.Pointer(&prog[0])), 0, 0); e != 0 {
		t.Fatalf("PTRACE_SECCOMP_GET_FILTER: %v", e)
	}
	// A second filter would mean the spinner inherited one.
	if _, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_SECCOMP_GET_FILTER, uintptr(pid), 1, 0, 0, 0); e != unix.ENOENT {
		t.Fatalf("the spinner holds more than one filter (%v)", e)
	}
	_ = unix.PtraceDetach(pid)
	_ = unix.Kill(pid, unix.SIGKILL)
	return prog
}

// findChild returns the pid of a child of parent running the named
// program, or 0.
func findChild(parent int, comm string) int {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid …
		open, close := bytes.IndexByte(stat, '('), bytes.LastIndexByte(stat, ')')
		if open < 0 || close < open {
			continue
		}
		fields := strings.Fields(string(stat[close+1:]))
		if string(stat[open+1:close]) == comm && len(fields) > 1 && fields[1] == strconv.Itoa(parent) {
			return pid
		}
	}
	return 0
}

// TestExportErrors checks the refusals.
func TestExportErrors(t *testing.T) {
	if _, err := program.Export(context.Background(), &specs.LinuxSeccomp{}); !errors.Is(err, program.ErrNoFilter) {
		t.Errorf("empty profile: got %v, want ErrNoFilter", err)
	}
	_, err := program.Export(context.Background(), &specs.LinuxSeccomp{DefaultAction: specs.ActNotify})
	if !errors.Is(err, loader.ErrNotifyDefault) {
		t.Errorf("notify default: got %v, want ErrNotifyDefault", err)
	}
	// A notify rule needs an agent to run, not to be exported.
	b, err := program.Export(context.Background(), &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Syscalls:      []specs.LinuxSyscall{{Names: []string{"mkdir"}, Action: specs.ActNotify}},
	})
	if err != nil {
		t.Fatal(err)
	}
	nr, _ := syscalls.SyscallNumber("x86_64", "mkdir")
	if got := mustDecode(t, b).Run(filter.Data{Nr: int32(nr), Arch: auditX8664}).Action(); got.Kind != rules.Notify {
		t.Errorf("mkdir: %v, want notify", got)
	}
}

// TestExportUnprivileged: a user without any capability exports the same
// program as root, byte for byte (up to the order of runc's stub sections,
// see TestExportEqualsExec).
func TestExportUnprivileged(t *testing.T) {
	testutil.RequireRoot(t) // to switch to nobody
	var profiles []*specs.LinuxSeccomp
	for _, p := range exportProfiles(t) {
		if len(p.s.Architectures) == 0 { // one stub section: a stable order
			profiles = append(profiles, p.s)
		}
	}
	if len(profiles) < 2 {
		t.Fatalf("%d profiles to compare", len(profiles))
	}
	var want []string
	for _, s := range profiles {
		b, err := program.Export(context.Background(), s)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, hex.EncodeToString(b))
	}

	// A copy of the test binary that nobody can run.
	dir, err := os.MkdirTemp("", "export-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	bin := filepath.Join(dir, "program.test")
	data, err := os.ReadFile(os.Args[0])
	if err == nil {
		err = os.WriteFile(bin, data, 0o755)
	}
	if err == nil {
		err = os.Chmod(dir, 0o755)
	}
	if err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(profiles)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), exportHelperEnv+"=export", "SANDBOX_EXPORT_TEST_PROFILES="+string(js))
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("unprivileged export: %v\n%s", err, stderr.String())
	}
	got := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(got) == 0 || got[0] != "uid=65534" {
		t.Fatalf("the helper did not run as nobody: %q", got)
	}
	if d := cmp.Diff(want, got[1:]); d != "" {
		t.Errorf("unprivileged export differs from root's (-root +nobody):\n%s", d)
	}
}

// TestExportErrnoLimit checks rules.MaxErrno against the libseccomp this
// build links, through runc's loader in a child process: the largest
// errno convert accepts loads, the next one does not.
func TestExportErrnoLimit(t *testing.T) {
	profile := func(errno uint) *specs.LinuxSeccomp {
		return &specs.LinuxSeccomp{DefaultAction: specs.ActAllow,
			Syscalls: []specs.LinuxSyscall{{Names: []string{"getppid"}, Action: specs.ActErrno, ErrnoRet: &errno}}}
	}
	if _, err := program.Export(context.Background(), profile(rules.MaxErrno)); err != nil {
		t.Errorf("errno %d: %v", rules.MaxErrno, err)
	}
	if _, err := program.Export(context.Background(), profile(rules.MaxErrno+1)); err == nil {
		t.Errorf("errno %d loaded; rules.MaxErrno is too small", rules.MaxErrno+1)
	}
}

// TestExportPrecedence checks the rules language's precedence against the
// program runc's loader builds (libseccomp, in a child process): for
// documents whose rules for one syscall overlap, every argument vector
// worth trying gets the strictest action among the rules that match it,
// else the default, whatever libseccomp does with the rules' order.
func TestExportPrecedence(t *testing.T) {
	if syscalls.NativeArch() != "x86_64" {
		t.Skip("the probes use x86_64 syscall numbers")
	}
	docs := []struct {
		src   string
		calls []string
	}{
		{"default: errno(EPERM)\nrules:\n  - {action: allow, syscalls: [\"@system-service\"]}\n  - {action: errno(EPERM), syscalls: [\"@network-connect\"]}\n",
			[]string{"connect", "sendto", "sendmsg", "io_uring_setup", "read", "socket"}},
		{"default: errno(EPERM)\nrules:\n  - {action: errno(EPERM), syscalls: [openat]}\n  - {action: allow, syscalls: [openat, read]}\n",
			[]string{"openat", "read"}},
		{"default: errno(EPERM)\nrules:\n  - {action: allow, syscalls: [socket, openat]}\n  - {action: errno(EPERM), syscalls: [socket], when: [\"arg0 == AF_PACKET\"]}\n  - {action: errno(EPERM), syscalls: [openat], when: [\"arg2 & O_ACCMODE == O_WRONLY\"]}\n",
			[]string{"socket", "openat"}},
		{"default: allow\nrules:\n  - {action: log, syscalls: [kill]}\n  - {action: errno(EPERM), syscalls: [kill], when: [\"arg1 == 9\"]}\n  - {action: kill, syscalls: [kill], when: [\"arg0 == 1\"]}\n",
			[]string{"kill"}},
		{"default: errno(EPERM)\nrules:\n  - {action: allow, syscalls: [personality], when: [\"arg0 == 0\"]}\n  - {action: trap, syscalls: [personality]}\n  - {action: allow, syscalls: [socket], when: [\"arg1 == 1\"]}\n  - {action: errno(EACCES), syscalls: [socket], when: [\"arg0 == 17\"]}\n",
			[]string{"personality", "socket"}},
	}
	// And pseudo-random ones: up to four rules for kill, each with an
	// action and up to two conditions on two arguments.
	r := rand.New(rand.NewPCG(3, 4))
	actions := []string{"allow", "log", "errno(EPERM)", "errno(EACCES)", "trap", "kill-process", "trace(1)"}
	ops := []string{"==", "!=", "<", "<=", ">", ">=", "& 3 =="}
	for len(docs) < 60 {
		var src strings.Builder
		fmt.Fprintf(&src, "default: %s\nrules:\n", actions[r.IntN(3)])
		for i := 0; i <= r.IntN(4); i++ {
			fmt.Fprintf(&src, "  - action: %s\n    syscalls: [kill]\n", actions[r.IntN(len(actions))])
			if r.IntN(3) > 0 {
				fmt.Fprintf(&src, "    when: [\"arg%d %s %d\"]\n", r.IntN(2), ops[r.IntN(len(ops))], r.IntN(4))
			}
		}
		p, err := rules.Parse("t.yaml", []byte(src.String()))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Compile(rules.CompileOptions{}); err == nil {
			docs = append(docs, struct {
				src   string
				calls []string
			}{src.String(), []string{"kill"}})
		}
	}
	for i, doc := range docs {
		p, err := rules.Parse("t.yaml", []byte(doc.src))
		if err != nil {
			t.Fatal(err)
		}
		s, err := p.Compile(rules.CompileOptions{})
		if err != nil {
			t.Fatalf("doc %d: %v", i, err)
		}
		b, err := program.Export(context.Background(), s)
		if err != nil {
			t.Fatalf("doc %d: %v", i, err)
		}
		prog := mustDecode(t, b)
		vectors := [][6]uint64{{}}
		for _, r := range p.Rules {
			for _, c := range r.When {
				for _, v := range []uint64{c.Value, c.Value + 1, c.Value - 1, c.Value | 1<<32, ^uint64(0)} {
					var a [6]uint64
					a[c.Arg] = v
					vectors = append(vectors, a)
					for _, o := range p.Rules {
						for _, d := range o.When {
							if d.Arg != c.Arg {
								b := a
								b[d.Arg] = d.Value
								vectors = append(vectors, b)
							}
						}
					}
				}
			}
		}
		for _, call := range doc.calls {
			nr, ok := syscalls.SyscallNumber("x86_64", call)
			if !ok {
				t.Fatalf("no number for %s", call)
			}
			for _, args := range vectors {
				got := prog.Run(filter.Data{Nr: int32(nr), Arch: auditX8664, Args: args}).Action()
				if want := strictest(p, call, args); got != want {
					t.Errorf("doc %d: %s%v: the loaded program says %s, the rules %s\n%s", i, call, args, got, want, doc.src)
				}
			}
		}
	}
}

// strictest is what a rules document means for a call.
func strictest(p *rules.Profile, call string, args [6]uint64) rules.Action {
	best, found := p.Default, false
	for _, r := range p.Rules {
		var members []string
		for _, n := range r.Syscalls {
			if strings.HasPrefix(n.Name, "@") {
				m, _ := rules.GroupMembers(n.Name, []string{"x86_64"})
				members = append(members, m...)
			} else {
				members = append(members, n.Name)
			}
		}
		if !slices.Contains(members, call) {
			continue
		}
		holds := true
		for _, c := range r.When {
			holds = holds && c.Matches(args[c.Arg])
		}
		if holds && (!found || rules.Rank(r.Action) > rules.Rank(best)) {
			best, found = r.Action, true
		}
	}
	return best
}
