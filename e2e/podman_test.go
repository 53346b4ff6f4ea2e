//go:build e2e

package e2e

import (
	"archive/tar"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/oci-sbx/oci-sbx/internal/testutil"
)

// podmanRun is how these tests start a container; each flag is needed on
// the machines the tests run on (Debian 12, Podman 4.3.1, runc 1.1.5,
// cgroup v1, no systemd, no registry):
//
//   - --cgroup-manager cgroupfs and --events-backend file are global flags.
//     They are Podman's defaults here (there is no systemd to manage cgroups
//     and no journald to log to); saying so makes the tests independent of
//     containers.conf.
//   - --runtime runc: crun fails on hybrid cgroups (and is not installed
//     here), and runc is the runtime oci-sbx models.
//   - --ulimit nofile=1024:1024 --ulimit nproc=1024:1024: Podman asks for
//     RLIMIT_NOFILE 1048576 and a large RLIMIT_NPROC, above this machine's
//     hard limits, and runc then fails with "error setting rlimit type 7
//     (then 6): operation not permitted".
//   - --network none: the suspicious app connects to its own listener on
//     127.0.0.1, which works on the loopback device of a fresh network
//     namespace. The default (netavark bridge) also works offline but costs
//     about 0.5 s more per run; --network host works too but shares the
//     host's network with the container.
//   - --pull never: the image is made here by `podman import`; nothing is
//     ever pulled.
//   - --rm and a unique --name, so a failed or killed run leaves nothing
//     behind that a cleanup cannot name.
func podmanArgs(name string, args ...string) []string {
	return append([]string{
		"--cgroup-manager", "cgroupfs", "--events-backend", "file",
		"run", "--rm", "--name", name, "--pull", "never",
		"--runtime", "runc", "--network", "none",
		"--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024",
	}, args...)
}

type podmanEnv struct {
	podman string // the podman program
	oci    string // a pure (CGO_ENABLED=0) oci-sbx: convert needs no cgo
	image  string // the imported image holding the suspicious app
	unique string // a suffix for container names
}

// TestPodman proves that what `oci-sbx convert --to docker` writes is
// accepted by Podman and enforced by runc inside a real container.
func TestPodman(t *testing.T) {
	testutil.RequireRoot(t)
	podman := requireTool(t, "podman")
	requireTool(t, "runc")

	dir := t.TempDir()
	env := podmanEnv{
		podman: podman,
		oci:    filepath.Join(dir, "oci-sbx"),
		unique: fmt.Sprintf("%d-%d", os.Getpid(), time.Now().UnixNano()),
	}
	app := filepath.Join(dir, "suspicious-app")
	goBuild(t, env.oci, false, "./cmd/oci-sbx")
	goBuild(t, app, false, "./testdata/suspicious-app")
	env.image = podmanImport(t, podman, dir, app, "localhost/oci-sbx-e2e:"+env.unique)

	t.Run("unconfined", func(t *testing.T) { testPodmanUnconfined(t, env) })
	t.Run("deny-connect", func(t *testing.T) { testPodmanDenyConnect(t, env) })
	t.Run("demo", func(t *testing.T) { testPodmanDemo(t, env) })
	t.Run("parse-error-control", func(t *testing.T) { testPodmanParseError(t, env) })
}

// podmanImport makes an image without a registry: a rootfs tarball with
// the static app at /suspicious-app, any other programs at /NAME, an
// /etc/passwd for it to read and the empty directories the runtime mounts
// over, imported under tag. The image is removed when the test ends.
func podmanImport(t *testing.T, podman, dir, app, tag string, programs ...string) string {
	t.Helper()
	appData, err := os.ReadFile(app)
	if err != nil {
		t.Fatal(err)
	}
	type entry struct {
		name string
		mode int64
		data []byte
	}
	var extra []entry
	for _, p := range programs {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		extra = append(extra, entry{filepath.Base(p), 0o755, data})
	}
	tarball := filepath.Join(dir, "rootfs.tar")
	f, err := os.Create(tarball)
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(f)
	mtime := time.Unix(0, 0)
	for _, e := range append([]entry{
		{"dev/", 0o755, nil},
		{"etc/", 0o755, nil},
		{"etc/passwd", 0o644, []byte("root:x:0:0:root:/root:/bin/sh\n")},
		{"proc/", 0o555, nil},
		{"sys/", 0o555, nil},
		{"tmp/", 0o1777, nil},
		{"suspicious-app", 0o755, appData},
	}, extra...) {
		hdr := &tar.Header{Name: e.name, Mode: e.mode, ModTime: mtime, Typeflag: tar.TypeReg, Size: int64(len(e.data))}
		if strings.HasSuffix(e.name, "/") {
			hdr.Typeflag, hdr.Size = tar.TypeDir, 0
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(e.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	code, stdout, stderr := runCmd(t, podman, "import", "--quiet", tarball, tag)
	if code != 0 {
		t.Fatalf("podman import: exit status %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	t.Cleanup(func() {
		if code, stdout, stderr := runCmd(t, podman, "rmi", "--force", tag); code != 0 {
			t.Errorf("removing image %s: exit status %d\nstdout:\n%s\nstderr:\n%s", tag, code, stdout, stderr)
		}
	})
	return tag
}

// run starts the app in a container with the given seccomp option and
// returns its exit status and everything it and Podman printed.
func (env podmanEnv) run(t *testing.T, seccomp string) (code int, output string) {
	t.Helper()
	name := "oci-sbx-e2e-" + env.unique + "-" + strings.ReplaceAll(t.Name(), "/", "-")
	t.Cleanup(func() {
		// --rm removes the container; this covers a run cut short.
		runCmd(t, env.podman, "rm", "--force", "--ignore", name)
	})
	start := time.Now()
	code, stdout, stderr := runCmd(t, env.podman, podmanArgs(name, "--security-opt", "seccomp="+seccomp, env.image, "/suspicious-app")...)
	output = fmt.Sprintf("podman run --security-opt seccomp=%s: exit status %d after %v\nstdout:\n%s\nstderr:\n%s",
		seccomp, code, time.Since(start).Round(time.Millisecond), stdout, stderr)
	t.Log(output)
	return code, output
}

// convert writes rules (YAML) to a file and converts it with the built
// binary to Docker JSON, returning the JSON file's path.
func (env podmanEnv) convert(t *testing.T, rules string) string {
	t.Helper()
	dir := t.TempDir()
	in, out := filepath.Join(dir, "rules.yaml"), filepath.Join(dir, "profile.json")
	if err := os.WriteFile(in, []byte(rules), 0o644); err != nil {
		t.Fatal(err)
	}
	return env.convertFile(t, in, out)
}

func (env podmanEnv) convertFile(t *testing.T, in, out string) string {
	t.Helper()
	code, stdout, stderr := runCmd(t, env.oci, "convert", in, "--to", "docker", "-o", out)
	if code != 0 {
		t.Fatalf("oci-sbx convert %s --to docker: exit status %d\nstdout:\n%s\nstderr:\n%s", in, code, stdout, stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("oci-sbx convert %s --to docker:\n%s", filepath.Base(in), data)
	return out
}

// checkActivities checks the app's per-activity verdicts and its summary.
func checkActivities(t *testing.T, output string, ok map[string]bool, summary string) {
	t.Helper()
	for _, activity := range []string{"read_file", "count_processes", "access_network"} {
		want := "=== " + activity + " fail ===\n"
		if ok[activity] {
			want = "=== " + activity + " ok ===\n"
		}
		if !strings.Contains(output, want) {
			t.Errorf("output lacks %q", strings.TrimSpace(want))
		}
	}
	if !strings.Contains(output, summary+"\n") {
		t.Errorf("output lacks %q", summary)
	}
}

// testPodmanUnconfined is the control: without seccomp every activity
// succeeds in this container, so a failure below is the profile's doing.
func testPodmanUnconfined(t *testing.T, env podmanEnv) {
	code, output := env.run(t, "unconfined")
	if code != 0 {
		t.Fatalf("exit status %d, want 0", code)
	}
	checkActivities(t, output, map[string]bool{"read_file": true, "count_processes": true, "access_network": true},
		"Summary: 3 succeed, 0 failed")
}

// testPodmanDenyConnect converts a rules file that denies only connect and
// runs the app under it: the network fails with EPERM, the rest works.
func testPodmanDenyConnect(t *testing.T, env podmanEnv) {
	profile := env.convert(t, `# Allow everything but connecting.
default: allow
rules:
  - action: errno(EPERM)
    syscalls: [connect]
`)
	code, output := env.run(t, profile)
	if code != 0 {
		t.Fatalf("exit status %d, want 0", code)
	}
	checkActivities(t, output, map[string]bool{"read_file": true, "count_processes": true, "access_network": false},
		"Summary: 2 succeed, 1 failed")
	if !strings.Contains(output, "connect: operation not permitted") {
		t.Error("access_network did not fail with EPERM from connect")
	}
}

// runcPostLoadOpen matches runc's errors when a file it opens after
// loading the container's filter is denied: "open exec fifo" /
// "reopen exec fifo", and in runc 1.1.5 (what Podman reports here) "error
// closing exec fds: open /proc/self/fd" — listing its fds to close them.
var runcPostLoadOpen = regexp.MustCompile(`(exec fifo|open /proc/(self|thread-self)/fd)[^\n]*operation not permitted`)

// testPodmanDemo converts the demo (deny openat and connect). Podman
// accepts the file, but runc cannot start a container whose profile denies
// openat: runc opens files itself after it has loaded the filter (DESIGN.md
// §5). Such rules need the second stage inside the container that `oci-sbx
// patch` and the precreate hook set up (e2e/patch_test.go, hooks_test.go).
func testPodmanDemo(t *testing.T, env podmanEnv) {
	profile := env.convertFile(t, filepath.Join(testutil.Root(t), "testdata", "demo.yaml"), filepath.Join(t.TempDir(), "demo.json"))
	code, output := env.run(t, profile)
	if strings.Contains(output, "loading seccomp profile") {
		t.Fatal("Podman could not parse the profile")
	}
	if code == 0 {
		// Not seen with runc 1.1.5: a runtime that opens nothing after
		// loading the filter would run the demo as `oci-sbx exec` does.
		t.Log("NOTE: runc started a container whose profile denies openat")
		checkActivities(t, output, nil, "Summary: 0 succeed, 3 failed")
		return
	}
	// 126: Podman ran the runtime, and the runtime could not start the
	// container (125 would be Podman's own error).
	if code != 126 {
		t.Errorf("exit status %d, want 126 (the runtime failed)", code)
	}
	if !runcPostLoadOpen.MatchString(output) {
		t.Errorf("output does not match %s: runc failed for another reason than the denied openat", runcPostLoadOpen)
	}
	if strings.Contains(output, "Summary:") {
		t.Error("the app ran although runc failed")
	}
}

// testPodmanParseError makes sure the check above means something: a
// profile Podman cannot parse fails with "loading seccomp profile", before
// any runtime is involved.
func testPodmanParseError(t *testing.T, env podmanEnv) {
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte(`{"defaultAction": "SCMP_ACT_ALLOW", "defaultErrno": "ENOSUCHERRNO"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	code, output := env.run(t, bad)
	if code != 125 || !strings.Contains(output, "loading seccomp profile") {
		t.Errorf("exit status %d, want 125 and a parse error", code)
	}
}
