package hooks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/oci-sbx/oci-sbx/convert/syscalls"
	"github.com/oci-sbx/oci-sbx/oci/notify"
)

// maxState bounds a runc state.json the agent reads.
const maxState = 1 << 20

// readTimeout bounds the wait for a peer's message.
const readTimeout = 10 * time.Second

// Event is one notified call, as the agent prints it: a JSON line.
type Event struct {
	Container string `json:"container"`
	// Pid is the calling process, in the agent's pid namespace.
	Pid     int      `json:"pid"`
	Arch    string   `json:"arch"`
	Syscall string   `json:"syscall"`
	Args    []string `json:"args"` // all six, in hex: exact, whatever a reader does with numbers
	// Call, Path and Addr are read from the task's memory while it waits,
	// and left out when the task is gone.
	Call string `json:"call,omitempty"`
	Path string `json:"path,omitempty"`
	Addr string `json:"addr,omitempty"`
	// Answer is the errno the call failed with ("EPERM"), or "none: the
	// task is gone" when it died before the answer.
	Answer string `json:"answer"`
}

// AnswerGone is the Answer of a call whose task died while it waited.
// (A call that a signal interrupted is not reported: the kernel abandons
// its notification, and the call comes again once the handler returns.)
const AnswerGone = "none: the task is gone"

// Agent is a seccomp agent for the OCI listenerPath: runc connects to its
// socket once per container process whose profile has notify rules and
// sends the runtime-spec ContainerProcessState with the notify descriptor.
// The agent answers every notification with the errno the profile gave the
// syscall (see ReportTo), never by letting the call run.
type Agent struct {
	// Events receives one JSON line per notification.
	Events io.Writer
	// Log, if set, receives a line when a container connects or ends and
	// when a peer sends something the agent cannot use.
	Log func(msg string)
	// RuntimeRoots are the state directories of runc (runc --root), where
	// the agent looks up which container a late stage belongs to; nil
	// means DefaultRuntimeRoots.
	RuntimeRoots []string

	mu sync.Mutex // serialises Events and Log
}

func (a *Agent) logf(format string, args ...any) {
	if a.Log != nil {
		msg := fmt.Sprintf(format, args...)
		a.mu.Lock()
		defer a.mu.Unlock()
		a.Log(msg)
	}
}

// DefaultRuntimeRoots is where runc keeps its containers' state when root
// runs it, directly or under Podman.
var DefaultRuntimeRoots = []string{"/run/runc", "/run/containerd/runc/k8s.io"}

// containerOf returns the id of the runc container whose init process is
// pid, from runc's state.json files, or "pid-N".
func (a *Agent) containerOf(pid int) string {
	roots := a.RuntimeRoots
	if roots == nil {
		roots = DefaultRuntimeRoots
	}
	for _, root := range roots {
		dirs, _ := os.ReadDir(root)
		for _, d := range dirs {
			f, err := os.Open(filepath.Join(root, d.Name(), "state.json"))
			if err != nil {
				continue
			}
			var st struct {
				ID             string `json:"id"`
				InitProcessPid int    `json:"init_process_pid"`
			}
			err = json.NewDecoder(io.LimitReader(f, maxState)).Decode(&st)
			f.Close()
			if err == nil && st.InitProcessPid == pid && st.ID != "" {
				return st.ID
			}
		}
	}
	return "pid-" + strconv.Itoa(pid)
}

// ListenAndServe creates the agent's socket at path (notify.ListenSocket:
// mode 0600, a stale socket replaced, a live agent's not) and serves it.
// A missing directory (the agents directory, DefaultAgents) is created
// with mode 0755: made by root, root's alone to write, as the hook and
// the NRI plugin require of it.
func (a *Agent) ListenAndServe(ctx context.Context, path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("listening on %q: %w", path, err)
	}
	l, err := notify.ListenSocket(path)
	if err != nil {
		return err
	}
	a.logf("listening on %s", path)
	return a.Serve(ctx, l)
}

// Serve accepts connections on l until ctx is done, and serves each
// container's notifications until the container ends. Then it closes l
// (which removes a socket ListenSocket created) and every listener descriptor it
// holds: the kernel fails the notify rules of containers still running
// with ENOSYS, so a call is denied even when no agent answers.
func (a *Agent) Serve(ctx context.Context, l *net.UnixListener) error {
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	cancel := context.AfterFunc(ctx, func() { l.Close() })
	defer cancel()

	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		conn, err := l.AcceptUnix()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, unix.EMFILE) || errors.Is(err, unix.ENFILE) {
				// Out of descriptors: wait for containers to end.
				a.logf("accepting: %v", err)
				time.Sleep(100 * time.Millisecond)
				continue
			}
			l.Close()
			stop()
			return fmt.Errorf("accepting on %q: %w", l.Addr(), err)
		}
		wg.Go(func() { a.serveConn(ctx, conn) })
	}
}

// serveConn takes one container's message and then serves its listener.
func (a *Agent) serveConn(ctx context.Context, conn *net.UnixConn) {
	// A peer that sends nothing must not hold up the agent's stop (the
	// deadline is set first, so that a stop already under way wins).
	_ = conn.SetReadDeadline(time.Now().Add(readTimeout))
	unblock := context.AfterFunc(ctx, func() { _ = conn.SetReadDeadline(time.Now()) })
	st, fd, err := notify.Receive(conn, a.containerOf)
	unblock()
	conn.Close()
	if err != nil {
		if !errors.Is(err, notify.ErrNoMessage) {
			a.logf("%v", err)
		}
		return
	}
	defer unix.Close(fd)
	meta, err := ParseMetadata(st.Metadata)
	if err != nil {
		meta = nil
		a.logf("container %s: %v; answering EPERM", st.State.ID, err)
	}
	from := ""
	if st.State.Annotations[notify.AnnotationHandover] == notify.HandoverLate {
		from = ", late stage"
	}
	a.logf("container %s (pid %d%s): serving its notifications", st.State.ID, st.Pid, from)
	n, err := a.serveListener(ctx, fd, st.State.ID, meta)
	if err != nil {
		a.logf("container %s: %v (after %d %s)", st.State.ID, err, n, calls(n))
		return
	}
	a.logf("container %s: ended (%d %s denied)", st.State.ID, n, calls(n))
}

// serveListener answers the notifications of one listener until no task
// uses its filter any more, or the agent stops. It returns how many calls
// it denied.
func (a *Agent) serveListener(ctx context.Context, fd int, id string, meta *Metadata) (int, error) {
	denied := 0
	err := notify.Serve(ctx, fd, func(n *notify.Notif) notify.Answer {
		ans, ev := a.answer(fd, n, id, meta)
		done := ans.Done
		ans.Done = func(err error) {
			done(err)
			if err == nil {
				denied++
			}
			if ev.Answer != "" {
				a.emit(*ev)
			}
		}
		return ans
	})
	return denied, err
}

// answer decides one call: always the profile's errno (meta.Errno), and
// the event to report, which is complete once the answer is sent (Done).
// The event has no Answer when a signal interrupted the call. Path and
// address arguments are read while the task waits in the call; the
// notification is checked afterwards, so that what was read belongs to
// that task and not to one that reused its pid.
func (a *Agent) answer(fd int, n *notify.Notif, id string, meta *Metadata) (notify.Answer, *Event) {
	name := n.Data.SyscallName()
	ev := &Event{
		Container: id,
		Pid:       notify.Tgid(int(n.Pid)),
		Arch:      n.Data.ArchName(),
		Syscall:   name,
		Args:      make([]string, len(n.Data.Args)),
	}
	for i, v := range n.Data.Args {
		ev.Args[i] = "0x" + strconv.FormatUint(v, 16)
	}
	call := notify.Describe(int(n.Pid), name, n.Data.Args[:])
	valid := notify.IDValid(fd, n.ID)
	e := meta.Errno(name)
	return notify.Answer{Errno: e, Done: func(err error) {
		switch {
		case err == nil:
			if valid {
				ev.Call, ev.Path, ev.Addr = call.Text, call.Path, call.Addr
			}
			ev.Answer = syscalls.ErrnoName(uint(e))
		case !errors.Is(err, unix.ENOENT):
			ev.Answer = "none: " + err.Error()
		case !taskAlive(int(n.Pid)):
			ev.Answer = AnswerGone
		}
	}}, ev
}

// taskAlive reports whether a thread still runs: it exists and is not a
// zombie.
func taskAlive(tid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(tid) + "/stat")
	if err != nil {
		return false
	}
	// The state follows the command name, which may hold anything but
	// ends with the last ')'.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 || i+2 >= len(stat) {
		return false
	}
	return stat[i+2] != 'Z' && stat[i+2] != 'X'
}

func (a *Agent) emit(ev Event) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(ev); err != nil {
		a.logf("encoding an event: %v", err)
		return
	}
	a.mu.Lock()
	_, err := a.Events.Write(b.Bytes())
	a.mu.Unlock()
	if err != nil {
		// Logged once the lock is free: logf takes it too.
		a.logf("writing an event: %v", err)
	}
}

// calls is "call" or "calls", as n says.
func calls(n int) string {
	if n == 1 {
		return "call"
	}
	return "calls"
}
