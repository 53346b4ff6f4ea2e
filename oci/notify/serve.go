package notify

import (
	"context"
	"errors"
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Answer is how a listener answers one notification.
type Answer struct {
	// Errno: the call fails with it without running.
	Errno unix.Errno
	// Continue lets the call run (SECCOMP_USER_NOTIF_FLAG_CONTINUE). It
	// decides nothing: the task can change what its pointer arguments
	// point to between the check and the call. For observing a program
	// (recording), never for a policy.
	Continue bool
	// Done, if set, learns whether the answer arrived: nil, or an error
	// wrapping ENOENT when the task died or a signal interrupted the call
	// first (the kernel then dropped the notification; an interrupted
	// call comes again once its handler returns).
	Done func(error)
}

// Respond sends the answer to notification id of listener fd, and then
// calls a.Done with the outcome. An Answer with neither Errno nor Continue
// is sent as EPERM: a listener never makes a call return success without
// running it.
func Respond(fd int, id uint64, a Answer) error {
	r := Resp{ID: id}
	switch {
	case a.Continue:
		r.Flags = FlagContinue
	case a.Errno != 0:
		r.Error = -int32(a.Errno)
	default:
		r.Error = -int32(unix.EPERM)
	}
	var err error
	if e := ioctl(fd, unix.SECCOMP_IOCTL_NOTIF_SEND, unsafe.Pointer(&r)); e != nil {
		err = &os.SyscallError{Syscall: "ioctl(SECCOMP_IOCTL_NOTIF_SEND)", Err: e}
	}
	if a.Done != nil {
		a.Done(err)
	}
	return err
}

// Serve answers the notifications of listener fd, each as decide says,
// until no task uses the filter any more or ctx is done; the caller keeps
// fd and closes it. This is the one loop oci-sbx receives notifications
// with: the report of `oci-sbx exec --report`, the seccomp agent, and
// recording.
//
// decide runs on Serve's goroutine, one notification at a time, while the
// calling task waits in the call; it may read the task's memory
// (Describe), and must check IDValid afterwards before it trusts what it
// read, since the pid may name another task by then. A notification whose
// task died before it was received, or whose answer came too late
// (ENOENT), is the normal end of a notification, not an error.
func Serve(ctx context.Context, fd int, decide func(*Notif) Answer) error {
	if fd < 0 {
		return fmt.Errorf("serving notifications: %d is no listener", fd)
	}
	var stop [2]int
	if err := unix.Pipe2(stop[:], unix.O_CLOEXEC); err != nil {
		return fmt.Errorf("creating the stop pipe: %w", err)
	}
	defer unix.Close(stop[0])
	// Closing the write end makes the read end readable (POLLHUP).
	closeW := func() { unix.Close(stop[1]) }
	after := context.AfterFunc(ctx, closeW)
	defer func() {
		if after() { // ctx is not done: closeW has not run and never will
			closeW()
		}
	}()
	for {
		pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}, {Fd: int32(stop[0]), Events: unix.POLLIN}}
		if _, err := unix.Poll(pfd, -1); err != nil {
			if err == unix.EINTR {
				continue
			}
			return fmt.Errorf("polling the listener: %w", err)
		}
		if pfd[1].Revents != 0 {
			return nil // ctx is done
		}
		if pfd[0].Revents&unix.POLLIN == 0 {
			if pfd[0].Revents&unix.POLLNVAL != 0 {
				return fmt.Errorf("polling the listener: descriptor %d is not open", fd)
			}
			return nil // POLLHUP: every task of the filter has exited
		}
		n, err := Recv(fd)
		if errors.Is(err, unix.ENOENT) {
			continue
		}
		if err != nil {
			return err
		}
		_ = Respond(fd, n.ID, decide(n)) // errors go to Answer.Done
	}
}
