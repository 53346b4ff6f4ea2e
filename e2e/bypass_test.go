//go:build e2e

package e2e

import (
	"encoding/json"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/internal/testutil"
	"github.com/oci-sbx/oci-sbx/oci"
)

// bypassAttempt is one of the suspicious app's extra attempts: its flag,
// the name it reports under, the syscall the demo's denylist leaves open
// for it ("" when the demo does not leave it open), and whether it needs
// root.
type bypassAttempt struct {
	flag, name, syscall string
	root                bool
}

var bypassAttempts = []bypassAttempt{
	{"open", "open", "open", false},
	{"creat", "creat", "creat", false},
	{"openat2", "openat2", "openat2", false},
	{"open-by-handle-at", "open_by_handle_at", "open_by_handle_at", true}, // CAP_DAC_READ_SEARCH
	{"io-uring-openat", "io_uring_openat", "io_uring_setup", false},
	{"io-uring-connect", "io_uring_connect", "io_uring_setup", false},
	{"udp-sendto", "udp_sendto", "sendto", false},
	{"udp-sendmsg", "udp_sendmsg", "sendmsg", false},
	{"tcp-fastopen", "tcp_fastopen", "sendto", false},
	// A socket of a network family needs no connect: raw frames with
	// write(2) on a bound AF_PACKET socket (CAP_NET_RAW), and datagrams
	// from outside with bind + recvfrom. Only a rule on socket's family
	// stops them.
	{"raw-frame", "raw_frame", "socket", true},
	{"udp-recv", "udp_recv", "socket", false},
	// The demo lists no architectures, so the filter covers x86_64 only
	// and answers i386 and x32 calls with the bad-architecture action
	// (kill-thread); where the kernel has no IA-32 emulation, int 0x80
	// faults before seccomp sees it. Neither gets through either profile.
	{"int80-open", "int80_open", "", false},
	{"x32-open", "x32_open", "", false},
}

type lintJSON struct {
	Findings []struct {
		ID       string
		Severity string
		Syscalls []string
	}
	Errors int
}

// TestBypass builds oci-sbx and the suspicious app once; the subtests run
// them.
func TestBypass(t *testing.T) {
	dir := t.TempDir()
	oci, app := filepath.Join(dir, "oci-sbx"), filepath.Join(dir, "suspicious-app")
	goBuild(t, oci, true, "-tags", "seccomp", "./cmd/oci-sbx")
	goBuild(t, app, false, "./testdata/suspicious-app")
	t.Run("matrix", func(t *testing.T) { testBypassMatrix(t, oci, app) })
	t.Run("int-arg", func(t *testing.T) { testBypassIntArg(t, oci) })
	t.Run("socketcall", func(t *testing.T) { testBypassSocketcall(t, oci) })
	t.Run("families", func(t *testing.T) { testBypassFamilies(t, oci) })
	t.Run("i386", func(t *testing.T) { testBypassI386(t, oci) })
	t.Run("socket-type", func(t *testing.T) { testBypassSocketType(t, oci) })
	t.Run("socketcall-eexist", func(t *testing.T) { testSocketcallEEXIST(t, oci) })
	t.Run("runc", func(t *testing.T) { testBypassRunc(t, oci, app) })
	t.Run("precedence", func(t *testing.T) { testBypassPrecedence(t, oci, app) })
}

// udpSender sends a datagram to 127.0.0.1:port every 20 ms, from outside
// any filter, until the test ends: what the app's udp_recv attempt waits
// for.
func udpSender(t *testing.T) (port int) {
	t.Helper()
	l, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	port = l.LocalAddr().(*net.UDPAddr).Port
	l.Close()
	c, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				c.Write([]byte("from outside"))
			}
		}
	}()
	t.Cleanup(func() { close(done); c.Close() })
	return port
}

// testBypassMatrix runs the suspicious app's attempts at its three goals
// through other syscalls: under the demo's denylist the known bypasses get
// through, and lint names each of them; under the demo hardened with
// convert --harden none does, and lint reports no error. What seccomp
// cannot stop at all (listing /proc with stat and readlink) lint reports
// as info; the app has no attempt of that kind. The groups-close-bypasses
// subtest of TestExec shows the same with a hand-written groups profile.
func testBypassMatrix(t *testing.T, oci, app string) {
	dir := t.TempDir()
	demo := filepath.Join(testutil.Root(t), "testdata", "demo.yaml")
	hardened := filepath.Join(dir, "demo-hardened.json")
	if code, _, stderr := runCmd(t, oci, "convert", "--harden", "-o", hardened, demo); code != 0 || !strings.Contains(stderr, "oci-sbx: harden: ") {
		t.Fatalf("convert --harden: exit status %d\n%s", code, stderr)
	}

	root := os.Geteuid() == 0
	args := []string{}
	for _, a := range bypassAttempts {
		if a.root && !root {
			t.Run(a.name, func(t *testing.T) { testutil.RequireRoot(t) })
			continue
		}
		args = append(args, "-"+a.flag)
	}
	args = append(args, "-udp-port", strconv.Itoa(udpSender(t)))

	for _, run := range []struct {
		name, profile string
		lintStatus    int
	}{{"demo", demo, 1}, {"hardened", hardened, 0}} {
		t.Run(run.name, func(t *testing.T) {
			code, out, stderr := runCmd(t, oci, "lint", "--format", "json", run.profile)
			var report lintJSON
			if err := json.Unmarshal([]byte(out), &report); err != nil || code != run.lintStatus {
				t.Fatalf("lint: exit status %d, want %d; %v\n%s\n%s", code, run.lintStatus, err, out, stderr)
			}
			named := map[string]bool{} // syscalls an error finding names
			ids := map[string]bool{}
			for _, f := range report.Findings {
				ids[f.ID] = true
				if f.Severity == "error" {
					for _, s := range f.Syscalls {
						named[s] = true
					}
				}
			}
			if !ids["seccomp-cannot-proc"] {
				t.Error("lint does not say that listing /proc needs a PID namespace")
			}

			code, out, stderr = runCmd(t, oci, append([]string{"exec", "--profile", run.profile, "--", app}, args...)...)
			t.Logf("stdout:\n%s", out)
			if code != 0 {
				t.Fatalf("exec: exit status %d\n%s", code, stderr)
			}
			// The three default activities fail under both.
			for _, a := range []string{"read_file", "count_processes", "access_network"} {
				if !strings.Contains(out, "=== "+a+" fail ===") {
					t.Errorf("%s did not fail", a)
				}
			}
			for _, a := range bypassAttempts {
				if a.root && !root {
					continue
				}
				through := strings.Contains(out, "=== "+a.name+" ok ===")
				if !through && !strings.Contains(out, "=== "+a.name+" fail ===") {
					t.Errorf("%s: no outcome", a.name)
					continue
				}
				switch {
				case run.name == "demo" && a.syscall != "" && !through:
					t.Errorf("%s was stopped by the demo's denylist, which leaves %s open", a.name, a.syscall)
				case run.name == "demo" && a.syscall != "" && !named[a.syscall]:
					t.Errorf("%s got through the demo, but no lint error names %s", a.name, a.syscall)
				case run.name == "hardened" && through:
					t.Errorf("%s got through the hardened demo", a.name)
				case a.syscall == "" && through:
					t.Errorf("%s got through %s", a.name, run.name)
				}
			}
			if run.name == "hardened" && len(named) > 0 {
				t.Errorf("lint errors name %v in the hardened demo", slices.Sorted(maps.Keys(named)))
			}
		})
	}
}

// highBitsProgram calls socket(AF_INET, …) and the same with garbage in
// the upper half of the family, which the kernel reads as an int.
const highBitsProgram = `package main

import (
	"fmt"
	"syscall"
)

func main() {
	for _, family := range []uint64{syscall.AF_INET, syscall.AF_INET | 1<<32} {
		fd, _, errno := syscall.RawSyscall(syscall.SYS_SOCKET, uintptr(family), syscall.SOCK_DGRAM, 0)
		if errno != 0 {
			fmt.Printf("socket(%#x): %v\n", family, errno)
			continue
		}
		fmt.Printf("socket(%#x): ok\n", family)
		syscall.Close(int(fd))
	}
}
`

// familiesProgram calls socket for every family number up to 63, each
// with garbage in the upper half of the family and with a raw type, alone
// and with SOCK_NONBLOCK | SOCK_CLOEXEC, and a datagram type with them,
// and prints the
// errno (0: a socket) for each, one line per call:
// "FAMILY TYPE ERRNO", in hex, hex, decimal.
const familiesProgram = `package main

import (
	"fmt"
	"syscall"
)

func main() {
	for f := uint64(0); f < 64; f++ {
		for _, hi := range []uint64{0, 1 << 32, 0xffffffff << 32} {
			for _, typ := range []uint64{syscall.SOCK_RAW, syscall.SOCK_RAW | syscall.SOCK_NONBLOCK | syscall.SOCK_CLOEXEC, syscall.SOCK_DGRAM | syscall.SOCK_NONBLOCK | syscall.SOCK_CLOEXEC} {
				fd, _, errno := syscall.RawSyscall(syscall.SYS_SOCKET, uintptr(f|hi), uintptr(typ), 0)
				if errno == 0 {
					syscall.Close(int(fd))
				}
				fmt.Printf("%#x %#x %d\n", f|hi, typ, int(errno))
			}
		}
	}
}
`

// testBypassFamilies: "no network" said by family (socket denied for
// AF_INET and AF_INET6 with an errno nothing else returns) is hardened into a denial of
// every family but AF_UNIX and AF_NETLINK. The kernel, running a program
// that tries every family number with the upper half set and with the
// type's flags, denies exactly those calls; simulate, asked the same
// calls, says the same; and lint names the families the unhardened
// profile leaves open.
func testBypassFamilies(t *testing.T, oci string) {
	dir := t.TempDir()
	prog := goBuildSource(t, dir, "families", familiesProgram)
	profile := filepath.Join(dir, "no-inet.yaml")
	if err := os.WriteFile(profile, []byte("default: allow\nrules:\n  - {action: errno(EXFULL), syscalls: [socket], when: [\"arg0 & 0xffffffff == AF_INET\"]}\n  - {action: errno(EXFULL), syscalls: [socket], when: [\"arg0 & 0xffffffff == AF_INET6\"]}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := runCmd(t, oci, "lint", profile); code != 1 || !strings.Contains(out, "[network-socket-family]") || !strings.Contains(out, "AF_PACKET, AF_XDP, AF_VSOCK") || !strings.Contains(out, "[bypass-network]") {
		t.Errorf("lint: exit status %d\n%s", code, out)
	}
	hardened, program := filepath.Join(dir, "hardened.json"), filepath.Join(dir, "hardened.bpf")
	if code, _, stderr := runCmd(t, oci, "convert", "--harden", "-o", hardened, profile); code != 0 {
		t.Fatalf("convert --harden: exit status %d\n%s", code, stderr)
	}
	if code, _, stderr := runCmd(t, oci, "convert", "--to", "bpf", "-o", program, hardened); code != 0 {
		t.Fatalf("convert --to bpf: exit status %d\n%s", code, stderr)
	}
	code, out, stderr := runCmd(t, oci, "exec", "--profile", hardened, "--", prog)
	if code != 0 {
		t.Fatalf("exec: exit status %d\n%s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 64*3*3 {
		t.Fatalf("%d lines from the program, want %d", len(lines), 64*3*3)
	}
	const exfull = "54"
	for _, line := range lines {
		fields := strings.Fields(line)
		family, _ := strconv.ParseUint(fields[0], 0, 64)
		local := family&0xffffffff == 1 || family&0xffffffff == 16
		if denied := fields[2] == exfull; denied == local {
			t.Errorf("socket(%s, %s): errno %s under the hardened profile", fields[0], fields[1], fields[2])
		}
		// simulate reads the same program; it is asked about each
		// family's first type only, to stay quick.
		if fields[1] != "0x3" {
			continue
		}
		_, verdict, _ := runCmd(t, oci, "simulate", "--from", "bpf", program, "socket", fields[0], fields[1])
		if want := map[bool]string{true: "allow", false: "errno(EXFULL)"}[local]; strings.TrimSpace(verdict) != want {
			t.Errorf("simulate socket(%s, %s): %q, the kernel: errno %s", fields[0], fields[1], strings.TrimSpace(verdict), fields[2])
		}
	}
}

// i386Program makes i386 socket calls from a 64-bit process through
// int 0x80 (seccomp sees AUDIT_ARCH_I386): socketcall with SYS_SOCKET for
// three families and SYS_CONNECT, and i386's own socket (359). Each line
// is "NAME|SYSCALL ARGS|RESULT", the middle as simulate --arch x86 takes it.
const i386Program = `#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

int main(void) {
	unsigned int *args = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	struct { const char *name; long nr, call; unsigned a0, a1, a2; } t[] = {
		{"socketcall SOCKET AF_INET", 102, 1, 2, 2, 0},
		{"socketcall SOCKET AF_PACKET", 102, 1, 17, 3, 0x300},
		{"socketcall SOCKET AF_UNIX", 102, 1, 1, 1, 0},
		{"socketcall CONNECT", 102, 3, 1000, 0, 0},
		{"socket AF_INET", 359, 0, 2, 2, 0},
		{"socket AF_PACKET", 359, 0, 17, 3, 0x300},
		{"socket AF_UNIX", 359, 0, 1, 1, 0},
	};
	for (unsigned i = 0; i < sizeof t / sizeof *t; i++) {
		long r;
		if (t[i].nr == 102) {
			args[0] = t[i].a0, args[1] = t[i].a1, args[2] = t[i].a2;
			asm volatile("int $0x80" : "=a"(r) : "a"(t[i].nr), "b"(t[i].call), "c"((long)args) : "memory");
			printf("%s|socketcall %ld|%s\n", t[i].name, t[i].call, r < 0 ? strerrorname_np(-r) : "ok");
		} else {
			asm volatile("int $0x80" : "=a"(r) : "a"(t[i].nr), "b"((long)t[i].a0), "c"((long)t[i].a1), "d"((long)t[i].a2) : "memory");
			printf("%s|socket %u %u %u|%s\n", t[i].name, t[i].a0, t[i].a1, t[i].a2, r < 0 ? strerrorname_np(-r) : "ok");
		}
	}
	return 0;
}
`

// testBypassI386 runs i386 socket calls (int 0x80 from an x86_64 process)
// under a profile hardened from "connect denied" with x86 among its
// architectures: the kernel denies socketcall whole and i386's socket for
// every family but the local ones, as simulate says of the same calls;
// under the hardened demo, which lists no x86, the first call kills it.
func testBypassI386(t *testing.T, oci string) {
	gcc := requireTool(t, "gcc")
	dir := t.TempDir()
	prog, src := filepath.Join(dir, "i386"), filepath.Join(dir, "i386.c")
	if err := os.WriteFile(src, []byte(i386Program), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(gcc, "-static", "-O1", "-o", prog, src).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	if code, out, _ := runCmd(t, prog); code != 0 || strings.Contains(out, "|ENOSYS") {
		testutil.Missing(t, "this test needs IA-32 emulation in the kernel: exit status %d\n%s", code, out)
	}
	profile := filepath.Join(dir, "no-connect.yaml")
	if err := os.WriteFile(profile, []byte("extends: docker-default\narchitectures: [x86_64, x86]\nrules:\n  - {action: errno(EXFULL), syscalls: [connect]}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	hardened := filepath.Join(dir, "hardened.json")
	if code, _, stderr := runCmd(t, oci, "convert", "--harden", "-o", hardened, profile); code != 0 {
		t.Fatalf("convert --harden: exit status %d\n%s", code, stderr)
	}
	code, out, stderr := runCmd(t, oci, "exec", "--profile", hardened, "--", prog)
	if code != 0 {
		t.Fatalf("exec: exit status %d\n%s%s", code, out, stderr)
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		name, rest, _ := strings.Cut(line, "|")
		call, got, _ := strings.Cut(rest, "|")
		// socketcall carries the family behind a pointer: denied whole.
		wantDenied := name != "socket AF_UNIX"
		if (got == "EXFULL") != wantDenied {
			t.Errorf("%s: %s under the hardened profile", name, got)
		}
		_, verdict, _ := runCmd(t, oci, append([]string{"simulate", "--arch", "x86", hardened}, strings.Fields(call)...)...)
		if (strings.TrimSpace(verdict) == "errno(EXFULL)") != (got == "EXFULL") {
			t.Errorf("%s: simulate says %s, the kernel %s", name, strings.TrimSpace(verdict), got)
		}
	}
	demo := filepath.Join(testutil.Root(t), "testdata", "demo.yaml")
	hardDemo := filepath.Join(dir, "demo.json")
	if code, _, stderr := runCmd(t, oci, "convert", "--harden", "-o", hardDemo, demo); code != 0 {
		t.Fatalf("convert --harden: exit status %d\n%s", code, stderr)
	}
	if code, out, stderr := runCmd(t, oci, "exec", "--profile", hardDemo, "--", prog); code != 128+int(syscall.SIGSYS) || out != "" {
		t.Errorf("hardened demo: exit status %d, want %d (SIGSYS)\n%s%s", code, 128+int(syscall.SIGSYS), out, stderr)
	}
}

// testBypassSocketType: raw sockets denied by type ("arg1 == SOCK_RAW")
// let SOCK_RAW | SOCK_NONBLOCK through, as lint says; the hardened profile
// compares the type's bits only, and the kernel then denies every raw
// socket, flags or not, and no other type.
func testBypassSocketType(t *testing.T, oci string) {
	dir := t.TempDir()
	prog := goBuildSource(t, dir, "families", familiesProgram)
	profile := filepath.Join(dir, "no-raw.yaml")
	if err := os.WriteFile(profile, []byte("default: allow\nrules:\n  - {action: errno(EXFULL), syscalls: [socket], when: [\"arg1 == SOCK_RAW\"]}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := runCmd(t, oci, "lint", profile); code != 1 || !strings.Contains(out, "[type-flags]") {
		t.Errorf("lint: exit status %d\n%s", code, out)
	}
	hardened := filepath.Join(dir, "hardened.json")
	if code, _, stderr := runCmd(t, oci, "convert", "--harden", "-o", hardened, profile); code != 0 {
		t.Fatalf("convert --harden: exit status %d\n%s", code, stderr)
	}
	for _, run := range []struct {
		profile  string
		hardened bool
	}{{profile, false}, {hardened, true}} {
		code, out, stderr := runCmd(t, oci, "exec", "--profile", run.profile, "--", prog)
		if code != 0 {
			t.Fatalf("exec: exit status %d\n%s", code, stderr)
		}
		flagged := 0
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			fields := strings.Fields(line)
			typ, _ := strconv.ParseUint(fields[1], 0, 64)
			raw, denied := typ&0xf == syscall.SOCK_RAW, fields[2] == "54"
			if raw && typ != syscall.SOCK_RAW && !denied {
				flagged++
			}
			if run.hardened && raw != denied {
				t.Errorf("hardened: socket(%s, %s): errno %s", fields[0], fields[1], fields[2])
			}
		}
		if !run.hardened && flagged == 0 {
			t.Errorf("as written: no raw socket with flags got past arg1 == SOCK_RAW; is lint's finding still right?")
		}
	}
}

// testBypassIntArg: a denial of socket's AF_INET compared as 64 bits lets
// AF_INET | 1<<32 through, as lint says; the hardened profile masks the
// comparison and stops both.
func testBypassIntArg(t *testing.T, oci string) {
	dir := t.TempDir()
	prog := goBuildSource(t, dir, "high-bits", highBitsProgram)
	profile := filepath.Join(dir, "socket.yaml")
	if err := os.WriteFile(profile, []byte("default: allow\nrules:\n  - {action: errno(EAFNOSUPPORT), syscalls: [socket], when: [\"arg0 == AF_INET\"]}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	hardened := filepath.Join(dir, "hardened.json")
	if code, _, stderr := runCmd(t, oci, "convert", "--harden", "-o", hardened, profile); code != 0 {
		t.Fatalf("convert --harden: exit status %d\n%s", code, stderr)
	}
	if code, out, _ := runCmd(t, oci, "lint", profile); code != 1 || !strings.Contains(out, "[unmasked-int-arg]") {
		t.Errorf("lint: exit status %d\n%s", code, out)
	}
	for _, run := range []struct{ profile, high string }{
		{profile, "socket(0x100000002): ok"},
		{hardened, "socket(0x100000002): address family not supported by protocol"},
	} {
		code, out, stderr := runCmd(t, oci, "exec", "--profile", run.profile, "--", prog)
		if code != 0 || !strings.Contains(out, "socket(0x2): address family not supported by protocol\n") || !strings.Contains(out, run.high+"\n") {
			t.Errorf("%s: exit status %d, want %q\n%s%s", filepath.Base(run.profile), code, run.high, out, stderr)
		}
	}
}

// testBypassSocketcall checks lint's reading of libseccomp on i386, where
// socket calls also go through socketcall, against the program runc loads
// (oci-sbx simulate): a conditional denial of sendto leaves a way to a
// peer through socketcall, which the hardened profile closes; a base's
// allow of socketcall outright beside a denial of connect no longer does,
// since the denial wins there too.
func testBypassSocketcall(t *testing.T, oci string) {
	dir := t.TempDir()
	outright := filepath.Join(testutil.Root(t), "convert", "lint", "testdata", "corpus", "socketcall.yaml")
	conditional := filepath.Join(dir, "conditional.yaml")
	if err := os.WriteFile(conditional, []byte(`default: allow
architectures: [x86_64, x86]
rules:
  - {action: errno(EPERM), syscalls: [connect, sendmsg, sendmmsg, accept, accept4, "@io-uring"]}
  - {action: errno(EPERM), syscalls: [sendto], when: ["arg4 != 0"]}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	simulate := func(profile string, call ...string) string {
		t.Helper()
		code, out, stderr := runCmd(t, oci, append([]string{"simulate", "--arch", "x86", profile}, call...)...)
		if code != 0 {
			t.Fatalf("simulate %s %v: exit status %d\n%s", filepath.Base(profile), call, code, stderr)
		}
		return strings.TrimSpace(out)
	}
	const sysSocket, sysConnect, sysSendto = "1", "3", "11" // socketcall's call numbers
	for call, want := range map[string]string{sysConnect: "errno(EACCES)", sysSendto: "errno(EACCES)", sysSocket: "allow"} {
		if got := simulate(outright, "socketcall", call); got != want {
			t.Errorf("socketcall.yaml: socketcall %s is %s, want %s", call, got, want)
		}
	}
	// Exit status 2 would be lint failing to read the profile at all.
	if code, out, stderr := runCmd(t, oci, "lint", outright); code == 2 || strings.Contains(out, "[arch-untranslated]") {
		t.Errorf("socketcall.yaml: lint exit status %d, want no arch-untranslated finding\n%s%s", code, out, stderr)
	}
	for _, tc := range []struct {
		profile string
		call    []string
	}{
		{conditional, []string{"socketcall", sysSendto}},
	} {
		name := filepath.Base(tc.profile)
		if got := simulate(tc.profile, tc.call...); got != "allow" {
			t.Errorf("%s: %v is %s; the bypass lint reports is gone, so is the finding right?", name, tc.call, got)
		}
		if code, out, _ := runCmd(t, oci, "lint", tc.profile); code != 1 || !strings.Contains(out, "[arch-untranslated]") || !strings.Contains(out, "on x86: socketcall") {
			t.Errorf("%s: lint exit status %d\n%s", name, code, out)
		}
		hardened := filepath.Join(dir, name+".hardened.json")
		if code, _, stderr := runCmd(t, oci, "convert", "--harden", "-o", hardened, tc.profile); code != 0 {
			t.Fatalf("convert --harden %s: exit status %d\n%s", name, code, stderr)
		}
		if got := simulate(hardened, tc.call...); !strings.HasPrefix(got, "errno(") {
			t.Errorf("%s hardened: %v is %s", name, tc.call, got)
		}
		if code, out, _ := runCmd(t, oci, "lint", hardened); code != 0 {
			t.Errorf("%s hardened: lint exit status %d\n%s", name, code, out)
		}
	}

	// A conditional allow of socket by family becomes, through
	// socketcall on x86, an allow of socket whatever the family: lint
	// says so, and the loaded program agrees.
	byFamily := filepath.Join(testutil.Root(t), "convert", "lint", "testdata", "corpus", "multiplexed-args.yaml")
	if got := simulate(byFamily, "socketcall", sysSocket); got != "allow" {
		t.Errorf("multiplexed-args.yaml: socketcall(SYS_SOCKET) is %s; is the finding still right?", got)
	}
	if got := simulate(byFamily, "socket", "2"); !strings.HasPrefix(got, "errno(") {
		t.Errorf("multiplexed-args.yaml: the direct socket(AF_INET) is %s, want an errno", got)
	}
	if code, out, _ := runCmd(t, oci, "lint", byFamily); code != 1 || !strings.Contains(out, "error [multiplexed-args] on x86, socket also goes through socketcall") {
		t.Errorf("multiplexed-args.yaml: lint exit status %d\n%s", code, out)
	}

	// A denial of bind and connect beside an unconditional allow of
	// socketcall, in OCI JSON: libseccomp files them under socketcall on
	// x86 with a condition, and the allow decides there. lint reports the
	// denial as vanishing, and the program runc loads lets the calls
	// through socketcall while the direct calls stay denied.
	vanish := filepath.Join(testutil.Root(t), "convert", "lint", "testdata", "corpus", "socketcall-vanish.json")
	const sysBind = "2"
	for call, want := range map[string]string{sysBind: "allow", sysConnect: "allow"} {
		if got := simulate(vanish, "socketcall", call); got != want {
			t.Errorf("socketcall-vanish.json: socketcall %s is %s, want %s; is the deny-vanishes finding still right?", call, got, want)
		}
	}
	// The direct call stays denied (runc's stub may answer ENOSYS first,
	// as for every x86 socket call here).
	if got := simulate(vanish, "bind"); !strings.HasPrefix(got, "errno(") {
		t.Errorf("socketcall-vanish.json: bind is %s, want an errno", got)
	}
	if code, out, _ := runCmd(t, oci, "lint", vanish); code != 1 || !strings.Contains(out, "[deny-vanishes]") || !strings.Contains(out, "bind through socketcall on x86") {
		t.Errorf("socketcall-vanish.json: lint exit status %d, want a deny-vanishes error\n%s", code, out)
	}
}

// testBypassRunc runs the raw-frame attempt in a runc container with the
// capability docker run grants for it (CAP_NET_RAW), patched with the
// demo and with the demo hardened (both in two stages, since they deny
// openat): the demo lets the frame out, the hardened demo does not.
func testBypassRunc(t *testing.T, ociBin, app string) {
	testutil.RequireRoot(t)
	runc := requireTool(t, "runc")
	// patch finds the late stage's static binary next to oci-sbx.
	buildStatic(t, filepath.Join(filepath.Dir(ociBin), "oci-sbx-static"))
	appData, err := os.ReadFile(app)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	rootfs := filepath.Join(dir, "rootfs")
	writeRootfs(t, rootfs, map[string][]byte{"suspicious-app": appData})
	demo := filepath.Join(testutil.Root(t), "testdata", "demo.yaml")
	hardened := filepath.Join(dir, "demo-hardened.json")
	if code, _, stderr := runCmd(t, ociBin, "convert", "--harden", "-o", hardened, demo); code != 0 {
		t.Fatalf("convert --harden: exit status %d\n%s", code, stderr)
	}
	caps := []string{"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW"}
	withNetRaw := func(e *oci.Editor) error {
		for _, set := range []string{"bounding", "effective", "permitted"} {
			if err := e.Set(caps, "process", "capabilities", set); err != nil {
				return err
			}
		}
		return nil
	}
	for _, run := range []struct {
		name, profile string
		through       bool
	}{{"demo", demo, true}, {"hardened", hardened, false}} {
		t.Run(run.name, func(t *testing.T) {
			bundle := filepath.Join(t.TempDir(), "bundle")
			runcBundle(t, runc, bundle, rootfs, []string{"/suspicious-app", "-only", "-raw-frame"}, withNetRaw)
			if code, out, stderr := runCmd(t, ociBin, "patch", "--profile", run.profile, bundle); code != 0 {
				t.Fatalf("patch: exit status %d\n%s%s", code, out, stderr)
			}
			code, out, timedOut := runcRun(t, runc, bundle, time.Minute)
			t.Logf("runc run: exit status %d\n%s", code, out)
			if timedOut || code != 0 {
				t.Fatalf("runc run: exit status %d, timed out %v", code, timedOut)
			}
			switch through := strings.Contains(out, "=== raw_frame ok ==="); {
			case run.through && !through:
				t.Error("the raw frame did not get out under the demo: is CAP_NET_RAW missing, or is the attempt broken?")
			case !run.through && through:
				t.Error("the raw frame got out under the hardened demo")
			case !run.through && !strings.Contains(out, "socket(AF_PACKET): operation not permitted"):
				t.Error("the attempt failed, but not at socket(AF_PACKET) with the profile's EPERM")
			}
		})
	}
}

// precedenceRules allow a group and deny part of it with the default's
// own errno: runc would drop the denial and libseccomp keep the allow,
// so the compiler takes the denied calls out of the allow.
const precedenceRules = `default: errno(EPERM)
rules:
  - action: allow
    syscalls: ["@system-service"]
  - action: errno(EPERM)
    syscalls: ["@network-connect"]
`

// precedenceOCI says the same to runc as an OCI profile: there the
// denial vanishes, which convert keeps (that is what the file says to a
// runtime) and lint reports.
const precedenceOCI = `{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1, "flags": [], "syscalls": [
	{"names": ["connect", "socket", "read"], "action": "SCMP_ACT_ALLOW"},
	{"names": ["connect"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}
`

// precedenceBases deny the same calls from a base two levels down, with
// the base's own default action; the top file allows them through a group
// (extends.yaml) or by turning the default to allow (allow.yaml).
var precedenceBases = map[string]string{
	"base.yaml":    "default: errno(EPERM)\nrules:\n  - action: errno(EPERM)\n    syscalls: [\"@network-connect\"]\n",
	"mid.yaml":     "extends: base.yaml\nrules:\n  - action: allow\n    syscalls: [getpid]\n",
	"extends.yaml": "extends: mid.yaml\nrules:\n  - action: allow\n    syscalls: [\"@system-service\"]\n",
	"allow.yaml":   "extends: mid.yaml\ndefault: allow\n",
}

// testBypassPrecedence: the suspicious app under the rules above can no
// longer connect, through oci-sbx exec and through runc, and the program
// runc loads says errno for every call the denial names; nor when the
// denial comes from a base.
func testBypassPrecedence(t *testing.T, ociBin, app string) {
	dir := t.TempDir()
	profile := filepath.Join(dir, "precedence.yaml")
	ociProfile := filepath.Join(dir, "precedence.json")
	if err := os.WriteFile(profile, []byte(precedenceRules), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ociProfile, []byte(precedenceOCI), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, data := range precedenceBases {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{profile, filepath.Join(dir, "extends.yaml"), filepath.Join(dir, "allow.yaml")} {
		code, out, stderr := runCmd(t, ociBin, "exec", "--profile", p, "--", app)
		t.Logf("exec %s: exit status %d\n%s%s", filepath.Base(p), code, out, stderr)
		if code != 0 || !strings.Contains(out, "=== read_file ok ===") || !strings.Contains(out, "connect: operation not permitted") ||
			!strings.Contains(out, "=== access_network fail ===") {
			t.Errorf("under exec --profile %s, the app connects (or does not start)", filepath.Base(p))
		}
	}
	if root := os.Geteuid() == 0; root {
		for _, call := range []string{"connect", "sendto", "sendmsg", "sendmmsg", "io_uring_setup"} {
			if code, out, stderr := runCmd(t, ociBin, "simulate", profile, call); code != 0 || strings.TrimSpace(out) != "errno(EPERM)" {
				t.Errorf("simulate %s: exit status %d: %s%s", call, code, out, stderr)
			}
		}
		// The OCI form keeps runc's meaning, and lint says the denial vanishes.
		if code, out, stderr := runCmd(t, ociBin, "simulate", ociProfile, "connect"); code != 0 || strings.TrimSpace(out) != "allow" {
			t.Errorf("simulate the OCI form: exit status %d: %s%s", code, out, stderr)
		}
	}
	if code, out, _ := runCmd(t, ociBin, "lint", ociProfile); code != 1 || !strings.Contains(out, "error [deny-vanishes]") {
		t.Errorf("lint of the OCI form: exit status %d\n%s", code, out)
	}
	if code, out, _ := runCmd(t, ociBin, "lint", profile); strings.Contains(out, "[deny-vanishes]") || strings.Contains(out, "changes nothing") {
		t.Errorf("lint of the rules: exit status %d\n%s", code, out)
	}

	// runc loads it as linux.seccomp (runc can start under it).
	testutil.RequireRoot(t)
	runc := requireTool(t, "runc")
	appData, err := os.ReadFile(app)
	if err != nil {
		t.Fatal(err)
	}
	rootfs := filepath.Join(dir, "rootfs")
	writeRootfs(t, rootfs, map[string][]byte{"suspicious-app": appData})
	bundle := filepath.Join(dir, "bundle")
	runcBundle(t, runc, bundle, rootfs, []string{"/suspicious-app"})
	if code, out, stderr := runCmd(t, ociBin, "patch", "--profile", profile, bundle); code != 0 {
		t.Fatalf("patch: exit status %d\n%s%s", code, out, stderr)
	}
	code, out, timedOut := runcRun(t, runc, bundle, time.Minute)
	t.Logf("runc run: exit status %d\n%s", code, out)
	if timedOut || code != 0 || !strings.Contains(out, "connect: operation not permitted") || !strings.Contains(out, "=== read_file ok ===") {
		t.Error("under runc, the app connects (or does not start)")
	}
}

// testSocketcallEEXIST pins what convert refuses on x86 to what runc
// does: two conditional rules for socket whose conditions are on arg0
// alone, with different actions, become one rule on socketcall to
// libseccomp, which refuses the second (EEXIST), so runc cannot start the
// container; rules apart on another argument load.
func testSocketcallEEXIST(t *testing.T, ociBin string) {
	dir := t.TempDir()
	profiles := map[string]*specs.LinuxSeccomp{}
	for name, other := range map[string]uint{"same": 0, "apart": 2} {
		profiles[name] = &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Flags: []specs.LinuxSeccompFlag{},
			Architectures: []specs.Arch{specs.ArchX86_64, specs.ArchX86},
			Syscalls: []specs.LinuxSyscall{
				{Names: []string{"socket"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{{Index: other, Value: 10, Op: specs.OpEqualTo}}},
				{Names: []string{"socket"}, Action: specs.ActKillProcess, Args: []specs.LinuxSeccompArg{{Index: other, Value: 17, Op: specs.OpEqualTo}}},
			}}
		data, err := json.Marshal(profiles[name])
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, name+".json")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		code, _, stderr := runCmd(t, ociBin, "convert", "--from", "oci", path)
		if refused := code != 0 && strings.Contains(stderr, "(EEXIST)"); refused != (name == "same") {
			t.Errorf("convert %s: exit status %d\n%s", name, code, stderr)
		}
	}

	testutil.RequireRoot(t)
	runc := requireTool(t, "runc")
	rootfs := filepath.Join(dir, "rootfs")
	writeRootfs(t, rootfs, map[string][]byte{"tiny": tinyProgram(t)})
	for name, s := range profiles {
		bundle := filepath.Join(dir, "bundle-"+name)
		runcBundle(t, runc, bundle, rootfs, []string{"/tiny"}, oci.WithSeccomp(s))
		code, out, timedOut := runcRun(t, runc, bundle, 30*time.Second)
		switch {
		case timedOut:
			t.Fatalf("%s: runc run timed out\n%s", name, out)
		case name == "same" && (code == 0 || !strings.Contains(out, "file exists")):
			t.Errorf("same: runc started the container (exit status %d); is the refusal still right?\n%s", code, out)
		case name == "apart" && (code != 0 || !strings.Contains(out, startedMarker)):
			t.Errorf("apart: exit status %d\n%s", code, out)
		}
	}
}
