package notify

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/oci-sbx/oci-sbx/oci/annotation"
)

// AnnotationHandover marks the state that oci-sbx's late stage sends the
// agent; its value is HandoverLate.
const (
	AnnotationHandover = annotation.OCI + annotation.Handover
	HandoverLate       = "late"
)

// The late stage's part of the conversation after the state: the
// listener's descriptor number after HandoverListener, on one line, and
// the agent's answer HandoverAck once it holds a copy.
const (
	HandoverListener = "listener "
	HandoverAck      = 'y'
)

// LateHandover hands the listener of a filter that oci-sbx's late stage
// loads inside a container to the agent, as runc hands over the listener
// of the filter it loads. runc's way, sendmsg with SCM_RIGHTS after the
// load, would stall on a profile that turns sendmsg into a notification,
// which nobody can answer before the agent has the listener. So the late
// stage connects and sends its state before it loads the filter, and
// afterwards only writes the listener's number and reads the agent's
// answer; the agent copies the listener with pidfd_getfd. write and read
// are the two calls ForReport never turns into notifications, as for runc.
type LateHandover struct {
	fd  int
	buf []byte
}

// DialAgent connects to the agent at socket and sends st, before the
// filter is loaded. Its calls go through the filters loaded so far, so
// socket and connect must be allowed there.
func DialAgent(socket string, st *specs.ContainerProcessState) (*LateHandover, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("connecting to the agent at %q: %w", socket, err)
	}
	h := &LateHandover{fd: fd, buf: make([]byte, 0, 32)}
	if err := unix.Connect(fd, &unix.SockaddrUnix{Name: socket}); err != nil {
		h.Close()
		return nil, fmt.Errorf("connecting to the agent at %q: %w", socket, err)
	}
	c := *st
	c.Fds = []string{specs.SeccompFdName}
	c.State.Annotations = map[string]string{AnnotationHandover: HandoverLate}
	msg, err := json.Marshal(&c)
	if err != nil {
		h.Close()
		return nil, err
	}
	if err := h.write(msg); err != nil {
		h.Close()
		return nil, fmt.Errorf("sending the state to the agent at %q: %w", socket, err)
	}
	return h, nil
}

// Send names the listener to the agent and waits until the agent holds a
// copy. It makes only write and read calls, and allocates nothing on the
// way: the filter is loaded by then, and any other call might be one the
// filter hands to the agent that does not have it yet.
func (h *LateHandover) Send(listener int) error {
	b := append(h.buf[:0], HandoverListener...)
	b = strconv.AppendInt(b, int64(listener), 10)
	b = append(b, '\n')
	if err := h.write(b); err != nil {
		return fmt.Errorf("handing the listener to the agent: write: %w", err)
	}
	var ack [1]byte
	for {
		n, err := unix.Read(h.fd, ack[:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("handing the listener to the agent: read: %w", err)
		}
		if n != 1 || ack[0] != HandoverAck {
			return errors.New("handing the listener to the agent: the agent refused it (see its log)")
		}
		return nil
	}
}

// Close closes the connection.
func (h *LateHandover) Close() error {
	if h.fd < 0 {
		return nil
	}
	err := unix.Close(h.fd)
	h.fd = -1
	return err
}

func (h *LateHandover) write(b []byte) error {
	for len(b) > 0 {
		n, err := unix.Write(h.fd, b)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}
