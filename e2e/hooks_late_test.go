//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/oci-sbx/oci-sbx/internal/testutil"
)

// TestHookLateRestart checks what collecting the hook's late stages rests
// on: Podman runs the precreate hook again when it starts a stopped
// container, so a container that exited, whose late stage's directory was
// collected, starts again under its profile, with the directory made anew.
func TestHookLateRestart(t *testing.T) {
	testutil.RequireRoot(t)
	podman := requireTool(t, "podman")
	requireTool(t, "runc")
	dir := t.TempDir()
	bin := filepath.Join(dir, "oci-sbx")
	buildStatic(t, bin)
	app := filepath.Join(dir, "suspicious-app")
	goBuild(t, app, false, "./testdata/suspicious-app")
	profiles, hooksDir, late := filepath.Join(dir, "profiles"), filepath.Join(dir, "hooks.d"), filepath.Join(dir, "late")
	for _, d := range []string{profiles, hooksDir} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	demo, err := os.ReadFile(filepath.Join(testutil.Root(t), "testdata", "demo.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{
		"demo.yaml":  string(demo),
		"other.yaml": "default: allow\nrules:\n  - action: errno(EPERM)\n    syscalls: [openat, unlinkat]\n",
	} {
		if err := os.WriteFile(filepath.Join(profiles, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The hooks.d document of hook config, with a late directory of this
	// test's own.
	code, doc, stderr := runCmd(t, bin, "hook", "config", "--profiles", profiles)
	if code != 0 {
		t.Fatalf("hook config: exit status %d\n%s", code, stderr)
	}
	var hook map[string]any
	if err := json.Unmarshal([]byte(doc), &hook); err != nil {
		t.Fatal(err)
	}
	h := hook["hook"].(map[string]any)
	h["args"] = append(h["args"].([]any), "--late-dir", late)
	data, err := json.Marshal(hook)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(hooksDir, "oci-sbx.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	unique := fmt.Sprintf("%d-%d", os.Getpid(), time.Now().UnixNano())
	image := podmanImport(t, podman, dir, app, "localhost/oci-sbx-e2e-late-restart:"+unique)
	global := []string{"--hooks-dir", hooksDir, "--cgroup-manager", "cgroupfs", "--events-backend", "file"}
	opts := []string{"--runtime", "runc", "--network", "none", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024",
		"--pull", "never", "--security-opt", "seccomp=unconfined"}

	kept := "oci-sbx-e2e-late-restart-" + unique
	t.Cleanup(func() { runCmd(t, podman, "rm", "--force", "--ignore", kept) })
	args := append(append(append(append([]string{}, global...), "run", "--name", kept), opts...), "--annotation", "io.oci-sbx.profile=demo.yaml", image, "/suspicious-app")
	code, out, stderr := runCmd(t, podman, args...)
	if code != 0 {
		t.Fatalf("podman run: exit status %d\n%s%s", code, out, stderr)
	}
	checkDemoDenied(t, out)
	dirs := ageLateDirs(t, late)
	if len(dirs) != 1 {
		t.Fatalf("the late directory holds %v, want the demo's late stage alone", dirs)
	}
	demoDir := dirs[0]

	// Another container with a late stage: its creation collects the
	// exited container's directory.
	other := kept + "-other"
	t.Cleanup(func() { runCmd(t, podman, "rm", "--force", "--ignore", other) })
	args = append(append(append(append([]string{}, global...), "run", "--rm", "--name", other), opts...), "--annotation", "io.oci-sbx.profile=other.yaml", image, "/suspicious-app")
	if code, out, stderr := runCmd(t, podman, args...); code != 0 {
		t.Fatalf("podman run: exit status %d\n%s%s", code, out, stderr)
	}
	if _, err := os.Stat(filepath.Join(late, demoDir)); !os.IsNotExist(err) {
		t.Fatalf("the exited container's late stage %s was not collected (%v)", demoDir, err)
	}

	code, out, stderr = runCmd(t, podman, append(append([]string{}, global...), "start", "--attach", kept)...)
	if code != 0 {
		t.Fatalf("podman start: exit status %d\n%s%s", code, out, stderr)
	}
	checkDemoDenied(t, out)
	if _, err := os.Stat(filepath.Join(late, demoDir)); err != nil {
		t.Errorf("the restarted container's late stage was not made anew: %v", err)
	}
}
