// Package record is the recorder: it observes every system call a program
// (or a container) and everything it starts makes, and writes the
// least-privilege profile of what ran — deny by default, allow each kind of
// call seen, per architecture, with the arguments that say what a call does
// as masked compares, and comments saying how often and by which
// executable each was seen.
//
// Two ways of observing:
//
//   - Seccomp user notification (Run with ModeNotify; rootless). A
//     re-executed oci-sbx (Init, called from main before anything else)
//     loads the recording filter (Program) on the thread that then execs
//     the program, so it covers every thread and descendant by
//     inheritance, from the first instruction, on every architecture the
//     kernel can run. What a base profile allows returns
//     SECCOMP_RET_ALLOW; everything else is notified, noted, and answered
//     "continue".
//   - eBPF (ModeEBPF; root). Programs written with cilium/ebpf's asm
//     package count calls in the kernel, for the processes of a cgroup the
//     program starts in.
//
// The same notify machinery checks and proves a profile: Check names each
// call a profile would not allow and lets it run; Verify enforces the
// profile, answering every other call with its errno and naming it, so
// that a replay fails on any call the recording lacks, killing nothing.
//
// For a container, its linux.seccomp becomes the recording filter
// (ContainerFilter, ContainerFilterWithin) and Listen serves the
// listenerPath runc hands the listener to, so the recording starts
// exactly where runc loads the container's filter.
//
// Recording is not a sandbox. "Continue" lets the call run with arguments
// the program can change between the check and the call (pointer
// arguments), and a recorder that dies leaves the program's notified calls
// failing with ENOSYS, not running.
package record
