// Package beneath is a name that must stay beneath a directory: the
// profiles and records that annotations name, chosen by whoever starts a
// container and opened by a hook running as root. Names resolve with
// openat2's RESOLVE_BENEATH, so symlinks inside the directory work and
// none lead out, and a file is read without blocking on a FIFO and up to
// a limit. A profile is read only through directories no one but root can
// write, which is checked one element at a time.
package beneath

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/oci-sbx/oci-sbx/internal/bounded"
)

// ErrOutside is wrapped by the error for a name that leads out of its
// directory: `..` past it, an absolute name elsewhere, or a symlink that
// does (an absolute symlink counts, even to a place inside: write it
// relative).
var ErrOutside = errors.New("outside the directory")

// ErrLeadsOut wraps ErrOutside for a name whose resolution leads out:
// through a symlink (an absolute one counts, even to a place inside) or
// `..`.
var ErrLeadsOut = fmt.Errorf("%w through a symlink or ..", ErrOutside)

// ErrWritable is wrapped by the error for a directory or file that
// someone other than root (or this process's user) can change: whoever
// can would choose the profile of every container that names it.
var ErrWritable = errors.New("writable by others")

// Rel returns name relative to dir: a relative name as it is (still to
// be resolved beneath dir), an absolute one if it lies inside dir, as
// written or with dir's own symlinks resolved.
func Rel(dir, name string) (string, error) {
	if name == "" {
		return "", errors.New("no name")
	}
	if strings.IndexByte(name, 0) >= 0 {
		return "", errors.New("a name with a NUL byte")
	}
	if !filepath.IsAbs(name) {
		return name, nil
	}
	dirs := []string{filepath.Clean(dir)}
	if real, err := filepath.EvalSymlinks(dir); err == nil && real != dirs[0] {
		dirs = append(dirs, real)
	}
	for _, d := range dirs {
		if r, err := filepath.Rel(d, filepath.Clean(name)); err == nil && r != ".." && !strings.HasPrefix(r, "../") {
			return r, nil
		}
	}
	return "", ErrOutside
}

// how resolves beneath the directory, never through /proc's magic links.
func how(flags uint64) *unix.OpenHow {
	return &unix.OpenHow{Flags: flags | unix.O_CLOEXEC, Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_MAGICLINKS}
}

// openDir checks name (see Rel) and opens dir for the *at calls that
// resolve it.
func openDir(dir, name string) (*os.File, string, error) {
	rel, err := Rel(dir, name)
	if err != nil {
		return nil, "", err
	}
	d, err := os.OpenFile(dir, unix.O_PATH|unix.O_DIRECTORY, 0)
	if err != nil {
		return nil, "", err
	}
	return d, rel, nil
}

// Open opens name (see Rel) beneath dir for reading. O_NONBLOCK: a FIFO
// must not hold up the caller, who sees it is not a regular file.
func Open(dir, name string) (*os.File, error) {
	d, rel, err := openDir(dir, name)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	return openAt(d, rel, name, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_NOCTTY)
}

func openAt(d *os.File, rel, name string, flags uint64) (*os.File, error) {
	fd, err := unix.Openat2(int(d.Fd()), rel, how(flags))
	if errors.Is(err, unix.EXDEV) {
		return nil, ErrLeadsOut
	}
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), name), nil
}

// OpenParent opens the directory that holds name (see Rel) beneath dir,
// and returns it with name's last element: where to create name without
// following a symlink out of dir or at the name itself.
func OpenParent(dir, name string) (*os.File, string, error) {
	rel, err := Rel(dir, name)
	if err != nil {
		return nil, "", err
	}
	parent, base := filepath.Split(filepath.Clean(rel))
	if base == "" || base == "." || base == ".." {
		return nil, "", errors.New("not a file name")
	}
	if parent == "" {
		parent = "."
	}
	d, err := os.OpenFile(dir, unix.O_PATH|unix.O_DIRECTORY, 0)
	if err != nil {
		return nil, "", err
	}
	defer d.Close()
	f, err := openAt(d, parent, parent, unix.O_RDONLY|unix.O_DIRECTORY)
	if err != nil {
		return nil, "", err
	}
	return f, base, nil
}

// ReadFile reads name (see Rel), a regular file beneath dir, up to max
// bytes. Neither a directory on the way to dir (see checkWay), nor dir,
// nor a directory the name passes through (symlinks included), nor the
// file may be writable by anyone but root or this
// process's user (unless it is on a read-only mount): a profile anyone
// can change or swap confines nothing.
func ReadFile(dir, name string, max int64) ([]byte, error) {
	f, st, err := openPrivate(dir, name, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_NOCTTY)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return nil, fmt.Errorf("not a regular file (%s)", TypeName(st.Mode))
	}
	if err := checkPrivate(name, f); err != nil {
		return nil, err
	}
	return bounded.ReadAll(f, max)
}

// Lookup resolves name (see Rel) beneath dir without opening it for
// reading, and returns the path it resolves to (symlinks resolved) and
// its type (the unix.S_IFMT bits of its mode): for a name handed on to
// another program (an agent's socket that runc connects to), which opens
// it later. dir must be private as for ReadFile: only root may change
// what the path leads to in between.
func Lookup(dir, name string) (string, uint32, error) {
	f, st, err := openPrivate(dir, name, unix.O_PATH)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	path, err := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", f.Fd()))
	if err != nil {
		return "", 0, err
	}
	return path, st.Mode & unix.S_IFMT, nil
}

// openPrivate opens name (see Rel) beneath dir with flags, through
// directories resolvePrivate found private, and returns it with its
// status.
func openPrivate(dir, name string, flags uint64) (*os.File, *unix.Stat_t, error) {
	d, rel, err := openDir(dir, name)
	if err != nil {
		return nil, nil, err
	}
	defer d.Close()
	real, err := resolvePrivate(d, dir, rel)
	if err != nil {
		return nil, nil, err
	}
	f, err := openResolved(d, real, name, flags)
	if err != nil {
		return nil, nil, err
	}
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, &st, nil
}

// maxLinks bounds the symlinks one resolution follows, as the kernel's
// 40 does.
const maxLinks = 40

// resolvePrivate resolves rel beneath the directory d (named dir) one
// element at a time and returns it with every symlink expanded: each
// directory it passes through, d included, must be private (see
// checkPrivate), since whoever can write one can put a symlink there and
// choose the file; a symlink must be relative and stay beneath d. The
// result is opened with openResolved, which follows no symlink at all,
// so a symlink put in its way after the check is refused.
func resolvePrivate(d *os.File, dir, rel string) (string, error) {
	if err := checkWay(dir); err != nil {
		return "", err
	}
	if err := checkPrivate(dir, d); err != nil {
		return "", err
	}
	todo := strings.Split(rel, "/")
	var done []string
	for links := 0; len(todo) > 0; {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(done) == 0 {
				return "", ErrLeadsOut
			}
			done = done[:len(done)-1]
			continue
		}
		at := strings.Join(append(done[:len(done):len(done)], c), "/")
		f, err := openResolved(d, at, at, unix.O_PATH|unix.O_NOFOLLOW)
		if err != nil {
			return "", err
		}
		var st unix.Stat_t
		err = unix.Fstat(int(f.Fd()), &st)
		switch {
		case err != nil:
		case st.Mode&unix.S_IFMT == unix.S_IFLNK:
			var target string
			if target, err = readlink(f); err == nil && strings.HasPrefix(target, "/") {
				err = ErrLeadsOut
			}
			if links++; links > maxLinks {
				err = unix.ELOOP
			}
			todo = append(strings.Split(target, "/"), todo...)
		case st.Mode&unix.S_IFMT == unix.S_IFDIR:
			if err = checkPrivate(filepath.Join(dir, at), f); err == nil {
				done = append(done, c)
			}
		default:
			if len(todo) > 0 && strings.Trim(strings.Join(todo, "/"), "/") != "" {
				err = unix.ENOTDIR
			}
			done = append(done, c)
		}
		f.Close()
		if err != nil {
			return "", err
		}
	}
	if len(done) == 0 {
		return ".", nil
	}
	return strings.Join(done, "/"), nil
}

// readlink reads the symlink f (opened O_PATH|O_NOFOLLOW) itself.
func readlink(f *os.File) (string, error) {
	for size := 256; ; size *= 2 {
		buf := make([]byte, size)
		n, err := unix.Readlinkat(int(f.Fd()), "", buf)
		if err != nil {
			return "", err
		}
		if n < size {
			return string(buf[:n]), nil
		}
	}
}

// openResolved opens a name resolvePrivate returned, following no
// symlink.
func openResolved(d *os.File, rel, name string, flags uint64) (*os.File, error) {
	fd, err := unix.Openat2(int(d.Fd()), rel, &unix.OpenHow{
		Flags:   flags | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS,
	})
	switch {
	case errors.Is(err, unix.EXDEV):
		return nil, ErrLeadsOut
	case errors.Is(err, unix.ELOOP):
		return nil, fmt.Errorf("%s: a symlink appeared while it was resolved: %w", name, err)
	case err != nil:
		return nil, err
	}
	return os.NewFile(uintptr(fd), name), nil
}

// checkWay fails with ErrWritable when a user other than root and this
// process's could change what the path dir leads to: when a directory on
// the way from / to it, symlinks followed, is not private (see
// checkPrivate), and a sticky one (/tmp) counts as private, since only
// the owner of an entry may replace it there, and each entry's owner is
// checked in turn. Whoever could rename a directory on the way could put
// a profiles directory of their choice in its place.
func checkWay(dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	cur := "/"
	check := func(path string) error {
		f, err := os.OpenFile(path, unix.O_PATH|unix.O_NOFOLLOW, 0)
		if err != nil {
			return err
		}
		defer f.Close()
		return checkMode(path, f, true)
	}
	if err := check(cur); err != nil {
		return err
	}
	todo := strings.Split(abs, "/")
	for links := 0; len(todo) > 0; {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			cur = filepath.Dir(cur)
			continue
		}
		next := filepath.Join(cur, c)
		var st unix.Stat_t
		if err := unix.Lstat(next, &st); err != nil {
			return err
		}
		if st.Mode&unix.S_IFMT == unix.S_IFLNK {
			target, err := os.Readlink(next)
			if err != nil {
				return err
			}
			if links++; links > maxLinks {
				return unix.ELOOP
			}
			if strings.HasPrefix(target, "/") {
				cur = "/"
			}
			todo = append(strings.Split(target, "/"), todo...)
			continue
		}
		if st.Mode&unix.S_IFMT != unix.S_IFDIR {
			return unix.ENOTDIR
		}
		if err := check(next); err != nil {
			return err
		}
		cur = next
	}
	return nil
}

// checkPrivate fails with ErrWritable when f, named path, can be
// changed by a user other than root and this process's: owned by
// another, writable by others, or writable by a group other than root's.
func checkPrivate(path string, f *os.File) error {
	return checkMode(path, f, false)
}

// checkMode is checkPrivate, with a directory's sticky bit forgiving its
// write bits when sticky.
func checkMode(path string, f *os.File, sticky bool) error {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return err
	}
	if sticky && st.Mode&unix.S_ISVTX != 0 && st.Mode&unix.S_IFMT == unix.S_IFDIR {
		st.Mode &^= 0o022
	}
	// The owner can change the file through another mount of it, even
	// where this one is read-only: only the write bits are forgiven on a
	// read-only mount (a ConfigMap volume, whose directory is 0777).
	if owner := st.Uid; owner != 0 && owner != uint32(os.Geteuid()) {
		return fmt.Errorf("%q: %w (owned by uid %d)", path, ErrWritable, owner)
	}
	var why string
	switch {
	case st.Mode&0o002 != 0:
		why = fmt.Sprintf("mode %04o lets anyone write", st.Mode&0o7777)
	case st.Mode&0o020 != 0 && st.Gid != 0:
		why = fmt.Sprintf("mode %04o lets group %d write", st.Mode&0o7777, st.Gid)
	default:
		return nil
	}
	var fs unix.Statfs_t
	if unix.Fstatfs(int(f.Fd()), &fs) == nil && fs.Flags&unix.ST_RDONLY != 0 {
		return nil // nobody writes through a read-only mount
	}
	return fmt.Errorf("%q: %w (%s)", path, ErrWritable, why)
}

// TypeName names the type bits of a stat mode, for an error about what a
// name turned out to be.
func TypeName(mode uint32) string {
	switch mode & unix.S_IFMT {
	case unix.S_IFREG:
		return "regular file"
	case unix.S_IFDIR:
		return "directory"
	case unix.S_IFLNK:
		return "symlink"
	case unix.S_IFIFO:
		return "FIFO"
	case unix.S_IFCHR:
		return "character device"
	case unix.S_IFBLK:
		return "block device"
	case unix.S_IFSOCK:
		return "socket"
	}
	return fmt.Sprintf("file type %#o", mode&unix.S_IFMT)
}
