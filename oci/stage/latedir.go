package stage

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// The late stages' directories on the host are collected by the back-ends
// that write them (the precreate hook, the NRI plugin), never while a
// container may still need one:
//
//   - A container created or running with a late stage has its directory
//     bound at MountPoint: the root of its processes (runc init waiting to
//     start, or the container's own) holds it, which /proc shows to a
//     process of the host's PID namespace. A back-end in another PID
//     namespace cannot see every container, and collects nothing.
//   - Between the moment a back-end hands a config naming a directory to
//     the runtime and the moment runc binds it, nobody holds it: every use
//     touches the directory (under a shared lock), and only a directory
//     untouched for LateGrace may go.
//   - A stopped container has nothing bound; starting it again recreates
//     its config, and the directory with it: Podman runs its precreate
//     hooks again on every start, and the kubelet makes a new container
//     (the NRI plugin's CreateContainer) for every restart.
const (
	// LateGrace is how long a late stage's directory stays after its last
	// use with no container holding it.
	LateGrace = 10 * time.Minute
	// collectEvery spaces out the scans of /proc: one per minute at most.
	collectEvery = time.Minute
	// collectLock is the lock file in the late stages' root: writers of a
	// directory hold it shared, the collector exclusively. Its mtime is
	// when the last collection started.
	collectLock = ".collect.lock"
)

// ErrOtherPIDNamespace is returned by CollectLateDirs in a PID namespace
// other than the host's, where /proc does not show every container.
var ErrOtherPIDNamespace = errors.New("not in the host's PID namespace, so not every container can be seen")

// initPIDNamespace is the inode number of the host's PID namespace
// (PROC_PID_INIT_INO), fixed by the kernel.
const initPIDNamespace = 0xEFFFFFFC

// lockLateRoot takes the collection lock of root, shared or exclusive
// (without waiting, for the collector), creating root and the lock file.
func lockLateRoot(root string, how int) (*os.File, error) {
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(root, collectLock), os.O_RDWR|os.O_CREATE|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), how); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// CollectLateDirs removes from root (DefaultLateDir when empty) the late
// stages' directories that no process on the host has bound at
// MountPoint and that were last used more than LateGrace ago, and the
// leftovers of writers that were killed; it returns the names removed.
// It scans /proc at most once a minute, and not at all while another
// collection runs (nil, nil then). Outside the host's PID namespace it
// removes nothing and returns ErrOtherPIDNamespace.
func CollectLateDirs(root string) ([]string, error) {
	return collectLateDirs(root, time.Now(), false)
}

func collectLateDirs(root string, now time.Time, force bool) ([]string, error) {
	if root == "" {
		root = DefaultLateDir
	}
	var ns unix.Stat_t
	if err := unix.Stat("/proc/self/ns/pid", &ns); err != nil {
		return nil, fmt.Errorf("collecting late stages: %w", err)
	}
	if ns.Ino != initPIDNamespace {
		return nil, fmt.Errorf("collecting late stages: %w", ErrOtherPIDNamespace)
	}
	lock, err := lockLateRoot(root, unix.LOCK_EX|unix.LOCK_NB)
	if errors.Is(err, unix.EWOULDBLOCK) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("collecting late stages: %w", err)
	}
	defer lock.Close()
	if st, err := lock.Stat(); err == nil && !force && now.Sub(st.ModTime()) < collectEvery && st.Size() > 0 {
		return nil, nil
	}
	// The lock's size marks that a collection ran; its mtime, when.
	if _, err := lock.WriteAt([]byte{'\n'}, 0); err != nil {
		return nil, fmt.Errorf("collecting late stages: %w", err)
	}
	_ = os.Chtimes(lock.Name(), now, now)

	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("collecting late stages: %w", err)
	}
	var candidates []string
	for _, e := range entries {
		if lateDirName(e.Name()) || strings.HasPrefix(e.Name(), ".tmp-") {
			candidates = append(candidates, e.Name())
		}
	}
	if len(candidates) == 0 {
		return nil, nil
	}
	held, err := boundDirs(false)
	if err != nil {
		return nil, fmt.Errorf("collecting late stages: %w", err)
	}
	var removed []string
	var errs []error
	for _, name := range candidates {
		path := filepath.Join(root, name)
		var st unix.Stat_t
		if err := unix.Lstat(path, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFDIR {
			continue
		}
		if held[[2]uint64{st.Dev, st.Ino}] || now.Sub(time.Unix(st.Mtim.Unix())) < LateGrace {
			continue
		}
		if err := os.RemoveAll(path); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, name)
	}
	if err := errors.Join(errs...); err != nil {
		return removed, fmt.Errorf("collecting late stages: %w", err)
	}
	return removed, nil
}

// lateDirName reports whether name is a late stage's directory as
// WriteLateDir names it: the profile's SHA-256 in hex.
func lateDirName(name string) bool {
	if len(name) != 64 {
		return false
	}
	_, err := hex.DecodeString(name)
	return err == nil && strings.ToLower(name) == name
}

// boundDirs returns the (device, inode) of what every process's root has
// at MountPoint: the late stages' directories containers hold. A process
// whose root cannot be looked into for another reason than its having
// none there (or being gone) is an error: what it holds is unknown —
// unless skipDenied, for a caller that only cares about containers it
// could have started itself (a process whose root it may not look into
// belongs to another user), or it is PID 1, the host's init, never a
// container's process (an LSM or a sandbox may hide its root even from
// root).
func boundDirs(skipDenied bool) (map[[2]uint64]bool, error) {
	held := map[[2]uint64]bool{}
	procs, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	for _, p := range procs {
		if p.Name()[0] < '1' || p.Name()[0] > '9' {
			continue
		}
		var st unix.Stat_t
		switch err := unix.Stat("/proc/"+p.Name()+"/root"+MountPoint, &st); {
		case err == nil:
			held[[2]uint64{st.Dev, st.Ino}] = true
		case errors.Is(err, unix.ENOENT), errors.Is(err, unix.ENOTDIR), errors.Is(err, unix.ESRCH):
		case (skipDenied || p.Name() == "1") && (errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM)):
		default:
			return nil, fmt.Errorf("looking into the root of process %s: %w", p.Name(), err)
		}
	}
	return held, nil
}
