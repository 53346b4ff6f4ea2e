package notify

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Call is a notified call rendered for people.
type Call struct {
	// Text is the call as strace prints it:
	// openat(AT_FDCWD, "/etc/passwd", O_RDONLY|O_CLOEXEC).
	Text string
	// Path is the call's first path argument, when it could be read.
	Path string
	// Addr is the socket address a call names (connect, bind, sendto), as
	// Text shows it, when it could be read.
	Addr string
}

// FormatCall renders a call as strace does; see Describe.
func FormatCall(pid int, name string, args []uint64) string {
	return Describe(pid, name, args).Text
}

// Describe renders a call of task pid, reading its path and address
// arguments from /proc/PID/mem, best effort: what cannot be read is shown
// as the pointer. The caller must check afterwards that the notification
// is still valid (IDValid), or the pid may name another task by then.
// A negative pid reads nothing.
func Describe(pid int, name string, args []uint64) Call {
	kinds, ok := signatures[name]
	if !ok {
		kinds = make([]argKind, len(args)) // unknown: every argument in hex
	}
	kinds = kinds[:min(len(kinds), len(args))]
	if (name == "open" || name == "openat") && len(kinds) > 0 {
		// strace prints the mode only when it matters.
		// (O_TMPFILE includes the O_DIRECTORY bit.)
		if fl := args[len(kinds)-2]; fl&unix.O_CREAT == 0 && fl&unix.O_TMPFILE != unix.O_TMPFILE {
			kinds = kinds[:len(kinds)-1]
		}
	}
	var mem *os.File
	// Most calls have no argument in memory: they cost no open of it.
	if pid > 0 && slices.ContainsFunc(kinds, func(k argKind) bool { return k == aPath || k == aSockaddr || k == aOpenHow }) {
		mem, _ = os.Open("/proc/" + strconv.Itoa(pid) + "/mem")
		if mem != nil {
			defer mem.Close()
		}
	}
	var c Call
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		parts[i] = formatArg(mem, k, args, i, &c)
	}
	c.Text = name + "(" + strings.Join(parts, ", ") + ")"
	return c
}

// Tgid returns the process a thread belongs to, or tid when that cannot
// be read.
func Tgid(tid int) int {
	status, err := os.ReadFile("/proc/" + strconv.Itoa(tid) + "/status")
	if err != nil {
		return tid
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "Tgid:"); ok {
			if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
				return n
			}
		}
	}
	return tid
}

// Argument kinds for printing a call the way strace does.
type argKind uint8

const (
	aHex argKind = iota
	aInt
	aFd
	aDirfd
	aPath
	aOpenFlags
	aMode
	aSockaddr // its length is the next argument
	aFamily
	aSockType
	aOpenHow
	aSignal
)

var signatures = map[string][]argKind{
	"getpid": {}, "getppid": {}, "gettid": {}, "getuid": {}, "geteuid": {}, "getgid": {}, "getegid": {},
	"getpgrp": {}, "setsid": {}, "fork": {}, "vfork": {}, "pause": {}, "sync": {}, "sched_yield": {},
	"read": {aFd, aHex, aInt}, "write": {aFd, aHex, aInt},
	"open": {aPath, aOpenFlags, aMode}, "openat": {aDirfd, aPath, aOpenFlags, aMode},
	"openat2": {aDirfd, aPath, aOpenHow, aInt}, "creat": {aPath, aMode},
	"open_by_handle_at": {aFd, aHex, aOpenFlags}, "name_to_handle_at": {aDirfd, aPath, aHex, aHex, aHex},
	"close": {aFd}, "getdents64": {aFd, aHex, aInt},
	"stat": {aPath, aHex}, "lstat": {aPath, aHex}, "newfstatat": {aDirfd, aPath, aHex, aHex},
	"statx":  {aDirfd, aPath, aHex, aHex, aHex},
	"access": {aPath, aInt}, "faccessat": {aDirfd, aPath, aInt}, "faccessat2": {aDirfd, aPath, aInt, aHex},
	"readlink": {aPath, aHex, aInt}, "readlinkat": {aDirfd, aPath, aHex, aInt},
	"unlink": {aPath}, "rmdir": {aPath}, "chdir": {aPath}, "chroot": {aPath}, "unlinkat": {aDirfd, aPath, aHex},
	"mkdir": {aPath, aMode}, "mkdirat": {aDirfd, aPath, aMode}, "mknod": {aPath, aMode, aHex}, "mknodat": {aDirfd, aPath, aMode, aHex},
	"rename": {aPath, aPath}, "renameat": {aDirfd, aPath, aDirfd, aPath}, "renameat2": {aDirfd, aPath, aDirfd, aPath, aHex},
	"link": {aPath, aPath}, "linkat": {aDirfd, aPath, aDirfd, aPath, aHex},
	"symlink": {aPath, aPath}, "symlinkat": {aPath, aDirfd, aPath},
	"chmod": {aPath, aMode}, "fchmodat": {aDirfd, aPath, aMode}, "chown": {aPath, aInt, aInt}, "lchown": {aPath, aInt, aInt},
	"fchownat": {aDirfd, aPath, aInt, aInt, aHex}, "truncate": {aPath, aInt},
	"execve": {aPath, aHex, aHex}, "execveat": {aDirfd, aPath, aHex, aHex, aHex},
	"mount": {aPath, aPath, aPath, aHex, aHex}, "umount2": {aPath, aHex},
	"socket": {aFamily, aSockType, aInt}, "connect": {aFd, aSockaddr, aInt}, "bind": {aFd, aSockaddr, aInt},
	"listen": {aFd, aInt}, "accept": {aFd, aHex, aHex}, "accept4": {aFd, aHex, aHex, aHex},
	"sendto": {aFd, aHex, aInt, aHex, aSockaddr, aInt}, "sendmsg": {aFd, aHex, aHex}, "recvmsg": {aFd, aHex, aHex},
	"kill": {aInt, aSignal}, "tkill": {aInt, aSignal}, "tgkill": {aInt, aInt, aSignal},
	"ptrace": {aInt, aInt, aHex, aHex}, "setuid": {aInt}, "setgid": {aInt},
	"io_uring_setup": {aInt, aHex}, "io_uring_enter": {aFd, aInt, aInt, aHex, aHex, aInt},
	"unshare": {aHex}, "setns": {aFd, aHex}, "ioctl": {aFd, aHex, aHex},
}

func formatArg(mem *os.File, k argKind, args []uint64, i int, c *Call) string {
	v := args[i]
	switch k {
	case aInt:
		return strconv.FormatInt(int64(v), 10)
	case aFd:
		return strconv.Itoa(int(int32(v)))
	case aDirfd:
		if int32(v) == unix.AT_FDCWD {
			return "AT_FDCWD"
		}
		return strconv.Itoa(int(int32(v)))
	case aPath:
		if s, more, ok := readString(mem, v); ok {
			if c.Path == "" {
				c.Path = s
			}
			if more {
				return strconv.Quote(s) + "..."
			}
			return strconv.Quote(s)
		}
	case aOpenFlags:
		return openFlags(v)
	case aMode:
		return fmt.Sprintf("%#o", v)
	case aSockaddr:
		if i+1 < len(args) {
			if s, ok := readSockaddr(mem, v, args[i+1]); ok {
				if c.Addr == "" {
					c.Addr = s
				}
				return s
			}
		}
	case aFamily:
		if s, ok := families[int(v)]; ok {
			return s
		}
		return strconv.Itoa(int(v))
	case aSockType:
		s, ok := sockTypes[int(v&0xf)]
		if !ok {
			s = strconv.Itoa(int(v & 0xf))
		}
		if v&unix.SOCK_NONBLOCK != 0 {
			s += "|SOCK_NONBLOCK"
		}
		if v&unix.SOCK_CLOEXEC != 0 {
			s += "|SOCK_CLOEXEC"
		}
		return s
	case aOpenHow:
		if b, ok := readMem(mem, v, 24); ok {
			return fmt.Sprintf("{flags=%s, mode=%#o, resolve=%#x}", openFlags(binary.NativeEndian.Uint64(b)),
				binary.NativeEndian.Uint64(b[8:]), binary.NativeEndian.Uint64(b[16:]))
		}
	case aSignal:
		if s := unix.SignalName(syscall.Signal(v)); s != "" {
			return s
		}
		return strconv.Itoa(int(v))
	}
	return fmt.Sprintf("%#x", v)
}

var families = map[int]string{
	unix.AF_UNIX: "AF_UNIX", unix.AF_INET: "AF_INET", unix.AF_INET6: "AF_INET6",
	unix.AF_NETLINK: "AF_NETLINK", unix.AF_PACKET: "AF_PACKET", unix.AF_VSOCK: "AF_VSOCK",
}

var sockTypes = map[int]string{
	unix.SOCK_STREAM: "SOCK_STREAM", unix.SOCK_DGRAM: "SOCK_DGRAM", unix.SOCK_RAW: "SOCK_RAW",
	unix.SOCK_SEQPACKET: "SOCK_SEQPACKET",
}

var openFlagNames = []struct {
	bit  uint64
	name string
}{
	{unix.O_CREAT, "O_CREAT"}, {unix.O_EXCL, "O_EXCL"}, {unix.O_NOCTTY, "O_NOCTTY"},
	{unix.O_TRUNC, "O_TRUNC"}, {unix.O_APPEND, "O_APPEND"}, {unix.O_NONBLOCK, "O_NONBLOCK"},
	{unix.O_SYNC, "O_SYNC"}, {unix.O_DSYNC, "O_DSYNC"}, {unix.O_DIRECT, "O_DIRECT"},
	{unix.O_LARGEFILE, "O_LARGEFILE"}, {unix.O_TMPFILE, "O_TMPFILE"}, {unix.O_DIRECTORY, "O_DIRECTORY"},
	{unix.O_NOFOLLOW, "O_NOFOLLOW"}, {unix.O_NOATIME, "O_NOATIME"}, {unix.O_CLOEXEC, "O_CLOEXEC"},
	{unix.O_PATH, "O_PATH"},
}

func openFlags(v uint64) string {
	s := [...]string{"O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"}[v&unix.O_ACCMODE]
	rest := v &^ unix.O_ACCMODE
	for _, f := range openFlagNames {
		// Composite flags (O_SYNC holds O_DSYNC, O_TMPFILE holds
		// O_DIRECTORY) come first and take their bits.
		if f.bit != 0 && rest&f.bit == f.bit {
			s += "|" + f.name
			rest &^= f.bit
		}
	}
	if rest != 0 {
		s += fmt.Sprintf("|%#o", rest)
	}
	return s
}

// readMem reads n bytes of the task's memory; best effort, for printing
// only.
func readMem(mem *os.File, addr uint64, n int) ([]byte, bool) {
	if mem == nil || addr == 0 {
		return nil, false
	}
	b := make([]byte, n)
	m, _ := mem.ReadAt(b, int64(addr))
	return b[:m], m == n
}

// readString reads a NUL-terminated string of at most 4 KiB (PATH_MAX);
// more reports that it was cut there.
func readString(mem *os.File, addr uint64) (s string, more, ok bool) {
	if mem == nil || addr == 0 {
		return "", false, false
	}
	var out []byte
	buf := make([]byte, 256)
	for len(out) < unix.PathMax {
		n, _ := mem.ReadAt(buf, int64(addr)+int64(len(out)))
		if n == 0 {
			break
		}
		if i := strings.IndexByte(string(buf[:n]), 0); i >= 0 {
			return string(append(out, buf[:i]...)), false, true
		}
		out = append(out, buf[:n]...)
	}
	if len(out) == 0 {
		return "", false, false
	}
	return string(out), true, true
}

func readSockaddr(mem *os.File, addr, size uint64) (string, bool) {
	size = min(size, 128)
	if size < 2 {
		return "", false
	}
	b, ok := readMem(mem, addr, int(size))
	if !ok {
		return "", false
	}
	switch fam := binary.NativeEndian.Uint16(b); {
	case fam == unix.AF_INET && len(b) >= 8:
		ap := netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[4:8])), binary.BigEndian.Uint16(b[2:]))
		return "{AF_INET " + ap.String() + "}", true
	case fam == unix.AF_INET6 && len(b) >= 24:
		ap := netip.AddrPortFrom(netip.AddrFrom16([16]byte(b[8:24])), binary.BigEndian.Uint16(b[2:]))
		return "{AF_INET6 " + ap.String() + "}", true
	case fam == unix.AF_UNIX:
		p := b[2:]
		if len(p) > 0 && p[0] == 0 {
			return "{AF_UNIX " + strconv.Quote("@"+string(p[1:])) + "}", true
		}
		if i := strings.IndexByte(string(p), 0); i >= 0 {
			p = p[:i]
		}
		return "{AF_UNIX " + strconv.Quote(string(p)) + "}", true
	default:
		if s, ok := families[int(fam)]; ok {
			return "{" + s + " …}", true
		}
		return fmt.Sprintf("{family %d …}", fam), true
	}
}
