package hooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/oci-sbx/oci-sbx/internal/testutil"
	"github.com/oci-sbx/oci-sbx/oci/notify"
)

// startAgent serves an agent on a socket in a temporary directory until the
// test ends; stop stops it early and reports what Serve returned.
func startAgent(t *testing.T, roots ...string) (socket string, events, logs *testutil.SyncBuffer, stop func() error) {
	t.Helper()
	socket = filepath.Join(t.TempDir(), "agent.sock")
	l, err := notify.ListenSocket(socket)
	if err != nil {
		t.Fatal(err)
	}
	events, logs = &testutil.SyncBuffer{}, &testutil.SyncBuffer{}
	a := &Agent{Events: events, Log: func(msg string) { logs.Write([]byte(msg + "\n")) }, RuntimeRoots: roots}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, l) }()
	stopped := false
	var serveErr error
	stop = func() error {
		if !stopped {
			stopped = true
			cancel()
			select {
			case serveErr = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("the agent did not stop within 10 s")
			}
		}
		return serveErr
	}
	t.Cleanup(func() { stop() })
	return socket, events, logs, stop
}

// events decodes the agent's JSON lines.
func decodeEvents(t *testing.T, out string) []Event {
	t.Helper()
	var evs []Event
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if line == "" {
			continue
		}
		var ev Event
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&ev); err != nil {
			t.Fatalf("event %q: %v", line, err)
		}
		evs = append(evs, ev)
	}
	return evs
}

func TestAgentServesContainers(t *testing.T) {
	socket, events, logs, stop := startAgent(t)
	dir := t.TempDir()

	// Three containers at once, each with its own errnos. The second's
	// metadata is not oci-sbx's, so the agent answers EPERM.
	type run struct {
		id, meta       string
		getppid, mkdir string // what the child sees
	}
	runs := []run{
		{"c1", `{"errnos":{"getppid":13,"mkdirat":30}}`, "EACCES", "EROFS"},
		{"c2", `something else`, "EPERM", "EPERM"},
		{"c3", `{"errnos":{"getppid":13}}`, "EACCES", "EPERM"},
	}
	type started struct {
		run
		pid int
		out func() string
		err func() error
	}
	var all []started
	for _, r := range runs {
		cmd, out := startChild(t, "agent", map[string]string{"SOCKET": socket, "ID": r.id, "META": r.meta, "DIR": dir})
		all = append(all, started{r, cmd.Process.Pid, out.String, func() error { return waitChild(t, cmd) }})
	}
	for _, s := range all {
		if err := s.err(); err != nil {
			t.Fatalf("%s: %v\n%s", s.id, err, s.out())
		}
		want := "getppid: " + s.getppid + "\nmkdirat: " + s.mkdir + "\n"
		if got := s.out(); got != want {
			t.Errorf("%s saw:\n%swant:\n%s", s.id, got, want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "denied")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("mkdirat ran: %v", err)
	}

	waitFor(t, "three containers to end", func() bool { return strings.Count(logs.String(), "ended (2 calls denied)") == 3 })
	evs := decodeEvents(t, events.String())
	if len(evs) != 6 {
		t.Fatalf("%d events, want 6:\n%s", len(evs), events.String())
	}
	seen := map[string]bool{}
	for _, ev := range evs {
		var s *started
		for i := range all {
			if all[i].id == ev.Container {
				s = &all[i]
			}
		}
		if s == nil {
			t.Fatalf("event for unknown container %q", ev.Container)
		}
		seen[ev.Container+" "+ev.Syscall] = true
		if ev.Pid != s.pid || ev.Arch != notifyArch(t) || len(ev.Args) != 6 {
			t.Errorf("event %+v: want pid %d, arch %s, six args", ev, s.pid, notifyArch(t))
		}
		switch ev.Syscall {
		case "getppid":
			if ev.Answer != s.getppid || ev.Call != "getppid()" || ev.Path != "" {
				t.Errorf("event %+v, want getppid() answered %s", ev, s.getppid)
			}
		case "mkdirat":
			path := filepath.Join(dir, "denied")
			call := `mkdirat(AT_FDCWD, "` + path + `", 0755)`
			if ev.Answer != s.mkdir || ev.Call != call || ev.Path != path || ev.Args[0] != "0xffffffffffffff9c" {
				t.Errorf("event %+v, want %s answered %s", ev, call, s.mkdir)
			}
		default:
			t.Errorf("unexpected event %+v", ev)
		}
	}
	if len(seen) != 6 {
		t.Errorf("events for %d container calls, want 6: %v", len(seen), seen)
	}
	if !strings.Contains(logs.String(), "container c2: decoding listener metadata") {
		t.Errorf("no note about c2's metadata:\n%s", logs)
	}

	// Stopping removes the socket.
	if err := stop(); err != nil {
		t.Errorf("Serve: %v", err)
	}
	if _, err := os.Lstat(socket); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the socket is still there after the agent stopped: %v", err)
	}
}

// notifyArch is the architecture name the agent gives native calls.
func notifyArch(t *testing.T) string {
	d := notify.Data{Arch: testutil.NativeAudit}
	return d.ArchName()
}

func TestAgentSurvivesGarbage(t *testing.T) {
	socket, events, logs, _ := startAgent(t)
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	pipe, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(p[0]))
	if err != nil {
		t.Fatal(err)
	}
	good, err := json.Marshal(processState("garbage", 1, ""))
	if err != nil {
		t.Fatal(err)
	}
	noSeccompFd := processState("other-fds", 1, "")
	noSeccompFd.Fds = []string{"somethingElse"}
	other, _ := json.Marshal(noSeccompFd)
	for _, tc := range []struct {
		name string
		msg  []byte
		fds  []int
		log  string
	}{
		{"malformed JSON with a descriptor", []byte(`{"ociVersion": "1.0.0", "fds": [`), []int{p[0]}, "decoding the container process state"},
		{"not JSON at all", []byte("\x00\x01garbage"), nil, "decoding the container process state"},
		{"state without a descriptor", good, nil, "container garbage: the state lists 1 descriptor, the message carried 0"},
		{"a pipe instead of a listener", good, []int{p[0]}, "container garbage: checking descriptor"},
		{"two descriptors for one name", good, []int{p[0], p[1]}, "container garbage: the state lists 1 descriptor, the message carried 2"},
		{"no seccompFd", other, []int{p[0]}, `container other-fds: the state lists no "seccompFd"`},
	} {
		before := strings.Count(logs.String(), "\n")
		if err := sendRaw(socket, tc.msg, tc.fds...); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		waitFor(t, "the agent to log "+tc.name, func() bool { return strings.Count(logs.String(), "\n") > before })
		if !strings.Contains(logs.String(), tc.log) {
			t.Errorf("%s: log lacks %q:\n%s", tc.name, tc.log, logs)
		}
	}
	// A peer that connects and says nothing is not worth a log line.
	before := logs.String()
	if err := sendRaw(socket, nil); err != nil {
		t.Fatal(err)
	}
	unix.Close(p[0])
	unix.Close(p[1])
	// Every descriptor the agent received was closed: once this test has
	// closed its own, nothing in this process refers to the pipe.
	waitFor(t, "the agent to close the pipe it received", func() bool { return fdsTo(t, pipe) == 0 })
	if logs.String() != before {
		t.Errorf("an empty connection was logged:\n%s", strings.TrimPrefix(logs.String(), before))
	}

	// A container killed while its call waits, before the agent got its
	// listener: the agent sees the filter without tasks and ends it.
	cmd, out, fd := startListener(t)
	waitFor(t, "the child's call to wait for an answer", func() bool {
		pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, _ := unix.Poll(pfd, 0)
		return n == 1 && pfd[0].Revents&unix.POLLIN != 0
	})
	cmd.Process.Kill()
	waitChild(t, cmd)
	if strings.Contains(out.String(), "getppid") {
		t.Fatalf("the child's getppid returned: %s", out)
	}
	if err := sendState(socket, processState("killed", cmd.Process.Pid, ""), fd); err != nil {
		t.Fatal(err)
	}
	unix.Close(fd)
	waitFor(t, "the killed container to end", func() bool { return strings.Contains(logs.String(), "container killed: ended (0 calls denied)") })

	// After all that, a container is served as usual.
	dir := t.TempDir()
	cmd, out = startChild(t, "agent", map[string]string{"SOCKET": socket, "ID": "after", "META": `{"errnos":{"mkdirat":13}}`, "DIR": dir})
	if err := waitChild(t, cmd); err != nil || out.String() != "getppid: EPERM\nmkdirat: EACCES\n" {
		t.Fatalf("after garbage: %v\n%s", err, out)
	}
	waitFor(t, "two events", func() bool { return len(decodeEvents(t, events.String())) == 2 })
	for _, ev := range decodeEvents(t, events.String()) {
		if ev.Container != "after" {
			t.Errorf("event for %q", ev.Container)
		}
	}
}

// TestAgentLateHandover hands a listener over the way oci-sbx's late
// stage does: the agent takes it from the process with pidfd_getfd, and
// finds the container's id in runc's state.
func TestAgentLateHandover(t *testing.T) {
	root := t.TempDir()
	socket, events, logs, _ := startAgent(t, root)
	dir := t.TempDir()
	wait, release, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer release.Close()
	cmd, out := startChild(t, "late", map[string]string{"SOCKET": socket, "META": `{"errnos":{"getppid":13}}`, "DIR": dir, "WAIT": "1"}, wait)
	wait.Close()
	// What runc writes for the container whose init process this is.
	state := fmt.Sprintf(`{"id":"c-late","init_process_pid":%d,"created":"2026-01-01T00:00:00Z"}`, cmd.Process.Pid)
	for id, st := range map[string]string{"c-other": `{"id":"c-other","init_process_pid":1}`, "c-late": state, "c-broken": "{"} {
		if err := os.Mkdir(filepath.Join(root, id), 0o700); err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(root, id), "state.json", st)
	}
	if _, err := release.Write([]byte("\n")); err != nil {
		t.Fatal(err)
	}
	if err := waitChild(t, cmd); err != nil || out.String() != "getppid: EACCES\nmkdirat: EPERM\n" {
		t.Fatalf("%v\n%s", err, out)
	}
	waitFor(t, "the listener to end", func() bool { return strings.Contains(logs.String(), "container c-late: ended (2 calls denied)") })
	evs := decodeEvents(t, events.String())
	if len(evs) != 2 {
		t.Fatalf("events:\n%s", events)
	}
	for _, ev := range evs {
		if ev.Container != "c-late" || ev.Pid != cmd.Process.Pid {
			t.Errorf("event %+v, want container c-late, pid %d", ev, cmd.Process.Pid)
		}
	}

	// A late stage that names a descriptor that is not its listener is
	// refused, and learns it.
	conn, err := net.Dial("unix", socket)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	st := processState("", 1, "")
	st.Fds = []string{specs.SeccompFdName}
	st.State.Annotations = map[string]string{notify.AnnotationHandover: notify.HandoverLate}
	msg, _ := json.Marshal(st)
	conn.Write(append(msg, []byte("listener 0\n")...)) // our stdin
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	var ack [1]byte
	if n, _ := conn.Read(ack[:]); n != 0 {
		t.Errorf("the agent acknowledged descriptor 0: %q", ack[:n])
	}
	waitFor(t, "the refusal", func() bool { return strings.Contains(logs.String(), "late stage: checking descriptor") })
}

// TestAnswerDeadTask kills a task between receiving its notification and
// answering it: the answer says so, and reads nothing from a pid that may
// by now be another process's.
func TestAnswerDeadTask(t *testing.T) {
	cmd, _, fd := startListener(t)
	defer unix.Close(fd)

	n, err := notify.Recv(fd)
	if err != nil {
		t.Fatal(err)
	}
	if !notify.IDValid(fd, n.ID) {
		t.Fatal("the notification is not valid while the child waits")
	}
	cmd.Process.Kill()
	waitChild(t, cmd)
	a := &Agent{}
	ev, ok := answerNow(a, fd, n, "dead", nil)
	if ok || ev.Answer != AnswerGone || ev.Call != "" || ev.Syscall != "getppid" || ev.Pid != cmd.Process.Pid {
		t.Errorf("answer = %+v, %v; want getppid of pid %d, %q", ev, ok, cmd.Process.Pid, AnswerGone)
	}
	// The listener is still good: no task left, so it hangs up.
	pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	if _, err := unix.Poll(pfd, 1000); err != nil || pfd[0].Revents&unix.POLLHUP == 0 {
		t.Errorf("poll: %v, revents %#x, want POLLHUP", err, pfd[0].Revents)
	}
}

// TestAnswerInterruptedCall interrupts a waiting call with a signal: the
// kernel abandons the notification, the agent reports nothing, and the
// call, restarted after the handler, is answered as usual.
func TestAnswerInterruptedCall(t *testing.T) {
	cmd, out, fd := startListener(t)
	defer unix.Close(fd)

	n, err := notify.Recv(fd)
	if err != nil {
		t.Fatal(err)
	}
	// SIGURG: the Go runtime's preemption signal, handled with
	// SA_RESTART, so the call starts again.
	if err := unix.Tgkill(cmd.Process.Pid, int(n.Pid), unix.SIGURG); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the notification to be abandoned", func() bool { return !notify.IDValid(fd, n.ID) })
	a := &Agent{}
	if ev, ok := answerNow(a, fd, n, "c", nil); ok || ev.Answer != "" {
		t.Errorf("answer to an interrupted call = %+v, %v; want no answer", ev, ok)
	}
	for _, want := range []string{"getppid", "mkdirat"} {
		for {
			n, err := notify.Recv(fd)
			if err != nil {
				t.Fatal(err)
			}
			ev, ok := answerNow(a, fd, n, "c", nil)
			if ev.Answer == "" {
				continue // interrupted again, by the runtime this time
			}
			if !ok || ev.Syscall != want || ev.Answer != "EPERM" {
				t.Errorf("answer = %+v, %v; want %s denied with EPERM", ev, ok, want)
			}
			break
		}
	}
	if err := waitChild(t, cmd); err != nil || out.String() != "getppid: EPERM\nmkdirat: EPERM\n" {
		t.Errorf("%v: %s", err, out)
	}
}

// answerNow answers one notification as the agent's loop does, and
// returns the event and whether the answer arrived.
func answerNow(a *Agent, fd int, n *notify.Notif, id string, meta *Metadata) (Event, bool) {
	ans, ev := a.answer(fd, n, id, meta)
	err := notify.Respond(fd, n.ID, ans)
	return *ev, err == nil
}

// startListener starts a child in mode "parent", which hands this test its
// listener and then calls getppid, and returns the listener.
func startListener(t *testing.T) (*exec.Cmd, *strings.Builder, int) {
	t.Helper()
	sp, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	theirs := os.NewFile(uintptr(sp[1]), "child")
	cmd, out := startChild(t, "parent", map[string]string{"DIR": t.TempDir()}, theirs)
	theirs.Close()
	defer unix.Close(sp[0])
	return cmd, out, recvFd(t, sp[0])
}

// recvFd receives one descriptor from a child over a socketpair.
func recvFd(t *testing.T, sock int) int {
	t.Helper()
	buf, oob := make([]byte, 16), make([]byte, unix.CmsgSpace(4))
	if err := unix.SetNonblock(sock, false); err != nil {
		t.Fatal(err)
	}
	tv := unix.Timeval{Sec: 20}
	if err := unix.SetsockoptTimeval(sock, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		t.Fatal(err)
	}
	_, oobn, _, _, err := unix.Recvmsg(sock, buf, oob, unix.MSG_CMSG_CLOEXEC)
	if err != nil {
		t.Fatalf("receiving the listener from the child: %v", err)
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		t.Fatalf("receiving the listener from the child: %v, %d messages", err, len(msgs))
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		t.Fatalf("receiving the listener from the child: %v, %d fds", err, len(fds))
	}
	return fds[0]
}

func TestEventFormat(t *testing.T) {
	// Numbers are hex strings: exact for any reader.
	ev := Event{Container: "c", Pid: 7, Arch: "x86_64", Syscall: "openat", Args: []string{"0xffffffffffffff9c", "0x1"},
		Call: `openat(AT_FDCWD, "/a<b>", O_RDONLY)`, Path: "/a<b>", Answer: "EPERM"}
	var b testutil.SyncBuffer
	(&Agent{Events: &b}).emit(ev)
	want := `{"container":"c","pid":7,"arch":"x86_64","syscall":"openat","args":["0xffffffffffffff9c","0x1"],"call":"openat(AT_FDCWD, \"/a<b>\", O_RDONLY)","path":"/a<b>","answer":"EPERM"}` + "\n"
	if b.String() != want {
		t.Errorf("got  %s\nwant %s", b.String(), want)
	}
}

// An event the agent cannot write is logged, and the agent goes on.
func TestEventWriteFails(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	w.Close()
	var logs testutil.SyncBuffer
	a := &Agent{Events: w, Log: func(msg string) { logs.Write([]byte(msg + "\n")) }}
	done := make(chan struct{})
	go func() { a.emit(Event{Container: "c", Syscall: "openat", Answer: "EPERM"}); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("emit did not return")
	}
	if !strings.Contains(logs.String(), "writing an event: ") {
		t.Errorf("log %q does not say the event was not written", logs.String())
	}
}

// The agent makes a missing agents directory, root's alone to write, so
// that the hook and the NRI plugin accept the socket in it.
func TestAgentMakesItsDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "agents")
	socket := filepath.Join(dir, "agent.sock")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- (&Agent{Events: &testutil.SyncBuffer{}}).ListenAndServe(ctx, socket) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if fi, err := os.Stat(socket); err == nil && fi.Mode().Type() == os.ModeSocket {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no socket")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if path, err := AgentSocket(dir, "agent.sock"); err != nil || path != socket {
		t.Errorf("AgentSocket: %q, %v", path, err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Error(err)
	}
}
