package oci

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/oci-sbx/oci-sbx/internal/beneath"
	"golang.org/x/sys/unix"
)

// WriteFileAtomic replaces path with data so that a reader, or a crash at
// any moment, sees either the old file or the new one, never a mix: it
// writes a temporary file in the same directory, syncs it, and renames it
// over path. A symlink at path is refused rather than followed.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	d, err := os.Open(dir)
	if err != nil {
		// Not the *PathError's "open DIR/": the file's directory is what
		// the path names already.
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Errorf("writing %q: %w", path, err)
	}
	defer d.Close()
	var st unix.Stat_t
	if err := unix.Fstatat(int(d.Fd()), base, &st, unix.AT_SYMLINK_NOFOLLOW); err == nil && st.Mode&unix.S_IFMT != unix.S_IFREG {
		return fmt.Errorf("writing %q: not a regular file (%s)", path, beneath.TypeName(st.Mode))
	}
	if err := writeFileAt(d, base, data, writeOptions{perm: perm}); err != nil {
		return fmt.Errorf("writing %q: %w", path, err)
	}
	return nil
}

// WriteFileAt writes name in the directory dir as WriteFileAtomic writes a
// path: for callers that hold a directory they opened safely.
func WriteFileAt(dir *os.File, name string, data []byte, perm os.FileMode) error {
	return writeFileAt(dir, name, data, writeOptions{perm: perm})
}

// writeOptions steer writeFileAt.
type writeOptions struct {
	perm os.FileMode
	// owner, when set, is given to the new file (a file replaced by root
	// keeps its owner); failing to set it is not an error.
	owner *[2]int
	// noReplace fails with fs.ErrExist instead of replacing a file.
	noReplace bool
	// check, when set, runs right before the new file takes the name;
	// an error leaves the old file as it was.
	check func() error
}

// beforeRename, when a test sets it, runs after the temporary file is
// written and synced and before it takes the name: the window a crash
// test kills the writer in.
var beforeRename func(tmp string)

// writeFileAt writes name in dir atomically: a temporary file created
// beside it (O_EXCL, O_NOFOLLOW), synced, then renamed (or linked, for
// noReplace) to name, and the directory synced so the new name survives a
// crash. The temporary file is removed on any failure.
func writeFileAt(dir *os.File, name string, data []byte, o writeOptions) (err error) {
	dfd := int(dir.Fd())
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	tmp := "." + name + ".tmp-" + hex.EncodeToString(rnd[:])
	fd, err := unix.Openat(dfd, tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return fmt.Errorf("creating a temporary file: %w", err)
	}
	f := os.NewFile(uintptr(fd), tmp)
	defer func() {
		if f != nil {
			f.Close()
		}
		if err != nil {
			_ = unix.Unlinkat(dfd, tmp, 0)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Chmod(o.perm); err != nil {
		return err
	}
	if o.owner != nil {
		_ = f.Chown(o.owner[0], o.owner[1])
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("syncing: %w", err)
	}
	err = f.Close()
	f = nil
	if err != nil {
		return err
	}
	if beforeRename != nil {
		beforeRename(tmp)
	}
	if o.check != nil {
		if err = o.check(); err != nil {
			return err
		}
	}
	if o.noReplace {
		// link fails if name exists, where rename would replace it.
		if err = unix.Linkat(dfd, tmp, dfd, name, 0); err != nil {
			if errors.Is(err, unix.EEXIST) {
				err = os.ErrExist
			}
			return err
		}
		_ = unix.Unlinkat(dfd, tmp, 0)
	} else if err = unix.Renameat(dfd, tmp, dfd, name); err != nil {
		return fmt.Errorf("renaming into place: %w", err)
	}
	if err := unix.Fsync(dfd); err != nil {
		return fmt.Errorf("syncing the directory: %w", err)
	}
	RemoveStaleTemps(dir, name)
	return nil
}

// staleTemp is the age past which a temporary file is taken for the
// leftover of a writer that was killed, and removed.
const staleTemp = time.Hour

// RemoveStaleTemps removes the temporary files that writers of name in dir
// (of any name, when name is "") left when they died before they could
// clean up: regular files named as the writers here name them, older than
// an hour.
func RemoveStaleTemps(dir *os.File, name string) {
	names, err := readDirNames(dir)
	if err != nil {
		return
	}
	for _, n := range names {
		file, suffix, ok := strings.Cut(n, ".tmp-")
		if _, err := hex.DecodeString(suffix); !ok || err != nil || len(suffix) != 12 ||
			!strings.HasPrefix(file, ".") || name != "" && file != "."+name {
			continue
		}
		var st unix.Stat_t
		if unix.Fstatat(int(dir.Fd()), n, &st, unix.AT_SYMLINK_NOFOLLOW) != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
			continue
		}
		if time.Since(time.Unix(st.Mtim.Unix())) > staleTemp {
			_ = unix.Unlinkat(int(dir.Fd()), n, 0)
		}
	}
}

// readDirNames lists dir without moving dir's own offset.
func readDirNames(dir *os.File) ([]string, error) {
	fd, err := unix.Openat(int(dir.Fd()), ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	d := os.NewFile(uintptr(fd), ".")
	defer d.Close()
	return d.Readdirnames(-1)
}
