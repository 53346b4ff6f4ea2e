//go:build linux && cgo && seccomp

package sandbox

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

	"github.com/opencontainers/runtime-spec/specs-go"
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

// fileLaunch files p under c.Launch when the launcher would start the
// program exactly as this run does. A run that cannot file it still runs.
func fileLaunch(c Config, p *compiled) {
	if C.SBX_LAUNCHER == 0 || !launchable(c, p) {
		return
	}
	k, err := launchKey(c.Launch)
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
		entryField{"notes", c.Launch.Notes},
		entryField{"flags", strconv.AppendUint(nil, uint64(p.flags), 10)},
		entryField{"program", p.raw})
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

// launchable reports whether the launcher would run c as Run does: the
// defaults of the command line (no_new_privs, the caller's environment and
// directory and user), no action whose outcome Run reports itself, and a
// program that lets any dynamic loader open its libraries.
func launchable(c Config, p *compiled) bool {
	if c.Launch == nil || p == nil || !c.NoNewPrivileges || c.Env != nil || c.Dir != "" || c.Credential != nil || c.Report != nil {
		return false
	}
	kills := func(a specs.LinuxSeccompAction) bool {
		switch a {
		case specs.ActKill, specs.ActKillProcess, specs.ActKillThread, specs.ActTrap:
			return true
		}
		return false
	}
	if kills(c.Seccomp.DefaultAction) {
		return false
	}
	for _, r := range c.Seccomp.Syscalls {
		if kills(r.Action) {
			return false
		}
	}
	for _, name := range []string{"openat", "open"} {
		if outcome, ok := loaderOutcome(p, name); ok && outcome != "" {
			return false
		}
	}
	return true
}

// sha256C is launch.c's SHA-256, for its test.
func sha256C(b []byte) (sum [sha256.Size]byte) {
	p := C.CString(string(b))
	defer C.free(unsafe.Pointer(p))
	C.sbx_sha256(unsafe.Pointer(p), C.size_t(len(b)), (*C.uchar)(unsafe.Pointer(&sum[0])))
	return sum
}
