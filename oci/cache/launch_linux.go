//go:build linux && cgo && seccomp

package cache

// #cgo pkg-config: libseccomp
// #include <stdlib.h>
// #include "launch.h"
import "C"

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"unsafe"
)

const (
	launchMagic = C.SBX_LAUNCH_MAGIC
	// What the launcher knows of the cache, checked against cache_config.go.
	launchCacheEnv = C.SBX_CACHE_ENV
	launchCacheDir = C.SBX_CACHE_DIR
)

// hostKeyC is the part of every cache key that describes this build and
// host, from launch.c, which reads the build ID from the executable's
// mapped notes.
func hostKeyC() (string, error) {
	buf := (*C.char)(C.malloc(C.SBX_MAX_KEY))
	defer C.free(unsafe.Pointer(buf))
	n := C.sbx_host_key(buf, C.SBX_MAX_KEY)
	if n < 0 {
		return "", errors.New("reading the build ID and the kernel release: not found")
	}
	return C.GoStringN(buf, C.int(n)), nil
}

// launchKey is the key of c.Launch's entry: computed by launch.c's own
// code, so that both sides agree byte for byte.
func launchKey(l *Launch) (*key, error) {
	arg := C.CString(l.Profile)
	defer C.free(unsafe.Pointer(arg))
	sum := sha256.Sum256(l.Data)
	buf := (*C.char)(C.malloc(C.SBX_MAX_KEY))
	defer C.free(unsafe.Pointer(buf))
	n := C.sbx_launch_key(arg, (*C.uchar)(unsafe.Pointer(&sum[0])), buf, C.SBX_MAX_KEY)
	if n < 0 {
		return nil, errors.New("computing the launch key: the build ID or the kernel release is unreadable, or the name too long")
	}
	k := &key{text: C.GoBytes(unsafe.Pointer(buf), C.int(n))}
	k.sum = sha256.Sum256(k.text)
	return k, nil
}

// FileLaunch files p under the command line l, so that the next run of
// that command line starts in the launcher, before the Go runtime. The
// caller files only what the launcher would start exactly as it does. A
// run that cannot file it still runs.
func FileLaunch(l *Launch, p *Program) {
	if C.SBX_LAUNCHER == 0 || l == nil || p == nil {
		return
	}
	k, err := launchKey(l)
	if err != nil {
		return
	}
	dir, err := cacheDirName()
	if err != nil {
		return
	}
	d, err := openCacheDir(dir, true)
	if err != nil {
		return
	}
	defer d.Close()
	name := hex.EncodeToString(k.sum[:])
	entry := encodeEntry(launchMagic,
		entryField{"key", k.text},
		entryField{"notes", l.Notes},
		entryField{"flags", strconv.AppendUint(nil, uint64(p.Flags), 10)},
		entryField{"program", p.Raw})
	if len(entry) >= C.SBX_MAX_LAUNCH {
		return // larger than the launcher reads
	}
	if old, err := readEntry(d, name); err == nil && bytes.Equal(old, entry) {
		return
	}
	if writeEntry(d, name, entry) == nil {
		cacheStats.launches.Add(1)
	}
}

// sha256C is launch.c's SHA-256, for its test.
func sha256C(b []byte) (sum [sha256.Size]byte) {
	p := C.CString(string(b))
	defer C.free(unsafe.Pointer(p))
	C.sbx_sha256(unsafe.Pointer(p), C.size_t(len(b)), (*C.uchar)(unsafe.Pointer(&sum[0])))
	return sum
}
