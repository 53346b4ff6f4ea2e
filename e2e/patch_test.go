//go:build e2e

package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oci-sbx/oci-sbx/internal/testutil"
)

type patchEnv struct {
	runc   string
	oci    string // oci-sbx with seccomp support; oci-sbx-static lies next to it
	rootfs string // holds /suspicious-app and /etc/passwd
}

// TestPatch patches bundles made by `runc spec` with the built oci-sbx and
// runs them with the real runc: the suspicious app's report shows what
// the profile stops.
func TestPatch(t *testing.T) {
	testutil.RequireRoot(t)
	env := patchEnv{runc: requireTool(t, "runc")}
	dir := t.TempDir()
	env.oci = filepath.Join(dir, "oci-sbx")
	app := filepath.Join(dir, "suspicious-app")
	goBuild(t, env.oci, true, "-tags", "seccomp", "./cmd/oci-sbx")
	// Found by patch as the late stage binary, next to oci-sbx.
	buildStatic(t, filepath.Join(dir, "oci-sbx-static"))
	goBuild(t, app, false, "./testdata/suspicious-app")
	appData, err := os.ReadFile(app)
	if err != nil {
		t.Fatal(err)
	}
	env.rootfs = filepath.Join(dir, "rootfs")
	writeRootfs(t, env.rootfs, map[string][]byte{"suspicious-app": appData})

	t.Run("unconfined", func(t *testing.T) { testPatchUnconfined(t, env) })
	t.Run("deny-connect", func(t *testing.T) { testPatchDenyConnect(t, env) })
	t.Run("demo", func(t *testing.T) { testPatchDemo(t, env) })
	t.Run("no-late", func(t *testing.T) { testPatchNoLate(t, env) })
}

// bundle makes a bundle for the app with the given arguments.
func (env patchEnv) bundle(t *testing.T, args ...string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "bundle")
	runcBundle(t, env.runc, dir, env.rootfs, append([]string{"/suspicious-app"}, args...))
	return dir
}

// patch runs oci-sbx patch and fails the test unless it succeeds.
func (env patchEnv) patch(t *testing.T, args ...string) {
	t.Helper()
	code, stdout, stderr := runCmd(t, env.oci, append([]string{"patch"}, args...)...)
	t.Logf("oci-sbx patch %s: exit status %d\n%s%s", strings.Join(args, " "), code, stdout, stderr)
	if code != 0 {
		t.Fatal("patch failed")
	}
}

// run runs the bundle with runc and returns runc's exit status (the app's
// own) and everything printed.
func (env patchEnv) run(t *testing.T, bundle string) (int, string) {
	t.Helper()
	start := time.Now()
	code, out, timedOut := runcRun(t, env.runc, bundle, time.Minute)
	t.Logf("runc run: exit status %d after %v\n%s", code, time.Since(start).Round(time.Millisecond), out)
	if timedOut {
		t.Fatal("runc run timed out")
	}
	return code, out
}

func rulesFile(t *testing.T, rules string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "rules.yaml")
	if err := os.WriteFile(p, []byte(rules), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// The control: without a profile every activity succeeds in this
// container, so a failure below is the profile's doing.
func testPatchUnconfined(t *testing.T, env patchEnv) {
	code, out := env.run(t, env.bundle(t))
	if code != 0 {
		t.Fatalf("exit status %d", code)
	}
	checkActivities(t, out, map[string]bool{"read_file": true, "count_processes": true, "access_network": true}, "Summary: 3 succeed, 0 failed")
}

// A profile runc can start with goes into linux.seccomp as it is.
func testPatchDenyConnect(t *testing.T, env patchEnv) {
	bundle := env.bundle(t)
	env.patch(t, "--profile", rulesFile(t, "default: allow\nrules:\n  - action: errno(EPERM)\n    syscalls: [connect]\n"), bundle)
	// Only the lock that patches of the bundle take.
	if entries, err := os.ReadDir(filepath.Join(bundle, ".oci-sbx")); err != nil || len(entries) != 1 || entries[0].Name() != "lock" {
		t.Errorf("deny-connect got a late stage: %v %v", entries, err)
	}
	code, out := env.run(t, bundle)
	if code != 0 {
		t.Fatalf("exit status %d", code)
	}
	checkActivities(t, out, map[string]bool{"read_file": true, "count_processes": true, "access_network": false}, "Summary: 2 succeed, 1 failed")
	if !strings.Contains(out, "connect: operation not permitted") {
		t.Error("access_network did not fail with EPERM from connect")
	}
}

// The demo denies openat, which runc needs after it loads the filter:
// patch sets up the late stage, and the app runs under the whole profile.
func testPatchDemo(t *testing.T, env patchEnv) {
	demo := filepath.Join(testutil.Root(t), "testdata", "demo.yaml")
	bundle := env.bundle(t)
	env.patch(t, "--profile", demo, bundle)
	code, out := env.run(t, bundle)
	if code != 0 {
		t.Fatalf("exit status %d", code)
	}
	checkDemoDenied(t, out)

	// The late stage execs the app in its place: the app's exit status
	// is the container's (the app exits 2 for an unknown argument).
	bundle = env.bundle(t, "-no-such-flag")
	env.patch(t, "--profile", demo, bundle)
	if code, out := env.run(t, bundle); code != 2 || !strings.Contains(out, "flag provided but not defined") {
		t.Errorf("exit status %d, want the app's 2", code)
	}
}

// --no-late refuses the demo, naming the rule and runc's failure, and
// leaves config.json byte for byte.
func testPatchNoLate(t *testing.T, env patchEnv) {
	bundle := env.bundle(t)
	config := filepath.Join(bundle, "config.json")
	before, err := os.ReadFile(config)
	if err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCmd(t, env.oci, "patch", "--no-late", "--profile", filepath.Join(testutil.Root(t), "testdata", "demo.yaml"), bundle)
	if code != 1 || !strings.Contains(stderr, "--no-late rules out the late stage") || !strings.Contains(stderr, "openat: the profile gives errno(EPERM); runc with noNewPrivileges true calls it after loading the filter and fails") {
		t.Errorf("exit status %d, stderr:\n%s", code, stderr)
	}
	if after, _ := os.ReadFile(config); !bytes.Equal(after, before) {
		t.Error("config.json changed")
	}
	entries, _ := os.ReadDir(bundle)
	if len(entries) != 1 {
		t.Errorf("the bundle holds more than config.json: %v", entries)
	}
}
