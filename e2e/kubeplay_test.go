//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/oci-sbx/oci-sbx/internal/testutil"
)

// TestKubePlayHint holds what `convert --to kubernetes` says about
// Podman's kube play to the installed Podman: the Podman release it
// names is this one; a pod that names the profile with seccompProfile, as
// the kubelet wants, runs unconfined; the annotation the hint prints, with
// the file directly in --seccomp-profile-root, confines the pod; and a
// profile in profiles/ beneath it, as the kubelet wants, is not found.
func TestKubePlayHint(t *testing.T) {
	testutil.RequireRoot(t)
	podman := requireTool(t, "podman")
	requireTool(t, "runc")
	dir := t.TempDir()
	unique := fmt.Sprintf("%d-%d", os.Getpid(), time.Now().UnixNano()%1e9)
	oci, app := filepath.Join(dir, "oci-sbx"), filepath.Join(dir, "suspicious-app")
	goBuild(t, oci, false, "./cmd/oci-sbx")
	goBuild(t, app, false, "./testdata/suspicious-app")
	image := podmanImport(t, podman, dir, app, "localhost/oci-sbx-kubeplay:"+unique)

	rules := filepath.Join(dir, "no-network.yaml")
	if err := os.WriteFile(rules, []byte("default: allow\nrules:\n  - action: errno(EPERM)\n    syscalls: [\"@network-connect\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(dir, "seccomp")
	if err := os.MkdirAll(filepath.Join(root, "profiles"), 0o755); err != nil {
		t.Fatal(err)
	}
	code, _, hint := runCmd(t, oci, "convert", rules, "--to", "kubernetes", "-o", filepath.Join(root, "profiles", "no-network.json"))
	if code != 0 {
		t.Fatalf("convert --to kubernetes: exit %d\n%s", code, hint)
	}
	// The flat copy kube play wants, as the hint says.
	data, err := os.ReadFile(filepath.Join(root, "profiles", "no-network.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "no-network.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	find := func(re string) string {
		t.Helper()
		m := regexp.MustCompile(re).FindStringSubmatch(hint)
		if m == nil {
			t.Fatalf("the hint lacks %s:\n%s", re, hint)
		}
		return m[1]
	}
	release := find(`podman kube play \(Podman (\d+\.\d+)\) ignores seccompProfile`)
	annotation := find(`(?m)^oci-sbx:\s+(seccomp\.security\.alpha\.kubernetes\.io/pod: localhost/\S+)$`)
	localhost := find(`(?m)^oci-sbx:\s+localhostProfile: (\S+)$`)
	_, version, _ := runCmd(t, podman, "version", "--format", "{{.Client.Version}}")
	if !strings.HasPrefix(strings.TrimSpace(version)+".", release+".") {
		t.Errorf("the hint speaks of Podman %s; this is Podman %s: check what kube play does and update it", release, strings.TrimSpace(version))
	}

	// kube play has no --ulimit: Podman's default limits, above this
	// machine's hard limits, go through containers.conf instead.
	conf := filepath.Join(dir, "containers.conf")
	if err := os.WriteFile(conf, []byte("[containers]\ndefault_ulimits = [\"nofile=1024:1024\", \"nproc=1024:1024\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	play := func(name, annotations, securityContext string) (string, error) {
		t.Helper()
		pod := "kubeplay-" + name + "-" + unique
		yaml := fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata:
  name: %s
  annotations: {%s}
spec:
  restartPolicy: Never
  hostNetwork: true
  securityContext: {%s}
  containers:
    - name: app
      image: %s
      command: ["/suspicious-app"]
`, pod, annotations, securityContext, image)
		file := filepath.Join(dir, name+".yaml")
		if err := os.WriteFile(file, []byte(yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = exec.Command(podman, "--cgroup-manager", "cgroupfs", "--events-backend", "file", "pod", "rm", "--force", pod).Run()
		})
		cmd := exec.Command(podman, "--cgroup-manager", "cgroupfs", "--events-backend", "file", "--runtime", "runc",
			"kube", "play", "--seccomp-profile-root", root, file)
		cmd.Env = append(os.Environ(), "CONTAINERS_CONF="+conf)
		if out, err := cmd.CombinedOutput(); err != nil {
			return string(out), err
		}
		wait := exec.Command(podman, "--events-backend", "file", "wait", pod+"-app")
		if out, err := wait.CombinedOutput(); err != nil {
			t.Fatalf("podman wait: %v\n%s", err, out)
		}
		out, err := exec.Command(podman, "--events-backend", "file", "logs", pod+"-app").CombinedOutput()
		if err != nil {
			t.Fatalf("podman logs: %v\n%s", err, out)
		}
		return string(out), nil
	}

	out, err := play("field", "", "seccompProfile: {type: Localhost, localhostProfile: "+localhost+"}")
	if err != nil || !strings.Contains(out, "Summary: 3 succeed, 0 failed") {
		t.Errorf("seccompProfile: %v, want the pod to run unconfined, as the hint says:\n%s", err, out)
	}
	k, v, _ := strings.Cut(annotation, ": ")
	out, err = play("annotation", fmt.Sprintf("%q: %q", k, v), "")
	if err != nil || !strings.Contains(out, "Summary: 2 succeed, 1 failed") {
		t.Errorf("%s: %v, want the connection refused:\n%s", annotation, err, out)
	}
	out, err = play("nested", fmt.Sprintf("%q: %q", k, "localhost/"+localhost), "")
	if err == nil || !strings.Contains(out, "is a directory") {
		t.Errorf("localhost/%s: %v, want kube play to read only %s:\n%s", localhost, err, strings.Split(localhost, "/")[0], out)
	}
}
