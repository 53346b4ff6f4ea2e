package notify

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Limits on what Receive accepts from a peer: runc sends one message of a
// few hundred bytes plus the container's annotations, with one
// descriptor, right after connecting.
const (
	maxMessage = 1 << 20
	maxFds     = 16
)

// ListenSocket creates the unix socket a profile's listenerPath names,
// readable and writable by its owner only. A socket left behind by a
// server that crashed is replaced; a live server's is not, and neither is
// anything that is not a socket.
func ListenSocket(path string) (*net.UnixListener, error) {
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode().Type() != os.ModeSocket {
			return nil, fmt.Errorf("listening on %q: it exists and is not a socket", path)
		}
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("listening on %q: another agent is listening there", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("removing the stale socket %q: %w", path, err)
		}
	}
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("listening on %q: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		l.Close()
		return nil, fmt.Errorf("listening on %q: %w", path, err)
	}
	return l, nil
}

// ErrNoMessage is returned by Receive for a peer that closed the
// connection without sending anything.
var ErrNoMessage = errors.New("connection closed without a message")

// Receive reads what a runtime sends to a listenerPath — a
// ContainerProcessState and its descriptors — and returns the state and
// the seccomp listener among the descriptors; the others are closed. The
// listener of oci-sbx's late stage is taken from the peer instead (see
// LateHandover): its state's Pid is the peer's, and its ID is what
// containerOf says of that pid (nil: "pid-N"). The caller sets the
// connection's deadline.
func Receive(conn *net.UnixConn, containerOf func(pid int) string) (_ *specs.ContainerProcessState, _ int, err error) {
	buf := make([]byte, 64<<10)
	oob := make([]byte, unix.CmsgSpace(maxFds*4))
	// The descriptors travel with the first bytes.
	n, oobn, flags, _, rerr := conn.ReadMsgUnix(buf, oob)
	fds, ferr := parseRights(oob[:oobn])
	keep := -1
	defer func() {
		for i, fd := range fds {
			if i != keep {
				unix.Close(fd)
			}
		}
	}()
	switch {
	case n == 0 && len(fds) == 0 && (rerr == nil || errors.Is(rerr, io.EOF)):
		return nil, -1, ErrNoMessage
	case rerr != nil:
		return nil, -1, fmt.Errorf("receiving a message: %w", rerr)
	case ferr != nil:
		return nil, -1, fmt.Errorf("receiving a message: %w", ferr)
	case flags&unix.MSG_CTRUNC != 0:
		return nil, -1, fmt.Errorf("receiving a message: more than %d descriptors", maxFds)
	}

	// runc sends the whole state with one sendmsg, but a stream may
	// deliver it in parts; decode exactly one JSON value, since runc 1.1
	// keeps the connection open until it exits.
	var st specs.ContainerProcessState
	dec := json.NewDecoder(io.LimitReader(io.MultiReader(bytes.NewReader(buf[:n]), conn), maxMessage))
	if err := dec.Decode(&st); err != nil {
		return nil, -1, fmt.Errorf("decoding the container process state: %w", err)
	}
	if st.State.Annotations[AnnotationHandover] == HandoverLate && len(fds) == 0 {
		if containerOf == nil {
			containerOf = func(pid int) string { return "pid-" + strconv.Itoa(pid) }
		}
		return takeLate(conn, dec, &st, containerOf)
	}
	name := st.State.ID
	if name == "" {
		name = "(no id)"
	}
	i := slices.Index(st.Fds, specs.SeccompFdName)
	switch {
	case i < 0:
		return nil, -1, fmt.Errorf("container %s: the state lists no %q among its fds %q", name, specs.SeccompFdName, st.Fds)
	case len(fds) != len(st.Fds):
		listed := fmt.Sprintf("%d descriptors", len(st.Fds))
		if len(st.Fds) == 1 {
			listed = "1 descriptor"
		}
		return nil, -1, fmt.Errorf("container %s: the state lists %s, the message carried %d", name, listed, len(fds))
	}
	if err := CheckListener(fds[i]); err != nil {
		return nil, -1, fmt.Errorf("container %s: %w", name, err)
	}
	unix.CloseOnExec(fds[i])
	keep = i
	return &st, fds[i], nil
}

// takeLate is the receiving side of LateHandover: the peer names its
// listener's number once it has loaded the filter, and it is copied with
// pidfd_getfd from the peer (the process that connected, as the kernel
// says, not as the message claims); the answer is one byte, after which
// the late stage execs the container's process.
func takeLate(conn *net.UnixConn, dec *json.Decoder, st *specs.ContainerProcessState, containerOf func(int) string) (*specs.ContainerProcessState, int, error) {
	pid, err := peerPid(conn)
	if err != nil {
		return nil, -1, fmt.Errorf("late stage: %w", err)
	}
	st.State.ID, st.Pid = containerOf(pid), pid
	name := st.State.ID
	r := bufio.NewReader(io.LimitReader(io.MultiReader(dec.Buffered(), conn), 32))
	line, err := r.ReadString('\n')
	if err != nil {
		return nil, -1, fmt.Errorf("container %s: late stage: reading its listener's number: %w", name, err)
	}
	n, err := strconv.Atoi(strings.TrimPrefix(strings.TrimSuffix(line, "\n"), HandoverListener))
	if err != nil || !strings.HasPrefix(line, HandoverListener) {
		return nil, -1, fmt.Errorf("container %s: late stage: %q is not %q followed by a number", name, line, HandoverListener)
	}
	fd, err := CopyListener(pid, n)
	if err != nil {
		return nil, -1, fmt.Errorf("container %s: late stage: %w", name, err)
	}
	if _, err := conn.Write([]byte{HandoverAck}); err != nil {
		unix.Close(fd)
		return nil, -1, fmt.Errorf("container %s: late stage: answering: %w", name, err)
	}
	return st, fd, nil
}

// peerPid is the process at the other end of a unix socket, in this
// process's pid namespace.
func peerPid(conn *net.UnixConn) (int, error) {
	raw, err := conn.SyscallConn()
	if err != nil {
		return 0, err
	}
	var cred *unix.Ucred
	var cerr error
	if err := raw.Control(func(fd uintptr) { cred, cerr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED) }); err != nil {
		return 0, err
	}
	if cerr != nil {
		return 0, fmt.Errorf("getting the peer's credentials: %w", cerr)
	}
	if cred.Pid <= 0 {
		return 0, errors.New("the peer's pid is not visible here")
	}
	return int(cred.Pid), nil
}

// parseRights returns every descriptor of the SCM_RIGHTS messages in oob,
// even when one of them is malformed, so that the caller can close them.
func parseRights(oob []byte) ([]int, error) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, fmt.Errorf("parsing control messages: %w", err)
	}
	var fds []int
	var errs []error
	for _, m := range msgs {
		if m.Header.Level != unix.SOL_SOCKET || m.Header.Type != unix.SCM_RIGHTS {
			errs = append(errs, fmt.Errorf("unexpected control message (level %d, type %d)", m.Header.Level, m.Header.Type))
			continue
		}
		f, err := unix.ParseUnixRights(&m)
		fds = append(fds, f...)
		errs = append(errs, err)
	}
	return fds, errors.Join(errs...)
}
