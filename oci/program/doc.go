// Package program is the BPF program runc's loader builds for a profile
// on this host: libseccomp's filter behind runc's ENOSYS stub, as raw
// struct sock_filter bytes, what bwrap --seccomp, crun's
// run.oci.seccomp_bpf_data, simulate and diff take.
//
// No call of runc returns that program; runc's loader loads it. So Export
// lets runc's own code (libcontainer/seccomp) build and load it in a child
// process that first put itself under a small filter of its own, which
// sends the two calls that load a filter — seccomp(2) and
// prctl(PR_SET_SECCOMP) — to this process as seccomp user notifications
// (package notify). This process reads the program from the child's
// memory while the call waits, and answers it with an error, so the
// program is never loaded and the child exits. That needs neither root
// nor CAP_SYS_ADMIN: only what any process may do to its own child.
//
// The child is this executable started again in a hidden mode; Init
// enters it, and a binary that calls Export calls Init first in main (or
// in TestMain).
//
// It needs cgo, libseccomp and the seccomp build tag; without them Export
// returns loader.ErrUnsupported.
package program
