// Command suspicious-app is the target of the oci-sbx demo: a static
// program that reads /etc/passwd, counts processes by listing /proc and
// connects to the network, and reports for each activity whether it worked.
//
// Build it static, so that it starts under a profile that denies openat
// (a dynamic loader could not open libc):
//
//	CGO_ENABLED=0 go build -o bin/suspicious-app ./testdata/suspicious-app
//
// Flags add attempts that reach the same goals through other syscalls; a
// denylist that names only openat and connect lets them through, which is
// what the hardening work measures. -only runs just the selected attempts.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

const secretFile = "/etc/passwd"

type activity struct {
	name string
	flag string // "" for the three default activities
	help string
	run  func() (detail string, err error)
}

var activities = []activity{
	{name: "read_file", run: readFile},
	{name: "count_processes", run: countProcesses},
	{name: "access_network", run: accessNetwork},
	{name: "open", flag: "open", help: "read " + secretFile + " with the raw open(2) syscall", run: rawOpen},
	{name: "creat", flag: "creat", help: "create a file with creat(2)", run: rawCreat},
	{name: "openat2", flag: "openat2", help: "read " + secretFile + " with openat2(2)", run: openat2},
	{name: "open_by_handle_at", flag: "open-by-handle-at", help: "read " + secretFile + " with name_to_handle_at + open_by_handle_at (needs CAP_DAC_READ_SEARCH)", run: openByHandle},
	{name: "io_uring_openat", flag: "io-uring-openat", help: "read " + secretFile + " through io_uring IORING_OP_OPENAT", run: ioUringOpenat},
	{name: "io_uring_connect", flag: "io-uring-connect", help: "connect through io_uring IORING_OP_CONNECT", run: ioUringConnect},
	{name: "udp_sendto", flag: "udp-sendto", help: "send a UDP datagram with sendto(2), no connect", run: udpSendto},
	{name: "udp_sendmsg", flag: "udp-sendmsg", help: "send a UDP datagram with sendmsg(2), no connect", run: udpSendmsg},
	{name: "tcp_fastopen", flag: "tcp-fastopen", help: "open a TCP connection with sendto(MSG_FASTOPEN), no connect", run: tcpFastOpen},
	{name: "raw_frame", flag: "raw-frame", help: "put an Ethernet frame on lo with socket(AF_PACKET) + bind + write(2), no connect (needs CAP_NET_RAW)", run: rawFrame},
	{name: "udp_recv", flag: "udp-recv", help: "receive a UDP datagram with bind + recvfrom on 127.0.0.1:PORT (-udp-port), sent from outside", run: udpRecv},
	{name: "int80_open", flag: "int80-open", help: "read " + secretFile + " with the i386 open through int 0x80 (amd64 only)", run: onOwnThread(int80Open)},
	{name: "x32_open", flag: "x32-open", help: "read " + secretFile + " with the x32 open (syscall 2|0x40000000)", run: onOwnThread(x32Open)},
}

func main() {
	selected := make(map[string]*bool)
	for _, a := range activities {
		if a.flag != "" {
			selected[a.name] = flag.Bool(a.flag, false, a.help)
		}
	}
	flag.IntVar(&udpPort, "udp-port", 0, "the `PORT` -udp-recv listens on for a datagram from outside (0: any; then nothing arrives unless sent there)")
	only := flag.Bool("only", false, "run only the selected attempts, not the three default activities")
	status := flag.Bool("status", false, "first print this process's pid and the Seccomp and NoNewPrivs lines of its /proc/PID/status")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "suspicious-app: unexpected argument %q\n", flag.Arg(0))
		os.Exit(2)
	}
	if *status {
		printStatus()
	}

	ok, failed := 0, 0
	for _, a := range activities {
		if a.flag == "" && *only || a.flag != "" && !*selected[a.name] {
			continue
		}
		fmt.Printf("=== %s start ===\n", a.name)
		detail, err := a.run()
		if err != nil {
			detail = "error: " + err.Error()
		}
		fmt.Println(detail)
		if err != nil {
			fmt.Printf("=== %s fail ===\n", a.name)
			failed++
		} else {
			fmt.Printf("=== %s ok ===\n", a.name)
			ok++
		}
	}
	fmt.Printf("Summary: %d succeed, %d failed\n", ok, failed)
}

// printStatus shows whether a seccomp filter confines this process, as
// the kernel says: "status: pid 1: Seccomp: 2" inside a confined container.
func printStatus() {
	path := fmt.Sprintf("/proc/%d/status", os.Getpid())
	data, err := os.ReadFile(path)
	if err != nil {
		fmt.Printf("status: pid %d: %v\n", os.Getpid(), err)
		return
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "Seccomp:") || strings.HasPrefix(line, "NoNewPrivs:") {
			fmt.Printf("status: pid %d: %s\n", os.Getpid(), strings.Join(strings.Fields(line), " "))
		}
	}
}

// readFile reads the first line of /etc/passwd; os.Open uses openat.
func readFile() (string, error) {
	f, err := os.Open(secretFile)
	if err != nil {
		return "", err
	}
	defer f.Close()
	line, err := bufio.NewReader(f).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return "first line: " + strings.TrimSuffix(line, "\n"), nil
}

// countProcesses counts the numeric entries of /proc; os.ReadDir opens
// the directory with openat.
func countProcesses() (string, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return "", err
	}
	n := 0
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err == nil && e.IsDir() {
			n++
		}
	}
	return fmt.Sprintf("%d processes", n), nil
}

// accessNetwork connects to a listener of its own on the loopback, so the
// outcome depends only on the sandbox, not on the network; net.Dial uses
// connect.
func accessNetwork() (string, error) {
	ln, err := loopbackListener()
	if err != nil {
		return "", err
	}
	defer ln.Close()
	c, err := net.DialTimeout("tcp4", ln.Addr().String(), 5*time.Second)
	if err != nil {
		return "", err
	}
	c.Close()
	return "connected to " + ln.Addr().String(), nil
}

// onOwnThread runs an attempt on a thread of its own and gives up on it
// after a while. A filter that does not cover the architecture of a call
// answers with libseccomp's bad-architecture action, kill-thread: the
// calling thread vanishes without a signal, and the attempt never returns.
func onOwnThread(run func() (string, error)) func() (string, error) {
	return func() (string, error) {
		type result struct {
			detail string
			err    error
		}
		done := make(chan result, 1)
		go func() {
			// Never unlocked: should the thread survive, it exits with
			// the goroutine instead of serving others.
			runtime.LockOSThread()
			d, err := run()
			done <- result{d, err}
		}()
		select {
		case r := <-done:
			return r.detail, r.err
		case <-time.After(3 * time.Second):
			return "", errors.New("no return: the calling thread was killed (seccomp kill-thread, e.g. libseccomp's action for a syscall of an architecture the filter does not cover)")
		}
	}
}

// readFirstLine reads the start of an open file descriptor and closes it.
func readFirstLine(fd int) (string, error) {
	defer unix.Close(fd)
	buf := make([]byte, 4096)
	n, err := unix.Read(fd, buf)
	if err != nil {
		return "", fmt.Errorf("reading: %w", err)
	}
	line, _, _ := bytes.Cut(buf[:n], []byte("\n"))
	return "first line: " + string(line), nil
}

func rawOpen() (string, error) {
	if sysOpen < 0 {
		return "", fmt.Errorf("open(2) does not exist on %s", runtime.GOARCH)
	}
	p, err := unix.BytePtrFromString(secretFile)
	if err != nil {
		return "", err
	}
	fd, _, errno := unix.Syscall(uintptr(sysOpen), uintptr(unsafe.Pointer(p)), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if errno != 0 {
		return "", fmt.Errorf("open: %w", errno)
	}
	return readFirstLine(int(fd))
}

func rawCreat() (string, error) {
	if sysCreat < 0 {
		return "", fmt.Errorf("creat(2) does not exist on %s", runtime.GOARCH)
	}
	name := fmt.Sprintf("%s/suspicious-app-creat-%d", os.TempDir(), os.Getpid())
	p, err := unix.BytePtrFromString(name)
	if err != nil {
		return "", err
	}
	fd, _, errno := unix.Syscall(uintptr(sysCreat), uintptr(unsafe.Pointer(p)), 0o600, 0)
	if errno != 0 {
		return "", fmt.Errorf("creat %s: %w", name, errno)
	}
	unix.Close(int(fd))
	unix.Unlink(name)
	return "created and removed " + name, nil
}

func openat2() (string, error) {
	fd, err := unix.Openat2(unix.AT_FDCWD, secretFile, &unix.OpenHow{Flags: unix.O_RDONLY | unix.O_CLOEXEC})
	if err != nil {
		return "", fmt.Errorf("openat2: %w", err)
	}
	return readFirstLine(fd)
}

// openByHandle resolves the file to a handle without opening it, then
// opens the handle relative to the working directory (AT_FDCWD as the mount
// descriptor), so no open call sees the path.
func openByHandle() (string, error) {
	h, _, err := unix.NameToHandleAt(unix.AT_FDCWD, secretFile, 0)
	if err != nil {
		return "", fmt.Errorf("name_to_handle_at: %w", err)
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	// The mount descriptor must be on the file's filesystem.
	if err := unix.Chdir("/etc"); err != nil {
		return "", err
	}
	defer unix.Chdir(wd)
	fd, err := unix.OpenByHandleAt(unix.AT_FDCWD, h, unix.O_RDONLY|unix.O_CLOEXEC)
	if err != nil {
		return "", fmt.Errorf("open_by_handle_at: %w", err)
	}
	return readFirstLine(fd)
}

func udpListener() (*net.UDPConn, *unix.SockaddrInet4, error) {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, nil, fmt.Errorf("listening: %w", err)
	}
	return c, &unix.SockaddrInet4{Port: c.LocalAddr().(*net.UDPAddr).Port, Addr: [4]byte{127, 0, 0, 1}}, nil
}

func udpSend(send func(fd int, msg []byte, to unix.Sockaddr) error, via string) (string, error) {
	rc, to, err := udpListener()
	if err != nil {
		return "", err
	}
	defer rc.Close()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return "", fmt.Errorf("socket: %w", err)
	}
	defer unix.Close(fd)
	msg := []byte("exfiltrated")
	if err := send(fd, msg, to); err != nil {
		return "", fmt.Errorf("%s: %w", via, err)
	}
	rc.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 64)
	n, _, err := rc.ReadFrom(buf)
	if err != nil {
		return "", fmt.Errorf("receiving: %w", err)
	}
	return fmt.Sprintf("sent %d bytes to %s with %s, no connect", n, rc.LocalAddr(), via), nil
}

func udpSendto() (string, error) {
	return udpSend(func(fd int, msg []byte, to unix.Sockaddr) error {
		return unix.Sendto(fd, msg, 0, to)
	}, "sendto")
}

func udpSendmsg() (string, error) {
	return udpSend(func(fd int, msg []byte, to unix.Sockaddr) error {
		_, err := unix.SendmsgN(fd, msg, nil, to, 0)
		return err
	}, "sendmsg")
}

// tcpFastOpen opens a TCP connection with sendto(MSG_FASTOPEN): the kernel
// connects on the way, and connect(2) is never called.
func tcpFastOpen() (string, error) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("listening: %w", err)
	}
	defer ln.Close()
	got := make(chan string, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- ""
			return
		}
		defer c.Close()
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		b, _ := io.ReadAll(c)
		got <- string(b)
	}()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return "", fmt.Errorf("socket: %w", err)
	}
	to := &unix.SockaddrInet4{Port: ln.Addr().(*net.TCPAddr).Port, Addr: [4]byte{127, 0, 0, 1}}
	err = unix.Sendto(fd, []byte("exfiltrated"), unix.MSG_FASTOPEN, to)
	unix.Close(fd)
	if err != nil {
		return "", fmt.Errorf("sendto(MSG_FASTOPEN): %w", err)
	}
	select {
	case s := <-got:
		if s == "" {
			return "", errors.New("the listener received nothing")
		}
		return fmt.Sprintf("sent %q to %s with sendto(MSG_FASTOPEN), no connect", s, ln.Addr()), nil
	case <-time.After(5 * time.Second):
		return "", errors.New("the listener received nothing")
	}
}

// rawFrame sends an Ethernet frame on the loopback interface with plain
// write(2) on a bound AF_PACKET socket, and receives it on a second one:
// the frame was on the wire, and no connect, sendto or sendmsg was made.
func rawFrame() (string, error) {
	const etherType = 0x88b5                       // IEEE 802 local experimental
	proto := int(etherType>>8 | etherType&0xff<<8) // network byte order
	rx, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, proto)
	if err != nil {
		return "", fmt.Errorf("socket(AF_PACKET): %w", err)
	}
	defer unix.Close(rx)
	// The interface's index by ioctl, not netlink: no sendto on the way.
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return "", err
	}
	if err := unix.IoctlIfreq(rx, unix.SIOCGIFINDEX, ifr); err != nil {
		return "", fmt.Errorf("SIOCGIFINDEX lo: %w", err)
	}
	lo := int(ifr.Uint32())
	bind := func(fd int) error {
		return unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: uint16(proto), Ifindex: lo})
	}
	if err := bind(rx); err != nil {
		return "", fmt.Errorf("bind: %w", err)
	}
	tx, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return "", fmt.Errorf("socket(AF_PACKET): %w", err)
	}
	defer unix.Close(tx)
	if err := bind(tx); err != nil {
		return "", fmt.Errorf("bind: %w", err)
	}
	payload := fmt.Sprintf("exfiltrated by %d", os.Getpid())
	frame := make([]byte, 14, 14+len(payload)) // zero destination and source addresses
	frame[12], frame[13] = etherType>>8, etherType&0xff
	frame = append(frame, payload...)
	n, err := unix.Write(tx, frame)
	if err != nil {
		return "", fmt.Errorf("write: %w", err)
	}
	if err := unix.SetsockoptTimeval(rx, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{Sec: 3}); err != nil {
		return "", err
	}
	buf := make([]byte, 2048)
	for {
		m, err := unix.Read(rx, buf)
		if err != nil {
			return "", fmt.Errorf("receiving the frame: %w", err)
		}
		if bytes.HasSuffix(buf[:m], []byte(payload)) {
			return fmt.Sprintf("wrote a %d-byte frame on lo with write(2) on an AF_PACKET socket, and received it: no connect", n), nil
		}
	}
}

// udpPort is where udpRecv listens (-udp-port).
var udpPort int

// udpRecv binds a UDP socket and waits for a datagram from a sender
// outside the process: inbound traffic needs no connect or send at all.
func udpRecv() (string, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return "", fmt.Errorf("socket: %w", err)
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, &unix.SockaddrInet4{Port: udpPort, Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		return "", fmt.Errorf("bind: %w", err)
	}
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{Sec: 5}); err != nil {
		return "", err
	}
	buf := make([]byte, 512)
	n, from, err := unix.Recvfrom(fd, buf, 0)
	if err != nil {
		return "", fmt.Errorf("recvfrom: %w", err)
	}
	sender := "?"
	if in, ok := from.(*unix.SockaddrInet4); ok {
		sender = fmt.Sprintf("%d.%d.%d.%d:%d", in.Addr[0], in.Addr[1], in.Addr[2], in.Addr[3], in.Port)
	}
	return fmt.Sprintf("received %q from %s with bind + recvfrom, no connect", buf[:n], sender), nil
}

// int80Open calls the i386 open through int 0x80. The i386 ABI passes
// 32-bit pointers, so the path lives in memory mapped below 4 GiB. A kernel
// without IA-32 emulation answers int 0x80 with a general protection fault;
// SetPanicOnFault turns that into a panic this function recovers from.
func int80Open() (detail string, err error) {
	if !haveInt80 {
		return "", fmt.Errorf("int 0x80 does not exist on %s", runtime.GOARCH)
	}
	mem, err := unix.Mmap(-1, 0, 4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|map32Bit)
	if err != nil {
		return "", fmt.Errorf("mapping memory below 4 GiB: %w", err)
	}
	defer unix.Munmap(mem)
	copy(mem, secretFile+"\x00")
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			detail, err = "", errors.New("int 0x80 raised a general protection fault: no IA-32 emulation on this kernel or hypervisor")
		}
	}()
	const i386Open = 5
	r := int32(int80(i386Open, uintptr(unsafe.Pointer(&mem[0])), unix.O_RDONLY, 0))
	if r < 0 {
		return "", fmt.Errorf("int 0x80 open: %w", syscall.Errno(-r))
	}
	return readFirstLine(int(r))
}

// x32Open calls open with the x32 ABI bit set; kernels built without
// CONFIG_X86_X32_ABI answer ENOSYS.
func x32Open() (string, error) {
	if !haveInt80 {
		return "", fmt.Errorf("the x32 ABI does not exist on %s", runtime.GOARCH)
	}
	const x32Open = 2 | 0x40000000
	p, err := unix.BytePtrFromString(secretFile)
	if err != nil {
		return "", err
	}
	fd, _, errno := unix.Syscall(x32Open, uintptr(unsafe.Pointer(p)), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if errno != 0 {
		return "", fmt.Errorf("x32 open: %w", errno)
	}
	return readFirstLine(int(fd))
}

// io_uring through raw syscalls: the layouts of struct io_uring_params,
// io_uring_sqe and io_uring_cqe from <linux/io_uring.h>.
const (
	ioringOpConnect = 16
	ioringOpOpenat  = 18

	ioringOffSQRing = 0
	ioringOffCQRing = 0x8000000
	ioringOffSQEs   = 0x10000000

	ioringEnterGetEvents = 1
)

type sqringOffsets struct {
	Head, Tail, RingMask, RingEntries, Flags, Dropped, Array, Resv1 uint32
	UserAddr                                                        uint64
}

type cqringOffsets struct {
	Head, Tail, RingMask, RingEntries, Overflow, CQEs, Flags, Resv1 uint32
	UserAddr                                                        uint64
}

type uringParams struct {
	SQEntries, CQEntries, Flags, SQThreadCPU, SQThreadIdle, Features, WQFd uint32
	Resv                                                                   [3]uint32
	SQOff                                                                  sqringOffsets
	CQOff                                                                  cqringOffsets
}

type sqe struct {
	Opcode      uint8
	Flags       uint8
	Ioprio      uint16
	Fd          int32
	Off         uint64
	Addr        uint64
	Len         uint32
	OpFlags     uint32
	UserData    uint64
	BufIndex    uint16
	Personality uint16
	SpliceFdIn  int32
	Addr3       uint64
	Pad         uint64
}

type cqe struct {
	UserData uint64
	Res      int32
	Flags    uint32
}

// ioUringOnce submits one request, waits for it and returns its result.
func ioUringOnce(fill func(*sqe)) (int32, error) {
	var p uringParams
	fd, _, errno := unix.Syscall(unix.SYS_IO_URING_SETUP, 1, uintptr(unsafe.Pointer(&p)), 0)
	if errno != 0 {
		return 0, fmt.Errorf("io_uring_setup: %w", errno)
	}
	defer unix.Close(int(fd))
	sqRing, err := unix.Mmap(int(fd), ioringOffSQRing, int(p.SQOff.Array+p.SQEntries*4), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		return 0, fmt.Errorf("mapping the submission ring: %w", err)
	}
	defer unix.Munmap(sqRing)
	cqRing, err := unix.Mmap(int(fd), ioringOffCQRing, int(p.CQOff.CQEs+p.CQEntries*uint32(unsafe.Sizeof(cqe{}))), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		return 0, fmt.Errorf("mapping the completion ring: %w", err)
	}
	defer unix.Munmap(cqRing)
	sqes, err := unix.Mmap(int(fd), ioringOffSQEs, int(p.SQEntries*uint32(unsafe.Sizeof(sqe{}))), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		return 0, fmt.Errorf("mapping the submission entries: %w", err)
	}
	defer unix.Munmap(sqes)

	u32 := func(b []byte, off uint32) *uint32 { return (*uint32)(unsafe.Pointer(&b[off])) }
	tail := atomic.LoadUint32(u32(sqRing, p.SQOff.Tail))
	idx := tail & *u32(sqRing, p.SQOff.RingMask)
	e := (*sqe)(unsafe.Pointer(&sqes[idx*uint32(unsafe.Sizeof(sqe{}))]))
	*e = sqe{UserData: 1}
	fill(e)
	*u32(sqRing, p.SQOff.Array+idx*4) = idx
	atomic.StoreUint32(u32(sqRing, p.SQOff.Tail), tail+1)

	if _, _, errno := unix.Syscall6(unix.SYS_IO_URING_ENTER, fd, 1, 1, ioringEnterGetEvents, 0, 0); errno != 0 {
		return 0, fmt.Errorf("io_uring_enter: %w", errno)
	}
	head := atomic.LoadUint32(u32(cqRing, p.CQOff.Head))
	if head == atomic.LoadUint32(u32(cqRing, p.CQOff.Tail)) {
		return 0, errors.New("io_uring: no completion")
	}
	ci := head & *u32(cqRing, p.CQOff.RingMask)
	c := (*cqe)(unsafe.Pointer(&cqRing[p.CQOff.CQEs+ci*uint32(unsafe.Sizeof(cqe{}))]))
	res := c.Res
	atomic.StoreUint32(u32(cqRing, p.CQOff.Head), head+1)
	return res, nil
}

// scratch returns memory the kernel may read asynchronously: mapped
// memory never moves, unlike a goroutine stack.
func scratch() ([]byte, error) {
	return unix.Mmap(-1, 0, 4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
}

func ioUringOpenat() (string, error) {
	mem, err := scratch()
	if err != nil {
		return "", err
	}
	defer unix.Munmap(mem)
	copy(mem, secretFile+"\x00")
	res, err := ioUringOnce(func(e *sqe) {
		e.Opcode = ioringOpOpenat
		e.Fd = unix.AT_FDCWD
		e.Addr = uint64(uintptr(unsafe.Pointer(&mem[0])))
		e.OpFlags = unix.O_RDONLY | unix.O_CLOEXEC
	})
	if err != nil {
		return "", err
	}
	if res < 0 {
		return "", fmt.Errorf("IORING_OP_OPENAT: %w", syscall.Errno(-res))
	}
	return readFirstLine(int(res))
}

// loopbackListener listens on the loopback and accepts (and closes) one
// connection, so that connecting depends only on the sandbox, not on
// the network.
func loopbackListener() (net.Listener, error) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listening: %w", err)
	}
	go func() {
		if c, err := ln.Accept(); err == nil {
			c.Close()
		}
	}()
	return ln, nil
}

func ioUringConnect() (string, error) {
	ln, err := loopbackListener()
	if err != nil {
		return "", err
	}
	defer ln.Close()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return "", fmt.Errorf("socket: %w", err)
	}
	defer unix.Close(fd)
	mem, err := scratch()
	if err != nil {
		return "", err
	}
	defer unix.Munmap(mem)
	sa := (*unix.RawSockaddrInet4)(unsafe.Pointer(&mem[0]))
	sa.Family = unix.AF_INET
	port := ln.Addr().(*net.TCPAddr).Port
	pb := (*[2]byte)(unsafe.Pointer(&sa.Port)) // network byte order
	pb[0], pb[1] = byte(port>>8), byte(port)
	sa.Addr = [4]byte{127, 0, 0, 1}
	res, err := ioUringOnce(func(e *sqe) {
		e.Opcode = ioringOpConnect
		e.Fd = int32(fd)
		e.Addr = uint64(uintptr(unsafe.Pointer(sa)))
		e.Off = unix.SizeofSockaddrInet4
	})
	if err != nil {
		return "", err
	}
	if res < 0 {
		return "", fmt.Errorf("IORING_OP_CONNECT: %w", syscall.Errno(-res))
	}
	return "connected to " + ln.Addr().String() + " through io_uring", nil
}
