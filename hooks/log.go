package hooks

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// MaxLog bounds the hook's log: past it, the log starts over.
const MaxLog = 1 << 20

// AppendLog appends line to the log at path, where the hook leaves its
// errors (Podman discards a hook's standard error). The log is private:
// created with mode 0600, never opened through a symlink, and refused
// unless it is a regular file of this process's user with no other
// link, so that a name planted in its directory can neither hold the
// hook up (a FIFO) nor point its lines, which name profiles and paths,
// at a file someone else reads. Past MaxLog it starts over.
func AppendLog(path, line string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	fd, err := unix.Open(path, unix.O_WRONLY|unix.O_CREAT|unix.O_APPEND|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_NOCTTY|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return &os.PathError{Op: "open", Path: path, Err: err}
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return err
	}
	switch {
	case st.Mode&unix.S_IFMT != unix.S_IFREG:
		return fmt.Errorf("%s: not a regular file", strconv.Quote(path))
	case st.Nlink != 1:
		return fmt.Errorf("%s: has %d links", strconv.Quote(path), st.Nlink)
	case st.Uid != uint32(os.Geteuid()):
		return fmt.Errorf("%s: owned by uid %d", strconv.Quote(path), st.Uid)
	}
	// A log made before it was kept private: only its owner reads it.
	if st.Mode&0o777 != 0o600 {
		if err := f.Chmod(0o600); err != nil {
			return err
		}
	}
	if st.Size > MaxLog {
		if err := f.Truncate(0); err != nil {
			return err
		}
	}
	_, err = f.WriteString(line + "\n")
	return err
}
