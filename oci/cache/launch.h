// The launcher (launch.c): the warm start of `oci-sbx exec` without the Go
// runtime. Shared with launch_linux.go, which writes what it reads.

#ifndef OCI_SBX_LAUNCH_H
#define OCI_SBX_LAUNCH_H

#include <stddef.h>
#include <sys/syscall.h>

// The launcher makes raw system calls, written for these architectures;
// elsewhere every exec takes the Go path.
#if defined(__x86_64__) || defined(__aarch64__)
#define SBX_LAUNCHER 1
#else
#define SBX_LAUNCHER 0
#endif

#define SBX_LAUNCH_MAGIC "oci-sbx launch entry 1\n"
#define SBX_LAUNCH_KEY_MAGIC "oci-sbx launch 1\n"
#define SBX_CACHE_DIR "/var/cache/oci-sbx"
#define SBX_CACHE_ENV "OCI_SBX_CACHE"
#define SBX_MAX_LAUNCH (64 << 10) // a launch entry, read into a static buffer
#define SBX_MAX_KEY 16384
#define SBX_MAX_INPUT (16 << 20)

#include "close_range.h"

void sbx_sha256(const void *data, size_t len, unsigned char out[32]);

// sbx_host_key writes the part of every cache key that describes this
// build and host into out (cap bytes); it returns its length, or -1.
long sbx_host_key(char *out, size_t cap);

// sbx_launch_key writes the key of the launch entry for `exec --profile
// arg`, given the SHA-256 of the profile's bytes, into out (cap bytes);
// it returns the key's length, or -1.
long sbx_launch_key(const char *arg, const unsigned char profile_sum[32], char *out, size_t cap);

#endif
