package hooks

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/oci-sbx/oci-sbx/internal/testutil"
	"github.com/oci-sbx/oci-sbx/oci/late"
	"github.com/oci-sbx/oci-sbx/oci/notify"
)

// Filters are loaded only in children: the test binary started again with
// childEnv set. A child loads a real filter with seccomp(2) whose notify
// rules cover getppid and mkdirat, and hands the listener over the way runc
// does (or to its parent), then makes the calls.
const childEnv = "HOOKS_TEST_CHILD"

func TestMain(m *testing.M) {
	if mode, ok := os.LookupEnv(childEnv); ok {
		if err := child(mode); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// sendState connects to socket and sends a ContainerProcessState with fds,
// as runc does.
func sendState(socket string, st *specs.ContainerProcessState, fds ...int) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return sendRaw(socket, b, fds...)
}

func sendRaw(socket string, msg []byte, fds ...int) error {
	conn, err := net.Dial("unix", socket)
	if err != nil {
		return err
	}
	defer conn.Close()
	var oob []byte
	if len(fds) > 0 {
		oob = unix.UnixRights(fds...)
	}
	_, _, err = conn.(*net.UnixConn).WriteMsgUnix(msg, oob, nil)
	return err
}

func processState(id string, pid int, metadata string) *specs.ContainerProcessState {
	return &specs.ContainerProcessState{
		Version:  specs.Version,
		Fds:      []string{specs.SeccompFdName},
		Pid:      pid,
		Metadata: metadata,
		State:    specs.State{Version: specs.Version, ID: id, Status: specs.StateCreating, Pid: pid},
	}
}

// child is what a test child does; its arguments come in environment
// variables, its results go to standard output, one line per call.
//
//	agent:  hand the listener to the agent at $SOCKET as container $ID with
//	        metadata $META, then call getppid and mkdirat($DIR/denied)
//	parent: hand the listener to the parent over descriptor 3, then call
//	        getppid, which blocks until someone answers
//	late:   as agent, but hand the listener over the way oci-sbx's late
//	        stage does
//	execlate: load with runc's loader (late.ExecLate) a profile that
//	        notifies getppid to the agent at $SOCKET with metadata $META,
//	        and exec this binary in mode calls
//	calls:  only make the calls
//
// With $WAIT set, the child first waits for a byte on descriptor 3.
func child(mode string) error {
	if os.Getenv("WAIT") != "" {
		// Until the test is ready for this process.
		if _, err := os.NewFile(3, "wait").Read(make([]byte, 1)); err != nil {
			return err
		}
	}
	switch mode {
	case "execlate":
		// runc's loader, as oci-sbx's late stage uses it: notify getppid
		// to the agent at $SOCKET, then exec this binary in mode calls.
		s := &specs.LinuxSeccomp{
			DefaultAction: specs.ActAllow, Flags: []specs.LinuxSeccompFlag{},
			ListenerPath: os.Getenv("SOCKET"), ListenerMetadata: os.Getenv("META"),
			Syscalls: []specs.LinuxSyscall{{Names: []string{"getppid"}, Action: specs.ActNotify}},
		}
		env := append(slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, childEnv+"=") }), childEnv+"=calls")
		return late.ExecLate(s, []string{os.Args[0]}, env)
	case "calls":
		return makeCalls()
	}
	runtime.LockOSThread() // the filter covers this thread only
	fd, err := testutil.LoadNotifyFilter(unix.SYS_GETPPID, unix.SYS_MKDIRAT)
	if err != nil {
		return err
	}
	switch mode {
	case "late":
		h, err := notify.DialAgent(os.Getenv("SOCKET"), &specs.ContainerProcessState{Version: specs.Version, Pid: 1, Metadata: os.Getenv("META")})
		if err != nil {
			return err
		}
		if err := h.Send(fd); err != nil {
			return err
		}
		h.Close()
	case "agent":
		st := processState(os.Getenv("ID"), os.Getpid(), os.Getenv("META"))
		if err := sendState(os.Getenv("SOCKET"), st, fd); err != nil {
			return err
		}
	case "parent":
		sock := os.NewFile(3, "parent")
		if err := unix.Sendmsg(int(sock.Fd()), []byte("fd"), unix.UnixRights(fd), nil, 0); err != nil {
			return err
		}
		sock.Close()
	default:
		return fmt.Errorf("unknown mode %q", mode)
	}
	unix.Close(fd)
	return makeCalls()
}

// makeCalls makes the calls a child's filter notifies and prints how each
// ended.
func makeCalls() error {
	_, _, e := unix.Syscall(unix.SYS_GETPPID, 0, 0, 0)
	fmt.Printf("getppid: %s\n", errnoText(e))
	path, err := unix.BytePtrFromString(os.Getenv("DIR") + "/denied")
	if err != nil {
		return err
	}
	_, _, e = unix.Syscall6(unix.SYS_MKDIRAT, atFdcwd, uintptr(unsafe.Pointer(path)), 0o755, 0, 0, 0)
	fmt.Printf("mkdirat: %s\n", errnoText(e))
	return nil
}

// atFdcwd is AT_FDCWD (-100) as a syscall argument.
var atFdcwd = ^uintptr(-unix.AT_FDCWD - 1)

func errnoText(e syscall.Errno) string {
	if e == 0 {
		return "ok"
	}
	return unix.ErrnoName(e)
}

// startChild starts a child in the given mode with the environment given.
func startChild(t *testing.T, mode string, env map[string]string, extra ...*os.File) (*exec.Cmd, *strings.Builder) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+mode)
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.ExtraFiles = extra
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return cmd, &out
}

// waitChild waits at most 20 s for a child.
func waitChild(t *testing.T, cmd *exec.Cmd) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		<-done
		return errors.New("timed out")
	}
}

// fdsTo counts this process's descriptors that refer to target, as
// /proc/self/fd shows it ("pipe:[1234]").
func fdsTo(t *testing.T, target string) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if link, _ := os.Readlink("/proc/self/fd/" + e.Name()); link == target {
			n++
		}
	}
	return n
}

// waitFor polls cond for at most 20 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
