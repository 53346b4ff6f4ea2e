// Package notify is seccomp user notification without libseccomp: the
// kernel's ioctl interface to receive, check and answer the notifications
// of a listener descriptor (SECCOMP_IOCTL_NOTIF_RECV, _ID_VALID, _SEND),
// the syscall a notification names, and a rendering of the call in the
// style of strace, with its path and address arguments read from the
// calling task's memory.
//
// Serve is the one loop that receives notifications in oci-sbx: the report
// of `oci-sbx exec --report`, the seccomp agent, and catching the program
// runc's loader builds (package program). ForReport is the one policy that
// turns a profile's errno rules into notify rules for such a report, so
// that the listener answers each with the errno and the program sees what
// the profile would give it. ListenSocket and Receive are the one way a
// listenerPath is served — by the seccomp agent and by the container
// recorder: runc's state and listener, or the late stage's handover, whose
// own side is DialAgent and LateHandover. CopyListener is the one way a
// listener is taken from another process by its number (the late stage,
// the report's and the recorder's init children).
//
// It is pure Go (golang.org/x/sys/unix), so the seccomp agent builds
// without cgo. Loading a filter is not its business.
package notify
