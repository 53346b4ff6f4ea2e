//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oci-sbx/oci-sbx/internal/testutil"
	"github.com/oci-sbx/oci-sbx/oci"
)

// busyboxBundle builds oci-sbx and a runc bundle whose rootfs holds
// busybox, running it with args; it returns runc, oci-sbx, the scratch
// directory and the bundle.
func busyboxBundle(t *testing.T, args ...string) (runc, bin, dir, bundle string) {
	t.Helper()
	testutil.RequireRoot(t)
	runc = requireTool(t, "runc")
	bb, err := os.ReadFile(requireTool(t, "busybox"))
	if err != nil {
		t.Fatal(err)
	}
	dir = t.TempDir()
	bin = filepath.Join(dir, "oci-sbx")
	buildStatic(t, bin)
	rootfs := filepath.Join(dir, "rootfs")
	writeRootfs(t, rootfs, map[string][]byte{"busybox": bb})
	bundle = filepath.Join(dir, "bundle")
	runcBundle(t, runc, bundle, rootfs, append([]string{"/busybox"}, args...))
	return runc, bin, dir, bundle
}

// TestRecordContainer records a runc container through its listenerPath:
// patch --record puts the recording filter into the bundle, record
// --listen serves it while runc runs the container, and the profile it
// writes, converted to Docker's format and patched in as the container's
// profile, starts the same container under the same runc — while a
// command the recording never saw is denied.
func TestRecordContainer(t *testing.T) {
	runc, bin, dir, bundle := busyboxBundle(t, "ls", "/")

	socket := filepath.Join(dir, "record.sock")
	if code, _, stderr := runCmd(t, bin, "patch", "--record", socket, bundle); code != 0 || !strings.Contains(stderr, "record --listen "+socket) {
		t.Fatalf("patch --record: exit %d\n%s", code, stderr)
	}

	profile := filepath.Join(dir, "ls.yaml")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	listen := func(out string, log *bytes.Buffer) *exec.Cmd { return startRecorder(ctx, t, bin, socket, out, log) }
	var recOut bytes.Buffer
	rec := listen(profile, &recOut)
	code, out, timedOut := runcRun(t, runc, bundle, time.Minute)
	if code != 0 || timedOut || !strings.Contains(out, "busybox") {
		rec.Process.Kill()
		t.Fatalf("runc run under the recording filter: exit %d (timed out: %v)\n%s\nrecorder:\n%s", code, timedOut, out, recOut.String())
	}
	if err := rec.Wait(); err != nil {
		t.Fatalf("record --listen: %v\n%s", err, recOut.String())
	}
	data, err := os.ReadFile(profile)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	for _, want := range []string{"syscalls: [newfstatat]", "allowed unobserved: runc calls these", "recorded from where runc loads the container's filter", "calls by /busybox", "by runc:[2:INIT]"} {
		if !strings.Contains(text, want) {
			t.Errorf("the recorded profile lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "syscalls: [mkdir") {
		t.Errorf("ls never called mkdir:\n%s", text)
	}

	// A container created and deleted without being started never ran its
	// program: the recorder says so and writes nothing, rather than a
	// profile of runc's own calls that would pass for the container's.
	never := filepath.Join(dir, "never.yaml")
	var neverOut bytes.Buffer
	rec = listen(never, &neverOut)
	id := fmt.Sprintf("oci-sbx-e2e-record-never-%d", os.Getpid())
	// Standard descriptors to /dev/null: the created process would hold
	// a pipe open until it is deleted.
	if err := exec.Command(runc, "create", "-b", bundle, id).Run(); err != nil {
		rec.Process.Kill()
		t.Fatalf("runc create: %v", err)
	}
	if out, err := exec.Command(runc, "delete", "-f", id).CombinedOutput(); err != nil {
		t.Errorf("runc delete: %v\n%s", err, out)
	}
	if err := rec.Wait(); err == nil || !strings.Contains(neverOut.String(), "never started") {
		t.Errorf("record --listen of a container never started: %v, want a failure naming it\n%s", err, neverOut.String())
	}
	if _, err := os.Stat(never); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a profile was written for a container that never started: %v", err)
	}

	// runc killed while the container runs: the container goes on, and
	// the profile is written once its last process has exited, with what
	// it did after runc was gone.
	editBundle(t, bundle, oci.WithArgs([]string{"/busybox", "sh", "-c", "/busybox sleep 1; /busybox ls /"}))
	orphan := filepath.Join(dir, "orphan.yaml")
	var orphanOut bytes.Buffer
	rec = listen(orphan, &orphanOut)
	id = fmt.Sprintf("oci-sbx-e2e-record-orphan-%d", os.Getpid())
	t.Cleanup(func() { _ = exec.Command(runc, "delete", "-f", id).Run() })
	killed := exec.Command(runc, "run", "-b", bundle, id)
	if err := killed.Start(); err != nil {
		rec.Process.Kill()
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	_ = killed.Process.Kill()
	_ = killed.Wait()
	if err := rec.Wait(); err != nil {
		t.Fatalf("record --listen after runc was killed: %v\n%s", err, orphanOut.String())
	}
	if data, err := os.ReadFile(orphan); err != nil || !strings.Contains(string(data), "syscalls: [newfstatat]") || !strings.Contains(string(data), "nanosleep]") {
		t.Errorf("the profile of a container whose runc was killed lacks what it did after (sleep, ls): %v\n%s", err, data)
	}
	editBundle(t, bundle, oci.WithArgs([]string{"/busybox", "ls", "/"}))

	// The recording, as Docker JSON, is the container's profile now.
	docker := filepath.Join(dir, "ls.json")
	// It allows what runc calls after loading: no word that runc
	// cannot start it.
	if code, _, stderr := runCmd(t, bin, "convert", "--to", "docker", "-o", docker, profile); code != 0 || strings.Contains(stderr, "runc-cannot-start") {
		t.Fatalf("convert: exit %d\n%s", code, stderr)
	}
	if code, _, stderr := runCmd(t, bin, "patch", "--no-late", "--profile", docker, bundle); code != 0 {
		t.Fatalf("patch --profile: exit %d\n%s", code, stderr)
	}
	if code, out, _ := runcRun(t, runc, bundle, time.Minute); code != 0 || !strings.Contains(out, "busybox") {
		t.Fatalf("the recorded profile does not start the container it was recorded from: exit %d\n%s", code, out)
	}
	// Something it never did is denied.
	editBundle(t, bundle, oci.WithArgs([]string{"/busybox", "mkdir", "/tmp/new"}))
	if code, out, _ := runcRun(t, runc, bundle, time.Minute); code == 0 || !strings.Contains(out, "Operation not permitted") {
		t.Errorf("mkdir under the profile of ls: exit %d\n%s", code, out)
	}
}

// TestRecordPodman records a Podman container through the precreate hook
// (the annotation io.oci-sbx.record), within Podman's default profile,
// converts the recording to Docker's format and runs the same container
// under it with Podman: it works, and an action the recording never saw
// is denied.
func TestRecordPodman(t *testing.T) {
	testutil.RequireRoot(t)
	podman := requireTool(t, "podman")
	requireTool(t, "runc")
	busybox := requireTool(t, "busybox")
	dir := t.TempDir()
	bin := filepath.Join(dir, "oci-sbx")
	buildStatic(t, bin)
	hooksDir, records := filepath.Join(dir, "hooks.d"), filepath.Join(dir, "records")
	for _, d := range []string{hooksDir, records} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if code, out, stderr := runCmd(t, bin, "hook", "config", "--dir", hooksDir, "--records", records); code != 0 {
		t.Fatalf("hook config: exit %d\n%s%s", code, out, stderr)
	}
	unique := fmt.Sprintf("%d-%d", os.Getpid(), time.Now().UnixNano())
	image := podmanImport(t, podman, dir, busybox, "localhost/oci-sbx-e2e-record:"+unique, busybox)
	run := func(name string, args ...string) (int, string) {
		t.Helper()
		name = "oci-sbx-e2e-record-" + unique + "-" + name
		t.Cleanup(func() { runCmd(t, podman, "rm", "--force", "--ignore", name) })
		code, stdout, stderr := runCmd(t, podman, append([]string{"--hooks-dir", hooksDir}, podmanArgs(name, args...)...)...)
		return code, stdout + stderr
	}

	code, out := run("recorded", "--annotation", "io.oci-sbx.record=ls.yaml", image, "/busybox", "ls", "/")
	if code != 0 || !strings.Contains(out, "busybox") {
		t.Fatalf("podman run with io.oci-sbx.record: exit %d\n%s", code, out)
	}
	profile := filepath.Join(records, "ls.yaml")
	var data []byte
	for range 200 { // the recorder writes once the container is gone
		if data, _ = os.ReadFile(profile); len(data) > 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	text := string(data)
	for _, want := range []string{"the engine's profile stayed in force", "allowed unobserved: runc calls these", "syscalls: [getuid]", "calls by /busybox"} {
		if !strings.Contains(text, want) {
			t.Errorf("the recorded profile lacks %q:\n%s", want, text)
		}
	}
	// podman exec into a recorded container: the process it starts is
	// recorded with the container, and podman exec does not wait for
	// the container to exit.
	if code, out := run("exec", "-d", "--annotation", "io.oci-sbx.record=exec.yaml", image, "/busybox", "sleep", "5"); code != 0 {
		t.Fatalf("podman run -d with io.oci-sbx.record: exit %d\n%s", code, out)
	}
	began := time.Now()
	if code, stdout, stderr := runCmd(t, podman, "--cgroup-manager", "cgroupfs", "--events-backend", "file", "exec", "oci-sbx-e2e-record-"+unique+"-exec", "/busybox", "mkdir", "/dev/made-by-exec"); code != 0 || time.Since(began) > 4*time.Second {
		t.Errorf("podman exec into the recorded container: exit %d after %v\n%s%s", code, time.Since(began).Round(time.Millisecond), stdout, stderr)
	}
	var execData []byte
	for range 300 {
		if execData, _ = os.ReadFile(filepath.Join(records, "exec.yaml")); len(execData) > 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(string(execData), "syscalls: [mkdir") || !strings.Contains(string(execData), "nanosleep]") {
		t.Errorf("the recording lacks the exec'd mkdir or the container's sleep:\n%s", execData)
	}

	docker := filepath.Join(dir, "ls.json")
	if code, _, stderr := runCmd(t, bin, "convert", "--to", "docker", "-o", docker, profile); code != 0 {
		t.Fatalf("convert: exit %d\n%s", code, stderr)
	}
	if code, out := run("replayed", "--security-opt", "seccomp="+docker, image, "/busybox", "ls", "/"); code != 0 || !strings.Contains(out, "busybox") {
		t.Errorf("podman run under the recorded profile: exit %d\n%s", code, out)
	}
	if code, out := run("denied", "--security-opt", "seccomp="+docker, image, "/busybox", "mkdir", "/tmp/new"); code == 0 || !strings.Contains(out, "Operation not permitted") {
		t.Errorf("mkdir under the profile of ls: exit %d\n%s", code, out)
	}
}

// TestRecordRootless records, extends with --base, checks and verifies as
// a user without privileges — once plainly (notify under no_new_privs, the
// only mode there) and once as root of a user namespace of its own — with
// the real kernel: the base's calls run unrecorded, the result is the base
// plus what was new, and the check and the replay see every call.
func TestRecordRootless(t *testing.T) {
	testutil.RequireRoot(t) // to become the unprivileged user
	setpriv := requireTool(t, "setpriv")
	unshare := requireTool(t, "unshare")
	busybox := requireTool(t, "busybox")
	dir := reachableDir(t, "oci-sbx-e2e-record-rootless-")
	bin := filepath.Join(dir, "oci-sbx")
	buildStatic(t, bin)
	for name, wrap := range map[string][]string{"user": nil, "userns": {unshare, "--user", "--map-root-user"}} {
		t.Run(name, func(t *testing.T) {
			work := filepath.Join(dir, name)
			if err := os.Mkdir(work, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Chown(work, 65534, 65534); err != nil {
				t.Fatal(err)
			}
			run := func(args ...string) (int, string) {
				t.Helper()
				argv := append([]string{"--reuid", "65534", "--regid", "65534", "--clear-groups"}, wrap...)
				argv = append(append(argv, bin), args...)
				code, _, stderr := runCmd(t, setpriv, argv...)
				return code, stderr
			}
			a, b := filepath.Join(work, "a.yaml"), filepath.Join(work, "b.yaml")
			if code, stderr := run("record", "-o", a, "--", busybox, "ls", "/"); code != 0 {
				t.Fatalf("record: exit %d\n%s", code, stderr)
			}
			if code, stderr := run("record", "--check", a, "--", busybox, "ls", "-l", "/"); code != CheckFailedStatus ||
				!strings.Contains(stderr, "not in "+a+": x86_64 read by ") {
				t.Errorf("check of ls -l against the recording of ls: exit %d, want %d naming read\n%s", code, CheckFailedStatus, stderr)
			}
			if code, stderr := run("record", "--verify", "--base", a, "-o", b, "--", busybox, "ls", "-l", "/"); code != 0 {
				t.Fatalf("record --verify --base: exit %d\n%s", code, stderr)
			}
			data, err := os.ReadFile(b)
			if err != nil {
				t.Fatal(err)
			}
			text := string(data)
			for _, want := range []string{"# Base: " + a + ". This profile is the base plus what the run needed beyond it.", "syscalls: [getdents64]\n    comment: \"from the base\"", "syscalls: [read]\n    comment: \""} {
				if !strings.Contains(text, want) {
					t.Errorf("the extended recording lacks %q:\n%s", want, text)
				}
			}
			if code, stderr := run("record", "--check", b, "--", busybox, "ls", "-l", "/"); code != 0 {
				t.Errorf("check against the extended recording: exit %d\n%s", code, stderr)
			}
		})
	}
}

// startRecorder starts `record --listen socket -o out`, its output going
// to log, and waits until it listens.
func startRecorder(ctx context.Context, t *testing.T, bin, socket, out string, log *bytes.Buffer) *exec.Cmd {
	t.Helper()
	rec := exec.CommandContext(ctx, bin, "record", "--listen", socket, "-o", out)
	rec.Stdout, rec.Stderr = log, log
	if err := rec.Start(); err != nil {
		t.Fatal(err)
	}
	for range 500 {
		if _, err := os.Stat(socket); err == nil {
			return rec
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("record --listen %s: no socket after 5 s\n%s", socket, log)
	return nil
}

// CheckFailedStatus is record --check's exit status for a call the
// profile does not allow.
const CheckFailedStatus = 99

// TestRecordContainerExec: runc exec into a recorded container loads the
// container's filter again and hands its listener over on the same
// socket; the process it starts is recorded with the container (here a
// mkdir the container's own program never made), and runc exec neither
// waits for the container to exit nor fails.
func TestRecordContainerExec(t *testing.T) {
	runc, bin, dir, bundle := busyboxBundle(t, "sleep", "5")
	socket := filepath.Join(dir, "record.sock")
	if code, _, stderr := runCmd(t, bin, "patch", "--record", socket, bundle); code != 0 {
		t.Fatalf("patch --record: exit %d\n%s", code, stderr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	profile := filepath.Join(dir, "exec.yaml")
	var log bytes.Buffer
	rec := startRecorder(ctx, t, bin, socket, profile, &log)
	id := fmt.Sprintf("oci-sbx-e2e-record-exec-%d", os.Getpid())
	t.Cleanup(func() { _ = exec.Command(runc, "delete", "-f", id).Run() })
	// Standard descriptors to /dev/null: the container would hold a pipe
	// open until it exits.
	if err := exec.Command(runc, "run", "-d", "-b", bundle, id).Run(); err != nil {
		rec.Process.Kill()
		t.Fatalf("runc run -d: %v", err)
	}
	began := time.Now()
	execCtx, execCancel := context.WithTimeout(ctx, 4*time.Second)
	defer execCancel()
	out, err := exec.CommandContext(execCtx, runc, "exec", id, "/busybox", "mkdir", "/dev/made-by-exec").CombinedOutput()
	if err != nil {
		t.Errorf("runc exec into the recorded container: %v after %v\n%s", err, time.Since(began).Round(time.Millisecond), out)
	}
	if err := rec.Wait(); err != nil {
		t.Fatalf("record --listen: %v\n%s", err, log.String())
	}
	data, err := os.ReadFile(profile)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "syscalls: [mkdir") || !strings.Contains(string(data), "nanosleep]") {
		t.Errorf("the profile lacks the exec'd mkdir or the container's sleep:\n%s", data)
	}
}
