package record

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/oci-sbx/oci-sbx/convert/rules"
	"github.com/oci-sbx/oci-sbx/convert/syscalls"
	"github.com/oci-sbx/oci-sbx/oci/notify"
	"github.com/oci-sbx/oci-sbx/oci/reexec"
)

// Config describes one recorded run.
type Config struct {
	// Args is the command; Args[0] is looked up in the PATH of Env.
	Args []string
	// Env is the program's environment; nil means the caller's.
	Env []string
	// Dir is the working directory; empty means the caller's.
	Dir string
	// Stdin, Stdout and Stderr are the program's; nil means /dev/null.
	// Anything but an *os.File goes through a pipe.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Base is what runs unrecorded; nil records every call.
	Base *Base
	// Check, if set, receives each call Base does not allow, once per
	// kind of call, as it happens (record --check).
	Check func(Call, string)
	// Deny, if set, makes the run enforce Base instead of observing it:
	// every call Base does not allow fails with Base's errno (EPERM where
	// Base would kill or trap, which a listener cannot do) without
	// running, and Deny receives each one, as it happens (record
	// --verify). Nothing is recorded then.
	Deny func(Denial)
	// NoNewPrivileges sets no_new_privs even when the caller could load
	// the filter without it (as root). Without CAP_SYS_ADMIN it is
	// always set.
	NoNewPrivileges bool
	// Mode is how calls are observed: ModeNotify (the default) or
	// ModeEBPF; ModeAuto takes eBPF where it loads (root, BTF, cgroup2)
	// when there is no base, and notify otherwise.
	Mode Mode
	// Linger is how long the recorder keeps answering descendants that
	// outlive the program before it lets go of them (default 100ms).
	Linger time.Duration
}

// Denial is a call a run under Config.Deny was refused.
type Denial struct {
	Call Call
	// Text is the call with all its arguments, as strace prints it.
	Text string
	Exe  string
	Pid  int // the process (thread group) that made it
	// Errno is what the call returned.
	Errno unix.Errno
}

func (d Denial) String() string {
	arch := ""
	if d.Call.Arch != syscalls.NativeArch() {
		arch = " on " + d.Call.Arch
	}
	return fmt.Sprintf("%s%s = %s by pid %d %s", d.Text, arch, unix.ErrnoName(d.Errno), d.Pid, d.Exe)
}

// Mode is how a recording observes calls.
type Mode string

const (
	ModeAuto   Mode = "auto"
	ModeNotify Mode = "notify"
	ModeEBPF   Mode = "ebpf"
)

// Process is a descendant still running when the program exited.
type Process struct {
	Pid  int
	Comm string
	Exe  string
}

func (p Process) String() string {
	return fmt.Sprintf("pid %d (%s) %s", p.Pid, p.Comm, p.Exe)
}

// Result is how a recorded run ended and what it did.
type Result struct {
	// ExitCode is the program's exit status, or -1 when a signal ended it.
	ExitCode int
	Signal   syscall.Signal
	// Recording holds the calls the base did not allow.
	Recording *Recording
	// Leftovers are the descendants that were still running when the
	// program exited; their calls after that are not recorded.
	Leftovers []Process
	// Notifications counts the calls the recorder answered.
	Notifications uint64
	// Unprivileged lists the set-user-ID, set-group-ID or file-capability
	// executables the program ran while the recorder had set
	// no_new_privs: they ran without the privileges they would have had,
	// so the recording covers that path, not the privileged one.
	Unprivileged []string
	// Setup is the time spent before the program started: the init
	// child, its filter and the handshake, or loading the eBPF programs.
	// Elapsed is the program's own time, from then until it exited; what
	// came after (descendants, collecting, detaching) is neither.
	Setup, Elapsed time.Duration
	// CPU is the program's CPU time (user and system, with the
	// descendants it waited for): unlike Elapsed it hardly moves when
	// other work shares the machine, and it holds what an eBPF program
	// costs each call; what the recorder itself spends is not in it.
	CPU time.Duration
}

// Status is the exit status a shell would report.
func (r *Result) Status() int {
	if r.Signal != 0 {
		return 128 + int(r.Signal)
	}
	return r.ExitCode
}

// ErrNoListener is returned when the init child loaded no filter the
// recorder could take over.
var ErrNoListener = errors.New("the recording filter's listener never appeared")

// Run runs c.Args with the recording filter and waits for it. An error
// means the program could not be recorded; how it ended is in the Result.
//
// Run makes the calling process a child subreaper, so that descendants
// the program leaves behind become its children: it reaps the ones that
// exit and names the ones still running. Call it from a process that runs
// no other children meanwhile, such as the oci-sbx command.
func Run(ctx context.Context, c Config) (*Result, error) {
	began := time.Now()
	base := c.Base
	if base == nil {
		base, _ = NewBase(nil)
	}
	path, env, err := reexec.Resolve(c.Args, c.Env, c.Dir)
	if err != nil {
		return nil, err
	}
	switch c.Mode {
	case ModeEBPF:
		if c.Deny != nil {
			return nil, errors.New("an enforcing run needs notify: eBPF only observes")
		}
		return runEBPF(ctx, c, base, path, env, began)
	case ModeAuto:
		// With a base, notify is the faster: the kernel answers what the
		// base allows, and only new calls cost a round trip, while the
		// tracepoint costs every call something.
		if c.Check == nil && c.Deny == nil && c.Base == nil && os.Geteuid() == 0 {
			res, err := runEBPF(ctx, c, base, path, env, began)
			if !errors.Is(err, ErrEBPFUnsupported) {
				return res, err
			}
		}
	case "", ModeNotify:
	default:
		return nil, fmt.Errorf("unknown recording mode %q (want auto, notify or ebpf)", c.Mode)
	}
	if err := checkProc(); err != nil {
		return nil, err
	}
	prog, err := Program(base)
	if err != nil {
		return nil, err
	}
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("finding oci-sbx itself: %w", err)
	}
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return nil, fmt.Errorf("becoming a child subreaper: %w", err)
	}

	pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("creating the init socket: %w", err)
	}
	sock := os.NewFile(uintptr(pair[0]), "record-init")
	childSock := os.NewFile(uintptr(pair[1]), "record-init-child")
	defer sock.Close()

	files, closeFiles, err := stdio(c.Stdin, c.Stdout, c.Stderr)
	if err != nil {
		childSock.Close()
		return nil, err
	}
	defer closeFiles()
	files = append(files, childSock)
	proc, err := os.StartProcess(self, []string{initArg0}, &os.ProcAttr{
		Dir:   c.Dir,
		Env:   []string{initEnv + "=" + strconv.Itoa(initFd)},
		Files: files,
	})
	childSock.Close()
	for _, f := range files[:3] {
		f.Close() // the child has them; a pipe's other end sees EOF with the child's
	}
	if err != nil {
		return nil, fmt.Errorf("starting the recorder's init: %w", err)
	}
	pid := proc.Pid
	kill := func() { _ = unix.Kill(pid, unix.SIGKILL) }

	ic := initConfig{Program: prog, NoNewPrivileges: c.NoNewPrivileges, Path: path, Args: c.Args, Env: env}
	msg, err := json.Marshal(ic)
	if err == nil {
		_, err = sock.Write(append(msg, '\n'))
	}
	if err != nil {
		kill()
		_, _, _ = waitPid(pid)
		return nil, fmt.Errorf("sending the init config: %w", err)
	}

	lines := make(chan string, 4)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(sock)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	listener, err := takeListener(pid, lines)
	if err != nil {
		kill()
		_, _, _ = waitPid(pid)
		return nil, err
	}

	// The set-up ends with the handshake answered, here rather than on
	// the serving goroutine: the program starts with the execve that
	// follows it.
	answered, tid, err := awaitHandshake(listener, pid)
	if err != nil {
		kill()
		_, _, _ = waitPid(pid)
		unix.Close(listener)
		for line := range drain(lines) {
			if s, ok := strings.CutPrefix(line, msgError); ok {
				return nil, errors.New(s)
			}
		}
		return nil, err
	}
	setup := time.Since(began)
	rec := &recorder{
		fd: listener, base: base, rec: NewRecording(), check: c.Check, deny: c.Deny, child: tid, self: selfPath(self),
		exes: map[uint32]string{}, cacheExes: !base.allowsAny(exeChanging),
	}
	rec.count.Add(answered)
	if c.NoNewPrivileges || !reexec.HasCapSysAdmin() {
		// The init child set no_new_privs (initMain's rule).
		rec.setid = map[string]bool{}
	}
	rec.ctx, rec.stop = context.WithCancel(context.Background())
	defer rec.stop()
	var served sync.WaitGroup
	served.Go(rec.serve)

	stop := context.AfterFunc(ctx, func() { _ = unix.Kill(pid, unix.SIGTERM) })
	ws, cpu, werr := waitPid(pid)
	stop()
	elapsed := time.Since(began) - setup

	var initErr error
	for line := range drain(lines) {
		if s, ok := strings.CutPrefix(line, msgError); ok {
			initErr = errors.New(s)
		}
	}

	// The program is gone; its descendants may not be.
	res := &Result{Recording: rec.rec, Setup: setup, Elapsed: elapsed, CPU: cpu}
	linger := c.Linger
	if linger == 0 {
		linger = 100 * time.Millisecond
	}
	res.Leftovers = settle(rec, linger)
	rec.stop()
	served.Wait()
	unix.Close(listener)
	res.Notifications = rec.count.Load()
	for e, yes := range rec.setid {
		if yes {
			res.Unprivileged = append(res.Unprivileged, e)
		}
	}
	sort.Strings(res.Unprivileged)
	if rec.err != nil {
		return nil, rec.err
	}
	if werr != nil {
		return nil, fmt.Errorf("waiting for %q: %w", path, werr)
	}
	if initErr != nil {
		return nil, initErr
	}
	if ws.Signaled() {
		res.ExitCode, res.Signal = -1, ws.Signal()
	} else {
		res.ExitCode = ws.ExitStatus()
	}
	return res, nil
}

// checkProc makes sure /proc is this process's pid namespace's: the
// kernel names a notified caller by its pid in the listener's reader's
// namespace, and the recorder reads who called from /proc/PID. A /proc of
// another namespace (unshare --pid without --mount-proc) would name
// another process, or none.
func checkProc() error {
	self, err := os.Readlink("/proc/self")
	if err != nil {
		return fmt.Errorf("reading /proc/self: %w", err)
	}
	if self != strconv.Itoa(os.Getpid()) {
		return fmt.Errorf("/proc is another pid namespace's (it calls this process %s, not %d), so callers could not be named: mount /proc for this namespace (unshare --pid --fork --mount-proc)", self, os.Getpid())
	}
	return nil
}

// drain returns what is left on a channel once its sender is done.
func drain(ch <-chan string) <-chan string {
	out := make(chan string, 8)
	go func() {
		defer close(out)
		timeout := time.After(time.Second)
		for {
			select {
			case l, ok := <-ch:
				if !ok {
					return
				}
				out <- l
			case <-timeout:
				return
			}
		}
	}()
	return out
}

// takeListener copies the init child's listener into this process once
// the child has loaded its filter.
func takeListener(pid int, lines <-chan string) (int, error) {
	var want int
	select {
	case line, ok := <-lines:
		if !ok {
			return -1, fmt.Errorf("starting the recorder's init: %w", io.ErrUnexpectedEOF)
		}
		if s, ok := strings.CutPrefix(line, msgError); ok {
			return -1, errors.New(s)
		}
		n, err := strconv.Atoi(strings.TrimPrefix(line, msgListener))
		if err != nil || !strings.HasPrefix(line, msgListener) {
			return -1, fmt.Errorf("the recorder's init sent %q", line)
		}
		want = n
	case <-time.After(30 * time.Second):
		return -1, fmt.Errorf("starting the recorder's init: no answer in 30s")
	}
	deadline := time.Now().Add(10 * time.Second)
	for wait := 10 * time.Microsecond; ; wait = min(2*wait, time.Millisecond) {
		fd, err := notify.CopyListener(pid, want)
		if err == nil {
			return fd, nil
		}
		if !errors.Is(err, unix.EBADF) && !errors.Is(err, notify.ErrNotListener) {
			return -1, fmt.Errorf("taking the listener from the init child: %w", err)
		}
		select {
		case line, ok := <-lines:
			if s, isErr := strings.CutPrefix(line, msgError); ok && isErr {
				return -1, errors.New(s)
			}
			if !ok {
				return -1, fmt.Errorf("%w: the init child ended", ErrNoListener)
			}
		default:
		}
		if time.Now().After(deadline) {
			return -1, fmt.Errorf("%w within 10s", ErrNoListener)
		}
		time.Sleep(wait)
	}
}

// awaitHandshake answers the init child's calls until its handshake, the
// call it makes once the recorder holds the listener; until then its calls
// are oci-sbx's own (a signal's return, say) and run. It returns how many
// it answered and the thread that made the handshake.
func awaitHandshake(fd, child int) (uint64, int32, error) {
	var answered uint64
	deadline := time.Now().Add(30 * time.Second)
	for {
		pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(pfd, 100)
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			return answered, 0, fmt.Errorf("waiting for the init child's handshake: %w", err)
		case n == 0 && time.Now().After(deadline):
			return answered, 0, fmt.Errorf("starting the recorder's init: no handshake in 30s")
		case n == 0:
			continue
		case pfd[0].Revents&unix.POLLIN == 0:
			// POLLHUP: no task holds the filter any more.
			return answered, 0, fmt.Errorf("starting the recorder's init: it ended before its handshake")
		}
		nf, err := notify.Recv(fd)
		if errors.Is(err, unix.ENOENT) {
			continue
		}
		if err != nil {
			return answered, 0, fmt.Errorf("waiting for the init child's handshake: %w", err)
		}
		answered++
		done := handshakeFrom(nf, int32(child))
		if err := notify.Respond(fd, nf.ID, notify.Answer{Continue: true}); err != nil && !errors.Is(err, unix.ENOENT) {
			return answered, 0, fmt.Errorf("answering the init child's handshake: %w", err)
		}
		if done {
			return answered, int32(nf.Pid), nil
		}
	}
}

// handshakeFrom reports whether a notification is the init child's
// handshake. The filter is on one thread of the init child, which Go's
// scheduler may have placed on a thread other than its first: the
// notification names that thread, whose thread group is the child. From
// the handshake to its execve, that thread is the child.
func handshakeFrom(n *notify.Notif, child int32) bool {
	return uint32(n.Data.Nr) == handshakeNr && (int32(n.Pid) == child || int32(notify.Tgid(int(n.Pid))) == child)
}

// waitPid waits for one child without touching the others; cpu is the
// child's CPU time, its descendants' that it waited for included.
func waitPid(pid int) (ws unix.WaitStatus, cpu time.Duration, err error) {
	var ru unix.Rusage
	for {
		_, err = unix.Wait4(pid, &ws, 0, &ru)
		if err == unix.EINTR {
			continue
		}
		return ws, time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), err
	}
}

// settle reaps the descendants that exited and were left to this process,
// keeps answering the rest for linger after the last call, and names the
// ones still running then.
func settle(r *recorder, linger time.Duration) []Process {
	deadline := time.Now().Add(linger)
	for {
		reapZombies()
		if r.hup.Load() {
			return nil // no task holds the filter any more
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	var out []Process
	for _, pid := range descendants(os.Getpid()) {
		p := Process{Pid: pid}
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid)); err == nil {
			p.Comm = strings.TrimSpace(string(b))
		}
		p.Exe, _ = os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
		if state(pid) != 'Z' {
			out = append(out, p)
		}
	}
	return out
}

// reapZombies collects the exit status of children that have ended; as a
// subreaper this process inherits the program's orphans.
func reapZombies() {
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
	}
}

func state(pid int) byte {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 || i+2 >= len(b) {
		return 0
	}
	return b[i+2]
}

// descendants lists every process below pid, from the kernel's children
// lists.
func descendants(pid int) []int {
	var out []int
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", p))
		for _, t := range tasks {
			b, err := os.ReadFile(t)
			if err != nil {
				continue
			}
			for f := range strings.FieldsSeq(string(b)) {
				if c, err := strconv.Atoi(f); err == nil {
					out = append(out, c)
					queue = append(queue, c)
				}
			}
		}
	}
	sort.Ints(out)
	return out
}

// recorder answers the notifications of one listener.
type recorder struct {
	fd    int
	base  *Base
	rec   *Recording
	check func(Call, string)
	deny  func(Denial)
	child int32  // the init child (its thread with the filter, from the handshake), until it execs the program
	self  string // oci-sbx's own executable, as /proc/PID/exe names it

	// runtime names the comm of the container runtime's init process
	// (runc's "runc:[2:INIT]") while no call of anyone else was seen;
	// ran is set at the first call of a process that is not the runtime.
	runtime string
	ran     atomic.Bool
	// setid, when the recorder set no_new_privs, notes of each executable
	// whether it is set-ID or has file capabilities (see
	// Result.Unprivileged); nil otherwise.
	setid     map[string]bool
	exes      map[uint32]string
	cacheExes bool
	// execing holds, for the first thread of a process another of whose
	// threads called exec, the executable before it (see execFrom).
	execing map[uint32]string
	checked map[Call]bool

	ctx   context.Context // done when stop is called
	stop  context.CancelFunc
	hup   atomic.Bool
	count atomic.Uint64
	err   error
}

// exeChanging are the calls after which a thread id may name another
// executable: an exec replaces the image (and, from a thread other than
// the first, takes over the first thread's id); a new task may get the
// id of one that died without a call of its own (a thread ended by a
// sibling's exit_group, a process killed by a signal) — with a pid_max of
// 32768 ids come round within a long run.
var exeChanging = []string{"execve", "execveat", "clone", "clone3", "fork", "vfork"}

// allowsAny reports whether the base lets any of the named calls run
// unseen on some architecture: then an executable can change, or a thread
// id be reused, without the recorder noticing, and it cannot cache who
// called.
func (b *Base) allowsAny(names []string) bool {
	for arch := range b.arches {
		for _, name := range names {
			if nr, ok := syscalls.SyscallNumber(arch, name); ok {
				if v, _, _ := b.classify(arch, uint32(nr)); v != never {
					return true
				}
			}
		}
	}
	return false
}

// allowsExit reports whether the base lets exit or exit_group run
// unseen on the machine's architecture: then a program can run and end
// without one notification.
func (b *Base) allowsExit() bool {
	if b == nil {
		return false
	}
	arch := syscalls.NativeArch()
	for _, name := range []string{"exit", "exit_group"} {
		if nr, ok := syscalls.SyscallNumber(arch, name); ok {
			if v, _, _ := b.classify(arch, uint32(nr)); v != never {
				return true
			}
		}
	}
	return false
}

// serve answers the notifications of the recording filter with notify's
// one loop: every call runs (continue), after it is noted. It ends when no
// task holds the filter any more (hup) or when stop is called.
func (r *recorder) serve() {
	err := notify.Serve(r.ctx, r.fd, func(n *notify.Notif) notify.Answer {
		r.count.Add(1)
		a := r.handle(n)
		a.Done = func(err error) {
			// ENOENT: the caller died meanwhile (a fatal signal), the
			// normal end of that notification.
			if err != nil && !errors.Is(err, unix.ENOENT) && r.err == nil {
				r.err = fmt.Errorf("answering a notification: %w", err)
				r.stop()
			}
		}
		return a
	})
	if err != nil && r.err == nil {
		r.err = fmt.Errorf("receiving notifications: %w", err)
	}
	if r.ctx.Err() == nil {
		r.hup.Store(true)
	}
}

// handle notes a notified call and says how to answer it: let it run,
// or, under Deny, refuse what the base does not allow.
func (r *recorder) handle(n *notify.Notif) notify.Answer {
	cont := notify.Answer{Continue: true}
	nr := uint32(n.Data.Nr)
	arch, ok := notify.ArchOf(n.Data.Arch, nr)
	if !ok {
		arch = fmt.Sprintf("audit-%#x", n.Data.Arch)
	}
	name := ""
	if ok {
		name = Call{Arch: arch, Nr: nr}.Name()
	}
	exec := name == "execve" || name == "execveat"
	act := r.base.Action(arch, nr, n.Data.Args)
	if lets(act) {
		return cont
	}
	exe := r.exe(n)
	if r.runtime != "" && !r.ran.Load() {
		// The comm is read while the caller waits, and trusted only if
		// the notification is still valid (the pid was not reused).
		comm, err := os.ReadFile("/proc/" + strconv.FormatUint(uint64(n.Pid), 10) + "/comm")
		if err == nil && notify.IDValid(r.fd, n.ID) {
			if strings.TrimSpace(string(comm)) != r.runtime {
				r.ran.Store(true)
			} else {
				// runc's init runs from a copy of runc that /proc/PID/exe
				// names, from the container's root, "/": say whose it is.
				exe = r.runtime
			}
		}
	}
	if r.child != 0 {
		// Between the handshake and its execve the init child is still
		// oci-sbx, and makes no call but the return from a signal
		// handler (a preemption signal's rt_sigreturn). Any other call —
		// its execve, the program's first where the base lets execve
		// run unseen (the program may be oci-sbx too), or a call of
		// another task, which only the program can have started — means
		// the program runs.
		if int32(n.Pid) == r.child && name == "rt_sigreturn" && r.self != "" && exe == r.self {
			return cont
		}
		r.child = 0
	}
	c := Call{Arch: arch, Nr: nr}
	for i, s := range chosenArgs[name] {
		c.Values[i] = n.Data.Args[s.index] & s.mask
	}
	if r.deny != nil {
		return r.refuse(n, c, name, act, exe)
	}
	if r.check != nil {
		if r.checked == nil {
			r.checked = map[Call]bool{}
		}
		if !r.checked[c] {
			r.checked[c] = true
			r.check(c, exe)
		}
	}
	r.rec.Add(arch, nr, n.Data.Args, exe)
	switch {
	case slices.Contains(exeChanging, name):
		// The caller's executable changes once an exec runs, and a task
		// a clone creates may reuse the id of one that died unseen.
		clear(r.exes)
		if exec && r.cacheExes {
			r.execFrom(n.Pid, exe)
		}
	case name == "exit" || name == "exit_group":
		delete(r.exes, n.Pid)
		delete(r.execing, n.Pid)
	}
	return cont
}

// refuse answers a call the base does not allow as the base would, with
// its errno, and names it with all its arguments, read while the caller
// waits: a listener cannot kill or trap, so those actions answer EPERM,
// which fails the run all the same.
func (r *recorder) refuse(n *notify.Notif, c Call, name string, act rules.Action, exe string) notify.Answer {
	e := unix.EPERM
	if act.Kind == rules.Errno && act.Ret != 0 {
		e = unix.Errno(act.Ret)
	}
	if name == "" {
		name = fmt.Sprintf("syscall_%d", c.Nr)
	}
	text := notify.FormatCall(int(n.Pid), name, n.Data.Args[:])
	if notify.IDValid(r.fd, n.ID) {
		r.deny(Denial{Call: c, Text: text, Exe: exe, Pid: notify.Tgid(int(n.Pid)), Errno: e})
	}
	return notify.Answer{Errno: e}
}

// execFrom notes an exec by thread tid, of a process running old. From a
// thread other than the first, the new image takes over the first
// thread's id once the old image's other threads are gone; until then
// that id still makes the old image's calls, so it is not cached until
// it names another executable, or exits.
func (r *recorder) execFrom(tid uint32, old string) {
	first := notify.Tgid(int(tid))
	if first == int(tid) || first <= 0 {
		return
	}
	if r.execing == nil {
		r.execing = map[uint32]string{}
	}
	if len(r.execing) > 1<<14 {
		// Programs that leave execs unfinished by the thousand: read
		// every caller's executable from now on.
		r.cacheExes = false
		return
	}
	r.execing[uint32(first)] = old
}

// exe names the executable of a notified caller.
func (r *recorder) exe(n *notify.Notif) string {
	if r.cacheExes {
		if e, ok := r.exes[n.Pid]; ok {
			return e
		}
	}
	link := "/proc/" + strconv.FormatUint(uint64(n.Pid), 10) + "/exe"
	e, err := os.Readlink(link)
	if err != nil || !notify.IDValid(r.fd, n.ID) {
		return "?"
	}
	if _, known := r.setid[e]; r.setid != nil && !known {
		r.setid[e] = privileged(link)
	}
	if old, ok := r.execing[n.Pid]; ok {
		if e == old {
			return e // the old image's first thread, or an exec of the same file
		}
		delete(r.execing, n.Pid)
	}
	if r.cacheExes {
		if len(r.exes) > 1<<14 {
			clear(r.exes)
		}
		r.exes[n.Pid] = e
	}
	return e
}

// privileged reports whether the executable at path (a /proc/PID/exe
// link, followed to the file itself) would raise privileges at execve:
// set-user-ID, set-group-ID or file capabilities (security.capability).
// no_new_privs keeps all three from taking effect.
// A set-ID bit naming the user or group the recorder already runs as
// changes nothing.
func privileged(path string) bool {
	var st unix.Stat_t
	if unix.Stat(path, &st) != nil {
		return false
	}
	if st.Mode&unix.S_ISUID != 0 && int(st.Uid) != os.Geteuid() || st.Mode&unix.S_ISGID != 0 && int(st.Gid) != os.Getegid() {
		return true
	}
	n, err := unix.Getxattr(path, "security.capability", nil)
	return err == nil && n > 0
}

// stdio returns the program's standard descriptors as files: a file as
// it is (duplicated), anything else through a pipe copied by a goroutine,
// nil as /dev/null. The caller closes the returned files once the child
// has started; wait waits, for a bounded time, until the output is copied
// (a descendant left running may hold a pipe open).
func stdio(in io.Reader, out, errw io.Writer) (files []*os.File, wait func(), err error) {
	var copies sync.WaitGroup
	dup := func(f *os.File) (*os.File, error) {
		fd, err := unix.FcntlInt(f.Fd(), unix.F_DUPFD_CLOEXEC, 0)
		if err != nil {
			return nil, err
		}
		return os.NewFile(uintptr(fd), f.Name()), nil
	}
	add := func(f *os.File, err error) error {
		if err != nil {
			for _, f := range files {
				f.Close()
			}
			return fmt.Errorf("setting up the program's standard descriptors: %w", err)
		}
		files = append(files, f)
		return nil
	}
	switch x := in.(type) {
	case nil:
		err = add(os.Open(os.DevNull))
	case *os.File:
		err = add(dup(x))
	default:
		r, w, perr := os.Pipe()
		if perr == nil {
			go func() { _, _ = io.Copy(w, x); w.Close() }()
		}
		err = add(r, perr)
	}
	if err != nil {
		return nil, nil, err
	}
	for _, o := range []io.Writer{out, errw} {
		switch x := o.(type) {
		case nil:
			err = add(os.OpenFile(os.DevNull, os.O_WRONLY, 0))
		case *os.File:
			err = add(dup(x))
		default:
			r, w, perr := os.Pipe()
			if perr == nil {
				copies.Go(func() { _, _ = io.Copy(x, r); r.Close() })
			}
			err = add(w, perr)
		}
		if err != nil {
			return nil, nil, err
		}
	}
	wait = func() {
		done := make(chan struct{})
		go func() { copies.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(time.Second):
		}
	}
	return files, wait, nil
}

// selfPath is an executable's path as /proc/PID/exe shows it.
func selfPath(p string) string {
	if r, err := filepath.EvalSymlinks(p); err == nil {
		return r
	}
	return p
}
