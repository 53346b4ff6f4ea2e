package syscalls

import (
	"fmt"
	"sort"
	"strconv"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/oci-sbx/oci-sbx/internal/suggest"
)

// maxErrno is the largest errno a seccomp filter can return: the kernel
// clamps SECCOMP_RET_ERRNO data to MAX_ERRNO.
const maxErrno = 4095

// errnoNumbers maps every errno name x/sys/unix knows to its number, built
// once on first use. Like the constants, the numbers are those of the
// build's architecture: they differ on mips, parisc and sparc (ENOSYS is 89
// on mips), so a profile for those should be generated there.
var errnoNumbers = sync.OnceValue(func() map[string]uint {
	m := map[string]uint{}
	for n := uint(1); n <= maxErrno; n++ {
		if name := unix.ErrnoName(syscall.Errno(n)); name != "" {
			m[name] = n
		}
	}
	// ErrnoName gives one name per number; these are the other spellings.
	for name, e := range map[string]syscall.Errno{
		"EWOULDBLOCK": unix.EWOULDBLOCK,
		"EDEADLOCK":   unix.EDEADLOCK,
		"ENOTSUP":     unix.ENOTSUP,
		"EOPNOTSUPP":  unix.EOPNOTSUPP,
	} {
		m[name] = uint(e)
	}
	return m
})

// ParseErrno parses an errno as a name (EPERM, ENOSYS, …) or a decimal
// number from 0 to 4095. Zero parses; callers that must refuse it do.
func ParseErrno(s string) (uint, error) {
	if s != "" && s[0] >= '0' && s[0] <= '9' {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil || n > maxErrno {
			// 0 and 4095 parse, for their own messages; neither loads.
			return 0, fmt.Errorf("errno %q is not a number from 1 to %d", s, maxErrno-1)
		}
		return uint(n), nil
	}
	if n, ok := errnoNumbers()[s]; ok {
		return n, nil
	}
	if sug := suggest.Closest(s, errnoNames()); sug != "" {
		return 0, fmt.Errorf("unknown errno %q: did you mean %q?", s, sug)
	}
	return 0, fmt.Errorf("unknown errno %q (want a name such as EPERM, or a number from 1 to %d)", s, maxErrno-1)
}

// errnoNames is the sorted list of errno names, for suggestions.
var errnoNames = sync.OnceValue(func() []string {
	names := make([]string, 0, len(errnoNumbers()))
	for name := range errnoNumbers() {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
})

// ErrnoName returns the name of an errno, or its decimal number when it has
// none. Where two names share a number (EAGAIN and EWOULDBLOCK) it gives
// the usual one.
func ErrnoName(n uint) string {
	if n > 0 && n <= maxErrno {
		if name := unix.ErrnoName(syscall.Errno(n)); name != "" {
			return name
		}
	}
	return strconv.FormatUint(uint64(n), 10)
}
