//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/internal/testutil"
	"github.com/oci-sbx/oci-sbx/oci"
)

// TestFlagsLint checks lint's findings about filter flags against the
// loaders here: oci-sbx exec (runc's loader linked into oci-sbx, with its
// libseccomp) fails on SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV when that
// libseccomp is older than 2.6, and the installed runc, before 1.2,
// refuses any flag. Each outcome follows the versions the binaries
// report, so the test holds on a newer machine too.
func TestFlagsLint(t *testing.T) {
	dir := t.TempDir()
	ociBin := filepath.Join(dir, "oci-sbx")
	goBuild(t, ociBin, true, "-tags", "seccomp", "./cmd/oci-sbx")
	waitKill := filepath.Join(dir, "wait-killable.json")
	if err := os.WriteFile(waitKill, []byte(`{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"],
	"syscalls": [{"names": ["kexec_load"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, out, _ := runCmd(t, ociBin, "lint", waitKill)
	for _, id := range []string{"warning [flag-unloadable]", "warning [flags-old-runc]"} {
		if !strings.Contains(out, id) {
			t.Errorf("lint: no %s\n%s", id, out)
		}
	}

	_, version, _ := runCmd(t, ociBin, "version")
	m := regexp.MustCompile(`(?m)^libseccomp:\s+(\d+)\.(\d+)`).FindStringSubmatch(version)
	if m == nil {
		t.Fatalf("oci-sbx version names no libseccomp:\n%s", version)
	}
	old := m[1] == "2" && testutil.Atoi(t, m[2]) < 6
	code, _, stderr := runCmd(t, ociBin, "exec", "--profile", waitKill, "--", "/bin/true")
	switch {
	case old && (code == 0 || !strings.Contains(stderr, "SetWaitKill requires libseccomp >= 2.6.0")):
		t.Errorf("exec with libseccomp %s.%s: exit status %d, want the load to fail as lint says\n%s", m[1], m[2], code, stderr)
	case !old && code != 0:
		t.Errorf("exec with libseccomp %s.%s: exit status %d\n%s", m[1], m[2], code, stderr)
	}

	testutil.RequireRoot(t)
	runc := requireTool(t, "runc")
	rv := runcRelease(t, runc) // "1.1.5+ds1"
	v := regexp.MustCompile(`^v?(\d+)\.(\d+)`).FindStringSubmatch(rv)
	if v == nil {
		t.Fatalf("runc release %q", rv)
	}
	before12 := v[1] == "1" && testutil.Atoi(t, v[2]) < 2
	rootfs := filepath.Join(dir, "rootfs")
	writeRootfs(t, rootfs, map[string][]byte{"tiny": tinyProgram(t)})
	bundle := filepath.Join(dir, "bundle")
	runcBundle(t, runc, bundle, rootfs, []string{"/tiny"}, oci.WithSeccomp(&specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow, Flags: []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagLog},
		Syscalls: []specs.LinuxSyscall{{Names: []string{"kexec_load"}, Action: specs.ActKillProcess}},
	}))
	code, output, timedOut := runcRun(t, runc, bundle, 30*time.Second)
	switch {
	case timedOut:
		t.Fatalf("runc run timed out\n%s", output)
	case before12 && (code == 0 || !strings.Contains(output, "seccomp flags are not yet supported by runc")):
		t.Errorf("runc %s.%s started a container with a flag (exit status %d), which lint says it refuses\n%s", v[1], v[2], code, output)
	case !before12 && (code != 0 || !strings.Contains(output, startedMarker)):
		t.Errorf("runc %s.%s: exit status %d\n%s", v[1], v[2], code, output)
	}
}
