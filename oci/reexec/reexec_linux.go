//go:build linux

package reexec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
)

// HasCapSysAdmin reports whether CAP_SYS_ADMIN is in the effective set.
func HasCapSysAdmin() bool {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return false
	}
	return data[unix.CAP_SYS_ADMIN/32].Effective&(1<<(unix.CAP_SYS_ADMIN%32)) != 0
}

// Resolve is how a run finds its program: args[0] looked up as runc looks
// up process.args[0] (LookPath), in the PATH of env — this process's
// environment when env is nil — from dir. It returns the program's path
// and the environment it runs with.
func Resolve(args, env []string, dir string) (path string, _ []string, err error) {
	if len(args) == 0 {
		return "", nil, errors.New("no command")
	}
	if env == nil {
		env = os.Environ()
	}
	if path, err = LookPath(args[0], env, dir); err != nil {
		return "", nil, err
	}
	return path, env, nil
}

// LookPath finds the program as the exec'd process would, and as runc
// finds process.args[0]: in the PATH of its own environment (env),
// relative to its own working directory (dir, or the caller's when empty).
func LookPath(file string, env []string, dir string) (string, error) {
	abs := func(p string) string {
		if filepath.IsAbs(p) {
			return p
		}
		if dir == "" {
			if wd, err := os.Getwd(); err == nil {
				return filepath.Join(wd, p)
			}
			return p
		}
		return filepath.Join(dir, p)
	}
	if strings.Contains(file, "/") {
		p := abs(file)
		if err := executable(p); err != nil {
			return "", &ExecError{Op: "finding", Path: file, Err: err}
		}
		return p, nil
	}
	pathEnv := ""
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			pathEnv = v
		}
	}
	for _, d := range filepath.SplitList(pathEnv) {
		if d == "" {
			d = "."
		}
		p := abs(filepath.Join(d, file))
		if executable(p) == nil {
			return p, nil
		}
	}
	return "", &ExecError{Op: "finding", Path: file, Err: notInPath(pathEnv)}
}

// notInPath is exec.ErrNotFound for the PATH the program gets, which is
// not always oci-sbx's: Go's words would name "$PATH" and then the PATH.
type notInPath string

func (p notInPath) Error() string {
	return fmt.Sprintf("not found in the program's PATH %q", string(p))
}

func (notInPath) Is(target error) bool { return target == exec.ErrNotFound }

func executable(p string) error {
	st, err := os.Stat(p)
	if err != nil {
		return err
	}
	if st.IsDir() {
		return fmt.Errorf("%s is a directory", p)
	}
	if st.Mode()&0o111 == 0 {
		return fmt.Errorf("%s: %w", p, os.ErrPermission)
	}
	return nil
}

// ReadLine reads one JSON line from a socket descriptor into v with plain
// read calls: a child reads its orders this way before it loads a filter,
// without Go's poller.
func ReadLine(fd int, v any) error {
	var data []byte
	for {
		data = slices.Grow(data, 64<<10) // read straight into data, no copy
		n, err := unix.Read(fd, data[len(data):cap(data)])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		if n == 0 {
			return io.ErrUnexpectedEOF
		}
		data = data[:len(data)+n]
		if bytes.HasSuffix(data, []byte("\n")) {
			break
		}
	}
	return json.Unmarshal(data, v)
}

// Child is a hidden mode of oci-sbx's own executable, in which a parent
// starts it again to load a filter away from the parent (like "runc
// init"): argv is exactly [Arg0], and the variable Env names the socket
// descriptor the two talk over. Both must be present, and the descriptor
// must be a socket, so a user cannot enter the mode by accident; the
// profile itself travels over the socket, never through argv or the
// environment.
type Child struct {
	Arg0 string // argv[0] of the mode
	Env  string // the variable naming the socket's descriptor
}

// Enter runs the mode when this process was started in it, and exits
// with run's status; otherwise it returns at once. The OS thread is
// locked first: a filter covers the thread that loads it, and what
// follows (execve, or the load a parent catches) must run on it.
func (c Child) Enter(run func(sock int) int) {
	if len(os.Args) != 1 || os.Args[0] != c.Arg0 {
		return
	}
	v, ok := os.LookupEnv(c.Env)
	if !ok {
		return
	}
	runtime.LockOSThread()
	fd, err := strconv.Atoi(v)
	var st unix.Stat_t
	if err != nil || fd < 3 || unix.Fstat(fd, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFSOCK {
		fmt.Fprintf(os.Stderr, "%s: %s does not name a socket; this mode is for oci-sbx's own use\n", c.Arg0, c.Env)
		os.Exit(125)
	}
	// runc's loader logs through logrus; the program's stderr is not the
	// place for it.
	logrus.SetOutput(io.Discard)
	os.Exit(run(fd))
}
