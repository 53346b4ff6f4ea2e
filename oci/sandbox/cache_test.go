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
	"time"
	"unsafe"

	"github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"

	"github.com/oci-sbx/oci-sbx/internal/testutil"
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

// useCache points Run at a cache directory: "" a fresh one, "off" none.
func useCache(t *testing.T, dir string) {
	t.Helper()
	if dir == "" {
		dir = privateDir(t)
	}
	t.Setenv(CacheEnv, dir)
}

// privateDir returns a new directory of root's with mode 0700.
func privateDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	return dir
}

type counts struct{ hits, compiles, rejected, stores int64 }

func cacheCounts() counts {
	return counts{cacheStats.hits.Load(), cacheStats.compiles.Load(), cacheStats.rejected.Load(), cacheStats.stores.Load()}
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

func entries(t *testing.T, dir string) []string {
	t.Helper()
	list, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range list {
		names = append(names, e.Name())
	}
	return names
}

// TestCacheColdWarm: the first run compiles and stores the program, the
// second loads it without compiling, and both filter alike.
func TestCacheColdWarm(t *testing.T) {
	testutil.RequireRoot(t)
	dir := privateDir(t)
	useCache(t, dir)
	s := deny(unix.EPERM, "getppid")
	want := fmt.Sprintf("%d errno=%d\n", unix.SYS_GETPPID, unix.EPERM)

	before := cacheCounts()
	if out := runSyscalls(t, s); out != want {
		t.Errorf("cold run: got %q, want %q", out, want)
	}
	if got := cacheCounts().minus(before); got != (counts{compiles: 1, stores: 1}) {
		t.Errorf("cold run: cache did %+v, want one compile and one store", got)
	}
	if names := entries(t, dir); len(names) != 1 {
		t.Fatalf("cache holds %q, want one entry", names)
	}

	before = cacheCounts()
	if out := runSyscalls(t, s); out != want {
		t.Errorf("warm run: got %q, want %q", out, want)
	}
	if got := cacheCounts().minus(before); got != (counts{hits: 1}) {
		t.Errorf("warm run: cache did %+v, want one hit and no compile", got)
	}
	if got, err := CacheDir(); got != dir || err != nil {
		t.Errorf("CacheDir() = %q, %v; want %q", got, err, dir)
	}
}

// TestCacheTampered: an entry that fails any check is rebuilt, never
// loaded, and the run still gets the right filter.
func TestCacheTampered(t *testing.T) {
	testutil.RequireRoot(t)
	s := deny(unix.EPERM, "getppid")
	want := fmt.Sprintf("%d errno=%d\n", unix.SYS_GETPPID, unix.EPERM)
	other := deny(unix.EACCES, "getppid")

	for _, tc := range []struct {
		name   string
		tamper func(t *testing.T, dir, entry string)
	}{
		{"flipped byte", func(t *testing.T, dir, entry string) {
			edit(t, entry, func(b []byte) []byte {
				i := bytes.Index(b, []byte("\nprogram ")) + 20
				b[i] ^= 0x40
				return b
			})
		}},
		{"truncated", func(t *testing.T, dir, entry string) {
			edit(t, entry, func(b []byte) []byte { return b[:len(b)-30] })
		}},
		{"another profile's entry", func(t *testing.T, dir, entry string) {
			// Compiled for a profile that denies with EACCES, renamed
			// to this profile's name: valid, but for another key.
			useCache(t, "")
			runSyscalls(t, other)
			src := entries(t, os.Getenv(CacheEnv))[0]
			data, err := os.ReadFile(filepath.Join(os.Getenv(CacheEnv), src))
			if err != nil {
				t.Fatal(err)
			}
			t.Setenv(CacheEnv, dir)
			edit(t, entry, func([]byte) []byte { return data })
		}},
		{"consistent checksum, invalid program", func(t *testing.T, dir, entry string) {
			k, err := cacheKey(s)
			if err != nil {
				t.Fatal(err)
			}
			// A jump past the end: the kernel would refuse it.
			bad := make([]byte, 16)
			binary.NativeEndian.PutUint16(bad[0:], 0x05) // ja
			binary.NativeEndian.PutUint32(bad[4:], 7)
			binary.NativeEndian.PutUint16(bad[8:], 0x06) // ret
			edit(t, entry, func([]byte) []byte { return encodeProgram(k.text, bad) })
		}},
		{"symlink", func(t *testing.T, dir, entry string) {
			target := filepath.Join(t.TempDir(), "entry")
			if err := os.Rename(entry, target); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(target, entry); err != nil {
				t.Fatal(err)
			}
		}},
		{"readable by others", func(t *testing.T, dir, entry string) {
			if err := os.Chmod(entry, 0o644); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := privateDir(t)
			useCache(t, dir)
			runSyscalls(t, s)
			entry := filepath.Join(dir, entries(t, dir)[0])
			good, err := os.ReadFile(entry)
			if err != nil {
				t.Fatal(err)
			}
			tc.tamper(t, dir, entry)

			before := cacheCounts()
			if out := runSyscalls(t, s); out != want {
				t.Errorf("got %q, want %q", out, want)
			}
			if got := cacheCounts().minus(before); got != (counts{rejected: 1, compiles: 1, stores: 1}) {
				t.Errorf("cache did %+v, want the entry rejected and rebuilt", got)
			}
			fi, err := os.Lstat(entry)
			if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 {
				t.Fatalf("rebuilt entry: %v, %v", fi, err)
			}
			k, err := cacheKey(s)
			if err != nil {
				t.Fatal(err)
			}
			rebuilt, _ := os.ReadFile(entry)
			if _, err := decodeProgram(rebuilt, k.text); err != nil || !bytes.Equal(rebuilt, good) {
				t.Errorf("rebuilt entry differs from the first (%v)", err)
			}
		})
	}
}

func edit(t *testing.T, path string, f func([]byte) []byte) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, f(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestCacheDirRefused: a cache directory others could write to, or
// reached through a symlink, is not used; runs compile instead.
func TestCacheDirRefused(t *testing.T) {
	testutil.RequireRoot(t)
	s := deny(unix.EPERM, "getppid")
	want := fmt.Sprintf("%d errno=%d\n", unix.SYS_GETPPID, unix.EPERM)
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T) (dir, real string)
		msg   string
	}{
		{"symlink", func(t *testing.T) (string, string) {
			real := privateDir(t)
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
			dir := privateDir(t)
			if err := os.Chmod(dir, 0o777); err != nil {
				t.Fatal(err)
			}
			return dir, dir
		}, "mode 0777"},
		{"group-readable", func(t *testing.T) (string, string) {
			dir := privateDir(t)
			if err := os.Chmod(dir, 0o750); err != nil {
				t.Fatal(err)
			}
			return dir, dir
		}, "mode 0750"},
		{"not root's", func(t *testing.T) (string, string) {
			dir := privateDir(t)
			if err := os.Chown(dir, 65534, 65534); err != nil {
				t.Fatal(err)
			}
			return dir, dir
		}, "owner uid 65534"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, real := tc.setup(t)
			useCache(t, dir)
			if _, err := CacheDir(); err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("CacheDir: %v, want an error saying %q", err, tc.msg)
			}
			before := cacheCounts()
			if out := runSyscalls(t, s); out != want {
				t.Errorf("got %q, want %q", out, want)
			}
			if got := cacheCounts().minus(before); got != (counts{}) {
				t.Errorf("cache did %+v, want nothing", got)
			}
			if names := entries(t, real); len(names) != 0 {
				t.Errorf("entries %q were written", names)
			}
		})
	}
	t.Run("off", func(t *testing.T) {
		useCache(t, "off")
		if _, err := CacheDir(); !errors.Is(err, errCacheOff) {
			t.Errorf("CacheDir: %v, want %v", err, errCacheOff)
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
	logged := deny(unix.EPERM, "getppid")
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
			useCache(t, "")
			before := cacheCounts()
			cold := loadedProgram(t, tc.s)
			warm := loadedProgram(t, tc.s)
			useCache(t, "off")
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
		{"status", deny(unix.EPERM, "getppid"), "status", runOpts{}},
		{"exit status", deny(unix.EPERM, "getppid"), "exit", runOpts{env: []string{"SANDBOX_TEST_CODE=7"}}},
		{"kill", kill, "syscalls", runOpts{env: []string{fmt.Sprintf("SANDBOX_TEST_NRS=%d", unix.SYS_GETPPID)}}},
		{"no profile", nil, "status", runOpts{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got [2]string
			for i, dir := range []string{"", "off"} {
				useCache(t, dir)
				r, out, err := run(t, tc.s, tc.mode, tc.opts)
				if err != nil {
					t.Fatal(err)
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
		useCache(t, dir)
		for _, tc := range []struct {
			profile *specs.LinuxSeccomp
			outcome string
		}{
			{deny(unix.EPERM, "openat"), "denies (errno EPERM)"},
			{&specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Flags: []specs.LinuxSeccompFlag{},
				Syscalls: []specs.LinuxSyscall{{Names: []string{"openat"}, Action: specs.ActKillProcess}}}, "kills (SIGSYS)"},
			{&specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Flags: []specs.LinuxSeccompFlag{},
				Syscalls: []specs.LinuxSyscall{{Names: []string{"openat"}, Action: specs.ActErrno, ErrnoRet: errnoPtr(unix.EACCES),
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

func TestEntryEncoding(t *testing.T) {
	key := []byte("build x\nprofile {}\n")
	prog := []byte("\x06\x00\x00\x00\x00\x00\xff\x7f")
	entry := encodeProgram(key, prog)
	if got, err := decodeProgram(entry, key); err != nil || !bytes.Equal(got, prog) {
		t.Fatalf("round trip: %q, %v", got, err)
	}
	for name, bad := range map[string][]byte{
		"empty":        {},
		"other key":    encodeProgram([]byte("build y\nprofile {}\n"), prog),
		"no newline":   entry[:len(entry)-1],
		"extra byte":   append(append([]byte{}, entry...), 'x'),
		"bad checksum": bytes.Replace(entry, prog, []byte("\x06\x00\x00\x00\x00\x00\xff\x7e"), 1),
		"bad magic":    append([]byte("x"), entry...),
	} {
		if _, err := decodeProgram(bad, key); !errors.Is(err, errCorrupt) {
			t.Errorf("%s: got %v, want errCorrupt", name, err)
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
	hardened, _, err := rules.Harden(deny(unix.EPERM, "openat", "connect"), nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]*specs.LinuxSeccomp{"docker-default": docker, "demo-hardened": hardened, "demo": deny(unix.EPERM, "openat", "connect")} {
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

// TestBuildID: the build ID in the cache key is the one the go command
// reads from the binary.
// TestHostKey: launch.c reads this build's Go build ID from the mapped
// notes as the toolchain wrote it, and names the libseccomp and kernel in use.
func TestHostKey(t *testing.T) {
	host, err := hostKey()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("go", "tool", "buildid", self(t)).Output()
	if err != nil {
		t.Fatalf("go tool buildid: %v", err)
	}
	var uts unix.Utsname
	if err := unix.Uname(&uts); err != nil {
		t.Fatal(err)
	}
	major, minor, micro := libseccomp.GetLibraryVersion()
	api, _ := libseccomp.GetAPI()
	want := fmt.Sprintf("build %x\nlibseccomp %d.%d.%d\nkernel %s\nlibseccomp-api %d\n",
		strings.TrimSpace(string(out)), major, minor, micro, unix.ByteSliceToString(uts.Release[:]), api)
	if host != want {
		t.Errorf("host key\n%s\nwant\n%s", host, want)
	}
}

// TestCacheTrimmed: a store keeps the newest cacheMaxEntries entries and
// removes what writers killed mid-write left, once it is old.
func TestCacheTrimmed(t *testing.T) {
	dir := privateDir(t)
	old := time.Now().Add(-2 * time.Hour)
	for i := range cacheMaxEntries + 4 {
		name := filepath.Join(dir, fmt.Sprintf("%064x", i))
		if err := os.WriteFile(name, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		at := old.Add(time.Duration(i) * time.Second) // 0 is the oldest
		if err := os.Chtimes(name, at, at); err != nil {
			t.Fatal(err)
		}
	}
	stale := filepath.Join(dir, fmt.Sprintf(".%064x.tmp-0123456789ab", 7))
	if err := os.WriteFile(stale, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	d, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	newest := fmt.Sprintf("%064x", 1<<20)
	if err := writeEntry(d, newest, encodeProgram([]byte("key"), make([]byte, 8))); err != nil {
		t.Fatal(err)
	}
	names := entries(t, dir)
	if len(names) != cacheMaxEntries {
		t.Fatalf("%d files left, want %d", len(names), cacheMaxEntries)
	}
	for _, gone := range []string{fmt.Sprintf("%064x", 0), fmt.Sprintf("%064x", 4), filepath.Base(stale)} {
		if slices.Contains(names, gone) {
			t.Errorf("%s is still there", gone)
		}
	}
	if !slices.Contains(names, newest) || !slices.Contains(names, fmt.Sprintf("%064x", 5)) {
		t.Errorf("the newest entries went")
	}
}
