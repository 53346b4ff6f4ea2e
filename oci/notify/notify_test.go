package notify

import (
	"encoding/binary"
	"errors"
	"os"
	"runtime"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

func TestFormatCall(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []uint64
		want string
	}{
		{"openat", []uint64{uint64(0xffffffffffffff9c), 0, unix.O_RDONLY | unix.O_CLOEXEC, 0}, "openat(AT_FDCWD, 0x0, O_RDONLY|O_CLOEXEC)"},
		{"openat", []uint64{3, 0, unix.O_WRONLY | unix.O_CREAT | unix.O_TRUNC, 0o644}, "openat(3, 0x0, O_WRONLY|O_CREAT|O_TRUNC, 0644)"},
		{"openat", []uint64{3, 0, unix.O_RDONLY | unix.O_DIRECTORY | unix.O_CLOEXEC, 0}, "openat(3, 0x0, O_RDONLY|O_DIRECTORY|O_CLOEXEC)"},
		{"open", []uint64{0, unix.O_RDWR | unix.O_TMPFILE, 0o600}, "open(0x0, O_RDWR|O_TMPFILE, 0600)"},
		{"socket", []uint64{unix.AF_INET, unix.SOCK_STREAM | unix.SOCK_CLOEXEC, 0}, "socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, 0)"},
		{"kill", []uint64{1, uint64(unix.SIGKILL)}, "kill(1, SIGKILL)"},
		{"getppid", []uint64{0, 0, 0, 0, 0, 0}, "getppid()"},
		{"no_such", []uint64{1, 2}, "no_such(0x1, 0x2)"},
	} {
		if got := FormatCall(-1, tc.name, tc.args); got != tc.want {
			t.Errorf("FormatCall(%s, %v) = %q, want %q", tc.name, tc.args, got, tc.want)
		}
	}
}

// TestDescribe reads arguments from a live process's memory: this one's.
func TestDescribe(t *testing.T) {
	path := []byte("/etc/passwd\x00")
	addr := uint64(uintptr(unsafe.Pointer(&path[0])))
	c := Describe(os.Getpid(), "openat", []uint64{uint64(0xffffffffffffff9c), addr, unix.O_RDONLY, 0, 0, 0})
	if c.Text != `openat(AT_FDCWD, "/etc/passwd", O_RDONLY)` || c.Path != "/etc/passwd" || c.Addr != "" {
		t.Errorf("openat: %+v", c)
	}

	var sa [16]byte
	binary.NativeEndian.PutUint16(sa[0:], unix.AF_INET)
	binary.BigEndian.PutUint16(sa[2:], 8080)
	copy(sa[4:], []byte{127, 0, 0, 1})
	c = Describe(os.Getpid(), "connect", []uint64{5, uint64(uintptr(unsafe.Pointer(&sa[0]))), 16})
	if c.Text != "connect(5, {AF_INET 127.0.0.1:8080}, 16)" || c.Addr != "{AF_INET 127.0.0.1:8080}" || c.Path != "" {
		t.Errorf("connect: %+v", c)
	}

	long := []byte(strings.Repeat("a", unix.PathMax+10) + "\x00")
	c = Describe(os.Getpid(), "unlink", []uint64{uint64(uintptr(unsafe.Pointer(&long[0])))})
	if !strings.HasSuffix(c.Text, `aaa"...)`) || len(c.Path) != unix.PathMax {
		t.Errorf("a path longer than PATH_MAX: %d bytes, %q", len(c.Path), c.Text[len(c.Text)-10:])
	}
	runtime.KeepAlive(path)
	runtime.KeepAlive(sa)
	runtime.KeepAlive(long)

	// An address the process does not map: the pointer, not a failure.
	c = Describe(os.Getpid(), "unlink", []uint64{8})
	if c.Text != "unlink(0x8)" || c.Path != "" {
		t.Errorf("unmapped: %+v", c)
	}
}

func TestSyscallName(t *testing.T) {
	for _, tc := range []struct {
		audit    uint32
		nr       int32
		archName string
		name     string
	}{
		{unix.AUDIT_ARCH_X86_64, 257, "x86_64", "openat"},
		{unix.AUDIT_ARCH_X86_64, 42, "x86_64", "connect"},
		{unix.AUDIT_ARCH_X86_64, 0x40000000 | 257, "x32", "openat"},
		{unix.AUDIT_ARCH_I386, 5, "x86", "open"},
		{unix.AUDIT_ARCH_I386, 102, "x86", "socketcall"},
		{unix.AUDIT_ARCH_AARCH64, 56, "aarch64", "openat"},
		{unix.AUDIT_ARCH_X86_64, 4000, "x86_64", "syscall_4000"},
		{unix.AUDIT_ARCH_X86_64, -1, "x32", "syscall_-1"}, // bit 30 set: the kernel takes it for x32
		{0x1234, 1, "audit-arch-0x1234", "syscall_1"},
	} {
		d := Data{Arch: tc.audit, Nr: tc.nr}
		if a, n := d.ArchName(), d.SyscallName(); a != tc.archName || n != tc.name {
			t.Errorf("arch %#x nr %d: %s %s, want %s %s", tc.audit, tc.nr, a, n, tc.archName, tc.name)
		}
	}
}

func TestCheckListener(t *testing.T) {
	f, err := os.Open("/dev/null")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := CheckListener(int(f.Fd())); !errors.Is(err, ErrNotListener) || !strings.Contains(err.Error(), "/dev/null") {
		t.Errorf("CheckListener(/dev/null) = %v", err)
	}
	if err := CheckListener(12345); err == nil || errors.Is(err, ErrNotListener) {
		t.Errorf("CheckListener(a closed fd) = %v", err)
	}
	if err := Respond(int(f.Fd()), 1, Answer{Errno: unix.EPERM}); err == nil {
		t.Error("Respond on /dev/null succeeded")
	}
	if _, err := Recv(int(f.Fd())); err == nil {
		t.Error("Recv on /dev/null succeeded")
	}
}
