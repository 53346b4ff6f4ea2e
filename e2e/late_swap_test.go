//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oci-sbx/oci-sbx/internal/testutil"
)

// TestLateProfileSwapped: a member of the class "the bundle runs a
// profile nobody asked for". The late stage's profile file is named by
// the SHA-256 of its bytes; if the file's bytes change after the patch
// (a copy, a sync, a hand edit), the container must not run under the
// changed profile: the late stage refuses it, or the call stays denied.
func TestLateProfileSwapped(t *testing.T) {
	testutil.RequireRoot(t)
	runc := requireTool(t, "runc")
	dir := t.TempDir()
	oci := filepath.Join(dir, "oci-sbx")
	goBuild(t, oci, true, "-tags", "seccomp", "./cmd/oci-sbx")
	buildStatic(t, filepath.Join(dir, "oci-sbx-static"))
	_, rootfs := callsRootfs(t, dir)
	bundle := filepath.Join(dir, "bundle")
	runcBundle(t, runc, bundle, rootfs, []string{"/calls", "openat"})

	profile := rulesFile(t, "default: allow\nrules:\n  - action: errno(EPERM)\n    syscalls: [openat]\n")
	if code, _, stderr := runCmd(t, oci, "patch", "--profile", profile, bundle); code != 0 {
		t.Fatalf("patch: exit %d\n%s", code, stderr)
	}
	late, _ := filepath.Glob(filepath.Join(bundle, ".oci-sbx", "profile-*.json"))
	if len(late) != 1 {
		t.Fatalf("late stage files %v, want one profile", late)
	}
	if err := os.WriteFile(late[0], []byte("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": [], \"syscalls\": []}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, timedOut := runcRun(t, runc, bundle, time.Minute)
	if timedOut {
		t.Fatalf("runc run timed out\n%s", out)
	}
	if code == 0 && !strings.Contains(out, "openat EPERM") {
		t.Errorf("the container ran under the swapped late profile (openat not denied):\n%s", out)
	}
}
