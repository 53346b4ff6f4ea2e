//go:build linux && cgo && seccomp

package sandbox

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/oci-sbx/oci-sbx/internal/testutil"
	"github.com/oci-sbx/oci-sbx/oci/cache"
	"github.com/oci-sbx/oci-sbx/oci/program"

	"github.com/oci-sbx/oci-sbx/convert"
	"github.com/oci-sbx/oci-sbx/convert/filter"
	"github.com/oci-sbx/oci-sbx/convert/rules"
	"github.com/oci-sbx/oci-sbx/convert/syscalls"
)

// readbackEnv makes the test binary read the filter of a running process
// back (PTRACE_SECCOMP_GET_FILTER) and print it. It runs in a child, not
// in the test process: a tracer's ptrace stops would otherwise reach
// Run's own wait for the same process.
const readbackEnv = "SANDBOX_TEST_READBACK"

func init() {
	v, ok := os.LookupEnv(readbackEnv)
	if !ok {
		return
	}
	pid, _ := strconv.Atoi(v)
	prog, flags, err := readBack(pid)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("%x %d\n", prog, flags)
	os.Exit(0)
}

// readBack returns the newest filter of pid and its flags as the kernel
// reports them (PTRACE_SECCOMP_GET_METADATA: only LOG is kept).
func readBack(pid int) ([]byte, uint64, error) {
	runtime.LockOSThread()
	if _, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_SEIZE, uintptr(pid), 0, 0, 0, 0); e != 0 {
		return nil, 0, fmt.Errorf("seizing %d: %w", pid, e)
	}
	if err := unix.PtraceInterrupt(pid); err != nil {
		return nil, 0, err
	}
	var ws unix.WaitStatus
	if _, err := unix.Wait4(pid, &ws, unix.WALL, nil); err != nil {
		return nil, 0, err
	}
	prog, err := readFilter(pid)
	if err != nil {
		return nil, 0, fmt.Errorf("reading the filter: %w", err)
	}
	md := struct{ FilterOff, Flags uint64 }{}
	if _, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_SECCOMP_GET_METADATA, uintptr(pid), unsafe.Sizeof(md), uintptr(unsafe.Pointer(&md)), 0, 0); e != 0 {
		return nil, 0, fmt.Errorf("reading the filter's flags: %w", e)
	}
	_ = unix.PtraceDetach(pid)
	return prog, md.Flags, nil
}

// readFilter reads the newest filter of a stopped tracee.
func readFilter(pid int) ([]byte, error) {
	n, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_SECCOMP_GET_FILTER, uintptr(pid), 0, 0, 0, 0)
	if e != 0 {
		return nil, e
	}
	buf := make([]byte, n*uintptr(unix.SizeofSockFilter))
	m, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_SECCOMP_GET_FILTER, uintptr(pid), 0, uintptr(unsafe.Pointer(&buf[0])), 0, 0)
	if e != 0 {
		return nil, e
	}
	return buf[:m*uintptr(unix.SizeofSockFilter)], nil
}

type counts struct{ hits, compiles, rejected, stores int64 }

func cacheCounts() counts {
	c := cache.Stats()
	return counts{c.Hits, c.Compiles, c.Rejected, c.Stores}
}

func (c counts) minus(d counts) counts {
	return counts{c.hits - d.hits, c.compiles - d.compiles, c.rejected - d.rejected, c.stores - d.stores}
}

// runSyscalls runs the helper that makes getppid and reports its errno.
func runSyscalls(t *testing.T, s *specs.LinuxSeccomp) string {
	t.Helper()
	r, out, err := run(t, s, "syscalls", runOpts{env: []string{fmt.Sprintf("SANDBOX_TEST_NRS=%d", unix.SYS_GETPPID)}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Status() != 0 {
		t.Fatalf("helper: %v", r)
	}
	return out
}

// TestCacheColdWarm: the first run compiles and stores the program, the
// second loads it without compiling, and both filter alike.
func TestCacheColdWarm(t *testing.T) {
	testutil.RequireRoot(t)
	dir := testutil.PrivateDir(t)
	testutil.UseDir(t, cache.Env, dir)
	s := testutil.Deny(unix.EPERM, "getppid")
	want := fmt.Sprintf("%d errno=%d\n", unix.SYS_GETPPID, unix.EPERM)

	before := cacheCounts()
	if out := runSyscalls(t, s); out != want {
		t.Errorf("cold run: got %q, want %q", out, want)
	}
	if got := cacheCounts().minus(before); got != (counts{compiles: 1, stores: 1}) {
		t.Errorf("cold run: cache did %+v, want one compile and one store", got)
	}
	if names := testutil.Entries(t, dir); len(names) != 1 {
		t.Fatalf("cache holds %q, want one entry", names)
	}

	before = cacheCounts()
	if out := runSyscalls(t, s); out != want {
		t.Errorf("warm run: got %q, want %q", out, want)
	}
	if got := cacheCounts().minus(before); got != (counts{hits: 1}) {
		t.Errorf("warm run: cache did %+v, want one hit and no compile", got)
	}
	if got, err := cache.Dir(); got != dir || err != nil {
		t.Errorf("cache.Dir() = %q, %v; want %q", got, err, dir)
	}
}

// TestCacheDirRefused: a cache directory others could write to, or
// reached through a symlink, is not used; runs compile instead.
func TestCacheDirRefused(t *testing.T) {
	testutil.RequireRoot(t)
	s := testutil.Deny(unix.EPERM, "getppid")
	want := fmt.Sprintf("%d errno=%d\n", unix.SYS_GETPPID, unix.EPERM)
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T) (dir, real string)
		msg   string
	}{
		{"symlink", func(t *testing.T) (string, string) {
			real := testutil.PrivateDir(t)
			link := filepath.Join(t.TempDir(), "cache")
			if err := os.Symlink(real, link); err != nil {
				t.Fatal(err)
			}
			return link, real
		}, "symlink"},
		{"symlink above", func(t *testing.T) (string, string) {
			real := t.TempDir()
			if err := os.Mkdir(filepath.Join(real, "cache"), 0o700); err != nil {
				t.Fatal(err)
			}
			link := filepath.Join(t.TempDir(), "link")
			if err := os.Symlink(real, link); err != nil {
				t.Fatal(err)
			}
			return filepath.Join(link, "cache"), filepath.Join(real, "cache")
		}, "symlink"},
		{"world-writable", func(t *testing.T) (string, string) {
			dir := testutil.PrivateDir(t)
			if err := os.Chmod(dir, 0o777); err != nil {
				t.Fatal(err)
			}
			return dir, dir
		}, "mode 0777"},
		{"group-readable", func(t *testing.T) (string, string) {
			dir := testutil.PrivateDir(t)
			if err := os.Chmod(dir, 0o750); err != nil {
				t.Fatal(err)
			}
			return dir, dir
		}, "mode 0750"},
		{"not root's", func(t *testing.T) (string, string) {
			dir := testutil.PrivateDir(t)
			if err := os.Chown(dir, 65534, 65534); err != nil {
				t.Fatal(err)
			}
			return dir, dir
		}, "owner uid 65534"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, real := tc.setup(t)
			testutil.UseDir(t, cache.Env, dir)
			if _, err := cache.Dir(); err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("CacheDir: %v, want an error saying %q", err, tc.msg)
			}
			before := cacheCounts()
			if out := runSyscalls(t, s); out != want {
				t.Errorf("got %q, want %q", out, want)
			}
			if got := cacheCounts().minus(before); got != (counts{}) {
				t.Errorf("cache did %+v, want nothing", got)
			}
			if names := testutil.Entries(t, real); len(names) != 0 {
				t.Errorf("entries %q were written", names)
			}
		})
	}
	t.Run("off", func(t *testing.T) {
		testutil.UseDir(t, cache.Env, "off")
		if _, err := cache.Dir(); err == nil || !strings.Contains(err.Error(), "switched off") {
			t.Errorf("cache.Dir: %v, want it switched off", err)
		}
	})
}

// TestWarmProgramIsRuncs reads the filter of a program running under
// Docker's default profile back from the kernel: the warm start loads
// exactly what runc's loader loads, with the same flags.
func TestWarmProgramIsRuncs(t *testing.T) {
	testutil.RequireRoot(t)
	docker, err := convert.Builtin("docker-default", convert.Options{})
	if err != nil {
		t.Fatal(err)
	}
	docker.Flags = []specs.LinuxSeccompFlag{}
	logged := testutil.Deny(unix.EPERM, "getppid")
	logged.Flags = []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagLog}

	for _, tc := range []struct {
		name  string
		s     *specs.LinuxSeccomp
		flags uint64
	}{
		{"docker-default", docker, 0},
		{"log flag", logged, unix.SECCOMP_FILTER_FLAG_LOG},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, err := program.Export(context.Background(), tc.s)
			if err != nil {
				t.Fatal(err)
			}
			testutil.UseDir(t, cache.Env, "")
			before := cacheCounts()
			cold := loadedProgram(t, tc.s)
			warm := loadedProgram(t, tc.s)
			testutil.UseDir(t, cache.Env, "off")
			viaRunc := loadedProgram(t, tc.s)
			if got := cacheCounts().minus(before); got.hits != 1 || got.compiles != 1 {
				t.Errorf("cache did %+v, want one compile and one hit", got)
			}
			for _, got := range []struct {
				path string
				prog loaded
			}{{"cold", cold}, {"warm", warm}, {"runc's loader", viaRunc}} {
				if !bytes.Equal(got.prog.prog, want) {
					t.Errorf("%s: the loaded program (%d bytes) differs from the one runc loads (%d bytes)", got.path, len(got.prog.prog), len(want))
				}
				if got.prog.flags != tc.flags {
					t.Errorf("%s: filter flags %#x, want %#x", got.path, got.prog.flags, tc.flags)
				}
			}
		})
	}
}

type loaded struct {
	prog  []byte
	flags uint64
}

// loadedProgram runs a shell under s that prints its pid and waits, and
// reads its filter back from a helper process.
func loadedProgram(t *testing.T, s *specs.LinuxSeccomp) loaded {
	t.Helper()
	inR, inW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer inR.Close()
	defer outR.Close()
	done := make(chan error, 1)
	go func() {
		r, err := Run(context.Background(), Config{Seccomp: s, NoNewPrivileges: true,
			Args: []string{"/bin/sh", "-c", "echo $$; read x; exit 0"}, Stdin: inR, Stdout: outW, Stderr: os.Stderr})
		if err == nil && r.Status() != 0 {
			err = fmt.Errorf("sh: %v", r)
		}
		outW.Close()
		done <- err
	}()
	line, err := bufio.NewReader(outR).ReadString('\n')
	if err != nil {
		inW.Close()
		t.Fatalf("reading the pid: %v (%v)", err, <-done)
	}
	cmd := exec.Command(self(t))
	cmd.Env = append(os.Environ(), readbackEnv+"="+strings.TrimSpace(line))
	cmd.Stderr = os.Stderr
	out, rerr := cmd.Output()
	inW.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if rerr != nil {
		t.Fatalf("reading the filter back: %v", rerr)
	}
	var l loaded
	fields := strings.Fields(string(out))
	if len(fields) != 2 {
		t.Fatalf("read back %q", out)
	}
	l.prog, err = hex.DecodeString(fields[0])
	if err != nil {
		t.Fatal(err)
	}
	l.flags, err = strconv.ParseUint(fields[1], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestPathsAgree runs the same programs through the warm start and
// through runc's loader in the init child: what the program sees of its
// process — seccomp mode, no_new_privs, user, descriptors, exit status,
// a seccomp kill — is the same.
func TestPathsAgree(t *testing.T) {
	testutil.RequireRoot(t)
	leak, err := unix.Open(filepath.Join(t.TempDir(), "leak"), unix.O_RDWR|unix.O_CREAT, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(leak)
	kill := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Flags: []specs.LinuxSeccompFlag{},
		Syscalls: []specs.LinuxSyscall{{Names: []string{"getppid"}, Action: specs.ActKillProcess}}}
	for _, tc := range []struct {
		name string
		s    *specs.LinuxSeccomp
		mode string
		opts runOpts
	}{
		{"status", testutil.Deny(unix.EPERM, "getppid"), "status", runOpts{}},
		{"exit status", testutil.Deny(unix.EPERM, "getppid"), "exit", runOpts{env: []string{"SANDBOX_TEST_CODE=7"}}},
		{"kill", kill, "syscalls", runOpts{env: []string{fmt.Sprintf("SANDBOX_TEST_NRS=%d", unix.SYS_GETPPID)}}},
		{"no profile", nil, "status", runOpts{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got [2]string
			for i, dir := range []string{"", "off"} {
				testutil.UseDir(t, cache.Env, dir)
				var r *Result
				var out string
				if tc.s == kill {
					r, out = runKill(t, tc.s, tc.mode, tc.opts)
				} else {
					var err error
					if r, out, err = run(t, tc.s, tc.mode, tc.opts); err != nil {
						t.Fatal(err)
					}
				}
				// Pipes are new in every run, and the Go runtime's own
				// descriptors differ in number; what they are does not.
				out = pipeInode.ReplaceAllString(out, "pipe")
				out = strings.Join(slices.DeleteFunc(strings.Split(out, "\n"), func(l string) bool { return strings.Contains(l, "anon_inode:") }), "\n")
				got[i] = fmt.Sprintf("%s, syscall %q\n%s", r, r.Syscall, out)
				if strings.Contains(out, "/leak\n") {
					t.Errorf("the program inherited a descriptor:\n%s", out)
				}
			}
			if got[0] != got[1] {
				t.Errorf("warm start:\n%s\nrunc's loader:\n%s", got[0], got[1])
			}
		})
	}
}

var pipeInode = regexp.MustCompile(`pipe:\[\d+\]`)

// TestLoaderCheckFromProgram: with the program in hand, the loader check
// runs it in userspace and comes to the probe child's verdicts.
func TestLoaderCheckFromProgram(t *testing.T) {
	testutil.RequireRoot(t)
	for _, dir := range []string{"", "off"} {
		testutil.UseDir(t, cache.Env, dir)
		for _, tc := range []struct {
			profile *specs.LinuxSeccomp
			outcome string
		}{
			{testutil.Deny(unix.EPERM, "openat"), "denies (errno EPERM)"},
			{&specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Flags: []specs.LinuxSeccompFlag{},
				Syscalls: []specs.LinuxSyscall{{Names: []string{"openat"}, Action: specs.ActKillProcess}}}, "kills (SIGSYS)"},
			{&specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Flags: []specs.LinuxSeccompFlag{},
				Syscalls: []specs.LinuxSyscall{{Names: []string{"openat"}, Action: specs.ActErrno, ErrnoRet: testutil.Errno(unix.EACCES),
					Args: []specs.LinuxSeccompArg{{Index: 2, Value: unix.O_CLOEXEC, ValueTwo: unix.O_CLOEXEC, Op: specs.OpMaskedEqual}}}}}, "denies (errno EACCES)"},
		} {
			_, _, err := run(t, tc.profile, "exit", runOpts{})
			var le *LoaderError
			if !errors.As(err, &le) || le.Outcome != tc.outcome {
				t.Errorf("cache %q: got %v, want a LoaderError that %s", dir, err, tc.outcome)
			}
		}
	}
}

// kernelCached reports whether the kernel's seccomp action cache (Linux
// 5.11, kernel/seccomp.c seccomp_is_const_allow) marks syscall nr of arch
// as always allowed under prog, which then never runs for it: the kernel
// emulates the program with only nr and arch known, and gives up at any
// other load or an instruction it does not emulate. The reason says where
// it stopped.
func kernelCached(prog []byte, nr, arch uint32) (bool, string) {
	n := len(prog) / 8
	var a uint32
	for pc := 0; pc < n; pc++ {
		ins := prog[pc*8:]
		op, jt, jf, k := binary.NativeEndian.Uint16(ins), ins[2], ins[3], binary.NativeEndian.Uint32(ins[4:])
		switch op {
		case 0x20: // ld [k]
			switch k {
			case 0:
				a = nr
			case 4:
				a = arch
			default:
				return false, fmt.Sprintf("reads %s (instruction %d)", seccompField(k), pc)
			}
		case 0x06: // ret k
			if k == filter.RetAllow {
				return true, ""
			}
			return false, fmt.Sprintf("returns %#x, not allow (instruction %d)", k, pc)
		case 0x05: // ja
			pc += int(k)
		case 0x15, 0x35, 0x25, 0x45: // jeq, jge, jgt, jset
			var ok bool
			switch op {
			case 0x15:
				ok = a == k
			case 0x35:
				ok = a >= k
			case 0x25:
				ok = a > k
			default:
				ok = a&k != 0
			}
			if ok {
				pc += int(jt)
			} else {
				pc += int(jf)
			}
		case 0x54: // and k
			a &= k
		default:
			return false, fmt.Sprintf("uses op %#x, which the kernel does not emulate (instruction %d)", op, pc)
		}
	}
	return false, "ran off the end"
}

func seccompField(off uint32) string {
	switch {
	case off == 8 || off == 12:
		return "the instruction pointer"
	case off >= 16 && off < 64:
		return fmt.Sprintf("arg%d", (off-16)/8)
	}
	return fmt.Sprintf("offset %d", off)
}

// TestAllowedSyscallsCached: every syscall a profile allows without
// conditions takes the kernel's cached path under the program runc
// loads, so it never runs the filter; the ones that cannot are exactly
// those allowed only under argument conditions.
func TestAllowedSyscallsCached(t *testing.T) {
	testutil.RequireRoot(t)
	native := syscalls.NativeArch()
	audit, err := filter.AuditArch(native)
	if err != nil {
		t.Fatal(err)
	}
	docker, err := convert.Builtin("docker-default", convert.Options{})
	if err != nil {
		t.Fatal(err)
	}
	hardened, _, err := rules.Harden(testutil.Deny(unix.EPERM, "openat", "connect"), nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]*specs.LinuxSeccomp{"docker-default": docker, "demo-hardened": hardened, "demo": testutil.Deny(unix.EPERM, "openat", "connect")} {
		t.Run(name, func(t *testing.T) {
			raw, err := program.Export(context.Background(), s)
			if err != nil {
				t.Fatal(err)
			}
			conditional := map[string]bool{}
			for _, r := range s.Syscalls {
				for _, n := range r.Names {
					if len(r.Args) > 0 {
						conditional[n] = true
					}
				}
			}
			p, err := filter.Decode(raw)
			if err != nil {
				t.Fatal(err)
			}
			allowed := 0
			for _, nr := range filter.Numbers(native) {
				sc := filter.SyscallName(native, nr)
				if p.Run(filter.Data{Nr: int32(nr), Arch: audit}).Ret != filter.RetAllow {
					continue
				}
				allowed++
				cached, why := kernelCached(raw, nr, audit)
				if cached == conditional[sc] {
					t.Errorf("%s: cached %v (%s), but allowed with conditions: %v", sc, cached, why, conditional[sc])
				}
			}
			if allowed == 0 {
				t.Fatal("no syscall allowed")
			}
		})
	}
}
