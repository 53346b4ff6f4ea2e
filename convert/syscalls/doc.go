// Package syscalls holds the tables a seccomp profile is checked against:
// every syscall libseccomp knows per architecture (generated from
// libseccomp by internal/mksyscalls), how many arguments each takes
// (generated from the kernel's syscall tracepoints by internal/mkargs),
// the architecture names and their OCI
// spellings, the errno names, and the named constants conditions use. It
// is data, with lookups; it knows nothing of any profile format.
package syscalls
