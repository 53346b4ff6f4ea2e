//go:build e2e

package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/oci-sbx/oci-sbx/hooks"
	"github.com/oci-sbx/oci-sbx/internal/testutil"
)

// hooksEnv is what the hook tests share: one static oci-sbx, which is
// Podman's precreate hook, the late stage it binds into containers and
// the agent; the hooks directory that registers it; an image with the
// suspicious app; and a running agent.
type hooksEnv struct {
	podman, runc string
	oci          string // static, with seccomp support
	app          string
	calls        string // the calls program, /calls in the image
	hooksDir     string
	profiles     string // the hook reads profiles beneath it
	image        string
	unique       string
	agent        *agentProc
}

func TestHooks(t *testing.T) {
	testutil.RequireRoot(t)
	podman := requireTool(t, "podman")
	runc := requireTool(t, "runc")

	dir := t.TempDir()
	env := hooksEnv{
		podman:   podman,
		runc:     runc,
		oci:      filepath.Join(dir, "oci-sbx"),
		app:      filepath.Join(dir, "suspicious-app"),
		calls:    filepath.Join(dir, "calls"),
		hooksDir: filepath.Join(dir, "hooks.d"),
		profiles: filepath.Join(dir, "profiles"),
		unique:   fmt.Sprintf("%d-%d", os.Getpid(), time.Now().UnixNano()),
	}
	// Static: the same binary runs as the late stage inside containers.
	buildStatic(t, env.oci)
	goBuild(t, env.app, false, "./testdata/suspicious-app")
	goBuild(t, env.calls, false, "./e2e/testdata/calls")
	for _, d := range []string{env.hooksDir, env.profiles} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	demo, err := os.ReadFile(filepath.Join(testutil.Root(t), "testdata", "demo.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(env.profiles, "demo.yaml"), demo, 0o644); err != nil {
		t.Fatal(err)
	}
	agents := filepath.Join(dir, "agents")
	if err := os.Mkdir(agents, 0o755); err != nil {
		t.Fatal(err)
	}
	if code, out, stderr := runCmd(t, env.oci, "hook", "config", "--dir", env.hooksDir, "--profiles", env.profiles, "--agents", agents); code != 0 {
		t.Fatalf("oci-sbx hook config: exit %d\n%s%s", code, out, stderr)
	}
	env.image = podmanImport(t, podman, dir, env.app, "localhost/oci-sbx-e2e-hooks:"+env.unique, env.calls)
	env.agent = startAgentProc(t, env.oci, filepath.Join(agents, "agent.sock"))

	t.Run("podman-without-annotation", func(t *testing.T) { testHookUnannotated(t, env) })
	t.Run("podman-rules", func(t *testing.T) { testHookRules(t, env) })
	t.Run("podman-demo-late-stage", func(t *testing.T) { testHookDemo(t, env) })
	t.Run("podman-invalid-rules", func(t *testing.T) { testHookInvalid(t, env) })
	t.Run("podman-report", func(t *testing.T) { testHookReport(t, env) })
	t.Run("podman-engine-profile", func(t *testing.T) { testHookEngineProfile(t, env) })
	t.Run("podman-exec", func(t *testing.T) { testHookExec(t, env) })
	t.Run("podman-engine-conditions", func(t *testing.T) { testHookEngineConditions(t, env) })
	t.Run("podman-refused", func(t *testing.T) { testHookRefused(t, env) })
	t.Run("podman-rules-extend", func(t *testing.T) { testHookRulesExtend(t, env) })
	t.Run("log-planted", func(t *testing.T) { testHookLogPlanted(t, env) })
	t.Run("runc-report", func(t *testing.T) { testRuncReport(t, env) })
	t.Run("runc-report-no-late-stage", func(t *testing.T) { testRuncReportEarly(t, env) })
	t.Run("exec-bundle-report", func(t *testing.T) { testExecBundleReport(t, env) })
	t.Run("agent-stops", func(t *testing.T) { env.agent.stop(t) })
}

// run starts the app in a container through Podman with the hooks
// directory, --security-opt seccomp=unconfined (so that whatever confines
// the container is oci-sbx's doing) and the annotations given.
func (env hooksEnv) run(t *testing.T, annotations map[string]string, appArgs ...string) (code int, output string) {
	t.Helper()
	return env.runWith(t, annotations, []string{"--security-opt", "seccomp=unconfined"}, append([]string{"/suspicious-app"}, appArgs...)...)
}

// runWith starts a container through Podman with the hooks directory, the
// annotations, the options and the command given.
func (env hooksEnv) runWith(t *testing.T, annotations map[string]string, options []string, command ...string) (code int, output string) {
	t.Helper()
	name := "oci-sbx-e2e-" + env.unique + "-" + strings.ReplaceAll(t.Name(), "/", "-")
	t.Cleanup(func() { runCmd(t, env.podman, "rm", "--force", "--ignore", name) })
	var args []string
	for k, v := range annotations {
		// Podman reads the option as CSV: quoted, the value may hold
		// newlines, commas and quotes.
		args = append(args, "--annotation", `"`+strings.ReplaceAll(k+"="+v, `"`, `""`)+`"`)
	}
	args = append(append(args, options...), env.image)
	args = append(args, command...)
	start := time.Now()
	code, stdout, stderr := runCmd(t, env.podman, append([]string{"--hooks-dir", env.hooksDir}, podmanArgs(name, args...)...)...)
	output = fmt.Sprintf("podman run %v: exit status %d after %v\nstdout:\n%s\nstderr:\n%s",
		annotations, code, time.Since(start).Round(time.Millisecond), stdout, stderr)
	t.Log(output)
	return code, output
}

// The control: the hook is registered, but a container without the
// annotations is left alone, and with seccomp=unconfined it has no filter.
func testHookUnannotated(t *testing.T, env hooksEnv) {
	code, output := env.run(t, nil, "-status")
	if code != 0 {
		t.Fatalf("exit status %d", code)
	}
	if !strings.Contains(output, "status: pid 1: Seccomp: 0\n") {
		t.Error("the container's process is filtered, or the app is not pid 1")
	}
	checkActivities(t, output, map[string]bool{"read_file": true, "count_processes": true, "access_network": true}, "Summary: 3 succeed, 0 failed")
}

// Inline rules that runc can start with go into linux.seccomp.
func testHookRules(t *testing.T, env hooksEnv) {
	rules := "default: allow\nrules:\n  - action: errno(ECONNREFUSED)\n    syscalls: [connect]\n"
	code, output := env.run(t, map[string]string{hooks.AnnotationRules: rules}, "-status")
	if code != 0 {
		t.Fatalf("exit status %d", code)
	}
	if !strings.Contains(output, "status: pid 1: Seccomp: 2\n") {
		t.Error("the container's process (pid 1) is not under a seccomp filter")
	}
	checkActivities(t, output, map[string]bool{"read_file": true, "count_processes": true, "access_network": false}, "Summary: 2 succeed, 1 failed")
	// The errno of the rules, not Podman's default EPERM.
	if !strings.Contains(output, "connect: connection refused") {
		t.Error("connect did not fail with ECONNREFUSED")
	}
}

// The demo's profile file denies openat, which runc needs after loading
// the filter: the hook applies it in a late stage, and every activity
// fails.
func testHookDemo(t *testing.T, env hooksEnv) {
	const demo = "demo.yaml" // beneath the profiles directory
	code, output := env.run(t, map[string]string{hooks.AnnotationProfile: demo})
	if code != 0 {
		t.Fatalf("exit status %d", code)
	}
	checkDemoDenied(t, output)
}

// A profile with a mistake: Podman does not create the container. It
// discards the hook's standard error and says only that the hook failed;
// the hook's log says why.
func testHookInvalid(t *testing.T, env hooksEnv) {
	const log = "/run/oci-sbx/precreate.log" // the hook's default
	before := logMark(log)
	rules := "default: allow\nrules:\n  - action: errno(EPERM)\n    syscalls: [opnat]\n"
	code, output := env.run(t, map[string]string{hooks.AnnotationRules: rules})
	if code == 0 {
		t.Fatal("the container ran")
	}
	if strings.Contains(output, "Summary:") {
		t.Error("the app ran")
	}
	if !strings.Contains(output, "oci-sbx hook precreate") {
		t.Error("Podman does not say that the hook failed")
	}
	want := `oci-sbx: hook precreate: annotation io.oci-sbx.rules: io.oci-sbx.rules:4:16: unknown syscall "opnat": did you mean "openat"?`
	if got := logSince(t, log, before); !strings.Contains(got, want) {
		t.Errorf("the hook's log lacks %q:\n%s", want, got)
	}
}

// The demo reported: the late stage hands its listener to the agent,
// which prints the denied openat and connect; the app still sees EPERM.
func testHookReport(t *testing.T, env hooksEnv) {
	demo := filepath.Join(env.profiles, "demo.yaml") // absolute, inside the directory
	mark := env.agent.mark()
	code, output := env.run(t, map[string]string{hooks.AnnotationProfile: demo, hooks.AnnotationReport: env.agent.socket})
	if code != 0 {
		t.Fatalf("exit status %d", code)
	}
	checkActivities(t, output, nil, "Summary: 0 succeed, 3 failed")
	if !strings.Contains(output, "open /etc/passwd: operation not permitted") || !strings.Contains(output, "connect: operation not permitted") {
		t.Error("the app did not see EPERM")
	}
	env.agent.expect(t, mark, []eventWant{
		{"openat", `^openat\(AT_FDCWD, "/etc/passwd", O_RDONLY\|O_CLOEXEC\)$`, "/etc/passwd", "EPERM"},
		{"openat", `^openat\(AT_FDCWD, "/proc", O_RDONLY\|O_DIRECTORY\|O_CLOEXEC\)$`, "/proc", "EPERM"},
		{"connect", `^connect\(\d+, \{AF_INET 127\.0\.0\.1:\d+\}, 16\)$`, "", "EPERM"},
	})
}

// runc, with a bundle patched to report to the agent: the demo needs the
// late stage here too, which hands its listener over.
func testRuncReport(t *testing.T, env hooksEnv) {
	demo := filepath.Join(testutil.Root(t), "testdata", "demo.yaml")
	output := env.runcPatched(t, demo)
	checkActivities(t, output, nil, "Summary: 0 succeed, 3 failed")
	if !strings.Contains(output, "open /etc/passwd: operation not permitted") || !strings.Contains(output, "connect: operation not permitted") {
		t.Error("the app did not see EPERM")
	}
}

// A profile runc can start with: runc itself hands the listener over.
func testRuncReportEarly(t *testing.T, env hooksEnv) {
	rules := filepath.Join(t.TempDir(), "deny-connect.yaml")
	if err := os.WriteFile(rules, []byte("default: allow\nrules:\n  - action: errno(ECONNREFUSED)\n    syscalls: [connect]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	output := env.runcPatched(t, rules, eventWant{"connect", `^connect\(\d+, \{AF_INET 127\.0\.0\.1:\d+\}, 16\)$`, "", "ECONNREFUSED"})
	checkActivities(t, output, map[string]bool{"read_file": true, "count_processes": true}, "Summary: 2 succeed, 1 failed")
	if !strings.Contains(output, "connect: connection refused") {
		t.Error("the app did not see ECONNREFUSED")
	}
}

// runcPatched runs the app with runc in a bundle patched with the profile
// and --report-to the agent, and checks the agent's events: by default the
// demo's denials.
func (env hooksEnv) runcPatched(t *testing.T, profile string, wants ...eventWant) string {
	t.Helper()
	dir := t.TempDir()
	rootfs := filepath.Join(dir, "rootfs")
	app, err := os.ReadFile(env.app)
	if err != nil {
		t.Fatal(err)
	}
	writeRootfs(t, rootfs, map[string][]byte{"suspicious-app": app})
	bundle := filepath.Join(dir, "bundle")
	runcBundle(t, env.runc, bundle, rootfs, []string{"/suspicious-app"})
	code, out, stderr := runCmd(t, env.oci, "patch", "--profile", profile, "--report-to", env.agent.socket, bundle)
	t.Logf("oci-sbx patch: exit %d\n%s%s", code, out, stderr)
	if code != 0 {
		t.Fatalf("oci-sbx patch --report-to: exit status %d", code)
	}
	mark := env.agent.mark()
	code, output, timedOut := runcRun(t, env.runc, bundle, time.Minute)
	t.Logf("runc run: exit %d\n%s", code, output)
	if timedOut || code != 0 {
		t.Fatalf("runc run: exit status %d (timed out: %v)", code, timedOut)
	}
	if len(wants) == 0 {
		wants = []eventWant{
			{"openat", `^openat\(AT_FDCWD, "/etc/passwd", O_RDONLY\|O_CLOEXEC\)$`, "/etc/passwd", "EPERM"},
			{"connect", `^connect\(\d+, \{AF_INET 127\.0\.0\.1:\d+\}, 16\)$`, "", "EPERM"},
		}
	}
	env.agent.expect(t, mark, wants)
	return output
}

// agentProc is `oci-sbx agent` running as its own process.
type agentProc struct {
	cmd    *exec.Cmd
	socket string
	out    testutil.SyncBuffer // events
	errOut testutil.SyncBuffer // log
	done   chan error
}

func startAgentProc(t *testing.T, oci, socket string) *agentProc {
	t.Helper()
	a := &agentProc{socket: socket, done: make(chan error, 1)}
	a.cmd = exec.Command(oci, "agent", "--socket", socket)
	a.cmd.Stdout, a.cmd.Stderr = &a.out, &a.errOut
	if err := a.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { a.done <- a.cmd.Wait() }()
	t.Cleanup(func() {
		_ = a.cmd.Process.Kill()
		<-a.done
		t.Logf("agent events:\n%s\nagent log:\n%s", a.out.String(), a.errOut.String())
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		if fi, err := os.Stat(socket); err == nil && fi.Mode().Type() == os.ModeSocket {
			return a
		}
		if time.Now().After(deadline) {
			t.Fatal("the agent made no socket within 10 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// mark is where the events of the next container start.
func (a *agentProc) mark() int {
	return len(a.out.String())
}

type eventWant struct{ syscall, call, path, answer string }

// expect waits until the agent printed, after mark, an event for each
// want, all of one container, which the agent found the id of.
func (a *agentProc) expect(t *testing.T, mark int, wants []eventWant) {
	t.Helper()
	a.expectFrom(t, mark, wants, true)
}

// expectFrom is expect; a process that is no container (exec --bundle on
// the host) has no id but its pid, and wantID is false.
func (a *agentProc) expectFrom(t *testing.T, mark int, wants []eventWant, wantID bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		out := a.out.String()[mark:]
		var evs []hooks.Event
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			var ev hooks.Event
			if line != "" && json.Unmarshal([]byte(line), &ev) == nil {
				evs = append(evs, ev)
			}
		}
		missing := []string{}
		container := ""
		for _, w := range wants {
			found := false
			for _, ev := range evs {
				if ev.Syscall == w.syscall && regexp.MustCompile(w.call).MatchString(ev.Call) && ev.Path == w.path && ev.Answer == w.answer && ev.Pid > 0 {
					found = true
					if container == "" {
						container = ev.Container
					} else if ev.Container != container {
						t.Errorf("events of one run name containers %q and %q", container, ev.Container)
					}
				}
			}
			if !found {
				missing = append(missing, w.call)
			}
		}
		if len(missing) == 0 {
			if wantID && strings.HasPrefix(container, "pid-") {
				t.Errorf("the agent did not find the container's id: %q", container)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the agent printed no event matching %q; it printed:\n%s", missing, out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop sends SIGTERM: the agent exits 0 and removes its socket.
func (a *agentProc) stop(t *testing.T) {
	if err := a.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-a.done:
		a.done <- err // for the cleanup
		if err != nil {
			t.Errorf("the agent ended with %v after SIGTERM, want exit status 0", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the agent did not stop within 10 s of SIGTERM")
	}
	if _, err := os.Lstat(a.socket); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the socket is left after SIGTERM: %v", err)
	}
}

// oci-sbx exec --bundle of a bundle patched with a late stage that
// reports runs both stages on the host, as runc would, and the late
// stage reports to the agent's socket the bundle binds into the container.
func testExecBundleReport(t *testing.T, env hooksEnv) {
	dir := t.TempDir()
	bundle := filepath.Join(dir, "bundle")
	// On the host: the app by its host path.
	runcBundle(t, env.runc, bundle, filepath.Join(dir, "rootfs"), []string{env.app})
	demo := filepath.Join(testutil.Root(t), "testdata", "demo.yaml")
	if code, out, stderr := runCmd(t, env.oci, "patch", "--profile", demo, "--report-to", env.agent.socket, bundle); code != 0 {
		t.Fatalf("oci-sbx patch --report-to: exit status %d\n%s%s", code, out, stderr)
	}
	mark := env.agent.mark()
	code, out, stderr := runCmd(t, env.oci, "exec", "--bundle", bundle)
	if code != 0 {
		t.Fatalf("oci-sbx exec --bundle: exit status %d\n%s%s", code, out, stderr)
	}
	checkDemoDenied(t, out)
	env.agent.expectFrom(t, mark, []eventWant{
		{"openat", `^openat\(AT_FDCWD, "/etc/passwd", O_RDONLY\|O_CLOEXEC\)$`, "/etc/passwd", "EPERM"},
		{"connect", `^connect\(\d+, \{AF_INET 127\.0\.0\.1:\d+\}, 16\)$`, "", "EPERM"},
	}, false)

	// Its agent gone, the late stage fails as itself (126), not as a
	// command not found (127).
	gone := startAgentProc(t, env.oci, filepath.Join(dir, "gone.sock"))
	if code, out, stderr := runCmd(t, env.oci, "patch", "--profile", demo, "--report-to", gone.socket, bundle); code != 0 {
		t.Fatalf("oci-sbx patch --report-to: exit status %d\n%s%s", code, out, stderr)
	}
	gone.stop(t)
	code, out, stderr = runCmd(t, env.oci, "exec", "--bundle", bundle)
	if code != 126 || !strings.Contains(stderr, "late stage") || strings.Contains(out, "Summary") {
		t.Errorf("exec --bundle with its agent gone: exit status %d, want 126\n%s%s", code, out, stderr)
	}
}
