//go:build linux && cgo && seccomp

package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/oci-sbx/oci-sbx/hooks"
)

// lateAgentEnv makes the test binary call ExecLate with a profile that
// reports getppid to the agent on the socket it names, before any test
// runs; the filter is loaded only in that child.
const lateAgentEnv = "SANDBOX_TEST_LATE_AGENT"

func init() {
	socket, ok := os.LookupEnv(lateAgentEnv)
	if !ok {
		return
	}
	os.Unsetenv(lateAgentEnv)
	s := &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Flags:         []specs.LinuxSeccompFlag{},
		ListenerPath:  socket,
		// What hooks.ReportTo writes for errno(EACCES).
		ListenerMetadata: `{"errnos":{"getppid":13}}`,
		Syscalls:         []specs.LinuxSyscall{{Names: []string{"getppid"}, Action: specs.ActNotify}},
	}
	err := ExecLate(s, []string{os.Args[0]}, append(os.Environ(), helperEnv+"=syscalls",
		fmt.Sprintf("SANDBOX_TEST_NRS=%d", unix.SYS_GETPPID)))
	fmt.Println("ExecLate:", err)
	os.Exit(3)
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// ExecLate with a listenerPath hands the listener to the agent, which
// answers the program's call with the profile's errno and reports it.
func TestExecLateReport(t *testing.T) {
	socket := filepath.Join(t.TempDir(), "agent.sock")
	l, err := hooks.Listen(socket)
	if err != nil {
		t.Fatal(err)
	}
	var events, logs lockedBuffer
	a := &hooks.Agent{Events: &events, Log: func(m string) { logs.Write([]byte(m + "\n")) }, RuntimeRoots: []string{}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, l) }()
	defer func() { cancel(); <-done }()

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), lateAgentEnv+"="+socket)
	out, err := cmd.Output()
	if want := fmt.Sprintf("%d errno=%d\n", unix.SYS_GETPPID, unix.EACCES); err != nil || string(out) != want {
		t.Fatalf("%v, output %q, want %q\nagent log:\n%s", err, out, want, logs.String())
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), "ended (1 call denied)") {
		if time.Now().After(deadline) {
			t.Fatalf("the agent did not see the program end:\n%s", logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	var ev hooks.Event
	if err := json.Unmarshal([]byte(events.String()), &ev); err != nil {
		t.Fatalf("%v: %q", err, events.String())
	}
	if ev.Syscall != "getppid" || ev.Answer != "EACCES" || ev.Pid != cmd.Process.Pid || ev.Container != fmt.Sprintf("pid-%d", cmd.Process.Pid) {
		t.Errorf("event %+v", ev)
	}
}
