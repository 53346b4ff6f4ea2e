//go:build linux && cgo && seccomp

package sandbox

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync/atomic"

	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"

	"github.com/oci-sbx/oci-sbx/oci/notify"
)

// reporter answers the notifications of the errno rules that notifyForm
// turned into notify rules: always with the rule's errno, never with
// "continue", and it prints one line per denial.
type reporter struct {
	fd      int // the notify listener
	w       io.Writer
	errnos  map[string]uint
	initPid int
	sock    int // the parent's end of the init socket
	stop    atomic.Bool
}

func (r *reporter) serve() {
	native, _ := libseccomp.GetNativeArch()
	for {
		pfd := []unix.PollFd{{Fd: int32(r.fd), Events: unix.POLLIN}}
		n, err := unix.Poll(pfd, 100)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return
		}
		if n == 0 {
			if r.stop.Load() {
				return
			}
			continue
		}
		if pfd[0].Revents&unix.POLLIN == 0 {
			return // POLLHUP: no task uses the filter any more
		}
		req, err := libseccomp.NotifReceive(libseccomp.ScmpFd(r.fd))
		if err != nil {
			continue // ENOENT: the task died before we got to it
		}
		r.answer(req, native)
	}
}

func (r *reporter) answer(req *libseccomp.ScmpNotifReq, native libseccomp.ScmpArch) {
	name, err := req.Data.Syscall.GetNameByArch(req.Data.Arch)
	if err != nil {
		name = "syscall_" + strconv.Itoa(int(req.Data.Syscall))
	}
	e, ok := r.errnos[name]
	if !ok {
		e = uint(unix.EPERM) // cannot happen; still deny, never continue
	}
	// Read the arguments while the task is stopped in the call, then make
	// sure the notification is still live, so that the pid was not reused
	// while we read its memory.
	call := notify.FormatCall(int(req.Pid), name, req.Data.Args)
	if libseccomp.NotifIDValid(libseccomp.ScmpFd(r.fd), req.ID) != nil {
		return
	}
	// The notification names the thread; the report names the process,
	// as Result.Pid does. The line is written before the answer, so it
	// comes before anything the program prints about the failed call.
	pid := notify.Tgid(int(req.Pid))
	var b strings.Builder
	fmt.Fprintf(&b, "denied pid=%d ", pid)
	if req.Data.Arch != native {
		fmt.Fprintf(&b, "arch=%v ", req.Data.Arch)
	}
	fmt.Fprintf(&b, "%s = %s", call, errnoName(e))
	if pid == r.initPid && !r.execDone() {
		b.WriteString(" (oci-sbx init, before execve)")
	}
	b.WriteByte('\n')
	_, _ = io.WriteString(r.w, b.String())
	_ = libseccomp.NotifRespond(libseccomp.ScmpFd(r.fd), &libseccomp.ScmpNotifResp{ID: req.ID, Error: int32(e)})
}

// execDone reports whether the init child has exec'd: its end of the init
// socket is close-on-exec. While the child is stopped in a notified call
// the answer cannot change.
func (r *reporter) execDone() bool {
	pfd := []unix.PollFd{{Fd: int32(r.sock), Events: unix.POLLRDHUP}}
	n, _ := unix.Poll(pfd, 0)
	return n > 0 && pfd[0].Revents&(unix.POLLRDHUP|unix.POLLHUP) != 0
}
