//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// kubeletSeccompDir is where the kubelet resolves localhostProfile, with
// its default --root-dir.
const kubeletSeccompDir = "/var/lib/kubelet/seccomp"

// TestKubernetesLocalhost follows what `convert --to kubernetes` prints:
// the profile is placed where the printed instructions put it (beneath
// the node's stand-in for /var/lib/kubelet), a container names it as the
// kubelet does — CRI Localhost with the absolute path — and the filter's
// effect is checked inside the container.
func TestKubernetesLocalhost(t *testing.T) {
	n := kubernetesNode(t)
	dir := t.TempDir()
	rules := filepath.Join(dir, "no-connect.yaml")
	// EACCES, not the default EPERM: the errno must come through CRI.
	if err := os.WriteFile(rules, []byte("default: allow\nrules:\n  - action: errno(EACCES)\n    syscalls: [connect]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, profile, hint := runCmd(t, n.oci, "convert", "--to", "kubernetes", rules)
	if code != 0 {
		t.Fatalf("convert: exit %d\n%s", code, hint)
	}
	t.Logf("convert --to kubernetes said:\n%s", hint)
	m := regexp.MustCompile(`(?m)^oci-sbx:\s+localhostProfile: (\S+)$`).FindStringSubmatch(hint)
	if m == nil {
		t.Fatalf("the hint gives no localhostProfile:\n%s", hint)
	}
	localhostProfile := m[1]
	if want := kubeletSeccompDir + "/" + localhostProfile; !strings.Contains(hint, want) {
		t.Fatalf("the hint does not say to copy the profile to %s:\n%s", want, hint)
	}
	// The kubelet resolves the field beneath <root-dir>/seccomp and hands
	// the runtime the absolute path.
	ref := filepath.Join(n.kubelet, "seccomp", filepath.FromSlash(localhostProfile))
	if err := os.MkdirAll(filepath.Dir(ref), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ref, []byte(profile), 0o644); err != nil {
		t.Fatal(err)
	}

	pod := n.runPod(t, nil)
	app := []string{"/suspicious-app", "-status"}
	t.Run("unconfined", func(t *testing.T) {
		r := pod.run(t, kubeContainer{name: "unconfined", command: app, seccomp: &criSeccomp{Type: criUnconfined}})
		checkRun(t, r, 0)
		if !regexp.MustCompile(`(?m)^status: pid \d+: Seccomp: 0$`).MatchString(r.output) {
			t.Error("the container's process is filtered")
		}
		checkActivities(t, r.output, map[string]bool{"read_file": true, "count_processes": true, "access_network": true}, "Summary: 3 succeed, 0 failed")
	})
	t.Run("localhost", func(t *testing.T) {
		r := pod.run(t, kubeContainer{name: "localhost", command: app, seccomp: &criSeccomp{Type: criLocalhost, LocalhostRef: ref}})
		checkConnectDenied(t, r)
		if !regexp.MustCompile(`(?m)^status: pid \d+: Seccomp: 2$`).MatchString(r.output) {
			t.Error("the container's process is not under a seccomp filter")
		}
	})
}

// checkRun fails unless the container started and exited with code.
func checkRun(t *testing.T, r containerResult, code int) {
	t.Helper()
	if r.err != nil {
		t.Fatalf("the container did not run: %v", r.err)
	}
	t.Logf("exit %d; output:\n%s", r.exit, r.output)
	if r.exit != code {
		t.Fatalf("exit status %d, want %d", r.exit, code)
	}
}

// checkConnectDenied fails unless the container exited 0 with only
// connect refused, by a profile's EACCES.
func checkConnectDenied(t *testing.T, r containerResult) {
	t.Helper()
	checkRun(t, r, 0)
	checkActivities(t, r.output, map[string]bool{"read_file": true, "count_processes": true}, "Summary: 2 succeed, 1 failed")
	if !strings.Contains(r.output, "connect: permission denied") {
		t.Error("connect did not fail with the profile's EACCES")
	}
}
