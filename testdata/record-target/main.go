// Command record-target makes distinct marker calls from many threads, its
// children and its grandchildren, under load, so that a test can check that
// a recording lost none of them.
//
// Every marker is ioctl(-1, Marker(role, thread)), which fails with EBADF;
// the request is what the recorder keeps. Roles: 0 is the first process,
// 1..Children its children, and 16+2*(c-1)+g child c's grandchild g.
// On x86_64 it also makes one i386 call (int 0x80) and one x32 call.
// One more child replaces itself through execveat (role ExecveatRole),
// and the first process runs a dynamically linked program (/bin/true),
// whose loader's calls a recording must hold too.
//
// Mode socket makes one socket of each family named (unix, inet, inet6)
// and exits 0 even when that fails, as a program that swallows an errno
// does.
//
// Mode reuse (root, x86_64) runs a child whose second thread makes a marker
// call and dies without a call of its own (the child exits from its first
// thread), then has a copy of this program at another path (its argument)
// start a process with that thread's number (clone3's set_tid) that makes
// another marker call: the recorder must name the copy for it.
//
// Mode threadexec execs a copy of this program at another path (its
// argument) from a thread other than the first while the first thread
// keeps making calls; the new image, which has the first thread's id,
// makes marker ThreadExecRole at once: the recorder must name the copy.
//
// Usage: record-target [-load N] [-mode normal|selfkill|daemon|untilenosys FILE|socket FAMILY...|reuse COPY|threadexec COPY]
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The shape of the process tree.
const (
	Children        = 4
	Grandchildren   = 2
	MainThreads     = 8
	ChildThreads    = 4
	GrandThreads    = 2
	markerBase      = 0x5eed0000
	i386Marker      = 0x5eedff00
	i386Ioctl       = 54 // ioctl on i386
	x32Getpid       = 39 | 0x40000000
	roleGrandOffset = 16
	ExecveatRole    = 30
	// ReuseRole marks a call of a thread left to die unseen; ReuseRole+1
	// the call of a later process that was given its number.
	ReuseRole = 40
	// ThreadExecRole marks the first call of the image a thread other
	// than the first exec'd.
	ThreadExecRole = 42
)

// Marker is the ioctl request of one thread of one role.
func Marker(role, thread int) uint32 { return markerBase | uint32(role)<<8 | uint32(thread) }

var load = flag.Int("load", 200, "extra calls per thread, to keep the recorder busy")

// The main goroutine stays on the first thread, so that mode threadexec
// can exec from another.
func init() { runtime.LockOSThread() }

func main() {
	mode := flag.String("mode", "normal", "normal, selfkill, daemon, untilenosys, socket, child, grand")
	role := flag.Int("role", 0, "for child and grand")
	flag.Parse()
	switch *mode {
	case "child":
		markers(*role, ChildThreads)
		spawn(Grandchildren, func(g int) []string {
			return []string{"-mode", "grand", "-role", strconv.Itoa(roleGrandOffset + 2*(*role-1) + g)}
		})
	case "grand":
		markers(*role, GrandThreads)
	case "execveat":
		// execveat(fd, "", …, AT_EMPTY_PATH) of this program, opened
		// O_PATH: the new image makes the markers.
		fd, err := unix.Open("/proc/self/exe", unix.O_PATH|unix.O_CLOEXEC, 0)
		if err != nil {
			fail(err)
		}
		argv := cStrings([]string{os.Args[0], "-load", strconv.Itoa(*load), "-mode", "grand", "-role", strconv.Itoa(*role)})
		envv := cStrings(os.Environ())
		empty, _ := unix.BytePtrFromString("")
		_, _, e := unix.RawSyscall6(unix.SYS_EXECVEAT, uintptr(fd), uintptr(unsafe.Pointer(empty)),
			uintptr(unsafe.Pointer(&argv[0])), uintptr(unsafe.Pointer(&envv[0])), unix.AT_EMPTY_PATH, 0)
		fail(fmt.Errorf("execveat: %v", e))
	case "daemon":
		markers(0, 1)
		// A daemon that outlives the program: its own session, still
		// running when the first process exits.
		cmd := exec.Command("/proc/self/exe", "-mode", "sleep")
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		if err := cmd.Start(); err != nil {
			fail(err)
		}
		fmt.Println(cmd.Process.Pid)
	case "socket":
		families := map[string]int{"unix": unix.AF_UNIX, "inet": unix.AF_INET, "inet6": unix.AF_INET6}
		for _, f := range flag.Args() {
			if fd, err := unix.Socket(families[f], unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0); err == nil {
				unix.Close(fd)
			}
		}
	case "reuse":
		reuser := exec.Command(flag.Arg(0), "-mode", "reuser")
		reuser.Stdout, reuser.Stderr = os.Stdout, os.Stderr
		in, err := reuser.StdinPipe()
		if err != nil {
			fail(err)
		}
		if err := reuser.Start(); err != nil {
			fail(err)
		}
		tid, err := exec.Command("/proc/self/exe", "-mode", "leavetid").Output()
		if err != nil {
			fail(fmt.Errorf("leavetid: %w", err))
		}
		_, _ = in.Write(tid)
		in.Close()
		if err := reuser.Wait(); err != nil {
			fail(fmt.Errorf("reuser: %w", err))
		}
	case "leavetid":
		tids := make(chan int)
		go func() {
			runtime.LockOSThread()
			tid := unix.Gettid()
			unix.Syscall(unix.SYS_IOCTL, ^uintptr(0), uintptr(Marker(ReuseRole, 0)), 0)
			tids <- tid
			select {} // the thread ends with the process, making no call
		}()
		fmt.Println(<-tids)
		os.Exit(0)
	case "reuser":
		var tid int
		if _, err := fmt.Scan(&tid); err != nil {
			fail(err)
		}
		if err := markerAsPid(tid, Marker(ReuseRole+1, 0)); err != nil {
			fail(err)
		}
	case "threadexec":
		go func() {
			runtime.LockOSThread()
			if unix.Gettid() == os.Getpid() {
				fail(errors.New("the exec'ing goroutine is on the first thread"))
			}
			argv := []string{flag.Arg(0), "-mode", "marker", "-role", strconv.Itoa(ThreadExecRole)}
			fail(fmt.Errorf("exec: %w", syscall.Exec(flag.Arg(0), argv, os.Environ())))
		}()
		for { // the first thread (locked in init) calls until the exec ends it
			unix.Syscall(unix.SYS_IOCTL, ^uintptr(0), uintptr(markerBase|0xfe00), 0)
		}
	case "marker":
		unix.Syscall(unix.SYS_IOCTL, ^uintptr(0), uintptr(Marker(*role, 0)), 0)
	case "sleep":
		time.Sleep(30 * time.Second)
	case "untilenosys":
		// Once the recorder is gone, a notified call fails with ENOSYS
		// rather than waiting for ever.
		if err := os.WriteFile(flag.Arg(0), []byte("started\n"), 0o644); err != nil {
			fail(err)
		}
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			_, _, e := unix.Syscall(unix.SYS_IOCTL, ^uintptr(0), uintptr(Marker(0, 0)), 0)
			if e == unix.ENOSYS {
				_ = os.WriteFile(flag.Arg(0), []byte("ENOSYS\n"), 0o644)
				os.Exit(0)
			}
			time.Sleep(time.Millisecond)
		}
		fail(errors.New("no ENOSYS within 20s"))
	default:
		markers(0, MainThreads)
		otherABIs()
		spawn(Children, func(c int) []string { return []string{"-mode", "child", "-role", strconv.Itoa(c + 1)} })
		spawn(1, func(int) []string { return []string{"-mode", "execveat", "-role", strconv.Itoa(ExecveatRole)} })
		if err := exec.Command("/bin/true").Run(); err != nil {
			fail(fmt.Errorf("/bin/true: %w", err))
		}
		if *mode == "selfkill" {
			_ = unix.Kill(os.Getpid(), unix.SIGKILL)
			time.Sleep(time.Second)
		}
	}
}

// markers makes one marker call from each of n threads, each thread its
// own OS thread, all at once, with load calls around them.
func markers(role, n int) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for t := range n {
		wg.Go(func() {
			runtime.LockOSThread() // a thread of its own, never handed back
			<-start
			for i := range *load {
				// Calls the recorder has to answer, several of them
				// the same kind.
				unix.Syscall(unix.SYS_IOCTL, ^uintptr(0), uintptr(markerBase|0xfe00|i%2), 0)
			}
			_, _, e := unix.Syscall(unix.SYS_IOCTL, ^uintptr(0), uintptr(Marker(role, t)), 0)
			if e != unix.EBADF {
				fail(fmt.Errorf("marker ioctl: %v, want EBADF", e))
			}
		})
	}
	close(start)
	wg.Wait()
}

// spawn starts n copies of this program and waits for them.
func spawn(n int, args func(i int) []string) {
	var cmds []*exec.Cmd
	for i := range n {
		cmd := exec.Command("/proc/self/exe", append([]string{"-load", strconv.Itoa(*load)}, args(i)...)...)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Start(); err != nil {
			fail(err)
		}
		cmds = append(cmds, cmd)
	}
	for _, c := range cmds {
		if err := c.Wait(); err != nil {
			fail(err)
		}
	}
}

// cStrings is a NULL-terminated array of C strings, for execveat.
func cStrings(ss []string) []*byte {
	out := make([]*byte, 0, len(ss)+1)
	for _, s := range ss {
		p, err := unix.BytePtrFromString(s)
		if err != nil {
			fail(err)
		}
		out = append(out, p)
	}
	return append(out, nil)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "record-target:", err)
	os.Exit(3)
}
