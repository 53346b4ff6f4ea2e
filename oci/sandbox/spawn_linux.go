//go:build linux && cgo && seccomp

package sandbox

/*
#cgo CFLAGS: -I${SRCDIR}/../cache
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "close_range.h" // shared with the launcher in oci/cache

// Where the child failed; reported with errno through the error pipe.
enum {
	SBX_SIGNALS = 1, SBX_STDIO, SBX_SETGROUPS, SBX_SETGID, SBX_SETUID, SBX_CHDIR,
	SBX_NNP, SBX_CLOEXEC, SBX_SECCOMP, SBX_EXEC,
};

struct sbx_spawn {
	const char *path;
	char *const *argv;
	char *const *envp;
	const char *dir;          // NULL: keep the working directory
	int fds[3];               // become 0, 1, 2
	int errfd;                // close-on-exec; EOF means execve succeeded
	int cred;                 // switch to uid, gid, groups
	uint32_t uid, gid;
	size_t ngroups;
	const gid_t *groups;
	int nnp;                  // set no_new_privs
	int max_fd;               // > 0: close_range cannot mark, mark 3..max_fd one by one
	unsigned int flags;       // SECCOMP_FILTER_FLAG_*; 0 loads with prctl, as runc does
	struct sock_fprog prog;   // len 0: no filter
	uint64_t mask;            // the signal mask for the program
};

static void sbx_fail(const struct sbx_spawn *s, int stage) {
	int32_t msg[2] = { stage, errno };
	syscall(SYS_write, s->errfd, msg, sizeof msg);
	syscall(SYS_exit_group, 127);
}

// sbx_child runs in a vfork child that shares the caller's memory: raw
// system calls only, on prepared data, until execve or exit.
static int sbx_child(void *arg) {
	const struct sbx_spawn *s = arg;
	long i;

	// Signals are blocked. Handlers of the parent's runtime must not run
	// here: reset every caught signal to its default before unblocking.
	// Ignored signals stay ignored, as across execve.
	for (i = 1; i < 65; i++) {
		uint64_t old[4] = {0}, dfl[4] = {0};
		if (i == SIGKILL || i == SIGSTOP)
			continue;
		if (syscall(SYS_rt_sigaction, i, NULL, old, 8) == 0 && old[0] != (uintptr_t)SIG_IGN)
			syscall(SYS_rt_sigaction, i, dfl, NULL, 8);
	}

	// Copies above 2 first, so that one target cannot overwrite another's
	// source; the copies are close-on-exec.
	int tmp[3];
	for (i = 0; i < 3; i++)
		if ((tmp[i] = syscall(SYS_fcntl, s->fds[i], F_DUPFD_CLOEXEC, 3)) < 0)
			sbx_fail(s, SBX_STDIO);
	for (i = 0; i < 3; i++)
		if (syscall(SYS_dup3, tmp[i], i, 0) < 0)
			sbx_fail(s, SBX_STDIO);

	if (s->cred) {
		if (syscall(SYS_setgroups, s->ngroups, s->groups) < 0)
			sbx_fail(s, SBX_SETGROUPS);
		if (syscall(SYS_setgid, s->gid) < 0)
			sbx_fail(s, SBX_SETGID);
		if (syscall(SYS_setuid, s->uid) < 0)
			sbx_fail(s, SBX_SETUID);
	}
	if (s->dir && syscall(SYS_chdir, s->dir) < 0)
		sbx_fail(s, SBX_CHDIR);
	if (s->nnp && syscall(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		sbx_fail(s, SBX_NNP);
	// Nothing but stdio reaches the program.
	if (s->max_fd > 0) {
		for (i = 3; i <= s->max_fd; i++)
			syscall(SYS_fcntl, i, F_SETFD, FD_CLOEXEC);
	} else if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
		sbx_fail(s, SBX_CLOEXEC);
	}
	if (syscall(SYS_rt_sigprocmask, SIG_SETMASK, &s->mask, NULL, 8) < 0)
		sbx_fail(s, SBX_SIGNALS);

	// From here on the filter decides: only execve, and on failure the
	// report and exit.
	if (s->prog.len > 0) {
		long r;
		if (s->flags == 0)
			r = syscall(SYS_prctl, PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &s->prog, 0, 0);
		else
			r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, s->flags, &s->prog);
		if (r < 0)
			sbx_fail(s, SBX_SECCOMP);
	}
	syscall(SYS_execve, s->path, s->argv, s->envp);
	sbx_fail(s, SBX_EXEC);
	return 127;
}

#define SBX_STACK (64 * 1024)

// sbx_spawn starts the child and returns its pid, or -errno. With
// CLONE_VFORK it returns once the child has called execve or exited.
static int sbx_spawn(struct sbx_spawn *s) {
	uint64_t all = ~(uint64_t)0, old;
	int pid, err;
	char *stack = mmap(NULL, SBX_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED)
		return -errno;
	// Raw, because libc keeps its own signals unblockable.
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, &old, 8);
	s->mask = old;
	pid = clone(sbx_child, stack + SBX_STACK, CLONE_VM | CLONE_VFORK | SIGCHLD, s);
	err = errno;
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, 8);
	munmap(stack, SBX_STACK);
	return pid < 0 ? -err : pid;
}
*/
import "C"

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"syscall"
	"unsafe"

	"github.com/oci-sbx/oci-sbx/oci/cache"
	"golang.org/x/sys/unix"
)

// The fast path starts the program without a second Go process: a vfork
// child, written in C so that no Go code runs in it, does what the init
// child does — credentials, working directory, no_new_privs, every
// descriptor above 2 close-on-exec — then loads the cached program with
// the system call and flags runc uses and calls execve. It is one thread,
// so the filter covers all of it.

var spawnStages = map[int32]string{
	C.SBX_SIGNALS:   "restoring the signal mask",
	C.SBX_STDIO:     "setting up standard input and output",
	C.SBX_SETGROUPS: "setting the supplementary groups",
	C.SBX_SETGID:    "setting the group",
	C.SBX_SETUID:    "setting the user",
	C.SBX_CHDIR:     "changing to the working directory",
	C.SBX_NNP:       "setting no_new_privs",
	C.SBX_CLOEXEC:   "marking inherited descriptors close-on-exec",
	C.SBX_SECCOMP:   "loading the seccomp filter",
	C.SBX_EXEC:      "executing",
}

// closeRangeCloexec reports whether close_range can mark descriptors
// close-on-exec (Linux 5.11).
var closeRangeCloexec = sync.OnceValue(func() bool {
	return unix.CloseRange(^uint(0)-1, ^uint(0), unix.CLOSE_RANGE_CLOEXEC) == nil
})

// runFast runs the program under p (nil: no filter) without the init
// child.
func runFast(ctx context.Context, c Config, path string, env []string, p *cache.Program) (*Result, error) {
	kmsg := openKmsg()
	defer kmsg.close()

	sio, err := newStdio(c)
	if err != nil {
		return nil, err
	}
	defer sio.closeParent()
	pid, err := spawn(c, path, env, p, sio.fds)
	sio.closeChild()
	if err != nil {
		sio.wait()
		return nil, err
	}
	// A pidfd, so that a cancellation never signals a reused pid. (Not
	// os.Process: its first use forks once more to probe for pidfd.)
	var (
		mu     sync.Mutex
		reaped bool
	)
	pidfd, err := unix.PidfdOpen(pid, 0) // the child is not reaped yet: pid is ours
	if err != nil {
		pidfd = -1 // before Linux 5.3
	}
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case pidfd >= 0:
			_ = unix.PidfdSendSignal(pidfd, unix.SIGTERM, nil, 0)
		case !reaped:
			_ = unix.Kill(pid, unix.SIGTERM)
		}
	})
	var ws unix.WaitStatus
	for {
		_, err = unix.Wait4(pid, &ws, 0, nil)
		if err != unix.EINTR && (err != nil || ws.Exited() || ws.Signaled()) {
			break
		}
	}
	stop()
	mu.Lock()
	reaped = true
	if pidfd >= 0 {
		unix.Close(pidfd)
		pidfd = -1
	}
	mu.Unlock()
	sio.wait()
	if err != nil {
		return nil, fmt.Errorf("waiting for %q: %w", path, err)
	}
	return result(pid, syscall.WaitStatus(ws), kmsg), nil
}

// result describes how the program ended.
func result(pid int, ws syscall.WaitStatus, k *kmsg) *Result {
	r := &Result{Pid: pid, ExitCode: ws.ExitStatus()}
	if ws.Signaled() {
		r.ExitCode, r.Signal = -1, ws.Signal()
		if r.Signal == unix.SIGSYS {
			r.SeccompKill = true
			r.Syscall = k.seccompKill(r.Pid)
		}
	}
	return r
}

// spawn starts path in a vfork child that loads p and execs.
func spawn(c Config, path string, env []string, p *cache.Program, fds [3]int) (int, error) {
	var pipe [2]int
	if err := unix.Pipe2(pipe[:], unix.O_CLOEXEC); err != nil {
		return 0, fmt.Errorf("starting %q: %w", path, err)
	}
	defer unix.Close(pipe[0])

	var s C.struct_sbx_spawn
	var free []unsafe.Pointer
	defer func() {
		for _, f := range free {
			C.free(f)
		}
	}()
	cstr := func(v string) *C.char {
		p := C.CString(v)
		free = append(free, unsafe.Pointer(p))
		return p
	}
	cvec := func(vs []string) **C.char {
		v := (*[1 << 28]*C.char)(C.calloc(C.size_t(len(vs)+1), C.size_t(unsafe.Sizeof((*C.char)(nil)))))
		free = append(free, unsafe.Pointer(v))
		for i, x := range vs {
			v[i] = cstr(x)
		}
		return &v[0]
	}
	s.path = cstr(path)
	s.argv = cvec(c.Args)
	s.envp = cvec(env)
	if c.Dir != "" {
		s.dir = cstr(c.Dir)
	}
	for i, fd := range fds {
		s.fds[i] = C.int(fd)
	}
	s.errfd = C.int(pipe[1])
	if u := c.Credential; u != nil {
		s.cred, s.uid, s.gid = 1, C.uint32_t(u.UID), C.uint32_t(u.GID)
		if n := len(u.Groups); n > 0 {
			g := (*[1 << 20]C.gid_t)(C.calloc(C.size_t(n), C.size_t(unsafe.Sizeof(C.gid_t(0)))))
			free = append(free, unsafe.Pointer(g))
			for i, id := range u.Groups {
				g[i] = C.gid_t(id)
			}
			s.groups, s.ngroups = &g[0], C.size_t(n)
		}
	}
	if c.NoNewPrivileges {
		s.nnp = 1
	}
	if !closeRangeCloexec() {
		s.max_fd = C.int(maxFd())
	}
	if p != nil {
		prog := C.CBytes(p.Raw)
		free = append(free, prog)
		s.prog.len = C.ushort(len(p.Raw) / unix.SizeofSockFilter)
		s.prog.filter = (*C.struct_sock_filter)(prog)
		s.flags = C.uint(p.Flags)
	}

	// Like os/exec: no descriptor may be half set up while a child forks.
	syscall.ForkLock.Lock()
	pid := int(C.sbx_spawn(&s))
	syscall.ForkLock.Unlock()
	unix.Close(pipe[1])
	if pid < 0 {
		return 0, fmt.Errorf("starting %q: %w", path, syscall.Errno(-pid))
	}

	var msg [8]byte
	n := 0
	for n < len(msg) {
		m, err := unix.Read(pipe[0], msg[n:])
		if err == unix.EINTR {
			continue
		}
		if m <= 0 {
			break
		}
		n += m
	}
	if n == 0 {
		return pid, nil // execve closed the pipe
	}
	var ws unix.WaitStatus
	for {
		if _, err := unix.Wait4(pid, &ws, 0, nil); err != unix.EINTR {
			break
		}
	}
	stage := int32(binary.NativeEndian.Uint32(msg[:4]))
	errno := syscall.Errno(binary.NativeEndian.Uint32(msg[4:]))
	switch {
	case n != len(msg):
		return 0, fmt.Errorf("starting %q: the child failed without saying why", path)
	case stage == C.SBX_SECCOMP && errno == unix.EACCES && !c.NoNewPrivileges:
		uid := os.Getuid()
		if c.Credential != nil {
			uid = int(c.Credential.UID)
		}
		return 0, fmt.Errorf("loading a seccomp filter without no_new_privs needs CAP_SYS_ADMIN, which uid %d lacks: set no_new_privs (noNewPrivileges)", uid)
	case stage == C.SBX_EXEC:
		return 0, &ExecError{Op: "executing", Path: path, Err: errno}
	}
	return 0, fmt.Errorf("starting %q: %s: %w", path, spawnStages[stage], errno)
}

// maxFd is the highest open descriptor, for kernels before close_range.
func maxFd() int {
	max := 2
	names, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return 1 << 16
	}
	for _, n := range names {
		if fd, err := strconv.Atoi(n.Name()); err == nil && fd > max {
			max = fd
		}
	}
	return max
}

// stdio gives the child descriptors for Config.Stdin, Stdout and Stderr
// as os/exec does: a file as it is, nil as the null device, anything else
// through a pipe that a goroutine copies.
type stdio struct {
	fds     [3]int
	child   []*os.File // the child's ends, closed once it started
	parent  []*os.File // the parent's ends, closed after the copies
	copies  sync.WaitGroup
	inWrite *os.File // closed when the program ends: stdin copying stops
}

func newStdio(c Config) (*stdio, error) {
	s := &stdio{}
	fail := func(err error) (*stdio, error) {
		s.closeChild()
		s.closeParent()
		return nil, fmt.Errorf("setting up standard input and output: %w", err)
	}
	// Stdin.
	switch r := c.Stdin.(type) {
	case nil:
		f, err := os.Open(os.DevNull)
		if err != nil {
			return fail(err)
		}
		s.child = append(s.child, f)
		s.fds[0] = int(f.Fd())
	case *os.File:
		s.fds[0] = int(r.Fd())
	default:
		pr, pw, err := os.Pipe()
		if err != nil {
			return fail(err)
		}
		s.child, s.inWrite = append(s.child, pr), pw
		s.fds[0] = int(pr.Fd())
		go func() {
			_, _ = io.Copy(pw, r) // the program may stop reading: not an error
			pw.Close()
		}()
	}
	// Stdout and stderr; one pipe when they are the same writer.
	var shared *os.File
	for i, w := range []io.Writer{c.Stdout, c.Stderr} {
		switch w := w.(type) {
		case nil:
			f, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
			if err != nil {
				return fail(err)
			}
			s.child = append(s.child, f)
			s.fds[1+i] = int(f.Fd())
		case *os.File:
			s.fds[1+i] = int(w.Fd())
		default:
			if i == 1 && shared != nil && sameWriter(c.Stdout, c.Stderr) {
				s.fds[2] = int(shared.Fd())
				continue
			}
			pr, pw, err := os.Pipe()
			if err != nil {
				return fail(err)
			}
			s.child, s.parent = append(s.child, pw), append(s.parent, pr)
			s.fds[1+i], shared = int(pw.Fd()), pw
			// As before with os/exec, a failing writer does not
			// change how the program ended.
			s.copies.Go(func() { _, _ = io.Copy(w, pr) })
		}
	}
	return s, nil
}

func sameWriter(a, b io.Writer) (same bool) {
	defer func() { _ = recover() }() // an incomparable writer is never the same
	return a == b
}

// closeChild closes the child's ends in the parent.
func (s *stdio) closeChild() {
	for _, f := range s.child {
		f.Close()
	}
	s.child = nil
}

// wait waits for the output copies; stdin copying is cut off.
func (s *stdio) wait() {
	if s.inWrite != nil {
		s.inWrite.Close()
	}
	s.copies.Wait()
}

func (s *stdio) closeParent() {
	for _, f := range s.parent {
		f.Close()
	}
	s.parent = nil
}
