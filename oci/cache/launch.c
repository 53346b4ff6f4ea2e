//go:build linux && cgo && seccomp

// The launcher: `oci-sbx exec --profile FILE [--] CMD [ARG...]` with a warm
// cache, before the Go runtime starts. A Go program takes milliseconds to
// start (its runtime, package inits, page faults of a large binary); when
// the cache holds a launch entry for exactly this command line, the
// launcher loads the cached program and replaces the process with CMD.
// Anything it does not recognise, or any check that fails, returns, and
// the Go code does the whole job (and files the entry for next time:
// launch_linux.go).
//
// It runs as early as it can. Linked with `-Wl,-e,sbx_start` (make build
// does), sbx_start is the ELF entry point: in a static binary the launcher
// then runs even before the C library initialises itself, which on a
// virtual machine costs more than the launcher's own work. So this file
// calls nothing in the C library on that path: raw system calls, static
// buffers, its own SHA-256. Without that link flag a constructor runs the
// same code, after the C library and before Go.
//
// An entry exists only for profiles the Go path itself would have run this
// way: the program from the cache, no kill or trap action (the Go path
// names the syscall of a seccomp kill; a replaced process cannot), a loader
// that can open libraries, no file read besides FILE.

#define _GNU_SOURCE
// Copy loops stay loops: a call to memcpy before the C library has
// resolved its own functions would jump nowhere.
#pragma GCC optimize("no-tree-loop-distribute-patterns")
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdint.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <seccomp.h>

#include "launch.h"


// ---- memory and strings, without the C library ----

static void mcopy(void *dst, const void *src, size_t n) {
	unsigned char *d = dst;
	const unsigned char *s = src;
	while (n--)
		*d++ = *s++;
}

static int mequal(const void *a, const void *b, size_t n) {
	const unsigned char *p = a, *q = b;
	for (; n; n--)
		if (*p++ != *q++)
			return 0;
	return 1;
}

static size_t slen(const char *s) {
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

static int sequal(const char *a, const char *b) {
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

// sprefix returns what follows prefix in s, or NULL.
static const char *sprefix(const char *s, const char *prefix) {
	while (*prefix)
		if (*s++ != *prefix++)
			return 0;
	return s;
}

static int digit(char c) { return c >= '0' && c <= '9'; }

// ---- SHA-256 (FIPS 180-4) ----

static const uint32_t sha_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha_block(uint32_t h[8], const unsigned char *p) {
	uint32_t w[64], a, b, c, d, e, f, g, k, t1, t2;
	int i;
	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (i = 16; i < 64; i++) {
		uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
	for (i = 0; i < 64; i++) {
		t1 = k + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + sha_k[i] + w[i];
		t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
		k = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
	}
	h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += k;
}

struct sha256 {
	uint32_t h[8];
	uint64_t len;
	unsigned char blk[64];
	size_t used;
};

static void sha_init(struct sha256 *c) {
	c->h[0] = 0x6a09e667, c->h[1] = 0xbb67ae85, c->h[2] = 0x3c6ef372, c->h[3] = 0xa54ff53a;
	c->h[4] = 0x510e527f, c->h[5] = 0x9b05688c, c->h[6] = 0x1f83d9ab, c->h[7] = 0x5be0cd19;
	c->len = 0, c->used = 0;
}

static void sha_update(struct sha256 *c, const void *data, size_t n) {
	const unsigned char *p = data;
	c->len += n;
	if (c->used > 0) {
		size_t k = 64 - c->used < n ? 64 - c->used : n;
		mcopy(c->blk + c->used, p, k);
		c->used += k, p += k, n -= k;
		if (c->used < 64)
			return;
		sha_block(c->h, c->blk);
		c->used = 0;
	}
	for (; n >= 64; p += 64, n -= 64)
		sha_block(c->h, p);
	mcopy(c->blk, p, n);
	c->used = n;
}

static void sha_final(struct sha256 *c, unsigned char out[32]) {
	uint64_t bits = c->len * 8;
	unsigned char pad[72];
	size_t padlen = (c->used < 56 ? 56 : 120) - c->used, i;
	for (i = 0; i < padlen; i++)
		pad[i] = i == 0 ? 0x80 : 0;
	for (i = 0; i < 8; i++)
		pad[padlen + i] = (unsigned char)(bits >> (56 - 8 * i));
	sha_update(c, pad, padlen + 8);
	for (i = 0; i < 8; i++) {
		out[4 * i] = c->h[i] >> 24, out[4 * i + 1] = c->h[i] >> 16;
		out[4 * i + 2] = c->h[i] >> 8, out[4 * i + 3] = c->h[i];
	}
}

void sbx_sha256(const void *data, size_t len, unsigned char out[32]) {
	struct sha256 c;
	sha_init(&c);
	sha_update(&c, data, len);
	sha_final(&c, out);
}

static void hex(const unsigned char *b, size_t n, char *out) {
	static const char digits[] = "0123456789abcdef";
	size_t i;
	for (i = 0; i < n; i++)
		out[2 * i] = digits[b[i] >> 4], out[2 * i + 1] = digits[b[i] & 15];
	out[2 * n] = 0;
}

// ---- a buffer over fixed memory ----

struct buf {
	char *p;
	size_t len, cap;
	int failed;
};

static void put(struct buf *b, const void *s, size_t n) {
	if (b->failed || n >= b->cap - b->len) {
		b->failed = 1;
		return;
	}
	mcopy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}

static void puts_(struct buf *b, const char *s) { put(b, s, slen(s)); }

static void putu(struct buf *b, unsigned long v) {
	char d[24];
	int i = sizeof d;
	do
		d[--i] = (char)('0' + v % 10);
	while (v /= 10);
	put(b, d + i, sizeof d - (size_t)i);
}

// field appends "name N\n" then N bytes and "\n", as the Go side writes.
static void field(struct buf *b, const char *name, const void *v, size_t n) {
	puts_(b, name);
	puts_(b, " ");
	putu(b, n);
	puts_(b, "\n");
	put(b, v, n);
	puts_(b, "\n");
}

// ---- the key ----

// go_build_id finds the Go build ID note among the executable's PT_NOTE
// segments, which are mapped, and appends it hex-encoded.
static int go_build_id(const ElfW(Phdr) *phdr, size_t phnum, struct buf *out) {
	uintptr_t bias = 0;
	size_t i;
	for (i = 0; i < phnum; i++)
		if (phdr[i].p_type == PT_PHDR)
			bias = (uintptr_t)phdr - phdr[i].p_vaddr;
	for (i = 0; i < phnum; i++) {
		const unsigned char *p, *end;
		if (phdr[i].p_type != PT_NOTE)
			continue;
		p = (const unsigned char *)(bias + phdr[i].p_vaddr);
		end = p + phdr[i].p_memsz;
		while (end - p >= 12) {
			uint32_t namesz, descsz, type;
			size_t nlen, dlen;
			mcopy(&namesz, p, 4), mcopy(&descsz, p + 4, 4), mcopy(&type, p + 8, 4);
			nlen = (namesz + 3) & ~3u, dlen = (descsz + 3) & ~3u;
			if ((size_t)(end - p - 12) < nlen + dlen)
				break;
			if (type == 4 && namesz >= 2 && p[12] == 'G' && p[13] == 'o' && (namesz == 2 || p[14] == 0)) {
				char h[2 * 256 + 1];
				if (descsz > 256)
					return -1;
				hex(p + 12 + nlen, descsz, h);
				puts_(out, h);
				return 0;
			}
			p += 12 + nlen + dlen;
		}
	}
	return -1;
}

static int is_dynamic(const ElfW(Phdr) *phdr, size_t phnum) {
	size_t i;
	for (i = 0; i < phnum; i++)
		if (phdr[i].p_type == PT_INTERP)
			return 1;
	return 0;
}

// ---- system calls ----

#if SBX_LAUNCHER
static long sys6(long n, long a, long b, long c, long d, long e, long f) {
#if defined(__x86_64__)
	register long r10 __asm__("r10") = d, r8 __asm__("r8") = e, r9 __asm__("r9") = f;
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9) : "rcx", "r11", "memory");
	return r;
#else
	register long x8 __asm__("x8") = n, x0 __asm__("x0") = a, x1 __asm__("x1") = b, x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d, x4 __asm__("x4") = e, x5 __asm__("x5") = f;
	__asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5) : "memory", "cc");
	return x0;
#endif
}
#define sys(n, a, b, c) sys6(n, (long)(a), (long)(b), (long)(c), 0, 0, 0)
#endif

// host_key appends what both kinds of cache key start with: the build
// (the Go build ID, which covers the Go code: runc's libcontainer/seccomp
// and libseccomp-golang as compiled in), libseccomp and the kernel.
static int host_key(const ElfW(Phdr) *phdr, size_t phnum, const struct utsname *u, struct buf *b) {
	unsigned major = SCMP_VER_MAJOR, minor = SCMP_VER_MINOR, micro = SCMP_VER_MICRO;

	if (!phdr)
		return -1;
	// A static binary holds the libseccomp it was linked with; a dynamic
	// one loads whichever is installed, and the C library is ready by
	// the time this runs.
	if (is_dynamic(phdr, phnum)) {
		const struct scmp_version *v = seccomp_version();
		if (!v)
			return -1;
		major = v->major, minor = v->minor, micro = v->micro;
	}
	puts_(b, "build ");
	if (go_build_id(phdr, phnum, b) != 0)
		return -1;
	puts_(b, "\nlibseccomp ");
	putu(b, major), puts_(b, "."), putu(b, minor), puts_(b, "."), putu(b, micro);
	puts_(b, "\nkernel ");
	puts_(b, u->release);
	puts_(b, "\n");
	return b->failed ? -1 : 0;
}

// launch_key is the key of a launch entry: the host part, FILE as given
// and the SHA-256 of its bytes.
static long launch_key(const ElfW(Phdr) *phdr, size_t phnum, const struct utsname *u,
                       const char *arg, const unsigned char profile_sum[32], char *out, size_t cap) {
	struct buf b = {out, 0, cap, 0};
	char sum[65];

	puts_(&b, SBX_LAUNCH_KEY_MAGIC);
	if (host_key(phdr, phnum, u, &b) != 0)
		return -1;
	field(&b, "profile-arg", arg, slen(arg));
	hex(profile_sum, 32, sum);
	puts_(&b, "profile-sha256 ");
	puts_(&b, sum);
	puts_(&b, "\n");
	return b.failed ? -1 : (long)b.len;
}

long sbx_launch_key(const char *arg, const unsigned char profile_sum[32], char *out, size_t cap) {
	struct utsname u;
	if (uname(&u) != 0)
		return -1;
	return launch_key((const ElfW(Phdr) *)getauxval(AT_PHDR), getauxval(AT_PHNUM), &u, arg, profile_sum, out, cap);
}

long sbx_host_key(char *out, size_t cap) {
	struct buf b = {out, 0, cap, 0};
	struct utsname u;
	if (uname(&u) != 0 || host_key((const ElfW(Phdr) *)getauxval(AT_PHDR), getauxval(AT_PHNUM), &u, &b) != 0)
		return -1;
	return (long)b.len;
}

#if SBX_LAUNCHER

// ---- reading ----

static int stat_fd(int fd, const char *path, int flags, struct statx *st) {
	return sys6(SYS_statx, fd, (long)path, flags, STATX_TYPE | STATX_MODE | STATX_UID | STATX_SIZE, (long)st, 0) == 0 ? 0 : -1;
}

// hash_profile hashes FILE, a regular file.
static int hash_profile(const char *path, unsigned char sum[32]) {
	struct sha256 c;
	struct statx st;
	char chunk[4096];
	long n;
	int fd = (int)sys6(SYS_openat, AT_FDCWD, (long)path, O_RDONLY | O_CLOEXEC | O_NONBLOCK, 0, 0, 0);
	if (fd < 0)
		return -1;
	if (stat_fd(fd, "", AT_EMPTY_PATH, &st) != 0 || !S_ISREG(st.stx_mode) || st.stx_size > SBX_MAX_INPUT) {
		sys(SYS_close, fd, 0, 0);
		return -1;
	}
	sha_init(&c);
	while ((n = sys(SYS_read, fd, chunk, sizeof chunk)) != 0) {
		if (n == -EINTR)
			continue;
		if (n < 0)
			break;
		sha_update(&c, chunk, (size_t)n);
	}
	sys(SYS_close, fd, 0, 0);
	if (n < 0 || c.len > SBX_MAX_INPUT)
		return -1;
	sha_final(&c, sum);
	return 0;
}

// read_entry reads the entry name in the cache directory dir: root's
// regular file that no group or other may touch, reached without
// following a symlink, in a directory of the same kind.
static long read_entry(const char *dir, const char *name, char *out, size_t cap) {
	struct open_how how = {.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC, .resolve = RESOLVE_NO_SYMLINKS};
	struct statx st;
	long n, len = 0;
	int dirfd, fd;

	dirfd = (int)sys6(SYS_openat2, AT_FDCWD, (long)dir, (long)&how, sizeof how, 0, 0);
	if (dirfd == -ENOSYS)
		dirfd = (int)sys6(SYS_openat, AT_FDCWD, (long)dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0, 0, 0);
	if (dirfd < 0)
		return -1;
	if (stat_fd(dirfd, "", AT_EMPTY_PATH, &st) != 0 || st.stx_uid != 0 || (st.stx_mode & 077) != 0) {
		sys(SYS_close, dirfd, 0, 0);
		return -1;
	}
	fd = (int)sys6(SYS_openat, dirfd, (long)name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0, 0, 0);
	sys(SYS_close, dirfd, 0, 0);
	if (fd < 0)
		return -1;
	if (stat_fd(fd, "", AT_EMPTY_PATH, &st) != 0 || !S_ISREG(st.stx_mode) || st.stx_size >= cap ||
	    st.stx_uid != 0 || (st.stx_mode & 077) != 0) {
		sys(SYS_close, fd, 0, 0);
		return -1;
	}
	// One byte more than the size, to notice a file that grew.
	while ((size_t)len < cap) {
		n = sys(SYS_read, fd, out + len, cap - (size_t)len);
		if (n == -EINTR)
			continue;
		if (n <= 0)
			break;
		len += n;
	}
	sys(SYS_close, fd, 0, 0);
	return (unsigned long)len == st.stx_size ? len : -1;
}

// take reads "name N\n", N bytes and "\n" at *p.
static int take(const char **p, const char *end, const char *name, const char **v, size_t *n) {
	size_t len = 0;
	const char *q = sprefix(*p, name);
	if (!q || q >= end || *q++ != ' ' || q >= end || !digit(*q))
		return -1;
	for (; q < end && digit(*q); q++) {
		if (len > SBX_MAX_LAUNCH)
			return -1;
		len = len * 10 + (size_t)(*q - '0');
	}
	if (q >= end || *q != '\n' || (size_t)(end - q - 1) < len + 1 || q[1 + len] != '\n')
		return -1;
	*v = q + 1, *n = len;
	*p = q + 1 + len + 1;
	return 0;
}

struct entry {
	const char *notes, *prog;
	size_t notes_len, prog_len;
	unsigned int flags;
};

// parse_entry checks an entry — the checksum on its last line, the magic,
// the key byte for byte, the program's shape — and points into it.
static int parse_entry(const char *f, size_t len, const char *key, size_t keylen, struct entry *e) {
	const char *p = f, *end, *v;
	unsigned char sum[32];
	char want[65];
	size_t n, i;
	unsigned long flags = 0;

	if (len < 66 || f[len - 1] != '\n' || f[len - 66] != '\n')
		return -1;
	end = f + len - 65; // the body, then 64 hex digits and "\n"
	sbx_sha256(f, (size_t)(end - f), sum);
	hex(sum, 32, want);
	if (!mequal(end, want, 64))
		return -1;

	n = slen(SBX_LAUNCH_MAGIC);
	if ((size_t)(end - p) < n || !mequal(p, SBX_LAUNCH_MAGIC, n))
		return -1;
	p += n;
	if (take(&p, end, "key", &v, &n) != 0 || n != keylen || !mequal(v, key, n))
		return -1;
	if (take(&p, end, "notes", &e->notes, &e->notes_len) != 0)
		return -1;
	if (take(&p, end, "flags", &v, &n) != 0 || n == 0 || n > 10)
		return -1;
	for (i = 0; i < n; i++) {
		if (!digit(v[i]))
			return -1;
		flags = flags * 10 + (unsigned long)(v[i] - '0');
	}
	// Only what runc may pass: LOG, SPEC_ALLOW.
	if (flags & ~(unsigned long)(SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW))
		return -1;
	e->flags = (unsigned int)flags;
	if (take(&p, end, "program", &e->prog, &e->prog_len) != 0 || p != end)
		return -1;
	if (e->prog_len == 0 || e->prog_len % sizeof(struct sock_filter) != 0 ||
	    e->prog_len / sizeof(struct sock_filter) > BPF_MAXINSNS)
		return -1;
	return 0;
}

// executable is the Go side's check: exists, not a directory, some x bit.
static int executable(const char *path) {
	struct statx st;
	return stat_fd(AT_FDCWD, path, 0, &st) == 0 && !S_ISDIR(st.stx_mode) && (st.stx_mode & 0111) != 0;
}

// look_path finds cmd as the Go side's lookPath does, into out.
static int look_path(const char *cmd, char **envp, struct buf *out) {
	const char *path = 0, *d, *c, *v;
	char **e;
	for (c = cmd; *c; c++)
		if (*c == '/') {
			puts_(out, cmd);
			return !out->failed && executable(out->p) ? 0 : -1;
		}
	for (e = envp; *e; e++)
		if ((v = sprefix(*e, "PATH=")))
			path = v; // the last one wins, as there
	if (!path || !*path)
		return -1;
	for (d = path;; d = c + 1) {
		for (c = d; *c && *c != ':'; c++)
			;
		out->len = 0, out->failed = 0;
		if (c == d)
			puts_(out, ".");
		else
			put(out, d, (size_t)(c - d));
		puts_(out, "/");
		puts_(out, cmd);
		if (!out->failed && executable(out->p))
			return 0;
		if (!*c)
			return -1;
	}
}

// errstr spells an errno as Go does, for the errors execve and the filter
// can give.
static const char *errstr(long err, char *buf, size_t cap) {
	struct buf b = {buf, 0, cap, 0};
	switch (err) {
	case EPERM: return "operation not permitted";
	case ENOENT: return "no such file or directory";
	case EIO: return "input/output error";
	case E2BIG: return "argument list too long";
	case ENOEXEC: return "exec format error";
	case ENOMEM: return "cannot allocate memory";
	case EACCES: return "permission denied";
	case EFAULT: return "bad address";
	case ENOTDIR: return "not a directory";
	case EISDIR: return "is a directory";
	case EINVAL: return "invalid argument";
	case ETXTBSY: return "text file busy";
	case ENAMETOOLONG: return "file name too long";
	case ELOOP: return "too many levels of symbolic links";
	case ELIBBAD: return "accessing a corrupted shared library";
	}
	puts_(&b, "errno ");
	putu(&b, (unsigned long)err);
	return buf;
}

// fail_status reports as the Go code would — oci-sbx: VERB "PATH":
// [STAGE: ]ERROR — and exits with status.
static void fail_status(const char *verb, const char *path, const char *stage, long err, int status) {
	char msg[8192], e[32];
	struct buf b = {msg, 0, sizeof msg, 0};
	puts_(&b, "oci-sbx: ");
	puts_(&b, verb);
	puts_(&b, " \"");
	puts_(&b, path);
	puts_(&b, "\": ");
	if (*stage) {
		puts_(&b, stage);
		puts_(&b, ": ");
	}
	puts_(&b, errstr(err, e, sizeof e));
	puts_(&b, "\n");
	sys(SYS_write, 2, msg, b.len);
	sys(SYS_exit_group, status, 0, 0);
}

// fail is fail_status with exit status 1: oci-sbx itself failed.
static void fail(const char *verb, const char *path, const char *stage, long err) {
	fail_status(verb, path, stage, err, 1);
}

// Static, so that nothing needs an allocator; only the pages used are
// touched.
static char entry_buf[SBX_MAX_LAUNCH], key_buf[SBX_MAX_KEY], path_buf[8192];

// launch returns when it does not apply or a check fails; after the
// filter is loaded it never returns.
static void launch(int argc, char **argv, char **envp, const ElfW(Phdr) *phdr, size_t phnum) {
	const char *profile = 0, *dir = SBX_CACHE_DIR, *v, **cmd;
	char name[65];
	unsigned char sum[32];
	struct buf path = {path_buf, 0, sizeof path_buf, 0};
	struct utsname u;
	struct entry e;
	struct sock_fprog prog;
	long keylen, n, r;
	char **env;
	int i;

	if (argc < 4 || !argv[1] || !sequal(argv[1], "exec"))
		return;
	// The flags this path knows; anything else is for the Go code.
	for (i = 2; i < argc; i++) {
		const char *a = argv[i];
		if (sequal(a, "--")) {
			i++;
			break;
		}
		if (sequal(a, "--profile") || sequal(a, "-p")) {
			if (++i >= argc)
				return;
			v = argv[i];
		} else if (!(v = sprefix(a, "--profile=")) && !(v = sprefix(a, "-p="))) {
			if (a[0] == '-')
				return;
			break;
		}
		if (profile || !v[0] || v[0] == '-')
			return; // twice, empty, standard input or a flag
		profile = v;
	}
	if (!profile || i >= argc)
		return;
	cmd = (const char **)argv + i;

	// The cache is root's only.
	if (sys(SYS_geteuid, 0, 0, 0) != 0)
		return;
	for (env = envp; *env; env++)
		if ((v = sprefix(*env, SBX_CACHE_ENV "="))) {
			dir = *v ? v : SBX_CACHE_DIR; // the first one, as getenv
			break;
		}
	if (dir[0] != '/')
		return; // "off", or a mistake the Go code explains
	for (i = 0; i < 3; i++)
		if (sys(SYS_fcntl, i, F_GETFD, 0) < 0)
			return;

	if (hash_profile(profile, sum) != 0 || sys(SYS_uname, &u, 0, 0) != 0)
		return;
	keylen = launch_key(phdr, phnum, &u, profile, sum, key_buf, sizeof key_buf);
	if (keylen < 0)
		return;
	sbx_sha256(key_buf, (size_t)keylen, sum);
	hex(sum, 32, name);
	n = read_entry(dir, name, entry_buf, sizeof entry_buf);
	if (n < 0 || parse_entry(entry_buf, (size_t)n, key_buf, (size_t)keylen, &e) != 0)
		return;
	if (look_path(cmd[0], envp, &path) != 0)
		return;
	// Descriptors above 2 never reach the program (Linux 5.11; before,
	// the Go code marks them one by one).
	if (sys(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) != 0)
		return;

	// Committed: from here on, errors are reported, not handed back.
	if (e.notes_len > 0)
		sys(SYS_write, 2, e.notes, e.notes_len);
	if ((r = sys6(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0)) != 0)
		fail("starting", path.p, "setting no_new_privs", -r);
	prog.len = (unsigned short)(e.prog_len / sizeof(struct sock_filter));
	prog.filter = (struct sock_filter *)e.prog;
	// As runc's loader: prctl without flags, seccomp(2) with them.
	if (e.flags == 0)
		r = sys6(SYS_prctl, PR_SET_SECCOMP, SECCOMP_MODE_FILTER, (long)&prog, 0, 0, 0);
	else
		r = sys(SYS_seccomp, SECCOMP_SET_MODE_FILTER, e.flags, &prog);
	if (r != 0)
		fail("starting", path.p, "loading the seccomp filter", -r);
	r = sys(SYS_execve, path.p, cmd, envp);
	// As env and sh: 127 when the program is not there, 126 when it is but
	// does not run.
	fail_status("executing", path.p, "", -r, -r == ENOENT ? 127 : 126);
}

static int sbx_tried;

// sbx_entry runs from the entry point with the initial stack: argc, the
// arguments, the environment, the auxiliary vector.
void sbx_entry(long *sp) {
	int argc = (int)sp[0];
	char **argv = (char **)(sp + 1), **envp = argv + argc + 1, **p = envp;
	const ElfW(auxv_t) *aux;
	const ElfW(Phdr) *phdr = 0;
	size_t phnum = 0;

	sbx_tried = 1;
	while (*p)
		p++;
	for (aux = (const ElfW(auxv_t) *)(p + 1); aux->a_type != AT_NULL; aux++) {
		if (aux->a_type == AT_PHDR)
			phdr = (const ElfW(Phdr) *)aux->a_un.a_val;
		else if (aux->a_type == AT_PHNUM)
			phnum = aux->a_un.a_val;
	}
	if (phdr)
		launch(argc, argv, envp, phdr, phnum);
}

// The entry point: the launcher with the stack as the kernel left it, then
// the C library's own entry with the stack and registers it expects (rdx:
// the dynamic loader's finaliser).
#if defined(__x86_64__)
__asm__(".text\n"
        ".globl sbx_start\n"
        ".type sbx_start, @function\n"
        "sbx_start:\n"
        "	mov %rdx, %r12\n"
        "	mov %rsp, %rbx\n"
        "	mov %rsp, %rdi\n"
        "	and $-16, %rsp\n"
        "	call sbx_entry\n"
        "	mov %rbx, %rsp\n"
        "	mov %r12, %rdx\n"
        "	jmp _start\n");
#endif

// Without the entry point, a constructor: after the C library, before Go.
// glibc passes constructors the program's arguments.
__attribute__((constructor)) static void sbx_constructor(int argc, char **argv, char **envp) {
	if (!sbx_tried && argv)
		launch(argc, argv, envp, (const ElfW(Phdr) *)getauxval(AT_PHDR), getauxval(AT_PHNUM));
}

#endif // SBX_LAUNCHER
