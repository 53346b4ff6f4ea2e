//go:build linux && cgo && seccomp

package hooks

import (
	"fmt"
	"strings"
	"testing"
)

// TestExecLateReport: the late stage (late.ExecLate, runc's loader)
// hands its listener to the agent, which answers the program's call with
// the profile's errno and reports it.
func TestExecLateReport(t *testing.T) {
	socket, events, logs, _ := startAgent(t, t.TempDir())
	cmd, out := startChild(t, "execlate", map[string]string{"SOCKET": socket, "META": `{"errnos":{"getppid":13}}`, "DIR": t.TempDir()})
	if err := waitChild(t, cmd); err != nil || !strings.HasPrefix(out.String(), "getppid: EACCES\n") {
		t.Fatalf("%v\n%s\nagent log:\n%s", err, out, logs)
	}
	waitFor(t, "the program to end", func() bool { return strings.Contains(logs.String(), "ended (1 call denied)") })
	evs := decodeEvents(t, events.String())
	if len(evs) != 1 {
		t.Fatalf("events:\n%s", events)
	}
	if ev := evs[0]; ev.Syscall != "getppid" || ev.Answer != "EACCES" || ev.Pid != cmd.Process.Pid || ev.Container != fmt.Sprintf("pid-%d", cmd.Process.Pid) {
		t.Errorf("event %+v", ev)
	}
}
