//go:build linux && cgo && seccomp

package sandbox

import (
	"fmt"
	"io"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/oci-sbx/oci-sbx/convert/syscalls"
	"github.com/oci-sbx/oci-sbx/oci/notify"
)

// reporter decides the notifications of the errno rules that
// notify.ForReport turned into notify rules: always the rule's errno,
// never "continue", with one line per denial. notify.Serve runs it.
type reporter struct {
	fd      int // the notify listener
	w       io.Writer
	errnos  notify.Errnos
	initPid int
	sock    int // the parent's end of the init socket
}

func (r *reporter) decide(n *notify.Notif) notify.Answer {
	name := n.Data.SyscallName()
	e := r.errnos.Answer(name)
	// Read the arguments while the task is stopped in the call, then make
	// sure the notification is still live, so that the pid was not reused
	// while we read its memory.
	call := notify.FormatCall(int(n.Pid), name, n.Data.Args[:])
	if !notify.IDValid(r.fd, n.ID) {
		return notify.Answer{Errno: e} // too late: nothing to report
	}
	// The notification names the thread; the report names the process,
	// as Result.Pid does. The line is written before the answer, so it
	// comes before anything the program prints about the failed call.
	pid := notify.Tgid(int(n.Pid))
	var b strings.Builder
	fmt.Fprintf(&b, "denied pid=%d ", pid)
	if arch := n.Data.ArchName(); arch != syscalls.NativeArch() {
		fmt.Fprintf(&b, "arch=%s ", arch)
	}
	fmt.Fprintf(&b, "%s = %s", call, errnoName(uint(e)))
	if pid == r.initPid && !r.execDone() {
		b.WriteString(" (oci-sbx init, before execve)")
	}
	b.WriteByte('\n')
	_, _ = io.WriteString(r.w, b.String())
	return notify.Answer{Errno: e}
}

// execDone reports whether the init child has exec'd: its end of the init
// socket is close-on-exec. While the child is stopped in a notified call
// the answer cannot change.
func (r *reporter) execDone() bool {
	pfd := []unix.PollFd{{Fd: int32(r.sock), Events: unix.POLLRDHUP}}
	n, _ := unix.Poll(pfd, 0)
	return n > 0 && pfd[0].Revents&(unix.POLLRDHUP|unix.POLLHUP) != 0
}
