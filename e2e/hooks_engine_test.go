//go:build e2e

package e2e

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/oci-sbx/oci-sbx/hooks"
)

// callsWant checks the lines of the calls program: each call's errno.
func callsWant(t *testing.T, output string, want map[string]string) {
	t.Helper()
	for call, errno := range want {
		if !strings.Contains(output, "\n"+call+" "+errno+"\n") {
			t.Errorf("%s: want %s", call, errno)
		}
	}
}

// The calls tried, and what they get unconfined: add_key is one Podman's
// default profile denies (with its default, ENOSYS) and the demo allows.
var engineCalls = []string{"add_key", "openat", "connect", "mkdirat"}

// Under Podman's default profile, the demo's annotation confines the
// container further and takes nothing away: add_key, which Podman's
// default denies, stays denied; the demo's denials hold, and the
// suspicious app's activities all fail. engine-profile=replace is the
// explicit way to the demo alone.
func testHookEngineProfile(t *testing.T, env hooksEnv) {
	t.Run("control", func(t *testing.T) {
		code, out := env.runWith(t, nil, nil, append([]string{"/calls"}, engineCalls...)...)
		if code != 0 {
			t.Fatalf("exit status %d", code)
		}
		callsWant(t, out, map[string]string{"add_key": "ENOSYS", "openat": "EFAULT", "connect": "EBADF", "mkdirat": "EFAULT"})
	})
	t.Run("kept", func(t *testing.T) {
		code, out := env.runWith(t, map[string]string{hooks.AnnotationProfile: "demo.yaml"}, nil, append([]string{"/calls"}, engineCalls...)...)
		if code != 0 {
			t.Fatalf("exit status %d", code)
		}
		callsWant(t, out, map[string]string{"add_key": "ENOSYS", "openat": "EPERM", "connect": "EPERM", "mkdirat": "EFAULT"})
		code, out = env.runWith(t, map[string]string{hooks.AnnotationProfile: "demo.yaml"}, nil, "/suspicious-app")
		if code != 0 {
			t.Fatalf("exit status %d", code)
		}
		checkActivities(t, out, nil, "Summary: 0 succeed, 3 failed")
	})
	// Reported, on top of Podman's profile: the late stage's filter
	// notifies the agent, Podman's stays as it is.
	t.Run("kept-report", func(t *testing.T) {
		mark := env.agent.mark()
		code, out := env.runWith(t, map[string]string{hooks.AnnotationProfile: "demo.yaml", hooks.AnnotationReport: env.agent.socket}, nil, "/suspicious-app")
		if code != 0 {
			t.Fatalf("exit status %d", code)
		}
		checkActivities(t, out, nil, "Summary: 0 succeed, 3 failed")
		env.agent.expect(t, mark, []eventWant{
			{"openat", `^openat\(AT_FDCWD, "/etc/passwd", O_RDONLY\|O_CLOEXEC\)$`, "/etc/passwd", "EPERM"},
			{"connect", `^connect\(\d+, \{AF_INET 127\.0\.0\.1:\d+\}, 16\)$`, "", "EPERM"},
		})
	})
	t.Run("replaced", func(t *testing.T) {
		code, out := env.runWith(t, map[string]string{hooks.AnnotationProfile: "demo.yaml", hooks.AnnotationEngineProfile: "replace"}, nil,
			append([]string{"/calls"}, engineCalls...)...)
		if code != 0 {
			t.Fatalf("exit status %d", code)
		}
		callsWant(t, out, map[string]string{"add_key": "EFAULT", "openat": "EPERM", "connect": "EPERM", "mkdirat": "EFAULT"})
	})
}

// What a process started with podman exec gets: linux.seccomp only. With
// the demo stacked on Podman's default, that is Podman's default; with
// rules whose intersection with it is exact, the intersection.
func testHookExec(t *testing.T, env hooksEnv) {
	// The rules for the intersection: Podman's architectures, no call
	// runc needs (so linux.seccomp holds the whole intersection), and no
	// call libseccomp multiplexes on x86 (as connect), whose rules for
	// socketcall Podman's profile shapes too.
	exact := filepath.Join(env.profiles, "deny-mkdirat.yaml")
	if err := os.WriteFile(exact, []byte("default: allow\narchitectures: [x86_64, x86, x32]\nrules:\n  - action: errno(EPERM)\n    syscalls: [mkdirat, unlinkat]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, profile    string
		container, exec_ map[string]string
	}{
		{"stacked", "demo.yaml",
			map[string]string{"add_key": "ENOSYS", "openat": "EPERM", "connect": "EPERM", "mkdirat": "EFAULT"},
			map[string]string{"add_key": "ENOSYS", "openat": "EFAULT", "connect": "EBADF", "mkdirat": "EFAULT"}},
		{"intersected", filepath.Base(exact),
			map[string]string{"add_key": "ENOSYS", "openat": "EFAULT", "connect": "EBADF", "mkdirat": "EPERM"},
			map[string]string{"add_key": "ENOSYS", "openat": "EFAULT", "connect": "EBADF", "mkdirat": "EPERM"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out := env.runWith(t, map[string]string{hooks.AnnotationProfile: tc.profile}, nil, append([]string{"/calls"}, engineCalls...)...)
			if code != 0 {
				t.Fatalf("exit status %d", code)
			}
			callsWant(t, out, tc.container)

			name := "oci-sbx-e2e-" + env.unique + "-" + strings.ReplaceAll(t.Name(), "/", "-") + "-exec"
			t.Cleanup(func() { runCmd(t, env.podman, "rm", "--force", "--ignore", name) })
			args := append([]string{"--hooks-dir", env.hooksDir}, podmanArgs(name, "-d", "--annotation", hooks.AnnotationProfile+"="+tc.profile, env.image, "/calls", "wait")...)
			if code, stdout, stderr := runCmd(t, env.podman, args...); code != 0 {
				t.Fatalf("podman run -d: exit status %d\n%s%s", code, stdout, stderr)
			}
			code, stdout, stderr := runCmd(t, env.podman, append([]string{"--cgroup-manager", "cgroupfs", "--events-backend", "file", "exec", name, "/calls"}, engineCalls...)...)
			t.Logf("podman exec: exit status %d\n%s%s", code, stdout, stderr)
			if code != 0 {
				t.Fatalf("podman exec: exit status %d", code)
			}
			callsWant(t, "\n"+stdout, tc.exec_)
		})
	}
}

// Podman refuses to create a container whose oci-sbx annotation has a
// typo, in the key or its case, or names a file outside the profiles
// directory; the hook's log says why, and never quotes a file it could
// not read as a profile.
func testHookRefused(t *testing.T, env hooksEnv) {
	const log = "/run/oci-sbx/precreate.log" // the hook's default
	if err := os.Symlink("/etc/shadow", filepath.Join(env.profiles, "shadow")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(env.profiles, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A host service's socket, outside the agents directory.
	hostSocket := filepath.Join(t.TempDir(), "host.sock")
	l, err := net.Listen("unix", hostSocket)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	writable := filepath.Join(env.profiles, "writable.yaml")
	if err := os.WriteFile(writable, []byte("default: allow\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(writable, 0o666); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, key, value, want string
		more                   map[string]string
	}{
		{"typo", "io.oci-sbx.profil", "demo.yaml", `"io.oci-sbx.profil": unknown oci-sbx annotation: did you mean "io.oci-sbx.profile"?`, nil},
		{"key-case", "io.oci-sbx.Profile", "demo.yaml", `did you mean "io.oci-sbx.profile"?`, nil},
		{"namespace-case", "IO.OCI-SBX.RULES", "{default: allow}", `did you mean "IO.OCI-SBX.rules"?`, nil},
		// Keys that only look like the namespace: the hooks.d document
		// runs the hook for every container, and the hook refuses them.
		{"lookalike-hyphen", "io.oci\u2010sbx.profile", "demo.yaml", `"io.oci\u2010sbx.profile": unknown oci-sbx annotation: it only looks like the io.oci-sbx. namespace; did you mean "io.oci-sbx.profile"?`, nil},
		{"lookalike-cyrillic", "io.\u043eci-sbx.rules", "{default: allow}", `"io.\u043eci-sbx.rules": unknown oci-sbx annotation: it only looks like`, nil},
		{"lookalike-underscore", "io_oci-sbx.profile", "demo.yaml", `"io_oci-sbx.profile": unknown oci-sbx annotation: it only looks like`, nil},
		{"lookalike-space", "io.oci-sbx .profile", "demo.yaml", `did you mean "io.oci-sbx.profile"?`, nil},
		{"pod-form", "oci-sbx.io/profile", "demo.yaml", `that is the oci-sbx.io/ namespace, which is not read here; did you mean "io.oci-sbx.profile"?`, nil},
		{"outside", hooks.AnnotationProfile, "/etc/shadow", `reading "/etc/shadow": outside the profiles directory`, nil},
		{"dot-dot", hooks.AnnotationProfile, "../../../../../../../etc/shadow", "outside the profiles directory", nil},
		{"symlink-out", hooks.AnnotationProfile, "shadow", `reading "shadow": outside the profiles directory`, nil},
		// A FIFO neither holds the hook up nor is read.
		{"fifo", hooks.AnnotationProfile, "fifo", `reading "fifo": not a regular file (FIFO)`, nil},
		{"writable", hooks.AnnotationProfile, "writable.yaml", `"writable.yaml": writable by others (mode 0666 lets anyone write)`, nil},
		// Inline rules extend files beneath the profiles directory only.
		{"rules-extend-host-file", hooks.AnnotationRules, "{extends: /etc/shadow}", `extends "/etc/shadow": not a built-in base ([docker-default podman-default]) and not a readable file: outside the profiles directory`, nil},
		{"rules-extend-fifo", hooks.AnnotationRules, "{extends: fifo}", `extends "fifo": not a built-in base ([docker-default podman-default]) and not a readable file: not a regular file (FIFO)`, nil},
		// runc would connect to it, and the late stage bind it into the
		// container.
		{"report-to-a-host-socket", hooks.AnnotationProfile, "demo.yaml", `reporting to "` + hostSocket + `": outside the agents directory`,
			map[string]string{hooks.AnnotationReport: hostSocket}},
		{"listener-to-a-host-socket", hooks.AnnotationRules, "{default: allow, listenerPath: " + hostSocket + ", rules: [{action: notify, syscalls: [mkdir]}]}",
			`the profile's listenerPath: reporting to "` + hostSocket + `": outside the agents directory`, nil},
		{"one-key-two-values", hooks.AnnotationProfile, "demo.yaml", `"IO.OCI-SBX.profile" and "io.oci-sbx.profile": conflicting oci-sbx annotations: one key written twice, with different values`,
			map[string]string{"IO.OCI-SBX.profile": "writable.yaml"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := logMark(log)
			ann := map[string]string{tc.key: tc.value}
			for k, v := range tc.more {
				ann[k] = v
			}
			code, out := env.runWith(t, ann, nil, append([]string{"/calls"}, engineCalls...)...)
			if code == 0 || strings.Contains(out, "add_key") {
				t.Fatalf("the container ran: exit status %d", code)
			}
			if got := logSince(t, log, before); !strings.Contains(got, tc.want) || strings.Contains(got, "root:") {
				t.Errorf("the hook's log lacks %q, or quotes a file:\n%s", tc.want, got)
			}
			if fi, err := os.Stat(log); err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("the log's mode: %v %v", fi.Mode(), err)
			}
		})
	}
}

// An engine's profile with conditions, a log action and errnos of its
// own (given to Podman with --security-opt seccomp=FILE), under an
// annotation's profile: every call gets the stricter of the two answers,
// in the container and, as the docs say, in a process podman exec
// starts: the intersection where it is exact, else the engine's alone.
func testHookEngineConditions(t *testing.T, env hooksEnv) {
	engine := filepath.Join(t.TempDir(), "engine.json")
	// mkdirat on descriptor 5: EACCES; symlinkat: logged; add_key: ENOSYS.
	if err := os.WriteFile(engine, []byte(`{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
		{"names": ["mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13, "args": [{"index": 0, "value": 5, "op": "SCMP_CMP_EQ"}]},
		{"names": ["symlinkat"], "action": "SCMP_ACT_LOG"},
		{"names": ["add_key"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	write := func(name, rules string) {
		if err := os.WriteFile(filepath.Join(env.profiles, name), []byte(rules), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Unconditional: the exact intersection goes into linux.seccomp.
	write("deny-unlinkat.yaml", "default: allow\nrules:\n  - action: errno(EPERM)\n    syscalls: [unlinkat, add_key]\n")
	// A condition on mkdirat too: no exact intersection, so the profiles
	// stack and podman exec gets the engine's alone.
	write("deny-mkdirat-6.yaml", "default: allow\nrules:\n  - action: errno(EPERM)\n    syscalls: [unlinkat, add_key]\n  - action: errno(EPERM)\n    syscalls: [mkdirat]\n    when: [\"arg0 == 6\"]\n")
	probe := []string{"/calls", "mkdirat", "mkdirat@5", "mkdirat@6", "unlinkat", "add_key", "symlinkat"}
	engineAlone := map[string]string{"mkdirat": "EFAULT", "mkdirat@5": "EACCES", "mkdirat@6": "EFAULT", "unlinkat": "EINVAL", "add_key": "ENOSYS", "symlinkat": "EFAULT"}
	for _, tc := range []struct {
		name, profile    string
		container, exec_ map[string]string
	}{
		{"intersected", "deny-unlinkat.yaml",
			map[string]string{"mkdirat": "EFAULT", "mkdirat@5": "EACCES", "mkdirat@6": "EFAULT", "unlinkat": "EPERM", "add_key": "EPERM", "symlinkat": "EFAULT"},
			map[string]string{"mkdirat": "EFAULT", "mkdirat@5": "EACCES", "mkdirat@6": "EFAULT", "unlinkat": "EPERM", "add_key": "EPERM", "symlinkat": "EFAULT"}},
		{"stacked", "deny-mkdirat-6.yaml",
			map[string]string{"mkdirat": "EFAULT", "mkdirat@5": "EACCES", "mkdirat@6": "EPERM", "unlinkat": "EPERM", "add_key": "EPERM", "symlinkat": "EFAULT"},
			engineAlone},
	} {
		t.Run(tc.name, func(t *testing.T) {
			secopt := []string{"--security-opt", "seccomp=" + engine}
			code, out := env.runWith(t, nil, secopt, probe...)
			if code != 0 {
				t.Fatalf("the engine's profile alone: exit status %d", code)
			}
			callsWant(t, out, engineAlone)
			code, out = env.runWith(t, map[string]string{hooks.AnnotationProfile: tc.profile}, secopt, probe...)
			if code != 0 {
				t.Fatalf("exit status %d", code)
			}
			callsWant(t, out, tc.container)

			name := "oci-sbx-e2e-" + env.unique + "-" + strings.ReplaceAll(t.Name(), "/", "-") + "-exec"
			t.Cleanup(func() { runCmd(t, env.podman, "rm", "--force", "--ignore", name) })
			args := append([]string{"--hooks-dir", env.hooksDir}, podmanArgs(name, append(secopt, "-d", "--annotation", hooks.AnnotationProfile+"="+tc.profile, env.image, "/calls", "wait")...)...)
			if code, stdout, stderr := runCmd(t, env.podman, args...); code != 0 {
				t.Fatalf("podman run -d: exit status %d\n%s%s", code, stdout, stderr)
			}
			code, stdout, stderr := runCmd(t, env.podman, append([]string{"--cgroup-manager", "cgroupfs", "--events-backend", "file", "exec", name}, probe...)...)
			t.Logf("podman exec: exit status %d\n%s%s", code, stdout, stderr)
			if code != 0 {
				t.Fatalf("podman exec: exit status %d", code)
			}
			callsWant(t, "\n"+stdout, tc.exec_)
		})
	}
}

// Inline rules that extend a profile of the profiles directory: the
// relative name resolves there, as the hook's own profile names do.
func testHookRulesExtend(t *testing.T, env hooksEnv) {
	code, out := env.run(t, map[string]string{hooks.AnnotationRules: "{extends: demo.yaml}"})
	if code != 0 {
		t.Fatalf("exit status %d", code)
	}
	checkActivities(t, out, nil, "Summary: 0 succeed, 3 failed")
}

// What Podman's hook leaves in a log someone planted a name at: nothing,
// and the hook neither blocks on a FIFO nor writes through a link.
func testHookLogPlanted(t *testing.T, env hooksEnv) {
	config := `{"ociVersion": "1.0.2", "process": {"args": ["/x"]}, "annotations": {"io.oci-sbx.profil": "demo.yaml"}}`
	other := filepath.Join(t.TempDir(), "other")
	if err := os.WriteFile(other, []byte("someone's\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, plant := range map[string]func(string) error{
		"fifo":      func(p string) error { return syscall.Mkfifo(p, 0o666) },
		"symlink":   func(p string) error { return os.Symlink(other, p) },
		"hard-link": func(p string) error { return os.Link(other, p) },
	} {
		t.Run(name, func(t *testing.T) {
			log := filepath.Join(t.TempDir(), "precreate.log")
			if err := plant(log); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(env.oci, "hook", "precreate", "--profiles", env.profiles, "--log", log)
			cmd.Stdin = strings.NewReader(config)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			done := make(chan error, 1)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				if err == nil {
					t.Error("the hook accepted a misspelt key")
				}
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				<-done
				t.Fatal("the hook blocked on its log")
			}
			t.Logf("stderr:\n%s", stderr.String())
			if !strings.Contains(stderr.String(), "; not logging to "+log+": ") {
				t.Error("the hook does not say it did not log")
			}
			if data, _ := os.ReadFile(other); string(data) != "someone's\n" {
				t.Errorf("the linked file changed: %q", data)
			}
			if fi, _ := os.Stat(other); fi.Mode().Perm() != 0o644 {
				t.Errorf("the linked file's mode changed: %v", fi.Mode())
			}
		})
	}
}
