// close_range(2) for headers older than Linux 5.11: the launcher
// (launch.c) and the runner's spawn (oci/sandbox/spawn_linux.go) both mark
// inherited descriptors close-on-exec with it. The values are the
// kernel's ABI, so they never change.

#ifndef OCI_SBX_CLOSE_RANGE_H
#define OCI_SBX_CLOSE_RANGE_H

#include <sys/syscall.h>

#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#endif
