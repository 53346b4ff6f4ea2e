//go:build e2e

package e2e

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/oci-sbx/oci-sbx/internal/testutil"
	"github.com/oci-sbx/oci-sbx/oci"
)

// The calls the atomicity tests tell profiles apart by: profile i denies
// atomicCalls[i] with EPERM, and all but the last deny openat too, which
// needs a late stage.
var atomicCalls = []string{"mkdirat", "unlinkat", "symlinkat", "linkat", "renameat2", "fchmodat", "fchownat", "mknodat", "faccessat"}

type atomicEnv struct {
	patchEnv
	calls    string   // the calls program, on the host
	profiles []string // rules files
}

// TestPatchAtomic checks that `oci-sbx patch` changes a bundle as a whole:
// after concurrent patches, kills at random moments and writes that fail,
// `runc run` runs the container under exactly one of the profiles asked
// for, or as before — read from what the calls the container makes get,
// not from the files.
func TestPatchAtomic(t *testing.T) {
	testutil.RequireRoot(t)
	env := atomicEnv{patchEnv: patchEnv{runc: requireTool(t, "runc")}}
	requireTool(t, "chattr")
	dir := t.TempDir()
	env.oci = filepath.Join(dir, "oci-sbx")
	goBuild(t, env.oci, true, "-tags", "seccomp", "./cmd/oci-sbx")
	buildStatic(t, filepath.Join(dir, "oci-sbx-static"))
	env.calls, env.rootfs = callsRootfs(t, dir)
	for i, c := range atomicCalls {
		names := "[openat, " + c + "]"
		if i == len(atomicCalls)-1 {
			names = "[" + c + "]"
		}
		env.profiles = append(env.profiles, rulesFile(t, "default: allow\nrules:\n  - action: errno(EPERM)\n    syscalls: "+names+"\n"))
	}

	t.Run("race", func(t *testing.T) { testPatchRace(t, env) })
	t.Run("kill", func(t *testing.T) { testPatchKill(t, env) })
	t.Run("immutable", func(t *testing.T) { testPatchImmutable(t, env) })
	t.Run("read-only", func(t *testing.T) { testPatchReadOnly(t, env) })
	t.Run("exec-bundle", func(t *testing.T) { testExecBundleLate(t, env) })
	t.Run("created", func(t *testing.T) { testPatchCreated(t, env) })
	t.Run("while-running", func(t *testing.T) { testPatchWhileRunning(t, env) })
	t.Run("hook-late-collected", func(t *testing.T) { testHookLateCollected(t, env) })
}

// newBundle makes a bundle that runs the calls program.
func (env atomicEnv) newBundle(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "bundle")
	runcBundle(t, env.runc, dir, env.rootfs, append([]string{"/calls", "openat"}, atomicCalls...))
	return dir
}

// runsAs runs the bundle with runc and returns the profile the calls
// were answered by: its index, or -1 for none. Anything else — a set of
// denials no profile asked for, or a container that does not start —
// fails the test.
func (env atomicEnv) runsAs(t *testing.T, bundle string) int {
	t.Helper()
	code, out, timedOut := runcRun(t, env.runc, bundle, time.Minute)
	if timedOut || code != 0 {
		t.Fatalf("runc run: exit status %d (timed out %v)\n%s", code, timedOut, out)
	}
	return env.answeredBy(t, out)
}

// answeredBy reads the calls program's output: the profile whose
// denials it shows, or -1 for none.
func (env atomicEnv) answeredBy(t *testing.T, out string) int {
	t.Helper()
	var denied []string
	for _, line := range strings.Split(out, "\n") {
		if name, errno, ok := strings.Cut(line, " "); ok && errno == "EPERM" {
			denied = append(denied, name)
		}
	}
	if len(denied) == 0 {
		return -1
	}
	slices.Sort(denied)
	for i, c := range atomicCalls {
		want := []string{c, "openat"}
		if i == len(atomicCalls)-1 {
			want = []string{c}
		}
		slices.Sort(want)
		if slices.Equal(denied, want) {
			return i
		}
	}
	t.Fatalf("the container runs under no profile asked for: denied %v\n%s", denied, out)
	return 0
}

// patchCmd is `oci-sbx patch --profile profiles[i] bundle`.
func (env atomicEnv) patchCmd(bundle string, i int) *exec.Cmd {
	return exec.Command(env.oci, "patch", "--profile", env.profiles[i], bundle)
}

// onlyFilesOf checks that the late stage's directory holds the lock and
// the files of profile i's plan, nothing else, after patching once more
// with profile i: a patch keeps the files of the config it replaced (a
// runc that read that config may still be setting up its container), and
// the next one removes them.
func (env atomicEnv) onlyFilesOf(t *testing.T, bundle string, i int) {
	t.Helper()
	names := func() []string {
		entries, _ := os.ReadDir(filepath.Join(bundle, ".oci-sbx"))
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		return names
	}
	want := 1 // the lock
	if i >= 0 && i < len(atomicCalls)-1 {
		want = 3 // and the binary and one profile
	}
	if got := names(); len(got) > want+2 {
		t.Errorf("the late stage's directory holds %v, more than two configs' files", got)
	}
	if i >= 0 {
		if out, err := env.patchCmd(bundle, i).CombinedOutput(); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
	}
	if got := names(); len(got) != want || !slices.Contains(got, "lock") {
		t.Errorf("the late stage's directory holds %v", got)
	}
}

// Ten rounds of nine concurrent patches, each with another profile.
func testPatchRace(t *testing.T, env atomicEnv) {
	seen := map[int]int{}
	for round := range 10 {
		bundle := env.newBundle(t)
		var wg sync.WaitGroup
		errs := make([]string, len(env.profiles))
		for i := range env.profiles {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if out, err := env.patchCmd(bundle, i).CombinedOutput(); err != nil {
					errs[i] = fmt.Sprintf("patch %d: %v\n%s", i, err, out)
				}
			}()
		}
		wg.Wait()
		if e := strings.Join(errs, ""); e != "" {
			t.Fatalf("round %d: %s", round, e)
		}
		got := env.runsAs(t, bundle)
		if got < 0 {
			t.Fatalf("round %d: the container runs unconfined", round)
		}
		env.onlyFilesOf(t, bundle, got)
		seen[got]++
	}
	t.Logf("10 rounds of %d concurrent patches: the container ran as profile (rounds) %v", len(env.profiles), seen)
}

// SIGKILL at a random moment of each of 60 patches, between profiles with
// and without a late stage.
func testPatchKill(t *testing.T, env atomicEnv) {
	bundle := env.newBundle(t)
	if out, err := env.patchCmd(bundle, 0).CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	// How long a patch takes once the binary is in the bundle (the
	// median of five), to spread the kills over.
	var spans []time.Duration
	for i := range 5 {
		start := time.Now()
		if out, err := env.patchCmd(bundle, 3+i%2).CombinedOutput(); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		spans = append(spans, time.Since(start))
	}
	slices.Sort(spans)
	span := spans[2]
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	seen := map[int]int{}
	killed := 0
	for k := range 60 {
		to := []int{1, len(atomicCalls) - 1, 2}[k%3]
		cmd := env.patchCmd(bundle, to)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(r.Int64N(int64(span))))
		cmd.Process.Signal(syscall.SIGKILL)
		if cmd.Wait() != nil && cmd.ProcessState.Sys().(syscall.WaitStatus).Signaled() {
			killed++ // before it ended
		}
		seen[env.runsAs(t, bundle)]++
	}
	t.Logf("60 patches killed at random within %v (%d before they ended): the container ran as profile (times) %v", span, killed, seen)
}

// A patch of an immutable bundle fails, and the container runs as before;
// so does one whose late stage's directory is immutable. The next patch
// removes what the failed ones left.
func testPatchImmutable(t *testing.T, env atomicEnv) {
	bundle := env.newBundle(t)
	if out, err := env.patchCmd(bundle, 0).CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	// A profile each, whose late file is not there yet.
	for i, target := range []string{bundle, filepath.Join(bundle, ".oci-sbx")} {
		if out, err := exec.Command("chattr", "+i", target).CombinedOutput(); err != nil {
			t.Fatalf("chattr +i: %v\n%s", err, out)
		}
		out, err := env.patchCmd(bundle, 1+i).CombinedOutput()
		exec.Command("chattr", "-i", target).Run()
		if err == nil {
			t.Fatalf("patching %s immutable succeeded:\n%s", target, out)
		}
		t.Logf("patch with %s immutable: %v\n%s", target, err, out)
		if got := env.runsAs(t, bundle); got != 0 {
			t.Errorf("%s immutable: the container runs as %d after a failed patch, want 0", target, got)
		}
	}
	if out, err := env.patchCmd(bundle, 3).CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if got := env.runsAs(t, bundle); got != 3 {
		t.Errorf("runs as %d, want 3", got)
	}
	env.onlyFilesOf(t, bundle, 3)
}

// A patch of a bundle on a read-only bind mount fails, and changes
// nothing.
func testPatchReadOnly(t *testing.T, env atomicEnv) {
	bundle := env.newBundle(t)
	if out, err := env.patchCmd(bundle, len(atomicCalls)-1).CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, args := range [][]string{{"--bind", bundle, bundle}, {"-o", "remount,bind,ro", bundle}} {
		if out, err := exec.Command("mount", args...).CombinedOutput(); err != nil {
			t.Fatalf("mount %v: %v\n%s", args, err, out)
		}
	}
	out, err := env.patchCmd(bundle, 3).CombinedOutput()
	if uerr := exec.Command("umount", bundle).Run(); uerr != nil {
		t.Fatalf("umount: %v", uerr)
	}
	if err == nil {
		t.Fatalf("patching a read-only bundle succeeded:\n%s", out)
	}
	if !strings.Contains(string(out), "read-only file system") {
		t.Errorf("patch: %s", out)
	}
	if got := env.runsAs(t, bundle); got != len(atomicCalls)-1 {
		t.Errorf("runs as %d after a failed patch", got)
	}
}

// exec --bundle runs a bundle with a late stage as runc does: the calls
// are answered by the whole profile, openat included, which only the late
// stage denies.
func testExecBundleLate(t *testing.T, env atomicEnv) {
	bundle := filepath.Join(t.TempDir(), "bundle")
	// On the host: the calls program by its host path.
	runcBundle(t, env.runc, bundle, env.rootfs, append([]string{env.calls, "openat"}, atomicCalls...))
	if out, err := env.patchCmd(bundle, 4).CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	// By its absolute path, and relative to the working directory (the
	// process starts in process.cwd, elsewhere).
	for _, name := range []string{bundle, "bundle"} {
		if name == "bundle" {
			t.Chdir(filepath.Dir(bundle))
		}
		code, stdout, stderr := runCmd(t, env.oci, "exec", "--bundle", name)
		if code != 0 {
			t.Fatalf("exec --bundle %s: exit status %d\n%s%s", name, code, stdout, stderr)
		}
		for _, c := range append([]string{"openat"}, atomicCalls...) {
			want := c + " EPERM"
			if c != "openat" && c != atomicCalls[4] {
				want = c + " E"
			}
			if !strings.Contains(stdout, want) || c != "openat" && c != atomicCalls[4] && strings.Contains(stdout, c+" EPERM") {
				t.Errorf("exec --bundle %s: %s: want %q in\n%s", name, c, want, stdout)
			}
		}
	}
}

// A container created (runc create) from a bundle with a late stage, and
// patched twice before it starts — with another late profile, then with
// one that needs none — still starts under the profile it was created
// with: the files its config names stay while it has the late stage's
// directory bound. The first patch after it is gone removes them.
func testPatchCreated(t *testing.T, env atomicEnv) {
	bundle := env.newBundle(t)
	if out, err := env.patchCmd(bundle, 0).CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	id := fmt.Sprintf("oci-sbx-e2e-created-%d", os.Getpid())
	output := runcCreate(t, env.runc, bundle, id)
	for _, i := range []int{3, len(atomicCalls) - 1} {
		if out, err := env.patchCmd(bundle, i).CombinedOutput(); err != nil {
			t.Fatalf("patch %d: %v\n%s", i, err, out)
		}
	}
	kept, _ := os.ReadDir(filepath.Join(bundle, ".oci-sbx"))
	if out, err := exec.Command(env.runc, "start", id).CombinedOutput(); err != nil {
		t.Fatalf("runc start: %v\n%s", err, out)
	}
	var data []byte
	select {
	case data = <-output:
	case <-time.After(time.Minute):
		t.Fatal("the container has not ended")
	}
	state, _ := exec.Command(env.runc, "state", id).Output()
	if got := env.answeredBy(t, string(data)); got != 0 {
		t.Errorf("the created container ran as profile %d, want 0, the one it was created with\n%s\nthe late stage's directory at start: %v\n%s", got, data, kept, state)
	}
	if out, err := exec.Command(env.runc, "delete", "-f", id).CombinedOutput(); err != nil {
		t.Fatalf("runc delete: %v\n%s", err, out)
	}
	if out, err := env.patchCmd(bundle, len(atomicCalls)-1).CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	env.onlyFilesOf(t, bundle, len(atomicCalls)-1)
	if got := env.runsAs(t, bundle); got != len(atomicCalls)-1 {
		t.Errorf("runs as %d, want %d", got, len(atomicCalls)-1)
	}
}

// runc run while patches alternate between two late profiles: runc reads
// config.json once, then sets up the container that execs the files it
// names; the patch that replaced that config keeps them, so every run
// starts under one of the two profiles.
func testPatchWhileRunning(t *testing.T, env atomicEnv) {
	bundle := env.newBundle(t)
	if out, err := env.patchCmd(bundle, 0).CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	seen := map[int]int{}
	for round := range 30 {
		stop := make(chan struct{})
		done := make(chan error)
		go func() {
			for k := 0; ; k++ {
				select {
				case <-stop:
					done <- nil
					return
				default:
				}
				if out, err := env.patchCmd(bundle, 1+k%2).CombinedOutput(); err != nil {
					done <- fmt.Errorf("%v\n%s", err, out)
					return
				}
			}
		}()
		got := env.runsAs(t, bundle)
		close(stop)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if got < 0 {
			t.Fatalf("round %d: the container ran unconfined", round)
		}
		seen[got]++
	}
	t.Logf("30 runs while patches alternated: the container ran as profile (runs) %v", seen)
}

// The precreate hook's late stages are collected, but never one a
// container holds: a container created (runc create) from the hook's
// config, whose directory has been unused past the grace, keeps it while
// other containers' creations collect, and starts under its profile; once
// it is deleted, the next creation removes the directory, and the same
// profile later gets it anew.
func testHookLateCollected(t *testing.T, env atomicEnv) {
	late := filepath.Join(t.TempDir(), "late")
	// hooked makes a bundle whose config the hook gave profile i, as
	// Podman would hand it to runc.
	hooked := func(i int) string {
		bundle := env.newBundle(t)
		names := "openat, " + atomicCalls[i]
		rules := "{default: allow, rules: [{action: errno(EPERM), syscalls: [" + names + "]}]}"
		editBundle(t, bundle, func(e *oci.Editor) error { return e.Set(rules, "annotations", "io.oci-sbx.rules") })
		hookPrecreate(t, env.oci, bundle, "--late-dir", late, "--log", filepath.Join(t.TempDir(), "hook.log"))
		return bundle
	}
	bundle := hooked(0)
	held := ageLateDirs(t, late)
	if len(held) != 1 {
		t.Fatalf("the hook left %v in its late directory", held)
	}
	id := fmt.Sprintf("oci-sbx-e2e-collect-%d", os.Getpid())
	output := runcCreate(t, env.runc, bundle, id)

	hooked(1) // collects: the created container holds profile 0's directory
	if _, err := os.Stat(filepath.Join(late, held[0])); err != nil {
		t.Fatalf("the directory of a created container was collected: %v", err)
	}
	if out, err := exec.Command(env.runc, "start", id).CombinedOutput(); err != nil {
		t.Fatalf("runc start: %v\n%s", err, out)
	}
	select {
	case data := <-output:
		if got := env.answeredBy(t, string(data)); got != 0 {
			t.Errorf("the created container ran as profile %d, want 0\n%s", got, data)
		}
	case <-time.After(time.Minute):
		t.Fatal("the container has not ended")
	}
	if out, err := exec.Command(env.runc, "delete", "-f", id).CombinedOutput(); err != nil {
		t.Fatalf("runc delete: %v\n%s", err, out)
	}

	ageLateDirs(t, late)
	again := hooked(2) // collects both: no container holds them
	entries, _ := os.ReadDir(late)
	var dirs []string
	for _, e := range entries {
		if e.IsDir() {
			dirs = append(dirs, e.Name())
		}
	}
	if len(dirs) != 1 || slices.Contains(dirs, held[0]) {
		t.Errorf("after the container was deleted the late directory holds %v, want only profile 2's", dirs)
	}
	if got := env.runsAs(t, again); got != 2 {
		t.Errorf("runs as %d, want 2", got)
	}
	// The same profile as the collected one: its directory is made anew.
	if got := env.runsAs(t, hooked(0)); got != 0 {
		t.Errorf("runs as %d, want 0", got)
	}
}
