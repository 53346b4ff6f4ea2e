// Package notify is seccomp user notification without libseccomp: the
// kernel's ioctl interface to receive, check and answer the notifications
// of a listener descriptor (SECCOMP_IOCTL_NOTIF_RECV, _ID_VALID, _SEND),
// the syscall a notification names, and a rendering of the call in the
// style of strace, with its path and address arguments read from the
// calling task's memory.
//
// It is pure Go (golang.org/x/sys/unix), so the seccomp agent builds
// without cgo. Loading a filter is not its business.
package notify
