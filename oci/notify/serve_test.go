package notify

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/oci-sbx/oci-sbx/convert/syscalls"
	"github.com/oci-sbx/oci-sbx/internal/testutil"
)

// childEnv makes the test binary a child that loads a filter notifying
// getppid (the filter is never loaded in the test process), prints its
// listener's number, waits for a line on stdin and then calls getppid
// $CALLS times, printing each result.
const childEnv = "NOTIFY_TEST_CHILD"

func TestMain(m *testing.M) {
	if _, ok := os.LookupEnv(childEnv); ok {
		if err := child(); err != nil {
			fmt.Println("child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func child() error {
	runtime.LockOSThread()
	fd, err := testutil.LoadNotifyFilter(unix.SYS_GETPPID)
	if err != nil {
		return err
	}
	fmt.Printf("fd %d\n", fd)
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		return err
	}
	unix.Close(fd)
	calls, _ := strconv.Atoi(os.Getenv("CALLS"))
	for range calls {
		r, _, e := unix.RawSyscall(unix.SYS_GETPPID, 0, 0, 0)
		fmt.Printf("getppid: %d %s\n", int(r), unix.ErrnoName(e))
	}
	return nil
}

// startChild starts a child and takes its listener with pidfd_getfd; the
// child makes its calls once go is written to.
func startChild(t *testing.T, calls int) (cmd *exec.Cmd, listener int, out *bufio.Reader, goOn io.WriteCloser) {
	t.Helper()
	cmd = exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1", "CALLS="+strconv.Itoa(calls))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if goOn, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	out = bufio.NewReader(stdout)
	line, err := out.ReadString('\n')
	n, perr := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "fd ")))
	if err != nil || perr != nil {
		t.Fatalf("the child said %q: %v", line, err)
	}
	pidfd, err := unix.PidfdOpen(cmd.Process.Pid, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(pidfd)
	if listener, err = unix.PidfdGetfd(pidfd, n, 0); err != nil {
		testutil.Missing(t, "taking the child's listener with pidfd_getfd: %v", err)
	}
	t.Cleanup(func() { unix.Close(listener) })
	return cmd, listener, out, goOn
}

// TestServe answers three calls three ways, and ends when the child does.
func TestServe(t *testing.T) {
	cmd, fd, out, goOn := startChild(t, 3)
	answers := []Answer{{Errno: unix.EACCES}, {}, {Continue: true}}
	var seen []string
	var dones []error
	i := 0
	decide := func(n *Notif) Answer {
		seen = append(seen, fmt.Sprintf("%s %s", n.Data.ArchName(), n.Data.SyscallName()))
		if int(n.Pid) != cmd.Process.Pid {
			t.Errorf("notification from pid %d, want %d", n.Pid, cmd.Process.Pid)
		}
		a := answers[i%len(answers)]
		i++
		a.Done = func(err error) { dones = append(dones, err) }
		return a
	}
	done := make(chan error, 1)
	go func() { done <- Serve(context.Background(), fd, decide) }()
	goOn.Write([]byte("\n"))
	var got []string
	for range answers {
		line, err := out.ReadString('\n')
		if err != nil {
			t.Fatalf("%v after %q", err, got)
		}
		got = append(got, strings.TrimSpace(line))
	}
	want := []string{
		"getppid: -1 EACCES",                    // as answered
		"getppid: -1 EPERM",                     // an answer of nothing denies
		fmt.Sprintf("getppid: %d", os.Getpid()), // continue: the call ran
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("the child saw\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Serve did not return once the child exited")
	}
	if len(seen) != 3 || seen[0] != syscalls.NativeArch()+" getppid" || len(dones) != 3 || dones[0] != nil || dones[2] != nil {
		t.Errorf("decide saw %q, Done got %v", seen, dones)
	}
}

// TestServeStops: Serve returns when its context is done, while the
// child still holds the filter.
func TestServeStops(t *testing.T) {
	_, fd, _, _ := startChild(t, 0)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, fd, func(*Notif) Answer { return Answer{} }) }()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return when its context was done")
	}
	// Done before it starts: it returns at once.
	if err := Serve(ctx, fd, nil); err != nil {
		t.Errorf("Serve with a done context: %v", err)
	}
	if err := Serve(context.Background(), -1, nil); err == nil || errors.Is(err, unix.ENOENT) {
		t.Errorf("Serve on a closed descriptor: %v", err)
	}
}
