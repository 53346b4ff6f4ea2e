// Package record is the recorder: it runs a program under a seccomp filter
// that lets through, at full speed, what a base profile already allows and
// sends every other system call to the recorder as a seccomp user
// notification, notes the call (architecture, number, the arguments that
// matter, the calling executable) and answers "continue", so the call runs
// as if nothing had been in between. From the calls seen it writes the
// least-privilege profile: deny by default, allow what ran.
//
// The filter is loaded by a re-executed oci-sbx (Init, called from main
// before anything else) on the thread that then execs the program, so it
// covers every thread and every descendant by inheritance, from the
// program's first instruction. It covers every architecture the kernel
// can run: calls whose architecture or number the filter does not know are
// notified too, so nothing passes unseen.
//
// Recording is not a sandbox. "Continue" lets the call run with arguments
// the program can change between the check and the call (pointer
// arguments), and a recorder that dies leaves the program's notified calls
// failing with ENOSYS, not running.
package record
