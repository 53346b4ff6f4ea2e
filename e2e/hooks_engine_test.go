//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

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
	for _, tc := range []struct {
		name, key, value, want string
	}{
		{"typo", "io.oci-sbx.profil", "demo.yaml", `"io.oci-sbx.profil": unknown oci-sbx annotation: did you mean "io.oci-sbx.profile"?`},
		{"key-case", "io.oci-sbx.Profile", "demo.yaml", `did you mean "io.oci-sbx.profile"?`},
		{"namespace-case", "IO.OCI-SBX.RULES", "{default: allow}", `did you mean "IO.OCI-SBX.rules"?`},
		// Keys that only look like the namespace: the hooks.d document
		// runs the hook for every container, and the hook refuses them.
		{"lookalike-hyphen", "io.oci\u2010sbx.profile", "demo.yaml", `"io.oci\u2010sbx.profile": unknown oci-sbx annotation: it only looks like the io.oci-sbx. namespace; did you mean "io.oci-sbx.profile"?`},
		{"lookalike-cyrillic", "io.\u043eci-sbx.rules", "{default: allow}", `"io.\u043eci-sbx.rules": unknown oci-sbx annotation: it only looks like`},
		{"lookalike-underscore", "io_oci-sbx.profile", "demo.yaml", `"io_oci-sbx.profile": unknown oci-sbx annotation: it only looks like`},
		{"lookalike-space", "io.oci-sbx .profile", "demo.yaml", `did you mean "io.oci-sbx.profile"?`},
		{"pod-form", "oci-sbx.io/profile", "demo.yaml", `that is the oci-sbx.io/ namespace, which is not read here; did you mean "io.oci-sbx.profile"?`},
		{"outside", hooks.AnnotationProfile, "/etc/shadow", `reading "/etc/shadow": outside the profiles directory`},
		{"dot-dot", hooks.AnnotationProfile, "../../../../../../../etc/shadow", "outside the profiles directory"},
		{"symlink-out", hooks.AnnotationProfile, "shadow", `reading "shadow": outside the profiles directory`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := logMark(log)
			code, out := env.runWith(t, map[string]string{tc.key: tc.value}, nil, append([]string{"/calls"}, engineCalls...)...)
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
