//go:build linux && cgo && seccomp

package cache

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/opencontainers/runc/libcontainer/configs"
	"github.com/opencontainers/runc/libcontainer/specconv"
	"github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"

	"github.com/oci-sbx/oci-sbx/convert/filter"
	"github.com/oci-sbx/oci-sbx/convert/rules"
	"github.com/oci-sbx/oci-sbx/convert/syscalls"
	"github.com/oci-sbx/oci-sbx/oci"
	"github.com/oci-sbx/oci-sbx/oci/program"
)

// Errors about the cache; Run falls back to compiling on any of them.
var (
	errCacheOff     = errors.New("switched off (" + Env + "=off)")
	errCacheNotRoot = errors.New("kept only for root: a cache a user owns is writable by the programs that user confines")
	errNotCacheable = errors.New("the profile needs runc's own loader")
	errCorrupt      = errors.New("corrupt entry")
)

// cacheStats counts what the cache did.
var cacheStats struct {
	hits, compiles, rejected, stores, launches atomic.Int64
}

// Stats returns what the cache did in this process: hits, compiles,
// entries rejected and stored, launch entries filed.
func Stats() Counts {
	return Counts{
		Hits: cacheStats.hits.Load(), Compiles: cacheStats.compiles.Load(), Rejected: cacheStats.rejected.Load(),
		Stores: cacheStats.stores.Load(), Launches: cacheStats.launches.Load(),
	}
}

const (
	cacheMagic      = "oci-sbx compiled seccomp program 1\n"
	cacheMaxEntries = 256     // beyond this, the oldest entries go
	cacheMaxSize    = 1 << 20 // a 4096-instruction program and a large profile fit easily
)

// Program is a filter ready to load as runc would load it.
type Program struct {
	Raw   []byte          // struct sock_filter[], host byte order
	Prog  *filter.Program // Raw, decoded and checked
	Flags uint            // SECCOMP_FILTER_FLAG_* runc passes with it
}

// Dir returns the directory of compiled programs the cache uses, or why it
// uses none: switched off, not root, or a directory that is not safe (a
// symlink, not owned by root, open to group or others).
func Dir() (string, error) {
	dir, err := cacheDirName()
	if err != nil {
		return "", err
	}
	d, err := openCacheDir(dir, false)
	if err != nil {
		return "", err
	}
	d.Close()
	return dir, nil
}

func cacheDirName() (string, error) {
	dir := os.Getenv(Env)
	switch {
	case dir == "off":
		return "", errCacheOff
	case dir == "":
		dir = DefaultDir
	case !filepath.IsAbs(dir):
		return "", fmt.Errorf("%s=%q is not an absolute path", Env, dir)
	}
	if os.Geteuid() != 0 {
		return "", errCacheNotRoot
	}
	return dir, nil
}

// openCacheDir opens the cache directory, creating it (0700) when asked
// and missing, and refuses one that others could write to.
func openCacheDir(dir string, create bool) (*os.File, error) {
	if create {
		if err := unix.Mkdir(dir, 0o700); err != nil && err != unix.EEXIST {
			return nil, fmt.Errorf("creating the cache %q: %w", dir, err)
		}
	}
	how := unix.OpenHow{Flags: unix.O_RDONLY | unix.O_DIRECTORY | unix.O_CLOEXEC, Resolve: unix.RESOLVE_NO_SYMLINKS}
	fd, err := unix.Openat2(unix.AT_FDCWD, dir, &how)
	if err == unix.ENOSYS { // before Linux 5.6: at least the last component
		fd, err = unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	}
	if err == unix.ELOOP {
		return nil, fmt.Errorf("opening the cache %q: refused: a symlink on its path (%w)", dir, err)
	}
	if err != nil {
		return nil, fmt.Errorf("opening the cache %q: %w", dir, err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("opening the cache %q: %w", dir, err)
	}
	if st.Uid != 0 || st.Mode&0o077 != 0 {
		unix.Close(fd)
		return nil, fmt.Errorf("opening the cache %q: refused: owner uid %d, mode %#o; it must be root's, mode 0700", dir, st.Uid, st.Mode&0o7777)
	}
	return os.NewFile(uintptr(fd), dir), nil
}

// Get returns the program for s from the cache, compiling it (in a child,
// package program) and storing it on a miss or a bad entry.
func Get(ctx context.Context, s *specs.LinuxSeccomp) (*Program, error) {
	flags, err := runcFlags(s)
	if err != nil {
		return nil, err
	}
	dir, err := cacheDirName()
	if err != nil {
		return nil, err
	}
	key, err := cacheKey(s)
	if err != nil {
		return nil, err
	}
	d, err := openCacheDir(dir, true)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	name := hex.EncodeToString(key.sum[:])
	raw, err := readProgram(d, name, key.text)
	switch {
	case err == nil:
		if p, err := filter.Decode(raw); err == nil {
			cacheStats.hits.Add(1)
			return &Program{Raw: raw, Prog: p, Flags: flags}, nil
		}
		cacheStats.rejected.Add(1)
	case errors.Is(err, errCorrupt):
		cacheStats.rejected.Add(1)
	case !errors.Is(err, unix.ENOENT):
		return nil, err
	}

	cacheStats.compiles.Add(1)
	raw, err = program.Export(ctx, s)
	if err != nil {
		return nil, err
	}
	p, err := filter.Decode(raw)
	if err != nil {
		return nil, fmt.Errorf("checking the program runc loaded: %w", err)
	}
	// A run that cannot store its program still runs it.
	if writeEntry(d, name, encodeProgram(key.text, raw)) == nil {
		cacheStats.stores.Add(1)
	}
	return &Program{Raw: raw, Prog: p, Flags: flags}, nil
}

// runcFlags returns the flags runc's PatchAndLoad passes with the program
// (libcontainer/seccomp/patchbpf filterFlags): LOG and SPEC_ALLOW when the
// profile asks for them and libseccomp's API level allows them, never
// TSYNC. Notify rules (NEW_LISTENER) and flags libseccomp 2.5 cannot set
// are left to runc's loader, which also reports what it refuses.
func runcFlags(s *specs.LinuxSeccomp) (uint, error) {
	cfg, err := specconv.SetupSeccomp(s)
	if err != nil {
		return 0, fmt.Errorf("converting the profile: %w", err)
	}
	if cfg == nil {
		return 0, errNotCacheable // runc loads no filter
	}
	api, _ := libseccomp.GetAPI()
	var flags uint
	for _, f := range cfg.Flags {
		switch {
		case f == "SECCOMP_FILTER_FLAG_TSYNC": // runc ignores it
		case f == specs.LinuxSeccompFlagLog && api >= 3:
			flags |= unix.SECCOMP_FILTER_FLAG_LOG
		case f == specs.LinuxSeccompFlagSpecAllow && api >= 4:
			flags |= unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW
		default:
			return 0, errNotCacheable
		}
	}
	if slices.ContainsFunc(cfg.Syscalls, func(c *configs.Syscall) bool { return c.Action == configs.Notify }) {
		return 0, errNotCacheable
	}
	return flags, nil
}

// key is a cache key: everything the program depends on, as text, and its
// hash, which names the entry.
type key struct {
	text []byte
	sum  [sha256.Size]byte
}

// hostKey is the part of every key that describes this build and host:
// launch.c's, and libseccomp's API level, which runc's load flags follow.
var hostKey = sync.OnceValues(func() (string, error) {
	host, err := hostKeyC()
	if err != nil {
		return "", err
	}
	api, _ := libseccomp.GetAPI()
	return fmt.Sprintf("%slibseccomp-api %d\n", host, api), nil
})

func cacheKey(s *specs.LinuxSeccomp) (*key, error) {
	host, err := hostKey()
	if err != nil {
		return nil, err
	}
	// The profile as runc receives it; an empty flags list differs from
	// none (runc adds SPEC_ALLOW to none), and JSON would drop it.
	profile, err := json.Marshal(struct {
		Seccomp    *specs.LinuxSeccomp `json:"seccomp"`
		EmptyFlags bool                `json:"emptyFlags"`
	}{s, s.Flags != nil && len(s.Flags) == 0})
	if err != nil {
		return nil, fmt.Errorf("encoding the profile: %w", err)
	}
	k := &key{text: fmt.Appendf(nil, "%sprofile %s\n", host, profile)}
	k.sum = sha256.Sum256(k.text)
	return k, nil
}

// An entry is a magic line, then fields — a line "NAME N", N bytes and a
// newline — the first of them the key, and a last line with the SHA-256 of
// everything before it. launch.c reads launch entries the same way.
type entryField struct {
	name  string
	value []byte
}

func encodeEntry(magic string, fields ...entryField) []byte {
	var b bytes.Buffer
	b.WriteString(magic)
	for i, f := range fields {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "%s %d\n", f.name, len(f.value))
		b.Write(f.value)
	}
	sum := sha256.Sum256(append(b.Bytes(), '\n'))
	fmt.Fprintf(&b, "\n%x\n", sum)
	return b.Bytes()
}

func encodeProgram(keyText, raw []byte) []byte {
	return encodeEntry(cacheMagic, entryField{"key", keyText}, entryField{"program", raw})
}

// readProgram reads and checks the program entry name for keyText.
func readProgram(dir *os.File, name string, keyText []byte) ([]byte, error) {
	data, err := readEntry(dir, name)
	if err != nil {
		return nil, err
	}
	return decodeProgram(data, keyText)
}

func decodeProgram(data, keyText []byte) ([]byte, error) {
	v, err := decodeEntry(data, cacheMagic, keyText, "program")
	if err != nil {
		return nil, err
	}
	return v[0], nil
}

// decodeEntry returns the values of the named fields of an entry whose
// key is keyText; anything else is errCorrupt.
func decodeEntry(data []byte, magic string, keyText []byte, names ...string) ([][]byte, error) {
	body, sum, ok := cutLastLine(data)
	if !ok {
		return nil, fmt.Errorf("%w: no checksum", errCorrupt)
	}
	want := sha256.Sum256(body)
	if got, err := hex.DecodeString(string(sum)); err != nil || !bytes.Equal(got, want[:]) {
		return nil, fmt.Errorf("%w: checksum mismatch", errCorrupt)
	}
	rest, ok := bytes.CutPrefix(body, []byte(magic))
	if !ok {
		return nil, fmt.Errorf("%w: not a cache entry", errCorrupt)
	}
	k, rest, ok := field(rest, "key")
	if !ok || !bytes.Equal(k, keyText) {
		return nil, fmt.Errorf("%w: another key", errCorrupt)
	}
	values := make([][]byte, len(names))
	for i, name := range names {
		if values[i], rest, ok = field(rest, name); !ok {
			return nil, fmt.Errorf("%w: bad %s field", errCorrupt, name)
		}
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: trailing data", errCorrupt)
	}
	return values, nil
}

// field reads "name N\n", N bytes and "\n".
func field(b []byte, name string) (value, rest []byte, ok bool) {
	head, rest, ok := bytes.Cut(b, []byte("\n"))
	if !ok {
		return nil, nil, false
	}
	n, err := strconv.Atoi(string(bytes.TrimPrefix(head, []byte(name+" "))))
	if err != nil || n < 0 || !bytes.HasPrefix(head, []byte(name+" ")) || len(rest) < n+1 || rest[n] != '\n' {
		return nil, nil, false
	}
	return rest[:n], rest[n+1:], true
}

// cutLastLine splits "body" + "line\n".
func cutLastLine(b []byte) (body, line []byte, ok bool) {
	if !bytes.HasSuffix(b, []byte("\n")) {
		return nil, nil, false
	}
	i := bytes.LastIndexByte(b[:len(b)-1], '\n')
	if i < 0 {
		return nil, nil, false
	}
	return b[:i+1], b[i+1 : len(b)-1], true
}

// readEntry reads the entry name in the cache directory dir. A missing
// entry is ENOENT; one that is not root's regular file is errCorrupt.
func readEntry(dir *os.File, name string) ([]byte, error) {
	fd, err := unix.Openat(int(dir.Fd()), name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err == unix.ELOOP {
		return nil, fmt.Errorf("%w: a symlink", errCorrupt)
	}
	if err != nil {
		return nil, fmt.Errorf("reading cache entry %q: %w", name, err)
	}
	f := os.NewFile(uintptr(fd), name)
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, fmt.Errorf("reading cache entry %q: %w", name, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG || st.Uid != 0 || st.Mode&0o077 != 0 || st.Size > cacheMaxSize {
		return nil, fmt.Errorf("%w: not root's private regular file", errCorrupt)
	}
	data := make([]byte, st.Size+1) // one more, to notice a file that grew
	n, err := f.ReadAt(data, 0)
	if err != nil && n != int(st.Size) {
		return nil, fmt.Errorf("reading cache entry %q: %w", name, err)
	}
	return data[:n], nil
}

// writeEntry stores an entry atomically (oci.WriteFileAt: a new file,
// synced, renamed over the old one) and keeps the newest cacheMaxEntries
// entries.
func writeEntry(dir *os.File, name string, entry []byte) error {
	if err := oci.WriteFileAt(dir, name, entry, 0o600); err != nil {
		return fmt.Errorf("writing cache entry %q: %w", name, err)
	}
	oci.RemoveStaleTemps(dir, "") // of entries other writers did not finish
	names, err := dir.Readdirnames(-1)
	if err != nil || len(names) <= cacheMaxEntries {
		return nil
	}
	type stored struct {
		name  string
		mtime int64
	}
	var entries []stored
	for _, n := range names {
		var st unix.Stat_t
		if len(n) == 2*sha256.Size && unix.Fstatat(int(dir.Fd()), n, &st, unix.AT_SYMLINK_NOFOLLOW) == nil {
			entries = append(entries, stored{n, st.Mtim.Nano()})
		}
	}
	if len(entries) > cacheMaxEntries {
		slices.SortFunc(entries, func(a, b stored) int { return cmp.Compare(b.mtime, a.mtime) })
		for _, e := range entries[cacheMaxEntries:] {
			_ = unix.Unlinkat(int(dir.Fd()), e.name, 0)
		}
	}
	return nil
}

// Lookup returns the program for a warm start: nil for no profile, else
// the cached one. false means the caller takes runc's loader instead — no
// cache here, or a profile only runc's loader can handle.
func Lookup(ctx context.Context, s *specs.LinuxSeccomp) (*Program, bool) {
	if s == nil {
		return nil, true
	}
	p, err := Get(ctx, s)
	return p, err == nil
}

// atFdcwd is AT_FDCWD (-100) as a 64-bit syscall argument.
const atFdcwd = uint64(1<<64 + unix.AT_FDCWD)

// OpenOutcome says what p does to a dynamic loader opening a library with
// the syscall name, openat(AT_FDCWD, path, O_RDONLY|O_CLOEXEC): "" when it
// lets it, else "denies (errno …)" or "kills (SIGSYS)". ok is false for a
// name the native architecture lacks.
func (p *Program) OpenOutcome(name string) (outcome string, ok bool) {
	nr, err := libseccomp.GetSyscallFromName(name)
	if err != nil {
		return "", false
	}
	arch, err := filter.AuditArch(syscalls.NativeArch())
	if err != nil {
		return "", false
	}
	// The path pointer's value is the loader's business; any user address.
	const pathPtr = 0x7f0000001000
	d := filter.Data{Nr: int32(nr), Arch: arch, Args: [6]uint64{atFdcwd, pathPtr, unix.O_RDONLY | unix.O_CLOEXEC}}
	switch a := p.Prog.Run(d).Action(); a.Kind {
	case rules.Errno:
		return fmt.Sprintf("denies (errno %s)", syscalls.ErrnoName(a.Ret)), true
	case rules.Trace: // no tracer: the call fails with ENOSYS
		return fmt.Sprintf("denies (errno %s)", syscalls.ErrnoName(uint(unix.ENOSYS))), true
	case rules.KillProcess, rules.KillThread, rules.Trap:
		return "kills (SIGSYS)", true
	}
	return "", true
}
