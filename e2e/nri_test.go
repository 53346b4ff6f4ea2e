//go:build e2e

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert"
	"github.com/oci-sbx/oci-sbx/internal/testutil"
)

// nriPlugin is `oci-sbx nri` registered with the node's containerd.
type nriPlugin struct {
	cmd      *exec.Cmd
	profiles string // the --profiles directory
	records  string // the --records directory
	agents   string // the --agents directory
	late     string // the --late-dir directory
	log      testutil.SyncBuffer
	done     chan error
	stopOnce sync.Once
}

// startNRI starts the plugin with the profiles given (name → content) in
// its profiles directory; it is stopped when the test ends.
func (n *kubeNode) startNRI(t testing.TB, profiles map[string]string) *nriPlugin {
	t.Helper()
	return n.startNRIIn(t, profiles, "", true)
}

// startNRIIn starts the plugin with its late stage's files in lateDir (a
// new directory when empty), and waits until it has registered if wait
// is set.
func (n *kubeNode) startNRIIn(t testing.TB, profiles map[string]string, lateDir string, wait bool) *nriPlugin {
	t.Helper()
	dir := t.TempDir()
	if lateDir == "" {
		lateDir = filepath.Join(dir, "late")
	}
	p := &nriPlugin{profiles: filepath.Join(dir, "profiles"), records: filepath.Join(dir, "records"), late: lateDir, done: make(chan error, 1)}
	for _, d := range []string{p.profiles, p.records} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, content := range profiles {
		if err := os.WriteFile(filepath.Join(p.profiles, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p.agents = filepath.Join(dir, "agents")
	if err := os.Mkdir(p.agents, 0o755); err != nil {
		t.Fatal(err)
	}
	p.cmd = exec.Command(n.oci, "nri", "--socket", n.nriSocket, "--profiles", p.profiles, "--agents", p.agents,
		"--late-dir", lateDir, "--late-binary", n.oci, "--records", p.records, "--record-run", filepath.Join(dir, "record-run"))
	p.cmd.Stdout, p.cmd.Stderr = &p.log, &p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() { p.stop(t) })
	if !wait {
		return p
	}
	p.waitRegistered(t)
	return p
}

// waitRegistered waits until the plugin has registered with the runtime.
func (p *nriPlugin) waitRegistered(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(p.log.String(), "oci-sbx nri: registered with the runtime") {
		select {
		case err := <-p.done:
			t.Fatalf("oci-sbx nri exited: %v\n%s", err, p.log.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("oci-sbx nri did not register within 20 s:\n%s", p.log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop stops the plugin with SIGTERM, once, and logs what it printed.
func (p *nriPlugin) stop(t testing.TB) {
	p.stopOnce.Do(func() {
		p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-p.done:
			if err != nil {
				t.Errorf("oci-sbx nri: %v", err)
			}
		case <-time.After(10 * time.Second):
			p.cmd.Process.Kill()
			<-p.done
			t.Error("oci-sbx nri did not stop on SIGTERM")
		}
		t.Logf("oci-sbx nri's log:\n%s", p.log.String())
	})
}

const (
	demoRules      = "default: allow\nrules:\n  - action: errno(EPERM)\n    syscalls: [openat, connect]\n"
	noConnectRules = "default: allow\nrules:\n  - action: errno(EACCES)\n    syscalls: [connect]\n"
	noOpenatRules  = "default: allow\nrules:\n  - action: errno(EPERM)\n    syscalls: [openat]\n"
	// enosysRules returns ENOSYS for everything it does not allow, as
	// Podman's default does; io_uring (@aio) is not allowed.
	enosysRules = "default: errno(ENOSYS)\nrules:\n  - action: allow\n    syscalls: [\"@default\", \"@basic-io\", \"@file-system\", \"@io-event\", \"@ipc\", \"@network-io\", \"@process\", \"@signal\", \"@timer\", \"@sync\", \"@resources\", \"@sandbox\"]\n"
)

var allOK = map[string]bool{"read_file": true, "count_processes": true, "access_network": true}

// TestKubernetesNRI runs pods whose annotations name oci-sbx profiles
// through containerd's CRI with `oci-sbx nri` registered.
func TestKubernetesNRI(t *testing.T) {
	n := kubernetesNode(t)
	plugin := n.startNRI(t, map[string]string{
		"demo.yaml":       demoRules,
		"no-connect.yaml": noConnectRules,
		"no-openat.yaml":  noOpenatRules,
		"enosys.yaml":     enosysRules,
		"bad.yaml":        "default: allow\nrules:\n  - action: errno(EPERM)\n    syscalls: [opnat]\n",
	})
	app := []string{"/suspicious-app"}
	unconfined := &criSeccomp{Type: criUnconfined}

	// The demo denies openat, which runc needs after loading a filter:
	// the late stage applies it, through NRI's mounts and args.
	t.Run("demo-late-stage", func(t *testing.T) {
		pod := n.runPod(t, map[string]string{"oci-sbx.io/profile": "demo.yaml", requiredPlugins: `["oci-sbx"]`})
		r := pod.run(t, kubeContainer{command: app, seccomp: unconfined})
		checkRun(t, r, 0)
		checkActivities(t, r.output, nil, "Summary: 0 succeed, 3 failed")
		for _, want := range []string{"open /etc/passwd: operation not permitted", "open /proc: operation not permitted", "connect: operation not permitted"} {
			if !strings.Contains(r.output, want) {
				t.Errorf("output lacks %q", want)
			}
		}
	})

	// The plugin, in the host's PID namespace, removes the late stages no
	// container holds once unused past the grace (aged here): the demo's
	// container has exited, and the next late stage's creation removes
	// its directory; a new pod with the demo gets it anew.
	t.Run("late-collected", func(t *testing.T) {
		before := ageLateDirs(t, plugin.late)
		if len(before) == 0 {
			t.Fatalf("no late stage's directory in %s", plugin.late)
		}
		pod := n.runPod(t, map[string]string{"oci-sbx.io/profile": "no-openat.yaml"})
		checkRun(t, pod.run(t, kubeContainer{command: app, seccomp: unconfined}), 0)
		after, _ := os.ReadDir(plugin.late)
		for _, e := range after {
			if slices.Contains(before, e.Name()) {
				t.Errorf("%s is still there, though no container holds it\n%s", e.Name(), plugin.log.String())
			}
		}
		pod = n.runPod(t, map[string]string{"oci-sbx.io/profile": "demo.yaml"})
		r := pod.run(t, kubeContainer{command: app, seccomp: unconfined})
		checkRun(t, r, 0)
		checkActivities(t, r.output, nil, "Summary: 0 succeed, 3 failed")
	})

	// oci-sbx.io/profile.CONTAINER applies to that container only.
	t.Run("per-container", func(t *testing.T) {
		pod := n.runPod(t, map[string]string{"oci-sbx.io/profile.confined": "no-connect.yaml"})
		r := pod.run(t, kubeContainer{name: "confined", command: app, seccomp: unconfined})
		checkConnectDenied(t, r)
		r = pod.run(t, kubeContainer{name: "other", command: app, seccomp: unconfined})
		checkRun(t, r, 0)
		checkActivities(t, r.output, allOK, "Summary: 3 succeed, 0 failed")
	})

	// Inline rules; the container's own key wins over the pod's, and its
	// rules replace the pod's profile (both choose the profile).
	t.Run("per-container-key-wins", func(t *testing.T) {
		pod := n.runPod(t, map[string]string{
			"oci-sbx.io/profile":     "demo.yaml",
			"oci-sbx.io/rules.mine":  noConnectRules,
			"oci-sbx.io/profile.app": "no-openat.yaml",
		})
		r := pod.run(t, kubeContainer{name: "mine", command: app, seccomp: unconfined})
		checkConnectDenied(t, r)
		r = pod.run(t, kubeContainer{name: "app", command: app, seccomp: unconfined})
		checkRun(t, r, 0)
		checkActivities(t, r.output, map[string]bool{"access_network": true}, "Summary: 1 succeed, 2 failed")
		r = pod.run(t, kubeContainer{name: "other", command: app, seccomp: unconfined})
		checkRun(t, r, 0)
		checkActivities(t, r.output, nil, "Summary: 0 succeed, 3 failed")
	})

	// A profile is read when a container is created: a container created
	// after the file changed (a restart, another container of the pod)
	// gets the new one.
	t.Run("profile-read-at-container-creation", func(t *testing.T) {
		path := filepath.Join(plugin.profiles, "changing.yaml")
		if err := os.WriteFile(path, []byte(noConnectRules), 0o644); err != nil {
			t.Fatal(err)
		}
		pod := n.runPod(t, map[string]string{"oci-sbx.io/profile": "changing.yaml"})
		r := pod.run(t, kubeContainer{name: "before", command: app, seccomp: unconfined})
		checkRun(t, r, 0)
		checkActivities(t, r.output, map[string]bool{"read_file": true, "count_processes": true}, "Summary: 2 succeed, 1 failed")
		if err := os.WriteFile(path, []byte(demoRules), 0o644); err != nil {
			t.Fatal(err)
		}
		r = pod.run(t, kubeContainer{name: "after", command: app, seccomp: unconfined})
		checkRun(t, r, 0)
		checkActivities(t, r.output, nil, "Summary: 0 succeed, 3 failed")
	})

	// The kubelet's Localhost profile stays in force beneath the pod's:
	// connect keeps the kubelet profile's EACCES, openat gets the
	// annotation's EPERM. engine-profile: replace drops the kubelet's.
	t.Run("kubelet-profile-kept", func(t *testing.T) {
		ref := filepath.Join(t.TempDir(), "no-connect.json")
		if code, _, stderr := runCmd(t, n.oci, "convert", "--to", "kubernetes", "-o", ref, filepath.Join(plugin.profiles, "no-connect.yaml")); code != 0 {
			t.Fatalf("convert: %s", stderr)
		}
		localhost := &criSeccomp{Type: criLocalhost, LocalhostRef: ref}
		pod := n.runPod(t, map[string]string{"oci-sbx.io/profile": "no-openat.yaml"})
		r := pod.run(t, kubeContainer{name: "kept", command: app, seccomp: localhost})
		checkRun(t, r, 0)
		checkActivities(t, r.output, nil, "Summary: 0 succeed, 3 failed")
		for _, want := range []string{"open /etc/passwd: operation not permitted", "connect: permission denied"} {
			if !strings.Contains(r.output, want) {
				t.Errorf("output lacks %q", want)
			}
		}
		pod = n.runPod(t, map[string]string{"oci-sbx.io/profile": "no-openat.yaml", "oci-sbx.io/engine-profile": "replace"})
		r = pod.run(t, kubeContainer{name: "replaced", command: app, seccomp: localhost})
		checkRun(t, r, 0)
		checkActivities(t, r.output, map[string]bool{"access_network": true}, "Summary: 1 succeed, 2 failed")
	})

	// containerd's RuntimeDefault beneath the demo: no exact intersection,
	// so RuntimeDefault stays in linux.seccomp and the late stage loads
	// the demo on top. RuntimeDefault fails clone3 with ENOSYS, from which
	// the late stage falls back to clone (measured), so it starts; a
	// process the runtime starts later gets RuntimeDefault. engine-profile:
	// replace applies the demo alone.
	t.Run("runtime-default", func(t *testing.T) {
		runtimeDefault := &criSeccomp{Type: criRuntimeDefault}
		pod := n.runPod(t, map[string]string{"oci-sbx.io/profile": "demo.yaml"})
		r := pod.run(t, kubeContainer{command: app, seccomp: runtimeDefault})
		checkRun(t, r, 0)
		checkActivities(t, r.output, nil, "Summary: 0 succeed, 3 failed")
		pod = n.runPod(t, map[string]string{"oci-sbx.io/profile": "demo.yaml", "oci-sbx.io/engine-profile": "replace"})
		r = pod.run(t, kubeContainer{command: app, seccomp: runtimeDefault})
		checkRun(t, r, 0)
		checkActivities(t, r.output, nil, "Summary: 0 succeed, 3 failed")
	})

	// Every kubelet Localhost profile × annotation profile of the hook's
	// matrix, through NRI (which drops defaultErrnoRet and empty flags
	// from what it sets): never weaker than either, by the kernel's
	// answers.
	t.Run("engine-matrix", func(t *testing.T) {
		calls := append([]string{"/calls"}, matrixCalls...)
		localhost := map[string]*criSeccomp{} // by the engine profile's text
		run := func(t *testing.T, engine, rules string) map[string]string {
			t.Helper()
			seccomp := unconfined
			if engine != "" {
				if localhost[engine] == nil {
					ref := filepath.Join(t.TempDir(), "engine.json")
					if err := os.WriteFile(ref, []byte(engine), 0o644); err != nil {
						t.Fatal(err)
					}
					localhost[engine] = &criSeccomp{Type: criLocalhost, LocalhostRef: ref}
				}
				seccomp = localhost[engine]
			}
			var annotations map[string]string
			if rules != "" {
				annotations = map[string]string{"oci-sbx.io/rules": rules}
			}
			r := n.runPod(t, annotations).run(t, kubeContainer{command: calls, seccomp: seccomp})
			checkRun(t, r, 0)
			return callAnswers(t, r.output)
		}
		checkEngineMatrix(t, run, func() string { return "plugin log:\n" + plugin.log.String() })
	})

	// NRI drops defaultErrnoRet; the late stage keeps ENOSYS.
	t.Run("default-errno-kept", func(t *testing.T) {
		pod := n.runPod(t, map[string]string{"oci-sbx.io/profile": "enosys.yaml"})
		r := pod.run(t, kubeContainer{command: append(app, "-only", "-io-uring-openat"), seccomp: unconfined})
		checkRun(t, r, 0)
		if !strings.Contains(r.output, "function not implemented") {
			t.Error("io_uring_setup did not fail with the default action's ENOSYS")
		}
		if strings.Contains(r.output, "operation not permitted") {
			t.Error("a call failed with EPERM, not the profile's ENOSYS")
		}
	})

	// Every refusal: the container is not created, and the runtime's
	// error says why.
	for _, tt := range []struct {
		name        string
		annotations map[string]string
		want        string
	}{
		{"unknown-key", map[string]string{"oci-sbx.io/profil": "demo.yaml"}, `"oci-sbx.io/profil": unknown oci-sbx annotation: did you mean "oci-sbx.io/profile"?`},
		{"unknown-key-case", map[string]string{"OCI-SBX.IO/Profile": "demo.yaml"}, `"OCI-SBX.IO/Profile": unknown oci-sbx annotation: did you mean "OCI-SBX.IO/profile"?`},
		{"parent-dir", map[string]string{"oci-sbx.io/profile": "../demo.yaml"}, "outside the profiles directory"},
		{"absolute-outside", map[string]string{"oci-sbx.io/profile": "/etc/passwd"}, "outside the profiles directory"},
		{"missing", map[string]string{"oci-sbx.io/profile": "nothere.yaml"}, "no such file or directory"},
		{"bad-profile", map[string]string{"oci-sbx.io/profile": "bad.yaml"}, `annotation oci-sbx.io/profile: reading "bad.yaml": not a profile oci-sbx reads (line 4, column 16)`},
		{"bad-rules", map[string]string{"oci-sbx.io/rules": "default: allow\nrules:\n  - action: errno(EPERM)\n    syscalls: [opnat]\n"}, `unknown syscall "opnat": did you mean "openat"?`},
		{"report-without-profile", map[string]string{"oci-sbx.io/report": "/run/none.sock"}, "no profile"},
		// containerd's own socket: runc would connect to it, and the late
		// stage bind it into the container.
		{"report-to-a-host-socket", map[string]string{"oci-sbx.io/profile": "demo.yaml", "oci-sbx.io/report": n.socket},
			`reporting to "` + n.socket + `": outside the agents directory`},
		{"listener-to-a-host-socket", map[string]string{"oci-sbx.io/rules": "{default: allow, listenerPath: " + n.socket + ", rules: [{action: notify, syscalls: [mkdir]}]}"},
			`the profile's listenerPath: reporting to "` + n.socket + `": outside the agents directory`},
		{"engine-profile-typo", map[string]string{"oci-sbx.io/profile": "demo.yaml", "oci-sbx.io/engine-profile": "drop"}, `"drop" is neither "keep" nor "replace"`},
		{"record-and-profile", map[string]string{"oci-sbx.io/profile": "demo.yaml", "oci-sbx.io/record": "x.yaml"}, "a recorded container runs under the recording filter, not under oci-sbx.io/profile too"},
		{"record-outside", map[string]string{"oci-sbx.io/record": "../x.yaml"}, "outside"},
		// The container is "app": a key that only looks like its own.
		{"container-name-case", map[string]string{"oci-sbx.io/profile.App": "demo.yaml"},
			`"oci-sbx.io/profile.App": unknown oci-sbx annotation: it names container "App", not "app"; did you mean "oci-sbx.io/profile.app"?`},
		{"container-name-cyrillic", map[string]string{"oci-sbx.io/profile.\u0430pp": "demo.yaml"},
			`"oci-sbx.io/profile.\\u0430pp": unknown oci-sbx annotation: it names container "\\u0430pp", not "app"`},
		{"one-key-two-values", map[string]string{"oci-sbx.io/profile": "demo.yaml", "OCI-SBX.IO/profile": "no-openat.yaml"},
			`"OCI-SBX.IO/profile" and "oci-sbx.io/profile": conflicting oci-sbx annotations: one key written twice, with different values`},
		// Inline rules extend files beneath the profiles directory only,
		// and never quote one that is no profile.
		{"rules-extend-host-file", map[string]string{"oci-sbx.io/rules": "{extends: /etc/shadow}"}, `extends "/etc/shadow": not a built-in base ([docker-default podman-default]) and not a readable file: outside the profiles directory`},
		{"rules-extend-out", map[string]string{"oci-sbx.io/rules": "{extends: ../../../../../etc/shadow}"}, "outside the profiles directory"},
	} {
		t.Run("refuses-"+tt.name, func(t *testing.T) {
			pod := n.runPod(t, tt.annotations)
			id, err := pod.create(t, kubeContainer{command: app, seccomp: unconfined})
			if err == nil {
				t.Fatalf("the container was created (%s)", id)
			}
			t.Logf("refused: %v", err)
			// crictl quotes the runtime's message as a Go string.
			if !strings.Contains(strings.ReplaceAll(err.Error(), `\"`, `"`), tt.want) {
				t.Errorf("the refusal lacks %q", tt.want)
			}
			if strings.Contains(err.Error(), "root:") {
				t.Error("the refusal quotes a file")
			}
		})
	}

	// oci-sbx.io/record: the container runs under a recording filter,
	// and the recorder writes what it called once it has exited.
	t.Run("record", func(t *testing.T) {
		pod := n.runPod(t, map[string]string{"oci-sbx.io/record": "app.yaml"})
		r := pod.run(t, kubeContainer{command: app, seccomp: unconfined})
		checkRun(t, r, 0)
		checkActivities(t, r.output, allOK, "Summary: 3 succeed, 0 failed")
		path := filepath.Join(plugin.records, "app.yaml")
		data := waitRecording(t, path)
		t.Logf("recorded:\n%s", data)
		s, err := convert.Read(path, data, convert.Rules, convert.Options{})
		if err != nil {
			t.Fatalf("the recording is not a profile: %v", err)
		}
		for _, call := range []string{"openat", "connect", "getdents64"} {
			if !slices.ContainsFunc(s.Syscalls, func(r specs.LinuxSyscall) bool { return slices.Contains(r.Names, call) && r.Action == specs.ActAllow }) {
				t.Errorf("the recording does not allow %s, which the app called", call)
			}
		}
		if s.DefaultAction == specs.ActAllow {
			t.Error("the recording allows by default")
		}

		// The recording started where runc loads the container's filter,
		// so the same containerd and runc start the same container under
		// it; a call it never saw (the raw open(2)) is denied.
		if err := os.WriteFile(filepath.Join(plugin.profiles, "recorded-app.yaml"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		pod = n.runPod(t, map[string]string{"oci-sbx.io/profile": "recorded-app.yaml"})
		r = pod.run(t, kubeContainer{command: app, seccomp: unconfined})
		checkRun(t, r, 0)
		checkActivities(t, r.output, allOK, "Summary: 3 succeed, 0 failed")
		r = pod.run(t, kubeContainer{name: "open", command: []string{"/suspicious-app", "-only", "-open"}, seccomp: unconfined})
		checkRun(t, r, 0)
		if !strings.Contains(r.output, "=== open fail ===") || !strings.Contains(r.output, "operation not permitted") {
			t.Errorf("the raw open(2), which the recording never saw, under the recording:\n%s", r.output)
		}
	})

	// A process crictl exec starts in a recorded container is recorded
	// too (runc exec hands its listener to the same recorder), and
	// neither it nor the container waits on the recorder.
	t.Run("record-exec", func(t *testing.T) {
		pod := n.runPod(t, map[string]string{"oci-sbx.io/record": "exec.yaml"})
		id, err := pod.create(t, kubeContainer{command: []string{"/bin/sleep", "3"}, seccomp: unconfined})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := n.crictl("start", id); err != nil {
			t.Fatal(err)
		}
		// The raw open(2) is the exec'd process's alone: sleep never
		// makes it.
		out, err := n.crictl("exec", "-s", "--timeout", "30", id, "/suspicious-app", "-only", "-open")
		if err != nil || !strings.Contains(out, "=== open ok ===") {
			t.Fatalf("crictl exec in the recorded container: %v\n%s", err, out)
		}
		if code := pod.wait(t, id, time.Minute); code != 0 {
			t.Fatalf("the container exited %d", code)
		}
		path := filepath.Join(plugin.records, "exec.yaml")
		data := waitRecording(t, path)
		s, err := convert.Read(path, data, convert.Rules, convert.Options{})
		if err != nil {
			t.Fatalf("the recording is not a profile: %v", err)
		}
		allows := func(call string) bool {
			return slices.ContainsFunc(s.Syscalls, func(r specs.LinuxSyscall) bool { return slices.Contains(r.Names, call) && r.Action == specs.ActAllow })
		}
		if !allows("open") || !allows("nanosleep") && !allows("clock_nanosleep") {
			t.Errorf("the recording lacks the exec'd process's open or the container's sleep:\n%s", data)
		}
	})

	// oci-sbx.io/report: the late stage hands its listener to the
	// agent, which prints the denials; the app still sees EPERM.
	t.Run("report", func(t *testing.T) {
		agent := startAgentProc(t, n.oci, filepath.Join(plugin.agents, "agent.sock"))
		mark := agent.mark()
		pod := n.runPod(t, map[string]string{"oci-sbx.io/profile": "demo.yaml", "oci-sbx.io/report": agent.socket})
		r := pod.run(t, kubeContainer{command: app, seccomp: unconfined})
		checkRun(t, r, 0)
		checkActivities(t, r.output, nil, "Summary: 0 succeed, 3 failed")
		agent.expect(t, mark, []eventWant{
			{"openat", `^openat\(AT_FDCWD, "/etc/passwd", O_RDONLY\|O_CLOEXEC\)$`, "/etc/passwd", "EPERM"},
			{"connect", `^connect\(\d+, \{AF_INET 127\.0\.0\.1:\d+\}, 16\)$`, "", "EPERM"},
		})
	})
}

// waitRecording returns the recording the plugin's recorder writes at
// path once the container has exited.
func waitRecording(t *testing.T, path string) []byte {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		data, err := os.ReadFile(path)
		if err == nil {
			return data
		}
		if time.Now().After(deadline) {
			t.Fatalf("no recording at %s: %v", path, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// requiredPlugins makes NRI's default validator refuse a container that
// the named plugins did not see.
const requiredPlugins = "required-plugins.noderesource.dev"

// Without the plugin, an annotated pod starts without oci-sbx's profile
// unless it requires the plugin: then containerd refuses it.
func TestKubernetesNRIMissing(t *testing.T) {
	n := kubernetesNode(t)
	app := []string{"/suspicious-app"}
	pod := n.runPod(t, map[string]string{"oci-sbx.io/profile": "demo.yaml", requiredPlugins: `["oci-sbx"]`})
	_, err := pod.create(t, kubeContainer{command: app, seccomp: &criSeccomp{Type: criUnconfined}})
	if err == nil || !strings.Contains(err.Error(), "oci-sbx") {
		t.Fatalf("got %v, want containerd to refuse a container the required plugin did not see", err)
	}
	t.Logf("refused: %v", err)
}

// Installed in containerd's NRI plugin directory, oci-sbx is started by
// containerd itself, without arguments, and configured by the plugin's
// file in the configuration directory. This needs a node of its own:
// containerd starts such plugins when it starts.
func TestKubernetesNRIInstalled(t *testing.T) {
	shared := kubernetesNode(t) // the checks, and the tools built
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	profiles := t.TempDir()
	if err := os.WriteFile(filepath.Join(profiles, "demo.yaml"), []byte(demoRules), 0o644); err != nil {
		t.Fatal(err)
	}
	late := t.TempDir()
	n, err := startKubeNode(root, func(n *kubeNode) error {
		bin, err := os.ReadFile(shared.oci)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(n.dir, "nri/plugins/10-oci-sbx"), bin, 0o755); err != nil {
			return err
		}
		conf := "profiles: " + profiles + "\nlateDir: " + late + "\n"
		return os.WriteFile(filepath.Join(n.dir, "nri/conf.d/10-oci-sbx.conf"), []byte(conf), 0o644)
	})
	if err != nil {
		t.Fatalf("starting a node with oci-sbx installed: %v", err)
	}
	t.Cleanup(func() {
		if err := n.stop(); err != nil {
			t.Error(err)
		}
	})
	pod := n.runPod(t, map[string]string{"oci-sbx.io/profile": "demo.yaml", requiredPlugins: `["oci-sbx"]`})
	r := pod.run(t, kubeContainer{command: []string{"/suspicious-app"}, seccomp: &criSeccomp{Type: criUnconfined}})
	if r.err != nil {
		t.Logf("containerd's log:\n%s", n.logTail())
	}
	checkRun(t, r, 0)
	checkActivities(t, r.output, nil, "Summary: 0 succeed, 3 failed")
}

// A restarted plugin (a DaemonSet's rolling update) takes over: a second
// one started beside the first waits for the node's lock (two registered
// plugins setting the same mount make containerd refuse the container,
// measured), registers the moment the first stops, and an annotated
// container gets its profile throughout; one that requires the plugin is
// refused only while none is registered.
func TestKubernetesNRIRestart(t *testing.T) {
	n := kubernetesNode(t)
	app := []string{"/suspicious-app"}
	unconfined := &criSeccomp{Type: criUnconfined}
	profiles := map[string]string{"demo.yaml": demoRules}
	confined := func(t *testing.T, when string) {
		t.Helper()
		pod := n.runPod(t, map[string]string{"oci-sbx.io/profile": "demo.yaml", requiredPlugins: `["oci-sbx"]`})
		r := pod.run(t, kubeContainer{command: app, seccomp: unconfined})
		if r.err != nil {
			t.Fatalf("%s: %v", when, r.err)
		}
		checkRun(t, r, 0)
		checkActivities(t, r.output, nil, "Summary: 0 succeed, 3 failed")
	}
	late := t.TempDir() // the node's, shared by both as a DaemonSet's hostPath
	first := n.startNRIIn(t, profiles, late, true)
	confined(t, "one plugin")
	second := n.startNRIIn(t, profiles, late, false)
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(second.log.String(), "waiting for it to stop") {
		if time.Now().After(deadline) {
			t.Fatalf("the second plugin does not wait for the first:\n%s", second.log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	confined(t, "a second plugin waiting")
	first.stop(t)
	second.waitRegistered(t)
	confined(t, "the second plugin alone")
	second.stop(t)
	pod := n.runPod(t, map[string]string{"oci-sbx.io/profile": "demo.yaml", requiredPlugins: `["oci-sbx"]`})
	if id, err := pod.create(t, kubeContainer{command: app, seccomp: unconfined}); err == nil {
		t.Errorf("with no plugin registered, a container that requires it was created (%s)", id)
	}
}
