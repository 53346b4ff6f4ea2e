package oci

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/oci-sbx/oci-sbx/internal/beneath"
	"github.com/oci-sbx/oci-sbx/internal/bounded"
	"golang.org/x/sys/unix"
)

const (
	// ConfigName is the bundle's configuration file.
	ConfigName = "config.json"
	// BackupName is where WriteConfig keeps the original on request.
	BackupName = ConfigName + ".orig"
	// MaxConfigSize caps what ReadConfig reads: a config.json is a few
	// KiB, and a huge one is a mistake or an attack on memory.
	MaxConfigSize = 16 << 20
)

// ErrUnsafe is wrapped by every refusal to read or write a file that
// is not a plain file reached without symlinks.
var ErrUnsafe = errors.New("refusing an unsafe path")

// Bundle is an OCI bundle directory, opened so that no symlink is followed
// on the way to it, and used through its descriptor from then on: a path
// swapped later cannot redirect a read or a write.
type Bundle struct {
	path string
	dir  *os.File
}

// OpenBundle opens the directory at path. A symlink in any component of
// path is refused: runc would follow it, and oci-sbx would write where the
// link points.
func OpenBundle(path string) (*Bundle, error) {
	dir, err := openDirNoFollow(path)
	if err != nil {
		return nil, fmt.Errorf("opening bundle %q: %w", path, err)
	}
	return &Bundle{path: path, dir: dir}, nil
}

// Close releases the bundle's directory.
func (b *Bundle) Close() error { return b.dir.Close() }

// openDirNoFollow opens path one component at a time with O_NOFOLLOW.
func openDirNoFollow(path string) (*os.File, error) {
	clean := filepath.Clean(path)
	start := "."
	if filepath.IsAbs(clean) {
		start = "/"
	}
	fd, err := unix.Open(start, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	walked := strings.TrimSuffix(start, ".")
	for _, comp := range strings.Split(clean, "/") {
		if comp == "" || comp == "." {
			continue
		}
		walked = filepath.Join(walked, comp)
		var st unix.Stat_t
		if err := unix.Fstatat(fd, comp, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			unix.Close(fd)
			if walked == clean {
				return nil, err // the caller names the path
			}
			return nil, fmt.Errorf("%q: %w", walked, err)
		}
		if st.Mode&unix.S_IFMT != unix.S_IFDIR {
			unix.Close(fd)
			return nil, fmt.Errorf("%w: %q is a %s, not a directory", ErrUnsafe, walked, beneath.TypeName(st.Mode))
		}
		next, err := unix.Openat(fd, comp, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		unix.Close(fd)
		if err != nil {
			return nil, fmt.Errorf("%q: %w", walked, err)
		}
		fd = next
	}
	return os.NewFile(uintptr(fd), clean), nil
}

// fileID identifies the file a config was read from, so that a write can
// tell whether someone replaced it meanwhile.
type fileID struct {
	dev, ino uint64
	size     int64
	mtime    unix.Timespec
	perm     os.FileMode
	uid, gid int
}

func idOf(st *unix.Stat_t) *fileID {
	return &fileID{dev: st.Dev, ino: st.Ino, size: st.Size, mtime: st.Mtim, perm: os.FileMode(st.Mode & 0o7777), uid: int(st.Uid), gid: int(st.Gid)}
}

// ReadConfig reads the bundle's config.json strictly (see ParseConfig).
// It must be a regular file of at most MaxConfigSize bytes: a symlink, a
// FIFO (a read would block, or read what another process writes), a
// device or a directory is refused before it is opened.
func (b *Bundle) ReadConfig() (*Editor, error) {
	name := filepath.Join(b.path, ConfigName)
	data, id, err := b.readRegular(ConfigName)
	if err != nil {
		return nil, fmt.Errorf("reading %q: %w", name, err)
	}
	e, err := ParseConfig(data)
	if err != nil {
		return nil, fmt.Errorf("reading %q: %w", name, err)
	}
	e.file = id
	return e, nil
}

func (b *Bundle) readRegular(name string) ([]byte, *fileID, error) {
	// A file replaced by a rename between the check and the open (a
	// concurrent patch committing) is read again; one that keeps changing
	// is refused.
	for range 3 {
		data, id, err := b.readRegularOnce(name)
		if !errors.Is(err, errReplaced) {
			return data, id, err
		}
	}
	return nil, nil, fmt.Errorf("%w: %w", ErrUnsafe, errReplaced)
}

var errReplaced = errors.New("the file was replaced while it was opened")

func (b *Bundle) readRegularOnce(name string) ([]byte, *fileID, error) {
	dfd := int(b.dir.Fd())
	var st unix.Stat_t
	if err := unix.Fstatat(dfd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return nil, nil, err
	}
	if err := regular(&st); err != nil {
		return nil, nil, err
	}
	// O_NONBLOCK: should the file turn into a FIFO after the check, the
	// open does not wait for a writer; the fstat below then refuses it.
	fd, err := unix.Openat(dfd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, err
	}
	f := os.NewFile(uintptr(fd), name)
	defer f.Close()
	var st2 unix.Stat_t
	if err := unix.Fstat(fd, &st2); err != nil {
		return nil, nil, err
	}
	if err := regular(&st2); err != nil {
		return nil, nil, err
	}
	if st2.Dev != st.Dev || st2.Ino != st.Ino {
		return nil, nil, errReplaced
	}
	data, err := bounded.ReadAll(f, MaxConfigSize)
	if errors.Is(err, bounded.ErrTooLarge) {
		return nil, nil, fmt.Errorf("%w: %w", ErrUnsafe, err)
	}
	if err != nil {
		return nil, nil, err
	}
	return data, idOf(&st2), nil
}

func regular(st *unix.Stat_t) error {
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return fmt.Errorf("%w: a %s, not a regular file", ErrUnsafe, beneath.TypeName(st.Mode))
	}
	if st.Size > MaxConfigSize {
		return fmt.Errorf("%w: %d bytes, larger than %d MiB", ErrUnsafe, st.Size, MaxConfigSize>>20)
	}
	return nil
}

// WriteConfig writes the edited config back atomically, with the mode and
// owner of the file it replaces. With backup, the original bytes are kept
// in config.json.orig first; an existing backup is never replaced. The
// write is refused when config.json changed since ReadConfig. Nothing is
// written when the edits changed nothing but the layout; changed reports
// whether config.json was replaced.
func (b *Bundle) WriteConfig(e *Editor, backup bool) (changed bool, err error) {
	name := filepath.Join(b.path, ConfigName)
	if e.file == nil {
		return false, fmt.Errorf("writing %q: the config was not read from this bundle", name)
	}
	if !e.Changed() {
		return false, nil
	}
	data := e.Bytes()
	same := func() error {
		var st unix.Stat_t
		if err := unix.Fstatat(int(b.dir.Fd()), ConfigName, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return err
		}
		if *idOf(&st) != *e.file {
			return fmt.Errorf("%s changed since it was read; run the patch again", ConfigName)
		}
		return nil
	}
	if err := same(); err != nil {
		return false, fmt.Errorf("writing %q: %w", name, err)
	}
	owner := &[2]int{e.file.uid, e.file.gid}
	if backup {
		err := writeFileAt(b.dir, BackupName, e.orig, writeOptions{perm: e.file.perm, owner: owner, noReplace: true})
		if errors.Is(err, os.ErrExist) {
			return false, fmt.Errorf("keeping a backup: %q already exists; move it away first, or patch without --backup", filepath.Join(b.path, BackupName))
		}
		if err != nil {
			return false, fmt.Errorf("keeping a backup in %q: %w", filepath.Join(b.path, BackupName), err)
		}
	}
	if err := writeFileAt(b.dir, ConfigName, data, writeOptions{perm: e.file.perm, owner: owner, check: same}); err != nil {
		return false, fmt.Errorf("writing %q: %w", name, err)
	}
	return true, nil
}

// WriteFile writes data atomically to rel, a file in the bundle or in a
// directory directly below it, which is created (mode 0755) if missing.
// Symlinks are refused on the way and at rel.
func (b *Bundle) WriteFile(rel string, data []byte, perm os.FileMode) error {
	name := filepath.Join(b.path, rel)
	dir, base, err := b.subdir(rel, true)
	if err != nil {
		return fmt.Errorf("writing %q: %w", name, err)
	}
	defer dir.Close()
	var st unix.Stat_t
	if err := unix.Fstatat(int(dir.Fd()), base, &st, unix.AT_SYMLINK_NOFOLLOW); err == nil && st.Mode&unix.S_IFMT != unix.S_IFREG {
		return fmt.Errorf("writing %q: %w: a %s, not a regular file", name, ErrUnsafe, beneath.TypeName(st.Mode))
	}
	if err := writeFileAt(dir, base, data, writeOptions{perm: perm}); err != nil {
		return fmt.Errorf("writing %q: %w", name, err)
	}
	return nil
}

// RemoveFile removes rel (as in WriteFile) and then its directory when it
// is empty. A missing file is not an error.
func (b *Bundle) RemoveFile(rel string) error {
	name := filepath.Join(b.path, rel)
	dir, base, err := b.subdir(rel, false)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("removing %q: %w", name, err)
	}
	defer dir.Close()
	if err := unix.Unlinkat(int(dir.Fd()), base, 0); err != nil && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("removing %q: %w", name, err)
	}
	if sub := filepath.Dir(filepath.Clean(rel)); sub != "." {
		_ = unix.Unlinkat(int(b.dir.Fd()), sub, unix.AT_REMOVEDIR) // fails while not empty
	}
	return nil
}

// subdir opens the directory of rel inside the bundle, at most one level
// down, without following symlinks.
func (b *Bundle) subdir(rel string, create bool) (*os.File, string, error) {
	rel = filepath.Clean(rel)
	sub, base := filepath.Split(rel)
	sub = strings.TrimSuffix(sub, "/")
	if filepath.IsAbs(rel) || strings.HasPrefix(rel, "..") || strings.Contains(sub, "/") {
		return nil, "", fmt.Errorf("%q is not a file in the bundle or one directory below it", rel)
	}
	dfd := int(b.dir.Fd())
	if sub == "" {
		fd, err := unix.Dup(dfd)
		if err != nil {
			return nil, "", err
		}
		unix.CloseOnExec(fd)
		return os.NewFile(uintptr(fd), b.path), base, nil
	}
	if create {
		if err := unix.Mkdirat(dfd, sub, 0o755); err != nil && !errors.Is(err, unix.EEXIST) {
			return nil, "", err
		}
	}
	fd, err := unix.Openat(dfd, sub, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.ELOOP) || errors.Is(err, unix.ENOTDIR) {
			return nil, "", fmt.Errorf("%w: %q is not a directory", ErrUnsafe, sub)
		}
		if errors.Is(err, unix.ENOENT) {
			return nil, "", os.ErrNotExist
		}
		return nil, "", err
	}
	return os.NewFile(uintptr(fd), filepath.Join(b.path, sub)), base, nil
}

// Lock takes an exclusive flock on the file rel (in the bundle or one
// directory below it, created as WriteFile creates it), waiting for it,
// and returns the function that releases it. Writers of one bundle that
// take the same lock are serialised; the lock file is never removed, so
// that every writer locks the same inode.
func (b *Bundle) Lock(rel string) (unlock func() error, err error) {
	name := filepath.Join(b.path, rel)
	dir, base, err := b.subdir(rel, true)
	if err != nil {
		return nil, fmt.Errorf("locking %q: %w", name, err)
	}
	defer dir.Close()
	fd, err := unix.Openat(int(dir.Fd()), base, unix.O_RDWR|unix.O_CREAT|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("locking %q: %w", name, err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		unix.Close(fd)
		return nil, fmt.Errorf("locking %q: %w: not a regular file", name, ErrUnsafe)
	}
	// A file with another name (a hard link planted by whoever owns the
	// bundle) would be opened for writing, and locked, wherever it is.
	if st.Nlink != 1 {
		unix.Close(fd)
		return nil, fmt.Errorf("locking %q: %w: the file has %d links", name, ErrUnsafe, st.Nlink)
	}
	for {
		err = unix.Flock(fd, unix.LOCK_EX)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("locking %q: %w", name, err)
	}
	return func() error { return unix.Close(fd) }, nil
}

// ReadFile reads rel (as in WriteFile), a regular file of at most
// MaxConfigSize bytes reached without symlinks.
func (b *Bundle) ReadFile(rel string) ([]byte, error) {
	name := filepath.Join(b.path, rel)
	dir, base, err := b.subdir(rel, false)
	if err != nil {
		return nil, fmt.Errorf("reading %q: %w", name, err)
	}
	defer dir.Close()
	sub := &Bundle{path: dir.Name(), dir: dir}
	data, _, err := sub.readRegular(base)
	if err != nil {
		return nil, fmt.Errorf("reading %q: %w", name, err)
	}
	return data, nil
}

// List returns the names in sub, a directory directly below the bundle;
// none when it does not exist.
func (b *Bundle) List(sub string) ([]string, error) {
	dir, _, err := b.subdir(filepath.Join(sub, "x"), false)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing %q: %w", filepath.Join(b.path, sub), err)
	}
	defer dir.Close()
	names, err := readDirNames(dir)
	if err != nil {
		return nil, fmt.Errorf("listing %q: %w", filepath.Join(b.path, sub), err)
	}
	return names, nil
}

// DirID returns the device and inode of sub, a directory directly below
// the bundle, so that a caller can tell whether a path elsewhere (inside a
// container's root) is the same directory.
func (b *Bundle) DirID(sub string) (dev, ino uint64, err error) {
	dir, _, err := b.subdir(filepath.Join(sub, "x"), false)
	if err != nil {
		return 0, 0, fmt.Errorf("opening %q: %w", filepath.Join(b.path, sub), err)
	}
	defer dir.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(dir.Fd()), &st); err != nil {
		return 0, 0, fmt.Errorf("opening %q: %w", filepath.Join(b.path, sub), err)
	}
	return st.Dev, st.Ino, nil
}

// Path is the bundle's path as it was opened.
func (b *Bundle) Path() string { return b.path }
